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
	// MarkRelayed stamps the events as handed to the queue.
	MarkRelayed(ctx context.Context, ids []string, at time.Time) error
	// PruneRelayed deletes events relayed before the given time and reports
	// how many.
	PruneRelayed(ctx context.Context, before time.Time) (int, error)
}
