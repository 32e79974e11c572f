package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	appattendance "github.com/campus/campus/application/attendance"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/testenv"
)

// campus is a harness with the four roles logged in and the ids of
// student1's own record and of a second student.
type campus struct {
	*harness
	admin, staff, student, guest string
	own, other                   int64
}

func newCampus(t *testing.T, h *harness) campus {
	t.Helper()
	c := campus{harness: h, admin: h.token("admin", "admin123"), staff: h.token("staff1", "staff123"),
		student: h.token("student1", "student123"), guest: h.guestToken()}
	c.own = int64(h.do("GET", "/api/v1/auth/profile", c.student, nil).json(t)["student_id"].(float64))
	c.other = c.newStudent(t, "OT-1", "Physics")
	return c
}

func (c campus) newStudent(t *testing.T, roll, dept string) int64 {
	t.Helper()
	r := c.do("POST", "/api/v1/students", c.staff, map[string]any{"name": "Pupil " + roll, "roll_no": roll, "department": dept, "semester": 3, "section": "A"})
	expectStatus(t, r, 201)
	return int64(r.json(t)["id"].(float64))
}

func fieldsOf(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, e := range r.json(t)["errors"].([]any) {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestAttendanceRecords(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		c := newCampus(t, h)
		today := time.Now().UTC().Format(time.DateOnly) // TIMEZONE is UTC here

		// POST: defaults, 201 with Location, lower-case enums on output.
		r := h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": c.own, "status": "PRESENT"})
		expectStatus(t, r, 201)
		own := r.json(t)
		ownID := int64(own["id"].(float64))
		if own["date"] != today || own["session"] != "daily" || own["status"] != "present" || own["marked_by"] == nil ||
			r.Header.Get("Location") != fmt.Sprintf("/api/v1/attendance/%d", ownID) {
			t.Fatalf("created: %s (today %s) %q", r.Body, today, r.Header.Get("Location"))
		}
		expectProblem(t, h.do("POST", "/api/v1/attendance", c.admin, map[string]any{"student_id": c.own, "status": "absent"}), 409, "")
		r = h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": c.other, "date": "2026-11-02", "session": "CS101", "status": "absent", "remarks": "no show"})
		expectStatus(t, r, 201)
		otherID := int64(r.json(t)["id"].(float64))

		// Validation: unknown student names student_id; bad fields each named.
		r = h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": 999999, "status": "absent"})
		expectProblem(t, r, 422, "")
		if fmt.Sprint(fieldsOf(t, r)) != "[student_id]" {
			t.Fatalf("unknown student: %s", r.Body)
		}
		r = h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": 0, "date": "27/11/2026", "status": "gone"})
		expectStatus(t, r, 422)
		if got := fmt.Sprint(fieldsOf(t, r)); got != "[student_id date status]" {
			t.Fatalf("fields %s", got)
		}
		expectProblem(t, h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": "seven", "status": "absent"}), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/attendance", c.staff, `{"student_id":`), 400, "")

		// Who may mark.
		expectProblem(t, h.do("POST", "/api/v1/attendance", c.student, map[string]any{"student_id": c.own, "status": "present"}), 403, "Insufficient permissions")
		expectProblem(t, h.do("POST", "/api/v1/attendance", c.guest, map[string]any{"student_id": c.own, "status": "present"}), 403, "Insufficient permissions")

		// Lists: filters, envelope; a student sees only their own.
		r = h.do("GET", "/api/v1/attendance?session=CS101&from=2026-11-02&to=2026-11-02&status=ABSENT", c.staff, nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["total"].(float64) != 1 || r.Header.Get("X-Total-Count") != "1" {
			t.Fatalf("filtered list: %s", r.Body)
		}
		if n := h.do("GET", "/api/v1/attendance?from=2026-11-03", c.staff, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("from filter: %v", n)
		}
		if n := h.do("GET", "/api/v1/attendance?from=2026-11-02T00:00:00Z&to=2026-11-02T23:00:00Z", c.staff, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("RFC 3339 bounds: %v", n)
		}
		expectProblem(t, h.do("GET", "/api/v1/attendance?status=gone&from=yesterday&limit=0", c.staff, nil), 422, "")
		mine := h.do("GET", "/api/v1/attendance", c.student, nil).json(t)
		if mine["total"].(float64) != 1 || int64(mine["items"].([]any)[0].(map[string]any)["student_id"].(float64)) != c.own {
			t.Fatalf("student's list: %v", mine)
		}
		if n := h.do("GET", fmt.Sprintf("/api/v1/attendance?student_id=%d", c.other), c.student, nil).json(t)["total"].(float64); n != 0 {
			t.Fatalf("a student sees another's records: %v", n)
		}
		expectProblem(t, h.do("GET", "/api/v1/attendance", c.guest, nil), 403, "")

		// One record: own yes, another's 404, missing 404.
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/attendance/%d", ownID), c.student, nil), 200)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.student, nil), 404, "Attendance record not found")
		expectProblem(t, h.do("GET", "/api/v1/attendance/999999", c.staff, nil), 404, "")
		expectProblem(t, h.do("GET", "/api/v1/attendance/abc", c.staff, nil), 404, "")

		// Edits: PATCH changes what is sent, PUT replaces; the editor is marked_by.
		adminID := h.do("GET", "/api/v1/auth/profile", c.admin, nil).json(t)["user_id"].(float64)
		r = h.do("PATCH", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.admin, map[string]any{"status": "Excused"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["status"] != "excused" || m["remarks"] != "no show" || m["marked_by"].(float64) != adminID {
			t.Fatalf("patched: %s", r.Body)
		}
		r = h.do("PUT", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, map[string]any{"student_id": c.other, "date": "2026-11-02", "session": "CS101", "status": "late"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["status"] != "late" || m["remarks"] != "" {
			t.Fatalf("replaced: %s", r.Body)
		}
		expectProblem(t, h.do("PUT", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, map[string]any{"student_id": c.other, "status": "late"}), 422, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, map[string]any{"student_id": c.own, "date": today, "session": "daily"}), 409, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, map[string]any{"student_id": 999999}), 422, "")
		expectProblem(t, h.do("PATCH", "/api/v1/attendance/999999", c.staff, map[string]any{"status": "late"}), 404, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/attendance/%d", ownID), c.student, map[string]any{"status": "present"}), 403, "")

		// The audit keeps the previous values; the outbox has the events.
		a := h.do("GET", "/api/v1/audit-logs?resource=attendance&action=update", c.admin, nil).json(t)
		items := a["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("%d attendance updates audited: %v", len(items), a)
		}
		first := items[0].(map[string]any)
		if first["before"].(map[string]any)["status"] != "absent" || first["after"].(map[string]any)["status"] != "excused" {
			t.Fatalf("audit entry: %v", first)
		}

		// Summary: rate = (present + late) / (present + late + absent).
		for i, st := range []string{"present", "late", "absent", "excused"} {
			expectStatus(t, h.do("POST", "/api/v1/attendance", c.staff, map[string]any{"student_id": c.own, "date": fmt.Sprintf("2026-10-0%d", i+1), "status": st}), 201)
		}
		r = h.do("GET", "/api/v1/attendance/summary?from=2026-10-01&to=2026-10-31", c.student, nil)
		expectStatus(t, r, 200)
		sum := r.json(t)
		if sum["present"].(float64) != 1 || sum["late"].(float64) != 1 || sum["absent"].(float64) != 1 || sum["excused"].(float64) != 1 ||
			sum["total"].(float64) != 4 || fmt.Sprintf("%.4f", sum["rate"].(float64)) != "0.6667" || int64(sum["student_id"].(float64)) != c.own {
			t.Fatalf("summary: %s", r.Body)
		}
		if m := h.do("GET", "/api/v1/attendance/summary?from=2030-01-01", c.staff, nil).json(t); m["rate"] != nil || m["total"].(float64) != 0 {
			t.Fatalf("empty period: %v", m)
		}
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/attendance/summary?student_id=%d", c.other), c.student, nil), 404, "")
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/attendance/summary?student_id=%d", c.other), c.staff, nil), 200)
		expectProblem(t, h.do("GET", "/api/v1/attendance/summary", c.guest, nil), 403, "")

		// Delete: EDIT_ATTENDANCE, 204, then gone.
		expectProblem(t, h.do("DELETE", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.student, nil), 403, "")
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, nil), 204)
		expectProblem(t, h.do("DELETE", fmt.Sprintf("/api/v1/attendance/%d", otherID), c.staff, nil), 404, "")
		if n := h.do("GET", "/api/v1/audit-logs?resource=attendance&action=delete", c.admin, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("%v deletions audited", n)
		}
		events, err := store.NewOutbox(h.app.DB).Pending(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, e := range events {
			kinds[e.Type]++
		}
		if kinds["attendance.marked"] != 6 || kinds["attendance.changed"] != 3 {
			t.Fatalf("events: %v", kinds)
		}
	})
}

func TestAttendanceBulk(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		c := newCampus(t, h)
		third := c.newStudent(t, "TH-1", "Physics")
		body := map[string]any{"date": "2026-11-27", "session": "CS101", "records": []map[string]any{
			{"student_id": c.own, "status": "present"}, {"student_id": c.other, "status": "ABSENT", "remarks": "sick"}}}
		r := h.do("POST", "/api/v1/attendance/bulk", c.staff, body)
		expectStatus(t, r, 200)
		if m := r.json(t); m["created"].(float64) != 2 || m["updated"].(float64) != 0 {
			t.Fatalf("first bulk: %s", r.Body)
		}
		body["records"] = []map[string]any{{"student_id": c.own, "status": "late"}, {"student_id": third, "status": "present"}}
		r = h.do("POST", "/api/v1/attendance/bulk", c.admin, body)
		if m := r.json(t); m["created"].(float64) != 1 || m["updated"].(float64) != 1 {
			t.Fatalf("second bulk: %s", r.Body)
		}
		if st := h.do("GET", "/api/v1/attendance?session=CS101&student_id="+fmt.Sprint(c.own), c.staff, nil).json(t)["items"].([]any)[0].(map[string]any)["status"]; st != "late" {
			t.Fatalf("overwritten status %v", st)
		}

		// One unknown student rejects the whole call, naming it.
		body["records"] = []map[string]any{{"student_id": c.own, "status": "absent"}, {"student_id": 999999, "status": "absent"}}
		r = h.do("POST", "/api/v1/attendance/bulk", c.staff, body)
		expectStatus(t, r, 422)
		if got := fmt.Sprint(fieldsOf(t, r)); got != "[records[1].student_id]" || !strings.Contains(string(r.Body), "999999") {
			t.Fatalf("unknown student: %s", r.Body)
		}
		if st := h.do("GET", "/api/v1/attendance?session=CS101&student_id="+fmt.Sprint(c.own), c.staff, nil).json(t)["items"].([]any)[0].(map[string]any)["status"]; st != "late" {
			t.Fatalf("a refused bulk call wrote: %v", st)
		}
		// Duplicates, empty and oversize calls.
		body["records"] = []map[string]any{{"student_id": c.own, "status": "absent"}, {"student_id": c.own, "status": "present"}}
		r = h.do("POST", "/api/v1/attendance/bulk", c.staff, body)
		expectStatus(t, r, 422)
		if got := fmt.Sprint(fieldsOf(t, r)); got != "[records[1].student_id]" {
			t.Fatalf("duplicate: %s", r.Body)
		}
		body["records"] = []map[string]any{}
		expectProblem(t, h.do("POST", "/api/v1/attendance/bulk", c.staff, body), 422, "")
		many := make([]map[string]any, attendance.MaxBatch+1)
		for i := range many {
			many[i] = map[string]any{"student_id": i + 1, "status": "present"}
		}
		body["records"] = many
		r = h.do("POST", "/api/v1/attendance/bulk", c.staff, body)
		expectStatus(t, r, 422)
		if got := fmt.Sprint(fieldsOf(t, r)); got != "[records]" {
			t.Fatalf("oversize: %s", r.Body)
		}
		expectProblem(t, h.do("POST", "/api/v1/attendance/bulk", c.student, body), 403, "")
	})
}

