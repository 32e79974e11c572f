package ports

import (
	"context"

	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/page"
)

// AgentStore keeps the agents' switches and the record of their runs.
type AgentStore interface {
	// Enabled reports an agent's switch; an agent never switched is on.
	Enabled(ctx context.Context, name string) (bool, error)
	SetEnabled(ctx context.Context, name string, enabled bool) error
	// RecordRun records a run and sets its id. A second succeeded run of
	// an agent under one task id (the task ran again after its worker
	// died) records nothing and leaves the id zero.
	RecordRun(ctx context.Context, r *agent.Run) error
	// Runs pages through an agent's runs, newest first.
	Runs(ctx context.Context, name string, p page.Request) (page.Result[agent.Run], error)
	// Stats sums the runs of every agent that ran.
	Stats(ctx context.Context) (map[string]agent.Stats, error)
}

// TaskLedger remembers who asked for a background task, so that only they
// (and admins) can read it.
type TaskLedger interface {
	RecordTask(ctx context.Context, taskID string, userID int64) error
	// TaskOwner is fault.NotFound for a task nobody recorded.
	TaskOwner(ctx context.Context, taskID string) (int64, error)
}
