package bootstrap

import (
	"context"
	"log/slog"

	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/adapters/worker"
	"github.com/campus/campus/application/relay"
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
		return b, func() {}, nil
	}
	cfg := queue.AsynqConfig{RedisURL: c.Redis.URL, Concurrency: c.Tasks.WorkerConcurrency, QueuePrefix: c.Tasks.QueuePrefix, Logger: log}
	q, cleanup, err := queue.NewAsynqQueue(cfg)
	if err != nil {
		return nil, nil, err
	}
	b.Queue, b.Runner, b.Reporter = q, queue.NewAsynqRunner(cfg), q
	return b, cleanup, nil
}

func queuePort(b *Background) ports.Queue { return b.Queue }

func workerConfig() worker.Config { return worker.Config{} }

// embeddedWorker is the API process's own worker: always in the embedded
// mode (its queue lives in this process), with Redis only when asked.
func embeddedWorker(c config.Config, o ServeOptions, b *Background, r *relay.Service, log *slog.Logger) *worker.Worker {
	if !b.Enabled || (c.Redis.Enabled() && !o.WithWorker) {
		return nil
	}
	return worker.New(workerConfig(), b.Runner, r, log)
}

func newWorker(b *Background, r *relay.Service, log *slog.Logger) *worker.Worker {
	return worker.New(workerConfig(), b.Runner, r, log)
}

// taskHealth shows the queue's live figures in /health/full.
type taskHealth struct{ b *Background }

func tasksForHealth(b *Background) httpapi.Tasks { return taskHealth{b: b} }

func (t taskHealth) Enabled() bool   { return t.b.Enabled }
func (t taskHealth) Backend() string { return t.b.Reporter.Backend() }
func (t taskHealth) Figures(ctx context.Context) (httpapi.TaskFigures, error) {
	s, err := t.b.Reporter.Report(ctx)
	return httpapi.TaskFigures{QueueSize: s.QueueSize, Workers: s.Workers, Pending: s.Pending, Running: s.Running,
		Completed: s.Completed, Failed: s.Failed}, err
}
