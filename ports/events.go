package ports

import (
	"context"

	"github.com/campus/campus/domain/event"
)

// Outbox records domain events in the transaction carried by ctx, so they
// commit or roll back with the change they describe.
type Outbox interface {
	Append(ctx context.Context, events ...event.Event) error
	// Pending lists events not yet relayed, oldest first (for the relay and
	// for tests).
	Pending(ctx context.Context, limit int) ([]event.Event, error)
}
