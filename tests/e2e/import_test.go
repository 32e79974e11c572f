package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const importPath = "/api/v1/students/import"

// csvPost sends body as a text/csv import.
func (h *harness) csvPost(token, query, body string) response {
	h.t.Helper()
	return h.do("POST", importPath+query, token, body, "Content-Type", "text/csv; charset=utf-8")
}

// multipartPost sends body as the multipart field named field.
func (h *harness) multipartPost(token, query, field, body string) response {
	h.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile(field, "students.csv")
	if err != nil {
		h.t.Fatal(err)
	}
	_, _ = io.WriteString(fw, body)
	_ = w.Close()
	return h.do("POST", importPath+query, token, buf.Bytes(), "Content-Type", w.FormDataContentType())
}

type importAnswer struct {
	DryRun    bool `json:"dry_run"`
	Rows      int  `json:"rows"`
	Created   int  `json:"created"`
	Updated   int  `json:"updated"`
	Unchanged int  `json:"unchanged"`
	Errors    []struct {
		Row     int    `json:"row"`
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

func (a importAnswer) String() string {
	return fmt.Sprintf("rows %d: created %d, updated %d, unchanged %d, errors %v", a.Rows, a.Created, a.Updated, a.Unchanged, a.Errors)
}

func answerOf(t *testing.T, r response) importAnswer {
	t.Helper()
	expectStatus(t, r, http.StatusOK)
	var a importAnswer
	mustJSON(t, r.Body, &a)
	if a.Errors == nil {
		t.Fatalf("errors must be a list, not null: %s", r.Body)
	}
	return a
}

// The mixed file: a BOM, headers in another order and case, a quoted
// comma, one row updating the seeded student1 record (CS2026001), bad
// rows, and a repeated roll_no.
const mixedCSV = "\ufeffRoll No,NAME,Department,Semester,Email,Status\r\n" +
	"IM-001,\"Doe, Jane\",Physics,3,jane@campus.edu,\r\n" +
	"IM-002,John Roe,Physics,4,,graduated\r\n" +
	"CS2026001,Student One,Computer Science,5,student1@campus.edu,\r\n" +
	"IM-003,Bad Semester,Physics,thirteen,,\r\n" +
	"IM-004,,Physics,2,not-an-email,expelled\r\n" +
	"IM-001,Jane Again,Physics,3,,\r\n"

func TestStudentImport(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		admin := h.token("admin", "admin123")

		// A dry run reports, applies nothing.
		dry := answerOf(t, h.csvPost(staff, "?dry_run=true", mixedCSV))
		if !dry.DryRun || dry.Rows != 6 || dry.Created != 2 || dry.Updated != 1 || dry.Unchanged != 0 || len(dry.Errors) != 5 {
			t.Fatalf("dry run: %v", dry)
		}
		if n := h.do("GET", "/api/v1/students?q=IM-", staff, nil).json(t)["total"].(float64); n != 0 {
			t.Fatalf("a dry run created %v students", n)
		}

		// Read student1's record first, so a cached copy would show if the
		// import failed to evict it.
		if s := h.do("GET", "/api/v1/students/1", staff, nil).json(t); s["semester"].(float64) != 1 {
			t.Fatalf("seeded record: %v", s)
		}

		// The real run applies the good rows and names every bad cell.
		got := answerOf(t, h.csvPost(staff, "?dry_run=false", mixedCSV))
		if got.DryRun || got.Rows != 6 || got.Created != 2 || got.Updated != 1 || got.Unchanged != 0 {
			t.Fatalf("import: %v", got)
		}
		want := []string{"4 semester", "5 name", "5 email", "5 status", "6 roll_no"}
		if len(got.Errors) != len(want) {
			t.Fatalf("errors: %v", got.Errors)
		}
		for i, e := range got.Errors {
			if fmt.Sprintf("%d %s", e.Row, e.Field) != want[i] || e.Message == "" {
				t.Errorf("error %d: %+v, want %s", i, e, want[i])
			}
		}
		r := h.do("GET", "/api/v1/students?q=IM-00", staff, nil)
		items := r.json(t)["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("created: %s", r.Body)
		}
		jane := items[0].(map[string]any)
		if jane["name"] != "Doe, Jane" || jane["email"] != "jane@campus.edu" || jane["status"] != "active" || jane["semester"].(float64) != 3 {
			t.Fatalf("first row: %v", jane)
		}
		if john := items[1].(map[string]any); john["status"] != "graduated" || john["email"] != nil {
			t.Fatalf("second row: %v", john)
		}
		if s := h.do("GET", "/api/v1/students/1", staff, nil).json(t); s["semester"].(float64) != 5 {
			t.Fatalf("the update did not land (or the cache served a stale copy): %v", s)
		}

		// Importing again changes nothing: unchanged rows are not updates.
		again := answerOf(t, h.csvPost(admin, "", mixedCSV))
		if again.Created != 0 || again.Updated != 0 || again.Unchanged != 3 || len(again.Errors) != 5 {
			t.Fatalf("re-import: %v", again)
		}

		// Audit: one create per new student, one update with before/after.
		a := h.do("GET", "/api/v1/audit-logs?resource=student&action=update", admin, nil).json(t)
		if a["total"].(float64) != 1 {
			t.Fatalf("updates audited: %v", a["total"])
		}
		entry := a["items"].([]any)[0].(map[string]any)
		if entry["before"].(map[string]any)["semester"].(float64) == 5 || entry["after"].(map[string]any)["semester"].(float64) != 5 {
			t.Fatalf("update entry: %v", entry)
		}
		if n := h.do("GET", "/api/v1/audit-logs?resource=student&action=create", admin, nil).json(t)["total"].(float64); n < 2 {
			t.Fatalf("creates audited: %v", n)
		}

		// Multipart upload, field "file".
		mp := answerOf(t, h.multipartPost(staff, "", "file", "name,roll_no,department,semester\nMulti Part,MP-1,Chemistry,1\n"))
		if mp.Created != 1 || mp.Rows != 1 {
			t.Fatalf("multipart: %v", mp)
		}
		expectProblem(t, h.multipartPost(staff, "", "upload", "name,roll_no,department,semester\n"), http.StatusUnprocessableEntity, "")

		// Whole-file problems.
		p := expectProblem(t, h.csvPost(staff, "", "name,roll_no,department,semester,Colour,gpa\nA,B,C,1,red,3.2\n"), http.StatusUnprocessableEntity, "")
		if !strings.Contains(p["detail"].(string), "Colour, gpa") || fieldNames(p) != "Colour,gpa" {
			t.Fatalf("unknown columns: %v", p)
		}
		p = expectProblem(t, h.csvPost(staff, "", "name,email\nA,a@b.c\n"), http.StatusUnprocessableEntity, "")
		if fieldNames(p) != "roll_no,department,semester" {
			t.Fatalf("missing columns: %v", p)
		}
		for name, body := range map[string]string{
			"empty":            "",
			"bad quoting":      "name,roll_no,department,semester\n\"Unclosed,X-1,CS,1\n",
			"bare quote":       "name,roll_no,department,semester\nA\"b,X-1,CS,1\n",
			"binary":           "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
			"json in disguise": `{"name":"Ada"}`,
		} {
			r := h.csvPost(staff, "", body)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d %s", name, r.Status, r.Body)
			}
		}
		expectProblem(t, h.csvPost(staff, "?dry_run=maybe", mixedCSV), http.StatusUnprocessableEntity, "")
		expectStatus(t, h.do("POST", importPath, staff, map[string]any{"rows": []any{}}), http.StatusUnsupportedMediaType)
		expectStatus(t, h.do("POST", importPath, staff, "a,b", "Content-Type", "application/xml"), http.StatusUnsupportedMediaType)

		// Roles: only CREATE_STUDENT holders import.
		expectProblem(t, h.csvPost(h.token("student1", "student123"), "", mixedCSV), http.StatusForbidden, "Insufficient permissions")
		expectProblem(t, h.csvPost(h.guestToken(), "", mixedCSV), http.StatusForbidden, "Insufficient permissions")
		expectProblem(t, h.csvPost("", "", mixedCSV), http.StatusUnauthorized, "")
	})
}

