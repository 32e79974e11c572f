// Package worker runs the background side of the campus in a process: the
// queue's job handlers (agents register theirs) and the loop that relays
// the outbox into the queue. `campus worker` runs it against asynq; in the
// embedded mode `campus serve` runs it in-process.
package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/campus/campus/adapters/queue"
	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/maintenance"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
)

// Config tunes the relay loop and shutdown.
type Config struct {
	// RelayInterval is the pause between relay passes when the outbox is
	// empty; a full batch is followed at once by the next.
	RelayInterval time.Duration
	RelayBatch    int
	// ShutdownTimeout bounds how long running jobs may take to finish.
	ShutdownTimeout time.Duration
}

// Scheduler enqueues periodic jobs; the embedded mode runs one inside
// the worker.
type Scheduler interface {
	Start() error
	Shutdown()
}

// Worker is one process's background side.
type Worker struct {
	cfg       Config
	runner    queue.Runner
	relay     *relay.Service
	log       *slog.Logger
	handled   map[string]bool
	scheduler Scheduler
}

// New builds a worker over the runner and the relay.
func New(cfg Config, runner queue.Runner, r *relay.Service, log *slog.Logger) *Worker {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = 500 * time.Millisecond
	}
	if cfg.RelayBatch <= 0 {
		cfg.RelayBatch = 500
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	return &Worker{cfg: cfg, runner: runner, relay: r, log: log, handled: map[string]bool{}}
}

// Handle registers the handler of a job type; call it before Run.
func (w *Worker) Handle(jobType string, h queue.Handler) {
	w.handled[jobType] = true
	w.runner.Handle(jobType, h)
}

// RunScheduler makes Run also run s (the embedded mode has no separate
// scheduler process).
func (w *Worker) RunScheduler(s Scheduler) { w.scheduler = s }

// Maintenance registers the maintenance agent's job; each run is recorded
// through the agents service (and skipped while the agent is disabled).
func (w *Worker) Maintenance(m *maintenance.Service, agents *appagent.Service) {
	w.Handle(jobs.Maintenance, func(ctx context.Context, _ []byte) error {
		return agents.Execute(ctx, appagent.Maintenance, queue.JobID(ctx), func(ctx context.Context) (map[string]int, error) {
			r, err := m.Run(ctx)
			return map[string]int{"sessions_pruned": r.SessionsPruned, "events_pruned": r.EventsPruned,
				"checkin_sessions_closed": r.CheckInSessionsClosed}, err
		})
	})
}

// Run starts the handlers and relays the outbox until ctx ends, then lets
// running jobs finish (up to ShutdownTimeout).
func (w *Worker) Run(ctx context.Context) error {
	// An event no agent subscribes to yet is acknowledged, not failed: it
	// reached the queue, and nothing is waiting for it.
	for _, t := range event.Types() {
		if jt := jobs.ForEvent(t); !w.handled[jt] {
			w.runner.Handle(jt, w.acknowledge)
		}
	}
	if err := w.runner.Start(); err != nil {
		return err
	}
	if w.scheduler != nil {
		if err := w.scheduler.Start(); err != nil {
			return err
		}
	}
	w.log.Info("worker started", "relay_interval", w.cfg.RelayInterval.String())
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return w.stop()
		case <-timer.C:
		}
		next := w.cfg.RelayInterval
		moved, err := w.relay.Once(ctx, w.cfg.RelayBatch)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Warn("relay pass failed; retrying", "error", err.Error(), "relayed", moved)
		case moved == w.cfg.RelayBatch:
			next = 0 // more is waiting
		}
		timer.Reset(next)
	}
}

func (w *Worker) stop() error {
	if w.scheduler != nil {
		w.scheduler.Shutdown()
	}
	ctx, cancel := context.WithTimeout(context.Background(), w.cfg.ShutdownTimeout)
	defer cancel()
	err := w.runner.Shutdown(ctx)
	w.log.Info("worker stopped")
	return err
}

// acknowledge checks that an event job is well formed (a malformed one is
// archived, not retried) and does nothing else.
func (w *Worker) acknowledge(_ context.Context, payload []byte) error {
	var e jobs.Event
	if err := json.Unmarshal(payload, &e); err != nil || e.ID == "" || e.Type == "" {
		return fault.New(fault.Invalid, "malformed event payload")
	}
	return nil
}
