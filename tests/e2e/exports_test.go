package e2e

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// studentDBRow is a student as the database holds it, read with plain
// SQL to check the exported files against.
type studentDBRow struct {
	ID         int64     `bun:"id"`
	Name       string    `bun:"name"`
	RollNo     string    `bun:"roll_no"`
	Department string    `bun:"department"`
	Semester   int       `bun:"semester"`
	Section    string    `bun:"section"`
	Email      *string   `bun:"email"`
	Status     string    `bun:"status"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

func (r studentDBRow) cells() []string {
	email := ""
	if r.Email != nil {
		email = *r.Email
	}
	return []string{strconv.FormatInt(r.ID, 10), r.Name, r.RollNo, r.Department, strconv.Itoa(r.Semester), r.Section, email, r.Status,
		r.CreatedAt.UTC().Format(time.RFC3339Nano), r.UpdatedAt.UTC().Format(time.RFC3339Nano)}
}

// expectedStudents reads the students matching where (SQL) in id order,
// header first.
func expectedStudents(t *testing.T, h *harness, where string, args ...any) [][]string {
	t.Helper()
	var rows []studentDBRow
	q := "SELECT id, name, roll_no, department, semester, section, email, status, created_at, updated_at FROM students"
	if where != "" {
		q += " WHERE " + where
	}
	if err := h.app.DB.Bun().NewRaw(q+" ORDER BY id", args...).Scan(context.Background(), &rows); err != nil {
		t.Fatalf("read students: %v", err)
	}
	out := [][]string{{"id", "name", "roll_no", "department", "semester", "section", "email", "status", "created_at", "updated_at"}}
	for _, r := range rows {
		out = append(out, r.cells())
	}
	return out
}

// exportNow requests an export and waits for it to complete; it returns
// its id.
func (h *harness) exportNow(t *testing.T, token string, body map[string]any) string {
	t.Helper()
	r := h.do("POST", "/api/v1/exports", token, body)
	expectStatus(t, r, http.StatusAccepted)
	m := r.json(t)
	id, _ := m["export_id"].(string)
	if id == "" || m["task_id"] != id || r.Header.Get("Location") != "/api/v1/exports/"+id {
		t.Fatalf("202: %s %v", r.Body, r.Header)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		st := h.do("GET", "/api/v1/exports/"+id, token, nil)
		expectStatus(t, st, http.StatusOK)
		switch st.str(t, "status") {
		case "completed":
			return id
		case "failed":
			t.Fatalf("export failed: %s", st.Body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("export never completed: %s", st.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (h *harness) download(t *testing.T, token, id, format string) []byte {
	t.Helper()
	r := h.do("GET", "/api/v1/exports/"+id+"/download", token, nil)
	expectStatus(t, r, http.StatusOK)
	wantType := map[string]string{"csv": "text/csv; charset=utf-8",
		"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}[format]
	if ct := r.Header.Get("Content-Type"); ct != wantType {
		t.Fatalf("content type %q, want %q", ct, wantType)
	}
	cd := r.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, "."+format+`"`) {
		t.Fatalf("content disposition %q", cd)
	}
	return r.Body
}

func parseCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v\n%s", err, b)
	}
	return rows
}

