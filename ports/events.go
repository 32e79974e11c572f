package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/event"
)

// Outbox records domain events in the transaction carried by ctx, so they
// commit or roll back with the change they describe.
type Outbox interface {
	Append(ctx context.Context, events ...event.Event) error
	// Pending lists events not yet relayed, oldest first.
	Pending(ctx context.Context, limit int) ([]event.Event, error)
	// Claim gathers up to limit pending events not claimed yet, oldest
	// first, into one relay batch named after the first of them, and
	// reports how many it claimed. Concurrent claims take disjoint events.
	Claim(ctx context.Context, limit int) (int, error)
	// Claimed lists claimed events not yet relayed, oldest first, with
	// their batch (also those a relay claimed before it crashed).
	Claimed(ctx context.Context, limit int) ([]BatchedEvent, error)
	// MarkRelayed stamps the events as handed to the queue.
	MarkRelayed(ctx context.Context, ids []string, at time.Time) error
	// PruneRelayed deletes events relayed before the given time and reports
	// how many.
	PruneRelayed(ctx context.Context, before time.Time) (int, error)
}

// BatchedEvent is a claimed event and the relay batch it belongs to.
type BatchedEvent struct {
	Batch string
	Event event.Event
}
