// Package worker runs the background side of the campus in a process: the
// queue's job handlers (agents register theirs) and the loop that relays
// the outbox into the queue. `campus worker` runs it against asynq; in the
// embedded mode `campus serve` runs it in-process.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/event"
)

// Config tunes the relay loop and shutdown.
type Config struct {
	// RelayInterval is the pause between relay passes when the outbox is
	// empty; a full batch is followed at once by the next.
	RelayInterval time.Duration
	RelayBatch    int
	// Watch, when set, signals that events were appended: the relay then
	// passes at once, but no sooner than RelayLinger after its last pass,
	// so that a steady trickle of events still travels in batches.
	Watch       OutboxWatch
	RelayLinger time.Duration
	// ShutdownTimeout bounds how long running jobs may take to finish.
	ShutdownTimeout time.Duration
}

// OutboxWatch signals appended events (adapters/store's): C receives after
// appends; Listen, run while the worker runs, hears other processes'.
type OutboxWatch interface {
	C() <-chan struct{}
	Listen(ctx context.Context, log *slog.Logger)
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
	// subscribers are the agents each event type runs, in registration order.
	subscribers map[string][]subscriber
}

type subscriber struct {
	exec Executor
	name string
	on   func(ctx context.Context, es []jobs.Event) (map[string]int, error)
}

// New builds a worker over the runner and the relay.
func New(cfg Config, runner queue.Runner, r *relay.Service, log *slog.Logger) *Worker {
	if cfg.RelayInterval <= 0 {
		cfg.RelayInterval = 500 * time.Millisecond
	}
	if cfg.RelayBatch <= 0 {
		cfg.RelayBatch = 500
	}
	if cfg.RelayLinger <= 0 {
		cfg.RelayLinger = 20 * time.Millisecond
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 20 * time.Second
	}
	return &Worker{cfg: cfg, runner: runner, relay: r, log: log, handled: map[string]bool{}, subscribers: map[string][]subscriber{}}
}

// Handle registers the handler of a job type; call it before Run.
func (w *Worker) Handle(jobType string, h queue.Handler) {
	w.handled[jobType] = true
	w.runner.Handle(jobType, h)
}

// RunScheduler makes Run also run s (the embedded mode has no separate
// scheduler process).
func (w *Worker) RunScheduler(s Scheduler) { w.scheduler = s }

// Executor runs one agent run and records it (the agents service):
// skipped while the agent is disabled, failed with fn's error.
type Executor interface {
	Execute(ctx context.Context, name, taskID string, fn func(ctx context.Context) (map[string]int, error)) error
	// ExecuteEvent runs an agent for a job of events events (its runs may
	// be recorded in batches); Flush records what is pending.
	ExecuteEvent(ctx context.Context, name, taskID string, events int, fn func(ctx context.Context) (map[string]int, error)) error
	Flush(ctx context.Context) error
}

// AgentHandlers are what an agent does, each returning the counts its run
// records: OnEvents for the events of def.Events a job carries (a relay
// batch of one type, oldest first), Run for def.JobType (its schedule's
// ticks and run-now requests).
type AgentHandlers struct {
	OnEvents func(ctx context.Context, es []jobs.Event) (map[string]int, error)
	Run      func(ctx context.Context) (map[string]int, error)
}

// Agent registers an agent's handlers; call it before Run. Every run is
// recorded through x under the job's id (for an event, the event's id).
func (w *Worker) Agent(x Executor, def agent.Definition, h AgentHandlers) {
	if h.Run != nil && def.JobType != "" {
		run := h.Run
		w.Handle(def.JobType, func(ctx context.Context, _ []byte) error {
			return x.Execute(ctx, def.Name, queue.JobID(ctx), run)
		})
	}
	if h.OnEvents != nil {
		for _, t := range def.Events {
			w.subscribers[t] = append(w.subscribers[t], subscriber{exec: x, name: def.Name, on: h.OnEvents})
		}
	}
}

// dispatch runs every agent subscribed to the job's events, each as its
// own run (recorded in batches, see Executor.ExecuteEvent). One agent's
// failure fails the job, so the queue retries it; the agents that
// succeeded run again then, which their idempotence makes harmless.
func (w *Worker) dispatch(subs []subscriber) func(ctx context.Context, payload []byte) error {
	return func(ctx context.Context, payload []byte) error {
		es, err := jobs.DecodeEvents(payload)
		if err != nil {
			return err
		}
		var errs []error
		for _, s := range subs {
			on := s.on
			if err := s.exec.ExecuteEvent(ctx, s.name, queue.JobID(ctx), len(es), func(ctx context.Context) (map[string]int, error) {
				return on(ctx, es)
			}); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
			}
		}
		return errors.Join(errs...)
	}
}

// Run starts the handlers and relays the outbox until ctx ends, then lets
// running jobs finish (up to ShutdownTimeout).
func (w *Worker) Run(ctx context.Context) error {
	// An event no agent subscribes to is acknowledged, not failed: it
	// reached the queue, and nothing is waiting for it.
	for _, t := range event.Types() {
		jt := jobs.ForEvent(t)
		switch {
		case w.handled[jt]:
		case len(w.subscribers[t]) > 0:
			w.runner.Handle(jt, w.dispatch(w.subscribers[t]))
		default:
			w.runner.Handle(jt, acknowledge)
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
	var wake <-chan struct{} // nil without a watch: never ready
	if w.cfg.Watch != nil {
		wake = w.cfg.Watch.C()
		listening, stopListening := context.WithCancel(ctx)
		defer stopListening()
		go w.cfg.Watch.Listen(listening, w.log)
	}
	w.log.Info("worker started", "relay_interval", w.cfg.RelayInterval.String(), "relay_woken", wake != nil)
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last time.Time
	for {
		select {
		case <-ctx.Done():
			return w.stop()
		case <-wake:
			if wait := w.cfg.RelayLinger - time.Since(last); wait > 0 {
				timer.Reset(wait)
				continue
			}
		case <-timer.C:
		}
		next := w.cfg.RelayInterval
		last = time.Now()
		moved, err := w.relay.Once(ctx, w.cfg.RelayBatch)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Warn("relay pass failed; retrying", "error", err.Error(), "relayed", moved)
		case moved >= w.cfg.RelayBatch:
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
	// Event runs gathered but not yet recorded are recorded now.
	flushed := map[Executor]bool{}
	for _, subs := range w.subscribers {
		for _, s := range subs {
			if !flushed[s.exec] {
				flushed[s.exec] = true
				if ferr := s.exec.Flush(ctx); ferr != nil {
					w.log.Warn("recording agent runs at shutdown failed", "error", ferr.Error())
				}
			}
		}
	}
	w.log.Info("worker stopped")
	return err
}

// acknowledge checks that an event job is well formed (a malformed one is
// archived, not retried) and does nothing else.
func acknowledge(_ context.Context, payload []byte) error {
	_, err := jobs.DecodeEvents(payload)
	return err
}
