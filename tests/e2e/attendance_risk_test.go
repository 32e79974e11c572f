package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// riskView is an attendance risk as GET /risks shows it, with its factors
// by name.
type riskView struct {
	ID          float64
	Severity    string
	Status      string
	Source      string
	Description string
	ResolvedBy  any
	Factors     map[string]any
}

// attendanceRisks lists the student's attendance risk records.
func attendanceRisks(t *testing.T, h *harness, tok string, studentID int64, status string) []riskView {
	t.Helper()
	path := fmt.Sprintf("/api/v1/risks?student_id=%d&risk_type=attendance&limit=100", studentID)
	if status != "" {
		path += "&status=" + status
	}
	r := h.do("GET", path, tok, nil)
	expectStatus(t, r, http.StatusOK)
	var out []riskView
	for _, it := range r.json(t)["items"].([]any) {
		m := it.(map[string]any)
		v := riskView{ID: m["id"].(float64), Severity: m["severity"].(string), Status: m["status"].(string),
			Source: m["source"].(string), Description: m["description"].(string), ResolvedBy: m["resolved_by"], Factors: map[string]any{}}
		for _, f := range m["factors"].([]any) {
			fm := f.(map[string]any)
			v.Factors[fm["name"].(string)] = fm["value"]
		}
		out = append(out, v)
	}
	return out
}

