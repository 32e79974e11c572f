package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/tests/testenv"
)

// clubWorld is a seeded campus seen by the four roles.
type clubWorld struct {
	h      *harness
	tokens map[identity.Role]string
	own    int64 // student1's linked record
}

func newClubWorld(t *testing.T, h *harness) *clubWorld {
	w := &clubWorld{h: h, tokens: map[identity.Role]string{
		identity.RoleAdmin: h.token("admin", "admin123"), identity.RoleStaff: h.token("staff1", "staff123"),
		identity.RoleStudent: h.token("student1", "student123"), identity.RoleGuest: h.guestToken()}}
	p := h.do("GET", "/api/v1/auth/profile", w.tokens[identity.RoleStudent], nil)
	expectStatus(t, p, 200)
	id, ok := p.json(t)["student_id"].(float64)
	if !ok {
		t.Fatalf("student1 has no linked record: %s", p.Body)
	}
	w.own = int64(id)
	return w
}

func (w *clubWorld) staff() string   { return w.tokens[identity.RoleStaff] }
func (w *clubWorld) admin() string   { return w.tokens[identity.RoleAdmin] }
func (w *clubWorld) student() string { return w.tokens[identity.RoleStudent] }
func (w *clubWorld) guest() string   { return w.tokens[identity.RoleGuest] }

func clubID(t *testing.T, r response) int64 {
	t.Helper()
	id, ok := r.json(t)["id"].(float64)
	if !ok {
		t.Fatalf("no id in %d %s", r.Status, r.Body)
	}
	return int64(id)
}

func (w *clubWorld) club(t *testing.T, name string) int64 {
	t.Helper()
	r := w.h.do("POST", "/api/v1/clubs", w.staff(), map[string]any{"name": name, "category": "Games"})
	expectStatus(t, r, 201)
	return clubID(t, r)
}

func (w *clubWorld) newStudent(t *testing.T, roll string) int64 {
	t.Helper()
	r := w.h.do("POST", "/api/v1/students", w.staff(), map[string]any{"name": "Pupil " + roll, "roll_no": roll, "department": "CS", "semester": 2})
	expectStatus(t, r, 201)
	return clubID(t, r)
}

func (w *clubWorld) member(t *testing.T, club, student int64, role string) int64 {
	t.Helper()
	r := w.h.do("POST", fmt.Sprintf("/api/v1/clubs/%d/members", club), w.staff(), map[string]any{"student_id": student, "role": role})
	expectStatus(t, r, 201)
	return clubID(t, r)
}

func (w *clubWorld) activity(t *testing.T, club int64, body map[string]any) int64 {
	t.Helper()
	if body == nil {
		body = map[string]any{"title": "Meet-up", "activity_type": "meeting", "starts_at": "2026-12-01T17:00:00Z"}
	}
	r := w.h.do("POST", fmt.Sprintf("/api/v1/clubs/%d/activities", club), w.staff(), body)
	expectStatus(t, r, 201)
	return clubID(t, r)
}

func (w *clubWorld) memberCount(t *testing.T, club int64) int {
	t.Helper()
	r := w.h.do("GET", fmt.Sprintf("/api/v1/clubs/%d", club), w.guest(), nil)
	expectStatus(t, r, 200)
	return int(r.json(t)["member_count"].(float64))
}

// fields lists the field names of a 422 problem.
func clubProblemFields(t *testing.T, r response) []string {
	t.Helper()
	p := expectProblem(t, r, 422, "")
	var out []string
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(map[string]any)["field"].(string))
	}
	return out
}

