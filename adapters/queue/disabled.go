package queue

import (
	"context"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// Disabled is the queue of an embedded process started with
// ENABLE_BACKGROUND_TASKS=false: no worker would ever run a job, so it
// accepts none (503 with the reason) instead of leaving work pending for
// ever.
type Disabled struct{}

var _ ports.Queue = Disabled{}

// ErrDisabled is what Enqueue answers.
var ErrDisabled = fault.New(fault.Unavailable, "background tasks are disabled on this server (ENABLE_BACKGROUND_TASKS=false)")

// Enqueue refuses every job.
func (Disabled) Enqueue(context.Context, ports.Job, ports.EnqueueOptions) (ports.JobInfo, error) {
	return ports.JobInfo{}, ErrDisabled
}

// Job knows none.
func (Disabled) Job(context.Context, string) (ports.JobInfo, error) {
	return ports.JobInfo{}, fault.New(fault.NotFound, "no such task")
}