// waitRisk polls until the student's attendance records satisfy ok (the
// worker processes the marks' events in the background).
func waitRisk(t *testing.T, h *harness, tok string, studentID int64, what string, ok func([]riskView) bool) []riskView {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rs := attendanceRisks(t, h, tok, studentID, "")
		if ok(rs) {
			return rs
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %+v", what, rs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// notificationsOf lists the caller's notifications' kinds and titles.
func notificationsOf(t *testing.T, h *harness, tok string) []map[string]any {
	t.Helper()
	r := h.do("GET", "/api/v1/notifications?limit=100", tok, nil)
	expectStatus(t, r, http.StatusOK)
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

// runAgent runs the agent now as admin and waits for its task to complete.
func runAgent(t *testing.T, h *harness, admin, name string) string {
	t.Helper()
	r := h.do("POST", "/api/v1/agents/"+name+"/run", admin, nil)
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")
	deadline := time.Now().Add(15 * time.Second)
	for {
		task := h.do("GET", "/api/v1/tasks/"+id, admin, nil)
		expectStatus(t, task, http.StatusOK)
		if task.str(t, "status") == "completed" {
			if task.str(t, "type") != "attendance:assess-risk" {
				t.Fatalf("task: %s", task.Body)
			}
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("task never completed: %s", task.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAttendanceRiskAgent: marks through the API raise one attendance risk
// for the student, updated in place as more marks come, told once to the
// student and their department's staff, kept open while the rate is just
// above the warning threshold and resolved once it clears the margin; the
// nightly pass runs on demand, and a disabled agent's runs are skipped.
func TestAttendanceRiskAgent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		admin, staff, student := h.token("admin", "admin123"), h.token("staff1", "staff123"), h.token("student1", "student123")
		sid := int64(h.do("GET", "/api/v1/auth/profile", student, nil).json(t)["student_id"].(float64))
		if dept := h.do("GET", fmt.Sprintf("/api/v1/students/%d", sid), staff, nil).str(t, "department"); dept != "Computer Science" {
			t.Fatalf("student1's department: %q", dept)
		}

		// Departments: staff1 looks after Computer Science, a second staff
		// member Physics.
		staffID := userID(t, h, staff)
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), staff, map[string]any{"department": "Computer Science"}), 403, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"department": strings.Repeat("x", 101)}), 422, "")
		r := h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"department": " Computer Science "})
		expectStatus(t, r, http.StatusOK)
		if r.str(t, "department") != "Computer Science" || r.str(t, "role") != "staff" {
			t.Fatalf("patch department: %s", r.Body)
		}
		if h.do("GET", fmt.Sprintf("/api/v1/users/%d", staffID), admin, nil).str(t, "department") != "Computer Science" {
			t.Fatal("department not kept")
		}
		r = h.do("POST", "/api/v1/auth/register", admin, map[string]any{"username": "physics1", "email": "physics1@campus.edu",
			"password": "quantum-mechanics-2026", "full_name": "Physics Staff", "role": "staff"})
		expectStatus(t, r, http.StatusCreated)
		physicsID := int64(r.json(t)["user_id"].(float64))
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", physicsID), admin, map[string]any{"department": "Physics"}), http.StatusOK)
		physics := h.token("physics1", "quantum-mechanics-2026")
		// null clears, absent leaves alone.
		r = h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", physicsID), admin, map[string]any{"department": nil})
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["department"] != nil {
			t.Fatalf("null did not clear: %s", r.Body)
		}
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", physicsID), admin, map[string]any{"department": "Physics"}), http.StatusOK)
		if r := h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", physicsID), admin, map[string]any{"is_active": true}); r.str(t, "department") != "Physics" {
			t.Fatalf("a patch without department changed it: %s", r.Body)
		}

		today := time.Now().UTC() // TIMEZONE is UTC here
		markDay := func(daysAgo int, session, status string) {
			t.Helper()
			r := h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": today.AddDate(0, 0, -daysAgo).Format(time.DateOnly),
				"session": session, "records": []map[string]any{{"student_id": sid, "status": status}}})
			expectStatus(t, r, http.StatusOK)
		}
		counted := func(n float64) func([]riskView) bool {
			return func(rs []riskView) bool { return len(rs) == 1 && rs[0].Factors["counted_records"] == n }
		}

		// Six days present, then absences: no prefix of these marks is
		// critical (rate ≥ 0.5, fewer than 5 absences in a row), so only
		// the creation is told.
		for d := 20; d >= 15; d-- {
			markDay(d, "daily", "present")
		}
		for i, st := range []string{"absent", "absent", "absent", "present", "absent", "absent"} {
			markDay(14-i, "daily", st)
		}
		rs := waitRisk(t, h, staff, sid, "the risk of 12 counted records", counted(12))
		first := rs[0]
		if first.Status != "open" || first.Severity != "high" || first.Source != "attendance-risk" ||
			first.Factors["attendance_rate"] != 0.5833 || first.Factors["consecutive_absences"] != 2.0 ||
			first.Factors["warn_threshold"] != 0.75 || first.Factors["high_threshold"] != 0.6 ||
			!strings.Contains(first.Description, "Attendance 58% over the last 30 days (7 of 12 counted records attended)") {
			t.Fatalf("risk after 12 marks: %+v", first)
		}
		for _, k := range []string{"trend", "absent_records", "excused_records", "counted_records"} {
			if _, ok := first.Factors[k]; !ok {
				t.Fatalf("factor %s missing: %+v", k, first.Factors)
			}
		}

		// One more absence: the same record, updated in place.
		markDay(8, "daily", "absent")
		rs = waitRisk(t, h, staff, sid, "13 counted records", counted(13))
		if rs[0].ID != first.ID || rs[0].Severity != "high" || rs[0].Factors["consecutive_absences"] != 3.0 {
			t.Fatalf("risk after 13 marks: %+v (first %v)", rs[0], first.ID)
		}

		// Told once: the student, staff1 (Computer Science); not Physics,
		// not the admins (the department has staff).
		for who, tok := range map[string]string{"student": student, "staff1": staff} {
			ns := notificationsOf(t, h, tok)
			if len(ns) != 1 || ns[0]["kind"] != "risk.opened" || ns[0]["resource"] != "risk" ||
				ns[0]["resource_id"] != fmt.Sprint(first.ID) {
				t.Fatalf("%s's notifications: %v", who, ns)
			}
		}
		if !strings.Contains(notificationsOf(t, h, staff)[0]["title"].(string), "Student One (CS2026001)") {
			t.Fatalf("staff title: %v", notificationsOf(t, h, staff)[0])
		}
		for who, tok := range map[string]string{"physics1": physics, "admin": admin} {
			if ns := notificationsOf(t, h, tok); len(ns) != 0 {
				t.Fatalf("%s was told: %v", who, ns)
			}
		}

		// Recovery: 21 of 27 (0.78) is above warn but not above warn + 0.05:
		// still open, at medium.
		for d := 7; d >= 1; d-- {
			markDay(d, "daily", "present")
			markDay(d, "afternoon", "present")
		}
		rs = waitRisk(t, h, staff, sid, "27 counted records", counted(27))
		if rs[0].ID != first.ID || rs[0].Status != "open" || rs[0].Severity != "medium" || rs[0].Factors["attendance_rate"] != 0.7778 {
			t.Fatalf("recovering risk: %+v", rs[0])
		}
		// 22/28, 23/29, 24/30 (0.80: not above 0.80), then 25 of 31 (0.81):
		// resolved by the agent, by no user, at the last of these marks.
		for d := 4; d >= 1; d-- {
			markDay(d, "evening", "present")
		}
		rs = waitRisk(t, h, staff, sid, "the resolution", func(rs []riskView) bool { return len(rs) == 1 && rs[0].Status == "resolved" })
		if rs[0].ID != first.ID || rs[0].ResolvedBy != nil || !strings.HasPrefix(rs[0].Description, "Resolved automatically: Attendance 81% over the last 30 days (25 of 31 counted records attended)") {
			t.Fatalf("resolved risk: %+v", rs[0])
		}
		if open := attendanceRisks(t, h, staff, sid, "open"); len(open) != 0 {
			t.Fatalf("still open: %+v", open)
		}
		if ns := notificationsOf(t, h, student); len(ns) != 1 {
			t.Fatalf("the student was told again: %v", ns)
		}

		// The nightly pass, run now: it finds nothing to change.
		taskID := runAgent(t, h, admin, "attendance-risk")
		runs := h.do("GET", "/api/v1/agents/attendance-risk/runs", admin, nil)
		expectStatus(t, runs, http.StatusOK)
		var run map[string]any
		for _, it := range runs.json(t)["items"].([]any) {
			if m := it.(map[string]any); m["task_id"] == taskID {
				run = m
			}
		}
		if run == nil || run["outcome"] != "succeeded" {
			t.Fatalf("nightly run: %s", runs.Body)
		}
		counts := run["counts"].(map[string]any)
		if counts["assessed"].(float64) < 1 || counts["created"] != 0.0 || counts["updated"] != 0.0 || counts["failed"] != 0.0 {
			t.Fatalf("nightly counts: %v", counts)
		}
		if rs := attendanceRisks(t, h, staff, sid, ""); len(rs) != 1 {
			t.Fatalf("the nightly pass changed the records: %+v", rs)
		}

		// Disabled: its runs (the marks' and run now's) complete as skipped
		// and do nothing, though 25 of 37 (0.68) would raise a risk.
		waitRelayed(t, h)
		agentRuns := func() float64 {
			return h.do("GET", "/api/v1/agents/attendance-risk", admin, nil).json(t)["runs"].(float64)
		}
		deadline := time.Now().Add(15 * time.Second)
		// The marks' runs have settled: unchanged over more than a batch window.
		for before := -1.0; agentRuns() != before; time.Sleep(1200 * time.Millisecond) {
			before = agentRuns()
			if time.Now().After(deadline) {
				t.Fatal("the agent's runs never settled")
			}
		}
		before := agentRuns()
		expectStatus(t, h.do("PATCH", "/api/v1/agents/attendance-risk", admin, map[string]any{"enabled": false}), http.StatusOK)
		for d := 6; d >= 1; d-- {
			markDay(d, "night", "absent")
		}
		nowID := runAgent(t, h, admin, "attendance-risk")
		// The six marks' runs are recorded together (a batch per second),
		// run now's on its own: all skipped.
		deadline = time.Now().Add(15 * time.Second)
		for {
			items := h.do("GET", "/api/v1/agents/attendance-risk/runs?limit=10", admin, nil).json(t)["items"].([]any)
			events, ranNow := 0.0, false
			for _, it := range items {
				run := it.(map[string]any)
				if run["outcome"] != "skipped" {
					continue
				}
				if run["task_id"] == nowID {
					ranNow = true
				} else if c, ok := run["counts"].(map[string]any); ok && c["events"] != nil {
					events += c["events"].(float64)
				}
			}
			if ranNow && events >= 6 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("skipped runs: run now %v, events %v; runs %v", ranNow, events, items)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if agentRuns() < before+2 {
			t.Fatalf("runs: %v, want at least %v", agentRuns(), before+2)
		}
		a := h.do("GET", "/api/v1/agents/attendance-risk", admin, nil).json(t)
		if a["enabled"] != false || a["failures"] != 0.0 {
			t.Fatalf("disabled agent: %v", a)
		}
		if rs := attendanceRisks(t, h, staff, sid, "open"); len(rs) != 0 {
			t.Fatalf("a disabled agent raised a risk: %+v", rs)
		}
	})
}

// TestUserDepartmentInOpenAPI: the document shows department on the
// account and in PATCH /users/{id} (as NullableString: string or null).
func TestUserDepartmentInOpenAPI(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	r := h.do("GET", "/openapi.json", "", nil)
	expectStatus(t, r, http.StatusOK)
	doc := r.json(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	resolve := func(s map[string]any) map[string]any {
		if ref, ok := s["$ref"].(string); ok {
			if got, ok := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any); ok {
				return got
			}
		}
		return s
	}
	body := func(m map[string]any) map[string]any {
		return resolve(m["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any))
	}
	op := doc["paths"].(map[string]any)["/api/v1/users/{id}"].(map[string]any)["patch"].(map[string]any)
	dept, ok := body(op["requestBody"].(map[string]any))["properties"].(map[string]any)["department"].(map[string]any)
	if !ok || (dept["$ref"] != "#/components/schemas/NullableString" && (dept["type"] != "string" || dept["nullable"] != true)) {
		t.Fatalf("PATCH /users/{id} department: %v", dept)
	}
	resp := body(op["responses"].(map[string]any)["200"].(map[string]any))
	if _, ok := resp["properties"].(map[string]any)["department"]; !ok {
		t.Fatalf("the account shows no department: %v", resp)
	}
}