func TestClubs(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		w := newClubWorld(t, h)

		// Create: 201 with Location; names unique ignoring case.
		r := h.do("POST", "/api/v1/clubs", w.staff(), map[string]any{"name": " Chess ", "description": "Kings and queens",
			"category": "Games", "advisor": "Dr. K"})
		expectStatus(t, r, 201)
		chess := clubID(t, r)
		m := r.json(t)
		if r.Header.Get("Location") != fmt.Sprintf("/api/v1/clubs/%d", chess) || m["name"] != "Chess" || m["member_count"].(float64) != 0 ||
			m["is_active"] != true || m["accepting_members"] != true || m["created_at"] == "" {
			t.Fatalf("created: %s %q", r.Body, r.Header.Get("Location"))
		}
		expectProblem(t, h.do("POST", "/api/v1/clubs", w.admin(), map[string]any{"name": "CHESS"}), 409, "A club with this name already exists")
		if f := clubProblemFields(t, h.do("POST", "/api/v1/clubs", w.staff(), map[string]any{"name": ""})); len(f) != 1 || f[0] != "name" {
			t.Fatalf("fields %v", f)
		}
		clubProblemFields(t, h.do("POST", "/api/v1/clubs", w.staff(), map[string]any{"name": 5}))
		if f := clubProblemFields(t, h.do("POST", "/api/v1/clubs", w.staff(), map[string]any{"name": "X", "advisor": strings.Repeat("a", 201)})); f[0] != "advisor" {
			t.Fatalf("fields %v", f)
		}
		drama := w.club(t, "Drama")

		// Reads by anyone signed in.
		r = h.do("GET", "/api/v1/clubs?q=dra&limit=1", w.guest(), nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["total"].(float64) != 1 || r.Header.Get("X-Total-Count") != "1" {
			t.Fatalf("list: %s", r.Body)
		}
		if n := h.do("GET", "/api/v1/clubs?category=games&limit=1", w.student(), nil); n.json(t)["total"].(float64) != 2 || !strings.Contains(n.Header.Get("Link"), `rel="next"`) {
			t.Fatalf("category filter: %s %q", n.Body, n.Header.Get("Link"))
		}
		expectProblem(t, h.do("GET", "/api/v1/clubs?is_active=maybe", w.guest(), nil), 422, "")
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/clubs/%d", chess), w.student(), nil), 200)
		expectProblem(t, h.do("GET", "/api/v1/clubs/999999", w.guest(), nil), 404, "")
		expectProblem(t, h.do("GET", "/api/v1/clubs", "", nil), 401, "")

		// PUT and PATCH; the count is not writable.
		r = h.do("PATCH", fmt.Sprintf("/api/v1/clubs/%d", chess), w.staff(), map[string]any{"accepting_members": false, "member_count": 40})
		expectStatus(t, r, 200)
		if m := r.json(t); m["accepting_members"] != false || m["member_count"].(float64) != 0 || m["advisor"] != "Dr. K" {
			t.Fatalf("patched: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/clubs/%d", drama), w.staff(), map[string]any{"name": "chess"}), 409, "")
		expectProblem(t, h.do("PATCH", "/api/v1/clubs/999999", w.staff(), map[string]any{"advisor": "x"}), 404, "")
		r = h.do("PUT", fmt.Sprintf("/api/v1/clubs/%d", drama), w.admin(), map[string]any{"name": "Drama Society"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["name"] != "Drama Society" || m["category"] != "" || m["accepting_members"] != true {
			t.Fatalf("replaced: %s", r.Body)
		}
		clubProblemFields(t, h.do("PUT", fmt.Sprintf("/api/v1/clubs/%d", drama), w.admin(), map[string]any{"category": "x"}))

		// Join and leave, as the student user, for their own record.
		join := fmt.Sprintf("/api/v1/clubs/%d/join", chess)
		leave := fmt.Sprintf("/api/v1/clubs/%d/leave", chess)
		expectProblem(t, h.do("POST", join, w.student(), nil), 400, "The club is not accepting members")
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/clubs/%d", chess), w.staff(), map[string]any{"accepting_members": true}), 200)
		expectProblem(t, h.do("POST", leave, w.student(), nil), 404, "You are not a member of this club")
		r = h.do("POST", join, w.student(), nil)
		expectStatus(t, r, 200)
		mine := r.json(t)
		if int64(mine["student_id"].(float64)) != w.own || mine["role"] != "member" || mine["is_active"] != true || mine["club_id"].(float64) != float64(chess) {
			t.Fatalf("joined: %s", r.Body)
		}
		expectProblem(t, h.do("POST", join, w.student(), nil), 409, "")
		if n := w.memberCount(t, chess); n != 1 {
			t.Fatalf("member_count %d after a join", n)
		}
		r = h.do("POST", leave, w.student(), nil)
		expectStatus(t, r, 200)
		if r.json(t)["is_active"] != false || w.memberCount(t, chess) != 0 {
			t.Fatalf("left: %s", r.Body)
		}
		expectProblem(t, h.do("POST", leave, w.student(), nil), 404, "")
		r = h.do("POST", join, w.student(), nil)
		expectStatus(t, r, 200)
		if r.json(t)["id"] != mine["id"] {
			t.Fatalf("rejoining made a new row: %s", r.Body)
		}
		for _, tok := range []string{w.admin(), w.staff(), w.guest()} {
			expectProblem(t, h.do("POST", join, tok, nil), 403, "Insufficient permissions")
		}
		expectProblem(t, h.do("POST", "/api/v1/clubs/999999/join", w.student(), nil), 404, "")

		// Members, managed with MANAGE_CLUBS.
		s1, s2, s3 := w.newStudent(t, "CL-1"), w.newStudent(t, "CL-2"), w.newStudent(t, "CL-3")
		members := fmt.Sprintf("/api/v1/clubs/%d/members", chess)
		r = h.do("POST", members, w.staff(), map[string]any{"student_id": s1, "role": "PRESIDENT"})
		expectStatus(t, r, 201)
		pres := clubID(t, r)
		if r.json(t)["role"] != "president" || r.Header.Get("Location") != fmt.Sprintf("%s/%d", members, pres) {
			t.Fatalf("added: %s %q", r.Body, r.Header.Get("Location"))
		}
		expectProblem(t, h.do("POST", members, w.staff(), map[string]any{"student_id": s2, "role": "president"}), 409,
			fmt.Sprintf("The club already has a president (member %d)", pres))
		expectProblem(t, h.do("POST", members, w.staff(), map[string]any{"student_id": s1}), 409, "")
		if f := clubProblemFields(t, h.do("POST", members, w.staff(), map[string]any{"student_id": 999999})); f[0] != "student_id" {
			t.Fatalf("fields %v", f)
		}
		if f := clubProblemFields(t, h.do("POST", members, w.staff(), map[string]any{"student_id": s2, "role": "captain"})); f[0] != "role" {
			t.Fatalf("fields %v", f)
		}
		clubProblemFields(t, h.do("POST", members, w.staff(), map[string]any{}))
		expectProblem(t, h.do("POST", "/api/v1/clubs/999999/members", w.staff(), map[string]any{"student_id": s2}), 404, "")
		sec := w.member(t, chess, s2, "secretary")
		w.member(t, chess, s3, "")
		if n := w.memberCount(t, chess); n != 4 {
			t.Fatalf("member_count %d, want 4", n)
		}
		r = h.do("GET", members+"?role=president", w.admin(), nil)
		expectStatus(t, r, 200)
		if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["student_id"].(float64) != float64(s1) {
			t.Fatalf("presidents: %s", r.Body)
		}
		expectProblem(t, h.do("GET", members+"?role=captain", w.admin(), nil), 422, "")
		expectProblem(t, h.do("GET", members, w.student(), nil), 403, "")
		expectProblem(t, h.do("GET", "/api/v1/clubs/999999/members", w.staff(), nil), 404, "")

		// PATCH a member: role and activity; the count follows.
		secPath := fmt.Sprintf("%s/%d", members, sec)
		r = h.do("PATCH", secPath, w.staff(), map[string]any{"role": "Treasurer", "is_active": false})
		expectStatus(t, r, 200)
		if m := r.json(t); m["role"] != "treasurer" || m["is_active"] != false || w.memberCount(t, chess) != 3 {
			t.Fatalf("patched member: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", secPath, w.staff(), map[string]any{"role": "president", "is_active": true}), 409, "")
		r = h.do("PATCH", secPath, w.staff(), map[string]any{"is_active": true})
		expectStatus(t, r, 200)
		if w.memberCount(t, chess) != 4 {
			t.Fatal("reactivation did not count")
		}
		if f := clubProblemFields(t, h.do("PATCH", secPath, w.staff(), map[string]any{"role": "king"})); f[0] != "role" {
			t.Fatalf("fields %v", f)
		}
		expectProblem(t, h.do("PATCH", members+"/999999", w.staff(), map[string]any{"is_active": false}), 404, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/clubs/%d/members/%d", drama, sec), w.staff(), map[string]any{"is_active": false}), 404, "")

		// Activities.
		acts := fmt.Sprintf("/api/v1/clubs/%d/activities", chess)
		if f := clubProblemFields(t, h.do("POST", acts, w.staff(), map[string]any{"title": "Blitz", "activity_type": "Tournament",
			"starts_at": "2026-12-01T18:00:00Z", "ends_at": "2026-12-01T17:00:00Z"})); len(f) != 1 || f[0] != "ends_at" {
			t.Fatalf("fields %v", f)
		}
		if f := clubProblemFields(t, h.do("POST", acts, w.staff(), map[string]any{"title": "Blitz", "activity_type": "Tournament",
			"starts_at": "tomorrow", "capacity": 0, "status": "done"})); len(f) != 1 || f[0] != "starts_at" {
			t.Fatalf("fields %v", f)
		}
		if f := clubProblemFields(t, h.do("POST", acts, w.staff(), map[string]any{"title": "Blitz", "activity_type": "Tournament",
			"starts_at": "2026-12-01T18:00:00Z", "capacity": 0, "status": "done"})); len(f) != 2 {
			t.Fatalf("fields %v", f)
		}
		clubProblemFields(t, h.do("POST", acts, w.staff(), map[string]any{}))
		r = h.do("POST", acts, w.staff(), map[string]any{"title": "Blitz", "activity_type": "Tournament", "starts_at": "2026-12-01T23:30:00+05:30",
			"ends_at": "2026-12-02T01:00:00+05:30", "location": "Hall B", "capacity": 2})
		expectStatus(t, r, 201)
		blitz := clubID(t, r)
		if m := r.json(t); m["starts_at"] != "2026-12-01T18:00:00Z" || m["status"] != "planned" || m["activity_type"] != "tournament" ||
			m["capacity"].(float64) != 2 || r.Header.Get("Location") != fmt.Sprintf("%s/%d", acts, blitz) {
			t.Fatalf("activity: %s", r.Body)
		}
		other := w.activity(t, chess, map[string]any{"title": "Social", "activity_type": "social", "starts_at": "2026-12-20T17:00:00Z"})
		r = h.do("GET", acts+"?from=2026-12-01&to=2026-12-01", w.guest(), nil)
		expectStatus(t, r, 200)
		if items := r.json(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"].(float64) != float64(blitz) {
			t.Fatalf("window: %s", r.Body)
		}
		expectProblem(t, h.do("GET", acts+"?status=soon", w.guest(), nil), 422, "")
		expectProblem(t, h.do("GET", "/api/v1/clubs/999999/activities", w.guest(), nil), 404, "")

		// Attendance: members only, within capacity, upserted.
		att := fmt.Sprintf("%s/%d/attendance", acts, blitz)
		nonMember := w.newStudent(t, "CL-4")
		p := expectProblem(t, h.do("POST", att, w.staff(), map[string]any{"records": []any{
			map[string]any{"student_id": s1, "present": true}, map[string]any{"student_id": nonMember, "present": true}}}), 422, "")
		if errs := p["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "records[1].student_id" ||
			!strings.Contains(errs[0].(map[string]any)["message"].(string), fmt.Sprint(nonMember)) {
			t.Fatalf("non-member: %v", p["errors"])
		}
		if f := clubProblemFields(t, h.do("POST", att, w.staff(), map[string]any{"records": []any{
			map[string]any{"student_id": s1, "present": true}, map[string]any{"student_id": s2, "present": true},
			map[string]any{"student_id": w.own, "present": true}}})); f[0] != "records" {
			t.Fatalf("capacity: %v", f)
		}
		clubProblemFields(t, h.do("POST", att, w.staff(), map[string]any{}))
		r = h.do("POST", att, w.staff(), map[string]any{"records": []any{
			map[string]any{"student_id": s1, "present": true}, map[string]any{"student_id": s2, "present": false},
			map[string]any{"student_id": w.own, "present": true}}})
		expectStatus(t, r, 200)
		if m := r.json(t); m["created"].(float64) != 3 || m["updated"].(float64) != 0 || m["present"].(float64) != 2 || m["absent"].(float64) != 1 {
			t.Fatalf("attendance: %s", r.Body)
		}
		r = h.do("POST", att, w.admin(), map[string]any{"records": []any{map[string]any{"student_id": s2, "present": false}}})
		expectStatus(t, r, 200)
		if m := r.json(t); m["created"].(float64) != 0 || m["updated"].(float64) != 1 {
			t.Fatalf("upsert: %s", r.Body)
		}
		expectProblem(t, h.do("POST", fmt.Sprintf("%s/999999/attendance", acts), w.staff(), map[string]any{"records": []any{}}), 404, "")
		if f := clubProblemFields(t, h.do("PATCH", fmt.Sprintf("%s/%d", acts, blitz), w.staff(), map[string]any{"capacity": 1})); f[0] != "capacity" {
			t.Fatalf("capacity below present: %v", f)
		}

		// Activity status moves forward only.
		r = h.do("PATCH", fmt.Sprintf("%s/%d", acts, blitz), w.staff(), map[string]any{"status": "COMPLETED", "location": nil})
		expectStatus(t, r, 200)
		if m := r.json(t); m["status"] != "completed" || m["location"] != nil || m["capacity"].(float64) != 2 {
			t.Fatalf("patched activity: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("%s/%d", acts, blitz), w.staff(), map[string]any{"status": "planned"}), 409, "")
		clubProblemFields(t, h.do("PATCH", fmt.Sprintf("%s/%d", acts, blitz), w.staff(), map[string]any{"ends_at": "2026-11-01T00:00:00Z"}))
		expectProblem(t, h.do("PATCH", fmt.Sprintf("%s/999999", acts), w.staff(), map[string]any{"title": "x"}), 404, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/clubs/%d/activities/%d", drama, blitz), w.staff(), map[string]any{"title": "x"}), 404, "")
		expectStatus(t, h.do("PATCH", fmt.Sprintf("%s/%d", acts, other), w.staff(), map[string]any{"status": "cancelled"}), 200)
		expectProblem(t, h.do("POST", fmt.Sprintf("%s/%d/attendance", acts, other), w.staff(), map[string]any{"records": []any{
			map[string]any{"student_id": s1, "present": true}}}), 400, "")

		// Statistics, for anyone signed in.
		r = h.do("GET", fmt.Sprintf("/api/v1/clubs/%d/statistics", chess), w.guest(), nil)
		expectStatus(t, r, 200)
		var st struct {
			MemberCount     int                `json:"member_count"`
			ActiveMembers   int                `json:"active_members"`
			InactiveMembers int                `json:"inactive_members"`
			ByRole          map[string]float64 `json:"members_by_role"`
			ByStatus        map[string]float64 `json:"activities_by_status"`
			Rate            *float64           `json:"average_attendance_rate"`
			Rated           int                `json:"rated_activities"`
		}
		mustJSON(t, r.Body, &st)
		if st.MemberCount != 4 || st.ActiveMembers != 4 || st.InactiveMembers != 0 || st.ByRole["president"] != 1 || st.ByRole["treasurer"] != 1 ||
			st.ByRole["member"] != 2 || st.ByStatus["completed"] != 1 || st.ByStatus["cancelled"] != 1 || st.Rate == nil || *st.Rate != 0.6667 || st.Rated != 1 {
			t.Fatalf("statistics: %s", r.Body)
		}
		expectProblem(t, h.do("GET", "/api/v1/clubs/999999/statistics", w.guest(), nil), 404, "")

		// Remove a member; delete an activity.
		expectStatus(t, h.do("DELETE", secPath, w.admin(), nil), 204)
		expectProblem(t, h.do("DELETE", secPath, w.admin(), nil), 404, "")
		if n := w.memberCount(t, chess); n != 3 {
			t.Fatalf("member_count %d after removal", n)
		}
		expectStatus(t, h.do("DELETE", fmt.Sprintf("%s/%d", acts, other), w.staff(), nil), 204)
		expectProblem(t, h.do("DELETE", fmt.Sprintf("%s/%d", acts, other), w.staff(), nil), 404, "")

		// Delete: a club with history is archived; an empty one goes.
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/clubs/%d", chess), w.staff(), nil), 204)
		r = h.do("GET", fmt.Sprintf("/api/v1/clubs/%d", chess), w.guest(), nil)
		expectStatus(t, r, 200)
		if m := r.json(t); m["is_active"] != false || m["accepting_members"] != false || m["member_count"].(float64) != 3 {
			t.Fatalf("archived: %s", r.Body)
		}
		expectStatus(t, h.do("POST", leave, w.student(), nil), 200) // leaving is always allowed
		expectProblem(t, h.do("POST", join, w.student(), nil), 400, "")
		expectProblem(t, h.do("POST", members, w.staff(), map[string]any{"student_id": nonMember}), 400, "The club is archived")
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/clubs/%d", drama), w.admin(), nil), 204)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/clubs/%d", drama), w.guest(), nil), 404, "")
		expectProblem(t, h.do("DELETE", "/api/v1/clubs/999999", w.admin(), nil), 404, "")

		// Every write is in the audit trail with before and after.
		for _, q := range []string{"resource=club&action=create", "resource=club&action=update", "resource=club&action=archive",
			"resource=club&action=delete", "resource=club_member&action=create", "resource=club_member&action=update",
			"resource=club_member&action=delete", "resource=club_activity&action=create", "resource=club_activity&action=update",
			"resource=club_activity&action=delete", "resource=club_attendance"} {
			if n := h.do("GET", "/api/v1/audit-logs?"+q, w.admin(), nil).json(t)["total"].(float64); n == 0 {
				t.Errorf("nothing audited for %s", q)
			}
		}
		a := h.do("GET", "/api/v1/audit-logs?resource=club_member&action=update&limit=1", w.admin(), nil).json(t)["items"].([]any)[0].(map[string]any)
		if a["before"] == nil || a["after"] == nil {
			t.Fatalf("member audit without before/after: %v", a)
		}
	})
}

// TestClubRoutesEveryRole calls every club route as each role, on its own
// resources so that calls do not disturb each other, and checks the exact
// outcome: the managers' writes succeed, the student's own join and leave
// succeed, everyone reads, and every other call is 403.
func TestClubRoutesEveryRole(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		w := newClubWorld(t, h)
		type target struct{ club, member, activity, student int64 }
		targets := map[identity.Role]target{}
		shared := w.club(t, "Shared")
		for _, role := range identity.Roles {
			c := w.club(t, "Club of "+string(role))
			s := w.newStudent(t, "RB-"+string(role))
			targets[role] = target{club: c, member: w.member(t, c, s, "member"), activity: w.activity(t, c, nil), student: s}
		}
		manager := map[identity.Role]bool{identity.RoleAdmin: true, identity.RoleStaff: true}
		type call struct {
			method, path string
			body         any
			ok           int // the status of an admitted call
			admits       func(identity.Role) bool
		}
		everyone := func(identity.Role) bool { return true }
		managers := func(r identity.Role) bool { return manager[r] }
		students := func(r identity.Role) bool { return r == identity.RoleStudent }
		calls := func(role identity.Role) []call {
			tg := targets[role]
			c := fmt.Sprintf("/api/v1/clubs/%d", tg.club)
			return []call{
				{"GET", "/api/v1/clubs", nil, 200, everyone},
				{"GET", c, nil, 200, everyone},
				{"GET", c + "/statistics", nil, 200, everyone},
				{"GET", c + "/activities", nil, 200, everyone},
				{"POST", "/api/v1/clubs", map[string]any{"name": "New by " + string(role)}, 201, managers},
				{"PUT", c, map[string]any{"name": "Club of " + string(role), "advisor": "Dr. R"}, 200, managers},
				{"PATCH", c, map[string]any{"description": "by " + string(role)}, 200, managers},
				{"GET", c + "/members", nil, 200, managers},
				{"POST", c + "/members", map[string]any{"student_id": w.own, "role": "secretary"}, 201, managers},
				{"PATCH", fmt.Sprintf("%s/members/%d", c, tg.member), map[string]any{"role": "treasurer"}, 200, managers},
				{"POST", c + "/activities", map[string]any{"title": "T", "activity_type": "talk", "starts_at": "2026-12-03T10:00:00Z"}, 201, managers},
				{"PATCH", fmt.Sprintf("%s/activities/%d", c, tg.activity), map[string]any{"status": "ongoing"}, 200, managers},
				{"POST", fmt.Sprintf("%s/activities/%d/attendance", c, tg.activity),
					map[string]any{"records": []any{map[string]any{"student_id": tg.student, "present": true}}}, 200, managers},
				{"DELETE", fmt.Sprintf("%s/activities/%d", c, tg.activity), nil, 204, managers},
				{"DELETE", fmt.Sprintf("%s/members/%d", c, tg.member), nil, 204, managers},
				{"DELETE", c, nil, 204, managers},
				{"POST", fmt.Sprintf("/api/v1/clubs/%d/join", shared), nil, 200, students},
				{"POST", fmt.Sprintf("/api/v1/clubs/%d/leave", shared), nil, 200, students},
			}
		}
		for _, role := range identity.Roles {
			for _, k := range calls(role) {
				r := h.do(k.method, k.path, w.tokens[role], k.body)
				name := fmt.Sprintf("%s %s as %s", k.method, k.path, role)
				if k.admits(role) {
					if r.Status != k.ok {
						t.Errorf("%s: %d, want %d: %s", name, r.Status, k.ok, r.Body)
					}
				} else if r.Status != http.StatusForbidden {
					t.Errorf("%s: %d, want 403: %s", name, r.Status, r.Body)
				}
				if r2 := h.do(k.method, k.path, "", k.body); r2.Status != http.StatusUnauthorized {
					t.Errorf("%s without a token: %d", name, r2.Status)
				}
			}
		}
		// Every club route of the table was called.
		for _, rt := range h.server.Routes() {
			if rt.Tag != "clubs" {
				continue
			}
			found := false
			for _, role := range identity.Roles {
				for _, k := range calls(role) {
					if k.method == rt.Method && clubPathMatches(rt.Path, k.path) {
						found = true
					}
				}
			}
			if !found {
				t.Errorf("%s %s is not exercised", rt.Method, rt.Path)
			}
		}
	})
}

