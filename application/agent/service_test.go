package agent_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var (
	ctx    = context.Background()
	now    = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	anyArg = mock.Anything
	admin  = identity.Actor{UserID: 1, Role: identity.RoleAdmin}
	staff  = identity.Actor{UserID: 2, Role: identity.RoleStaff}
)

type fixture struct {
	store *mocks.AgentStore
	tasks *mocks.TaskLedger
	queue *mocks.Queue
	audit *mocks.AuditLog
	svc   *appagent.Service
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{store: mocks.NewAgentStore(t), tasks: mocks.NewTaskLedger(t), queue: mocks.NewQueue(t), audit: mocks.NewAuditLog(t)}
	clock, ids := mocks.NewClock(t), mocks.NewIDGenerator(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids.EXPECT().NewID().Return("task-1").Maybe()
	f.svc = appagent.NewService(appagent.Definitions(), appagent.Deps{Store: f.store, Tasks: f.tasks, Queue: f.queue,
		Audit: f.audit, Clock: clock, IDs: ids})
	return f
}

func TestExecuteRecordsEachOutcome(t *testing.T) {
	t.Run("enabled and succeeding", func(t *testing.T) {
		f := newFixture(t)
		f.store.EXPECT().Enabled(anyArg, "maintenance").Return(true, nil).Once()
		f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool {
			return r.Outcome == agent.Succeeded && r.Counts["n"] == 3 && r.TaskID == "t1" && r.Error == ""
		})).Return(nil).Once()
		require.NoError(t, f.svc.Execute(ctx, "maintenance", "t1", func(context.Context) (map[string]int, error) {
			return map[string]int{"n": 3}, nil
		}))
	})
	t.Run("failing is recorded and returned for a retry", func(t *testing.T) {
		f := newFixture(t)
		boom := errors.New("boom")
		f.store.EXPECT().Enabled(anyArg, "maintenance").Return(true, nil).Once()
		f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool {
			return r.Outcome == agent.Failed && r.Error == "boom"
		})).Return(nil).Once()
		err := f.svc.Execute(ctx, "maintenance", "t1", func(context.Context) (map[string]int, error) { return nil, boom })
		require.ErrorIs(t, err, boom)
	})
	t.Run("disabled is skipped without running", func(t *testing.T) {
		f := newFixture(t)
		f.store.EXPECT().Enabled(anyArg, "maintenance").Return(false, nil).Once()
		f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool { return r.Outcome == agent.Skipped })).Return(nil).Once()
		require.NoError(t, f.svc.Execute(ctx, "maintenance", "t1", func(context.Context) (map[string]int, error) {
			t.Fatal("a disabled agent ran")
			return nil, nil
		}))
	})
}

func TestRunNowNeedsManageAgentsAndRecordsTheRequester(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.RunNow(ctx, staff, "maintenance")
	require.ErrorIs(t, err, identity.ErrDenied)

	_, err = f.svc.RunNow(ctx, admin, "nope")
	assert.Equal(t, fault.NotFound, fault.KindOf(err))

	f.tasks.EXPECT().RecordTask(anyArg, "task-1", int64(1)).Return(nil).Once()
	f.queue.EXPECT().Enqueue(anyArg, mock.MatchedBy(func(j ports.Job) bool { return j.Type == "maintenance:run" }),
		mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "task-1" })).Return(ports.JobInfo{ID: "task-1"}, nil).Once()
	f.audit.EXPECT().Record(anyArg, anyArg).Return(nil).Once()
	id, err := f.svc.RunNow(ctx, admin, "maintenance")
	require.NoError(t, err)
	assert.Equal(t, "task-1", id)
}

