package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/event"
)

// complaintActors are the seeded accounts, with their user ids.
type complaintActors struct {
	admin, staff, student, guest string
	staffID, studentUserID       int64
}

func complaintLogins(t *testing.T, h *harness) complaintActors {
	t.Helper()
	a := complaintActors{admin: h.token("admin", "admin123"), staff: h.token("staff1", "staff123"),
		student: h.token("student1", "student123"), guest: h.guestToken()}
	a.staffID = int64(h.do("GET", "/api/v1/auth/profile", a.staff, nil).json(t)["user_id"].(float64))
	a.studentUserID = int64(h.do("GET", "/api/v1/auth/profile", a.student, nil).json(t)["user_id"].(float64))
	return a
}

func utcTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("not an RFC 3339 time: %v", v)
	}
	if tm.Location() != time.UTC {
		t.Fatalf("not UTC: %v", v)
	}
	return tm
}

func errorFields(t *testing.T, m map[string]any) []string {
	t.Helper()
	var out []string
	errs, _ := m["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func sameList(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestComplaints(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		who := complaintLogins(t, h)
		other := h.do("POST", "/api/v1/students", who.staff, map[string]any{"name": "Other Pupil", "roll_no": "OT-001",
			"department": "Physics", "semester": 2, "section": "B"})
		expectStatus(t, other, 201)
		otherID := int64(other.json(t)["id"].(float64))
		valid := map[string]any{"title": "Broken heater", "description": "The heater in room 12 is broken."}

		// --- filing ---------------------------------------------------------
		r := h.do("POST", "/api/v1/complaints", who.student, valid)
		expectStatus(t, r, 201)
		own := r.json(t)
		ownID := int64(own["id"].(float64))
		if r.Header.Get("Location") != fmt.Sprintf("/api/v1/complaints/%d", ownID) {
			t.Fatalf("Location %q", r.Header.Get("Location"))
		}
		if own["student_id"].(float64) != 1 || own["status"] != "pending" || own["category"] != "other" || own["priority"] != "normal" ||
			own["assigned_to"] != nil || own["resolved_at"] != nil || own["filed_by"].(float64) != float64(who.studentUserID) {
			t.Fatalf("filed by a student: %s", r.Body)
		}
		if due, created := utcTime(t, own["due_at"]), utcTime(t, own["created_at"]); !due.Equal(created.Add(72 * time.Hour)) {
			t.Fatalf("normal priority due_at %v, created %v", due, created)
		}
		// Naming one's own record is fine; another's is not found.
		expectStatus(t, h.do("POST", "/api/v1/complaints", who.student, withFields(valid, map[string]any{"student_id": 1, "priority": "LOW"})), 201)
		expectProblem(t, h.do("POST", "/api/v1/complaints", who.student, withFields(valid, map[string]any{"student_id": otherID})), 404, "")

		// Staff must name an existing student.
		p := expectProblem(t, h.do("POST", "/api/v1/complaints", who.staff, valid), 422, "")
		if !sameList(errorFields(t, p), []string{"student_id"}) {
			t.Fatalf("staff without student_id: %v", p)
		}
		p = expectProblem(t, h.do("POST", "/api/v1/complaints", who.staff, withFields(valid, map[string]any{"student_id": 99999})), 422, "")
		if !sameList(errorFields(t, p), []string{"student_id"}) {
			t.Fatalf("unknown student: %v", p)
		}
		r = h.do("POST", "/api/v1/complaints", who.staff, withFields(valid, map[string]any{"student_id": otherID, "category": "Academic", "priority": "URGENT"}))
		expectStatus(t, r, 201)
		staffFiled := r.json(t)
		staffFiledID := int64(staffFiled["id"].(float64))
		if staffFiled["category"] != "academic" || staffFiled["priority"] != "urgent" {
			t.Fatalf("enums lower case on output: %s", r.Body)
		}
		if due, created := utcTime(t, staffFiled["due_at"]), utcTime(t, staffFiled["created_at"]); !due.Equal(created.Add(24 * time.Hour)) {
			t.Fatalf("urgent due_at %v, created %v", due, created)
		}
		r = h.do("POST", "/api/v1/complaints", who.admin, withFields(valid, map[string]any{"student_id": otherID, "priority": "high"}))
		expectStatus(t, r, 201)
		adminFiledID := int64(r.json(t)["id"].(float64))

		// Validation: every bad field at once.
		p = expectProblem(t, h.do("POST", "/api/v1/complaints", who.staff, map[string]any{"student_id": otherID, "title": "abcd",
			"description": "too short", "category": "food", "priority": "asap"}), 422, "")
		if !sameList(errorFields(t, p), []string{"title", "description", "category", "priority"}) {
			t.Fatalf("validation: %v", p)
		}
		expectProblem(t, h.do("POST", "/api/v1/complaints", who.staff, map[string]any{"student_id": "one", "title": "Heater"}), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/complaints", who.staff, `{"title":`), 400, "")
		expectProblem(t, h.do("POST", "/api/v1/complaints", who.guest, valid), 403, "Insufficient permissions")
		expectProblem(t, h.do("POST", "/api/v1/complaints", "", valid), 401, "")

		// --- reading --------------------------------------------------------
		r = h.do("GET", "/api/v1/complaints", who.staff, nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["total"].(float64) != 4 || r.Header.Get("X-Total-Count") != "4" {
			t.Fatalf("staff list: %s", r.Body)
		}
		if m := h.do("GET", "/api/v1/complaints", who.student, nil).json(t); m["total"].(float64) != 2 {
			t.Fatalf("a student sees only their own: %v", m)
		}
		if m := h.do("GET", fmt.Sprintf("/api/v1/complaints?student_id=%d", otherID), who.student, nil).json(t); m["total"].(float64) != 0 {
			t.Fatalf("a student asking for another's complaints: %v", m)
		}
		for q, want := range map[string]float64{
			"status=PENDING": 4, "category=academic": 1, "priority=urgent": 1, "priority=low": 1,
			fmt.Sprintf("student_id=%d", otherID): 2, "student_id=1&limit=1": 2, "overdue=true": 0, "overdue=false": 4,
		} {
			r := h.do("GET", "/api/v1/complaints?"+q, who.admin, nil)
			expectStatus(t, r, 200)
			if got := r.json(t)["total"].(float64); got != want {
				t.Errorf("?%s: total %v, want %v", q, got, want)
			}
		}
		if link := h.do("GET", "/api/v1/complaints?student_id=1&limit=1", who.staff, nil).Header.Get("Link"); link == "" {
			t.Error("no Link header on a partial page")
		}
		p = expectProblem(t, h.do("GET", "/api/v1/complaints?status=open&overdue=maybe&student_id=x", who.staff, nil), 422, "")
		if len(errorFields(t, p)) != 3 {
			t.Fatalf("filter validation: %v", p)
		}
		expectProblem(t, h.do("GET", "/api/v1/complaints", who.guest, nil), 403, "Insufficient permissions")

		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", ownID), who.student, nil), 200)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", staffFiledID), who.student, nil), 404, "Complaint not found")
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", staffFiledID), who.staff, nil), 200)
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", ownID), who.admin, nil), 200)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", ownID), who.guest, nil), 403, "")
		expectProblem(t, h.do("GET", "/api/v1/complaints/99999", who.staff, nil), 404, "")
		expectProblem(t, h.do("GET", "/api/v1/complaints/abc", who.staff, nil), 404, "")

		// Overdue: a complaint past due_at while open.
		if _, err := h.app.DB.Bun().NewUpdate().Table("complaints").Set("due_at = ?", time.Now().UTC().Add(-time.Hour)).
			Where("id IN (?, ?)", staffFiledID, adminFiledID).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		if m := h.do("GET", "/api/v1/complaints?overdue=true", who.staff, nil).json(t); m["total"].(float64) != 2 {
			t.Fatalf("overdue: %v", m)
		}

		// --- changing -------------------------------------------------------
		patch := func(id int64, token string, body any) response {
			return h.do("PATCH", fmt.Sprintf("/api/v1/complaints/%d", id), token, body)
		}
		expectProblem(t, patch(ownID, who.student, map[string]any{"status": "in_progress"}), 403, "Insufficient permissions")
		expectProblem(t, patch(ownID, who.guest, map[string]any{"status": "in_progress"}), 403, "")
		expectProblem(t, patch(ownID, who.staff, map[string]any{"status": "resolved"}), 409, "A complaint cannot move from pending to resolved")
		p = expectProblem(t, patch(ownID, who.staff, map[string]any{"status": "done", "priority": "asap"}), 422, "")
		if !sameList(errorFields(t, p), []string{"status", "priority"}) {
			t.Fatalf("patch validation: %v", p)
		}
		expectProblem(t, patch(99999, who.staff, map[string]any{"status": "in_progress"}), 404, "")

		// Assignment: only an active staff or admin account.
		p = expectProblem(t, patch(ownID, who.staff, map[string]any{"assigned_to": who.studentUserID}), 422, "")
		if !sameList(errorFields(t, p), []string{"assigned_to"}) {
			t.Fatalf("assign to a student: %v", p)
		}
		expectProblem(t, patch(ownID, who.staff, map[string]any{"assigned_to": 99999}), 422, "")

		r = patch(ownID, who.staff, map[string]any{"status": "IN_PROGRESS", "priority": "high", "assigned_to": who.staffID, "note": "On it"})
		expectStatus(t, r, 200)
		m := r.json(t)
		if m["status"] != "in_progress" || m["priority"] != "high" || m["assigned_to"].(float64) != float64(who.staffID) {
			t.Fatalf("moved: %s", r.Body)
		}
		if due, created := utcTime(t, m["due_at"]), utcTime(t, m["created_at"]); !due.Equal(created.Add(48 * time.Hour)) {
			t.Fatalf("due_at not recomputed from created_at: %v vs %v", due, created)
		}
		// The same values again are no change (and no history entry).
		expectStatus(t, patch(ownID, who.staff, map[string]any{"status": "in_progress", "priority": "HIGH"}), 200)
		expectStatus(t, patch(ownID, who.staff, map[string]any{}), 200)

		r = patch(ownID, who.admin, map[string]any{"status": "resolved", "resolution": "Heater replaced"})
		expectStatus(t, r, 200)
		m = r.json(t)
		if m["resolved_at"] == nil || m["resolved_by"] == nil || m["resolution"] != "Heater replaced" {
			t.Fatalf("resolved: %s", r.Body)
		}
		utcTime(t, m["resolved_at"])
		r = patch(ownID, who.staff, map[string]any{"status": "in_progress", "note": "Still cold"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["resolved_at"] != nil || m["resolved_by"] != nil || m["status"] != "in_progress" {
			t.Fatalf("reopened: %s", r.Body)
		}
		expectStatus(t, patch(ownID, who.staff, map[string]any{"status": "resolved"}), 200)
		r = patch(ownID, who.staff, map[string]any{"status": "closed"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["status"] != "closed" || m["resolved_by"].(float64) != float64(who.staffID) {
			t.Fatalf("closed: %s", r.Body)
		}
		expectProblem(t, patch(ownID, who.staff, map[string]any{"status": "in_progress"}), 409, "")
		expectProblem(t, patch(ownID, who.staff, map[string]any{"priority": "urgent"}), 409, "")

		// Dismissal needs a resolution.
		p = expectProblem(t, patch(staffFiledID, who.staff, map[string]any{"status": "closed"}), 422, "")
		if !sameList(errorFields(t, p), []string{"resolution"}) {
			t.Fatalf("dismissal without resolution: %v", p)
		}
		r = patch(staffFiledID, who.staff, map[string]any{"status": "closed", "resolution": "Duplicate"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["status"] != "closed" || m["resolved_at"] != nil {
			t.Fatalf("dismissed: %s", r.Body)
		}
		if m := h.do("GET", "/api/v1/complaints?overdue=true", who.staff, nil).json(t); m["total"].(float64) != 1 {
			t.Fatalf("a closed complaint is not overdue: %v", m)
		}

		// --- history --------------------------------------------------------
		r = h.do("GET", fmt.Sprintf("/api/v1/complaints/%d/history", ownID), who.student, nil)
		expectStatus(t, r, 200)
		hist := r.json(t)
		items := hist["items"].([]any)
		// filed, in_progress+priority+assign, resolved, reopened, resolved, closed
		if hist["total"].(float64) != 6 || len(items) != 6 {
			t.Fatalf("history: %s", r.Body)
		}
		first := items[0].(map[string]any)
		if first["action"] != "filed" || first["by"].(float64) != float64(who.studentUserID) {
			t.Fatalf("first entry: %v", first)
		}
		second := items[1].(map[string]any)
		if second["note"] != "On it" || second["by"].(float64) != float64(who.staffID) || second["action"] != "changed" {
			t.Fatalf("second entry: %v", second)
		}
		utcTime(t, second["at"])
		changes := map[string]map[string]any{}
		for _, c := range second["changes"].([]any) {
			c := c.(map[string]any)
			changes[c["field"].(string)] = c
		}
		if changes["status"]["from"] != "pending" || changes["status"]["to"] != "in_progress" ||
			changes["priority"]["from"] != "normal" || changes["priority"]["to"] != "high" ||
			changes["assigned_to"]["from"] != nil || changes["assigned_to"]["to"].(float64) != float64(who.staffID) || changes["due_at"] == nil {
			t.Fatalf("second entry's changes: %v", changes)
		}
		fourth := items[3].(map[string]any)
		if fourth["note"] != "Still cold" {
			t.Fatalf("reopen entry: %v", fourth)
		}
		if m := h.do("GET", fmt.Sprintf("/api/v1/complaints/%d/history?limit=2&offset=4", ownID), who.staff, nil).json(t); len(m["items"].([]any)) != 2 {
			t.Fatalf("history paging: %v", m)
		}
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d/history", staffFiledID), who.student, nil), 404, "Complaint not found")
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/complaints/%d/history", ownID), who.guest, nil), 403, "")
		expectProblem(t, h.do("GET", "/api/v1/complaints/99999/history", who.staff, nil), 404, "")

		// --- audit and events -----------------------------------------------
		a := h.do("GET", "/api/v1/audit-logs?resource=complaint&action=update", who.admin, nil).json(t)
		if a["total"].(float64) != 6 { // 5 changes of ownID + the dismissal
			t.Fatalf("audited updates: %v", a["total"])
		}
		entry := a["items"].([]any)[0].(map[string]any)
		if entry["before"].(map[string]any)["status"] != "pending" || entry["after"].(map[string]any)["status"] != "in_progress" {
			t.Fatalf("audit before/after: %v", entry)
		}
		pending, err := store.NewOutbox(h.app.DB).Pending(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range pending {
			counts[e.Type]++
			if e.Type == event.ComplaintChanged && e.AggregateID == fmt.Sprint(ownID) && counts[e.Type] == 1 {
				ch := e.Payload["changes"].(map[string]any)["status"].(map[string]any)
				if ch["from"] != "pending" || ch["to"] != "in_progress" || e.Payload["by"].(float64) != float64(who.staffID) {
					t.Fatalf("complaint.changed payload: %v", e.Payload)
				}
			}
		}
		if counts[event.ComplaintFiled] != 4 || counts[event.ComplaintChanged] != 6 {
			t.Fatalf("events: %v", counts)
		}
	})
}

// TestComplaintsStudentWithoutRecord: a student account linked to no record
// has nothing to file for and sees no complaints.
func TestComplaintsStudentWithoutRecord(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	r := h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "loner", "email": "loner@elsewhere.edu",
		"password": "quiet-reading-room-7", "full_name": "Lone Student"})
	expectStatus(t, r, http.StatusCreated)
	tok := h.token("loner", "quiet-reading-room-7")
	expectProblem(t, h.do("POST", "/api/v1/complaints", tok, map[string]any{"title": "Broken heater", "description": "The heater is broken."}),
		403, "Your account is not linked to a student record")
	if m := h.do("GET", "/api/v1/complaints", tok, nil).json(t); m["total"].(float64) != 0 || len(m["items"].([]any)) != 0 {
		t.Fatalf("unlinked student list: %v", m)
	}
}

func withFields(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
