package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/event"
)

// TestDomainEventsInTheOutbox drives one write of every kind through the
// API and reads the outbox as the relay of the next issue will: each
// committed change left exactly its event, with a payload complete enough
// to act on, and refused writes left none.
func TestDomainEventsInTheOutbox(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		admin, student := h.token("admin", "admin123"), h.token("student1", "student123")
		ob := store.NewOutbox(h.app.DB)
		pending := func() []event.Event {
			t.Helper()
			evs, err := ob.Pending(context.Background(), 10000)
			if err != nil {
				t.Fatal(err)
			}
			return evs
		}
		// expect runs a write and returns the events it added.
		expect := func(status int, method, path, tok string, body any) []event.Event {
			t.Helper()
			before := len(pending())
			r := h.do(method, path, tok, body)
			if r.Status != status {
				t.Fatalf("%s %s: %d %s", method, path, r.Status, r.Body)
			}
			return pending()[before:]
		}
		one := func(evs []event.Event, typ string, keys ...string) event.Event {
			t.Helper()
			if len(evs) != 1 || evs[0].Type != typ {
				t.Fatalf("want one %s, got %v", typ, evs)
			}
			for _, k := range keys {
				if _, ok := evs[0].Payload[k]; !ok {
					t.Fatalf("%s payload lacks %q: %v", typ, k, evs[0].Payload)
				}
			}
			if evs[0].ID == "" || evs[0].OccurredAt.IsZero() || evs[0].AggregateID == "" {
				t.Fatalf("%s lacks id, time or aggregate id: %+v", typ, evs[0])
			}
			return evs[0]
		}

		st := one(expect(201, "POST", "/api/v1/students", admin, map[string]any{"name": "Eve Ent", "roll_no": "EV-1", "department": "Events", "semester": 3}),
			event.StudentCreated, "id", "roll_no", "department")
		var sid int
		fmt.Sscan(st.AggregateID, &sid)
		if n := len(expect(409, "POST", "/api/v1/students", admin, map[string]any{"name": "Dup", "roll_no": "EV-1", "department": "Events", "semester": 3})); n != 0 {
			t.Fatalf("a refused write left %d events", n)
		}

		mark := one(expect(201, "POST", "/api/v1/attendance", admin, map[string]any{"student_id": sid, "date": "2026-11-02", "status": "absent"}),
			event.AttendanceMarked, "id", "student_id", "date", "session", "status")
		one(expect(200, "PATCH", "/api/v1/attendance/"+mark.AggregateID, admin, map[string]any{"status": "excused"}),
			event.AttendanceChanged, "before", "after", "student_id")

		one(expect(201, "POST", "/api/v1/complaints", student, map[string]any{"title": "Noisy library", "description": "The library is too noisy after six."}),
			event.ComplaintFiled, "id", "student_id", "priority", "due_at")

		one(expect(201, "POST", "/api/v1/schedules", admin, map[string]any{"title": "Algebra", "event_type": "class",
			"starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z", "location": "Room 1"}),
			event.ScheduleChanged, "id", "action")

		club := h.do("POST", "/api/v1/clubs", admin, map[string]any{"name": "Event Club", "accepting_members": true})
		expectStatus(t, club, http.StatusCreated)
		clubID := int(club.json(t)["id"].(float64))
		one(expect(200, "POST", fmt.Sprintf("/api/v1/clubs/%d/join", clubID), student, nil),
			event.ClubMembershipChanged, "club_id", "student_id", "action", "member_count")

		one(expect(201, "POST", "/api/v1/risks", admin, map[string]any{"student_id": sid, "risk_type": "academic", "severity": "high",
			"description": "Failing two courses"}), event.RiskCreated, "id", "student_id", "severity")

		// A CSV import records student.created for each new row only.
		csv := "name,roll_no,department,semester\nNew One,EV-2,Events,1\nEve Ent,EV-1,Events,3\n"
		before := len(pending())
		r := h.do("POST", "/api/v1/students/import", admin, csv, "Content-Type", "text/csv")
		expectStatus(t, r, http.StatusOK)
		evs := pending()[before:]
		if len(evs) != 1 || evs[0].Type != event.StudentCreated || !strings.Contains(fmt.Sprint(evs[0].Payload), "EV-2") {
			t.Fatalf("import events: %v", evs)
		}
	})
}
