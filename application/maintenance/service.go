// Package maintenance is the maintenance agent: hourly, it prunes what has
// outlived its use (expired sessions, relayed outbox events, expired export
// files) and closes QR check-in sessions left open past their end. Every
// step is idempotent, so a retried or repeated run changes nothing more.
package maintenance

import (
	"context"
	"fmt"
	"time"

	"github.com/campus/campus/ports"
)

// Config says how long relayed events are kept (for inspection) before
// they are pruned.
type Config struct {
	KeepRelayedEvents time.Duration
	// KeepTaskHistory is how long agent runs (and who asked for a task)
	// are kept: the agents' figures and runs cover this window.
	KeepTaskHistory time.Duration
}

// Report is what one run did.
type Report struct {
	SessionsPruned        int
	EventsPruned          int
	TaskHistoryPruned     int
	CheckInSessionsClosed int
	// ExportsPruned counts expired exports whose file and record were
	// deleted.
	ExportsPruned int
}

// Counts is the report as an agent run records it.
func (r Report) Counts() map[string]int {
	return map[string]int{"sessions_pruned": r.SessionsPruned, "events_pruned": r.EventsPruned,
		"task_history_pruned": r.TaskHistoryPruned, "checkin_sessions_closed": r.CheckInSessionsClosed,
		"exports_pruned": r.ExportsPruned}
}

// Service runs maintenance.
type Service struct {
	cfg     Config
	house   ports.Housekeeping
	outbox  ports.Outbox
	clock   ports.Clock
	exports ports.ExportStore
	blobs   ports.BlobStore
}

// NewService builds the agent.
func NewService(cfg Config, house ports.Housekeeping, outbox ports.Outbox, clock ports.Clock, exports ports.ExportStore,
	blobs ports.BlobStore) *Service {
	if cfg.KeepRelayedEvents <= 0 {
		cfg.KeepRelayedEvents = 7 * 24 * time.Hour
	}
	if cfg.KeepTaskHistory <= 0 {
		cfg.KeepTaskHistory = 7 * 24 * time.Hour
	}
	return &Service{cfg: cfg, house: house, outbox: outbox, clock: clock, exports: exports, blobs: blobs}
}

// Run does one pass.
func (s *Service) Run(ctx context.Context) (Report, error) {
	now := s.clock.Now()
	var r Report
	var err error
	if r.SessionsPruned, err = s.house.PruneSessions(ctx, now); err != nil {
		return r, fmt.Errorf("prune sessions: %w", err)
	}
	if r.EventsPruned, err = s.outbox.PruneRelayed(ctx, now.Add(-s.cfg.KeepRelayedEvents)); err != nil {
		return r, fmt.Errorf("prune events: %w", err)
	}
	if r.TaskHistoryPruned, err = s.house.PruneTaskHistory(ctx, now.Add(-s.cfg.KeepTaskHistory)); err != nil {
		return r, fmt.Errorf("prune task history: %w", err)
	}
	if r.CheckInSessionsClosed, err = s.house.CloseEndedCheckIns(ctx, now); err != nil {
		return r, fmt.Errorf("close check-in sessions: %w", err)
	}
	if r.ExportsPruned, err = s.PruneExports(ctx, now); err != nil {
		return r, fmt.Errorf("prune exports: %w", err)
	}
	return r, nil
}

// pruneBatch is how many expired exports one query lists.
const pruneBatch = 100

// PruneExports deletes the exports that expired before now: the file
// first, then the record, so a failure between the two leaves a record
// that the next run retries (deleting a missing file is no error).
func (s *Service) PruneExports(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for {
		batch, err := s.exports.Expired(ctx, now, pruneBatch)
		if err != nil {
			return n, err
		}
		for _, e := range batch {
			if err := s.blobs.Delete(ctx, e.BlobKey); err != nil {
				return n, err
			}
			if err := s.exports.Delete(ctx, e.ID); err != nil {
				return n, err
			}
			n++
		}
		if len(batch) < pruneBatch {
			return n, nil
		}
	}
}
