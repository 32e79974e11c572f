// Package user holds the administration of accounts: listing, role and
// activity changes, student links and forced sign-out. Admins only.
package user

import (
	"context"
	"errors"
	"fmt"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Service implements user administration.
type Service struct {
	users    ports.UserRepository
	students ports.StudentRepository
	sessions ports.SessionRepository
	cache    *auth.SessionCache
	audit    ports.AuditLog
	tx       ports.TxRunner
	clock    ports.Clock
}

// NewService builds the service.
func NewService(users ports.UserRepository, students ports.StudentRepository, sessions ports.SessionRepository,
	cache *auth.SessionCache, log ports.AuditLog, tx ports.TxRunner, clock ports.Clock) *Service {
	return &Service{users: users, students: students, sessions: sessions, cache: cache, audit: log, tx: tx, clock: clock}
}

// List pages through accounts.
func (s *Service) List(ctx context.Context, a identity.Actor, f identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
	if err := identity.RequireRole(a, identity.RoleAdmin); err != nil {
		return page.Result[identity.User]{}, err
	}
	return s.users.List(ctx, f, p)
}

// Get returns one account.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (identity.User, error) {
	if err := identity.RequireRole(a, identity.RoleAdmin); err != nil {
		return identity.User{}, err
	}
	return s.users.Get(ctx, id)
}

// snapshot is the audit view of an account: the profile's, with the
// department administrators set.
func snapshot(u identity.User) map[string]any {
	m := auth.UserSnapshot(u)
	m["department"] = nil
	if u.Department != nil {
		m["department"] = *u.Department
	}
	return m
}

// Update changes an account's role, activity, student link or department.
// Any change of what the account may see (role, link) or a deactivation
// revokes its sessions; a department change revokes nothing. An admin
// cannot demote or deactivate their own account, so the campus never
// loses its last admin by accident.
func (s *Service) Update(ctx context.Context, a identity.Actor, id int64, c identity.AdminChange) (identity.User, error) {
	if err := identity.RequireRole(a, identity.RoleAdmin); err != nil {
		return identity.User{}, err
	}
	if id == a.UserID && ((c.Role != nil && *c.Role != identity.RoleAdmin) || (c.IsActive != nil && !*c.IsActive)) {
		return identity.User{}, fault.New(fault.BadRequest, "You cannot demote or deactivate your own account")
	}
	now := s.clock.Now()
	var out identity.User
	var revoked []string
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		if c.StudentID != nil && *c.StudentID != nil {
			if _, err := s.students.Get(ctx, **c.StudentID); errors.Is(err, fault.ErrNotFound) {
				return &fault.Error{Kind: fault.Invalid, Message: "student_id: no such student",
					Fields: []fault.FieldError{{Field: "student_id", Message: "no such student"}}}
			} else if err != nil {
				return err
			}
		}
		var before map[string]any
		var revoke bool
		u, err := s.users.Update(ctx, id, func(x *identity.User) error {
			before = snapshot(*x)
			x.UpdatedAt = now
			var err error
			revoke, err = x.ApplyAdmin(c)
			return err
		})
		if err != nil {
			return err
		}
		out = u
		if revoke {
			if revoked, err = s.sessions.Revoke(ctx, ports.Revocation{UserID: id, At: now}); err != nil {
				return err
			}
		}
		return s.audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, "user", fmt.Sprint(id)).Change(before, snapshot(u)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return identity.User{}, fault.New(fault.Conflict, "That student record is already linked to another account")
	}
	if err != nil {
		return identity.User{}, err
	}
	s.cache.Forget(ctx, revoked)
	return out, nil
}

// RevokeSessions signs an account out everywhere and reports how many
// sessions ended.
func (s *Service) RevokeSessions(ctx context.Context, a identity.Actor, id int64) (int, error) {
	if err := identity.RequireRole(a, identity.RoleAdmin); err != nil {
		return 0, err
	}
	if _, err := s.users.Get(ctx, id); err != nil {
		return 0, err
	}
	now := s.clock.Now()
	var ids []string
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if ids, err = s.sessions.Revoke(ctx, ports.Revocation{UserID: id, At: now}); err != nil {
			return err
		}
		return s.audit.Record(ctx, audit.By(a, now, audit.ActionSessionRevoked, "user", fmt.Sprint(id)).
			Change(nil, map[string]any{"sessions_revoked": len(ids)}))
	})
	if err != nil {
		return 0, err
	}
	s.cache.Forget(ctx, ids)
	return len(ids), nil
}
