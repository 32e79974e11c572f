package ports

import (
	"context"
	"time"
)

// Housekeeping removes or closes what has outlived its use; it is the
// maintenance agent's port.
type Housekeeping interface {
	// PruneSessions deletes sessions that expired before the given time
	// (revoked or not: an expired session's tokens are dead either way).
	PruneSessions(ctx context.Context, before time.Time) (int, error)
	// PruneTaskHistory deletes agent runs that ended, and the record of who
	// asked for a task made, before the given time; it reports how many rows.
	PruneTaskHistory(ctx context.Context, before time.Time) (int, error)
	// CloseEndedCheckIns closes QR check-in sessions still open after
	// their end.
	CloseEndedCheckIns(ctx context.Context, now time.Time) (int, error)
}
