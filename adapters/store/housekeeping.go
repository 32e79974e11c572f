package store

import (
	"context"
	"fmt"
	"time"

	"github.com/campus/campus/ports"
)

// Housekeeping implements ports.Housekeeping.
type Housekeeping struct{ db *DB }

var _ ports.Housekeeping = (*Housekeeping)(nil)

// NewHousekeeping builds it.
func NewHousekeeping(db *DB) *Housekeeping { return &Housekeeping{db: db} }

// PruneSessions deletes sessions that expired before the given time.
func (h *Housekeeping) PruneSessions(ctx context.Context, before time.Time) (int, error) {
	res, err := h.db.conn(ctx).NewDelete().Model((*sessionRow)(nil)).Where("expires_at < ?", stamp(before)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("prune sessions: %w", translate(err, thingSession))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// CloseEndedCheckIns stamps closed_at on open check-in sessions past their end.
func (h *Housekeeping) CloseEndedCheckIns(ctx context.Context, now time.Time) (int, error) {
	res, err := h.db.conn(ctx).NewUpdate().Table("attendance_sessions").Set("closed_at = ?", stamp(now)).
		Where("closed_at IS NULL AND ends_at < ?", stamp(now)).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("close ended check-in sessions: %w", translate(err, thingCheckInSession))
	}
	n, err := res.RowsAffected()
	return int(n), err
}
