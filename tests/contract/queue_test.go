package contract_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

var (
	_ ports.Queue  = (*queue.InProcess)(nil)
	_ ports.Queue  = (*queue.AsynqQueue)(nil)
	_ queue.Runner = (*queue.InProcess)(nil)
	_ queue.Runner = (*queue.AsynqRunner)(nil)
)

// queueSetup is what a case asks of the backend it runs on.
type queueSetup struct {
	concurrency int
	strict      bool // strict priority, so the order of a single worker is certain
}

// queueBackend opens a fresh queue and its (not yet started) runner for one
// test; both are shut down and emptied when the test ends.
type queueBackend struct {
	name string
	open func(t *testing.T, s queueSetup) (ports.Queue, queue.Runner)
	// delay and timeout are the shortest the backend honours reliably:
	// asynq stores timeouts in whole seconds and moves scheduled tasks by
	// polling.
	delay, timeout time.Duration
}

func queueBackends() []queueBackend {
	quiet := slog.New(slog.DiscardHandler)
	return []queueBackend{
		{name: "inprocess", delay: 300 * time.Millisecond, timeout: 100 * time.Millisecond,
			open: func(t *testing.T, s queueSetup) (ports.Queue, queue.Runner) {
				q := queue.NewInProcess(queue.InProcessConfig{
					Concurrency: s.concurrency, StrictPriority: s.strict,
					RetryBase: 10 * time.Millisecond, Logger: quiet,
				})
				t.Cleanup(func() { queueShutdown(t, q) })
				return q, q
			}},
		{name: "asynq", delay: time.Second, timeout: time.Second,
			open: func(t *testing.T, s queueSetup) (ports.Queue, queue.Runner) {
				url, prefix := testenv.RedisURL(t), testenv.KeyPrefix(t)
				t.Cleanup(func() { testenv.DropQueues(t, url, prefix) })
				cfg := queue.AsynqConfig{
					RedisURL: url, Concurrency: s.concurrency, QueuePrefix: prefix,
					StrictPriority: s.strict, RetryBase: 10 * time.Millisecond,
					ShutdownTimeout: 5 * time.Second, PollInterval: 50 * time.Millisecond, Logger: quiet,
				}
				return openAsynq(t, cfg)
			}},
	}
}

// TestQueueContract runs every case against the in-process queue and asynq.
func TestQueueContract(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b queueBackend)
	}{
		{"HandledOnce", testQueueHandledOnce},
		{"DuplicateID", testQueueDuplicateID},
		{"UniqueFor", testQueueUniqueFor},
		{"Delay", testQueueDelay},
		{"RetryThenSucceed", testQueueRetryThenSucceed},
		{"RetriesExhausted", testQueueRetriesExhausted},
		{"InvalidIsFinal", testQueueInvalidIsFinal},
		{"NoHandler", testQueueNoHandler},
		{"Timeout", testQueueTimeout},
		{"UnknownJob", testQueueUnknownJob},
		{"UnknownQueue", testQueueUnknownQueue},
		{"GracefulShutdown", testQueueGracefulShutdown},
		{"StrictPriority", testQueueStrictPriority},
		{"Result", testQueueResult},
	}
	for _, b := range queueBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, b)
				})
			}
		})
	}
}

func testQueueHandledOnce(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:echo", rec.handler(nil))
	require.NoError(t, r.Start())

	before := time.Now().Add(-time.Second) // asynq keeps whole seconds
	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:echo", Payload: []byte(`{"n":1}`)}, ports.EnqueueOptions{ID: "job-1"})
	require.NoError(t, err)
	assert.Equal(t, "job-1", info.ID)
	assert.Equal(t, "test:echo", info.Type)
	assert.Equal(t, ports.QueueDefault, info.Queue)

	got := queueWaitState(t, q, "job-1", ports.JobCompleted, 5*time.Second)
	assert.Equal(t, []string{`{"n":1}`}, rec.payloads())
	assert.Equal(t, 1, got.Attempts)
	assert.Equal(t, ports.QueueDefault, got.Queue)
	assert.Equal(t, []byte(`{"n":1}`), got.Payload)
	assert.True(t, got.CreatedAt.After(before), "created at %v", got.CreatedAt)
	require.NotNil(t, got.CompletedAt)
	assert.False(t, got.CompletedAt.Before(got.CreatedAt.Truncate(time.Second)))
}

