package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"

	"github.com/campus/campus/ports"
)

// Periodic is one recurring job.
type Periodic struct {
	Name    string // stable: part of every tick's job id
	Spec    string // a 5-field cron spec (UTC) or "@every <duration>"
	JobType string
	Queue   string
}

// TickID is the job id of p's tick at t. Every scheduler computes the same
// id for the same tick, so however many schedulers run, the queue takes
// each tick once (a second enqueue is a duplicate id). A cron tick is
// named by its minute; an "@every d" tick by t truncated to d.
func TickID(p Periodic, t time.Time) (string, error) {
	g, err := granularity(p.Spec)
	if err != nil {
		return "", err
	}
	return p.Name + "@" + t.UTC().Truncate(g).Format(time.RFC3339), nil
}

func granularity(spec string) (time.Duration, error) {
	if d, ok := strings.CutPrefix(spec, "@every "); ok {
		every, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil || every < time.Second {
			return 0, fmt.Errorf("periodic spec %q: want @every with a duration of at least 1s", spec)
		}
		return every, nil
	}
	if _, err := cron.ParseStandard(spec); err != nil {
		return 0, fmt.Errorf("periodic spec %q: %w", spec, err)
	}
	return time.Minute, nil
}

// AsynqScheduler registers the periodic jobs with asynq's Scheduler, so
// asynqmon's Schedulers page and the Inspector list them, and gives each
// tick its TickID: the entry is registered with a placeholder task id that
// PreEnqueueFunc replaces in the entry's own option list before asynq
// enqueues it (asynq v0.26 passes that list through; the contract test of
// several schedulers pins the behaviour).
type AsynqScheduler struct {
	s       *asynq.Scheduler
	entries int
}

// NewAsynqScheduler builds the scheduler; Start runs it.
func NewAsynqScheduler(cfg AsynqConfig, entries []Periodic) (*AsynqScheduler, func(), error) {
	rdb, err := redisClient(cfg.RedisURL)
	if err != nil {
		return nil, nil, err
	}
	byType := make(map[string]Periodic, len(entries))
	log := cfg.logger()
	s := asynq.NewSchedulerFromRedisClient(rdb, &asynq.SchedulerOpts{
		Location: time.UTC,
		Logger:   asynqLogger{log},
		PreEnqueueFunc: func(task *asynq.Task, opts []asynq.Option) {
			p, ok := byType[task.Type()]
			if !ok {
				return
			}
			id, err := TickID(p, time.Now())
			if err != nil {
				return
			}
			for i, o := range opts {
				if o.Type() == asynq.TaskIDOpt {
					opts[i] = asynq.TaskID(id)
				}
			}
		},
		PostEnqueueFunc: func(info *asynq.TaskInfo, err error) {
			if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				log.Warn("periodic enqueue failed", "error", err.Error())
			}
		},
	})
	for _, p := range entries {
		if _, err := granularity(p.Spec); err != nil {
			_ = rdb.Close()
			return nil, nil, err
		}
		byType[p.JobType] = p
		queue := p.Queue
		if queue == "" {
			queue = ports.QueueDefault
		}
		task := asynq.NewTask(p.JobType, []byte(`{"periodic":"`+p.Name+`"}`))
		if _, err := s.Register(p.Spec, task, asynq.Queue(cfg.QueuePrefix+queue), asynq.TaskID("tick"),
			asynq.Retention(cfg.retention())); err != nil {
			_ = rdb.Close()
			return nil, nil, fmt.Errorf("register %s: %w", p.Name, err)
		}
	}
	return &AsynqScheduler{s: s, entries: len(entries)}, func() { _ = rdb.Close() }, nil
}

// Start runs the scheduler in the background.
func (a *AsynqScheduler) Start() error { return a.s.Start() }

// Shutdown stops it.
func (a *AsynqScheduler) Shutdown() { a.s.Shutdown() }

// InProcessScheduler is the embedded mode's scheduler: the same specs and
// tick ids, enqueued into the in-process queue.
type InProcessScheduler struct {
	c *cron.Cron
}

// NewInProcessScheduler builds the scheduler over q; Start runs it.
func NewInProcessScheduler(q ports.Queue, entries []Periodic, log *slog.Logger) (*InProcessScheduler, error) {
	c := cron.New(cron.WithLocation(time.UTC))
	for _, p := range entries {
		if _, err := granularity(p.Spec); err != nil {
			return nil, err
		}
		if _, err := c.AddFunc(p.Spec, func() {
			id, _ := TickID(p, time.Now())
			_, err := q.Enqueue(context.Background(), ports.Job{Type: p.JobType, Payload: []byte(`{"periodic":"` + p.Name + `"}`)},
				ports.EnqueueOptions{ID: id, Queue: p.Queue})
			if err != nil && !errors.Is(err, ports.ErrDuplicateJob) {
				log.Warn("periodic enqueue failed", "periodic", p.Name, "error", err.Error())
			}
		}); err != nil {
			return nil, fmt.Errorf("register %s: %w", p.Name, err)
		}
	}
	return &InProcessScheduler{c: c}, nil
}

// Start runs the scheduler in the background.
func (s *InProcessScheduler) Start() error { s.c.Start(); return nil }

// Shutdown stops it and waits for a running enqueue.
func (s *InProcessScheduler) Shutdown() { <-s.c.Stop().Done() }
