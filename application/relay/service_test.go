package relay_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var (
	ctx    = context.Background()
	now    = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	anyArg = mock.Anything
)

func events(n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = event.New(fmt.Sprintf("ev-%d", i), event.AttendanceMarked, "attendance", fmt.Sprint(i), now.Add(-time.Minute),
			map[string]any{"student_id": float64(i), "status": "absent"})
	}
	return out
}

type fixture struct {
	outbox *mocks.Outbox
	queue  *mocks.Queue
	svc    *relay.Service
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{outbox: mocks.NewOutbox(t), queue: mocks.NewQueue(t)}
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	f.svc = relay.NewService(f.outbox, f.queue, clock)
	return f
}

func TestOnceEnqueuesEachEventUnderItsIDAndMarksIt(t *testing.T) {
	f := newFixture(t)
	evs := events(3)
	f.outbox.EXPECT().Pending(anyArg, 100).Return(evs, nil).Once()
	var mu sync.Mutex
	jobsSeen := map[string]ports.Job{} // by job id (enqueues run side by side)
	f.queue.EXPECT().Enqueue(anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, j ports.Job, o ports.EnqueueOptions) (ports.JobInfo, error) {
		mu.Lock()
		defer mu.Unlock()
		jobsSeen[o.ID] = j
		assert.Equal(t, ports.QueueDefault, o.Queue)
		return ports.JobInfo{ID: o.ID}, nil
	}).Times(3)
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-1", "ev-2"}, now).Return(nil).Once()

	n, err := f.svc.Once(ctx, 100)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	require.Len(t, jobsSeen, 3, "each event under its own id")
	assert.Equal(t, "attendance:marked", jobsSeen["ev-0"].Type)
	var p jobs.Event
	require.NoError(t, json.Unmarshal(jobsSeen["ev-1"].Payload, &p))
	assert.Equal(t, jobs.Event{ID: "ev-1", Type: event.AttendanceMarked, Aggregate: "attendance", AggregateID: "1",
		OccurredAt: now.Add(-time.Minute), Data: map[string]any{"student_id": float64(1), "status": "absent"}}, p)
}

func TestOnceTreatsAKnownJobAsRelayed(t *testing.T) {
	// The relay crashed after enqueuing ev-0 but before marking it.
	f := newFixture(t)
	f.outbox.EXPECT().Pending(anyArg, 10).Return(events(2), nil).Once()
	f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "ev-0" })).
		Return(ports.JobInfo{}, fmt.Errorf("asynq: %w", ports.ErrDuplicateJob)).Once()
	f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "ev-1" })).
		Return(ports.JobInfo{}, nil).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-1"}, now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

// TestOnceMarksOnlyWhatWentThrough: enqueues run side by side; one that
// fails leaves its event pending (retried next time) and its error is
// returned, the others are marked.
func TestOnceMarksOnlyWhatWentThrough(t *testing.T) {
	f := newFixture(t)
	down := errors.New("redis down")
	f.outbox.EXPECT().Pending(anyArg, 10).Return(events(3), nil).Once()
	for _, id := range []string{"ev-0", "ev-2"} {
		f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == id })).
			Return(ports.JobInfo{}, nil).Once()
	}
	f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "ev-1" })).
		Return(ports.JobInfo{}, down).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-2"}, now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.ErrorIs(t, err, down)
	assert.Equal(t, 2, n)
}

func TestOnceWithNothingPending(t *testing.T) {
	f := newFixture(t)
	f.outbox.EXPECT().Pending(anyArg, 10).Return(nil, nil).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{}, now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestOnceReportsOutboxFailures(t *testing.T) {
	f := newFixture(t)
	f.outbox.EXPECT().Pending(anyArg, 10).Return(nil, errors.New("db down")).Once()
	_, err := f.svc.Once(ctx, 10)
	require.ErrorContains(t, err, "read outbox")

	f = newFixture(t)
	f.outbox.EXPECT().Pending(anyArg, 10).Return(events(1), nil).Once()
	f.queue.EXPECT().Enqueue(anyArg, anyArg, anyArg).Return(ports.JobInfo{}, nil).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, anyArg, anyArg).Return(errors.New("db down")).Once()
	_, err = f.svc.Once(ctx, 10)
	require.ErrorContains(t, err, "mark relayed")
}

func TestPruneKeepsRecentEvents(t *testing.T) {
	f := newFixture(t)
	f.outbox.EXPECT().PruneRelayed(anyArg, now.Add(-24*time.Hour)).Return(7, nil).Once()
	n, err := f.svc.Prune(ctx, 24*time.Hour)
	require.NoError(t, err)
	assert.Equal(t, 7, n)
}

func TestJobTypeForEvent(t *testing.T) {
	assert.Equal(t, "club:membership_changed", jobs.ForEvent(event.ClubMembershipChanged))
	assert.Equal(t, "attendance:marked", jobs.ForEvent(event.AttendanceMarked))
}