// TestAttendanceBulk10k marks 10 000 generated students in one request.
func TestAttendanceBulk10k(t *testing.T) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			h := newHarness(t, st.URL(t), nil)
			ctx := context.Background()
			repo := store.NewStudentRepository(h.app.DB)
			ids := make([]int64, attendance.MaxBatch)
			err := store.NewTxRunner(h.app.DB).InTx(ctx, func(ctx context.Context) error {
				for i := range ids {
					s, err := student.New(student.Fields{Name: "Gen", RollNo: fmt.Sprintf("GEN-%05d", i), Department: "Bulk", Semester: 1})
					if err != nil {
						return err
					}
					if err := repo.Create(ctx, &s); err != nil {
						return err
					}
					ids[i] = s.ID
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			records := make([]map[string]any, len(ids))
			for i, id := range ids {
				records[i] = map[string]any{"student_id": id, "status": []string{"present", "absent", "late"}[i%3]}
			}
			staff := h.token("staff1", "staff123")
			start := time.Now()
			r := h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": "2026-11-27", "records": records})
			expectStatus(t, r, 200)
			if m := r.json(t); m["created"].(float64) != attendance.MaxBatch || m["updated"].(float64) != 0 {
				t.Fatalf("10k bulk: %s", r.Body)
			}
			t.Logf("%s: 10 000 records in %v", st.Name, time.Since(start))
			r = h.do("GET", "/api/v1/attendance?session=daily&from=2026-11-27&to=2026-11-27&limit=1", staff, nil)
			if n := r.json(t)["total"].(float64); n != attendance.MaxBatch {
				t.Fatalf("%v rows after the bulk call", n)
			}
			events, err := store.NewOutbox(h.app.DB).Pending(ctx, 20000)
			if err != nil {
				t.Fatal(err)
			}
			if len(events) != attendance.MaxBatch {
				t.Fatalf("%d events, want one per created record", len(events))
			}
		})
	}
}

