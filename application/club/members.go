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
)

var errNotLinked = fault.New(fault.BadRequest, "Your account is not linked to a student record")

// Members pages through a club's memberships. Membership lists name
// students, so they are for club managers (MANAGE_CLUBS) only; everyone
// else sees the count on the club.
func (s *Service) Members(ctx context.Context, a identity.Actor, clubID int64, f club.MemberFilter, p page.Request) (page.Result[club.Member], error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return page.Result[club.Member]{}, err
	}
	if _, err := s.d.Clubs.Get(ctx, clubID); err != nil {
		return page.Result[club.Member]{}, err
	}
	f.ClubID = clubID
	return s.d.Members.List(ctx, f, p)
}

// Join makes the calling student user an active plain member of an active
// club that accepts members (re-activating their earlier membership, if
// any). Joining twice is a conflict.
func (s *Service) Join(ctx context.Context, a identity.Actor, clubID int64) (club.Member, error) {
	studentID, err := ownStudent(a)
	if err != nil {
		return club.Member{}, err
	}
	return s.membership(ctx, a, clubID, func(ctx context.Context, c *club.Club) (*club.Member, club.Member, []club.Change, error) {
		existing, err := s.find(ctx, clubID, studentID)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		m, ch, err := c.Join(existing, studentID, s.d.Clock.Now())
		return existing, m, []club.Change{ch}, err
	})
}

// Leave ends the calling student user's active membership; not being a
// member is not found.
func (s *Service) Leave(ctx context.Context, a identity.Actor, clubID int64) (club.Member, error) {
	studentID, err := ownStudent(a)
	if err != nil {
		return club.Member{}, err
	}
	return s.membership(ctx, a, clubID, func(ctx context.Context, c *club.Club) (*club.Member, club.Member, []club.Change, error) {
		existing, err := s.find(ctx, clubID, studentID)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		m, ch, err := c.Leave(existing, s.d.Clock.Now())
		return existing, m, []club.Change{ch}, err
	})
}

// AddMember enrols a student with a role (MANAGE_CLUBS); a former member is
// re-activated.
func (s *Service) AddMember(ctx context.Context, a identity.Actor, clubID, studentID int64, role club.Role) (club.Member, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Member{}, err
	}
	return s.membership(ctx, a, clubID, func(ctx context.Context, c *club.Club) (*club.Member, club.Member, []club.Change, error) {
		if _, err := s.d.Students.Get(ctx, studentID); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				var v fault.Validation
				v.Add("student_id", fmt.Sprintf("no student with id %d", studentID))
				return nil, club.Member{}, nil, v.Err()
			}
			return nil, club.Member{}, nil, err
		}
		existing, err := s.find(ctx, clubID, studentID)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		holder, err := s.holder(ctx, clubID, role)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		m, ch, err := c.Add(existing, studentID, role, holder, s.d.Clock.Now())
		return existing, m, []club.Change{ch}, err
	})
}

// ChangeMember changes a membership's role or activity (MANAGE_CLUBS).
func (s *Service) ChangeMember(ctx context.Context, a identity.Actor, clubID, memberID int64, p club.MemberPatch) (club.Member, error) {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return club.Member{}, err
	}
	return s.membership(ctx, a, clubID, func(ctx context.Context, c *club.Club) (*club.Member, club.Member, []club.Change, error) {
		m, err := s.d.Members.Get(ctx, clubID, memberID)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		role := m.Role
		if p.Role != nil {
			role = *p.Role
		}
		holder, err := s.holder(ctx, clubID, role)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		after, changes, err := c.Modify(m, p, holder, s.d.Clock.Now())
		return &m, after, changes, err
	})
}

// RemoveMember deletes a membership (MANAGE_CLUBS); attendance the student
// had at past activities stays.
func (s *Service) RemoveMember(ctx context.Context, a identity.Actor, clubID, memberID int64) error {
	if _, err := identity.Can(a, identity.ManageClubs); err != nil {
		return err
	}
	_, err := s.membership(ctx, a, clubID, func(ctx context.Context, c *club.Club) (*club.Member, club.Member, []club.Change, error) {
		m, err := s.d.Members.Get(ctx, clubID, memberID)
		if err != nil {
			return nil, club.Member{}, nil, err
		}
		if err := s.d.Members.Delete(ctx, clubID, memberID); err != nil {
			return nil, club.Member{}, nil, err
		}
		return &m, club.Member{}, []club.Change{c.Remove(m)}, nil
	})
	return err
}

