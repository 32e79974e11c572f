package e2e

import (
	"net/http"
	"testing"
	"time"
)

// TestAgentsAndTasks: agents are listed with live figures, run now by an
// admin as a background task its requester can follow, recorded run by
// run, and a disabled agent's run completes as skipped.
func TestAgentsAndTasks(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		admin, staff := h.token("admin", "admin123"), h.token("staff1", "staff123")

		r := h.do("GET", "/api/v1/agents", staff, nil)
		expectStatus(t, r, http.StatusOK)
		var agents []map[string]any
		mustJSON(t, r.Body, &agents)
		if len(agents) < 1 || agents[0]["name"] != "maintenance" || agents[0]["enabled"] != true ||
			agents[0]["trigger"] != "schedule" || agents[0]["schedule"] != "0 * * * *" || agents[0]["runs"].(float64) != 0 {
			t.Fatalf("agents: %s", r.Body)
		}
		expectProblem(t, h.do("GET", "/api/v1/agents/nope", staff, nil), 404, "")
		expectProblem(t, h.do("POST", "/api/v1/agents/maintenance/run", staff, nil), 403, "Insufficient permissions")

		runNow := func() string {
			t.Helper()
			r := h.do("POST", "/api/v1/agents/maintenance/run", admin, nil)
			expectStatus(t, r, http.StatusAccepted)
			id := r.str(t, "task_id")
			if id == "" || r.Header.Get("Location") != "/api/v1/tasks/"+id {
				t.Fatalf("run now: %s %v", r.Body, r.Header)
			}
			deadline := time.Now().Add(15 * time.Second)
			for {
				task := h.do("GET", "/api/v1/tasks/"+id, admin, nil)
				expectStatus(t, task, http.StatusOK)
				if task.str(t, "status") == "completed" {
					if task.str(t, "type") != "maintenance:run" {
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
		id := runNow()
		expectProblem(t, h.do("GET", "/api/v1/tasks/"+id, staff, nil), 404, "") // not staff1's task
		expectProblem(t, h.do("GET", "/api/v1/tasks/no-such-task", admin, nil), 404, "")

		runs := h.do("GET", "/api/v1/agents/maintenance/runs", staff, nil)
		expectStatus(t, runs, http.StatusOK)
		items := runs.json(t)["items"].([]any)
		first := items[0].(map[string]any)
		if len(items) != 1 || first["outcome"] != "succeeded" || first["task_id"] != id {
			t.Fatalf("runs: %s", runs.Body)
		}
		if _, ok := first["counts"].(map[string]any)["sessions_pruned"]; !ok {
			t.Fatalf("run counts: %v", first["counts"])
		}

		expectProblem(t, h.do("PATCH", "/api/v1/agents/maintenance", staff, map[string]any{"enabled": false}), 403, "")
		r = h.do("PATCH", "/api/v1/agents/maintenance", admin, map[string]any{"enabled": false})
		expectStatus(t, r, http.StatusOK)
		if r.json(t)["enabled"] != false {
			t.Fatalf("patch: %s", r.Body)
		}
		runNow()
		a := h.do("GET", "/api/v1/agents/maintenance", staff, nil).json(t)
		if a["last_status"] != "skipped" || a["runs"].(float64) != 2 || a["failures"].(float64) != 0 {
			t.Fatalf("after a disabled run: %v", a)
		}
	})
}
