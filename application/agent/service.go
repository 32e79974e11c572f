// Package agent holds the agents' use cases: listing them with live
// figures, switching them on and off, running one now, recording every
// run (a disabled agent's runs complete as skipped), and reading a
// background task.
package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Deps are the ports the service uses.
type Deps struct {
	Store ports.AgentStore
	Tasks ports.TaskLedger
	Queue ports.Queue
	Audit ports.AuditLog
	Clock ports.Clock
	IDs   ports.IDGenerator
}

// Service implements the agents and tasks use cases.
type Service struct {
	defs []agent.Definition
	d    Deps

	// switches remembers each agent's switch for switchTTL, so a run per
	// event does not read it from the database every time; this process's
	// own SetEnabled takes effect at once, another process's within the TTL.
	mu       sync.Mutex
	switches map[string]cachedSwitch
	// batches gather the event runs of each agent (by outcome) until
	// they are recorded as one run (see ExecuteEvent).
	batches map[batchKey]*agent.Run
}

type batchKey struct {
	agent   string
	outcome agent.Outcome
}

// EventBatchWindow is how long the skipped event runs of a disabled agent
// are gathered before they are recorded as one run.
const EventBatchWindow = time.Second

type cachedSwitch struct {
	on    bool
	until time.Time
}

// switchTTL bounds how long a switch flipped elsewhere goes unnoticed.
const switchTTL = time.Second

// NewService builds the service over the campus's agent definitions.
func NewService(defs []agent.Definition, d Deps) *Service {
	return &Service{defs: defs, d: d, switches: map[string]cachedSwitch{}, batches: map[batchKey]*agent.Run{}}
}

// enabled reads an agent's switch through the short-lived cache.
func (s *Service) enabled(ctx context.Context, name string) (bool, error) {
	now := time.Now()
	s.mu.Lock()
	c, ok := s.switches[name]
	s.mu.Unlock()
	if ok && now.Before(c.until) {
		return c.on, nil
	}
	on, err := s.d.Store.Enabled(ctx, name)
	if err != nil {
		return false, err
	}
	s.remember(name, on)
	return on, nil
}

func (s *Service) remember(name string, on bool) {
	s.mu.Lock()
	s.switches[name] = cachedSwitch{on: on, until: time.Now().Add(switchTTL)}
	s.mu.Unlock()
}

// Status is an agent with its switch and live figures.
type Status struct {
	agent.Definition
	Enabled bool
	agent.Stats
}

// List returns every agent.
func (s *Service) List(ctx context.Context, a identity.Actor) ([]Status, error) {
	if _, err := identity.Can(a, identity.ViewAgents); err != nil {
		return nil, err
	}
	stats, err := s.d.Store.Stats(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, 0, len(s.defs))
	for _, def := range s.defs {
		on, err := s.d.Store.Enabled(ctx, def.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, Status{Definition: def, Enabled: on, Stats: stats[def.Name]})
	}
	return out, nil
}

// Get returns one agent.
func (s *Service) Get(ctx context.Context, a identity.Actor, name string) (Status, error) {
	list, err := s.List(ctx, a)
	if err != nil {
		return Status{}, err
	}
	for _, st := range list {
		if st.Name == name {
			return st, nil
		}
	}
	_, err = agent.Find(s.defs, name)
	return Status{}, err
}

// Runs pages through an agent's runs, newest first.
func (s *Service) Runs(ctx context.Context, a identity.Actor, name string, p page.Request) (page.Result[agent.Run], error) {
	if _, err := identity.Can(a, identity.ViewAgents); err != nil {
		return page.Result[agent.Run]{}, err
	}
	if _, err := agent.Find(s.defs, name); err != nil {
		return page.Result[agent.Run]{}, err
	}
	return s.d.Store.Runs(ctx, name, p)
}

// SetEnabled switches an agent on or off.
func (s *Service) SetEnabled(ctx context.Context, a identity.Actor, name string, enabled bool) (Status, error) {
	if _, err := identity.Can(a, identity.ManageAgents); err != nil {
		return Status{}, err
	}
	if _, err := agent.Find(s.defs, name); err != nil {
		return Status{}, err
	}
	before, err := s.d.Store.Enabled(ctx, name)
	if err != nil {
		return Status{}, err
	}
	if err := s.d.Store.SetEnabled(ctx, name, enabled); err != nil {
		return Status{}, err
	}
	s.remember(name, enabled)
	e := audit.By(a, s.d.Clock.Now(), audit.ActionUpdate, "agent", name).
		Change(map[string]any{"enabled": before}, map[string]any{"enabled": enabled})
	if err := s.d.Audit.Record(ctx, e); err != nil {
		return Status{}, err
	}
	return s.Get(ctx, a, name)
}

