package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestScaleOut is the scale-out proof: real processes of the one binary,
// two `campus serve` (API only), two `campus worker` and two `campus
// scheduler`, over one PostgreSQL database and one Redis, behave as one
// system. A logout or session deletion on one API holds on the other at
// once; an update on one is never served stale by the other's cache; each
// periodic tick runs once (maintenance every second through
// AGENT_SCHEDULES, from both schedulers); every attendance event is
// processed once by the two workers together.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs six processes")
	}
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	prefix := testenv.KeyPrefix(t)
	t.Cleanup(func() { testenv.DropQueues(t, redisURL, prefix) })
	bin := buildBinary(t)

	env := cleanEnv()
	for k, v := range base {
		env = append(env, k+"="+v)
	}
	env = append(env, "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL, "QUEUE_PREFIX="+prefix, "CACHE_PREFIX="+prefix,
		"AGENT_SCHEDULES=maintenance=@every 1s", "LOG_LEVEL=WARN",
		// Six processes share the test server with other packages' tests.
		"POOL_SIZE=3", "POOL_MAX_OVERFLOW=5", "WORKER_CONCURRENCY=4")

	// The first API migrates the fresh database and seeds the accounts;
	// everything else starts at once beside it.
	a := soServe(t, bin, env, "api-a", "--migrate")
	a.waitReady(t)
	b := soServe(t, bin, env, "api-b")
	for _, name := range []string{"worker-1", "worker-2"} {
		soStart(t, bin, env, name, "worker")
	}
	schedulersStarted := time.Now()
	for _, name := range []string{"scheduler-1", "scheduler-2"} {
		soStart(t, bin, env, name, "scheduler")
	}
	b.waitReady(t)

	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	soWaitProcesses(t, insp, prefix)

	admin := a.token(t, "admin", "admin123")

	t.Run("revocations hold on the other API at once", func(t *testing.T) {
		access, refresh := a.login(t, "staff1", "staff123")
		b.expect(t, "GET", "/api/v1/auth/profile", access, nil, http.StatusOK)
		a.expect(t, "POST", "/api/v1/auth/logout", access, nil, http.StatusOK)
		if d := b.expect(t, "GET", "/api/v1/auth/profile", access, nil, http.StatusUnauthorized)["detail"]; d != "Token has been revoked" {
			t.Fatalf("B after the logout on A: %v", d)
		}
		b.expect(t, "POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}, http.StatusUnauthorized)

		keep, _ := a.login(t, "staff1", "staff123")
		doomed, _ := b.login(t, "staff1", "staff123")
		b.expect(t, "GET", "/api/v1/auth/profile", doomed, nil, http.StatusOK)
		var id string
		for _, s := range b.list(t, "/api/v1/auth/sessions", doomed) {
			if s["current"] == true {
				id, _ = s["id"].(string)
			}
		}
		if id == "" {
			t.Fatal("B lists no current session")
		}
		a.expect(t, "DELETE", "/api/v1/auth/sessions/"+id, keep, nil, http.StatusNoContent)
		if d := b.expect(t, "GET", "/api/v1/auth/profile", doomed, nil, http.StatusUnauthorized)["detail"]; d != "Token has been revoked" {
			t.Fatalf("B after the session was deleted on A: %v", d)
		}
		a.expect(t, "GET", "/api/v1/auth/profile", doomed, nil, http.StatusUnauthorized)
		b.expect(t, "GET", "/api/v1/auth/profile", keep, nil, http.StatusOK) // the other session lives on
	})

	t.Run("an update is never served stale by the other API", func(t *testing.T) {
		const roll = "SCALE-STALE-1"
		s := a.expect(t, "POST", "/api/v1/students", admin, map[string]any{"name": "Stale Check", "roll_no": roll,
			"department": "CS", "semester": 1, "section": "A"}, http.StatusCreated)
		path := "/api/v1/students/" + strconv.Itoa(int(s["id"].(float64)))
		for i := range 20 {
			writer, reader := a, b // both directions, alternately
			if i%2 == 1 {
				writer, reader = b, a
			}
			for range 2 { // the reader has the current value cached
				reader.expect(t, "GET", path, admin, nil, http.StatusOK)
				reader.expect(t, "GET", "/api/v1/students?q="+roll, admin, nil, http.StatusOK)
			}
			section, name := fmt.Sprintf("S%02d", i), fmt.Sprintf("Stale Check %d", i)
			writer.expect(t, "PATCH", path, admin, map[string]any{"section": section, "name": name}, http.StatusOK)
			got := reader.expect(t, "GET", path, admin, nil, http.StatusOK)
			if got["section"] != section || got["name"] != name {
				t.Fatalf("round %d: %s wrote section %s, name %q; %s then served section %v, name %v",
					i, writer.name, section, name, reader.name, got["section"], got["name"])
			}
			items := reader.expect(t, "GET", "/api/v1/students?q="+roll, admin, nil, http.StatusOK)["items"].([]any)
			if len(items) != 1 || items[0].(map[string]any)["section"] != section {
				t.Fatalf("round %d: %s's list served %v after %s wrote section %s", i, reader.name, items, writer.name, section)
			}
		}
	})

	t.Run("every attendance event is processed once by the two workers", func(t *testing.T) {
		const students, days = 20, 10 // N = 200 marks, half through each API
		ids := make([]int64, students)
		for i := range ids {
			api := []*soAPI{a, b}[i%2]
			s := api.expect(t, "POST", "/api/v1/students", admin, map[string]any{"name": fmt.Sprintf("Scale %d", i),
				"roll_no": fmt.Sprintf("SCALE-EV-%03d", i), "department": "CS", "semester": 2}, http.StatusCreated)
			ids[i] = int64(s["id"].(float64))
		}
		before := soEventRuns(t, a, admin)
		today := time.Now().UTC()
		for d := 1; d <= days; d++ {
			api := a
			if d > days/2 {
				api = b
			}
			records := make([]map[string]any, len(ids))
			for i, id := range ids {
				records[i] = map[string]any{"student_id": id, "status": []string{"present", "late", "absent"}[(i+d)%3]}
			}
			r := api.expect(t, "POST", "/api/v1/attendance/bulk", admin, map[string]any{"date": today.AddDate(0, 0, -d).Format(time.DateOnly),
				"session": "daily", "records": records}, http.StatusOK)
			if r["created"] != float64(students) {
				t.Fatalf("bulk on %s: %v", api.name, r)
			}
		}
		const n = students * days

		// Wait until the outbox is relayed, the default queue (events) is idle
		// and the agent's runs account for every mark.
		db, err := pgx.Connect(context.Background(), dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close(context.Background())
		deadline := time.Now().Add(45 * time.Second)
		for {
			var unrelayed int
			if err := db.QueryRow(context.Background(), "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL").Scan(&unrelayed); err != nil {
				t.Fatal(err)
			}
			q := soQueueInfo(t, insp, prefix+ports.QueueDefault)
			events := soEventRuns(t, a, admin) - before
			if unrelayed == 0 && q.Pending+q.Active+q.Scheduled+q.Retry == 0 && events >= n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after %d marks: %d events unrelayed, default queue %+v, %d events in the agent's runs", n, unrelayed, q, events)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// A worker records the events it handled once a batch window has
		// passed: let any batch still open close, so a double would show.
		time.Sleep(appagent.EventBatchWindow + 500*time.Millisecond)
		if events := soEventRuns(t, a, admin) - before; events != n {
			t.Fatalf("the attendance-risk agent handled %d events for %d marks", events, n)
		}
		if q := soQueueInfo(t, insp, prefix+ports.QueueDefault); q.Archived != 0 || q.Retry != 0 {
			t.Fatalf("default queue: %+v", q)
		}
	})

	t.Run("each periodic tick runs once", func(t *testing.T) {
		// Both schedulers' entries are live; health counts each entry once.
		scheduled := 0
		for _, d := range appagent.Definitions() {
			if d.Schedule != "" {
				scheduled++
			}
		}
		if got := soSchedulerEntries(t, insp, prefix); got != 2*scheduled {
			t.Fatalf("%d periodic entries of this deployment registered, want %d (two schedulers × %d)", got, 2*scheduled, scheduled)
		}
		sched := a.expect(t, "GET", "/health/full", "", nil, http.StatusOK)["components"].(map[string]any)["scheduler"].(map[string]any)
		// Other tests' schedulers may share this Redis: at least ours, never doubled.
		if c := sched["tasks_count"].(float64); sched["running"] != true || c < float64(scheduled) || c >= float64(2*scheduled) {
			t.Fatalf("health scheduler %v, want tasks_count %d", sched, scheduled)
		}

		// The agents API shows the schedule that ticks, not the default.
		if m := a.expect(t, "GET", "/api/v1/agents/"+appagent.Maintenance, admin, nil, http.StatusOK); m["schedule"] != "@every 1s" {
			t.Fatalf("GET /agents/maintenance schedule %v, want the AGENT_SCHEDULES override", m["schedule"])
		}

		var runs []map[string]any
		deadline := time.Now().Add(30 * time.Second)
		for {
			runs = a.listAll(t, "/api/v1/agents/"+appagent.Maintenance+"/runs", admin)
			if len(runs) >= 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d maintenance runs %.0f s after the schedulers started", len(runs), time.Since(schedulersStarted).Seconds())
			}
			time.Sleep(200 * time.Millisecond)
		}
		elapsed := time.Since(schedulersStarted)
		slots := map[time.Time]string{}
		for _, r := range runs {
			id, _ := r["task_id"].(string)
			at, ok := strings.CutPrefix(id, appagent.Maintenance+"@")
			slot, err := time.Parse(time.RFC3339, at)
			if !ok || err != nil {
				t.Fatalf("run %v: not a tick id", r)
			}
			if r["outcome"] != "succeeded" {
				t.Fatalf("maintenance run %v", r)
			}
			if prev, dup := slots[slot]; dup {
				t.Fatalf("tick %s ran twice (runs %s and %v)", slot.Format(time.RFC3339), prev, r["id"])
			}
			slots[slot] = fmt.Sprint(r["id"])
			started, err := time.Parse(time.RFC3339Nano, r["started_at"].(string))
			if err != nil || started.Before(slot) || slot.Before(schedulersStarted.Truncate(time.Second)) {
				t.Fatalf("run %v: tick %s, schedulers started %s", r, slot, schedulersStarted)
			}
		}
		// One run a second, not one per scheduler (allowing for ticks
		// still queued and schedulers still starting).
		if n, secs := float64(len(runs)), elapsed.Seconds(); n > secs+1 || n < secs/2-2 {
			t.Fatalf("%.0f maintenance runs in %.1f s from two schedulers ticking every second", n, secs)
		}
		t.Logf("%d maintenance ticks in %.1f s, each run once", len(runs), elapsed.Seconds())
	})
}

// soBuffer is a process's output, written by exec's copier while the test
// may read it.
type soBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *soBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *soBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// soStart runs the binary with args until the test ends; its output is
// printed if the test fails.
func soStart(t *testing.T, bin string, env []string, name string, args ...string) *soBuffer {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = env
	logs := &soBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
		if t.Failed() {
			out := logs.String()
			if len(out) > 4000 {
				out = "…" + out[len(out)-4000:]
			}
			t.Logf("%s (%s) output:\n%s", name, strings.Join(args, " "), out)
		}
	})
	return logs
}

