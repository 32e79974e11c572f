// Package relay moves domain events from the outbox to the job queue. The
// relay claims pending events in batches (a batch is named after its first
// event and recorded in the outbox) and enqueues each batch as one job per
// event type, under the id "<batch>/<type>": a relay that crashes after
// enqueuing but before marking, or two relays racing over the same batch,
// still enqueue each event once, and a handler gets many events in one job
// (set-based work instead of a round trip per event). A rolled-back change
// left no event to relay in the first place.
package relay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/ports"
)

// Service relays events.
type Service struct {
	outbox ports.Outbox
	queue  ports.Queue
	clock  ports.Clock
}

// NewService builds the relay.
func NewService(outbox ports.Outbox, queue ports.Queue, clock ports.Clock) *Service {
	return &Service{outbox: outbox, queue: queue, clock: clock}
}

// parallel is how many enqueues of one pass are in flight at once: an
// enqueue is a network round trip.
const parallel = 16

// group is the events of one batch and type: one job.
type group struct {
	id     string
	typ    string
	events []jobs.Event
}

// Once claims up to batch pending events as a new batch, then enqueues
// every claimed batch not yet relayed (its own, and any a crashed relay
// left) and reports how many events it handed to the queue (a job the
// queue already knew counts: it was enqueued before a crash). Jobs that
// fail to enqueue stay claimed, so they are retried on the next call;
// the first failure is returned.
func (s *Service) Once(ctx context.Context, batch int) (int, error) {
	if _, err := s.outbox.Claim(ctx, batch); err != nil {
		return 0, fmt.Errorf("claim events: %w", err)
	}
	claimed, err := s.outbox.Claimed(ctx, 4*batch)
	if err != nil {
		return 0, fmt.Errorf("read claimed events: %w", err)
	}
	var groups []*group
	index := map[string]*group{}
	for _, c := range claimed {
		id := c.Batch + "/" + jobs.ForEvent(c.Event.Type)
		g, ok := index[id]
		if !ok {
			g = &group{id: id, typ: jobs.ForEvent(c.Event.Type)}
			index[id] = g
			groups = append(groups, g)
		}
		g.events = append(g.events, jobs.FromEvent(c.Event))
	}
	errs := make([]error, len(groups))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, g := range groups {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			errs[i] = s.enqueue(ctx, g)
		})
	}
	wg.Wait()
	var done []string
	var failed error
	for i, g := range groups {
		if errs[i] != nil {
			failed = cmp.Or(failed, errs[i])
			continue
		}
		for _, e := range g.events {
			done = append(done, e.ID)
		}
	}
	if err := s.outbox.MarkRelayed(ctx, done, s.clock.Now()); err != nil {
		return 0, fmt.Errorf("mark relayed: %w", err)
	}
	return len(done), failed
}

func (s *Service) enqueue(ctx context.Context, g *group) error {
	payload, err := jobs.EncodeEvents(g.events)
	if err != nil {
		return fmt.Errorf("encode events of %s: %w", g.id, err)
	}
	_, err = s.queue.Enqueue(ctx, ports.Job{Type: g.typ, Payload: payload},
		ports.EnqueueOptions{ID: g.id, Queue: ports.QueueDefault})
	if err != nil && !errors.Is(err, ports.ErrDuplicateJob) {
		return fmt.Errorf("enqueue events %s: %w", g.id, err)
	}
	return nil
}

// Prune deletes events relayed longer ago than keep.
func (s *Service) Prune(ctx context.Context, keep time.Duration) (int, error) {
	return s.outbox.PruneRelayed(ctx, s.clock.Now().Add(-keep))
}