// RunNow enqueues a run of the agent and returns its task id.
func (s *Service) RunNow(ctx context.Context, a identity.Actor, name string) (string, error) {
	if _, err := identity.Can(a, identity.ManageAgents); err != nil {
		return "", err
	}
	def, err := agent.Find(s.defs, name)
	if err != nil {
		return "", err
	}
	id := s.d.IDs.NewID()
	if err := s.d.Tasks.RecordTask(ctx, id, a.UserID); err != nil {
		return "", err
	}
	if _, err := s.d.Queue.Enqueue(ctx, ports.Job{Type: def.JobType, Payload: []byte(`{"requested_by":` + fmt.Sprint(a.UserID) + `}`)},
		ports.EnqueueOptions{ID: id, Queue: ports.QueueDefault}); err != nil {
		return "", fmt.Errorf("enqueue %s: %w", name, err)
	}
	e := audit.By(a, s.d.Clock.Now(), "agent.run", "agent", name).Change(nil, map[string]any{"task_id": id})
	if err := s.d.Audit.Record(ctx, e); err != nil {
		return "", err
	}
	return id, nil
}

// Task returns a background task to whoever asked for it, or to an admin;
// to anyone else it does not exist.
func (s *Service) Task(ctx context.Context, a identity.Actor, id string) (ports.JobInfo, error) {
	if !a.Authenticated() {
		return ports.JobInfo{}, fault.New(fault.Unauthenticated, "Not authenticated")
	}
	notFound := fault.New(fault.NotFound, "Task not found")
	owner, err := s.d.Tasks.TaskOwner(ctx, id)
	switch {
	case errors.Is(err, fault.ErrNotFound):
		if a.Role != identity.RoleAdmin {
			return ports.JobInfo{}, notFound
		}
	case err != nil:
		return ports.JobInfo{}, err
	case owner != a.UserID && a.Role != identity.RoleAdmin:
		return ports.JobInfo{}, notFound
	}
	info, err := s.d.Queue.Job(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return ports.JobInfo{}, notFound
	}
	return info, err
}

// Execute runs fn as one run of the agent and records it: a disabled
// agent's run completes as skipped without calling fn; fn's error is
// recorded as failed and returned (so the queue retries it).
func (s *Service) Execute(ctx context.Context, name, taskID string, fn func(ctx context.Context) (map[string]int, error)) error {
	run := agent.Run{Agent: name, TaskID: taskID, StartedAt: s.d.Clock.Now()}
	on, err := s.enabled(ctx, name)
	if err != nil {
		return err
	}
	var runErr error
	if !on {
		run.Outcome = agent.Skipped
	} else {
		run.Counts, runErr = fn(ctx)
		run.Outcome = agent.Succeeded
		if runErr != nil {
			run.Outcome, run.Error = agent.Failed, runErr.Error()
		}
	}
	run.EndedAt = s.d.Clock.Now()
	if err := s.d.Store.RecordRun(ctx, &run); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

// ExecuteEvent runs fn for a job of events (events of them: a relay batch)
// an agent subscribes to, and records the run under the job's id with
// "events" in its counts before the queue hears of the outcome: a failure
// is returned, so the queue retries the job; a success is recorded once
// per job even if a worker dies before acknowledging it and the job runs
// again, so the events counted by succeeded runs are the events done.
// While the agent is disabled the job is skipped, and skipped runs are
// gathered for EventBatchWindow into one record; Flush records them at
// once.
func (s *Service) ExecuteEvent(ctx context.Context, name, taskID string, events int, fn func(ctx context.Context) (map[string]int, error)) error {
	start := s.d.Clock.Now()
	on, err := s.enabled(ctx, name)
	if err != nil {
		return err
	}
	if !on {
		s.gather(name, agent.Skipped, start, s.d.Clock.Now(), events, nil)
		return nil
	}
	counts, runErr := fn(ctx)
	if counts == nil {
		counts = map[string]int{}
	}
	counts["events"] = events
	run := agent.Run{Agent: name, TaskID: taskID, StartedAt: start, EndedAt: s.d.Clock.Now(), Outcome: agent.Succeeded, Counts: counts}
	if runErr != nil {
		run.Outcome, run.Error = agent.Failed, runErr.Error()
	}
	if err := s.d.Store.RecordRun(ctx, &run); err != nil {
		return errors.Join(runErr, err)
	}
	return runErr
}

func (s *Service) gather(name string, outcome agent.Outcome, start, end time.Time, events int, counts map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := batchKey{agent: name, outcome: outcome}
	b, ok := s.batches[k]
	if !ok {
		b = &agent.Run{Agent: name, StartedAt: start, Outcome: outcome, Counts: map[string]int{}}
		s.batches[k] = b
		time.AfterFunc(EventBatchWindow, func() { _ = s.flush(context.Background(), k) })
	}
	if start.Before(b.StartedAt) {
		b.StartedAt = start
	}
	if end.After(b.EndedAt) {
		b.EndedAt = end
	}
	b.Counts["events"] += events
	for c, n := range counts {
		b.Counts[c] += n
	}
}

func (s *Service) flush(ctx context.Context, k batchKey) error {
	s.mu.Lock()
	b, ok := s.batches[k]
	delete(s.batches, k)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	if err := s.d.Store.RecordRun(ctx, b); err != nil {
		return fmt.Errorf("record %d %s runs of %s: %w", b.Counts["events"], k.outcome, k.agent, err)
	}
	return nil
}

// Flush records every gathered batch now (a worker stopping calls it).
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	keys := make([]batchKey, 0, len(s.batches))
	for k := range s.batches {
		keys = append(keys, k)
	}
	s.mu.Unlock()
	var errs []error
	for _, k := range keys {
		errs = append(errs, s.flush(ctx, k))
	}
	return errors.Join(errs...)
}
