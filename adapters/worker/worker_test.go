package worker_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/adapters/system"
	"github.com/campus/campus/adapters/worker"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

// TestRunRelaysAndRunsJobs: the worker relays what the outbox holds, runs
// a registered handler for its type, acknowledges event types nobody
// handles yet, and stops cleanly when its context ends.
func TestRunRelaysAndRunsJobs(t *testing.T) {
	ob := mocks.NewOutbox(t)
	evs := []event.Event{
		event.New("e1", event.AttendanceMarked, "attendance", "1", time.Now(), map[string]any{"status": "absent"}),
		event.New("e2", event.ComplaintFiled, "complaint", "2", time.Now(), nil),
	}
	ob.EXPECT().Pending(mock.Anything, 500).Return(evs, nil).Once()
	ob.EXPECT().Pending(mock.Anything, 500).Return(nil, nil).Maybe()
	ob.EXPECT().MarkRelayed(mock.Anything, mock.Anything, mock.Anything).Return(nil)

	q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := worker.New(worker.Config{RelayInterval: 10 * time.Millisecond}, q, relay.NewService(ob, q, system.NewClock()),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	seen := make(chan jobs.Event, 1)
	w.Handle(jobs.ForEvent(event.AttendanceMarked), func(_ context.Context, p []byte) error {
		var e jobs.Event
		require.NoError(t, json.Unmarshal(p, &e))
		seen <- e
		return nil
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	select {
	case e := <-seen:
		assert.Equal(t, "e1", e.ID)
		assert.Equal(t, "absent", e.Data["status"])
	case <-time.After(5 * time.Second):
		t.Fatal("the registered handler never ran")
	}
	require.Eventually(t, func() bool { return q.Stats().Completed == 2 }, 5*time.Second, 10*time.Millisecond,
		"complaint.filed (no agent yet) is acknowledged, not failed")
	assert.Zero(t, q.Stats().Failed)

	// A malformed event payload is archived at once, not retried.
	_, err := q.Enqueue(context.Background(), ports.Job{Type: jobs.ForEvent(event.ComplaintFiled), Payload: []byte("not json")}, ports.EnqueueOptions{})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return q.Stats().Failed == 1 }, 5*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
}
