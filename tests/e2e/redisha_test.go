package e2e

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/campus/campus/bootstrap"
	"github.com/campus/campus/tests/testenv"
)

// Two API replicas, the first with its embedded worker, over one
// PostgreSQL database and a Redis Sentinel or Cluster deployment that
// REDIS_URL names (redis-sentinel://, redis-cluster://): the scale-out
// layout on highly available Redis. Each round shows /health/full
// reporting Redis, the caches of both replicas never serving a write
// stale, a logout holding on both at once and a job enqueued through the
// API run by the worker. The auth limit is counted across both replicas
// and every round.

// haLimit is AUTH_RATE_LIMIT_PER_MINUTE: above the logins the rounds make.
const haLimit = 12

// TestReplicasOnRedisSentinel runs the rounds with the master in place,
// after it is killed and after a SENTINEL FAILOVER, with the same two
// processes throughout: their clients follow the Sentinel.
func TestReplicasOnRedisSentinel(t *testing.T) {
	t.Parallel()
	s := testenv.StartRedisSentinel(t)
	f := newHAFleet(t, s.URL)
	f.round(t, "start")
	s.Replicate(t, 2)
	from, to := s.KillMaster(t)
	t.Logf("master killed: %s -> %s", from, to)
	f.round(t, "master killed")
	s.Replicate(t, 1)
	from, to = s.Failover(t)
	t.Logf("SENTINEL FAILOVER: %s -> %s", from, to)
	f.round(t, "SENTINEL FAILOVER")
	f.limitShared(t)
}

// TestReplicasOnRedisCluster runs a round on a three-master Cluster: the
// cache's keys, the limit counters and asynq's queues spread over the
// masters.
func TestReplicasOnRedisCluster(t *testing.T) {
	t.Parallel()
	cl := testenv.StartRedisCluster(t, 3)
	f := newHAFleet(t, cl.URL)
	f.round(t, "cluster")
	f.limitShared(t)
}

// haFleet is the two replicas and what the rounds have counted.
type haFleet struct {
	a, b           *harness
	adminA, adminB string
	logins         int // requests counted by the auth limit so far
	section        int
}

func newHAFleet(t *testing.T, redisURL string) *haFleet {
	t.Helper()
	dbURL := testenv.PostgresURL(t)
	vars := map[string]string{"REDIS_URL": redisURL, "AUTH_RATE_LIMIT_PER_MINUTE": strconv.Itoa(haLimit),
		"CACHE_PREFIX": testenv.KeyPrefix(t), "QUEUE_PREFIX": testenv.KeyPrefix(t), "POOL_SIZE": "3", "WORKER_CONCURRENCY": "2"}
	f := &haFleet{a: newHAReplica(t, dbURL, vars, true), b: newHAReplica(t, dbURL, vars, false)}
	f.a.startWorker()
	f.adminA, f.adminB = f.a.token("admin", "admin123"), f.b.token("admin", "admin123")
	f.logins = 2
	return f
}

// newHAReplica is newHarness with the worker choice: the first replica
// runs the background worker in its process, as `serve --with-worker`.
func newHAReplica(t *testing.T, dbURL string, overrides map[string]string, withWorker bool) *harness {
	t.Helper()
	return newHarnessWith(t, dbURL, overrides, bootstrap.ServeOptions{WithWorker: withWorker})
}

// round checks what the replicas share through Redis.
func (f *haFleet) round(t *testing.T, name string) {
	t.Helper()
	// /health/full: Redis answers both replicas, through the cache's and
	// the queue's clients alike.
	for _, h := range []*harness{f.a, f.b} {
		haWait(t, name+": /health/full reports Redis healthy", func() (bool, string) {
			r := h.do("GET", "/health/full", "", nil)
			m := r.json(t)
			c, _ := m["components"].(map[string]any)
			cache, _ := c["cache"].(map[string]any)
			tasks, _ := c["background_tasks"].(map[string]any)
			workers, _ := tasks["workers"].(float64) // absent while the queue is unreachable: keep polling, do not panic
			return r.Status == http.StatusOK && m["status"] == "healthy" && cache["backend"] == "redis" && cache["status"] == "healthy" &&
				tasks["backend"] == "asynq" && tasks["status"] == "healthy" && workers >= 2, string(r.Body)
		})
	}

	// A read cached on B is never served stale after a write on A.
	f.section++
	section := "HA" + strconv.Itoa(f.section)
	for range 2 {
		expectStatus(t, f.b.do("GET", "/api/v1/students/1", f.adminB, nil), http.StatusOK)
	}
	expectStatus(t, f.a.do("PATCH", "/api/v1/students/1", f.adminA, map[string]any{"section": section}), http.StatusOK)
	if got := f.b.do("GET", "/api/v1/students/1", f.adminB, nil).json(t)["section"]; got != section {
		t.Fatalf("%s: replica B served section %v after A changed it to %s", name, got, section)
	}

	// A logout on B holds on A at once (the revocation cache is shared).
	access, _ := f.b.login("staff1", "staff123")
	f.logins++
	expectStatus(t, f.a.do("GET", "/api/v1/auth/profile", access, nil), http.StatusOK)
	expectStatus(t, f.b.do("POST", "/api/v1/auth/logout", access, nil), http.StatusOK)
	expectProblem(t, f.a.do("GET", "/api/v1/auth/profile", access, nil), 401, "Token has been revoked")

	// A job enqueued through B (asynq) is run by A's worker.
	r := f.b.do("POST", "/api/v1/agents/maintenance/run", f.adminB, nil)
	expectStatus(t, r, http.StatusAccepted)
	id := r.str(t, "task_id")
	haWait(t, name+": the maintenance run completed", func() (bool, string) {
		task := f.a.do("GET", "/api/v1/tasks/"+id, f.adminA, nil)
		return task.json(t)["status"] == "completed", string(task.Body)
	})
}

// limitShared: the auth limit counts the logins on both replicas, through
// every round, and refuses the one past it on either.
func (f *haFleet) limitShared(t *testing.T) {
	t.Helper()
	for f.logins < haLimit {
		h := f.a
		if f.logins%2 == 0 {
			h = f.b
		}
		expectStatus(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"}), http.StatusOK)
		f.logins++
	}
	for _, h := range []*harness{f.a, f.b} {
		expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"}), 429, "")
	}
}

// haWait polls cond every 50 ms for up to 10 s.
func haWait(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10 s; last: %s", what, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
