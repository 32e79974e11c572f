// Package auth holds the identity use cases: login with lockout, token
// refresh with rotation and reuse detection, logout, registration, password
// changes, profiles and sessions, and the check behind every access token.
package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// Config holds the rules the service applies.
type Config struct {
	AccessTTL  time.Duration
	RefreshTTL time.Duration
	// ReuseGrace is how long after a rotation the replaced refresh token is
	// treated as a lost race (401, session kept) rather than as reuse
	// (session revoked).
	ReuseGrace time.Duration
	Lockout    identity.LockoutPolicy
	Passwords  identity.PasswordPolicy
}

// Deps are the ports the service uses.
type Deps struct {
	Users    ports.UserRepository
	Attempts ports.LoginAttemptRepository
	Sessions ports.SessionRepository
	Students ports.StudentRepository
	Tokens   ports.TokenCodec
	Hasher   ports.PasswordHasher
	Audit    ports.AuditLog
	Tx       ports.TxRunner
	Clock    ports.Clock
	IDs      ports.IDGenerator
	// Principals caches the per-request session check.
	Principals *SessionCache
	// Profiles serves the caller's profile from the cache (nil: from Users).
	Profiles *Profiles
}

// Service implements the auth use cases.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service { return &Service{cfg: cfg, d: d} }

// Client-facing messages of the contract.
var (
	errBadCredentials = fault.New(fault.Unauthenticated, "Invalid username or password")
	errRevoked        = fault.New(fault.Unauthenticated, "Token has been revoked")
	errInvalidToken   = fault.New(fault.Unauthenticated, "Invalid token")
	errDisabled       = fault.New(fault.Forbidden, "Account is disabled")
)

const resourceUser = "user"

// LoginCommand asks for a session.
type LoginCommand struct {
	Username string
	Password string
	Origin   identity.Origin
}

// Login verifies credentials and opens a session.
func (s *Service) Login(ctx context.Context, cmd LoginCommand) (identity.TokenPair, error) {
	now := s.d.Clock.Now()
	anon := identity.Anonymous(cmd.Origin)
	if err := s.checkLockout(ctx, cmd.Username, now); err != nil {
		return identity.TokenPair{}, err
	}

	u, err := s.d.Users.GetByUsername(ctx, cmd.Username)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return identity.TokenPair{}, fmt.Errorf("load user: %w", err)
	}
	found := err == nil
	ok, err := s.d.Hasher.Compare(ctx, u.PasswordHash, cmd.Password)
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("compare password: %w", err)
	}
	if !found || !ok {
		return identity.TokenPair{}, s.loginFailed(ctx, anon, cmd.Username, now)
	}
	if !u.IsActive {
		return identity.TokenPair{}, errDisabled
	}
	if _, err := s.d.Attempts.Update(ctx, cmd.Username, func(a *identity.LoginAttempts) error {
		s.cfg.Lockout.Succeed(a)
		return nil
	}); err != nil {
		return identity.TokenPair{}, fmt.Errorf("reset lockout: %w", err)
	}

	newHash := ""
	if s.d.Hasher.NeedsRehash(u.PasswordHash) {
		if newHash, err = s.d.Hasher.Hash(ctx, cmd.Password); err != nil {
			return identity.TokenPair{}, fmt.Errorf("rehash password: %w", err)
		}
	}
	var pair identity.TokenPair
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		u, err = s.d.Users.Update(ctx, u.ID, func(x *identity.User) error {
			x.LastLogin = &now
			if newHash != "" {
				x.PasswordHash = newHash
			}
			return nil
		})
		if err != nil {
			return err
		}
		sess := identity.Session{ID: s.d.IDs.NewID(), UserID: u.ID, RefreshJTI: s.d.IDs.NewID(),
			CreatedAt: now, LastUsedAt: now, RotatedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL),
			UserAgent: truncate(cmd.Origin.UserAgent, 300), IP: cmd.Origin.IP}
		if err := s.d.Sessions.Create(ctx, sess); err != nil {
			return err
		}
		if pair, err = s.issue(u, sess.ID, sess.RefreshJTI, now); err != nil {
			return err
		}
		actor := actorOf(u, sess.ID, cmd.Origin)
		return s.d.Audit.Record(ctx, audit.By(actor, now, audit.ActionLogin, resourceUser, idString(u.ID)))
	})
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("open session: %w", err)
	}
	return pair, nil
}