// decision is one membership use case's rule, run with the club locked:
// it returns the row before (nil when there was none), the row to save
// (zero ID and zero StudentID when there is nothing to save, i.e. removed)
// and the changes it made.
type decision func(ctx context.Context, c *club.Club) (before *club.Member, after club.Member, changes []club.Change, err error)

// membership runs decide with the club row locked, saves the membership
// and the club's new count, and records the audit entry and one
// club.membership_changed event per change, all in one transaction.
func (s *Service) membership(ctx context.Context, a identity.Actor, clubID int64, decide decision) (club.Member, error) {
	var out club.Member
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var (
			before  *club.Member
			changes []club.Change
		)
		_, err := s.d.Clubs.Update(ctx, clubID, func(c *club.Club) error {
			var err error
			var after club.Member
			if before, after, changes, err = decide(ctx, c); err != nil {
				return err
			}
			if after.StudentID != 0 && len(changes) > 0 {
				if err := s.d.Members.Save(ctx, &after); err != nil {
					return err
				}
				for i := range changes {
					changes[i].Member.ID = after.ID
				}
			}
			out = after
			return nil
		})
		if err != nil || len(changes) == 0 {
			return err
		}
		now := s.d.Clock.Now()
		for _, ch := range changes {
			ev := event.New(s.d.IDs.NewID(), event.ClubMembershipChanged, resourceClub, fmt.Sprint(clubID), now, MembershipPayload(ch))
			if err := s.d.Outbox.Append(ctx, ev); err != nil {
				return err
			}
		}
		return s.d.Audit.Record(ctx, memberEntry(a, now, before, changes[len(changes)-1]))
	})
	if err != nil {
		return club.Member{}, err
	}
	return out, nil
}

// memberEntry is the audit entry of one membership use case.
func memberEntry(a identity.Actor, at time.Time, before *club.Member, last club.Change) audit.Entry {
	action := audit.ActionUpdate
	var b, after map[string]any
	if before != nil {
		b = MemberSnapshot(*before)
	}
	switch {
	case last.Action == club.Removed:
		action = audit.ActionDelete
	case before == nil:
		action = audit.ActionCreate
		after = MemberSnapshot(last.Member)
	default:
		after = MemberSnapshot(last.Member)
	}
	return audit.By(a, at, action, resourceMember, fmt.Sprint(last.Member.ID)).Change(b, after)
}

// find returns the student's membership row of the club, nil when none.
func (s *Service) find(ctx context.Context, clubID, studentID int64) (*club.Member, error) {
	m, err := s.d.Members.Find(ctx, clubID, studentID)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// holder returns the active member holding role when role is an office.
func (s *Service) holder(ctx context.Context, clubID int64, role club.Role) (*club.Member, error) {
	if !role.Office() {
		return nil, nil
	}
	m, err := s.d.Members.Holder(ctx, clubID, role)
	if errors.Is(err, fault.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// ownStudent is the linked record of a student user, who alone joins and
// leaves clubs in person.
func ownStudent(a identity.Actor) (int64, error) {
	if !a.Authenticated() {
		return 0, fault.New(fault.Unauthenticated, "Not authenticated")
	}
	if a.Role != identity.RoleStudent {
		return 0, identity.ErrDenied
	}
	if a.StudentID == nil {
		return 0, errNotLinked
	}
	return *a.StudentID, nil
}

// MemberSnapshot is the audit view of a membership.
func MemberSnapshot(m club.Member) map[string]any {
	return map[string]any{"id": m.ID, "club_id": m.ClubID, "student_id": m.StudentID, "role": string(m.Role),
		"is_active": m.IsActive, "joined_at": rfc3339(m.JoinedAt)}
}

// MembershipPayload is the payload of club.membership_changed: enough for
// a consumer to act without reading the row again, including the values
// before the change (previous_role is nil for a new membership).
func MembershipPayload(ch club.Change) map[string]any {
	p := map[string]any{"club_id": ch.Member.ClubID, "student_id": ch.Member.StudentID, "member_id": ch.Member.ID,
		"action": string(ch.Action), "role": string(ch.Member.Role), "is_active": ch.Member.IsActive,
		"member_count": ch.MemberCount, "joined_at": rfc3339(ch.Member.JoinedAt),
		"previous_role": nil, "previous_is_active": ch.PreviousActive}
	if ch.PreviousRole != "" {
		p["previous_role"] = string(ch.PreviousRole)
	}
	return p
}
