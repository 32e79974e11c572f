// Package schedule holds the timetable use cases: reading (any signed-in
// user), writing with the clash rules checked inside the write's own
// transaction, and the report of clashes already in the data.
package schedule

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/ports"
)

const resource = "schedule"

// Actions of schedule.changed events.
const (
	ActionCreated = "created"
	ActionUpdated = "updated"
	ActionDeleted = "deleted"
)

// Deps are the ports the service uses.
type Deps struct {
	Repo   ports.ScheduleRepository
	Audit  ports.AuditLog
	Tx     ports.TxRunner
	Clock  ports.Clock
	Outbox ports.Outbox
	IDs    ports.IDGenerator
}

// Service implements the schedule use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }

var errUnauthenticated = fault.New(fault.Unauthenticated, "Not authenticated")

// readable: schedules are public to every signed-in user, guests included.
func readable(a identity.Actor) error {
	if !a.Authenticated() {
		return errUnauthenticated
	}
	return nil
}

// List pages through entries.
func (s *Service) List(ctx context.Context, a identity.Actor, f schedule.Filter, p page.Request) (page.Result[schedule.Entry], error) {
	if err := readable(a); err != nil {
		return page.Result[schedule.Entry]{}, err
	}
	return s.d.Repo.List(ctx, f, p)
}

// Get returns one entry.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (schedule.Entry, error) {
	if err := readable(a); err != nil {
		return schedule.Entry{}, err
	}
	return s.d.Repo.Get(ctx, id)
}

// Create adds an entry; an active one that clashes with another active
// entry is refused (409) with the clashing entries in the error's Detail.
func (s *Service) Create(ctx context.Context, a identity.Actor, f schedule.Fields) (schedule.Entry, error) {
	if _, err := identity.Can(a, identity.ScheduleManagement); err != nil {
		return schedule.Entry{}, err
	}
	e, err := schedule.New(f)
	if err != nil {
		return schedule.Entry{}, err
	}
	now := s.d.Clock.Now()
	e.CreatedAt, e.UpdatedAt = now, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.checkClashes(ctx, e); err != nil {
			return err
		}
		if err := s.d.Repo.Create(ctx, &e); err != nil {
			return err
		}
		return s.record(ctx, a, now, ActionCreated, e, nil)
	})
	if err != nil {
		return schedule.Entry{}, err
	}
	return e, nil
}

// Replace overwrites every field of an entry (PUT), under the clash rules.
func (s *Service) Replace(ctx context.Context, a identity.Actor, id int64, f schedule.Fields) (schedule.Entry, error) {
	return s.update(ctx, a, id, func(e *schedule.Entry) error { return e.Replace(f) })
}

// Patch changes the given fields of an entry (PATCH), under the clash rules.
func (s *Service) Patch(ctx context.Context, a identity.Actor, id int64, p schedule.Patch) (schedule.Entry, error) {
	return s.update(ctx, a, id, func(e *schedule.Entry) error { return e.Apply(p) })
}

func (s *Service) update(ctx context.Context, a identity.Actor, id int64, change func(*schedule.Entry) error) (schedule.Entry, error) {
	if _, err := identity.Can(a, identity.ScheduleManagement); err != nil {
		return schedule.Entry{}, err
	}
	now := s.d.Clock.Now()
	var out schedule.Entry
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before schedule.Entry
		e, err := s.d.Repo.Update(ctx, id, func(e *schedule.Entry) error {
			before = *e
			if err := change(e); err != nil {
				return err
			}
			e.UpdatedAt = now
			// ctx is the transaction's, so the check holds the clash lock
			// until this update commits.
			return s.checkClashes(ctx, *e)
		})
		if err != nil {
			return err
		}
		out = e
		return s.record(ctx, a, now, ActionUpdated, e, &before)
	})
	if err != nil {
		return schedule.Entry{}, err
	}
	return out, nil
}

// Delete removes an entry.
func (s *Service) Delete(ctx context.Context, a identity.Actor, id int64) error {
	if _, err := identity.Can(a, identity.ScheduleManagement); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	return s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		e, err := s.d.Repo.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := s.d.Repo.Delete(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, a, now, ActionDeleted, e, nil)
	})
}

// Conflicts pages through the clashing pairs that exist among the active
// entries with a moment within [from, to] (nil bounds are open): data
// imported or re-activated without the write-time check.
func (s *Service) Conflicts(ctx context.Context, a identity.Actor, from, to *time.Time, p page.Request) (page.Result[schedule.Pair], error) {
	if err := readable(a); err != nil {
		return page.Result[schedule.Pair]{}, err
	}
	entries, err := s.d.Repo.Active(ctx, from, to)
	if err != nil {
		return page.Result[schedule.Pair]{}, err
	}
	pairs := schedule.Pairs(entries)
	if p.Limit <= 0 {
		p.Limit = page.DefaultLimit
	}
	lo := min(max(p.Offset, 0), len(pairs))
	hi := min(lo+p.Limit, len(pairs))
	return page.Result[schedule.Pair]{Items: pairs[lo:hi], Total: len(pairs), Request: p}, nil
}

// checkClashes refuses an active entry that clashes with a stored one. It
// must run in the write's transaction: Overlapping serialises the check.
func (s *Service) checkClashes(ctx context.Context, e schedule.Entry) error {
	if !e.IsActive {
		return nil
	}
	others, err := s.d.Repo.Overlapping(ctx, e)
	if err != nil {
		return err
	}
	clashes := schedule.Clashes(e, others)
	if len(clashes) == 0 {
		return nil
	}
	return ClashError(clashes)
}

// ClashError is the 409 for a write that clashes: its Detail lists each
// clashing entry as {id, title, starts_at, ends_at, reason, reasons}, plain
// values the HTTP edge renders as the problem's "conflicts".
func ClashError(clashes []schedule.Clash) error {
	list := make([]map[string]any, len(clashes))
	for i, c := range clashes {
		reasons := make([]string, len(c.Reasons))
		for j, r := range c.Reasons {
			reasons[j] = string(r)
		}
		list[i] = map[string]any{"id": c.With.ID, "title": c.With.Title,
			"starts_at": c.With.StartsAt.UTC().Format(time.RFC3339Nano), "ends_at": c.With.EndsAt.UTC().Format(time.RFC3339Nano),
			"reason": strings.Join(reasons, ","), "reasons": reasons}
	}
	msg := "The entry clashes with an active entry"
	if len(clashes) > 1 {
		msg = fmt.Sprintf("The entry clashes with %d active entries", len(clashes))
	}
	return &fault.Error{Kind: fault.Conflict, Message: msg, Detail: list}
}

// record writes the schedule.changed event and the audit entry of a write.
func (s *Service) record(ctx context.Context, a identity.Actor, now time.Time, action string, e schedule.Entry, previous *schedule.Entry) error {
	id := fmt.Sprint(e.ID)
	snap := schedule.Snapshot(e)
	payload := map[string]any{"id": e.ID, "action": action, "entry": snap}
	var before, after map[string]any
	auditAction := audit.ActionCreate
	switch action {
	case ActionUpdated:
		before, after, auditAction = schedule.Snapshot(*previous), snap, audit.ActionUpdate
		payload["previous"] = before
	case ActionDeleted:
		before, auditAction = snap, audit.ActionDelete
	default:
		after = snap
	}
	if err := s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.ScheduleChanged, resource, id, now, payload)); err != nil {
		return err
	}
	return s.d.Audit.Record(ctx, audit.By(a, now, auditAction, resource, id).Change(before, after))
}