// testQueueResult: what a handler writes as its result is reported with
// the completed job; a job that wrote nothing has none.
func testQueueResult(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 1})
	r.Handle("test:result", func(ctx context.Context, p []byte) error {
		if string(p) == "quiet" {
			return nil
		}
		return queue.WriteResult(ctx, []byte(`{"rows":3}`))
	})
	require.NoError(t, r.Start())
	_, err := q.Enqueue(t.Context(), ports.Job{Type: "test:result", Payload: []byte("loud")}, ports.EnqueueOptions{ID: "res-1"})
	require.NoError(t, err)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "test:result", Payload: []byte("quiet")}, ports.EnqueueOptions{ID: "res-2"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"rows":3}`, string(queueWaitState(t, q, "res-1", ports.JobCompleted, 5*time.Second).Result))
	assert.Empty(t, queueWaitState(t, q, "res-2", ports.JobCompleted, 5*time.Second).Result)
	require.Error(t, queue.WriteResult(t.Context(), []byte("x")), "outside a job there is nothing to write to")
}

func testQueueDuplicateID(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:dup", rec.handler(nil))
	job := ports.Job{Type: "test:dup", Payload: []byte("a")}
	opts := ports.EnqueueOptions{ID: "dup-1"}

	_, err := q.Enqueue(t.Context(), job, opts)
	require.NoError(t, err)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "test:dup", Payload: []byte("b")}, opts) // pending
	require.ErrorIs(t, err, ports.ErrDuplicateJob)

	require.NoError(t, r.Start())
	queueWaitState(t, q, "dup-1", ports.JobCompleted, 5*time.Second)
	_, err = q.Enqueue(t.Context(), job, opts) // retained after completion
	require.ErrorIs(t, err, ports.ErrDuplicateJob)

	// A job enqueued after the refused one is handled, so the refused one
	// would have been by now.
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "test:dup", Payload: []byte("marker")}, ports.EnqueueOptions{ID: "dup-2"})
	require.NoError(t, err)
	queueWaitState(t, q, "dup-2", ports.JobCompleted, 5*time.Second)
	assert.Equal(t, 1, rec.count("a"))
	assert.Zero(t, rec.count("b"))
}

func testQueueUniqueFor(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:unique", rec.handler(nil))
	opts := ports.EnqueueOptions{UniqueFor: time.Minute}

	first, err := q.Enqueue(t.Context(), ports.Job{Type: "test:unique", Payload: []byte("p")}, opts)
	require.NoError(t, err)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "test:unique", Payload: []byte("p")}, ports.EnqueueOptions{ID: "other-id", UniqueFor: time.Minute})
	require.ErrorIs(t, err, ports.ErrDuplicateJob, "same type and payload, whatever the ID")
	other, err := q.Enqueue(t.Context(), ports.Job{Type: "test:unique", Payload: []byte("q")}, opts)
	require.NoError(t, err, "another payload is another job")
	_, err = q.Job(t.Context(), "other-id")
	require.ErrorIs(t, err, fault.ErrNotFound, "the refused job left no trace")

	require.NoError(t, r.Start())
	queueWaitState(t, q, first.ID, ports.JobCompleted, 5*time.Second)
	queueWaitState(t, q, other.ID, ports.JobCompleted, 5*time.Second)
	assert.Equal(t, 1, rec.count("p"))
	assert.Equal(t, 1, rec.count("q"))
}

func testQueueDelay(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	var mu sync.Mutex
	var ranAfter time.Duration
	start := time.Now()
	r.Handle("test:later", func(context.Context, []byte) error {
		mu.Lock()
		defer mu.Unlock()
		ranAfter = time.Since(start)
		return nil
	})
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:later"}, ports.EnqueueOptions{Delay: b.delay})
	require.NoError(t, err)
	assert.Equal(t, ports.JobScheduled, info.State)
	got, err := q.Job(t.Context(), info.ID)
	require.NoError(t, err)
	if time.Since(start) < b.delay {
		assert.Equal(t, ports.JobScheduled, got.State)
		require.NotNil(t, got.NextRunAt)
	}

	queueWaitState(t, q, info.ID, ports.JobCompleted, b.delay+5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	assert.GreaterOrEqual(t, ranAfter, b.delay)
}

func testQueueRetryThenSucceed(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:flaky", rec.handler(func(n int) error {
		if n <= 2 {
			return fmt.Errorf("flaky %d", n)
		}
		return nil
	}))
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:flaky", Payload: []byte("x")}, ports.EnqueueOptions{MaxRetry: 5})
	require.NoError(t, err)
	got := queueWaitState(t, q, info.ID, ports.JobCompleted, 5*time.Second)
	assert.Equal(t, 3, rec.count("x"))
	assert.Equal(t, 3, got.Attempts)
	assert.Equal(t, 5, got.MaxRetry)
}

func testQueueRetriesExhausted(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:broken", rec.handler(func(n int) error { return fmt.Errorf("broken %d", n) }))
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:broken", Payload: []byte("x")}, ports.EnqueueOptions{MaxRetry: 2})
	require.NoError(t, err)
	got := queueWaitState(t, q, info.ID, ports.JobArchived, 5*time.Second)
	assert.Equal(t, 3, got.Attempts)
	assert.Equal(t, "broken 3", got.LastError)
	assert.Equal(t, 3, rec.count("x"))
}

func testQueueInvalidIsFinal(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	rec := &queueRecorder{}
	r.Handle("test:invalid", rec.handler(func(int) error {
		return fmt.Errorf("decode payload: %w", fault.New(fault.Invalid, "bad payload"))
	}))
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:invalid", Payload: []byte("x")}, ports.EnqueueOptions{MaxRetry: 5})
	require.NoError(t, err)
	got := queueWaitState(t, q, info.ID, ports.JobArchived, 5*time.Second)
	assert.Equal(t, 1, got.Attempts)
	assert.Equal(t, "decode payload: bad payload", got.LastError)
	assert.Equal(t, 1, rec.count("x"))
}

func testQueueNoHandler(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	r.Handle("test:known", func(context.Context, []byte) error { return nil })
	// A registered type that merely starts the same way is not a match.
	r.Handle("test:nobody:else", func(context.Context, []byte) error { return nil })
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:nobody"}, ports.EnqueueOptions{})
	require.NoError(t, err)
	got := queueWaitState(t, q, info.ID, ports.JobArchived, 5*time.Second)
	assert.Equal(t, 1, got.Attempts)
	assert.Contains(t, got.LastError, "no handler")
}

func testQueueTimeout(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	seen := make(chan error, 1)
	r.Handle("test:slow", func(ctx context.Context, _ []byte) error {
		select {
		case <-ctx.Done():
			seen <- ctx.Err()
			return ctx.Err()
		case <-time.After(10 * time.Second):
			seen <- nil
			return nil
		}
	})
	require.NoError(t, r.Start())

	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:slow"}, ports.EnqueueOptions{Timeout: b.timeout, MaxRetry: -1})
	require.NoError(t, err)
	select {
	case err := <-seen:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(b.timeout + 5*time.Second):
		t.Fatal("the handler's context was not cancelled")
	}
	got := queueWaitState(t, q, info.ID, ports.JobArchived, 5*time.Second)
	assert.Equal(t, 1, got.Attempts, "MaxRetry < 0 means no retry")
}

func testQueueUnknownJob(t *testing.T, b queueBackend) {
	q, _ := b.open(t, queueSetup{concurrency: 1})
	_, err := q.Job(t.Context(), "no-such-job")
	require.ErrorIs(t, err, fault.ErrNotFound)

	_, err = q.Enqueue(t.Context(), ports.Job{Type: "test:x"}, ports.EnqueueOptions{ID: "known", Queue: ports.QueueLow})
	require.NoError(t, err)
	_, err = q.Job(t.Context(), "no-such-job")
	require.ErrorIs(t, err, fault.ErrNotFound, "with the queues in use")
	got, err := q.Job(t.Context(), "known")
	require.NoError(t, err)
	assert.Equal(t, ports.JobPending, got.State)
	assert.Equal(t, ports.QueueLow, got.Queue)
	assert.Zero(t, got.Attempts)
}

func testQueueUnknownQueue(t *testing.T, b queueBackend) {
	q, _ := b.open(t, queueSetup{concurrency: 1})
	_, err := q.Enqueue(t.Context(), ports.Job{Type: "test:x"}, ports.EnqueueOptions{Queue: "urgent"})
	require.ErrorIs(t, err, fault.ErrInvalid)
	_, err = q.Enqueue(t.Context(), ports.Job{}, ports.EnqueueOptions{})
	require.ErrorIs(t, err, fault.ErrInvalid, "a job needs a type")
}

func testQueueGracefulShutdown(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 2})
	started := make(chan struct{})
	var mu sync.Mutex
	finished := false
	r.Handle("test:long", func(context.Context, []byte) error {
		close(started)
		time.Sleep(300 * time.Millisecond) // the in-flight work Shutdown must wait for
		mu.Lock()
		defer mu.Unlock()
		finished = true
		return nil
	})
	require.NoError(t, r.Start())
	info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:long"}, ports.EnqueueOptions{})
	require.NoError(t, err)
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the job never started")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	require.NoError(t, r.Shutdown(ctx))
	mu.Lock()
	assert.True(t, finished, "Shutdown returned before the running job finished")
	mu.Unlock()
	got, err := q.Job(t.Context(), info.ID)
	require.NoError(t, err)
	assert.Equal(t, ports.JobCompleted, got.State)
	require.NoError(t, r.Shutdown(ctx), "a second Shutdown is harmless")
}

// testQueueStrictPriority needs strict priority on asynq, whose weighted
// mode picks queues at random; InProcess's weighted mode is deterministic
// and covered by its unit tests.
func testQueueStrictPriority(t *testing.T, b queueBackend) {
	q, r := b.open(t, queueSetup{concurrency: 1, strict: true})
	rec := &queueRecorder{}
	r.Handle("test:prio", rec.handler(nil))
	var ids []string
	for i, name := range []string{ports.QueueLow, ports.QueueLow, ports.QueueDefault, ports.QueueCritical, ports.QueueCritical} {
		info, err := q.Enqueue(t.Context(), ports.Job{Type: "test:prio", Payload: fmt.Appendf(nil, "%s-%d", name, i)}, ports.EnqueueOptions{Queue: name})
		require.NoError(t, err)
		ids = append(ids, info.ID)
	}
	require.NoError(t, r.Start())
	for _, id := range ids {
		queueWaitState(t, q, id, ports.JobCompleted, 5*time.Second)
	}
	assert.Equal(t, []string{"critical-3", "critical-4", "default-2", "low-0", "low-1"}, rec.payloads())
}

// queueRecorder is a handler that records each payload it is given and
// answers with fail(n) on the payload's n-th call.
type queueRecorder struct {
	mu    sync.Mutex
	calls []string
}

func (r *queueRecorder) handler(fail func(n int) error) queue.Handler {
	return func(_ context.Context, payload []byte) error {
		r.mu.Lock()
		r.calls = append(r.calls, string(payload))
		n := 0
		for _, c := range r.calls {
			if c == string(payload) {
				n++
			}
		}
		r.mu.Unlock()
		if fail == nil {
			return nil
		}
		return fail(n)
	}
}

func (r *queueRecorder) payloads() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *queueRecorder) count(payload string) int {
	n := 0
	for _, c := range r.payloads() {
		if c == payload {
			n++
		}
	}
	return n
}

// queueWaitState polls Job(id) until it reports state, failing t after within.
func queueWaitState(t *testing.T, q ports.Queue, id string, state ports.JobState, within time.Duration) ports.JobInfo {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, err := q.Job(t.Context(), id)
		if err == nil && info.State == state {
			return info
		}
		if time.Now().After(deadline) {
			require.NoError(t, err)
			t.Fatalf("job %s: state %q after %v, want %q (last error %q, attempts %d)", id, info.State, within, state, info.LastError, info.Attempts)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queueShutdown(t *testing.T, r queue.Runner) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.NoError(t, r.Shutdown(ctx))
}

// openAsynq opens an asynq queue and a runner on cfg, both closed when the
// test ends; the runner is not started.
func openAsynq(t *testing.T, cfg queue.AsynqConfig) (*queue.AsynqQueue, queue.Runner) {
	t.Helper()
	q, cleanup, err := queue.NewAsynqQueue(cfg)
	require.NoError(t, err)
	t.Cleanup(cleanup)
	r := queue.NewAsynqRunner(cfg)
	t.Cleanup(func() { queueShutdown(t, r) })
	return q, r
}