var errLocked = errors.New("locked")

// checkLockout answers 429 with the time left while username is locked.
func (s *Service) checkLockout(ctx context.Context, username string, now time.Time) error {
	var retry time.Duration
	_, err := s.d.Attempts.Update(ctx, username, func(a *identity.LoginAttempts) error {
		if locked, left := a.Locked(now); locked {
			retry = left
			return errLocked
		}
		return nil
	})
	if errors.Is(err, errLocked) {
		return &fault.Error{Kind: fault.Throttled, RetryAfter: retry, Message: "Too many failed attempts; try again later"}
	}
	if err != nil {
		return fmt.Errorf("check lockout: %w", err)
	}
	return nil
}

func (s *Service) loginFailed(ctx context.Context, anon identity.Actor, username string, now time.Time) error {
	var lockedNow bool
	_, err := s.d.Attempts.Update(ctx, username, func(a *identity.LoginAttempts) error {
		lockedNow = s.cfg.Lockout.Fail(a, now)
		return nil
	})
	if err != nil {
		return fmt.Errorf("count failure: %w", err)
	}
	e := audit.By(anon, now, audit.ActionLoginFailed, resourceUser, "").Change(nil, map[string]any{"username": username})
	if err := s.d.Audit.Record(ctx, e); err != nil {
		return fmt.Errorf("audit failure: %w", err)
	}
	if lockedNow {
		e.Action = audit.ActionLockout
		if err := s.d.Audit.Record(ctx, e); err != nil {
			return fmt.Errorf("audit lockout: %w", err)
		}
	}
	return errBadCredentials
}

func (s *Service) issue(u identity.User, sessionID, refreshJTI string, now time.Time) (identity.TokenPair, error) {
	access, err := s.d.Tokens.Sign(identity.Claims{TokenID: s.d.IDs.NewID(), SessionID: sessionID, UserID: u.ID,
		Username: u.Username, Role: u.Role, Type: identity.AccessToken, IssuedAt: now, ExpiresAt: now.Add(s.cfg.AccessTTL)})
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("sign access token: %w", err)
	}
	refresh, err := s.d.Tokens.Sign(identity.Claims{TokenID: refreshJTI, SessionID: sessionID, UserID: u.ID,
		Username: u.Username, Role: u.Role, Type: identity.RefreshToken, IssuedAt: now, ExpiresAt: now.Add(s.cfg.RefreshTTL)})
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("sign refresh token: %w", err)
	}
	return identity.TokenPair{AccessToken: access, RefreshToken: refresh, ExpiresIn: s.cfg.AccessTTL, UserID: u.ID, Role: u.Role}, nil
}

// Refresh exchanges a refresh token for a new pair and retires it. A retired
// token presented again (outside the race grace) revokes the whole session.
func (s *Service) Refresh(ctx context.Context, token string, origin identity.Origin) (identity.TokenPair, error) {
	now := s.d.Clock.Now()
	c, err := s.d.Tokens.Parse(token)
	if err != nil {
		return identity.TokenPair{}, err
	}
	if c.Type != identity.RefreshToken {
		return identity.TokenPair{}, errInvalidToken
	}
	sess, err := s.d.Sessions.Get(ctx, c.SessionID)
	if errors.Is(err, fault.ErrNotFound) || (err == nil && sess.UserID != c.UserID) {
		return identity.TokenPair{}, errInvalidToken
	}
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("load session: %w", err)
	}
	if !sess.Active(now) {
		return identity.TokenPair{}, errRevoked
	}
	// Load the user before rotating, so a failure here leaves the client's
	// refresh token usable for a retry.
	u, err := s.d.Users.Get(ctx, c.UserID)
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("load user: %w", err)
	}
	if !u.IsActive {
		return identity.TokenPair{}, errRevoked
	}
	next := s.d.IDs.NewID()
	won, err := s.d.Sessions.Rotate(ctx, sess.ID, c.TokenID, next, now)
	if err != nil {
		return identity.TokenPair{}, fmt.Errorf("rotate session: %w", err)
	}
	if !won {
		return identity.TokenPair{}, s.refreshLost(ctx, c, origin, now)
	}
	return s.issue(u, sess.ID, next, now)
}

