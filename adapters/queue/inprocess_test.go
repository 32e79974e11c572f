package queue

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// The behaviour both backends share is in tests/contract/queue_test.go;
// these tests cover what only the embedded queue does.

func newTestInProcess(t *testing.T, cfg InProcessConfig) *InProcess {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryBase == 0 {
		cfg.RetryBase = time.Millisecond
	}
	q := NewInProcess(cfg)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		assert.NoError(t, q.Shutdown(ctx))
	})
	return q
}

func waitState(t *testing.T, q *InProcess, id string, state ports.JobState) ports.JobInfo {
	t.Helper()
	var info ports.JobInfo
	require.Eventually(t, func() bool {
		var err error
		info, err = q.Job(t.Context(), id)
		return err == nil && info.State == state
	}, 5*time.Second, 5*time.Millisecond, "job %s never reached %s", id, state)
	return info
}

func TestInProcessWeightedPriorityIsSmoothAndStartsWithCritical(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
	var mu sync.Mutex
	var order []string
	q.Handle("prio", func(_ context.Context, p []byte) error {
		mu.Lock()
		defer mu.Unlock()
		order = append(order, string(p))
		return nil
	})
	var last ports.JobInfo
	for _, name := range []string{ports.QueueLow, ports.QueueDefault, ports.QueueCritical} {
		for range 10 {
			info, err := q.Enqueue(t.Context(), ports.Job{Type: "prio", Payload: []byte(name)}, ports.EnqueueOptions{Queue: name})
			require.NoError(t, err)
			last = info
		}
	}
	require.NoError(t, q.Start())
	waitState(t, q, last.ID, ports.JobCompleted)
	require.Eventually(t, func() bool { return q.Stats().Completed == 30 }, 5*time.Second, 5*time.Millisecond)

	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, ports.QueueCritical, order[0])
	counts := map[string]int{}
	for _, name := range order[:10] {
		counts[name]++
	}
	assert.Equal(t, map[string]int{ports.QueueCritical: 6, ports.QueueDefault: 3, ports.QueueLow: 1}, counts,
		"the first ten picks share 6/3/1: %v", order[:10])
}

func TestInProcessDelayDoesNotHoldAWorker(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
	q.Handle("job", func(context.Context, []byte) error { return nil })
	require.NoError(t, q.Start())
	later, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{Delay: time.Hour})
	require.NoError(t, err)
	now, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{})
	require.NoError(t, err)
	waitState(t, q, now.ID, ports.JobCompleted)
	info, err := q.Job(t.Context(), later.ID)
	require.NoError(t, err)
	assert.Equal(t, ports.JobScheduled, info.State)
	require.NotNil(t, info.NextRunAt)
	assert.WithinDuration(t, time.Now().Add(time.Hour), *info.NextRunAt, time.Minute)
}

func TestInProcessRetentionForgetsFinishedJobs(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 1, Retention: 50 * time.Millisecond})
	q.Handle("job", func(context.Context, []byte) error { return nil })
	require.NoError(t, q.Start())
	_, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{ID: "once"})
	require.NoError(t, err)
	waitState(t, q, "once", ports.JobCompleted)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{ID: "once"})
	require.ErrorIs(t, err, ports.ErrDuplicateJob)

	require.Eventually(t, func() bool {
		_, err := q.Job(t.Context(), "once")
		return errors.Is(err, fault.ErrNotFound)
	}, 5*time.Second, 5*time.Millisecond)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{ID: "once"})
	require.NoError(t, err, "a forgotten id may be used again")
	waitState(t, q, "once", ports.JobCompleted)

	time.Sleep(60 * time.Millisecond)
	q.mu.Lock()
	q.prune(time.Now().Add(time.Hour))
	n := len(q.jobs)
	q.mu.Unlock()
	assert.Zero(t, n, "history is pruned")
}

func TestInProcessUniqueForExpires(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
	job := ports.Job{Type: "job", Payload: []byte("p")}
	_, err := q.Enqueue(t.Context(), job, ports.EnqueueOptions{UniqueFor: 30 * time.Millisecond})
	require.NoError(t, err)
	_, err = q.Enqueue(t.Context(), job, ports.EnqueueOptions{UniqueFor: 30 * time.Millisecond})
	require.ErrorIs(t, err, ports.ErrDuplicateJob)
	_, err = q.Enqueue(t.Context(), job, ports.EnqueueOptions{UniqueFor: 30 * time.Millisecond, Queue: ports.QueueLow})
	require.NoError(t, err, "uniqueness is per queue, as in asynq")
	time.Sleep(40 * time.Millisecond)
	_, err = q.Enqueue(t.Context(), job, ports.EnqueueOptions{UniqueFor: 30 * time.Millisecond})
	require.NoError(t, err)
}