func parseXLSX(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer func() { _ = f.Close() }()
	rows, err := f.GetRows("Sheet1")
	if err != nil {
		t.Fatalf("xlsx rows: %v", err)
	}
	// GetRows drops trailing empty cells; pad to the header's width.
	for i := range rows {
		for len(rows[i]) < len(rows[0]) {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

func sameRows(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if strings.Join(got[i], "\x1f") != strings.Join(want[i], "\x1f") {
			t.Fatalf("%s row %d:\n got %q\nwant %q", what, i, got[i], want[i])
		}
	}
}

func TestExports(t *testing.T) {
	dir := t.TempDir()
	eachStore(t, map[string]string{"EXPORT_DIR": dir, "TIMEZONE": "Asia/Kolkata"}, func(t *testing.T, h *harness) {
		h.startWorker()
		staff, admin := h.token("staff1", "staff123"), h.token("admin", "admin123")
		student, guest := h.token("student1", "student123"), h.guestToken()
		expectStatus(t, h.do("POST", "/api/v1/auth/register", admin, map[string]string{"username": "staff2", "email": "staff2@campus.edu",
			"password": "another-staff-2026", "full_name": "Staff Two", "role": "staff"}), http.StatusCreated)
		staff2 := h.token("staff2", "another-staff-2026")

		// 2 500 students (a few batches of 1 000), some without email,
		// in two departments and several semesters.
		var b strings.Builder
		b.WriteString("name,roll_no,department,semester,section,email\n")
		for i := 1; i <= 2500; i++ {
			dept, email := "CS", fmt.Sprintf("s%d@campus.edu", i)
			if i%3 == 0 {
				dept = "ECE"
			}
			if i%7 == 0 {
				email = ""
			}
			fmt.Fprintf(&b, "\"Student, %d\",EXP-%05d,%s,%d,%c,%s\n", i, i, dept, 1+i%8, 'A'+rune(i%3), email)
		}
		expectStatus(t, h.csvPost(staff, "", b.String()), http.StatusOK)

		// CSV of every student, compared row by row with the table.
		id := h.exportNow(t, staff, map[string]any{"kind": "students", "format": "csv"})
		file := h.download(t, staff, id, "csv")
		want := expectedStudents(t, h, "")
		sameRows(t, "students.csv", parseCSV(t, file), want)
		st := h.do("GET", "/api/v1/exports/"+id, staff, nil).json(t)
		if st["rows"].(float64) != float64(len(want)-1) || st["size"].(float64) != float64(len(file)) ||
			st["download_url"] != "/api/v1/exports/"+id+"/download" || st["expires_at"] == nil {
			t.Fatalf("status: %v", st)
		}
		today := time.Now().In(mustZone(t, "Asia/Kolkata")).Format(time.DateOnly)
		if cd := h.do("GET", "/api/v1/exports/"+id+"/download", staff, nil).Header.Get("Content-Disposition"); cd != `attachment; filename="students-`+today+`.csv"` {
			t.Fatalf("content disposition %q", cd)
		}
		// The task reports the figures too.
		task := h.do("GET", "/api/v1/tasks/"+id, staff, nil)
		expectStatus(t, task, http.StatusOK)
		if res, _ := task.json(t)["result"].(map[string]any); task.str(t, "type") != "export:run" || res["rows"].(float64) != float64(len(want)-1) {
			t.Fatalf("task: %s", task.Body)
		}

		// Filters (a number or a string), as XLSX opened with excelize.
		id = h.exportNow(t, staff, map[string]any{"kind": "students", "format": "xlsx", "filters": map[string]any{"department": "ECE", "semester": 3}})
		want = expectedStudents(t, h, "department = ? AND semester = ?", "ECE", 3)
		if len(want) < 2 {
			t.Fatalf("fixture: no ECE semester 3 students")
		}
		sameRows(t, "students.xlsx", parseXLSX(t, h.download(t, staff, id, "xlsx")), want)
		xlsxID := id

		// The whole table as XLSX too.
		id = h.exportNow(t, staff, map[string]any{"kind": "students", "format": "xlsx"})
		sameRows(t, "all students.xlsx", parseXLSX(t, h.download(t, staff, id, "xlsx")), expectedStudents(t, h, ""))

		// Another kind: risks filtered by severity.
		for _, sev := range []string{"high", "low", "high"} {
			expectStatus(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": 1, "risk_type": "academic", "severity": sev,
				"description": "Failing, \"badly\"", "factors": []map[string]any{{"name": "gpa", "value": 1.5, "weight": 1, "contribution": 10}}}),
				http.StatusCreated)
		}
		id = h.exportNow(t, admin, map[string]any{"kind": "risks", "format": "csv", "filters": map[string]any{"severity": "high"}})
		rows := parseCSV(t, h.download(t, admin, id, "csv"))
		if len(rows) != 3 || strings.Join(rows[0], ",") != "id,student_id,risk_type,severity,score,factors,description,source,status,action_taken,created_at,resolved_at,resolved_by" ||
			rows[1][3] != "high" || rows[1][4] != "" || rows[1][6] != `Failing, "badly"` || rows[1][5] != `[{"name":"gpa","value":1.5,"weight":1,"contribution":10}]` {
			t.Fatalf("risks.csv: %q", rows)
		}

		// Attendance filtered by student and dates (inclusive), compared
		// with the table; remarks with a comma and null marked_by-free
		// columns survive the CSV.
		for _, day := range []string{"2026-11-01", "2026-11-02", "2026-11-03"} {
			expectStatus(t, h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": day, "records": []map[string]any{
				{"student_id": 1, "status": "late", "remarks": "bus, again"}, {"student_id": 2, "status": "present"}}}), http.StatusOK)
		}
		id = h.exportNow(t, staff, map[string]any{"kind": "attendance", "format": "csv",
			"filters": map[string]any{"student_id": 1, "from": "2026-11-02", "to": "2026-11-03"}})
		rows = parseCSV(t, h.download(t, staff, id, "csv"))
		var att []struct {
			ID   int64  `bun:"id"`
			Date string `bun:"date"`
		}
		if err := h.app.DB.Bun().NewRaw("SELECT id, CAST(date AS TEXT) AS date FROM attendance_records WHERE student_id = 1 AND date >= '2026-11-02' AND date <= '2026-11-03' ORDER BY id").
			Scan(context.Background(), &att); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || len(att) != 2 || strings.Join(rows[0], ",") != "id,student_id,date,session,status,remarks,marked_by,created_at,updated_at" {
			t.Fatalf("attendance.csv: %q (db %v)", rows, att)
		}
		for i, a := range att {
			if rows[i+1][0] != strconv.FormatInt(a.ID, 10) || rows[i+1][2] != a.Date[:10] || rows[i+1][4] != "late" || rows[i+1][5] != "bus, again" {
				t.Fatalf("attendance row %d: %q, db %v", i+1, rows[i+1], a)
			}
		}

		// Empty data: no complaints, a file with just the header.
		id = h.exportNow(t, staff, map[string]any{"kind": "complaints", "format": "xlsx", "filters": map[string]any{"from": "2026-01-01", "category": "health"}})
		if rows := parseXLSX(t, h.download(t, staff, id, "xlsx")); len(rows) != 1 || rows[0][0] != "id" || len(rows[0]) != 14 {
			t.Fatalf("empty complaints.xlsx: %q", rows)
		}
		if n := h.do("GET", "/api/v1/exports/"+id, staff, nil).json(t)["rows"]; n.(float64) != 0 {
			t.Fatalf("rows of an empty export: %v", n)
		}

		// Another staff member's export is not there for them; an admin sees it.
		expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID, staff2, nil), http.StatusNotFound, "")
		expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID+"/download", staff2, nil), http.StatusNotFound, "")
		expectStatus(t, h.do("GET", "/api/v1/exports/"+xlsxID, admin, nil), http.StatusOK)
		expectStatus(t, h.do("GET", "/api/v1/exports/"+xlsxID+"/download", admin, nil), http.StatusOK)
		expectProblem(t, h.do("GET", "/api/v1/exports/no-such-export", admin, nil), http.StatusNotFound, "")

		// Students and guests may not export.
		for _, tok := range []string{student, guest} {
			expectProblem(t, h.do("POST", "/api/v1/exports", tok, map[string]any{"kind": "students", "format": "csv"}), http.StatusForbidden, "")
			expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID, tok, nil), http.StatusForbidden, "")
		}
		expectProblem(t, h.do("POST", "/api/v1/exports", "", map[string]any{"kind": "students", "format": "csv"}), http.StatusUnauthorized, "")

		// Validation: unknown kind, format, filter and bad values are 422 naming the field.
		p := expectProblem(t, h.do("POST", "/api/v1/exports", staff, map[string]any{"kind": "clubs", "format": "pdf"}), http.StatusUnprocessableEntity, "")
		if got := fieldNames(p); got != "kind,format" {
			t.Fatalf("fields: %s", got)
		}
		for filters, field := range map[string]string{
			`{"section": "A"}`: "filters.section", `{"semester": 13}`: "filters.semester", `{"status": true}`: "filters.status",
		} {
			var f map[string]any
			mustJSON(t, []byte(filters), &f)
			p := expectProblem(t, h.do("POST", "/api/v1/exports", staff, map[string]any{"kind": "students", "format": "csv", "filters": f}),
				http.StatusUnprocessableEntity, "")
			if got := fieldNames(p); got != field {
				t.Fatalf("%s: fields %s", filters, got)
			}
		}
		p = expectProblem(t, h.do("POST", "/api/v1/exports", staff, map[string]any{"kind": "complaints", "format": "csv",
			"filters": map[string]any{"from": "2026-02-30", "student_id": 1}}), http.StatusUnprocessableEntity, "")
		if got := fieldNames(p); got != "filters.from,filters.student_id" {
			t.Fatalf("fields: %s", got)
		}

		// Before completion the download is 409 (a pending export put in
		// through the store, so no worker races the check).
		exports := store.NewExportStore(h.app.DB)
		staffID := int64(h.do("GET", "/api/v1/auth/profile", staff, nil).json(t)["user_id"].(float64))
		pending := ports.Export{ID: "pending-export", Kind: "students", Format: "csv", Status: ports.ExportPending, RequestedBy: staffID,
			BlobKey: "pending-export.csv", CreatedAt: time.Now()}
		if err := exports.Create(context.Background(), pending); err != nil {
			t.Fatal(err)
		}
		expectProblem(t, h.do("GET", "/api/v1/exports/pending-export/download", staff, nil), http.StatusConflict, "")
		if s := h.do("GET", "/api/v1/exports/pending-export", staff, nil).json(t); s["status"] != "pending" || s["download_url"] != nil {
			t.Fatalf("pending: %v", s)
		}

		// Expired (24 h after completion): 410 Gone, then pruned by the
		// maintenance agent (file and record), then 404.
		e, err := exports.Get(context.Background(), xlsxID)
		if err != nil {
			t.Fatal(err)
		}
		past := time.Now().Add(-time.Minute)
		e.ExpiresAt = &past
		if err := exports.Save(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID, staff, nil), http.StatusGone, "")
		expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID+"/download", staff, nil), http.StatusGone, "")
		r := h.do("POST", "/api/v1/agents/maintenance/run", admin, nil)
		expectStatus(t, r, http.StatusAccepted)
		runID := r.str(t, "task_id")
		deadline := time.Now().Add(30 * time.Second)
		for h.do("GET", "/api/v1/tasks/"+runID, admin, nil).str(t, "status") != "completed" {
			if time.Now().After(deadline) {
				t.Fatal("maintenance never completed")
			}
			time.Sleep(50 * time.Millisecond)
		}
		runs := h.do("GET", "/api/v1/agents/maintenance/runs", admin, nil).json(t)["items"].([]any)
		if c := runs[0].(map[string]any)["counts"].(map[string]any); c["exports_pruned"].(float64) != 1 {
			t.Fatalf("maintenance counts: %v", c)
		}
		expectProblem(t, h.do("GET", "/api/v1/exports/"+xlsxID, staff, nil), http.StatusNotFound, "")
		if _, err := exports.Get(context.Background(), xlsxID); fault.KindOf(err) != fault.NotFound {
			t.Fatalf("record after pruning: %v", err)
		}
		// The other exports are still there.
		expectStatus(t, h.do("GET", "/api/v1/exports/"+id+"/download", admin, nil), http.StatusOK)
	})
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// Without background tasks an embedded server has nothing that would run a
// job: work that needs one is refused with the reason instead of staying
// pending for ever, and the rest of the API is unaffected.
func TestTaskWorkRefusedWhenBackgroundTasksAreDisabled(t *testing.T) {
	eachStore(t, map[string]string{"EXPORT_DIR": t.TempDir(), "ENABLE_BACKGROUND_TASKS": "false"}, func(t *testing.T, h *harness) {
		staff, admin := h.token("staff1", "staff123"), h.token("admin", "admin123")
		const why = "background tasks are disabled on this server (ENABLE_BACKGROUND_TASKS=false)"
		expectProblem(t, h.do("POST", "/api/v1/exports", staff, map[string]any{"kind": "students", "format": "csv"}), http.StatusServiceUnavailable, why)
		expectProblem(t, h.do("POST", "/api/v1/agents/maintenance/run", admin, nil), http.StatusServiceUnavailable, why)
		expectStatus(t, h.do("GET", "/api/v1/students", staff, nil), http.StatusOK)
	})
}
