package worker_test

import (
	"context"
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
	ob.EXPECT().Claim(mock.Anything, 500).Return(2, nil).Once()
	ob.EXPECT().Claim(mock.Anything, 500).Return(0, nil).Maybe()
	ob.EXPECT().Claimed(mock.Anything, 2000).Return(batched("e1", evs...), nil).Once()
	ob.EXPECT().Claimed(mock.Anything, 2000).Return(nil, nil).Maybe()
	ob.EXPECT().MarkRelayed(mock.Anything, mock.Anything, mock.Anything).Return(nil)

	q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 2, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	w := worker.New(worker.Config{RelayInterval: 10 * time.Millisecond}, q, relay.NewService(ob, q, system.NewClock()),
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	seen := make(chan jobs.Event, 1)
	w.Handle(jobs.ForEvent(event.AttendanceMarked), func(_ context.Context, p []byte) error {
		es, err := jobs.DecodeEvents(p)
		require.NoError(t, err)
		require.Len(t, es, 1)
		seen <- es[0]
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

// batched is the events as one claimed relay batch.
func batched(batch string, evs ...event.Event) []ports.BatchedEvent {
	out := make([]ports.BatchedEvent, len(evs))
	for i, e := range evs {
		out[i] = ports.BatchedEvent{Batch: batch, Event: e}
	}
	return out
}

// recorder is an Executor that records each run's agent and task id.
type recorder struct{ runs chan [2]string }

func (r recorder) Execute(ctx context.Context, name, taskID string, fn func(ctx context.Context) (map[string]int, error)) error {
	_, err := fn(ctx)
	r.runs <- [2]string{name, taskID}
	return err
}

func (r recorder) ExecuteEvent(ctx context.Context, name, taskID string, _ int, fn func(ctx context.Context) (map[string]int, error)) error {
	return r.Execute(ctx, name, taskID, fn)
}

func (recorder) Flush(context.Context) error { return nil }

// TestAgentsRunOnTheirEventsAndJobs: an agent runs once per job of the
// events it subscribes to (recorded under the job's id, "<batch>/<type>"),
// with all of the job's events, and its own job runs its Run; an event two
// agents subscribe to runs both.
func TestAgentsRunOnTheirEventsAndJobs(t *testing.T) {
	ob := mocks.NewOutbox(t)
	ob.EXPECT().Claim(mock.Anything, 500).Return(2, nil).Once()
	ob.EXPECT().Claim(mock.Anything, 500).Return(0, nil).Maybe()
	ob.EXPECT().Claimed(mock.Anything, 2000).Return(batched("e1",
		event.New("e1", event.ComplaintFiled, "complaint", "7", time.Now(), map[string]any{"title": "Broken heater"}),
		event.New("e2", event.ComplaintFiled, "complaint", "8", time.Now(), map[string]any{"title": "Leaking tap"}),
	), nil).Once()
	ob.EXPECT().Claimed(mock.Anything, 2000).Return(nil, nil).Maybe()
	ob.EXPECT().MarkRelayed(mock.Anything, mock.Anything, mock.Anything).Return(nil)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 2, Logger: log})
	w := worker.New(worker.Config{RelayInterval: 10 * time.Millisecond}, q, relay.NewService(ob, q, system.NewClock()), log)
	rec := recorder{runs: make(chan [2]string, 4)}
	titles := make(chan []string, 2)
	on := func(_ context.Context, es []jobs.Event) (map[string]int, error) {
		var ts []string
		for _, e := range es {
			ts = append(ts, e.Data["title"].(string))
		}
		titles <- ts
		return nil, nil
	}
	w.Agent(rec, agent.Definition{Name: "triage", Events: []string{event.ComplaintFiled}}, worker.AgentHandlers{OnEvents: on})
	w.Agent(rec, agent.Definition{Name: "sweep", Events: []string{event.ComplaintFiled}, JobType: "complaint:sweep"},
		worker.AgentHandlers{OnEvents: on, Run: func(context.Context) (map[string]int, error) { return nil, nil }})
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
	assert.Equal(t, map[[2]string]bool{{"triage", "e1/complaint:filed"}: true, {"sweep", "e1/complaint:filed"}: true}, got)
	assert.Equal(t, []string{"Broken heater", "Leaking tap"}, <-titles)

	_, err := q.Enqueue(context.Background(), ports.Job{Type: "complaint:sweep"}, ports.EnqueueOptions{ID: "run-1"})
	require.NoError(t, err)
	select {
	case r := <-rec.runs:
		assert.Equal(t, [2]string{"sweep", "run-1"}, r)
	case <-time.After(5 * time.Second):
		t.Fatal("the agent's own job did not run")
	}
}

// watch is an OutboxWatch the test signals by hand.
type watch struct {
	c         chan struct{}
	listening chan bool
}

func (w watch) C() <-chan struct{} { return w.c }

func (w watch) Listen(ctx context.Context, _ *slog.Logger) {
	w.listening <- true
	<-ctx.Done()
	w.listening <- false
}

// TestWatchWakesTheRelay: with an hour between polls, the relay still
// passes as soon as the watch signals (after the first pass at start),
// and the watch listens exactly while the worker runs.
func TestWatchWakesTheRelay(t *testing.T) {
	ob := mocks.NewOutbox(t)
	passes := make(chan time.Time, 10)
	ob.EXPECT().Claim(mock.Anything, 500).RunAndReturn(func(context.Context, int) (int, error) {
		passes <- time.Now()
		return 0, nil
	})
	ob.EXPECT().Claimed(mock.Anything, 2000).Return(nil, nil)
	ob.EXPECT().MarkRelayed(mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 1, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	wt := watch{c: make(chan struct{}, 1), listening: make(chan bool, 2)}
	w := worker.New(worker.Config{RelayInterval: time.Hour, RelayLinger: 50 * time.Millisecond, Watch: wt}, q,
		relay.NewService(ob, q, system.NewClock()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	assert.True(t, <-wt.listening)
	first := <-passes // the pass at start

	wt.c <- struct{}{} // within the linger of the first pass: it waits for it
	var second time.Time
	select {
	case second = <-passes:
	case <-time.After(5 * time.Second):
		t.Fatal("a signal within the linger was dropped")
	}
	assert.GreaterOrEqual(t, second.Sub(first), 50*time.Millisecond, "no sooner than the linger after the last pass")
	time.Sleep(60 * time.Millisecond)
	wt.c <- struct{}{}
	select {
	case <-passes:
	case <-time.After(5 * time.Second):
		t.Fatal("a signal after the linger did not wake the relay")
	}
	select {
	case <-passes:
		t.Fatal("the relay passed without a signal before its interval")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	require.NoError(t, <-done)
	assert.False(t, <-wt.listening, "the watch stops listening with the worker")
}
