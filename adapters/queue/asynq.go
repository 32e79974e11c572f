package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/campus/campus/adapters/redisconn"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// AsynqConfig configures both sides of the Redis backend. Zero values take
// the defaults.
type AsynqConfig struct {
	// RedisURL is REDIS_URL: one server, Sentinel or Cluster (see
	// redisconn.Parse). asynq keeps each queue's keys in one Cluster slot
	// (their names carry the queue as a {hash tag}).
	RedisURL string
	// Concurrency is the number of tasks the runner processes at once
	// (WORKER_CONCURRENCY); default runtime.NumCPU().
	Concurrency int
	// QueuePrefix is put before critical/default/low. Production leaves it
	// empty so asynqmon shows the plain names; tests set a unique one so
	// runs sharing one Redis never see each other's tasks.
	QueuePrefix string
	// Retention keeps a completed task (and so its ID, for dedupe and for
	// Job) this long; default 7 days.
	Retention time.Duration
	// StrictPriority runs lower queues only when the higher ones are empty;
	// by default asynq picks queues at random with weights 6/3/1.
	StrictPriority bool
	// RetryBase, when set, replaces asynq's retry delay (≈15 s + n⁴ s +
	// jitter) with RetryBase·2ⁿ capped at an hour, the in-process formula.
	// Tests set a few milliseconds.
	RetryBase time.Duration
	// ShutdownTimeout is how long Shutdown lets running tasks finish before
	// asynq hands them back to Redis for another worker; default 10 s.
	ShutdownTimeout time.Duration
	// PollInterval, when set, is how often the runner looks for work in
	// empty queues and moves due scheduled and retry tasks to pending
	// (asynq's defaults: 1 s and 5 s). Lower means less latency, more Redis
	// traffic.
	PollInterval time.Duration
	// Logger receives asynq's own log and failed tasks; default slog.Default().
	Logger *slog.Logger
}

// headerCreatedAt carries the enqueue time: asynq keeps none of its own.
const headerCreatedAt = "campus-created-at"

// queueTimeouts: a Redis that is down refuses the dial at once; the read
// and write bounds only cap a hung one, and are loose enough that a busy
// machine does not turn a slow answer into an outage.
var queueTimeouts = redisconn.Timeouts{Dial: 500 * time.Millisecond, Read: 2 * time.Second, Write: 2 * time.Second, Pool: 2 * time.Second}

// redisClient opens a client that fails at once when Redis is down
// (redisconn turns go-redis's retries and redials off), for any layout
// REDIS_URL names.
func redisClient(url string) (redis.UniversalClient, error) {
	return redisconn.Open(url, queueTimeouts)
}

func (cfg AsynqConfig) retention() time.Duration {
	if cfg.Retention <= 0 {
		return DefaultRetention
	}
	return cfg.Retention
}

func (cfg AsynqConfig) logger() *slog.Logger {
	if cfg.Logger == nil {
		return slog.Default()
	}
	return cfg.Logger
}

// AsynqQueue enqueues to Redis through asynq and reports on tasks with
// asynq's Inspector.
//
// Differences from InProcess come from asynq: an ID is unique within its
// queue (the same ID may be enqueued once per queue); Timeout and UniqueFor
// are whole seconds (rounded up, at least 1 s); a delayed job runs at the
// first whole second after its Delay, then within PollInterval.
type AsynqQueue struct {
	client    *asynq.Client
	inspector *asynq.Inspector
	prefix    string
	retention time.Duration
}

var _ ports.Queue = (*AsynqQueue)(nil)

// NewAsynqQueue connects lazily (a Redis outage shows on the first
// Enqueue or Job as fault.Unavailable). The cleanup closes the connection.
func NewAsynqQueue(cfg AsynqConfig) (*AsynqQueue, func(), error) {
	rdb, err := redisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	q := &AsynqQueue{
		client:    asynq.NewClientFromRedisClient(rdb),
		inspector: asynq.NewInspectorFromRedisClient(rdb),
		prefix:    cfg.QueuePrefix,
		retention: cfg.retention(),
	}
	return q, func() { _ = rdb.Close() }, nil
}