// clubPathMatches reports whether a concrete path fits a route pattern.
func clubPathMatches(pattern, path string) bool {
	ps, cs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(cs) {
		return false
	}
	for i := range ps {
		if !strings.HasPrefix(ps[i], ":") && ps[i] != cs[i] {
			return false
		}
	}
	return true
}

// TestClubConcurrentJoinsOverHTTP: student users join one club at once
// (some twice); member_count equals the active members exactly.
func TestClubConcurrentJoinsOverHTTP(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		w := newClubWorld(t, h)
		c := w.club(t, "Popular")
		const n = 20
		tokens := make([]string, n)
		for i := range tokens {
			user := fmt.Sprintf("joiner%02d", i)
			email := user + "@campus.edu"
			r := h.do("POST", "/api/v1/students", w.staff(), map[string]any{"name": "Joiner", "roll_no": "J-" + user,
				"department": "CS", "semester": 1, "email": email})
			expectStatus(t, r, 201)
			// A student user whose email matches the record is linked to it.
			r = h.do("POST", "/api/v1/auth/register", "", map[string]any{"username": user, "email": email,
				"password": "correct-horse-battery", "full_name": "Joiner", "role": "student"})
			expectStatus(t, r, 201)
			tokens[i] = h.token(user, "correct-horse-battery")
		}
		calls := append(append([]string{}, tokens...), tokens[:3]...)
		statuses := make([]int, len(calls))
		var wg sync.WaitGroup
		for i, tok := range calls {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for try := 0; try < 20; try++ {
					statuses[i] = h.do("POST", fmt.Sprintf("/api/v1/clubs/%d/join", c), tok, nil).Status
					if statuses[i] != http.StatusServiceUnavailable {
						return
					}
				}
			}()
		}
		wg.Wait()
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		if count[200] != n || count[409] != 3 {
			t.Fatalf("outcomes %v, want %d joins and 3 conflicts", count, n)
		}
		members := h.do("GET", fmt.Sprintf("/api/v1/clubs/%d/members?is_active=true", c), w.staff(), nil).json(t)["total"].(float64)
		if got := w.memberCount(t, c); got != n || int(members) != n {
			t.Fatalf("member_count %d, active members %v, want %d", got, members, n)
		}
	})
}

