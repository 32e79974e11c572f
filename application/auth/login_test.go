package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

func alice() identity.User {
	return identity.User{ID: 10, Username: "alice", Email: "alice@campus.edu", Role: identity.RoleStudent,
		PasswordHash: "hash-alice", IsActive: true, StudentID: ptr[int64](3)}
}

func login(f *fixture, password string) (identity.TokenPair, error) {
	return f.svc.Login(ctx, auth.LoginCommand{Username: "alice", Password: password, Origin: origin})
}

func TestLoginUnknownUserStillComparesAndCountsFailure(t *testing.T) {
	f := newFixture(t)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec)
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(identity.User{}, fault.New(fault.NotFound, "User not found"))
	f.hasher.EXPECT().Compare(anyArg, "", "whatever1").Return(false, nil).Once()
	f.recordAudit(nil)

	_, err := login(f, "whatever1")

	assertFault(t, err, fault.Unauthenticated, "Invalid username or password")
	assert.Equal(t, 1, rec.Failures)
	require.Equal(t, []string{audit.ActionLoginFailed}, f.actions())
	e := f.entries[0]
	assert.Nil(t, e.ActorID)
	assert.Equal(t, map[string]any{"username": "alice"}, e.After)
	assert.Equal(t, origin.IP, e.IP)
	assert.Equal(t, now, e.At)
}

func TestLoginWrongPasswordCountsFailureAndAudits(t *testing.T) {
	f := newFixture(t)
	rec := identity.LoginAttempts{Failures: 2}
	f.attemptsOf("alice", &rec)
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(alice(), nil)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "wrong-pass").Return(false, nil).Once()
	f.recordAudit(nil)

	_, err := login(f, "wrong-pass")

	assertFault(t, err, fault.Unauthenticated, "Invalid username or password")
	assert.Equal(t, 3, rec.Failures)
	assert.Nil(t, rec.LockedUntil)
	assert.Equal(t, []string{audit.ActionLoginFailed}, f.actions())
}

func TestLoginFifthFailureLocksAndAuditsLockout(t *testing.T) {
	f := newFixture(t)
	rec := identity.LoginAttempts{Failures: 4}
	f.attemptsOf("alice", &rec)
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(alice(), nil)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "wrong-pass").Return(false, nil)
	f.recordAudit(nil)

	_, err := login(f, "wrong-pass")

	assertFault(t, err, fault.Unauthenticated, "Invalid username or password")
	assert.Equal(t, []string{audit.ActionLoginFailed, audit.ActionLockout}, f.actions())
	require.NotNil(t, rec.LockedUntil)
	assert.Equal(t, now.Add(time.Minute), *rec.LockedUntil)
	assert.Equal(t, 1, rec.Lockouts)
}

func TestLoginLockedIsThrottledEvenWithTheRightPassword(t *testing.T) {
	f := newFixture(t)
	until := now.Add(42 * time.Second)
	rec := identity.LoginAttempts{Lockouts: 1, LockedUntil: &until}
	f.attemptsOf("alice", &rec)
	// No GetByUsername, Compare or audit expectation: any such call fails the test.

	_, err := login(f, "the-right-password")

	assertFault(t, err, fault.Throttled, "")
	assert.ErrorIs(t, err, fault.ErrThrottled)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 42*time.Second, fe.RetryAfter)
	f.hasher.AssertNotCalled(t, "Compare")
	assert.Equal(t, until, *rec.LockedUntil, "a throttled attempt changes nothing")
}

func TestLoginLockExpiredLetsThrough(t *testing.T) {
	f := newFixture(t)
	until := now // exactly at locked_until the lock is over
	rec := identity.LoginAttempts{Lockouts: 1, LockedUntil: &until}
	f.attemptsOf("alice", &rec)
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(alice(), nil)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "wrong-pass").Return(false, nil)
	f.recordAudit(nil)

	_, err := login(f, "wrong-pass")
	assertFault(t, err, fault.Unauthenticated, "Invalid username or password")
}

func TestLoginDisabledAccount(t *testing.T) {
	f := newFixture(t)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec)
	u := alice()
	u.IsActive = false
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(u, nil)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "right-pass").Return(true, nil)

	_, err := login(f, "right-pass")

	assertFault(t, err, fault.Forbidden, "Account is disabled")
	f.sessions.AssertNotCalled(t, "Create")
}