func TestInProcessPanicIsAFailedAttempt(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
	q.Handle("job", func(context.Context, []byte) error { panic("oops") })
	require.NoError(t, q.Start())
	info, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{MaxRetry: 1})
	require.NoError(t, err)
	got := waitState(t, q, info.ID, ports.JobArchived)
	assert.Equal(t, 2, got.Attempts)
	assert.Contains(t, got.LastError, "oops")
}

func TestInProcessShutdown(t *testing.T) {
	t.Run("pending jobs are dropped and enqueues refused", func(t *testing.T) {
		q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
		info, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{Delay: time.Hour})
		require.NoError(t, err)
		require.NoError(t, q.Start())
		require.NoError(t, q.Shutdown(t.Context()))
		_, err = q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{})
		require.ErrorIs(t, err, fault.ErrUnavailable)
		require.Error(t, q.Start())
		got, err := q.Job(t.Context(), info.ID)
		require.NoError(t, err)
		assert.Equal(t, ports.JobScheduled, got.State, "left as it was, never run")
	})
	t.Run("a deadline cancels the running jobs", func(t *testing.T) {
		q := newTestInProcess(t, InProcessConfig{Concurrency: 1})
		started, cancelled := make(chan struct{}), make(chan struct{})
		q.Handle("job", func(ctx context.Context, _ []byte) error {
			close(started)
			<-ctx.Done()
			close(cancelled)
			return ctx.Err()
		})
		require.NoError(t, q.Start())
		_, err := q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{})
		require.NoError(t, err)
		<-started
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, q.Shutdown(ctx), context.DeadlineExceeded)
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatal("the running job's context was not cancelled")
		}
	})
}

func TestInProcessStats(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{Concurrency: 3})
	release := make(chan struct{})
	q.Handle("block", func(context.Context, []byte) error { <-release; return nil })
	q.Handle("fail", func(context.Context, []byte) error { return fault.New(fault.Invalid, "no") })
	for range 2 {
		_, err := q.Enqueue(t.Context(), ports.Job{Type: "block"}, ports.EnqueueOptions{})
		require.NoError(t, err)
	}
	_, err := q.Enqueue(t.Context(), ports.Job{Type: "block"}, ports.EnqueueOptions{Delay: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, Stats{QueueSize: 3, Pending: 2, Workers: 3}, q.Stats())

	require.NoError(t, q.Start())
	require.Eventually(t, func() bool { return q.Stats().Running == 2 }, 5*time.Second, 5*time.Millisecond)
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "fail"}, ports.EnqueueOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return q.Stats().Failed == 1 }, 5*time.Second, 5*time.Millisecond)
	close(release)
	require.Eventually(t, func() bool { return q.Stats().Completed == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, Stats{QueueSize: 1, Completed: 2, Failed: 1, Workers: 3}, q.Stats())
}

func TestInProcessHandleRefusesADuplicate(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{})
	q.Handle("job", func(context.Context, []byte) error { return nil })
	assert.Panics(t, func() { q.Handle("job", func(context.Context, []byte) error { return nil }) })
	assert.Panics(t, func() { q.Handle("", func(context.Context, []byte) error { return nil }) })
}

func TestInProcessJobInfoIsACopy(t *testing.T) {
	q := newTestInProcess(t, InProcessConfig{})
	payload := []byte("abc")
	info, err := q.Enqueue(t.Context(), ports.Job{Type: "job", Payload: payload}, ports.EnqueueOptions{})
	require.NoError(t, err)
	payload[0], info.Payload[1] = 'x', 'y'
	got, err := q.Job(t.Context(), info.ID)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(got.Payload))
	assert.Equal(t, DefaultMaxRetry, got.MaxRetry)
}

func TestBackoff(t *testing.T) {
	assert.Equal(t, 10*time.Millisecond, backoff(10*time.Millisecond, 0))
	assert.Equal(t, 80*time.Millisecond, backoff(10*time.Millisecond, 3))
	assert.Equal(t, time.Hour, backoff(10*time.Second, 24), "capped")
	assert.Equal(t, 2*time.Hour, backoff(2*time.Hour, 3), "a base above the cap is kept")
}

func TestMaxRetry(t *testing.T) {
	assert.Equal(t, 25, maxRetry(0, 25))
	assert.Equal(t, 0, maxRetry(-1, 25))
	assert.Equal(t, 3, maxRetry(3, 25))
}

func TestNoHandlerError(t *testing.T) {
	err := noHandler("risk:assess")
	assert.True(t, strings.HasPrefix(err.Error(), "no handler"), err.Error())
	assert.ErrorIs(t, err, errNoHandler)
}
