package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// InProcessConfig tunes the embedded queue. Zero values take the defaults.
type InProcessConfig struct {
	// Concurrency is the number of worker goroutines (WORKER_CONCURRENCY);
	// default runtime.NumCPU().
	Concurrency int
	// MaxRetry applies when an enqueue leaves it zero; default 25.
	MaxRetry int
	// RetryBase is the first retry's delay; each further retry doubles it,
	// up to an hour. Default 10 s; tests use a few milliseconds.
	RetryBase time.Duration
	// Timeout bounds one attempt when an enqueue leaves it zero; default 30 min.
	Timeout time.Duration
	// Retention is how long a finished job stays known, for Job(id) and
	// for refusing its ID again; default 7 days.
	Retention time.Duration
	// StrictPriority runs critical, then default, then low, each only when
	// the ones above are empty. By default queues share the workers by
	// weight 6/3/1 (smooth weighted round robin), so low still progresses
	// under a steady critical load.
	StrictPriority bool
	// Logger records failed attempts; default slog.Default().
	Logger *slog.Logger
}

// Stats are the embedded queue's figures for health checks.
type Stats struct {
	QueueSize int // jobs waiting: pending, scheduled and awaiting a retry
	Pending   int // jobs ready to run now
	Running   int
	Completed int // since start
	Failed    int // archived since start
	Workers   int
}

// InProcess is the embedded mode's queue: jobs live in this process's
// memory and run on a bounded pool of goroutines. It is the queue and its
// own Runner.
//
// Jobs still waiting when the process stops are lost: the embedded mode is
// one process with no broker to hand them to. That is acceptable because
// jobs come from the outbox, whose relay enqueues again whatever the
// database has not seen done.
type InProcess struct {
	cfg InProcessConfig
	log *slog.Logger

	mu       sync.Mutex
	wake     *sync.Cond // signalled when a job becomes ready or on shutdown
	jobs     map[string]*inJob
	ready    map[string][]*inJob // per queue, FIFO
	credit   map[string]int      // smooth weighted round robin state
	uniques  map[string]uniqueLock
	handlers map[string]Handler
	started  bool
	closed   bool
	waiting  int // pending, scheduled or awaiting a retry
	running  int
	done     int
	failed   int
	pruned   time.Time

	base   context.Context // parent of every attempt; cancelled when Shutdown gives up
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type uniqueLock struct {
	id    string
	until time.Time
}

type inJob struct {
	info      ports.JobInfo
	timeout   time.Duration
	uniqueKey string
	timer     *time.Timer
	finished  time.Time
}

var (
	_ ports.Queue = (*InProcess)(nil)
	_ Runner      = (*InProcess)(nil)
)

// NewInProcess builds an idle embedded queue: jobs can be enqueued at
// once and run after Start.
func NewInProcess(cfg InProcessConfig) *InProcess {
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = runtime.NumCPU()
	}
	if cfg.MaxRetry == 0 {
		cfg.MaxRetry = DefaultMaxRetry
	}
	if cfg.RetryBase <= 0 {
		cfg.RetryBase = 10 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	q := &InProcess{
		cfg:      cfg,
		log:      cfg.Logger,
		jobs:     map[string]*inJob{},
		ready:    map[string][]*inJob{},
		credit:   map[string]int{},
		uniques:  map[string]uniqueLock{},
		handlers: map[string]Handler{},
		pruned:   time.Now(),
	}
	if q.log == nil {
		q.log = slog.Default()
	}
	q.wake = sync.NewCond(&q.mu)
	q.base, q.cancel = context.WithCancel(context.Background())
	return q
}

// Enqueue implements ports.Queue.
func (q *InProcess) Enqueue(_ context.Context, job ports.Job, opts ports.EnqueueOptions) (ports.JobInfo, error) {
	if job.Type == "" {
		return ports.JobInfo{}, fault.New(fault.Invalid, "job type is required")
	}
	qname, err := queueName(opts.Queue)
	if err != nil {
		return ports.JobInfo{}, err
	}
	now := time.Now()
	id := opts.ID
	if id == "" {
		id = uuid.NewString()
	}

	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ports.JobInfo{}, fault.New(fault.Unavailable, "job queue is shut down")
	}
	q.prune(now)
	if _, ok := q.lookup(id, now); ok {
		return ports.JobInfo{}, fmt.Errorf("enqueue %s %q: %w", job.Type, id, ports.ErrDuplicateJob)
	}
	var uniqueKey string
	if opts.UniqueFor > 0 {
		// Keyed like asynq's lock (queue, type, payload) so both backends
		// refuse the same duplicates.
		uniqueKey = qname + "\x00" + job.Type + "\x00" + string(job.Payload)
		if l, ok := q.uniques[uniqueKey]; ok && now.Before(l.until) {
			return ports.JobInfo{}, fmt.Errorf("enqueue %s: unique for %v: %w", job.Type, opts.UniqueFor, ports.ErrDuplicateJob)
		}
		q.uniques[uniqueKey] = uniqueLock{id: id, until: now.Add(max(opts.Delay, 0) + opts.UniqueFor)}
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = q.cfg.Timeout
	}
	j := &inJob{
		info: ports.JobInfo{
			ID: id, Type: job.Type, Queue: qname, State: ports.JobPending,
			MaxRetry: maxRetry(opts.MaxRetry, q.cfg.MaxRetry), CreatedAt: now,
			Payload: append([]byte(nil), job.Payload...),
		},
		timeout:   timeout,
		uniqueKey: uniqueKey,
	}
	q.jobs[id] = j
	q.waiting++
	if opts.Delay > 0 {
		q.schedule(j, ports.JobScheduled, now.Add(opts.Delay))
	} else {
		q.push(j)
	}
	return snapshot(j), nil
}

