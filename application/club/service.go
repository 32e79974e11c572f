// Package club holds the club use cases: clubs (readable by every signed-in
// user, created with CREATE_CLUB, managed with MANAGE_CLUBS), memberships
// (managed by club managers, joined and left by student users themselves),
// activities with their attendance, and per-club statistics.
//
// Every change to a club's members or activities runs while the club row
// is locked (ports.ClubRepository.Update), so member_count, which the
// domain adjusts with each membership change, stays equal to the active
// members under any concurrency, and capacity checks see every present mark.
package club

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Audit resources of the module.
const (
	resourceClub       = "club"
	resourceMember     = "club_member"
	resourceActivity   = "club_activity"
	resourceAttendance = "club_attendance"
)

// Deps are the ports the service uses.
type Deps struct {
	Clubs      ports.ClubRepository
	Members    ports.ClubMemberRepository
	Activities ports.ClubActivityRepository
	Students   ports.StudentRepository
	Audit      ports.AuditLog
	Tx         ports.TxRunner
	Clock      ports.Clock
	Outbox     ports.Outbox
	IDs        ports.IDGenerator
}

// Service implements the club use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }

var errDuplicateName = fault.New(fault.Conflict, "A club with this name already exists")

// readable admits any signed-in user: clubs are open to the whole campus.
func readable(a identity.Actor) error { return identity.RequireRole(a, identity.RoleGuest) }

// List pages through clubs, ordered by id.
func (s *Service) List(ctx context.Context, a identity.Actor, f club.Filter, p page.Request) (page.Result[club.Club], error) {
	if err := readable(a); err != nil {
		return page.Result[club.Club]{}, err
	}
	return s.d.Clubs.List(ctx, f, p)
}

// Get returns one club.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (club.Club, error) {
	if err := readable(a); err != nil {
		return club.Club{}, err
	}
	return s.d.Clubs.Get(ctx, id)
}

// Create adds a club with no members.
func (s *Service) Create(ctx context.Context, a identity.Actor, f club.Fields) (club.Club, error) {
	if _, err := identity.Can(a, identity.CreateClub); err != nil {
		return club.Club{}, err
	}
	c, err := club.New(f)
	if err != nil {
		return club.Club{}, err
	}
	now := s.d.Clock.Now()
	c.CreatedAt, c.UpdatedAt = now, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.d.Clubs.Create(ctx, &c); err != nil {
			return err
		}
		if err := s.changed(ctx, now, audit.ActionCreate, c.ID, Snapshot(c)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resourceClub, fmt.Sprint(c.ID)).Change(nil, Snapshot(c)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return club.Club{}, errDuplicateName
	}
	if err != nil {
		return club.Club{}, err
	}
	return c, nil
}

// Replace overwrites every writable field of a club (PUT).
func (s *Service) Replace(ctx context.Context, a identity.Actor, id int64, f club.Fields) (club.Club, error) {
	return s.update(ctx, a, id, func(c *club.Club) error { return c.Replace(f) })
}

// Patch changes the given fields of a club (PATCH).
func (s *Service) Patch(ctx context.Context, a identity.Actor, id int64, p club.Patch) (club.Club, error) {
	return s.update(ctx, a, id, func(c *club.Club) error { return c.Apply(p) })
}

func (s *Service) update(ctx context.Context, a identity.Actor, id int64, change func(*club.Club) error) (club.Club, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Club{}, err
	}
	now := s.d.Clock.Now()
	var out club.Club
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		c, err := s.d.Clubs.Update(ctx, id, func(c *club.Club) error {
			before = Snapshot(*c)
			if err := change(c); err != nil {
				return err
			}
			c.UpdatedAt = now
			return nil
		})
		if err != nil {
			return err
		}
		out = c
		if err := s.changed(ctx, now, audit.ActionUpdate, id, Snapshot(c)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resourceClub, fmt.Sprint(id)).Change(before, Snapshot(c)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return club.Club{}, errDuplicateName
	}
	if err != nil {
		return club.Club{}, err
	}
	return out, nil
}

// Delete removes a club that never had members or activities. A club with
// history is archived instead (inactive and closed to members, its members
// and activities kept), so nothing is erased. It reports whether the club
// was archived.
func (s *Service) Delete(ctx context.Context, a identity.Actor, id int64) (archived bool, err error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return false, err
	}
	now := s.d.Clock.Now()
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		// The lock keeps a member from joining between the check and the delete.
		after, err := s.d.Clubs.Update(ctx, id, func(c *club.Club) error {
			before = Snapshot(*c)
			var err error
			if archived, err = s.d.Clubs.Referenced(ctx, id); err != nil || !archived {
				return err
			}
			c.Archive()
			c.UpdatedAt = now
			return nil
		})
		if err != nil {
			return err
		}
		entry := audit.By(a, now, audit.ActionArchive, resourceClub, fmt.Sprint(id)).Change(before, Snapshot(after))
		action, snapshot := audit.ActionArchive, Snapshot(after)
		if !archived {
			if err := s.d.Clubs.Delete(ctx, id); err != nil {
				return err
			}
			entry = audit.By(a, now, audit.ActionDelete, resourceClub, fmt.Sprint(id)).Change(before, nil)
			action, snapshot = audit.ActionDelete, before
		}
		if err := s.changed(ctx, now, action, id, snapshot); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, entry)
	})
	if err != nil {
		return false, err
	}
	return archived, nil
}

// Statistics summarises a club for any signed-in user: aggregates only.
func (s *Service) Statistics(ctx context.Context, a identity.Actor, id int64) (club.Statistics, error) {
	if err := readable(a); err != nil {
		return club.Statistics{}, err
	}
	c, err := s.d.Clubs.Get(ctx, id)
	if err != nil {
		return club.Statistics{}, err
	}
	n, err := s.d.Clubs.Counts(ctx, id)
	if err != nil {
		return club.Statistics{}, err
	}
	return club.Summarize(c, n), nil
}

// Snapshot is the audit view of a club.
func Snapshot(c club.Club) map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "description": c.Description, "category": c.Category,
		"advisor": c.Advisor, "is_active": c.IsActive, "accepting_members": c.AcceptingMembers, "member_count": c.MemberCount}
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfc3339p(t *time.Time) any {
	if t == nil {
		return nil
	}
	return rfc3339(*t)
}

// changed records a club.changed event: what happened (create, update,
// archive, delete) and the club as it is (as it was, when deleted).
func (s *Service) changed(ctx context.Context, at time.Time, action string, id int64, snapshot map[string]any) error {
	p := map[string]any{"action": action, "club": snapshot}
	return s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.ClubChanged, resourceClub, fmt.Sprint(id), at, p))
}