func TestTaskIsTheOwnersOrAnAdmins(t *testing.T) {
	f := newFixture(t)
	f.tasks.EXPECT().TaskOwner(anyArg, "t").Return(int64(1), nil)
	f.queue.EXPECT().Job(anyArg, "t").Return(ports.JobInfo{ID: "t", State: ports.JobCompleted}, nil)
	_, err := f.svc.Task(ctx, staff, "t")
	assert.Equal(t, fault.NotFound, fault.KindOf(err), "someone else's task does not exist for staff")
	info, err := f.svc.Task(ctx, admin, "t")
	require.NoError(t, err)
	assert.Equal(t, ports.JobCompleted, info.State)

	f.tasks.EXPECT().TaskOwner(anyArg, "unrecorded").Return(0, fault.New(fault.NotFound, "Task not found"))
	_, err = f.svc.Task(ctx, staff, "unrecorded")
	assert.Equal(t, fault.NotFound, fault.KindOf(err))
}

// TestExecuteReadsTheSwitchOncePerSecond: runs in quick succession read
// the switch once; switching the agent off here takes effect at once.
func TestExecuteReadsTheSwitchOncePerSecond(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Enabled(anyArg, "maintenance").Return(true, nil).Once()
	f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool { return r.Outcome == agent.Succeeded })).Return(nil).Times(3)
	ran := 0
	for range 3 {
		require.NoError(t, f.svc.Execute(ctx, "maintenance", "t", func(context.Context) (map[string]int, error) { ran++; return nil, nil }))
	}
	assert.Equal(t, 3, ran)

	f.store.EXPECT().Enabled(anyArg, "maintenance").Return(true, nil).Once() // SetEnabled reads the state before
	f.store.EXPECT().SetEnabled(anyArg, "maintenance", false).Return(nil).Once()
	f.audit.EXPECT().Record(anyArg, anyArg).Return(nil).Once()
	f.store.EXPECT().Stats(anyArg).Return(map[string]agent.Stats{}, nil).Once()
	f.store.EXPECT().Enabled(anyArg, mock.Anything).Return(false, nil).Maybe() // the listing after the switch
	_, err := f.svc.SetEnabled(ctx, admin, "maintenance", false)
	require.NoError(t, err)
	f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool { return r.Outcome == agent.Skipped })).Return(nil).Once()
	require.NoError(t, f.svc.Execute(ctx, "maintenance", "t", func(context.Context) (map[string]int, error) {
		t.Fatal("ran after being switched off")
		return nil, nil
	}))
}

// TestExecuteEventRecordsEachJob: each job's run is recorded at once under
// the job's id with its events counted, succeeded or failed (the failure
// is returned, so the queue retries the job); a disabled agent's skipped
// jobs are gathered into one record.
func TestExecuteEventRecordsEachJob(t *testing.T) {
	f := newFixture(t)
	f.store.EXPECT().Enabled(anyArg, "attendance-risk").Return(true, nil).Once()
	for _, n := range []int{2, 3} {
		f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool {
			return r.Outcome == agent.Succeeded && r.TaskID == fmt.Sprintf("b%d/attendance:marked", n) &&
				r.Counts["events"] == n && r.Counts["assessed"] == n
		})).Return(nil).Once()
		require.NoError(t, f.svc.ExecuteEvent(ctx, "attendance-risk", fmt.Sprintf("b%d/attendance:marked", n), n, func(context.Context) (map[string]int, error) {
			return map[string]int{"assessed": n}, nil
		}))
	}
	boom := errors.New("db down")
	f.store.EXPECT().RecordRun(anyArg, mock.MatchedBy(func(r *agent.Run) bool {
		return r.Outcome == agent.Failed && r.TaskID == "ev-bad" && r.Error == "db down" && r.Counts["events"] == 4
	})).Return(nil).Once()
	err := f.svc.ExecuteEvent(ctx, "attendance-risk", "ev-bad", 4, func(context.Context) (map[string]int, error) { return nil, boom })
	require.ErrorIs(t, err, boom)

	// A run that cannot be recorded fails its job, so it is done again.
	f.store.EXPECT().RecordRun(anyArg, anyArg).Return(boom).Once()
	err = f.svc.ExecuteEvent(ctx, "attendance-risk", "b9", 1, func(context.Context) (map[string]int, error) { return nil, nil })
	require.ErrorIs(t, err, boom)
	require.NoError(t, f.svc.Flush(ctx), "nothing gathered")
}