// soAPI is one `campus serve` process and an HTTP client of it.
type soAPI struct {
	name, url string
	logs      *soBuffer
	client    *http.Client
}

func soServe(t *testing.T, bin string, env []string, name string, flags ...string) *soAPI {
	t.Helper()
	port := freeTCPPort(t)
	env = append(append([]string(nil), env...), "PORT="+strconv.Itoa(port))
	logs := soStart(t, bin, env, name, append([]string{"serve"}, flags...)...)
	return &soAPI{name: name, url: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs, client: &http.Client{Timeout: 30 * time.Second}}
}

func (s *soAPI) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if resp, err := s.client.Get(s.url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never became healthy", s.name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// do sends a request (body nil or a value sent as JSON) and returns the
// status and the body.
func (s *soAPI) do(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		buf, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s on %s: %v", method, path, s.name, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// expect checks the status and decodes a JSON object answer (nil for an
// empty body).
func (s *soAPI) expect(t *testing.T, method, path, token string, body any, status int) map[string]any {
	t.Helper()
	got, b := s.do(t, method, path, token, body)
	if got != status {
		t.Fatalf("%s %s on %s: %d, want %d: %s", method, path, s.name, got, status, b)
	}
	if len(b) == 0 {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s %s on %s: not a JSON object: %s", method, path, s.name, b)
	}
	return m
}

// list reads an answer that is a JSON array.
func (s *soAPI) list(t *testing.T, path, token string) []map[string]any {
	t.Helper()
	status, b := s.do(t, "GET", path, token, nil)
	var out []map[string]any
	if status != http.StatusOK || json.Unmarshal(b, &out) != nil {
		t.Fatalf("GET %s on %s: %d %s", path, s.name, status, b)
	}
	return out
}

// listAll reads every page of a list endpoint.
func (s *soAPI) listAll(t *testing.T, path, token string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for {
		page := s.expect(t, "GET", fmt.Sprintf("%s?limit=200&offset=%d", path, len(out)), token, nil, http.StatusOK)
		items := page["items"].([]any)
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		if len(items) == 0 || len(out) >= int(page["total"].(float64)) {
			return out
		}
	}
}

func (s *soAPI) login(t *testing.T, username, password string) (access, refresh string) {
	t.Helper()
	m := s.expect(t, "POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}, http.StatusOK)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func (s *soAPI) token(t *testing.T, username, password string) string {
	t.Helper()
	access, _ := s.login(t, username, password)
	return access
}

// soEventRuns sums the events the attendance-risk agent's runs record;
// a failed run fails the test.
func soEventRuns(t *testing.T, api *soAPI, admin string) int {
	t.Helper()
	total := 0
	for _, r := range api.listAll(t, "/api/v1/agents/"+appagent.AttendanceRisk+"/runs", admin) {
		if r["outcome"] == "failed" {
			t.Fatalf("attendance-risk run failed: %v", r)
		}
		if c, ok := r["counts"].(map[string]any); ok {
			if n, ok := c["events"].(float64); ok {
				total += int(n)
			}
		}
	}
	return total
}

// soWaitProcesses waits until both workers serve this deployment's queues
// and both schedulers have registered their entries.
func soWaitProcesses(t *testing.T, insp *asynq.Inspector, prefix string) {
	t.Helper()
	scheduled := 0
	for _, d := range appagent.Definitions() {
		if d.Schedule != "" {
			scheduled++
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		servers, err := insp.Servers()
		if err != nil {
			t.Fatal(err)
		}
		workers := 0
		for _, s := range servers {
			if _, ok := s.Queues[prefix+ports.QueueDefault]; ok {
				workers++
			}
		}
		entries := soSchedulerEntries(t, insp, prefix)
		if workers == 2 && entries == 2*scheduled {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d workers and %d scheduler entries of this deployment live, want 2 and %d", workers, entries, 2*scheduled)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// soSchedulerEntries counts the periodic entries live schedulers have
// registered for this deployment's queues (each scheduler registers its own).
func soSchedulerEntries(t *testing.T, insp *asynq.Inspector, prefix string) int {
	t.Helper()
	entries, err := insp.SchedulerEntries()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		for _, o := range e.Opts {
			if o.Type() == asynq.QueueOpt && o.Value() == prefix+ports.QueueLow {
				n++
			}
		}
	}
	return n
}

// soQueueInfo reads a queue's figures; a queue nothing was enqueued to yet
// (asynq lists a queue from its first task on) is empty.
func soQueueInfo(t *testing.T, insp *asynq.Inspector, queue string) asynq.QueueInfo {
	t.Helper()
	names, err := insp.Queues()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, queue) {
		return asynq.QueueInfo{Queue: queue}
	}
	q, err := insp.GetQueueInfo(queue)
	if err != nil {
		t.Fatal(err)
	}
	return *q
}
