package ports

import (
	"context"
	"time"
)

// Clock tells the time; the core never calls time.Now itself.
type Clock interface {
	Now() time.Time
}

// IDGenerator makes opaque unique string identifiers (token and session ids).
type IDGenerator interface {
	NewID() string
}

// TxRunner runs fn in one database transaction carried by the context it
// passes to fn; repositories called with that context join it. An error
// from fn rolls back.
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// AfterCommit runs fn once the transaction ctx carries has committed
	// (never, if it rolls back), or at once when ctx carries none: what must
	// follow a change but only a committed one, e.g. dropping a cached copy.
	AfterCommit(ctx context.Context, fn func())
}

// Pinger reports whether a dependency is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}
