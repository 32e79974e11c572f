package contract_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/cache"
	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// The cache and queue contracts, asynqmon and the health figures on Redis
// Sentinel and Redis Cluster: deployments of their own (redis-server
// processes this test starts), reached through REDIS_URL's
// redis-sentinel:// and redis-cluster:// forms exactly as the service
// reaches them. The end-to-end run through the API is in
// tests/e2e/redisha_test.go.

// TestRedisSentinel runs the contracts on a Sentinel deployment, then
// moves the master twice, by SENTINEL FAILOVER and by killing it, and
// shows that the same cache and queue clients, never reopened, carry on
// against each new master: what was written before is there, writes land
// on the new master, and the runner started at the beginning processes
// the jobs enqueued after each move.
func TestRedisSentinel(t *testing.T) {
	t.Parallel()
	s := testenv.StartRedisSentinel(t)
	t.Run("Contracts", func(t *testing.T) { haContracts(t, s.URL) })
	t.Run("Failover", func(t *testing.T) {
		ctx := t.Context()
		c := haCache(t, s.URL)
		q, r, rec := haQueue(t, s.URL)
		haEnqueue(t, q, "start")
		queueWaitState(t, q, "start", ports.JobCompleted, 10*time.Second)

		// The kill first: the Sentinel then points the other replica at the
		// new master, ready for the second move (a master demoted by
		// SENTINEL FAILOVER is turned into a replica only seconds later).
		for _, move := range []struct {
			name     string
			do       func(t testing.TB) (from, to string)
			replicas int // in sync with the master before the move
		}{{"master killed", s.KillMaster, 2}, {"SENTINEL FAILOVER", s.Failover, 1}} {
			require.NoError(t, c.Set(ctx, "kept", []byte(move.name), time.Minute))
			require.NoError(t, c.Set(ctx, "dropped", []byte(move.name), time.Minute))
			s.Replicate(t, move.replicas)

			moved := time.Now()
			from, to := move.do(t)
			elected := time.Since(moved)

			// The first commands may still meet the old master (gone, or a
			// replica now: READONLY) or a closed connection; within seconds
			// every command reaches the new one, with no client reopened.
			haEventually(t, 10*time.Second, move.name+": the cache to write again", func() error {
				return c.Set(ctx, "after", []byte(move.name), time.Minute)
			})
			recovered := time.Since(moved)
			assertHit(t, c, "kept", move.name)
			assertHit(t, c, "after", move.name)

			// The writes land on the promoted replica. What was written
			// before the move is there (it was replicated); a write that
			// went to the old master instead, in the moment before the
			// client hears of the move, would be lost, so the client is
			// given that moment, and no more than the 10 s.
			id := strings.ReplaceAll(move.name, " ", "-")
			node := s.Node(to)
			nodeHolds := func(key string) error {
				keys, err := node.Keys(ctx, "*"+key).Result()
				if err != nil {
					return err
				}
				if len(keys) != 1 {
					return fmt.Errorf("%s holds %v for %q", to, keys, key)
				}
				if v := node.Get(ctx, keys[0]).Val(); v != move.name {
					return fmt.Errorf("%s holds %q for %q", to, v, key)
				}
				return nil
			}
			require.NoError(t, nodeHolds("kept"))
			haEventually(t, 10*time.Second, move.name+": a write to land on the new master", func() error {
				if err := c.Set(ctx, "landed-"+id, []byte(move.name), time.Minute); err != nil {
					return err
				}
				return nodeHolds("landed-" + id)
			})
			_ = node.Close()

			require.NoError(t, c.Delete(ctx, "dropped", "after"))
			assertMiss(t, c, "dropped")
			assertMiss(t, c, "after")
			require.NoError(t, c.Ping(ctx))

			// The runner started before the move processes a job enqueued
			// after it.
			haEventually(t, 10*time.Second, move.name+": an enqueue", func() error {
				_, err := q.Enqueue(ctx, ports.Job{Type: "ha:echo", Payload: []byte(`"` + id + `"`)}, ports.EnqueueOptions{ID: id})
				return err
			})
			queueWaitState(t, q, id, ports.JobCompleted, 15*time.Second)
			assert.Equal(t, 1, rec.count(`"`+id+`"`))
			t.Logf("%s %s -> %s: new master named after %v, the cache wrote again after %v",
				move.name, from, to, elected.Round(time.Millisecond), recovered.Round(time.Millisecond))
		}
		assert.Equal(t, 1, rec.count(`"start"`))
		require.NoError(t, r.Shutdown(ctx))
	})
}