// FuzzClubBodies throws arbitrary bodies at the club routes that read JSON,
// on PostgreSQL too (which refuses some text SQLite stores): no input may
// produce a 5xx.
func FuzzClubBodies(f *testing.F) {
	for _, seed := range []string{`{}`, `[]`, `null`, `{"name":"Chess\u0000"}`, `{"name":"A","capacity":1e400}`,
		`{"title":"T","activity_type":"x","starts_at":"2026-12-01T10:00:00Z","capacity":9223372036854775807}`,
		`{"records":[{"student_id":-1,"present":"yes"}]}`, `{"records":[{"student_id":1,"present":true}]}`,
		`{"student_id":1,"role":"PRESIDENT"}`, `{"ends_at":null,"location":null,"capacity":null}`, `{"is_active":"no"}`} {
		f.Add(seed)
	}
	type store struct {
		h     *harness
		token string
	}
	var stores []store
	for _, st := range testenv.Stores() {
		h := newHarness(f, st.URL(f), nil)
		tok := h.token("staff1", "staff123")
		// Club 1 with member 1 (the seeded student) and activity 1, so the
		// PATCH paths reach real rows.
		for _, c := range []struct {
			path string
			body map[string]any
		}{
			{"/api/v1/clubs", map[string]any{"name": "Fuzz"}},
			{"/api/v1/clubs/1/members", map[string]any{"student_id": 1}},
			{"/api/v1/clubs/1/activities", map[string]any{"title": "T", "activity_type": "talk", "starts_at": "2026-12-01T10:00:00Z"}},
		} {
			if r := h.do("POST", c.path, tok, c.body); r.Status != http.StatusCreated {
				f.Fatalf("prepare %s: %d %s", c.path, r.Status, r.Body)
			}
		}
		stores = append(stores, store{h: h, token: tok})
	}
	paths := []struct{ method, path string }{
		{"POST", "/api/v1/clubs"}, {"PUT", "/api/v1/clubs/1"}, {"PATCH", "/api/v1/clubs/1"},
		{"POST", "/api/v1/clubs/1/members"}, {"PATCH", "/api/v1/clubs/1/members/1"},
		{"POST", "/api/v1/clubs/1/activities"}, {"PATCH", "/api/v1/clubs/1/activities/1"},
		{"POST", "/api/v1/clubs/1/activities/1/attendance"},
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, st := range stores {
			view := *st.h
			view.t = t
			for _, p := range paths {
				if r := view.do(p.method, p.path, st.token, body); r.Status >= 500 {
					t.Fatalf("%s %s with %q: %d %s", p.method, p.path, body, r.Status, r.Body)
				}
			}
		}
	})
}
