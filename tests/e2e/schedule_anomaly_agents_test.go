package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/schedule"
)

// saRunNow runs an agent now as the admin, waits for its task to complete
// and returns the counts its run recorded.
func saRunNow(t *testing.T, h *harness, admin, name string) map[string]any {
	t.Helper()
	r := h.do("POST", "/api/v1/agents/"+name+"/run", admin, nil)
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")
	deadline := time.Now().Add(15 * time.Second)
	for {
		task := h.do("GET", "/api/v1/tasks/"+id, admin, nil)
		expectStatus(t, task, http.StatusOK)
		status := task.str(t, "status")
		if status == "completed" {
			break
		}
		if status == "failed" || status == "archived" || time.Now().After(deadline) {
			t.Fatalf("task of %s: %s", name, task.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	runs := h.do("GET", "/api/v1/agents/"+name+"/runs?limit=200", admin, nil)
	expectStatus(t, runs, http.StatusOK)
	for _, it := range runs.json(t)["items"].([]any) {
		run := it.(map[string]any)
		if run["task_id"] == id {
			if run["outcome"] != "succeeded" {
				t.Fatalf("run of %s: %v", name, run)
			}
			return run["counts"].(map[string]any)
		}
	}
	t.Fatalf("no run of %s for task %s: %s", name, id, runs.Body)
	return nil
}

// TestScheduleConflictScanAgent: two clashing entries put straight into
// the store (the API refuses clashes, an import would not) become one
// schedule risk, raised by the entry's schedule.changed event through the
// worker; running the scan again adds nothing, and neither does a run
// after the record was resolved.
func TestScheduleConflictScanAgent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		ctx := context.Background()
		admin, staff := h.token("admin", "admin123"), h.token("staff1", "staff123")
		adminID := userID(t, h, admin)

		repo := store.NewScheduleRepository(h.app.DB)
		start := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Hour)
		mk := func(title, typ string, from, to time.Duration, room string) schedule.Entry {
			t.Helper()
			e, err := schedule.New(schedule.Fields{Title: title, EventType: typ, StartsAt: start.Add(from), EndsAt: start.Add(to), Location: room})
			if err != nil {
				t.Fatal(err)
			}
			if err := repo.Create(ctx, &e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		a := mk("Algebra", "class", 0, time.Hour, "Hall 7")
		b := mk("Physics midterm", "exam", 30*time.Minute, 2*time.Hour, "hall 7 ")
		mk("Chemistry", "class", 0, time.Hour, "Lab 2") // clashes with nothing
		// The API refuses a third entry in the room, so the clash exists only in the data.
		expectStatus(t, h.do("POST", "/api/v1/schedules", staff, map[string]any{"title": "Choir", "event_type": "event",
			"starts_at": start.Format(time.RFC3339), "ends_at": start.Add(time.Hour).Format(time.RFC3339), "location": "Hall 7"}), http.StatusConflict)

		// A schedule.changed event about entry a (as an import would record)
		// reaches the agent through the relay and the worker.
		ev := event.New("sched-import-1", event.ScheduleChanged, "schedule", strconv.FormatInt(a.ID, 10), time.Now().UTC(),
			map[string]any{"id": a.ID, "action": "created", "entry": schedule.Snapshot(a)})
		if err := store.NewOutbox(h.app.DB).Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
		list := func() []any {
			t.Helper()
			r := h.do("GET", "/api/v1/risks?risk_type=schedule", staff, nil)
			expectStatus(t, r, http.StatusOK)
			return r.json(t)["items"].([]any)
		}
		deadline := time.Now().Add(10 * time.Second)
		for len(list()) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the schedule.changed event raised no risk")
			}
			time.Sleep(50 * time.Millisecond)
		}
		items := list()
		if len(items) != 1 {
			t.Fatalf("risks: %v", items)
		}
		rk := items[0].(map[string]any)
		if rk["student_id"] != nil || rk["source"] != "schedule-conflict-scan" || rk["severity"] != "high" || rk["status"] != "open" {
			t.Fatalf("risk: %v", rk)
		}
		factors := map[string]any{}
		for _, f := range rk["factors"].([]any) {
			factors[f.(map[string]any)["name"].(string)] = f.(map[string]any)["value"]
		}
		if factors["clash"] != "location" || factors["same_location"] != "Hall 7" || factors["overlap_minutes"] != 30.0 ||
			factors["entry_a"] != fmt.Sprintf("#%d Algebra (class) %s–%s", a.ID, a.StartsAt.Format(time.RFC3339), a.EndsAt.Format(time.RFC3339)) ||
			factors["entry_b"] == nil {
			t.Fatalf("factors: %v", factors)
		}
		riskID := int64(rk["id"].(float64))
		var mine []map[string]any
		for _, n := range notificationsOfKind(t, h, admin, "risk.opened") {
			if n["resource"] == "risk" && n["resource_id"] == strconv.FormatInt(riskID, 10) {
				mine = append(mine, n)
			}
		}
		if len(mine) != 1 || mine[0]["title"] != fmt.Sprintf("Schedule clash: #%d and #%d (location)", a.ID, b.ID) {
			t.Fatalf("admin %d notifications: %v", adminID, mine)
		}

		// The hourly pass finds the same pair and knows it.
		counts := saRunNow(t, h, admin, "schedule-conflict-scan")
		if counts["clashes"] != 1.0 || counts["raised"] != 0.0 || counts["known"] != 1.0 {
			t.Fatalf("second run: %v", counts)
		}
		if n := len(list()); n != 1 {
			t.Fatalf("a second run added records: %d", n)
		}

		// A person resolves it; the pair is never raised again.
		r := h.do("PATCH", fmt.Sprintf("/api/v1/risks/%d", riskID), staff, map[string]any{"status": "resolved",
			"action_taken": "Midterm moved to Hall 9 next week"})
		expectStatus(t, r, http.StatusOK)
		counts = saRunNow(t, h, admin, "schedule-conflict-scan")
		if counts["raised"] != 0.0 || counts["known"] != 1.0 {
			t.Fatalf("run after resolving: %v", counts)
		}
		items = list()
		if len(items) != 1 || items[0].(map[string]any)["status"] != "resolved" {
			t.Fatalf("after resolving: %v", items)
		}
		if n := len(notificationsOfKind(t, h, admin, "risk.opened")); n != len(mine) {
			t.Fatalf("notified again: %d", n)
		}
	})
}

