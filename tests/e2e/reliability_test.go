package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// workerFleet is an API (no worker of its own) over PostgreSQL and Redis,
// and the means to start `campus worker` processes beside it.
type workerFleet struct {
	t      *testing.T
	h      *harness
	env    []string
	prefix string
	redis  string
}

func newWorkerFleet(t *testing.T) *workerFleet {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	prefix := testenv.KeyPrefix(t)
	vars := map[string]string{"REDIS_URL": redisURL, "QUEUE_PREFIX": prefix, "CACHE_PREFIX": prefix, "MAX_BODY_BYTES": "8388608"}
	f := &workerFleet{t: t, h: newHarness(t, dbURL, vars), prefix: prefix, redis: redisURL}
	f.env = cleanEnv()
	for k, v := range base {
		f.env = append(f.env, k+"="+v)
	}
	f.env = append(f.env, "DATABASE_URL="+dbURL)
	for k, v := range vars {
		f.env = append(f.env, k+"="+v)
	}
	t.Cleanup(func() { testenv.DropQueues(t, redisURL, prefix) })
	return f
}

// start runs one `campus worker` process; it is killed when the test ends.
func (f *workerFleet) start() (*exec.Cmd, *bytes.Buffer) {
	f.t.Helper()
	cmd := exec.Command(buildBinary(f.t), "worker")
	cmd.Dir = f.t.TempDir()
	cmd.Env = f.env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd, &logs
}

// importCSV is a file of n new students whose roll numbers start with tag.
func importCSV(tag string, n int) string {
	var b strings.Builder
	b.WriteString("name,roll_no,department,semester\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Student %d,%s-%06d,CS,3\n", i, tag, i)
	}
	return b.String()
}

func (f *workerFleet) studentsTagged(tag string) int {
	f.t.Helper()
	return int(f.h.do("GET", "/api/v1/students?limit=1&q="+tag+"-", f.h.token("admin", "admin123"), nil).json(f.t)["total"].(float64))
}

func (f *workerFleet) task(id string) map[string]any {
	f.t.Helper()
	r := f.h.do("GET", "/api/v1/tasks/"+id, f.h.token("admin", "admin123"), nil)
	expectStatus(f.t, r, http.StatusOK)
	return r.json(f.t)
}

