package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/schedule"
)

// onDec1 is a time on the campus day the schedule tests plan, 2026-12-01 (UTC).
func onDec1(hhmm string) string { return "2026-12-01T" + hhmm + ":00Z" }

func scheduleBody(title, from, to string, extra map[string]any) map[string]any {
	b := map[string]any{"title": title, "event_type": "class", "starts_at": onDec1(from), "ends_at": onDec1(to)}
	for k, v := range extra {
		b[k] = v
	}
	return b
}

func createdID(t *testing.T, r response) int64 {
	t.Helper()
	expectStatus(t, r, http.StatusCreated)
	return int64(r.json(t)["id"].(float64))
}

// conflictIDs reads the clashing entries of a 409 and their reasons.
func conflictIDs(t *testing.T, r response) map[int64]string {
	t.Helper()
	m := expectProblem(t, r, http.StatusConflict, "")
	list, ok := m["conflicts"].([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("409 without conflicts: %s", r.Body)
	}
	out := map[int64]string{}
	for _, c := range list {
		c := c.(map[string]any)
		for _, k := range []string{"id", "title", "starts_at", "ends_at", "reason"} {
			if _, ok := c[k]; !ok {
				t.Fatalf("conflict lacks %q: %v", k, c)
			}
		}
		utcTime(t, c["starts_at"])
		out[int64(c["id"].(float64))] = c["reason"].(string)
	}
	return out
}

func TestSchedules(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff, admin := h.token("staff1", "staff123"), h.token("admin", "admin123")
		student, guest := h.token("student1", "student123"), h.guestToken()

		// --- create and validation ------------------------------------------
		r := h.do("POST", "/api/v1/schedules", staff, scheduleBody("Algebra", "09:00", "10:00", map[string]any{
			"location": "Hall A", "instructor": "Dr. Rao", "department": "CSE", "semester": 3, "section": "A", "event_type": "CLASS"}))
		algebra := createdID(t, r)
		m := r.json(t)
		if r.Header.Get("Location") != fmt.Sprintf("/api/v1/schedules/%d", algebra) || m["is_active"] != true || m["event_type"] != "class" ||
			m["starts_at"] != onDec1("09:00") || m["ends_at"] != onDec1("10:00") || m["semester"].(float64) != 3 {
			t.Fatalf("created: %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		utcTime(t, m["created_at"])
		r = h.do("POST", "/api/v1/schedules", admin, scheduleBody("Open lecture", "09:00", "10:00", map[string]any{"event_type": "event"}))
		lecture := createdID(t, r)
		if m := r.json(t); m["location"] != nil || m["instructor"] != nil || m["semester"] != nil {
			t.Fatalf("absent optional fields are null: %s", r.Body)
		}

		p := expectProblem(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Backwards", "10:00", "09:00", nil)), 422, "")
		if !sameList(errorFields(t, p), []string{"ends_at"}) {
			t.Fatalf("ends before start: %v", p)
		}
		p = expectProblem(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Instant", "10:00", "10:00", nil)), 422, "")
		if !sameList(errorFields(t, p), []string{"ends_at"}) {
			t.Fatalf("empty interval: %v", p)
		}
		p = expectProblem(t, h.do("POST", "/api/v1/schedules", staff, map[string]any{"title": "x", "event_type": "party",
			"starts_at": "tomorrow", "ends_at": onDec1("10:00")}), 422, "")
		if !sameList(errorFields(t, p), []string{"starts_at"}) {
			t.Fatalf("bad time: %v", p)
		}
		p = expectProblem(t, h.do("POST", "/api/v1/schedules", staff, map[string]any{"title": "", "event_type": "party", "semester": 13}), 422, "")
		if !sameList(errorFields(t, p), []string{"title", "event_type", "starts_at", "ends_at", "semester"}) {
			t.Fatalf("validation: %v", p)
		}
		expectProblem(t, h.do("POST", "/api/v1/schedules", staff, `{"title": 1}`), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/schedules", staff, `{"title"`), 400, "")

		// --- clash rules ------------------------------------------------------
		for _, tc := range []struct {
			name   string
			body   map[string]any
			reason string
		}{
			{"same room, other case", scheduleBody("Physics", "09:30", "10:30", map[string]any{"location": "  hall a"}), "location"},
			{"same instructor", scheduleBody("Optics", "08:00", "09:01", map[string]any{"instructor": "DR. RAO", "location": "Lab 1"}), "instructor"},
			{"same audience", scheduleBody("Chemistry", "09:59", "11:00", map[string]any{"department": "cse", "semester": 3, "section": "a"}), "audience"},
			{"every reason", scheduleBody("Everything", "09:00", "10:00", map[string]any{"location": "Hall A", "instructor": "Dr. Rao",
				"department": "CSE", "semester": 3, "section": "A"}), "location,instructor,audience"},
		} {
			got := conflictIDs(t, h.do("POST", "/api/v1/schedules", staff, tc.body))
			if len(got) != 1 || got[algebra] != tc.reason {
				t.Fatalf("%s: conflicts %v, want %d: %s", tc.name, got, algebra, tc.reason)
			}
		}
		// Touching ends, partial audiences, other rooms and inactive entries do not clash.
		after := createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("After", "10:00", "11:00", map[string]any{"location": "Hall A", "instructor": "Dr. Rao"})))
		createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Before", "08:00", "09:00", map[string]any{"location": "hall a"})))
		createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Other section", "09:00", "10:00", map[string]any{"department": "CSE", "semester": 3, "section": "B"})))
		createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("No section", "09:00", "10:00", map[string]any{"department": "CSE", "semester": 3})))
		draft := createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Draft", "09:30", "10:30", map[string]any{"location": "Hall A", "is_active": false})))
		// Activating the draft clashes with both Algebra and After.
		got := conflictIDs(t, h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, map[string]any{"is_active": true}))
		if len(got) != 2 || got[algebra] != "location" || got[after] != "location" {
			t.Fatalf("activating the draft: %v", got)
		}
		if m := h.do("GET", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, nil).json(t); m["is_active"] != false {
			t.Fatalf("a refused update changed the entry: %v", m)
		}

		// --- update -----------------------------------------------------------
		r = h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, map[string]any{"is_active": true, "location": "Room 9", "starts_at": onDec1("12:00"), "ends_at": onDec1("13:00")})
		expectStatus(t, r, 200)
		if m := r.json(t); m["is_active"] != true || m["location"] != "Room 9" || m["title"] != "Draft" {
			t.Fatalf("patched: %s", r.Body)
		}
		r = h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, map[string]any{"location": nil, "semester": nil})
		expectStatus(t, r, 200)
		if m := r.json(t); m["location"] != nil {
			t.Fatalf("null clears: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, map[string]any{"ends_at": onDec1("11:00")}), 422, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", draft), staff, map[string]any{"starts_at": ""}), 422, "")
		// Moving an entry into a clash is refused; moving it on itself is not.
		got = conflictIDs(t, h.do("PUT", fmt.Sprintf("/api/v1/schedules/%d", lecture), staff, scheduleBody("Open lecture", "10:30", "11:30", map[string]any{"location": "HALL A"})))
		if len(got) != 1 || got[after] != "location" {
			t.Fatalf("PUT into a clash: %v", got)
		}
		r = h.do("PUT", fmt.Sprintf("/api/v1/schedules/%d", algebra), admin, scheduleBody("Algebra II", "09:15", "10:00", map[string]any{"location": "Hall A", "event_type": "exam"}))
		expectStatus(t, r, 200)
		if m := r.json(t); m["title"] != "Algebra II" || m["instructor"] != nil || m["event_type"] != "exam" || m["department"] != nil {
			t.Fatalf("PUT replaces every field: %s", r.Body)
		}
		expectProblem(t, h.do("PUT", "/api/v1/schedules/99999", staff, scheduleBody("Nothing", "09:00", "10:00", nil)), 404, "")
		expectProblem(t, h.do("PATCH", "/api/v1/schedules/99999", staff, map[string]any{"title": "Nothing"}), 404, "")

		// --- reading ----------------------------------------------------------
		for _, tok := range []string{student, guest, staff, admin} {
			expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/schedules/%d", algebra), tok, nil), 200)
			r := h.do("GET", "/api/v1/schedules", tok, nil)
			expectStatus(t, r, 200)
			if r.json(t)["total"].(float64) != 7 || r.Header.Get("X-Total-Count") != "7" {
				t.Fatalf("list: %s", r.Body)
			}
		}
		for q, want := range map[string]float64{
			"location=HALL%20A":                   3, // Algebra II, After, Before
			"event_type=Exam":                     1,
			"event_type=event":                    1,
			"department=CSE&semester=3":           2,
			"department=CSE&semester=3&section=B": 1,
			"active=false":                        0,
			"active=true":                         7,
			"from=" + onDec1("10:00"):             2, // After and Draft; those ending at 10:00 have no moment in it
			"to=2026-11-30":                       0,
			"from=2026-12-01&to=2026-12-01":       7,
			"from=" + onDec1("09:00") + "&to=" + onDec1("09:00"): 3, // the three 09:00-10:00 entries
			"limit=2&offset=6": 7,
		} {
			r := h.do("GET", "/api/v1/schedules?"+q, student, nil)
			expectStatus(t, r, 200)
			if got := r.json(t)["total"].(float64); got != want {
				t.Errorf("?%s: total %v, want %v", q, got, want)
			}
		}
		expectProblem(t, h.do("GET", "/api/v1/schedules?active=sometimes&event_type=party&from=soon&semester=x", staff, nil), 422, "")
		expectProblem(t, h.do("GET", "/api/v1/schedules/99999", guest, nil), 404, "")
		expectProblem(t, h.do("GET", "/api/v1/schedules", "", nil), 401, "")

		// --- who may write ----------------------------------------------------
		for _, tok := range []string{student, guest} {
			expectProblem(t, h.do("POST", "/api/v1/schedules", tok, scheduleBody("Sneaky", "18:00", "19:00", nil)), 403, "Insufficient permissions")
			expectProblem(t, h.do("PUT", fmt.Sprintf("/api/v1/schedules/%d", algebra), tok, scheduleBody("Sneaky", "18:00", "19:00", nil)), 403, "")
			expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", algebra), tok, map[string]any{"title": "Sneaky"}), 403, "")
			expectProblem(t, h.do("DELETE", fmt.Sprintf("/api/v1/schedules/%d", algebra), tok, nil), 403, "")
		}

		// --- conflicts in the data ------------------------------------------
		r = h.do("GET", "/api/v1/schedules/conflicts", guest, nil)
		expectStatus(t, r, 200)
		if r.json(t)["total"].(float64) != 0 {
			t.Fatalf("no clashes yet: %s", r.Body)
		}
		// An import that bypassed the checks.
		repo := store.NewScheduleRepository(h.app.DB)
		var imported []int64
		for _, f := range []schedule.Fields{
			{Title: "Imported 1", EventType: "exam", StartsAt: time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), EndsAt: time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC), Location: "hall A"},
			{Title: "Imported 2", EventType: "exam", StartsAt: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC), EndsAt: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC), Instructor: "Kim"},
			{Title: "Imported 3", EventType: "exam", StartsAt: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC), EndsAt: time.Date(2026, 12, 2, 11, 0, 0, 0, time.UTC), Instructor: "kim"},
		} {
			e, err := schedule.New(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := repo.Create(context.Background(), &e); err != nil {
				t.Fatal(err)
			}
			imported = append(imported, e.ID)
		}
		r = h.do("GET", "/api/v1/schedules/conflicts", student, nil)
		expectStatus(t, r, 200)
		body := r.json(t)
		var pairs []string
		for _, it := range body["items"].([]any) {
			it := it.(map[string]any)
			a, b := it["a"].(map[string]any), it["b"].(map[string]any)
			pairs = append(pairs, fmt.Sprintf("%v-%v:%v", a["id"], b["id"], it["reasons"]))
		}
		want := []string{
			fmt.Sprintf("%d-%d:[location]", algebra, imported[0]),
			fmt.Sprintf("%d-%d:[location]", after, imported[0]),
			fmt.Sprintf("%d-%d:[instructor]", imported[1], imported[2]),
		}
		sort.Strings(want)
		sort.Strings(pairs)
		if body["total"].(float64) != 3 || !sameList(pairs, want) {
			t.Fatalf("conflicts %v, want %v", pairs, want)
		}
		if m := h.do("GET", "/api/v1/schedules/conflicts?from=2026-12-02", staff, nil).json(t); m["total"].(float64) != 1 {
			t.Fatalf("conflicts from a date: %v", m)
		}
		if m := h.do("GET", "/api/v1/schedules/conflicts?limit=1&offset=2", staff, nil).json(t); len(m["items"].([]any)) != 1 || m["total"].(float64) != 3 {
			t.Fatalf("conflicts paging: %v", m)
		}
		expectProblem(t, h.do("GET", "/api/v1/schedules/conflicts?to=later", staff, nil), 422, "")

		// --- delete, audit, events --------------------------------------------
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/schedules/%d", lecture), staff, nil), 204)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/schedules/%d", lecture), staff, nil), 404, "")
		expectProblem(t, h.do("DELETE", fmt.Sprintf("/api/v1/schedules/%d", lecture), admin, nil), 404, "")

		a := h.do("GET", "/api/v1/audit-logs?resource=schedule", admin, nil).json(t)
		// 7 creates, 2 patches + 1 PUT, 1 delete.
		if a["total"].(float64) != 11 {
			t.Fatalf("audited schedule writes: %v", a["total"])
		}
		pending, err := store.NewOutbox(h.app.DB).Pending(context.Background(), 1000)
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range pending {
			if e.Type != event.ScheduleChanged {
				continue
			}
			act := e.Payload["action"].(string)
			actions[act]++
			if act == "updated" && e.AggregateID == fmt.Sprint(algebra) {
				if e.Payload["previous"].(map[string]any)["title"] != "Algebra" || e.Payload["entry"].(map[string]any)["title"] != "Algebra II" {
					t.Fatalf("schedule.changed update payload: %v", e.Payload)
				}
			}
		}
		if actions["created"] != 7 || actions["updated"] != 3 || actions["deleted"] != 1 {
			t.Fatalf("schedule.changed events: %v", actions)
		}
	})
}

