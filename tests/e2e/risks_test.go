package e2e

import (
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRisks drives the risk records and the student risk view through the
// router: every route, every role's outcome, validation, 404s and 409s.
func TestRisks(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		admin := h.token("admin", "admin123")
		student := h.token("student1", "student123")
		guest := h.guestToken()

		r := h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Other Pupil", "roll_no": "OT-1", "department": "Physics", "semester": 2})
		expectStatus(t, r, http.StatusCreated)
		other := int(r.json(t)["id"].(float64))

		// Create: enums any case in, lower case out; source is manual.
		r = h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": 1, "risk_type": "ATTENDANCE", "severity": "High",
			"description": "Absent 6 of the last 10 days", "score": 61.5,
			"factors": []map[string]any{{"name": "absence_rate", "value": 0.6, "weight": 0.8, "contribution": 48}}})
		expectStatus(t, r, http.StatusCreated)
		high := r.json(t)
		highID := int(high["id"].(float64))
		if high["risk_type"] != "attendance" || high["severity"] != "high" || high["status"] != "open" || high["source"] != "manual" ||
			high["score"].(float64) != 61.5 || high["resolved_at"] != nil || high["action_taken"] != nil ||
			r.Header.Get("Location") != fmt.Sprintf("/api/v1/risks/%d", highID) {
			t.Fatalf("created: %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		if f := high["factors"].([]any)[0].(map[string]any); f["name"] != "absence_rate" || f["value"].(float64) != 0.6 {
			t.Fatalf("factors: %v", high["factors"])
		}
		if _, err := time.Parse(time.RFC3339, high["created_at"].(string)); err != nil || !strings.HasSuffix(high["created_at"].(string), "Z") {
			t.Fatalf("created_at %v is not RFC 3339 UTC", high["created_at"])
		}
		medium := h.do("POST", "/api/v1/risks", admin, map[string]any{"student_id": 1, "risk_type": "academic", "severity": "medium",
			"description": "Failing maths"})
		expectStatus(t, medium, http.StatusCreated)
		mediumID := int(medium.json(t)["id"].(float64))
		if f := medium.json(t)["factors"]; f == nil || len(f.([]any)) != 0 {
			t.Fatalf("factors of a record without any: %v", f)
		}
		expectStatus(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": other, "risk_type": "health", "severity": "critical",
			"description": "Hospitalised"}), http.StatusCreated)
		expectStatus(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"risk_type": "schedule", "severity": "low",
			"description": "Timetable clash for the whole cohort"}), http.StatusCreated)

		// Validation: every bad field named; unknown student; wrong types.
		p := expectProblem(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"risk_type": "money", "severity": "severe",
			"score": 101, "description": ""}), http.StatusUnprocessableEntity, "")
		if got := fieldNames(p); got != "risk_type,severity,score,description" {
			t.Fatalf("fields: %s", got)
		}
		p = expectProblem(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"student_id": 999999, "risk_type": "other", "severity": "low",
			"description": "x"}), http.StatusUnprocessableEntity, "")
		if fieldNames(p) != "student_id" {
			t.Fatalf("unknown student: %v", p)
		}
		expectProblem(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"risk_type": "other", "severity": "low", "description": "x",
			"factors": []map[string]any{{"name": "n", "value": map[string]any{"nested": true}}}}), http.StatusUnprocessableEntity, "")
		expectProblem(t, h.do("POST", "/api/v1/risks", staff, map[string]any{"risk_type": 3}), http.StatusUnprocessableEntity, "")
		expectProblem(t, h.do("POST", "/api/v1/risks", staff, "{broken"), http.StatusBadRequest, "")

		// Reads and filters.
		r = h.do("GET", fmt.Sprintf("/api/v1/risks/%d", highID), admin, nil)
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["description"] != "Absent 6 of the last 10 days" {
			t.Fatalf("get: %s", r.Body)
		}
		expectProblem(t, h.do("GET", "/api/v1/risks/999999", staff, nil), http.StatusNotFound, "Risk not found")
		expectProblem(t, h.do("GET", "/api/v1/risks/abc", staff, nil), http.StatusNotFound, "")
		r = h.do("GET", "/api/v1/risks?limit=2", staff, nil)
		expectStatus(t, r, http.StatusOK)
		if m := r.json(t); m["total"].(float64) != 4 || len(m["items"].([]any)) != 2 || r.Header.Get("X-Total-Count") != "4" ||
			!strings.Contains(r.Header.Get("Link"), `rel="next"`) {
			t.Fatalf("page: %s", r.Body)
		}
		for q, want := range map[string]float64{"student_id=1": 2, "severity=HIGH": 1, "risk_type=health": 1, "status=open": 4,
			"status=resolved": 0, fmt.Sprintf("student_id=%d&severity=critical", other): 1} {
			r := h.do("GET", "/api/v1/risks?"+q, staff, nil)
			expectStatus(t, r, http.StatusOK)
			if got := r.json(t)["total"].(float64); got != want {
				t.Errorf("?%s: %v, want %v", q, got, want)
			}
		}
		p = expectProblem(t, h.do("GET", "/api/v1/risks?status=closed&severity=x&risk_type=y&student_id=z", staff, nil), http.StatusUnprocessableEntity, "")
		if got := fieldNames(p); got != "student_id,status,severity,risk_type" {
			t.Fatalf("filter fields: %s", got)
		}

		// The risk view: open records combine; a student reads only their own.
		view := func(token string, id int) response {
			return h.do("GET", fmt.Sprintf("/api/v1/students/%d/risk", id), token, nil)
		}
		r = view(student, 1)
		expectStatus(t, r, http.StatusOK)
		v := r.json(t)
		// high 50 and medium 25: 100·(1 − 0.5·0.75) = 62.5.
		if v["student_id"].(float64) != 1 || v["score"].(float64) != 62.5 || v["level"] != "high" || len(v["risks"].([]any)) != 2 {
			t.Fatalf("view: %s", r.Body)
		}
		sum := 0.0
		for _, f := range v["factors"].([]any) {
			sum += f.(map[string]any)["contribution"].(float64)
		}
		if math.Abs(sum-62.5) > 0.02 {
			t.Fatalf("contributions add to %v", sum)
		}
		if f := v["factors"].([]any)[0].(map[string]any); f["name"] != "attendance" || f["value"] != "high" || f["weight"].(float64) != 50 {
			t.Fatalf("first factor: %v", f)
		}
		expectProblem(t, view(student, other), http.StatusNotFound, "Student not found")
		expectProblem(t, view(guest, 1), http.StatusForbidden, "Insufficient permissions")
		expectProblem(t, view("", 1), http.StatusUnauthorized, "")
		expectStatus(t, view(staff, other), http.StatusOK)
		if m := view(admin, other).json(t); m["score"].(float64) != 80 || m["level"] != "critical" {
			t.Fatalf("other's view: %v", m)
		}
		expectProblem(t, view(staff, 999999), http.StatusNotFound, "Student not found")

		// PATCH: resolve records who and when; twice is a conflict.
		staffID := h.do("GET", "/api/v1/auth/profile", staff, nil).json(t)["user_id"].(float64)
		path := fmt.Sprintf("/api/v1/risks/%d", highID)
		r = h.do("PATCH", path, staff, map[string]any{"status": "RESOLVED", "action_taken": "Met the parents"})
		expectStatus(t, r, http.StatusOK)
		m := r.json(t)
		if m["status"] != "resolved" || m["resolved_at"] == nil || m["resolved_by"].(float64) != staffID || m["action_taken"] != "Met the parents" {
			t.Fatalf("resolved: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", path, admin, map[string]any{"resolve": true}), http.StatusConflict, "The risk is already resolved")
		expectProblem(t, h.do("PATCH", path, staff, map[string]any{"severity": "low"}), http.StatusBadRequest, "")
		if got := h.do("GET", path, staff, nil).json(t); got["severity"] != "high" || got["resolved_by"].(float64) != staffID {
			t.Fatalf("refused changes changed the record: %v", got)
		}
		// Resolved records leave the score.
		if m := view(student, 1).json(t); m["score"].(float64) != 25 || m["level"] != "medium" || len(m["risks"].([]any)) != 1 {
			t.Fatalf("view after resolve: %v", m)
		}
		r = h.do("PATCH", path, staff, map[string]any{"status": "open", "severity": "critical", "action_taken": nil})
		expectStatus(t, r, http.StatusOK)
		if m := r.json(t); m["status"] != "open" || m["resolved_at"] != nil || m["resolved_by"] != nil || m["severity"] != "critical" || m["action_taken"] != nil {
			t.Fatalf("reopened: %s", r.Body)
		}
		r = h.do("PATCH", fmt.Sprintf("/api/v1/risks/%d", mediumID), admin, map[string]any{"resolve": true})
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["status"] != "resolved" {
			t.Fatalf("resolve: true: %s", r.Body)
		}
		p = expectProblem(t, h.do("PATCH", path, staff, map[string]any{}), http.StatusUnprocessableEntity, "")
		if fieldNames(p) != "status" {
			t.Fatalf("empty patch: %v", p)
		}
		p = expectProblem(t, h.do("PATCH", path, staff, map[string]any{"status": "closed", "severity": "none"}), http.StatusUnprocessableEntity, "")
		if fieldNames(p) != "status,severity" {
			t.Fatalf("bad patch: %v", p)
		}
		expectProblem(t, h.do("PATCH", path, staff, map[string]any{"resolve": false}), http.StatusUnprocessableEntity, "")
		expectProblem(t, h.do("PATCH", "/api/v1/risks/999999", staff, map[string]any{"resolve": true}), http.StatusNotFound, "")

		// Students and guests hold no RISK_ASSESSMENT: every /risks route is 403.
		for _, tok := range []string{student, guest} {
			expectProblem(t, h.do("GET", "/api/v1/risks", tok, nil), http.StatusForbidden, "Insufficient permissions")
			expectProblem(t, h.do("GET", path, tok, nil), http.StatusForbidden, "Insufficient permissions")
			expectProblem(t, h.do("POST", "/api/v1/risks", tok, map[string]any{"risk_type": "other", "severity": "low", "description": "x"}),
				http.StatusForbidden, "Insufficient permissions")
			expectProblem(t, h.do("PATCH", path, tok, map[string]any{"resolve": true}), http.StatusForbidden, "Insufficient permissions")
		}
		expectProblem(t, h.do("GET", "/api/v1/risks", "", nil), http.StatusUnauthorized, "")

		// Every write is audited with before and after.
		a := h.do("GET", "/api/v1/audit-logs?resource=risk", admin, nil)
		expectStatus(t, a, http.StatusOK)
		entries := a.json(t)["items"].([]any)
		creates, updates := 0, 0
		for _, e := range entries {
			e := e.(map[string]any)
			switch e["action"] {
			case "create":
				creates++
			case "update":
				updates++
				if e["before"] == nil || e["after"] == nil {
					t.Fatalf("update without before/after: %v", e)
				}
			}
		}
		if creates != 4 || updates != 3 {
			t.Fatalf("audited %d creates and %d updates: %s", creates, updates, a.Body)
		}
	})
}

// fieldNames joins a problem's field errors' names, in order.
func fieldNames(p map[string]any) string {
	errs, _ := p["errors"].([]any)
	names := make([]string, 0, len(errs))
	for _, e := range errs {
		names = append(names, e.(map[string]any)["field"].(string))
	}
	return strings.Join(names, ",")
}
