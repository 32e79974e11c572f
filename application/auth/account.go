package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// RegisterCommand asks for a new account.
type RegisterCommand struct {
	Username string
	Email    string
	Password string
	FullName string
	Role     string // empty means student
}

// Register creates an account. Anyone may create student or guest accounts;
// staff and admin accounts need an admin caller. A new student account whose
// email matches a student record is linked to it.
func (s *Service) Register(ctx context.Context, a identity.Actor, cmd RegisterCommand) (identity.User, error) {
	role := identity.RoleStudent
	if cmd.Role != "" {
		r, err := identity.ParseRole(cmd.Role)
		if err != nil {
			return identity.User{}, &fault.Error{Kind: fault.Invalid, Message: "role: must be one of guest, student, staff, admin",
				Fields: []fault.FieldError{{Field: "role", Message: "must be one of guest, student, staff, admin"}}}
		}
		role = r
	}
	if !role.SelfService() && (!a.Authenticated() || a.Role != identity.RoleAdmin) {
		return identity.User{}, identity.ErrDenied
	}
	u, err := identity.NewUser(cmd.Username, cmd.Email, cmd.FullName, role)
	if err = joinInvalid(err, s.cfg.Passwords.Check("password", cmd.Password, u.Username)); err != nil {
		return identity.User{}, err
	}
	if u.PasswordHash, err = s.d.Hasher.Hash(ctx, cmd.Password); err != nil {
		return identity.User{}, fmt.Errorf("hash password: %w", err)
	}
	now := s.d.Clock.Now()
	u.CreatedAt, u.UpdatedAt = now, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if role == identity.RoleStudent {
			st, err := s.d.Students.GetByEmail(ctx, u.Email)
			switch {
			case err == nil:
				u.StudentID = &st.ID
			case !errors.Is(err, fault.ErrNotFound):
				return err
			}
		}
		if err := s.d.Users.Create(ctx, &u); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionRegister, resourceUser, idString(u.ID)).Change(nil, UserSnapshot(u)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return identity.User{}, fault.New(fault.Conflict, "Username or email is already registered")
	}
	if err != nil {
		return identity.User{}, fmt.Errorf("register: %w", err)
	}
	return u, nil
}

// joinInvalid merges validation errors so a client sees every failed field.
func joinInvalid(errs ...error) error {
	var v fault.Validation
	for _, err := range errs {
		if err == nil {
			continue
		}
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Kind != fault.Invalid {
			return err
		}
		for _, f := range fe.Fields {
			v.Add(f.Field, f.Message)
		}
	}
	return v.Err()
}

// ChangePasswordCommand changes the caller's password.
type ChangePasswordCommand struct {
	Old, New, Confirm string
}

