package e2e

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	appagent "github.com/campus/campus/application/agent"
)

// TestAgentsThroughCampusWorker runs the agents the production way: an API
// without a worker and a `campus worker` process sharing PostgreSQL and
// Redis (asynq). A filed complaint is triaged, absences raise an
// attendance risk, and every agent's run-now task completes, recorded as
// a successful run.
func TestAgentsThroughCampusWorker(t *testing.T) {
	f := newWorkerFleet(t)
	h := f.h
	f.start()
	admin, staff, student := h.token("admin", "admin123"), h.token("staff1", "staff123"), h.token("student1", "student123")

	id := caFile(t, h, student, map[string]any{"title": "Heater broken",
		"description": "The heater in hostel room 12 is broken and water leaks"})
	caWaitFor(t, "the complaint triaged by the worker process", func() (bool, string) {
		c := caComplaint(t, h, admin, id)
		return c["assigned_to"] != nil && len(caEntries(caHistory(t, h, admin, id), "triaged")) == 1, fmt.Sprint(c)
	})

	sid := int64(h.do("GET", "/api/v1/auth/profile", student, nil).json(t)["student_id"].(float64))
	today := time.Now().UTC()
	for d := 1; d <= 6; d++ {
		day := today.AddDate(0, 0, -d).Format(time.DateOnly)
		expectStatus(t, h.do("POST", "/api/v1/attendance/bulk", staff, map[string]any{"date": day, "session": "daily",
			"records": []map[string]any{{"student_id": sid, "status": "absent"}}}), http.StatusOK)
	}
	waitRisk(t, h, admin, sid, "an attendance risk raised through asynq", func(rs []riskView) bool {
		return len(rs) == 1 && rs[0].Status == "open" && rs[0].Severity == "critical"
	})

	for _, def := range appagent.Definitions() {
		r := h.do("POST", "/api/v1/agents/"+def.Name+"/run", admin, nil)
		expectStatus(t, r, http.StatusAccepted)
		task := f.waitTask(r.str(t, "task_id"), 30*time.Second, func(task map[string]any) bool {
			if s := task["status"]; s == "archived" || s == "failed" || s == "retry" {
				t.Fatalf("%s: %v", def.Name, task)
			}
			return task["status"] == "completed"
		})
		if task["type"] != def.JobType {
			t.Fatalf("%s ran as %v", def.Name, task["type"])
		}
		a := h.do("GET", "/api/v1/agents/"+def.Name, admin, nil).json(t)
		if a["runs"].(float64) < 1 || a["failures"].(float64) != 0 || a["last_status"] != "succeeded" {
			t.Fatalf("%s after its run: %v", def.Name, a)
		}
	}
}
