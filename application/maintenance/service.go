// Package maintenance is the maintenance agent: hourly, it prunes what has
// outlived its use (expired sessions, relayed outbox events) and closes QR
// check-in sessions left open past their end. Every step is idempotent, so
// a retried or repeated run changes nothing more.
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
}

// Counts is the report as an agent run records it.
func (r Report) Counts() map[string]int {
	return map[string]int{"sessions_pruned": r.SessionsPruned, "events_pruned": r.EventsPruned,
		"task_history_pruned": r.TaskHistoryPruned, "checkin_sessions_closed": r.CheckInSessionsClosed}
}

// Service runs maintenance.
type Service struct {
	cfg    Config
	house  ports.Housekeeping
	outbox ports.Outbox
	clock  ports.Clock
}

// NewService builds the agent.
func NewService(cfg Config, house ports.Housekeeping, outbox ports.Outbox, clock ports.Clock) *Service {
	if cfg.KeepRelayedEvents <= 0 {
		cfg.KeepRelayedEvents = 7 * 24 * time.Hour
	}
	if cfg.KeepTaskHistory <= 0 {
		cfg.KeepTaskHistory = 7 * 24 * time.Hour
	}
	return &Service{cfg: cfg, house: house, outbox: outbox, clock: clock}
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
	return r, nil
}
