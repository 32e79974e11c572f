package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The helpers here are prefixed "ca" (complaint agents) to stay apart from
// other files' helpers in this package.

// caWaitFor polls cond until it holds, failing the test after a generous
// deadline with what it last saw.
func caWaitFor(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never happened; last seen: %s", what, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// caHistory returns a complaint's history entries.
func caHistory(t *testing.T, h *harness, token string, id int64) []map[string]any {
	t.Helper()
	r := h.do("GET", fmt.Sprintf("/api/v1/complaints/%d/history?limit=100", id), token, nil)
	expectStatus(t, r, http.StatusOK)
	var out []map[string]any
	for _, it := range r.json(t)["items"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func caEntries(hist []map[string]any, action string) []map[string]any {
	var out []map[string]any
	for _, e := range hist {
		if e["action"] == action {
			out = append(out, e)
		}
	}
	return out
}

func caComplaint(t *testing.T, h *harness, token string, id int64) map[string]any {
	t.Helper()
	r := h.do("GET", fmt.Sprintf("/api/v1/complaints/%d", id), token, nil)
	expectStatus(t, r, http.StatusOK)
	return r.json(t)
}

func caFile(t *testing.T, h *harness, token string, body map[string]any) int64 {
	t.Helper()
	r := h.do("POST", "/api/v1/complaints", token, body)
	expectStatus(t, r, http.StatusCreated)
	return int64(r.json(t)["id"].(float64))
}

// caRunNow runs an agent now as admin and waits for its task to
// complete.
func caRunNow(t *testing.T, h *harness, admin, name string) {
	t.Helper()
	r := h.do("POST", "/api/v1/agents/"+name+"/run", admin, nil)
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")
	caWaitFor(t, "task "+id+" completed", func() (bool, string) {
		task := h.do("GET", "/api/v1/tasks/"+id, admin, nil)
		return task.Status == http.StatusOK && task.str(t, "status") == "completed", string(task.Body)
	})
}

// caRegisterStaff creates a second staff account through the API and
// returns its token and id.
func caRegisterStaff(t *testing.T, h *harness, admin, username string) (string, int64) {
	t.Helper()
	r := h.do("POST", "/api/v1/auth/register", admin, map[string]string{"username": username, "email": username + "@campus.edu",
		"password": "correct horse battery", "full_name": "Staff " + username, "role": "staff"})
	expectStatus(t, r, http.StatusCreated)
	tok := h.token(username, "correct horse battery")
	return tok, userID(t, h, tok)
}

// TestComplaintTriageAgent: with the worker running, a filed complaint is
// triaged from its text where the filer left the defaults, assigned to
// the staff member with the fewest open complaints (lowest id on a tie),
// explained in its history, and its assignee notified; a complaint filed
// with an explicit category and priority keeps them; running the agent
// again triages nothing twice.
func TestComplaintTriageAgent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		admin, staff1, student := h.token("admin", "admin123"), h.token("staff1", "staff123"), h.token("student1", "student123")
		staff1ID := userID(t, h, staff1)
		staff2, staff2ID := caRegisterStaff(t, h, admin, "staff2")
		if staff2ID < staff1ID {
			t.Fatalf("staff2 (%d) should have a higher id than staff1 (%d)", staff2ID, staff1ID)
		}
		triaged := func(id int64) map[string]any {
			t.Helper()
			var entry map[string]any
			caWaitFor(t, fmt.Sprintf("complaint %d triaged", id), func() (bool, string) {
				hist := caHistory(t, h, admin, id)
				if es := caEntries(hist, "triaged"); len(es) == 1 {
					entry = es[0]
					return true, ""
				}
				return false, fmt.Sprint(hist)
			})
			return entry
		}

		// Explicit category and priority: kept. Both staff have no open
		// complaint: the tie goes to the lowest id, staff1.
		explicit := caFile(t, h, student, map[string]any{"title": "Heater broken",
			"description": "The heater in hostel room 12 is broken and water leaks", "category": "academic", "priority": "low"})
		entry := triaged(explicit)
		c := caComplaint(t, h, admin, explicit)
		if c["category"] != "academic" || c["priority"] != "low" || c["assigned_to"] != float64(staff1ID) {
			t.Fatalf("explicit complaint after triage: %v", c)
		}
		if note, _ := entry["note"].(string); !strings.Contains(note, "category academic kept: chosen by the filer") ||
			!strings.Contains(note, "assigned to user "+fmt.Sprint(staff1ID)) || entry["by"] != float64(0) {
			t.Fatalf("explicit triage entry: %v", entry)
		}

		// Defaults left: the text decides; staff1 now has one open
		// complaint, staff2 none.
		id := caFile(t, h, student, map[string]any{"title": "Heater broken",
			"description": "The heater in hostel room 12 is broken and water leaks"})
		entry = triaged(id)
		c = caComplaint(t, h, admin, id)
		if c["category"] != "facilities" || c["priority"] != "high" || c["assigned_to"] != float64(staff2ID) {
			t.Fatalf("triaged complaint: %v", c)
		}
		if due, created := utcTime(t, c["due_at"]), utcTime(t, c["created_at"]); !due.Equal(created.Add(48 * time.Hour)) {
			t.Fatalf("high priority due_at %v, created %v", due, created)
		}
		note, _ := entry["note"].(string)
		for _, want := range []string{"complaint-triage:", `category facilities: rule "facilities" matched heater*`, "leak*",
			`priority high: rule "high-impact" matched broken`, fmt.Sprintf("assigned to user %d", staff2ID), "fewest open complaints (0;"} {
			if !strings.Contains(note, want) {
				t.Fatalf("triage note lacks %q: %s", want, note)
			}
		}
		changed := map[string]bool{}
		for _, ch := range entry["changes"].([]any) {
			changed[ch.(map[string]any)["field"].(string)] = true
		}
		if !changed["category"] || !changed["priority"] || !changed["due_at"] || !changed["assigned_to"] {
			t.Fatalf("triage changes: %v", entry["changes"])
		}
		ns := notificationsOfKind(t, h, staff2, "complaint.assigned")
		if len(ns) != 1 || ns[0]["resource_id"] != fmt.Sprint(id) || !strings.Contains(ns[0]["body"].(string), "heater*") {
			t.Fatalf("staff2 notifications: %v", ns)
		}
		if ns := notificationsOfKind(t, h, staff1, "complaint.assigned"); len(ns) != 1 || ns[0]["resource_id"] != fmt.Sprint(explicit) {
			t.Fatalf("staff1 notifications: %v", ns)
		}

		// Running the agent now triages nothing twice.
		caRunNow(t, h, admin, "complaint-triage")
		for _, cid := range []int64{explicit, id} {
			if n := len(caEntries(caHistory(t, h, admin, cid), "triaged")); n != 1 {
				t.Fatalf("complaint %d triaged %d times", cid, n)
			}
		}
		if ns := notificationsOfKind(t, h, staff2, "complaint.assigned"); len(ns) != 1 {
			t.Fatalf("staff2 notified again: %v", ns)
		}
		// Run now's run, and the events' runs (recorded in a batch within a second).
		caWaitFor(t, "the triage runs recorded", func() (bool, string) {
			a := h.do("GET", "/api/v1/agents/complaint-triage", admin, nil).json(t)
			return a["trigger"] == "event" && a["last_status"] == "succeeded" && a["runs"].(float64) >= 2, fmt.Sprint(a)
		})
	})
}

