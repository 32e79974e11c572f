package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

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

// PruneTaskHistory deletes agent runs and task owners older than before.
func (h *Housekeeping) PruneTaskHistory(ctx context.Context, before time.Time) (int, error) {
	total := 0
	for _, q := range []*bun.DeleteQuery{
		h.db.conn(ctx).NewDelete().Model((*agentRunRow)(nil)).Where("ended_at < ?", stamp(before)),
		h.db.conn(ctx).NewDelete().Model((*taskOwnerRow)(nil)).Where("created_at < ?", stamp(before)),
	} {
		res, err := q.Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("prune task history: %w", translate(err, thingTask))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += int(n)
	}
	return total, nil
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
