package auth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	anyArg = mock.Anything
	ctx    = context.Background()
	errDB  = fmt.Errorf("connection reset")
	cfg    = auth.Config{
		AccessTTL:  30 * time.Minute,
		RefreshTTL: 7 * 24 * time.Hour,
		ReuseGrace: 10 * time.Second,
		Lockout:    identity.LockoutPolicy{MaxFailures: 5, Base: time.Minute, Max: 15 * time.Minute},
		Passwords:  identity.NewPasswordPolicy(8, []string{"password123"}),
	}
	origin = identity.Origin{IP: "10.0.0.9", UserAgent: "test-agent", RequestID: "req-1"}
)

func ptr[T any](v T) *T { return &v }

// fixture wires the service to strict expecter mocks: an unexpected call
// fails the test, so "X is not called" needs no extra assertion.
type fixture struct {
	users    *mocks.UserRepository
	attempts *mocks.LoginAttemptRepository
	sessions *mocks.SessionRepository
	students *mocks.StudentRepository
	tokens   *mocks.TokenCodec
	hasher   *mocks.PasswordHasher
	audit    *mocks.AuditLog
	tx       *mocks.TxRunner
	clock    *mocks.Clock
	ids      *mocks.IDGenerator
	cache    *mocks.Cache
	svc      *auth.Service

	nextID  int
	signed  []identity.Claims
	entries []audit.Entry
	// events records, in order, transaction outcomes ("commit", "rollback")
	// and what the session cache was told ("tombstone:<id>", "drop:<id>").
	events []string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{
		users: mocks.NewUserRepository(t), attempts: mocks.NewLoginAttemptRepository(t),
		sessions: mocks.NewSessionRepository(t), students: mocks.NewStudentRepository(t),
		tokens: mocks.NewTokenCodec(t), hasher: mocks.NewPasswordHasher(t), audit: mocks.NewAuditLog(t),
		tx: mocks.NewTxRunner(t), clock: mocks.NewClock(t), ids: mocks.NewIDGenerator(t), cache: mocks.NewCache(t),
	}
	f.clock.EXPECT().Now().Return(now).Maybe()
	f.ids.EXPECT().NewID().RunAndReturn(func() string {
		f.nextID++
		return fmt.Sprintf("id-%d", f.nextID)
	}).Maybe()
	f.tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.events = append(f.events, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	principals := auth.NewSessionCache(mocks.ValuesThroughBytes(f.cache), f.sessions, f.clock, cfg)
	f.svc = auth.NewService(cfg, auth.Deps{Users: f.users, Attempts: f.attempts, Sessions: f.sessions,
		Students: f.students, Tokens: f.tokens, Hasher: f.hasher, Audit: f.audit, Tx: f.tx, Clock: f.clock, IDs: f.ids,
		Principals: principals})
	return f
}

// The session cache's keys: a tombstone per revoked session, and the
// cached principal.
func tombKey(sid string) string      { return "session:" + sid + ":revoked" }
func principalKey(sid string) string { return "session:" + sid }

// expectForget expects the session cache to be told, once per id, that the
// session was revoked: a tombstone for the refresh lifetime, then the
// cached principal dropped.
func (f *fixture) expectForget(ids ...string) {
	for _, id := range ids {
		f.cache.EXPECT().Set(anyArg, tombKey(id), []byte{1}, cfg.RefreshTTL).
			RunAndReturn(func(context.Context, string, []byte, time.Duration) error {
				f.events = append(f.events, "tombstone:"+id)
				return nil
			}).Once()
		f.cache.EXPECT().Delete(anyArg, principalKey(id)).RunAndReturn(func(context.Context, ...string) error {
			f.events = append(f.events, "drop:"+id)
			return nil
		}).Once()
	}
}

// committedThenForgot is the event log of one committed transaction whose
// revoked ids were then forgotten.
func committedThenForgot(ids ...string) []string {
	out := []string{"commit"}
	for _, id := range ids {
		out = append(out, "tombstone:"+id, "drop:"+id)
	}
	return out
}

// principalFromStore expects a session check that misses the cache and
// reads the repository; cached says whether the answer is then cached.
func (f *fixture) principalFromStore(sid string, p identity.Principal, err error, cached bool) {
	f.cache.EXPECT().Get(anyArg, tombKey(sid)).Return(nil, false, nil).Once()
	f.cache.EXPECT().Get(anyArg, principalKey(sid)).Return(nil, false, nil).Once()
	f.sessions.EXPECT().Principal(anyArg, sid).Return(p, err).Once()
	if cached {
		f.cache.EXPECT().Set(anyArg, principalKey(sid), anyArg, anyArg).Return(nil).Once()
	}
}

// recordAudit captures every audit entry, failing with err when given.
func (f *fixture) recordAudit(err error) {
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return err
	})
}

func (f *fixture) actions() []string {
	var out []string
	for _, e := range f.entries {
		out = append(out, e.Action)
	}
	return out
}

// sign makes tokens readable: "<typ>:<jti>".
func (f *fixture) sign() {
	f.tokens.EXPECT().Sign(anyArg).RunAndReturn(func(c identity.Claims) (string, error) {
		f.signed = append(f.signed, c)
		return string(c.Type) + ":" + c.TokenID, nil
	})
}

// attemptsOf runs Update closures against an in-memory record, as the
// repository does under its row lock.
func (f *fixture) attemptsOf(username string, rec *identity.LoginAttempts) *mocks.LoginAttemptRepository_Update_Call {
	return f.attempts.EXPECT().Update(anyArg, username, anyArg).RunAndReturn(
		func(_ context.Context, _ string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error) {
			cp := *rec
			if err := fn(&cp); err != nil {
				return identity.LoginAttempts{}, fmt.Errorf("attempts update: %w", err)
			}
			*rec = cp
			return cp, nil
		})
}

// userStore runs Users.Update closures against an in-memory user.
func (f *fixture) userStore(u *identity.User) *mocks.UserRepository_Update_Call {
	return f.users.EXPECT().Update(anyArg, u.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*identity.User) error) (identity.User, error) {
			cp := *u
			if err := fn(&cp); err != nil {
				return identity.User{}, err
			}
			*u = cp
			return cp, nil
		})
}

func assertFault(t *testing.T, err error, kind fault.Kind, msg string) {
	t.Helper()
	require.Error(t, err)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe, "err=%v", err)
	assert.Equal(t, kind, fe.Kind, "err=%v", err)
	if msg != "" {
		assert.Equal(t, msg, fe.Message)
	}
}

func fieldNames(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind, "err=%v", err)
	var out []string
	for _, x := range fe.Fields {
		out = append(out, x.Field)
	}
	return out
}

func studentActor() identity.Actor {
	return identity.Actor{UserID: 10, Username: "alice", Role: identity.RoleStudent, SessionID: "sess-a", Origin: origin}
}

func adminActor() identity.Actor {
	return identity.Actor{UserID: 1, Username: "admin", Role: identity.RoleAdmin, SessionID: "sess-admin", Origin: origin}
}