// TestComplaintEscalationAgent: an overdue complaint goes up one priority
// level when the agent runs, once per breach, with its due time counted
// again from now; an urgent one stays urgent; the assignee and the admins
// are notified once per breach.
func TestComplaintEscalationAgent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		admin, staff1, student := h.token("admin", "admin123"), h.token("staff1", "staff123"), h.token("student1", "student123")
		staff1ID := userID(t, h, staff1)
		normal := caFile(t, h, student, map[string]any{"title": "Projector", "description": "Nothing to see in room B2",
			"category": "academic", "priority": "normal"})
		urgent := caFile(t, h, student, map[string]any{"title": "Lights", "description": "Nothing to see in room B3",
			"category": "academic", "priority": "urgent"})
		for _, id := range []int64{normal, urgent} {
			caWaitFor(t, fmt.Sprintf("complaint %d triaged", id), func() (bool, string) {
				hist := caHistory(t, h, admin, id)
				return len(caEntries(hist, "triaged")) == 1, fmt.Sprint(hist)
			})
		}
		if c := caComplaint(t, h, admin, normal); c["assigned_to"] != float64(staff1ID) || c["priority"] != "normal" {
			t.Fatalf("before escalation: %v", c)
		}

		// Both overdue by an hour.
		if _, err := h.app.DB.Bun().NewUpdate().Table("complaints").Set("due_at = ?", time.Now().UTC().Add(-time.Hour)).
			Where("id IN (?, ?)", normal, urgent).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		before := time.Now().UTC()
		caRunNow(t, h, admin, "complaint-escalation")
		after := time.Now().UTC()

		c := caComplaint(t, h, admin, normal)
		due := utcTime(t, c["due_at"])
		if c["priority"] != "high" || due.Before(before.Add(48*time.Hour).Truncate(time.Second)) || due.After(after.Add(48*time.Hour)) {
			t.Fatalf("escalated complaint (due_at counted from now, %v..%v + 48h): %v", before, after, c)
		}
		if u := caComplaint(t, h, admin, urgent); u["priority"] != "urgent" {
			t.Fatalf("urgent stays urgent: %v", u)
		}
		esc := caEntries(caHistory(t, h, admin, normal), "escalated")
		if len(esc) != 1 || !strings.Contains(esc[0]["note"].(string), "priority raised from normal to high; due_at recomputed from now") {
			t.Fatalf("escalation history: %v", esc)
		}
		if esc := caEntries(caHistory(t, h, admin, urgent), "escalated"); len(esc) != 1 || !strings.Contains(esc[0]["note"].(string), "already urgent") {
			t.Fatalf("urgent escalation history: %v", esc)
		}
		check := func() {
			t.Helper()
			ns := notificationsOfKind(t, h, admin, "complaint.escalated")
			got := map[string]int{}
			for _, n := range ns {
				got[n["resource_id"].(string)]++
			}
			if len(ns) != 2 || got[fmt.Sprint(normal)] != 1 || got[fmt.Sprint(urgent)] != 1 {
				t.Fatalf("admin escalation notifications: %v", ns)
			}
			ns = notificationsOfKind(t, h, staff1, "complaint.escalated")
			if len(ns) != 2 {
				t.Fatalf("assignee escalation notifications: %v", ns)
			}
		}
		check()

		// Running again: no new breach, nothing more.
		caRunNow(t, h, admin, "complaint-escalation")
		if c2 := caComplaint(t, h, admin, normal); c2["priority"] != "high" || c2["due_at"] != c["due_at"] {
			t.Fatalf("escalated twice: %v", c2)
		}
		if n := len(caEntries(caHistory(t, h, admin, normal), "escalated")); n != 1 {
			t.Fatalf("escalation entries: %d", n)
		}
		check()
		runs := h.do("GET", "/api/v1/agents/complaint-escalation/runs", admin, nil).json(t)["items"].([]any)
		if len(runs) < 2 {
			t.Fatalf("runs: %v", runs)
		}
	})
}
