package relay_test

import (
	"context"
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

// claimed is the events as claimed into the named batches, in turn: the
// i-th event goes to batches[i*len(batches)/len(evs)].
func claimed(evs []event.Event, batches ...string) []ports.BatchedEvent {
	out := make([]ports.BatchedEvent, len(evs))
	for i, e := range evs {
		out[i] = ports.BatchedEvent{Batch: batches[i*len(batches)/len(evs)], Event: e}
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

// TestOnceEnqueuesEachBatchAndTypeAsOneJob: the relay claims a batch, then
// enqueues every claimed batch as one job per event type, named
// "<batch>/<job type>", carrying the events oldest first, and marks them.
func TestOnceEnqueuesEachBatchAndTypeAsOneJob(t *testing.T) {
	f := newFixture(t)
	evs := events(4)
	evs[2] = event.New("ev-2", event.ComplaintFiled, "complaint", "9", now, map[string]any{"title": "Heater"})
	f.outbox.EXPECT().Claim(anyArg, 100).Return(2, nil).Once()
	// ev-0, ev-1 in batch ev-0 (a crashed relay's); ev-2, ev-3 in batch ev-2.
	f.outbox.EXPECT().Claimed(anyArg, 400).Return(claimed(evs, "ev-0", "ev-2"), nil).Once()
	var mu sync.Mutex
	jobsSeen := map[string]ports.Job{} // by job id (enqueues run side by side)
	f.queue.EXPECT().Enqueue(anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, j ports.Job, o ports.EnqueueOptions) (ports.JobInfo, error) {
		mu.Lock()
		defer mu.Unlock()
		jobsSeen[o.ID] = j
		assert.Equal(t, ports.QueueDefault, o.Queue)
		return ports.JobInfo{ID: o.ID}, nil
	}).Times(3)
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-1", "ev-2", "ev-3"}, now).Return(nil).Once()

	n, err := f.svc.Once(ctx, 100)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	require.Len(t, jobsSeen, 3)
	assert.Equal(t, "attendance:marked", jobsSeen["ev-0/attendance:marked"].Type)
	assert.Equal(t, "complaint:filed", jobsSeen["ev-2/complaint:filed"].Type)
	got, err := jobs.DecodeEvents(jobsSeen["ev-0/attendance:marked"].Payload)
	require.NoError(t, err)
	assert.Equal(t, []jobs.Event{
		{ID: "ev-0", Type: event.AttendanceMarked, Aggregate: "attendance", AggregateID: "0", OccurredAt: now.Add(-time.Minute),
			Data: map[string]any{"student_id": float64(0), "status": "absent"}},
		{ID: "ev-1", Type: event.AttendanceMarked, Aggregate: "attendance", AggregateID: "1", OccurredAt: now.Add(-time.Minute),
			Data: map[string]any{"student_id": float64(1), "status": "absent"}},
	}, got)
	got, err = jobs.DecodeEvents(jobsSeen["ev-2/attendance:marked"].Payload)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "ev-3", got[0].ID)
}

func TestOnceTreatsAKnownJobAsRelayed(t *testing.T) {
	// The relay crashed after enqueuing batch ev-0 but before marking it.
	f := newFixture(t)
	f.outbox.EXPECT().Claim(anyArg, 10).Return(0, nil).Once()
	f.outbox.EXPECT().Claimed(anyArg, 40).Return(claimed(events(2), "ev-0"), nil).Once()
	f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "ev-0/attendance:marked" })).
		Return(ports.JobInfo{}, fmt.Errorf("asynq: %w", ports.ErrDuplicateJob)).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-1"}, now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
}

// TestOnceMarksOnlyWhatWentThrough: enqueues run side by side; a job that
// fails leaves its events claimed (retried next time, as the same job) and
// its error is returned, the others are marked.
func TestOnceMarksOnlyWhatWentThrough(t *testing.T) {
	f := newFixture(t)
	down := errors.New("redis down")
	f.outbox.EXPECT().Claim(anyArg, 10).Return(3, nil).Once()
	f.outbox.EXPECT().Claimed(anyArg, 40).Return(claimed(events(3), "ev-0", "ev-1", "ev-2"), nil).Once()
	for _, id := range []string{"ev-0", "ev-2"} {
		f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == id+"/attendance:marked" })).
			Return(ports.JobInfo{}, nil).Once()
	}
	f.queue.EXPECT().Enqueue(anyArg, anyArg, mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "ev-1/attendance:marked" })).
		Return(ports.JobInfo{}, down).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string{"ev-0", "ev-2"}, now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.ErrorIs(t, err, down)
	assert.Equal(t, 2, n)
}

func TestOnceWithNothingPending(t *testing.T) {
	f := newFixture(t)
	f.outbox.EXPECT().Claim(anyArg, 10).Return(0, nil).Once()
	f.outbox.EXPECT().Claimed(anyArg, 40).Return(nil, nil).Once()
	f.outbox.EXPECT().MarkRelayed(anyArg, []string(nil), now).Return(nil).Once()
	n, err := f.svc.Once(ctx, 10)
	require.NoError(t, err)
	assert.Zero(t, n)
}

func TestOnceReportsOutboxFailures(t *testing.T) {
	f := newFixture(t)
	f.outbox.EXPECT().Claim(anyArg, 10).Return(0, errors.New("db down")).Once()
	_, err := f.svc.Once(ctx, 10)
	require.ErrorContains(t, err, "claim events")

	f = newFixture(t)
	f.outbox.EXPECT().Claim(anyArg, 10).Return(1, nil).Once()
	f.outbox.EXPECT().Claimed(anyArg, 40).Return(nil, errors.New("db down")).Once()
	_, err = f.svc.Once(ctx, 10)
	require.ErrorContains(t, err, "read claimed events")

	f = newFixture(t)
	f.outbox.EXPECT().Claim(anyArg, 10).Return(1, nil).Once()
	f.outbox.EXPECT().Claimed(anyArg, 40).Return(claimed(events(1), "ev-0"), nil).Once()
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