func TestLoginSuccess(t *testing.T) {
	for _, rehash := range []bool{false, true} {
		t.Run(map[bool]string{false: "current cost", true: "rehash lower cost"}[rehash], func(t *testing.T) {
			f := newFixture(t)
			rec := identity.LoginAttempts{Failures: 3, Lockouts: 2}
			f.attemptsOf("alice", &rec)
			u := alice()
			f.users.EXPECT().GetByUsername(anyArg, "alice").Return(u, nil)
			f.hasher.EXPECT().Compare(anyArg, "hash-alice", "right-pass").Return(true, nil)
			f.hasher.EXPECT().NeedsRehash("hash-alice").Return(rehash)
			if rehash {
				f.hasher.EXPECT().Hash(anyArg, "right-pass").Return("hash-new", nil).Once()
			}
			f.userStore(&u)
			var created identity.Session
			f.sessions.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s identity.Session) error {
				created = s
				return nil
			}).Once()
			f.sign()
			f.recordAudit(nil)

			pair, err := login(f, "right-pass")
			require.NoError(t, err)

			assert.Equal(t, identity.LoginAttempts{}, rec, "a success resets the count and the lockout history")
			if rehash {
				assert.Equal(t, "hash-new", u.PasswordHash)
			} else {
				assert.Equal(t, "hash-alice", u.PasswordHash)
				f.hasher.AssertNotCalled(t, "Hash")
			}
			require.NotNil(t, u.LastLogin)
			assert.Equal(t, now, *u.LastLogin)

			assert.Equal(t, int64(10), created.UserID)
			assert.NotEmpty(t, created.ID)
			assert.NotEmpty(t, created.RefreshJTI)
			assert.Equal(t, now.Add(cfg.RefreshTTL), created.ExpiresAt)
			assert.Equal(t, now, created.CreatedAt)
			assert.Equal(t, origin.IP, created.IP)
			assert.Equal(t, origin.UserAgent, created.UserAgent)

			assert.Equal(t, "refresh:"+created.RefreshJTI, pair.RefreshToken)
			assert.Equal(t, identity.TokenType("access"), f.signed[0].Type)
			assert.Equal(t, "access:"+f.signed[0].TokenID, pair.AccessToken)
			assert.NotEqual(t, created.RefreshJTI, f.signed[0].TokenID)
			for _, c := range f.signed {
				assert.Equal(t, created.ID, c.SessionID)
				assert.Equal(t, int64(10), c.UserID)
				assert.Equal(t, identity.RoleStudent, c.Role)
			}
			assert.Equal(t, now.Add(cfg.AccessTTL), f.signed[0].ExpiresAt)
			assert.Equal(t, now.Add(cfg.RefreshTTL), f.signed[1].ExpiresAt)
			assert.Equal(t, cfg.AccessTTL, pair.ExpiresIn)
			assert.Equal(t, int64(10), pair.UserID)
			assert.Equal(t, identity.RoleStudent, pair.Role)

			require.Equal(t, []string{audit.ActionLogin}, f.actions())
			e := f.entries[0]
			require.NotNil(t, e.ActorID)
			assert.Equal(t, int64(10), *e.ActorID)
			assert.Equal(t, "10", e.ResourceID)
		})
	}
}

func TestLoginTruncatesLongUserAgent(t *testing.T) {
	f := newFixture(t)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec)
	u := alice()
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(u, nil)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
	f.hasher.EXPECT().NeedsRehash(anyArg).Return(false)
	f.userStore(&u)
	var created identity.Session
	f.sessions.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s identity.Session) error {
		created = s
		return nil
	})
	f.sign()
	f.recordAudit(nil)
	o := origin
	o.UserAgent = string(make([]byte, 1000))
	_, err := f.svc.Login(ctx, auth.LoginCommand{Username: "alice", Password: "x", Origin: o})
	require.NoError(t, err)
	assert.Len(t, created.UserAgent, 300)
}

// loginUserAgent logs in with the user agent given and returns the one
// stored on the new session.
func loginUserAgent(t *testing.T, ua string) string {
	t.Helper()
	f := newFixture(t)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec)
	u := alice()
	f.users.EXPECT().GetByUsername(anyArg, "alice").Return(u, nil)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
	f.hasher.EXPECT().NeedsRehash(anyArg).Return(false)
	f.userStore(&u)
	var created identity.Session
	f.sessions.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s identity.Session) error {
		created = s
		return nil
	}).Once()
	f.sign()
	f.recordAudit(nil)
	o := origin
	o.UserAgent = ua
	_, err := f.svc.Login(ctx, auth.LoginCommand{Username: "alice", Password: "x", Origin: o})
	require.NoError(t, err)
	return created.UserAgent
}