// TestRedisCluster runs the contracts on a three-master Cluster, and shows
// that a deletion of keys in several slots (the cache's invalidations, the
// freshness generations) is one call that works.
func TestRedisCluster(t *testing.T) {
	t.Parallel()
	cl := testenv.StartRedisCluster(t, 3)
	t.Run("Contracts", func(t *testing.T) { haContracts(t, cl.URL) })
	t.Run("DeleteAcrossSlots", func(t *testing.T) {
		ctx := t.Context()
		prefix := testenv.KeyPrefix(t)
		c := openCache(t, cache.Config{Enabled: true, RedisURL: cl.URL, Prefix: prefix})
		raw := cl.Client()
		defer raw.Close()
		keys := []string{"freshness:gen:attendance", "freshness:gen:students", "principal:1", "principal:2", "student:7"}
		slots, masters := map[int64]bool{}, map[string]bool{}
		for _, k := range keys {
			require.NoError(t, c.Set(ctx, k, []byte(k), time.Minute))
			slot, err := raw.ClusterKeySlot(ctx, prefix+k).Result()
			require.NoError(t, err)
			slots[slot] = true
			owner, err := raw.MasterForKey(ctx, prefix+k)
			require.NoError(t, err)
			masters[owner.Options().Addr] = true
		}
		require.Greater(t, len(masters), 1, "the keys must live on several masters for this test to mean anything (slots %v)", slots)
		require.NoError(t, c.Delete(ctx, keys...))
		for _, k := range keys {
			assertMiss(t, c, k)
		}
		assert.Zero(t, counter(t, c, errorsTotal))
	})
}

// haContracts runs the cache contract, the asynq queue contract, the
// scheduler, asynqmon and the health figures on the deployment at url, in
// parallel.
func haContracts(t *testing.T, url string) {
	t.Run("MonitorSchedulerAndHealth", func(t *testing.T) {
		t.Parallel()
		haMonitorSchedulerAndHealth(t, url)
	})
	cases := []struct {
		name string
		run  func(t *testing.T, c *cache.Cache)
	}{
		{"RoundTrip", testCacheRoundTrip}, {"Overwrite", testCacheOverwrite}, {"KeepsACopy", testCacheKeepsACopy},
		{"Miss", testCacheMiss}, {"Delete", testCacheDelete}, {"DeleteMissing", testCacheDeleteMissing},
		{"TTL", testCacheTTL}, {"Counters", testCacheCounters}, {"Values", testCacheValues},
	}
	for _, tc := range cases {
		t.Run("Cache/"+tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, haCache(t, url))
		})
	}
	b := queueBackend{name: "asynq", delay: time.Second, timeout: time.Second,
		open: func(t *testing.T, s queueSetup) (ports.Queue, queue.Runner) {
			cfg := haQueueConfig(t, url)
			cfg.Concurrency, cfg.StrictPriority = s.concurrency, s.strict
			return openAsynq(t, cfg)
		}}
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, b queueBackend)
	}{
		{"HandledOnce", testQueueHandledOnce}, {"Result", testQueueResult}, {"DuplicateID", testQueueDuplicateID},
		{"UniqueFor", testQueueUniqueFor}, {"Delay", testQueueDelay}, {"RetryThenSucceed", testQueueRetryThenSucceed},
		{"InvalidIsFinal", testQueueInvalidIsFinal}, {"UnknownJob", testQueueUnknownJob},
	} {
		t.Run("Queue/"+tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, b)
		})
	}
}