func (f *workerFleet) waitTask(id string, within time.Duration, done func(task map[string]any) bool) map[string]any {
	f.t.Helper()
	deadline := time.Now().Add(within)
	for {
		task := f.task(id)
		if done(task) {
			return task
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("task %s: %v", id, task)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkerKilledMidTask: a `campus worker` SIGKILLed in the middle of a
// large import leaves the task leased to a dead process; once its lease
// has expired another worker takes it up and runs it again, and every
// effect happens exactly once: each student created once, audited once,
// announced once (student.created).
func TestWorkerKilledMidTask(t *testing.T) {
	f := newWorkerFleet(t)
	const n, tag = 8000, "KILL"
	staff := f.h.token("staff1", "staff123")
	r := f.h.csvPost(staff, "", importCSV(tag, n))
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")

	first, logs := f.start()
	// Kill it once the import is under way and not finished.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if c := f.studentsTagged(tag); c > 0 && c < n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the import never got under way\n%s", logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = first.Process.Wait()
	partial := f.studentsTagged(tag)
	if partial == 0 || partial >= n {
		t.Fatalf("killed with %d of %d imported: not mid-task", partial, n)
	}
	if s := f.task(id)["status"]; s != "running" {
		t.Fatalf("after the kill the task is %v, want still running (leased to the dead worker)", s)
	}

	// A dead worker's lease runs out 30 s after its last heartbeat and asynq
	// recovers it 30 s later; rather than wait a minute, move the lease's
	// expiry into the past, as if that minute had passed.
	opt, err := redis.ParseURL(f.redis)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	leaseKey := "asynq:{" + f.prefix + ports.QueueDefault + "}:lease"
	if err := rdb.ZAdd(context.Background(), leaseKey, redis.Z{Score: float64(time.Now().Add(-2 * time.Minute).Unix()), Member: id}).Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("killed with %d of %d imported", partial, n)
	_, logs = f.start() // recovers expired leases when it starts: the task goes to retry
	f.waitTask(id, 30*time.Second, func(task map[string]any) bool { return task["status"] == "retry" })
	// An operator's "run now" (asynqmon, or the inspector) instead of the retry delay.
	insp := asynq.NewInspector(asynq.RedisClientOpt{Addr: opt.Addr, DB: opt.DB, Password: opt.Password})
	defer insp.Close()
	if err := insp.RunTask(f.prefix+ports.QueueDefault, id); err != nil {
		t.Fatal(err)
	}
	t.Log("recovered; running again")
	task := f.waitTask(id, 90*time.Second, func(task map[string]any) bool {
		if task["status"] == "archived" || task["status"] == "failed" {
			t.Fatalf("the re-run failed: %v\n%s", task, logs)
		}
		return task["status"] == "completed"
	})
	res := task["result"].(map[string]any)
	if int(res["created"].(float64)) != n-partial || int(res["unchanged"].(float64)) != partial {
		t.Fatalf("re-run result %v, with %d imported before the kill", res, partial)
	}
	if task["attempts"].(float64) < 2 {
		t.Fatalf("attempts: %v", task)
	}
	if c := f.studentsTagged(tag); c != n {
		t.Fatalf("%d students, want %d", c, n)
	}
	ctx := context.Background()
	db := f.h.app.DB.Bun()
	audits, err := db.NewSelect().Table("audit_logs").Where("action = 'create' AND resource = 'student'").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	events, err := db.NewSelect().Table("outbox_events").Where("type = 'student.created'").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if audits != n || events != n {
		t.Fatalf("audit entries %d, student.created events %d; want %d each", audits, events, n)
	}
}

// TestWorkerSIGTERMFinishesInFlightTask: SIGTERM while a task runs lets it
// finish before the worker exits (cleanly).
func TestWorkerSIGTERMFinishesInFlightTask(t *testing.T) {
	f := newWorkerFleet(t)
	const n, tag = 6000, "TERM"
	r := f.h.csvPost(f.h.token("staff1", "staff123"), "", importCSV(tag, n))
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")
	w, logs := f.start()
	f.waitTask(id, 60*time.Second, func(task map[string]any) bool { return task["status"] == "running" })
	if err := w.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- w.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("worker exited with %v\n%s", err, logs)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("worker did not stop\n%s", logs)
	}
	if task := f.task(id); task["status"] != "completed" || task["attempts"].(float64) != 1 {
		t.Fatalf("after SIGTERM the in-flight task is %v", task)
	}
	if c := f.studentsTagged(tag); c != n {
		t.Fatalf("%d students, want %d", c, n)
	}
}

// privateRedis runs a redis-server of this test's own on a free port, so
// the test can stop and restart it without disturbing other tests.
type privateRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startPrivateRedis(t *testing.T) *privateRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if testenv.RequireServices() {
			t.Fatal("redis-server is not on PATH")
		}
		t.Skip("redis-server is not on PATH")
	}
	r := &privateRedis{t: t, port: freeTCPPort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *privateRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *privateRedis) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", fmt.Sprint(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	opt, _ := redis.ParseURL(r.url())
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			r.t.Fatal("private redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *privateRedis) stop() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_, _ = r.cmd.Process.Wait()
		r.cmd = nil
	}
}

// TestRedisOutageAndRecovery: with Redis gone mid-run the API keeps
// serving reads and writes from the database (the cache bypassed, never a
// stale read) and says degraded; once Redis is back it is healthy again
// and caches again, without a restart.
func TestRedisOutageAndRecovery(t *testing.T) {
	rd := startPrivateRedis(t)
	h := newHarness(t, testenv.PostgresURL(t), map[string]string{"REDIS_URL": rd.url()})
	staff := h.token("staff1", "staff123")
	health := func() string {
		return h.do("GET", "/health/full", "", nil).json(t)["status"].(string)
	}
	if s := health(); s != "healthy" {
		t.Fatalf("with Redis up: %s", s)
	}
	expectStatus(t, h.do("GET", "/api/v1/students/1", staff, nil), http.StatusOK) // now cached

	rd.stop()
	expectStatus(t, h.do("PATCH", "/api/v1/students/1", staff, map[string]any{"section": "Z"}), http.StatusOK)
	if got := h.do("GET", "/api/v1/students/1", staff, nil).json(t)["section"]; got != "Z" {
		t.Fatalf("read after a write during the outage: section %v", got)
	}
	expectStatus(t, h.do("POST", "/api/v1/attendance", staff, map[string]any{"student_id": 1, "date": "2026-11-05", "status": "present"}), http.StatusCreated)
	if s := health(); s != "degraded" {
		t.Fatalf("with Redis down: %s", s)
	}

	rd.start()
	deadline := time.Now().Add(15 * time.Second)
	for health() != "healthy" {
		if time.Now().After(deadline) {
			t.Fatal("never healthy again after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The write made while the cache was away is what the cache serves now.
	expectStatus(t, h.do("PATCH", "/api/v1/students/1", staff, map[string]any{"section": "Y"}), http.StatusOK)
	for range 2 {
		if got := h.do("GET", "/api/v1/students/1", staff, nil).json(t)["section"]; got != "Y" {
			t.Fatalf("after recovery: section %v", got)
		}
	}
	metrics := string(h.do("GET", "/metrics", "", nil).Body)
	if !strings.Contains(metrics, "campus_cache_errors_total") {
		t.Fatal("no cache error figures in /metrics")
	}
}