// TestStudentImportBodyLimit: a CSV over the body limit (1 MiB) is 413
// before any parsing, through a real listener (as TestEdgeBehaviour does
// for JSON): the server answers without waiting for the body.
func TestStudentImportBodyLimit(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	staff := h.token("staff1", "staff123")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.server.App().Listener(ln) }()
	t.Cleanup(func() { _ = h.server.App().Shutdown() })
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: campus\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\nname,roll_no,department,semester\n", importPath, staff, 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized CSV: %d", resp.StatusCode)
	}
}

// TestStudentImportLimit: exactly 5 000 rows are imported synchronously.
func TestStudentImportLimit(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		var b strings.Builder
		b.WriteString("roll_no,name,department,semester,section\n")
		for i := 1; i <= 5000; i++ {
			fmt.Fprintf(&b, "L-%04d,Student %d,Dept %d,%d,S%d\n", i, i, i%7, i%12+1, i%3)
		}
		a := answerOf(t, h.csvPost(staff, "", b.String()))
		if a.Rows != 5000 || a.Created != 5000 || len(a.Errors) != 0 {
			t.Fatalf("5000 rows: %v", a)
		}
		if n := h.do("GET", "/api/v1/students?q=L-", staff, nil).json(t)["total"].(float64); n != 5000 {
			t.Fatalf("%v students stored", n)
		}
	})
}