// Enqueue implements ports.Queue.
func (q *AsynqQueue) Enqueue(ctx context.Context, job ports.Job, opts ports.EnqueueOptions) (ports.JobInfo, error) {
	if job.Type == "" {
		return ports.JobInfo{}, fault.New(fault.Invalid, "job type is required")
	}
	qname, err := queueName(opts.Queue)
	if err != nil {
		return ports.JobInfo{}, err
	}
	o := []asynq.Option{
		asynq.Queue(q.prefix + qname),
		asynq.MaxRetry(maxRetry(opts.MaxRetry, DefaultMaxRetry)),
		asynq.Retention(q.retention),
	}
	if opts.ID != "" {
		o = append(o, asynq.TaskID(opts.ID))
	}
	if opts.Delay > 0 {
		// asynq files scheduled tasks under whole Unix seconds and runs
		// them once that second has begun: round up so none runs early.
		at := time.Now().Add(opts.Delay)
		if at.Nanosecond() != 0 {
			at = at.Truncate(time.Second).Add(time.Second)
		}
		o = append(o, asynq.ProcessAt(at))
	}
	if opts.Timeout > 0 {
		o = append(o, asynq.Timeout(ceilSecond(opts.Timeout)))
	}
	if opts.UniqueFor > 0 {
		o = append(o, asynq.Unique(ceilSecond(opts.UniqueFor)))
	}
	headers := map[string]string{headerCreatedAt: time.Now().UTC().Format(time.RFC3339Nano)}
	info, err := q.client.EnqueueContext(ctx, asynq.NewTaskWithHeaders(job.Type, job.Payload, headers), o...)
	switch {
	case errors.Is(err, asynq.ErrTaskIDConflict), errors.Is(err, asynq.ErrDuplicateTask):
		return ports.JobInfo{}, fmt.Errorf("enqueue %s %q: %w: %w", job.Type, opts.ID, ports.ErrDuplicateJob, err)
	case err != nil:
		return ports.JobInfo{}, fault.Wrap(fault.Unavailable, "job queue unavailable", fmt.Errorf("enqueue %s: %w", job.Type, err))
	}
	return asynqJobInfo(info, q.prefix), nil
}

// Job implements ports.Queue: it looks for id in the three queues, most
// urgent first.
func (q *AsynqQueue) Job(_ context.Context, id string) (ports.JobInfo, error) {
	for _, name := range queueNames {
		info, err := q.inspector.GetTaskInfo(q.prefix+name, id)
		if err != nil && !errors.Is(err, asynq.ErrTaskNotFound) && !errors.Is(err, asynq.ErrQueueNotFound) {
			info, err = q.inspector.GetTaskInfo(q.prefix+name, id) // a read: one more try is safe
		}
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound), errors.Is(err, asynq.ErrQueueNotFound):
			continue
		case err != nil:
			return ports.JobInfo{}, fault.Wrap(fault.Unavailable, "job queue unavailable", fmt.Errorf("job %q: %w", id, err))
		}
		return asynqJobInfo(info, q.prefix), nil
	}
	return ports.JobInfo{}, fault.Newf(fault.NotFound, "job %q not found", id)
}

// ceilSecond rounds d up to whole seconds: asynq stores timeouts and
// uniqueness TTLs in seconds, and a sub-second timeout would become none.
func ceilSecond(d time.Duration) time.Duration {
	return max(time.Second, (d + time.Second - 1).Truncate(time.Second))
}

// asynqJobInfo translates a task. Attempts counts handler runs, finished
// or under way: asynq's Retried counts only the failures that led to a
// retry, so a running or completed task has had one run more, and so has
// one archived after a failure (archiving does not count). A task archived
// by hand, never run, is reported with one attempt too many when it had
// failed before; the inspector cannot tell the two apart.
func asynqJobInfo(t *asynq.TaskInfo, prefix string) ports.JobInfo {
	info := ports.JobInfo{
		ID: t.ID, Type: t.Type, Queue: strings.TrimPrefix(t.Queue, prefix),
		Attempts: t.Retried, MaxRetry: t.MaxRetry, LastError: t.LastErr,
		Result: t.Result, Payload: t.Payload,
	}
	switch t.State {
	case asynq.TaskStateActive:
		info.State, info.Attempts = ports.JobRunning, t.Retried+1
	case asynq.TaskStatePending, asynq.TaskStateAggregating:
		info.State = ports.JobPending
	case asynq.TaskStateScheduled:
		info.State = ports.JobScheduled
	case asynq.TaskStateRetry:
		info.State = ports.JobRetry
	case asynq.TaskStateCompleted:
		info.State, info.Attempts = ports.JobCompleted, t.Retried+1
	case asynq.TaskStateArchived:
		info.State = ports.JobArchived
		if t.LastErr != "" {
			info.Attempts++
		}
	}
	switch info.State {
	case ports.JobPending, ports.JobScheduled, ports.JobRetry:
		if !t.NextProcessAt.IsZero() {
			next := t.NextProcessAt
			info.NextRunAt = &next
		}
	}
	if !t.CompletedAt.IsZero() {
		done := t.CompletedAt
		info.CompletedAt = &done
	}
	if at, err := time.Parse(time.RFC3339Nano, t.Headers[headerCreatedAt]); err == nil {
		info.CreatedAt = at
	}
	return info
}

