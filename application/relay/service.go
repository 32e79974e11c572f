// Package relay moves domain events from the outbox to the job queue. An
// event is enqueued under its own id, so a relay that crashes after
// enqueuing but before marking, or two relays racing over the same rows,
// still enqueue each event once; a rolled-back change left no event to
// relay in the first place.
package relay

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/event"
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

// parallel is how many enqueues of one batch are in flight at once: an
// enqueue is a network round trip, and one at a time would cap the relay
// far below what the workers can run.
const parallel = 16

// Once relays up to batch pending events and reports how many it handed
// to the queue (an event the queue already knew counts: it was relayed
// before a crash). Events that fail to enqueue stay pending, so they are
// retried on the next call; the first failure is returned.
func (s *Service) Once(ctx context.Context, batch int) (int, error) {
	events, err := s.outbox.Pending(ctx, batch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	errs := make([]error, len(events))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, e := range events {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = s.enqueue(ctx, e)
		}()
	}
	wg.Wait()
	done := make([]string, 0, len(events))
	var failed error
	for i, e := range events {
		if errs[i] != nil {
			failed = cmp.Or(failed, errs[i])
			continue
		}
		done = append(done, e.ID)
	}
	if err := s.outbox.MarkRelayed(ctx, done, s.clock.Now()); err != nil {
		return 0, fmt.Errorf("mark relayed: %w", err)
	}
	return len(done), failed
}

func (s *Service) enqueue(ctx context.Context, e event.Event) error {
	payload, err := json.Marshal(jobs.FromEvent(e))
	if err != nil {
		return fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	_, err = s.queue.Enqueue(ctx, ports.Job{Type: jobs.ForEvent(e.Type), Payload: payload},
		ports.EnqueueOptions{ID: e.ID, Queue: ports.QueueDefault})
	if err != nil && !errors.Is(err, ports.ErrDuplicateJob) {
		return fmt.Errorf("enqueue event %s: %w", e.ID, err)
	}
	return nil
}

// Prune deletes events relayed longer ago than keep.
func (s *Service) Prune(ctx context.Context, keep time.Duration) (int, error) {
	return s.outbox.PruneRelayed(ctx, s.clock.Now().Add(-keep))
}