// haMonitorSchedulerAndHealth: two schedulers enqueue each tick of a
// periodic job once, the figures /health/full reports come back (workers,
// completed jobs, scheduler entries), and asynqmon lists the queues and
// shows its Redis info page.
func haMonitorSchedulerAndHealth(t *testing.T, url string) {
	ctx := t.Context()
	c := haCache(t, url)
	require.NoError(t, c.Ping(ctx))
	assert.Equal(t, cache.BackendRedis, c.Backend())

	cfg := haQueueConfig(t, url)
	q, _, rec := haQueueOn(t, cfg, "ha:echo", "ha:tick")
	haEnqueue(t, q, "probe")
	queueWaitState(t, q, "probe", ports.JobCompleted, 10*time.Second)

	p := queue.Periodic{Name: "ha-tick", Spec: "@every 1s", JobType: "ha:tick", Queue: ports.QueueLow}
	started := time.Now()
	for range 2 {
		s, cleanup, err := queue.NewAsynqScheduler(cfg, []queue.Periodic{p})
		require.NoError(t, err)
		require.NoError(t, s.Start())
		t.Cleanup(func() { s.Shutdown(); cleanup() })
	}
	haEventually(t, 10*time.Second, "two ticks and the health figures", func() error {
		s, err := q.Report(ctx)
		if err != nil {
			return err
		}
		if s.Workers < cfg.Concurrency || s.Completed < 3 || rec.count(`{"periodic":"ha-tick"}`) < 2 {
			return fmt.Errorf("figures %+v, %d ticks", s, rec.count(`{"periodic":"ha-tick"}`))
		}
		return nil
	})
	// asynq's schedulers write their entries every 10 s, too late to wait
	// for here: this is the query /health/full makes, answered.
	_, err := q.SchedulerEntries(ctx)
	require.NoError(t, err)
	ticks := rec.count(`{"periodic":"ha-tick"}`)
	assert.LessOrEqual(t, float64(ticks), time.Since(started).Seconds()+1, "%d ticks from two schedulers", ticks)

	h, closeMon, err := queue.MonitorHandler(url, true)
	require.NoError(t, err)
	defer closeMon()
	get := func(path string) (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil))
		return w.Code, w.Body.String()
	}
	code, body := get("/api/queues")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, cfg.QueuePrefix+ports.QueueDefault)
	code, body = get("/api/redis_info")
	require.Equal(t, http.StatusOK, code, body)
	var info map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &info))
	assert.Contains(t, info, "address")
}

func haCache(t *testing.T, url string) *cache.Cache {
	t.Helper()
	return openCache(t, cache.Config{Enabled: true, RedisURL: url, Prefix: testenv.KeyPrefix(t)})
}

func haQueueConfig(t *testing.T, url string) queue.AsynqConfig {
	return queue.AsynqConfig{
		RedisURL: url, Concurrency: 2, QueuePrefix: testenv.KeyPrefix(t),
		RetryBase: 10 * time.Millisecond, ShutdownTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	}
}

// haQueue opens a queue and starts a runner that records "ha:echo" jobs.
func haQueue(t *testing.T, url string) (*queue.AsynqQueue, queue.Runner, *queueRecorder) {
	t.Helper()
	return haQueueOn(t, haQueueConfig(t, url), "ha:echo")
}

// haQueueOn opens a queue on cfg (which a test's schedulers share) and
// starts a runner that records the jobs of the given types.
func haQueueOn(t *testing.T, cfg queue.AsynqConfig, types ...string) (*queue.AsynqQueue, queue.Runner, *queueRecorder) {
	t.Helper()
	q, r := openAsynq(t, cfg)
	rec := &queueRecorder{}
	for _, typ := range types {
		r.Handle(typ, rec.handler(nil))
	}
	require.NoError(t, r.Start())
	return q, r, rec
}

func haEnqueue(t *testing.T, q ports.Queue, id string) {
	t.Helper()
	_, err := q.Enqueue(t.Context(), ports.Job{Type: "ha:echo", Payload: []byte(`"` + id + `"`)}, ports.EnqueueOptions{ID: id})
	require.NoError(t, err)
}

// haEventually retries op every 50 ms until it succeeds, failing t with
// its last error after within.
func haEventually(t *testing.T, within time.Duration, what string, op func() error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), within)
	defer cancel()
	for {
		err := op()
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: still failing after %v: %v", what, within, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