// codeAt forges nothing: it issues a code with the harness's SECRET_KEY, as
// the server would have at another time.
func codeAt(sessionID int64, at time.Time) string {
	c, _ := attendance.IssueCode(appattendance.CodeSigner([]byte(base["SECRET_KEY"])), sessionID, at, 30*time.Second)
	return c
}

func (c campus) openSession(t *testing.T, body map[string]any) int64 {
	t.Helper()
	now := time.Now().UTC()
	if _, ok := body["starts_at"]; !ok {
		body["starts_at"] = now.Add(-time.Minute).Format(time.RFC3339)
	}
	if _, ok := body["ends_at"]; !ok {
		body["ends_at"] = now.Add(time.Hour).Format(time.RFC3339)
	}
	r := c.do("POST", "/api/v1/attendance/sessions", c.staff, body)
	expectStatus(t, r, 201)
	return int64(r.json(t)["id"].(float64))
}

func (c campus) code(t *testing.T, id int64) string {
	t.Helper()
	r := c.do("GET", fmt.Sprintf("/api/v1/attendance/sessions/%d/code", id), c.staff, nil)
	expectStatus(t, r, 200)
	m := r.json(t)
	exp, err := time.Parse(time.RFC3339, m["expires_at"].(string))
	if err != nil || !exp.After(time.Now().Add(-time.Second)) || exp.After(time.Now().Add(31*time.Second)) {
		t.Fatalf("expires_at %v", m["expires_at"])
	}
	return m["code"].(string)
}

