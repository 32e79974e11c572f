package bootstrap

import (
	"context"
	"log/slog"
	"time"

	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/worker"
	"github.com/campus/campus/application/export"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/application/student"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/ports"
)

// Background is this process's job queue: asynq when REDIS_URL is set
// (shared by every process), else in-process (the embedded mode).
type Background struct {
	Queue    ports.Queue
	Runner   queue.Runner
	Reporter queue.Reporter
	Enabled  bool
	// entries reports the periodic entries live schedulers registered.
	entries func(ctx context.Context) (int, error)
}

// ServeOptions are the serve command's choices that shape the process.
type ServeOptions struct {
	// WithWorker runs the background worker inside the API process even
	// when REDIS_URL is set (the embedded mode always does).
	WithWorker bool
}

func background(c config.Config, log *slog.Logger) (*Background, func(), error) {
	b := &Background{Enabled: c.Tasks.Enabled}
	if !c.Redis.Enabled() {
		q := queue.NewInProcess(queue.InProcessConfig{Concurrency: c.Tasks.WorkerConcurrency, Logger: log})
		b.Queue, b.Runner, b.Reporter = q, q, q
		if !c.Tasks.Enabled { // nothing in this process would run a job
			b.Queue = queue.Disabled{}
		}
		b.entries = func(context.Context) (int, error) { return 0, nil } // until embeddedWorker starts one
		return b, func() {}, nil
	}
	cfg := queue.AsynqConfig{RedisURL: c.Redis.URL, Concurrency: c.Tasks.WorkerConcurrency, QueuePrefix: c.Tasks.QueuePrefix,
		PollInterval: workerPoll, Logger: log}
	q, cleanup, err := queue.NewAsynqQueue(cfg)
	if err != nil {
		return nil, nil, err
	}
	b.Queue, b.Runner, b.Reporter, b.entries = q, queue.NewAsynqRunner(cfg), q, q.SchedulerEntries
	return b, cleanup, nil
}

// workerPoll is how often an idle worker looks for tasks (and moves due
// retries to their queue). asynq's default of 1 s put up to 1.5 s between
// an event's relay and its agent's run; at 100 ms an idle worker makes
// about ten cheap Redis calls a second.
const workerPoll = 100 * time.Millisecond

func queuePort(b *Background) ports.Queue { return b.Queue }

// workerConfig wakes the relay when the outbox has news (see store.OutboxWatch).
func workerConfig(db *store.DB) worker.Config { return worker.Config{Watch: db.OutboxWatch()} }

// embeddedWorker is the API process's own worker: always in the embedded
// mode (its queue lives in this process), with Redis only when asked.
func embeddedWorker(c config.Config, o ServeOptions, b *Background, r *relay.Service, a Agents, students *student.Service,
	exports *export.Service, db *store.DB, log *slog.Logger) (*worker.Worker, error) {
	if !b.Enabled || (c.Redis.Enabled() && !o.WithWorker) {
		return nil, nil
	}
	w, err := newWorker(b, r, a, students, exports, db, log)
	if err != nil {
		return nil, err
	}
	if !c.Redis.Enabled() { // no separate scheduler process without Redis
		entries := periodic(c.Tasks.Schedules)
		s, err := queue.NewInProcessScheduler(b.Queue, entries, log)
		if err != nil {
			return nil, err
		}
		w.RunScheduler(s)
		n := len(entries)
		b.entries = func(context.Context) (int, error) { return n, nil }
	}
	return w, nil
}

func newWorker(b *Background, r *relay.Service, a Agents, students *student.Service, exports *export.Service, db *store.DB,
	log *slog.Logger) (*worker.Worker, error) {
	w := worker.New(workerConfig(db), b.Runner, r, log)
	w.StudentImports(students)
	w.Exports(exports)
	if err := registerAgents(w, a); err != nil {
		return nil, err
	}
	return w, nil
}

// periodic is the agents' schedules (an event-driven agent may also have
// one, e.g. a nightly pass over everyone), as the queue adapters take it,
// with AGENT_SCHEDULES's overrides applied. An override changes an entry's
// spec only: the entries (and so /health/full's tasks_count) stay one per
// scheduled agent, and the entry's name, hence its ticks' ids, stays the
// agent's. Config has checked the overrides (an agent with a schedule, a
// spec both schedulers run); one naming no scheduled agent changes nothing.
func periodic(overrides config.AgentSchedules) []queue.Periodic {
	var out []queue.Periodic
	for _, d := range withSchedules(overrides) {
		if d.Schedule != "" {
			out = append(out, queue.Periodic{Name: d.Name, Spec: d.Schedule, JobType: d.JobType, Queue: ports.QueueLow})
		}
	}
	return out
}

func asynqScheduler(c config.Config, log *slog.Logger) (*queue.AsynqScheduler, func(), error) {
	return queue.NewAsynqScheduler(queue.AsynqConfig{RedisURL: c.Redis.URL, QueuePrefix: c.Tasks.QueuePrefix, Logger: log}, periodic(c.Tasks.Schedules))
}

// taskHealth shows the queue's live figures in /health/full.
type taskHealth struct{ b *Background }

func tasksForHealth(b *Background) httpapi.Tasks { return taskHealth{b: b} }

func (t taskHealth) Enabled() bool   { return t.b.Enabled }
func (t taskHealth) Backend() string { return t.b.Reporter.Backend() }
func (t taskHealth) Scheduler(ctx context.Context) (httpapi.SchedulerFigures, error) {
	n, err := t.b.entries(ctx)
	return httpapi.SchedulerFigures{Running: n > 0, TasksCount: n}, err
}

func (t taskHealth) Figures(ctx context.Context) (httpapi.TaskFigures, error) {
	s, err := t.b.Reporter.Report(ctx)
	return httpapi.TaskFigures{QueueSize: s.QueueSize, Workers: s.Workers, Pending: s.Pending, Running: s.Running,
		Completed: s.Completed, Failed: s.Failed}, err
}