// TestScheduleClashingWritesRace: writes that clash with each other, sent
// at the same moment, end with exactly one accepted; the rest get 409.
func TestScheduleClashingWritesRace(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff, admin := h.token("staff1", "staff123"), h.token("admin", "admin123")
		// One PATCH that moves an existing entry into the slot races the creates.
		mover := createdID(t, h.do("POST", "/api/v1/schedules", staff, scheduleBody("Mover", "15:00", "16:00", map[string]any{"location": "Hall Z"})))
		const n = 6
		statuses := make([]int, n+1)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				tok := staff
				if i%2 == 1 {
					tok = admin
				}
				statuses[i] = h.do("POST", "/api/v1/schedules", tok, scheduleBody(fmt.Sprintf("Race %d", i), "12:00", "13:00",
					map[string]any{"location": "Hall Z"})).Status
			}(i)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			statuses[n] = h.do("PATCH", fmt.Sprintf("/api/v1/schedules/%d", mover), staff, map[string]any{"starts_at": onDec1("12:30"), "ends_at": onDec1("13:30")}).Status
		}()
		close(start)
		wg.Wait()
		won := 0
		for i, s := range statuses {
			switch s {
			case http.StatusCreated, http.StatusOK:
				won++
			case http.StatusConflict:
			default:
				t.Errorf("writer %d: status %d", i, s)
			}
		}
		if won != 1 {
			t.Fatalf("%d clashing writes succeeded (statuses %v), want exactly 1", won, statuses)
		}
		r := h.do("GET", "/api/v1/schedules/conflicts", staff, nil)
		if r.json(t)["total"].(float64) != 0 {
			t.Fatalf("the race left a clash in the data: %s", r.Body)
		}
	})
}