// AsynqRunner processes the prefixed critical/default/low queues with an
// asynq.Server, dispatching by job type through an asynq.ServeMux.
type AsynqRunner struct {
	cfg AsynqConfig
	log *slog.Logger
	mux *asynq.ServeMux
	rdb redis.UniversalClient
	srv *asynq.Server
	err error // a bad RedisURL, reported by Start

	mu     sync.Mutex
	closed bool
	done   chan struct{} // closed when the server has shut down
}

var _ Runner = (*AsynqRunner)(nil)

// NewAsynqRunner builds an idle runner; nothing touches Redis before
// Start. Shutdown releases its connection.
func NewAsynqRunner(cfg AsynqConfig) *AsynqRunner {
	r := &AsynqRunner{cfg: cfg, log: cfg.logger(), mux: asynq.NewServeMux()}
	r.rdb, r.err = redisClient(cfg.RedisURL)
	if r.err != nil {
		return r
	}
	queues := make(map[string]int, len(priorities))
	for name, p := range priorities {
		queues[cfg.QueuePrefix+name] = p
	}
	shutdown := cfg.ShutdownTimeout
	if shutdown <= 0 {
		shutdown = 10 * time.Second
	}
	ac := asynq.Config{
		Concurrency:              cfg.Concurrency,
		Queues:                   queues,
		StrictPriority:           cfg.StrictPriority,
		ShutdownTimeout:          shutdown,
		TaskCheckInterval:        cfg.PollInterval,
		DelayedTaskCheckInterval: cfg.PollInterval,
		ErrorHandler:             asynq.ErrorHandlerFunc(r.logFailure),
		Logger:                   asynqLogger{r.log},
	}
	if base := cfg.RetryBase; base > 0 {
		ac.RetryDelayFunc = func(n int, _ error, _ *asynq.Task) time.Duration { return backoff(base, n) }
	}
	r.srv = asynq.NewServerFromRedisClient(r.rdb, ac)
	return r
}

// Handle implements Runner.
func (r *AsynqRunner) Handle(jobType string, h Handler) {
	r.mux.Handle(jobType, asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		if w := t.ResultWriter(); w != nil {
			ctx = withResult(ctx, func(b []byte) error {
				_, err := w.Write(b)
				return err
			})
		}
		err := h(ctx, t.Payload())
		if err != nil && final(err) {
			return skipRetry{err}
		}
		return err
	}))
}

// Start implements Runner.
func (r *AsynqRunner) Start() error {
	if r.err != nil {
		return r.err
	}
	err := r.srv.Start(asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		// ServeMux matches by prefix and retries unknown types 25 times;
		// a type nobody handles exactly is archived at once instead.
		h, pattern := r.mux.Handler(t)
		if pattern != t.Type() {
			return skipRetry{noHandler(t.Type())}
		}
		return h.ProcessTask(ctx, t)
	}))
	if err != nil {
		return fmt.Errorf("start asynq worker: %w", err)
	}
	return nil
}

// Shutdown implements Runner: the server stops fetching tasks and waits up
// to ShutdownTimeout for running ones (asynq then returns unfinished tasks
// to Redis). If ctx ends first Shutdown returns its error and the server
// finishes shutting down in the background. Calling it again waits for the
// same shutdown.
func (r *AsynqRunner) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		r.done = make(chan struct{})
		go func() {
			defer close(r.done)
			if r.srv != nil {
				r.srv.Shutdown()
			}
			if r.rdb != nil {
				_ = r.rdb.Close()
			}
		}()
	}
	done := r.done
	r.mu.Unlock()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("shut down asynq worker: %w", ctx.Err())
	}
}

// logFailure is the server's ErrorHandler: one line per failed attempt.
func (r *AsynqRunner) logFailure(ctx context.Context, t *asynq.Task, err error) {
	id, _ := asynq.GetTaskID(ctx)
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	qname, _ := asynq.GetQueueName(ctx)
	attrs := []any{"job_id", id, "job_type", t.Type(), "queue", strings.TrimPrefix(qname, r.cfg.QueuePrefix),
		"attempt", retried + 1, "max_retry", maxRetry, "error", err}
	if retried >= maxRetry || errors.Is(err, asynq.SkipRetry) {
		r.log.Error("job archived", attrs...)
		return
	}
	r.log.Warn("job failed, will retry", attrs...)
}

// skipRetry marks a handler error as final for asynq while keeping the
// handler's message as the task's last error.
type skipRetry struct{ error }

func (e skipRetry) Unwrap() []error { return []error{e.error, asynq.SkipRetry} }

// asynqLogger sends asynq's own log lines to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...), "component", "asynq") }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }

// Fatal logs at error level: asynq never calls it, and only main may exit.
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...), "component", "asynq") }