// ChangePassword replaces the caller's password and revokes every other
// session of the caller.
func (s *Service) ChangePassword(ctx context.Context, a identity.Actor, cmd ChangePasswordCommand) error {
	var v fault.Validation
	v.Check(cmd.New == cmd.Confirm, "confirm_password", "must match new_password")
	v.Check(cmd.New != cmd.Old, "new_password", "must differ from the old password")
	if err := joinInvalid(v.Err(), s.cfg.Passwords.Check("new_password", cmd.New, a.Username)); err != nil {
		return err
	}
	u, err := s.d.Users.Get(ctx, a.UserID)
	if err != nil {
		return fmt.Errorf("load user: %w", err)
	}
	now := s.d.Clock.Now()
	// Wrong old passwords count towards the same lockout as failed logins,
	// so a stolen access token cannot be used to guess the password.
	if err := s.checkLockout(ctx, a.Username, now); err != nil {
		return err
	}
	ok, err := s.d.Hasher.Compare(ctx, u.PasswordHash, cmd.Old)
	if err != nil {
		return fmt.Errorf("compare password: %w", err)
	}
	if !ok {
		var lockedNow bool
		if _, err := s.d.Attempts.Update(ctx, a.Username, func(x *identity.LoginAttempts) error {
			lockedNow = s.cfg.Lockout.Fail(x, now)
			return nil
		}); err != nil {
			return fmt.Errorf("count failure: %w", err)
		}
		if lockedNow {
			if err := s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionLockout, resourceUser, idString(a.UserID))); err != nil {
				return fmt.Errorf("audit lockout: %w", err)
			}
		}
		return &fault.Error{Kind: fault.BadRequest, Message: "The current password is incorrect",
			Fields: []fault.FieldError{{Field: "old_password", Message: "is incorrect"}}}
	}
	if _, err := s.d.Attempts.Update(ctx, a.Username, func(x *identity.LoginAttempts) error {
		s.cfg.Lockout.Succeed(x)
		return nil
	}); err != nil {
		return fmt.Errorf("reset failures: %w", err)
	}
	hash, err := s.d.Hasher.Hash(ctx, cmd.New)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	return s.revoke(ctx, ports.Revocation{UserID: a.UserID, Keep: a.SessionID, At: now}, func(ctx context.Context) error {
		if _, err := s.d.Users.Update(ctx, a.UserID, func(x *identity.User) error {
			x.PasswordHash, x.UpdatedAt = hash, now
			return nil
		}); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionPasswordChanged, resourceUser, idString(a.UserID)))
	})
}

// Profile returns the caller's account.
func (s *Service) Profile(ctx context.Context, a identity.Actor) (identity.User, error) {
	if s.d.Profiles != nil {
		return s.d.Profiles.Profile(ctx, a.UserID)
	}
	return s.d.Users.Get(ctx, a.UserID)
}

// UpdateProfile edits the caller's name or email.
func (s *Service) UpdateProfile(ctx context.Context, a identity.Actor, c identity.ProfileChange) (identity.User, error) {
	now := s.d.Clock.Now()
	var out identity.User
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		u, err := s.d.Users.Update(ctx, a.UserID, func(x *identity.User) error {
			before = UserSnapshot(*x)
			x.UpdatedAt = now
			return x.Apply(c)
		})
		if err != nil {
			return err
		}
		out = u
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resourceUser, idString(u.ID)).Change(before, UserSnapshot(u)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return identity.User{}, fault.New(fault.Conflict, "Email is already registered")
	}
	return out, err
}

// SessionView is one of the caller's sessions.
type SessionView struct {
	identity.Session
	Current bool
}

// Sessions lists the caller's active sessions, newest first.
func (s *Service) Sessions(ctx context.Context, a identity.Actor) ([]SessionView, error) {
	list, err := s.d.Sessions.ListActive(ctx, a.UserID, s.d.Clock.Now())
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := make([]SessionView, len(list))
	for i, x := range list {
		out[i] = SessionView{Session: x, Current: x.ID == a.SessionID}
	}
	return out, nil
}

// DeleteSession revokes one of the caller's sessions.
func (s *Service) DeleteSession(ctx context.Context, a identity.Actor, id string) error {
	sess, err := s.d.Sessions.Get(ctx, id)
	if err != nil || sess.UserID != a.UserID || sess.RevokedAt != nil {
		if err == nil || errors.Is(err, fault.ErrNotFound) {
			return fault.New(fault.NotFound, "Session not found")
		}
		return fmt.Errorf("load session: %w", err)
	}
	now := s.d.Clock.Now()
	return s.revoke(ctx, ports.Revocation{SessionID: id, At: now}, func(ctx context.Context) error {
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionSessionRevoked, "session", id))
	})
}

// UserSnapshot is the audit view of a user: never the password hash.
func UserSnapshot(u identity.User) map[string]any {
	m := map[string]any{"id": u.ID, "username": u.Username, "email": u.Email, "full_name": u.FullName,
		"role": string(u.Role), "is_active": u.IsActive, "student_id": nil}
	if u.StudentID != nil {
		m["student_id"] = *u.StudentID
	}
	return m
}