// TestStudentImportConcurrent: two imports of the same new file at once
// create every student exactly once; the other import sees them as
// unchanged (or, when it lost a race on a row, retries it as an update of
// an equal record), and neither fails.
func TestStudentImportConcurrent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		var b strings.Builder
		b.WriteString("roll_no,name,department,semester\n")
		for i := 1; i <= 600; i++ {
			fmt.Fprintf(&b, "C-%03d,Student %d,CS,1\n", i, i)
		}
		body := b.String()
		const n = 3
		answers := make([]importAnswer, n)
		statuses := make([]int, n)
		raw := make([]string, n)
		var wg sync.WaitGroup
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				req := httptest.NewRequest("POST", importPath, strings.NewReader(body))
				req.Header.Set("Content-Type", "text/csv")
				req.Header.Set("Authorization", "Bearer "+staff)
				resp, err := h.server.App().Test(req, -1)
				if err != nil {
					raw[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				statuses[i], raw[i] = resp.StatusCode, string(data)
				_ = json.Unmarshal(data, &answers[i])
			}(i)
		}
		wg.Wait()
		created := 0
		for i := 0; i < n; i++ {
			if statuses[i] != http.StatusOK {
				t.Fatalf("import %d: %d %s", i, statuses[i], raw[i])
			}
			a := answers[i]
			if len(a.Errors) != 0 || a.Created+a.Updated+a.Unchanged != 600 || a.Updated != 0 {
				t.Fatalf("import %d: %v", i, a)
			}
			created += a.Created
			t.Logf("import %d: %v", i, a)
		}
		if created != 600 {
			t.Fatalf("created %d in total, want 600", created)
		}
		if total := h.do("GET", "/api/v1/students?q=C-", staff, nil).json(t)["total"].(float64); total != 600 {
			t.Fatalf("%v students stored", total)
		}
	})
}

// TestLargeImportRunsAsATask: a file over 5000 rows answers 202 with a
// task id; the worker imports it as the requester, and the task's result
// has the figures (a dry run's too, with nothing applied); the task is
// the requester's and admins' to read; importing it again changes nothing.
func TestLargeImportRunsAsATask(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		staff, admin := h.token("staff1", "staff123"), h.token("admin", "admin123")
		var big strings.Builder
		big.WriteString("name,roll_no,department,semester\n")
		for i := 1; i <= 6000; i++ {
			sem := "2"
			if i == 4321 {
				sem = "13" // one bad row
			}
			fmt.Fprintf(&big, "Student %d,BIG-%05d,CS,%s\n", i, i, sem)
		}
		run := func(query string) importAnswer {
			t.Helper()
			r := h.csvPost(staff, query, big.String())
			expectStatus(t, r, http.StatusAccepted)
			id := r.str(t, "task_id")
			if r.Header.Get("Location") != "/api/v1/tasks/"+id || r.json(t)["rows"].(float64) != 6000 {
				t.Fatalf("202: %s %v", r.Body, r.Header)
			}
			expectProblem(t, h.do("GET", "/api/v1/tasks/"+id, h.token("student1", "student123"), nil), http.StatusNotFound, "")
			deadline := time.Now().Add(60 * time.Second)
			for {
				task := h.do("GET", "/api/v1/tasks/"+id, staff, nil)
				expectStatus(t, task, http.StatusOK)
				switch task.str(t, "status") {
				case "completed":
					expectStatus(t, h.do("GET", "/api/v1/tasks/"+id, admin, nil), http.StatusOK)
					var out struct {
						Type   string       `json:"type"`
						Result importAnswer `json:"result"`
					}
					mustJSON(t, task.Body, &out)
					if out.Type != "student:import" {
						t.Fatalf("task: %s", task.Body)
					}
					return out.Result
				case "failed", "archived":
					t.Fatalf("import task failed: %s", task.Body)
				}
				if time.Now().After(deadline) {
					t.Fatalf("import task never completed: %s", task.Body)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
		total := func() float64 {
			return h.do("GET", "/api/v1/students?q=BIG-&limit=1", staff, nil).json(t)["total"].(float64)
		}
		if a := run("?dry_run=true"); !a.DryRun || a.Rows != 6000 || a.Created != 5999 || len(a.Errors) != 1 || a.Errors[0].Row != 4321 {
			t.Fatalf("dry run: %v", a)
		}
		if n := total(); n != 0 {
			t.Fatalf("a dry run created %v students", n)
		}
		if a := run(""); a.Rows != 6000 || a.Created != 5999 || a.Unchanged != 0 || len(a.Errors) != 1 || a.Errors[0].Field != "semester" {
			t.Fatalf("import: %v", a)
		}
		if n := total(); n != 5999 {
			t.Fatalf("students after the import: %v", n)
		}
		if a := run(""); a.Created != 0 || a.Updated != 0 || a.Unchanged != 5999 {
			t.Fatalf("the same file again: %v", a)
		}
		// The audit names the requester for the rows the task wrote.
		logs := h.do("GET", "/api/v1/audit-logs?action=create&resource=student&limit=1", admin, nil).json(t)
		if logs["total"].(float64) < 5999 {
			t.Fatalf("audit: %v", logs["total"])
		}
		entry := logs["items"].([]any)[0].(map[string]any)
		if entry["actor_role"] != "staff" {
			t.Fatalf("audited as %v", entry)
		}
	})
}
