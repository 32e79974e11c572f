package queue

import (
	"context"
	"fmt"
	"slices"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// Reporter gives the live figures /health/full shows for a backend.
type Reporter interface {
	Backend() string
	Report(ctx context.Context) (Stats, error)
}

// Backend names the in-process queue for health checks.
func (q *InProcess) Backend() string { return "in-process" }

// Report returns the in-process figures (counts since this process started).
func (q *InProcess) Report(context.Context) (Stats, error) { return q.Stats(), nil }

// Backend names asynq for health checks.
func (q *AsynqQueue) Backend() string { return "asynq" }

// Report sums the three queues as asynq's Inspector sees them (Completed
// and Failed are what Redis still retains: completed within the retention,
// archived ones) and counts the workers of every live asynq server.
func (q *AsynqQueue) Report(ctx context.Context) (Stats, error) {
	var s Stats
	// asynq knows a queue once a task went through it; list them first, as
	// GetQueueInfo's error for an unknown queue is not a sentinel.
	known, err := q.inspector.Queues()
	if err != nil {
		return Stats{}, fault.Wrap(fault.Unavailable, "Task queue unavailable", err)
	}
	for _, name := range []string{ports.QueueCritical, ports.QueueDefault, ports.QueueLow} {
		if !slices.Contains(known, q.prefix+name) {
			continue
		}
		info, err := q.inspector.GetQueueInfo(q.prefix + name)
		if err != nil {
			return Stats{}, fault.Wrap(fault.Unavailable, "Task queue unavailable", fmt.Errorf("queue %s: %w", name, err))
		}
		s.QueueSize += info.Pending + info.Scheduled + info.Retry
		s.Pending += info.Pending
		s.Running += info.Active
		s.Completed += info.Completed
		s.Failed += info.Archived
	}
	servers, err := q.inspector.Servers()
	if err != nil {
		return Stats{}, fault.Wrap(fault.Unavailable, "Task queue unavailable", err)
	}
	for _, srv := range servers {
		s.Workers += srv.Concurrency
	}
	return s, nil
}

// SchedulerEntries counts the periodic entries live asynq schedulers have
// registered (the same entry from several schedulers counts once).
func (q *AsynqQueue) SchedulerEntries(context.Context) (int, error) {
	entries, err := q.inspector.SchedulerEntries()
	if err != nil {
		return 0, fault.Wrap(fault.Unavailable, "Task queue unavailable", err)
	}
	seen := map[string]bool{}
	for _, e := range entries {
		seen[e.Spec+" "+e.Task.Type()] = true
	}
	return len(seen), nil
}
