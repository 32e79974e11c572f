package ports

import (
	"context"
	"errors"
	"time"
)

// ErrDuplicateJob reports that a job with the same id (or, within
// UniqueFor, the same type and payload) is already known to the queue.
var ErrDuplicateJob = errors.New("duplicate job")

// Job is a unit of background work: a type "<aggregate>:<verb>" (e.g.
// "risk:assess") and a JSON payload defined in application/jobs.
type Job struct {
	Type    string
	Payload []byte
}

// Queues, highest priority first.
const (
	QueueCritical = "critical"
	QueueDefault  = "default"
	QueueLow      = "low"
)

// EnqueueOptions tune one enqueue. Zero values mean the queue's defaults.
type EnqueueOptions struct {
	// ID makes the enqueue idempotent: a job with an ID already known to the
	// queue (pending, running or retained after completion) is not enqueued
	// again, and Enqueue reports ErrDuplicateJob.
	ID       string
	Queue    string
	Delay    time.Duration
	MaxRetry int
	Timeout  time.Duration
	// UniqueFor refuses another job of the same type and payload for this
	// long (ErrDuplicateJob), whatever its ID.
	UniqueFor time.Duration
}

// JobState is where a job is in its life.
type JobState string

// Job states, as the tasks API reports them.
const (
	JobPending   JobState = "pending"
	JobScheduled JobState = "scheduled"
	JobRunning   JobState = "running"
	JobRetry     JobState = "retry"
	JobCompleted JobState = "completed"
	JobFailed    JobState = "failed"
	JobArchived  JobState = "archived"
)

// JobInfo is what the queue knows of one job.
type JobInfo struct {
	ID          string
	Type        string
	Queue       string
	State       JobState
	Attempts    int
	MaxRetry    int
	CreatedAt   time.Time
	NextRunAt   *time.Time
	CompletedAt *time.Time
	LastError   string
	Result      []byte
	Payload     []byte
}

// Queue enqueues jobs and reports on them.
type Queue interface {
	// Enqueue schedules the job; with a known opts.ID (or within UniqueFor)
	// it returns an error matching ErrDuplicateJob and changes nothing.
	Enqueue(ctx context.Context, job Job, opts EnqueueOptions) (JobInfo, error)
	// Job reports one job by id (fault.NotFound when the queue has no record).
	Job(ctx context.Context, id string) (JobInfo, error)
}