// TestAnomalyDetectionAgent: eight days of a department's attendance
// marked through the API with a drop on the last one (yesterday), a
// student whose drop starts yesterday, and a complaint spike yesterday
// become three anomalies and three notifications to the admin; running
// again records none.
func TestAnomalyDetectionAgent(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		ctx := context.Background()
		admin, staff := h.token("admin", "admin123"), h.token("staff1", "staff123")
		adminID := userID(t, h, admin)
		// TIMEZONE is UTC here.
		d := anomaly.AddDays(attendance.DateOf(time.Now(), time.UTC), -1)

		var ids []int64
		for i := range 5 {
			r := h.do("POST", "/api/v1/students", staff, map[string]any{"name": fmt.Sprintf("Anomalous %d", i),
				"roll_no": fmt.Sprintf("AN-%d", i), "department": "Astronomy", "semester": 2, "section": "B"})
			expectStatus(t, r, http.StatusCreated)
			ids = append(ids, int64(r.json(t)["id"].(float64)))
		}
		dropper := ids[4]
		// 31 days, everyone present, except: the dropper is absent the
		// last three days (d-2, d-1, d); on d only the first student came.
		for back := 30; back >= 0; back-- {
			var records []map[string]any
			for i, id := range ids {
				st := "present"
				if (id == dropper && back <= 2) || (back == 0 && i > 0) {
					st = "absent"
				}
				records = append(records, map[string]any{"student_id": id, "status": st})
			}
			r := h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": anomaly.AddDays(d, -back).String(), "records": records})
			expectStatus(t, r, http.StatusOK)
		}
		// Complaints of the day before yesterday (1) and yesterday (3),
		// stored with their filing time (the API would stamp now).
		complaints := store.NewComplaintRepository(h.app.DB)
		noon, _ := anomaly.DayBounds(d, time.UTC)
		noon = noon.Add(12 * time.Hour)
		for _, at := range []time.Time{noon.Add(-24 * time.Hour), noon, noon.Add(time.Hour), noon.Add(2 * time.Hour)} {
			c, err := complaint.New(complaint.Fields{StudentID: ids[0], Title: "Telescope broken", Description: "The dome telescope will not turn."},
				adminID, at)
			if err != nil {
				t.Fatal(err)
			}
			if err := complaints.Create(ctx, &c); err != nil {
				t.Fatal(err)
			}
		}

		counts := saRunNow(t, h, admin, "anomaly-detection")
		if anomaly.AddDays(attendance.DateOf(time.Now(), time.UTC), -1) != d {
			t.Skip("midnight passed during the test: the agent analysed another day")
		}
		if counts["found"] != 3.0 || counts["recorded"] != 3.0 || counts["known"] != 0.0 {
			t.Fatalf("run: %v", counts)
		}
		found, err := store.NewAnomalyRepository(h.app.DB).List(ctx, anomaly.AddDays(d, -30), d)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]anomaly.Anomaly{}
		for _, a := range found {
			got[a.Key()] = a
		}
		dept := got["attendance_drop:department:Astronomy:"+d.String()]
		student := got[fmt.Sprintf("attendance_drop:student:%d:%s", dropper, d)]
		spike := got["complaint_spike:campus:campus:"+d.String()]
		if len(found) != 3 || dept.ID == 0 || student.ID == 0 || spike.ID == 0 {
			t.Fatalf("anomalies: %+v", found)
		}
		// The department: 1 of 5 against a trailing mean of (5×1 + 2×0.8)/7.
		if dept.Figures["rate"] != 0.2 || dept.Figures["trailing_mean"] != 0.9429 || dept.Figures["history_days"] != 7 {
			t.Fatalf("department figures: %v", dept.Figures)
		}
		// The student: 4 of 7 in the last week against 23 of 23 before.
		if student.Figures["recent_rate"] != 0.5714 || student.Figures["previous_rate"] != 1 || student.Figures["previous_counted"] != 23 {
			t.Fatalf("student figures: %v", student.Figures)
		}
		if spike.Figures["filed"] != 3 || spike.Figures["previous_day"] != 1 {
			t.Fatalf("spike figures: %v", spike.Figures)
		}
		notes := notificationsOfKind(t, h, admin, "anomaly.detected")
		if len(notes) != 3 {
			t.Fatalf("admin notifications: %v", notes)
		}
		titles := map[string]bool{}
		for _, n := range notes {
			titles[n["title"].(string)] = n["resource"] == "anomaly"
		}
		for _, want := range []string{"Attendance drop in Astronomy on " + d.String(), "Complaint spike on " + d.String(),
			fmt.Sprintf("Sudden attendance drop: student %d on %s", dropper, d)} {
			if !titles[want] {
				t.Fatalf("no notification %q: %v", want, titles)
			}
		}
		if n := len(notificationsOfKind(t, h, staff, "anomaly.detected")); n != 0 {
			t.Fatalf("staff were notified: %d", n)
		}

		// Re-running the day records nothing and tells no one again.
		counts = saRunNow(t, h, admin, "anomaly-detection")
		if counts["found"] != 3.0 || counts["recorded"] != 0.0 || counts["known"] != 3.0 || counts["notified"] != 0.0 {
			t.Fatalf("second run: %v", counts)
		}
		again, err := store.NewAnomalyRepository(h.app.DB).List(ctx, anomaly.AddDays(d, -30), d)
		if err != nil {
			t.Fatal(err)
		}
		if len(again) != 3 || len(notificationsOfKind(t, h, admin, "anomaly.detected")) != 3 {
			t.Fatalf("a second run added: %d anomalies", len(again))
		}
	})
}