// refreshLost decides between a lost race and a replay of a retired token.
func (s *Service) refreshLost(ctx context.Context, c identity.Claims, origin identity.Origin, now time.Time) error {
	sess, err := s.d.Sessions.Get(ctx, c.SessionID)
	if err != nil {
		return fmt.Errorf("reload session: %w", err)
	}
	if !sess.Active(now) || (c.TokenID == sess.PrevJTI && now.Sub(sess.RotatedAt) <= s.cfg.ReuseGrace) {
		return errRevoked
	}
	actor := identity.Actor{UserID: c.UserID, Username: c.Username, Role: c.Role, SessionID: c.SessionID, Origin: origin}
	if err := s.revoke(ctx, ports.Revocation{SessionID: sess.ID, At: now}, func(ctx context.Context) error {
		return s.d.Audit.Record(ctx, audit.By(actor, now, audit.ActionRefreshReuse, "session", sess.ID))
	}); err != nil {
		return fmt.Errorf("revoke reused session: %w", err)
	}
	return errRevoked
}

// Authenticate verifies an access token against the session store and
// returns the caller with its current role and student link.
func (s *Service) Authenticate(ctx context.Context, token string, origin identity.Origin) (identity.Actor, identity.Claims, error) {
	c, err := s.d.Tokens.Parse(token)
	if err != nil {
		return identity.Actor{}, c, err
	}
	if c.Type != identity.AccessToken {
		return identity.Actor{}, c, errInvalidToken
	}
	p, err := s.d.Principals.Principal(ctx, c.SessionID)
	if errors.Is(err, fault.ErrNotFound) {
		return identity.Actor{}, c, errInvalidToken
	}
	if err != nil {
		return identity.Actor{}, c, fmt.Errorf("check session: %w", err)
	}
	if p.Revoked {
		return identity.Actor{}, c, errRevoked
	}
	if p.UserID != c.UserID {
		return identity.Actor{}, c, errInvalidToken
	}
	if !p.IsActive || !s.d.Clock.Now().Before(p.ExpiresAt) {
		return identity.Actor{}, c, errRevoked
	}
	return identity.Actor{UserID: p.UserID, Username: p.Username, Role: p.Role, StudentID: p.StudentID,
		SessionID: c.SessionID, Origin: origin}, c, nil
}

// Logout revokes the caller's session and, when given, the session of the
// caller's refresh token.
func (s *Service) Logout(ctx context.Context, a identity.Actor, refreshToken string) error {
	now := s.d.Clock.Now()
	ids := []string{a.SessionID}
	if refreshToken != "" {
		c, err := s.d.Tokens.Parse(refreshToken)
		if err != nil || c.Type != identity.RefreshToken {
			return fault.New(fault.BadRequest, "token: not a valid refresh token")
		}
		if c.UserID != a.UserID {
			return fault.New(fault.Forbidden, "token: does not belong to the caller")
		}
		if c.SessionID != a.SessionID {
			ids = append(ids, c.SessionID)
		}
	}
	var revoked []string
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		for _, id := range ids {
			got, err := s.d.Sessions.Revoke(ctx, ports.Revocation{SessionID: id, At: now})
			if err != nil {
				return fmt.Errorf("revoke session: %w", err)
			}
			revoked = append(revoked, got...)
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionLogout, "session", a.SessionID))
	})
	if err != nil {
		return err
	}
	s.d.Principals.Forget(ctx, revoked)
	return nil
}

// revoke ends sessions and runs also in the same transaction, then, once
// committed, tells the session cache.
func (s *Service) revoke(ctx context.Context, r ports.Revocation, also func(ctx context.Context) error) error {
	var ids []string
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		// also first: it may lock the user row, and every writer locks the
		// user before its sessions, so two writers cannot deadlock.
		if err := also(ctx); err != nil {
			return err
		}
		var err error
		ids, err = s.d.Sessions.Revoke(ctx, r)
		return err
	})
	if err != nil {
		return err
	}
	s.d.Principals.Forget(ctx, ids)
	return nil
}

func actorOf(u identity.User, sessionID string, o identity.Origin) identity.Actor {
	return identity.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, StudentID: u.StudentID, SessionID: sessionID, Origin: o}
}

func idString(id int64) string { return fmt.Sprint(id) }

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