// Job implements ports.Queue.
func (q *InProcess) Job(_ context.Context, id string) (ports.JobInfo, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	now := time.Now()
	q.prune(now)
	j, ok := q.lookup(id, now)
	if !ok {
		return ports.JobInfo{}, fault.Newf(fault.NotFound, "job %q not found", id)
	}
	return snapshot(j), nil
}

// Handle implements Runner.
func (q *InProcess) Handle(jobType string, h Handler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if jobType == "" || h == nil {
		panic("queue: Handle needs a job type and a handler")
	}
	if _, ok := q.handlers[jobType]; ok {
		panic(fmt.Sprintf("queue: a handler for %q is already registered", jobType))
	}
	q.handlers[jobType] = h
}

// Start implements Runner: it launches the workers.
func (q *InProcess) Start() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch {
	case q.closed:
		return errors.New("start job queue: already shut down")
	case q.started:
		return errors.New("start job queue: already started")
	}
	q.started = true
	for range q.cfg.Concurrency {
		q.wg.Go(q.work)
	}
	return nil
}

// Shutdown implements Runner. Running jobs finish; if ctx ends first their
// contexts are cancelled and Shutdown returns ctx's error without waiting
// further. Jobs not yet started are dropped (see InProcess). Calling it
// again is harmless.
func (q *InProcess) Shutdown(ctx context.Context) error {
	q.mu.Lock()
	q.closed = true
	for _, j := range q.jobs {
		if j.timer != nil {
			j.timer.Stop()
			j.timer = nil
		}
	}
	q.wake.Broadcast()
	q.mu.Unlock()

	done := make(chan struct{})
	go func() { q.wg.Wait(); close(done) }()
	select {
	case <-done:
		q.cancel()
		return nil
	case <-ctx.Done():
		q.cancel()
		return fmt.Errorf("shut down job queue: %w", ctx.Err())
	}
}

// Stats reports the queue's current figures.
func (q *InProcess) Stats() Stats {
	q.mu.Lock()
	defer q.mu.Unlock()
	s := Stats{QueueSize: q.waiting, Running: q.running, Completed: q.done, Failed: q.failed, Workers: q.cfg.Concurrency}
	for _, r := range q.ready {
		s.Pending += len(r)
	}
	return s
}

// work is one worker: it runs ready jobs until shutdown.
func (q *InProcess) work() {
	for {
		q.mu.Lock()
		var j *inJob
		for !q.closed {
			if j = q.next(); j != nil {
				break
			}
			q.wake.Wait()
		}
		if j == nil {
			q.mu.Unlock()
			return
		}
		now := time.Now()
		j.info.State = ports.JobRunning
		j.info.Attempts++
		j.info.NextRunAt = nil
		h := q.handlers[j.info.Type]
		q.waiting--
		q.running++
		info := snapshot(j)
		q.mu.Unlock()

		result, err := q.run(h, info, j.timeout)

		q.mu.Lock()
		q.running--
		if result != nil {
			j.info.Result = result
		}
		q.finish(j, err, now)
		q.mu.Unlock()
	}
}

// run calls h for one attempt, turning a panic into an error so a broken
// handler cannot take the process down.
func (q *InProcess) run(h Handler, info ports.JobInfo, timeout time.Duration) (result []byte, err error) {
	if h == nil {
		return nil, noHandler(info.Type)
	}
	ctx, cancel := context.WithTimeout(q.base, timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in handler for %s: %v", info.Type, r)
		}
	}()
	ctx = withResult(withJobID(ctx, info.ID), func(b []byte) error {
		result = append([]byte(nil), b...)
		return nil
	})
	err = h(ctx, info.Payload)
	return result, err
}

