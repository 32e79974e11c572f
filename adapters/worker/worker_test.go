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
	"github.com/campus/campus/domain/agent"
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

// recorder is an Executor that records each run's agent and task id.
type recorder struct{ runs chan [2]string }

func (r recorder) Execute(ctx context.Context, name, taskID string, fn func(ctx context.Context) (map[string]int, error)) error {
	_, err := fn(ctx)
	r.runs <- [2]string{name, taskID}
	return err
}

func (r recorder) ExecuteEvent(ctx context.Context, name, eventID string, fn func(ctx context.Context) (map[string]int, error)) error {
	return r.Execute(ctx, name, eventID, fn)
}

func (recorder) Flush(context.Context) error { return nil }

// TestAgentsRunOnTheirEventsAndJobs: an agent runs once per event it
// subscribes to (recorded under the event's id), and its own job runs its
// Run; an event two agents subscribe to runs both.
func TestAgentsRunOnTheirEventsAndJobs(t *testing.T) {
	ob := mocks.NewOutbox(t)
	ob.EXPECT().Pending(mock.Anything, 500).Return([]event.Event{
		event.New("e1", event.ComplaintFiled, "complaint", "7", time.Now(), map[string]any{"title": "Broken heater"}),
	}, nil).Once()
	ob.EXPECT().Pending(mock.Anything, 500).Return(nil, nil).Maybe()
	ob.EXPECT().MarkRelayed(mock.Anything, mock.Anything, mock.Anything).Return(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 2, Logger: log})
	w := worker.New(worker.Config{RelayInterval: 10 * time.Millisecond}, q, relay.NewService(ob, q, system.NewClock()), log)
	rec := recorder{runs: make(chan [2]string, 4)}
	titles := make(chan string, 2)
	on := func(_ context.Context, e jobs.Event) (map[string]int, error) {
		titles <- e.Data["title"].(string)
		return nil, nil
	}
	w.Agent(rec, agent.Definition{Name: "triage", Events: []string{event.ComplaintFiled}}, worker.AgentHandlers{OnEvent: on})
	w.Agent(rec, agent.Definition{Name: "sweep", Events: []string{event.ComplaintFiled}, JobType: "complaint:sweep"},
		worker.AgentHandlers{OnEvent: on, Run: func(context.Context) (map[string]int, error) { return nil, nil }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-done) }()

	got := map[[2]string]bool{}
	for range 2 {
		select {
		case r := <-rec.runs:
			got[r] = true
		case <-time.After(5 * time.Second):
			t.Fatal("the subscribed agents did not run")
		}
	}
	assert.Equal(t, map[[2]string]bool{{"triage", "e1"}: true, {"sweep", "e1"}: true}, got)
	assert.Equal(t, "Broken heater", <-titles)

	_, err := q.Enqueue(context.Background(), ports.Job{Type: "complaint:sweep"}, ports.EnqueueOptions{ID: "run-1"})
	require.NoError(t, err)
	select {
	case r := <-rec.runs:
		assert.Equal(t, [2]string{"sweep", "run-1"}, r)
	case <-time.After(5 * time.Second):
		t.Fatal("the agent's own job did not run")
	}
}