func TestCheckInSessions(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		c := newCampus(t, h)
		path := func(id int64, rest string) string { return fmt.Sprintf("/api/v1/attendance/sessions/%d%s", id, rest) }

		// Creating: validation, roles, the document.
		now := time.Now().UTC()
		r := h.do("POST", "/api/v1/attendance/sessions", c.staff, map[string]any{"starts_at": "soon", "ends_at": now.Format(time.RFC3339), "latitude": 1})
		expectStatus(t, r, 422)
		if got := fmt.Sprint(fieldsOf(t, r)); got != "[starts_at radius_m]" {
			t.Fatalf("fields %s", got)
		}
		expectProblem(t, h.do("POST", "/api/v1/attendance/sessions", c.staff, map[string]any{"starts_at": now.Format(time.RFC3339), "ends_at": now.Format(time.RFC3339)}), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/attendance/sessions", c.student, map[string]any{}), 403, "")
		id := c.openSession(t, map[string]any{"session": "CS101", "department": "Computer Science"})
		r = h.do("GET", path(id, ""), c.admin, nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["session"] != "CS101" || m["status"] != "open" || m["department"] != "Computer Science" || m["section"] != nil || m["date"] != now.Add(-time.Minute).Format(time.DateOnly) {
			t.Fatalf("session: %s", r.Body)
		}
		expectProblem(t, h.do("GET", path(999999, ""), c.staff, nil), 404, "")
		expectProblem(t, h.do("GET", path(id, ""), c.student, nil), 403, "")
		expectProblem(t, h.do("GET", path(id, "/code"), c.student, nil), 403, "")

		// The code as PNG is a scannable image.
		r = h.do("GET", path(id, "/code?format=PNG"), c.staff, nil)
		expectStatus(t, r, 200)
		if r.Header.Get("Content-Type") != "image/png" || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("png headers: %v", r.Header)
		}
		img, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil || img.Bounds().Dx() != 512 {
			t.Fatalf("png: %v %v", err, img)
		}
		expectProblem(t, h.do("GET", path(id, "/code?format=gif"), c.staff, nil), 422, "")

		// Check-in: students only; present within the grace.
		code := c.code(t, id)
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.staff, map[string]any{"code": code}), 403, "")
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{}), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": "c1.1.1.forged"}), 400, "Invalid check-in code")
		r = h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": code})
		expectStatus(t, r, 201)
		ci := r.json(t)
		if ci["status"] != "present" || int64(ci["student_id"].(float64)) != c.own || int64(ci["session_id"].(float64)) != id {
			t.Fatalf("check-in: %s", r.Body)
		}
		rec := h.do("GET", r.Header.Get("Location"), c.student, nil)
		expectStatus(t, rec, 200)
		if m := rec.json(t); m["session"] != "CS101" || m["status"] != "present" {
			t.Fatalf("record of the check-in: %s", rec.Body)
		}
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": code}), 409, "")

		// Live: the audience is Computer Science (student1's department).
		r = h.do("GET", path(id, "/live"), c.staff, nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["expected"].(float64) != 1 || m["present"].(float64) != 1 || m["absent"].(float64) != 0 {
			t.Fatalf("live: %s", r.Body)
		}
		expectProblem(t, h.do("GET", path(id, "/live"), c.student, nil), 403, "")

		// Refusals: expired and forged-for-this-session codes, audience,
		// geofence, closed; each recorded with its reason.
		late := c.openSession(t, map[string]any{"starts_at": now.Add(-20 * time.Minute).Format(time.RFC3339)})
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": codeAt(late, time.Now().Add(-2*time.Minute))}), 400, "")
		forged := codeAt(late, time.Now())
		forged = forged[:len(forged)-4] + "AAAA"
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": forged}), 400, "Invalid check-in code")
		// The previous step's code is still accepted; the mark is late.
		r = h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": codeAt(late, time.Now().Add(-30*time.Second))})
		expectStatus(t, r, 201)
		if r.json(t)["status"] != "late" {
			t.Fatalf("20 minutes in: %s", r.Body)
		}
		r = h.do("GET", path(late, "/attempts"), c.staff, nil)
		expectStatus(t, r, 200)
		reasons := []string{}
		for _, it := range r.json(t)["items"].([]any) {
			reasons = append(reasons, it.(map[string]any)["reason"].(string))
		}
		if fmt.Sprint(reasons) != "[expired_code invalid_code]" {
			t.Fatalf("attempts: %s", r.Body)
		}

		physics := c.openSession(t, map[string]any{"department": "Physics"})
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": c.code(t, physics)}), 400, "You are not in this session's audience")

		fenced := c.openSession(t, map[string]any{"latitude": 12.9716, "longitude": 77.5946, "radius_m": 100})
		fc := c.code(t, fenced)
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": fc}), 400, "")
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": fc, "latitude": 12.99, "longitude": 77.5946}), 400, "You are outside this session's area")
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": fc, "latitude": 120, "longitude": 77.5946}), 422, "")
		expectStatus(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": fc, "latitude": 12.9720, "longitude": 77.5946}), 201)
		r = h.do("GET", path(fenced, "/attempts"), c.admin, nil)
		if m := r.json(t); m["total"].(float64) != 2 {
			t.Fatalf("fenced attempts: %s", r.Body)
		}

		closing := c.openSession(t, map[string]any{})
		cc := c.code(t, closing)
		r = h.do("POST", path(closing, "/close"), c.staff, nil)
		expectStatus(t, r, 200)
		if r.json(t)["status"] != "closed" {
			t.Fatalf("closed: %s", r.Body)
		}
		expectProblem(t, h.do("POST", path(closing, "/close"), c.staff, nil), 409, "")
		expectProblem(t, h.do("POST", path(closing, "/close"), c.student, nil), 403, "")
		expectProblem(t, h.do("GET", path(closing, "/code"), c.staff, nil), 400, "This session is closed")
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": cc}), 400, "This session is closed")

		future := c.openSession(t, map[string]any{"starts_at": now.Add(time.Hour).Format(time.RFC3339), "ends_at": now.Add(2 * time.Hour).Format(time.RFC3339)})
		expectProblem(t, h.do("POST", "/api/v1/attendance/check-in", c.student, map[string]any{"code": c.code(t, future)}), 400, "This session has not started yet")
		if n := h.do("GET", path(future, "/attempts"), c.staff, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("not-open attempt not recorded: %v", n)
		}
		expectProblem(t, h.do("GET", path(999999, "/attempts"), c.staff, nil), 404, "")
	})
}

