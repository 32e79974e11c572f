// Package relay moves domain events from the outbox to the job queue. An
// event is enqueued under its own id, so a relay that crashes after
// enqueuing but before marking, or two relays racing over the same rows,
// still enqueue each event once; a rolled-back change left no event to
// relay in the first place.
package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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

// Once relays up to batch pending events, oldest first, and reports how
// many it handed to the queue (an event the queue already knew counts: it
// was relayed before a crash). It stops at the first enqueue failure,
// marking what went through, so the rest is retried on the next call.
func (s *Service) Once(ctx context.Context, batch int) (int, error) {
	events, err := s.outbox.Pending(ctx, batch)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	done := make([]string, 0, len(events))
	var failed error
	for _, e := range events {
		payload, err := json.Marshal(jobs.FromEvent(e))
		if err != nil {
			failed = fmt.Errorf("encode event %s: %w", e.ID, err)
			break
		}
		_, err = s.queue.Enqueue(ctx, ports.Job{Type: jobs.ForEvent(e.Type), Payload: payload},
			ports.EnqueueOptions{ID: e.ID, Queue: ports.QueueDefault})
		if err != nil && !errors.Is(err, ports.ErrDuplicateJob) {
			failed = fmt.Errorf("enqueue event %s: %w", e.ID, err)
			break
		}
		done = append(done, e.ID)
	}
	if err := s.outbox.MarkRelayed(ctx, done, s.clock.Now()); err != nil {
		return 0, fmt.Errorf("mark relayed: %w", err)
	}
	return len(done), failed
}

// Prune deletes events relayed longer ago than keep.
func (s *Service) Prune(ctx context.Context, keep time.Duration) (int, error) {
	return s.outbox.PruneRelayed(ctx, s.clock.Now().Add(-keep))
}