// finish records an attempt's outcome; q.mu is held.
func (q *InProcess) finish(j *inJob, err error, started time.Time) {
	now := time.Now()
	if err == nil {
		j.info.State, j.info.CompletedAt, j.finished = ports.JobCompleted, &now, now
		q.done++
		// Like asynq, success releases the uniqueness lock early.
		if l, ok := q.uniques[j.uniqueKey]; ok && l.id == j.info.ID {
			delete(q.uniques, j.uniqueKey)
		}
		return
	}
	j.info.LastError = err.Error()
	attrs := []any{"job_id", j.info.ID, "job_type", j.info.Type, "queue", j.info.Queue,
		"attempt", j.info.Attempts, "max_retry", j.info.MaxRetry, "duration", now.Sub(started), "error", err}
	if final(err) || errors.Is(err, errNoHandler) || j.info.Attempts > j.info.MaxRetry {
		j.info.State, j.finished = ports.JobArchived, now
		q.failed++
		q.log.Error("job archived", attrs...)
		return
	}
	q.log.Warn("job failed, will retry", attrs...)
	q.waiting++
	if q.closed {
		// Nobody will run it: it is lost with the other waiting jobs.
		j.info.State = ports.JobRetry
		return
	}
	q.schedule(j, ports.JobRetry, now.Add(backoff(q.cfg.RetryBase, j.info.Attempts-1)))
}

// schedule makes j ready at at; a timer, not a worker, does the waiting.
// q.mu is held.
func (q *InProcess) schedule(j *inJob, state ports.JobState, at time.Time) {
	j.info.State, j.info.NextRunAt = state, &at
	j.timer = time.AfterFunc(time.Until(at), func() {
		q.mu.Lock()
		defer q.mu.Unlock()
		j.timer = nil
		if !q.closed {
			q.push(j)
		}
	})
}

// push appends j to its ready queue and wakes a worker; q.mu is held.
func (q *InProcess) push(j *inJob) {
	now := time.Now()
	j.info.State, j.info.NextRunAt = ports.JobPending, &now
	q.ready[j.info.Queue] = append(q.ready[j.info.Queue], j)
	q.wake.Signal()
}

// next pops the job to run now, or nil; q.mu is held. Weighted mode is
// smooth weighted round robin over the non-empty queues: deterministic,
// critical first whenever all are fresh, and no queue starves.
func (q *InProcess) next() *inJob {
	var pick string
	if q.cfg.StrictPriority {
		for _, name := range queueNames {
			if len(q.ready[name]) > 0 {
				pick = name
				break
			}
		}
	} else {
		total := 0
		for _, name := range queueNames {
			if len(q.ready[name]) == 0 {
				continue
			}
			w := priorities[name]
			total += w
			q.credit[name] += w
			if pick == "" || q.credit[name] > q.credit[pick] {
				pick = name
			}
		}
		if pick != "" {
			q.credit[pick] -= total
		}
	}
	if pick == "" {
		return nil
	}
	r := q.ready[pick]
	j := r[0]
	r[0] = nil
	q.ready[pick] = r[1:]
	if len(q.ready[pick]) == 0 {
		// Let the backing array go and forget the credit of an idle queue.
		delete(q.ready, pick)
		delete(q.credit, pick)
	}
	return j
}

// prune forgets finished jobs older than the retention and expired
// uniqueness locks; q.mu is held. It scans at most once per tenth of the
// retention so enqueues stay cheap.
func (q *InProcess) prune(now time.Time) {
	if now.Sub(q.pruned) < q.cfg.Retention/10 {
		return
	}
	q.pruned = now
	for id, j := range q.jobs {
		if !j.finished.IsZero() && now.Sub(j.finished) >= q.cfg.Retention {
			delete(q.jobs, id)
		}
	}
	for k, l := range q.uniques {
		if !now.Before(l.until) {
			delete(q.uniques, k)
		}
	}
}

// lookup finds a job that is still retained; q.mu is held.
func (q *InProcess) lookup(id string, now time.Time) (*inJob, bool) {
	j, ok := q.jobs[id]
	if ok && !j.finished.IsZero() && now.Sub(j.finished) >= q.cfg.Retention {
		delete(q.jobs, id)
		return nil, false
	}
	return j, ok
}

// snapshot copies j's info so callers never share its pointers.
func snapshot(j *inJob) ports.JobInfo {
	info := j.info
	if info.NextRunAt != nil {
		t := *info.NextRunAt
		info.NextRunAt = &t
	}
	if info.CompletedAt != nil {
		t := *info.CompletedAt
		info.CompletedAt = &t
	}
	info.Payload = append([]byte(nil), info.Payload...)
	if info.Result != nil {
		info.Result = append([]byte(nil), info.Result...)
	}
	return info
}