// TestLoginUserAgentStaysValidUTF8 checks the 300-byte cut never splits a
// character (the column is text, and PostgreSQL refuses invalid UTF-8).
func TestLoginUserAgentStaysValidUTF8(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	tests := []struct {
		name string
		ua   string
		want string
	}{
		{"short kept", "Mozilla/5.0 é", "Mozilla/5.0 é"},
		{"exactly 300 ASCII bytes kept", a(300), a(300)},
		{"two-byte rune across the cut dropped", a(299) + "é", a(299)},
		{"two-byte rune ending at the cut kept", a(298) + "é" + "b", a(298) + "é"},
		{"four-byte rune across the cut dropped", a(298) + "😀", a(298)},
		{"three-byte runes on the boundary", strings.Repeat("€", 150), strings.Repeat("€", 100)},
		{"three-byte runes across the cut", "b" + strings.Repeat("€", 150), "b" + strings.Repeat("€", 99)},
		{"invalid bytes removed", "agent\xff\xfe/1", "agent/1"},
		{"invalid bytes before the cut do not count", "\xff" + a(300), a(300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loginUserAgent(t, tt.ua)
			assert.True(t, utf8.ValidString(got), "%q is not valid UTF-8", got)
			assert.LessOrEqual(t, len(got), 300)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestLoginErrorPaths checks that every failing port aborts the login with
// a wrapped error that keeps the cause.
func TestLoginErrorPaths(t *testing.T) {
	// okUntil sets up the happy path up to (not including) the step named.
	type step int
	const (
		lockCheck step = iota
		getUser
		compare
		reset
		rehash
		updateUser
		createSession
		signToken
		auditLogin
	)
	tests := []struct {
		name    string
		failAt  step
		wantMsg string
	}{
		{"lockout check", lockCheck, "check lockout"},
		{"load user", getUser, "load user"},
		{"compare", compare, "compare password"},
		{"reset attempts", reset, "reset lockout"},
		{"rehash", rehash, "rehash password"},
		{"update user", updateUser, "open session"},
		{"create session", createSession, "open session"},
		{"sign token", signToken, "sign access token"},
		{"audit login", auditLogin, "open session"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			var rec identity.LoginAttempts
			calls := 0
			f.attempts.EXPECT().Update(anyArg, "alice", anyArg).RunAndReturn(
				func(_ context.Context, _ string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error) {
					calls++
					if (calls == 1 && tt.failAt == lockCheck) || (calls == 2 && tt.failAt == reset) {
						return identity.LoginAttempts{}, errDB
					}
					return rec, fn(&rec)
				})
			u := alice()
			if tt.failAt >= getUser {
				f.users.EXPECT().GetByUsername(anyArg, "alice").Return(u, map[bool]error{true: errDB}[tt.failAt == getUser])
			}
			if tt.failAt >= compare {
				f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(tt.failAt != compare, map[bool]error{true: errDB}[tt.failAt == compare])
			}
			if tt.failAt >= rehash {
				f.hasher.EXPECT().NeedsRehash(anyArg).Return(true)
				f.hasher.EXPECT().Hash(anyArg, anyArg).Return("h2", map[bool]error{true: errDB}[tt.failAt == rehash])
			}
			if tt.failAt >= updateUser {
				if tt.failAt == updateUser {
					f.users.EXPECT().Update(anyArg, u.ID, anyArg).Return(identity.User{}, errDB)
				} else {
					f.userStore(&u)
				}
			}
			if tt.failAt >= createSession {
				f.sessions.EXPECT().Create(anyArg, anyArg).Return(map[bool]error{true: errDB}[tt.failAt == createSession])
			}
			if tt.failAt >= signToken {
				if tt.failAt == signToken {
					f.tokens.EXPECT().Sign(anyArg).Return("", errDB)
				} else {
					f.sign()
				}
			}
			if tt.failAt == auditLogin {
				f.recordAudit(errDB)
			}

			_, err := login(f, "right-pass")

			require.Error(t, err)
			assert.ErrorIs(t, err, errDB)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.Equal(t, fault.Unknown, fault.KindOf(err), "an infrastructure failure is not a client error")
		})
	}
}

func TestLoginFailureBookkeepingErrors(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		failWhat string
		wantMsg  string
	}{
		{"count failure", 0, "attempts", "count failure"},
		{"audit failure", 0, "audit1", "audit failure"},
		{"audit lockout", 4, "audit2", "audit lockout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			rec := identity.LoginAttempts{Failures: tt.failures}
			calls := 0
			f.attempts.EXPECT().Update(anyArg, "alice", anyArg).RunAndReturn(
				func(_ context.Context, _ string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error) {
					calls++
					if calls == 2 && tt.failWhat == "attempts" {
						return identity.LoginAttempts{}, errDB
					}
					return rec, fn(&rec)
				})
			f.users.EXPECT().GetByUsername(anyArg, "alice").Return(alice(), nil)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(false, nil)
			n := 0
			f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(context.Context, audit.Entry) error {
				n++
				if (n == 1 && tt.failWhat == "audit1") || (n == 2 && tt.failWhat == "audit2") {
					return errDB
				}
				return nil
			}).Maybe()

			_, err := login(f, "wrong-pass")

			assert.ErrorIs(t, err, errDB)
			assert.Contains(t, err.Error(), tt.wantMsg)
		})
	}
}