// TestCheckInConcurrent: two simultaneous scans of one student to one
// session give exactly one 201 and one 409.
func TestCheckInConcurrent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		c := newCampus(t, h)
		for round := 0; round < 3; round++ {
			id := c.openSession(t, map[string]any{"session": fmt.Sprintf("R%d", round)})
			code := c.code(t, id)
			body, _ := json.Marshal(map[string]any{"code": code})
			statuses := make([]int, 2)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range statuses {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					<-start
					req, _ := http.NewRequest("POST", "/api/v1/attendance/check-in", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Authorization", "Bearer "+c.student)
					resp, err := h.server.App().Test(req, -1)
					if err != nil {
						statuses[i] = -1
						return
					}
					statuses[i] = resp.StatusCode
					_ = resp.Body.Close()
				}(i)
			}
			close(start)
			wg.Wait()
			created, conflicts := 0, 0
			for _, s := range statuses {
				switch s {
				case 201:
					created++
				case 409:
					conflicts++
				}
			}
			if created != 1 || conflicts != 1 {
				t.Fatalf("round %d: statuses %v, want one 201 and one 409", round, statuses)
			}
			if n := h.do("GET", fmt.Sprintf("/api/v1/attendance?session=R%d", round), c.staff, nil).json(t)["total"].(float64); n != 1 {
				t.Fatalf("round %d: %v records", round, n)
			}
		}
	})
}
