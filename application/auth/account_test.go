package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

func registerCmd(role string) auth.RegisterCommand {
	return auth.RegisterCommand{Username: "bob", Email: "Bob@Campus.edu", Password: "long enough pw", FullName: "Bob", Role: role}
}

// expectCreate makes Users.Create assign id 77 and capture the user.
func (f *fixture) expectCreate(created *identity.User, err error) {
	f.users.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, u *identity.User) error {
		if err != nil {
			return err
		}
		u.ID = 77
		*created = *u
		return nil
	}).Once()
}

func TestRegisterDefaultsToStudentAndLinksByEmail(t *testing.T) {
	for _, linked := range []bool{false, true} {
		t.Run(map[bool]string{false: "no matching record", true: "linked by email"}[linked], func(t *testing.T) {
			f := newFixture(t)
			f.hasher.EXPECT().Hash(anyArg, "long enough pw").Return("hashed", nil)
			if linked {
				f.students.EXPECT().GetByEmail(anyArg, "bob@campus.edu").Return(student.Student{ID: 12}, nil)
			} else {
				f.students.EXPECT().GetByEmail(anyArg, "bob@campus.edu").Return(student.Student{}, fault.New(fault.NotFound, "x"))
			}
			var created identity.User
			f.expectCreate(&created, nil)
			f.recordAudit(nil)

			u, err := f.svc.Register(ctx, identity.Anonymous(origin), registerCmd(""))

			require.NoError(t, err)
			assert.Equal(t, identity.RoleStudent, u.Role)
			assert.Equal(t, int64(77), u.ID)
			assert.Equal(t, "hashed", created.PasswordHash)
			assert.Equal(t, now, created.CreatedAt)
			assert.True(t, created.IsActive)
			if linked {
				require.NotNil(t, created.StudentID)
				assert.Equal(t, int64(12), *created.StudentID)
			} else {
				assert.Nil(t, created.StudentID)
			}
			require.Equal(t, []string{audit.ActionRegister}, f.actions())
			e := f.entries[0]
			assert.Equal(t, "77", e.ResourceID)
			assert.Nil(t, e.Before)
			assert.Equal(t, "bob", e.After["username"])
			assert.NotContains(t, e.After, "password_hash")
			for _, v := range e.After {
				assert.NotEqual(t, "hashed", v, "the audit trail never holds a password hash")
			}
		})
	}
}

func TestRegisterRoles(t *testing.T) {
	staff := identity.Actor{UserID: 2, Username: "s", Role: identity.RoleStaff}
	tests := []struct {
		name     string
		actor    identity.Actor
		role     string
		wantRole identity.Role
		wantKind fault.Kind
	}{
		{name: "guest self-service", actor: identity.Anonymous(origin), role: "GUEST", wantRole: identity.RoleGuest},
		{name: "student any case", actor: identity.Anonymous(origin), role: "Student", wantRole: identity.RoleStudent},
		{name: "staff by anonymous", actor: identity.Anonymous(origin), role: "staff", wantKind: fault.Forbidden},
		{name: "admin by anonymous", actor: identity.Anonymous(origin), role: "admin", wantKind: fault.Forbidden},
		{name: "staff by staff", actor: staff, role: "staff", wantKind: fault.Forbidden},
		{name: "admin by staff", actor: staff, role: "admin", wantKind: fault.Forbidden},
		{name: "staff by admin", actor: adminActor(), role: "staff", wantRole: identity.RoleStaff},
		{name: "admin by admin", actor: adminActor(), role: "ADMIN", wantRole: identity.RoleAdmin},
		{name: "unknown role", actor: adminActor(), role: "wizard", wantKind: fault.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.wantKind == 0 {
				f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hashed", nil)
				if tt.wantRole == identity.RoleStudent {
					f.students.EXPECT().GetByEmail(anyArg, anyArg).Return(student.Student{}, fault.New(fault.NotFound, "x"))
				}
				var created identity.User
				f.expectCreate(&created, nil)
				f.recordAudit(nil)
			}

			u, err := f.svc.Register(ctx, tt.actor, registerCmd(tt.role))

			if tt.wantKind != 0 {
				assertFault(t, err, tt.wantKind, "")
				if tt.wantKind == fault.Forbidden {
					assert.ErrorIs(t, err, identity.ErrDenied)
				} else {
					assert.Equal(t, []string{"role"}, fieldNames(t, err))
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRole, u.Role)
			if tt.actor.Authenticated() {
				require.NotNil(t, f.entries[0].ActorID)
				assert.Equal(t, tt.actor.UserID, *f.entries[0].ActorID)
			}
		})
	}
}

func TestRegisterValidationMergesUserAndPasswordErrors(t *testing.T) {
	tests := []struct {
		name string
		cmd  auth.RegisterCommand
		want []string
	}{
		{"bad username and short password", auth.RegisterCommand{Username: "b", Email: "b@c.io", Password: "short"},
			[]string{"username", "password"}},
		{"bad email and common password", auth.RegisterCommand{Username: "bobby", Email: "nope", Password: "Password123"},
			[]string{"email", "password"}},
		{"password equals username", auth.RegisterCommand{Username: "bobby-tables", Email: "b@c.io", Password: "Bobby-Tables"},
			[]string{"password"}},
		// The username is stored trimmed, so the password is checked against
		// the trimmed form: padding the username must not slip it through.
		{"password equals the trimmed username", auth.RegisterCommand{Username: "  bobby-tables\t", Email: "b@c.io", Password: "Bobby-Tables"},
			[]string{"password"}},
		{"password over 72 bytes", auth.RegisterCommand{Username: "bobby", Email: "b@c.io", Password: string(make([]byte, 73))},
			[]string{"password"}},
		{"only user fields", auth.RegisterCommand{Username: "bobby", Email: "", FullName: string(make([]rune, 201)), Password: "fine password"},
			[]string{"email", "full_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Register(ctx, identity.Anonymous(origin), tt.cmd)
			assert.Equal(t, tt.want, fieldNames(t, err))
		})
	}
}

func TestRegisterConflict(t *testing.T) {
	f := newFixture(t)
	f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hashed", nil)
	f.students.EXPECT().GetByEmail(anyArg, anyArg).Return(student.Student{}, fault.New(fault.NotFound, "x"))
	var created identity.User
	f.expectCreate(&created, fault.Wrap(fault.Conflict, "duplicate", errDB))

	_, err := f.svc.Register(ctx, identity.Anonymous(origin), registerCmd(""))

	assertFault(t, err, fault.Conflict, "Username or email is already registered")
}

func TestRegisterPortErrors(t *testing.T) {
	t.Run("hash", func(t *testing.T) {
		f := newFixture(t)
		f.hasher.EXPECT().Hash(anyArg, anyArg).Return("", errDB)
		_, err := f.svc.Register(ctx, identity.Anonymous(origin), registerCmd(""))
		assert.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "hash password")
	})
	t.Run("student lookup", func(t *testing.T) {
		f := newFixture(t)
		f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hashed", nil)
		f.students.EXPECT().GetByEmail(anyArg, anyArg).Return(student.Student{}, errDB)
		_, err := f.svc.Register(ctx, identity.Anonymous(origin), registerCmd(""))
		assert.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "register")
	})
	t.Run("audit", func(t *testing.T) {
		f := newFixture(t)
		f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hashed", nil)
		var created identity.User
		f.expectCreate(&created, nil)
		f.recordAudit(errDB)
		_, err := f.svc.Register(ctx, identity.Anonymous(origin), registerCmd("guest"))
		assert.ErrorIs(t, err, errDB)
	})
}

func TestChangePasswordValidation(t *testing.T) {
	tests := []struct {
		name string
		cmd  auth.ChangePasswordCommand
		want []string
	}{
		{"confirm mismatch", auth.ChangePasswordCommand{Old: "old password", New: "new password", Confirm: "new passw0rd"},
			[]string{"confirm_password"}},
		{"same as old", auth.ChangePasswordCommand{Old: "same password", New: "same password", Confirm: "same password"},
			[]string{"new_password"}},
		{"too short", auth.ChangePasswordCommand{Old: "old password", New: "short", Confirm: "short"},
			[]string{"new_password"}},
		{"common", auth.ChangePasswordCommand{Old: "old password", New: "PASSWORD123", Confirm: "PASSWORD123"},
			[]string{"new_password"}},
		{"equal to username in another case", auth.ChangePasswordCommand{Old: "old password", New: "ALICEALICE", Confirm: "ALICEALICE"},
			[]string{"new_password"}},
		{"mismatch and too short", auth.ChangePasswordCommand{Old: "old password", New: "short", Confirm: "other"},
			[]string{"confirm_password", "new_password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			a := studentActor()
			a.Username = "aliceAlice"
			err := f.svc.ChangePassword(ctx, a, tt.cmd)
			assert.Equal(t, tt.want, fieldNames(t, err))
		})
	}
}

func TestChangePasswordWrongOldPassword(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	rec := identity.LoginAttempts{Failures: 1}
	f.attemptsOf("alice", &rec).Times(2) // the lockout check, then the failure
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "not my password").Return(false, nil)

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "not my password", New: "brand new pw", Confirm: "brand new pw"})

	assertFault(t, err, fault.BadRequest, "The current password is incorrect")
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, []fault.FieldError{{Field: "old_password", Message: "is incorrect"}}, fe.Fields)
	assert.Equal(t, 2, rec.Failures, "a wrong old password counts as a failed attempt")
	assert.Nil(t, rec.LockedUntil)
	f.hasher.AssertNotCalled(t, "Hash")
}

// TestChangePasswordWrongOldPasswordsLockTheAccount guesses the old
// password MaxFailures times: the last guess starts the lockout, and from
// then on even the right old password is throttled, without a compare.
func TestChangePasswordWrongOldPasswordsLockTheAccount(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "a wrong guess").Return(false, nil).Times(cfg.Lockout.MaxFailures)
	f.recordAudit(nil)
	guess := auth.ChangePasswordCommand{Old: "a wrong guess", New: "brand new pw", Confirm: "brand new pw"}

	for i := range cfg.Lockout.MaxFailures {
		err := f.svc.ChangePassword(ctx, studentActor(), guess)
		assertFault(t, err, fault.BadRequest, "The current password is incorrect")
		if i < cfg.Lockout.MaxFailures-1 {
			assert.Nil(t, rec.LockedUntil, "guess %d", i+1)
			assert.Empty(t, f.entries, "guess %d: a failure that does not lock is not audited", i+1)
		}
	}
	require.NotNil(t, rec.LockedUntil)
	assert.Equal(t, now.Add(cfg.Lockout.Base), *rec.LockedUntil)
	assert.Equal(t, 1, rec.Lockouts)
	assert.Equal(t, []string{audit.ActionLockout}, f.actions(), "the guess that starts the lockout is audited")

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	assertFault(t, err, fault.Throttled, "Too many failed attempts; try again later")
	f.hasher.AssertNotCalled(t, "Compare", anyArg, "hash-alice", "old password")
}

func TestChangePasswordLockedIsThrottled(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	until := now.Add(42 * time.Second)
	rec := identity.LoginAttempts{Lockouts: 1, LockedUntil: &until}
	f.attemptsOf("alice", &rec).Once()
	// No Compare, Hash, Update, Revoke or cache expectation: any such call
	// fails the test.

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	assertFault(t, err, fault.Throttled, "Too many failed attempts; try again later")
	assert.ErrorIs(t, err, fault.ErrThrottled)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 42*time.Second, fe.RetryAfter)
	assert.Equal(t, identity.LoginAttempts{Lockouts: 1, LockedUntil: &until}, rec, "a throttled attempt changes nothing")
}

func TestChangePasswordLockoutIsPerUsername(t *testing.T) {
	f := newFixture(t)
	u := alice()
	u.ID, u.Username = 11, "mallory"
	f.users.EXPECT().Get(anyArg, int64(11)).Return(u, nil)
	var rec identity.LoginAttempts
	f.attemptsOf("mallory", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(false, nil)
	a := identity.Actor{UserID: 11, Username: "mallory", Role: identity.RoleStudent, SessionID: "sess-m", Origin: origin}

	err := f.svc.ChangePassword(ctx, a, auth.ChangePasswordCommand{Old: "a wrong guess", New: "brand new pw", Confirm: "brand new pw"})

	assertFault(t, err, fault.BadRequest, "")
	assert.Equal(t, 1, rec.Failures)
}

func TestChangePasswordSuccessRevokesOtherSessions(t *testing.T) {
	f := newFixture(t)
	u := alice()
	f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil)
	rec := identity.LoginAttempts{Failures: 2}
	f.attemptsOf("alice", &rec).Times(2) // the lockout check, then the reset
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "old password").Return(true, nil)
	f.hasher.EXPECT().Hash(anyArg, "brand new pw").Return("hash-new", nil)
	f.userStore(&u)
	f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{UserID: 10, Keep: "sess-a", At: now}).Return([]string{"sess-b", "sess-c"}, nil).Once()
	f.recordAudit(nil)
	f.expectForget("sess-b", "sess-c")

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	require.NoError(t, err)
	assert.Equal(t, "hash-new", u.PasswordHash)
	assert.Equal(t, now, u.UpdatedAt)
	assert.Equal(t, []string{audit.ActionPasswordChanged}, f.actions())
	assert.Equal(t, committedThenForgot("sess-b", "sess-c"), f.events, "the cache learns of the revocation once it committed")
	assert.Equal(t, identity.LoginAttempts{}, rec, "the right old password clears the failure count")
}

// TestChangePasswordLocksTheUserBeforeItsSessions pins the order inside the
// transaction: the user row (update and audit) first, the sessions second,
// as every other writer does, so two writers cannot deadlock.
func TestChangePasswordLocksTheUserBeforeItsSessions(t *testing.T) {
	f := newFixture(t)
	u := alice()
	f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
	f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hash-new", nil)
	f.userStore(&u)
	f.recordAudit(nil)
	f.sessions.EXPECT().Revoke(anyArg, anyArg).RunAndReturn(func(context.Context, ports.Revocation) ([]string, error) {
		assert.Equal(t, "hash-new", u.PasswordHash, "the user is updated before the sessions are revoked")
		assert.Equal(t, []string{audit.ActionPasswordChanged}, f.actions(), "the audit is recorded before the sessions are revoked")
		assert.Empty(t, f.events, "in the same transaction")
		return []string{"sess-b"}, nil
	}).Once()
	f.expectForget("sess-b")

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	require.NoError(t, err)
	assert.Equal(t, committedThenForgot("sess-b"), f.events)
}

// TestChangePasswordResetsFailuresBeforeHashing: the right old password
// clears the failure count and lockout history (as a login does), before
// the new password is hashed.
func TestChangePasswordResetsFailuresBeforeHashing(t *testing.T) {
	f := newFixture(t)
	u := alice()
	f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil)
	rec := identity.LoginAttempts{Username: "alice", Failures: 4, Lockouts: 2}
	f.attemptsOf("alice", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "old password").Return(true, nil)
	f.hasher.EXPECT().Hash(anyArg, "brand new pw").RunAndReturn(func(context.Context, string) (string, error) {
		assert.Equal(t, identity.LoginAttempts{Username: "alice"}, rec, "failures are reset before hashing")
		return "hash-new", nil
	}).Once()
	f.userStore(&u)
	f.recordAudit(nil)
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{}, nil).Once()

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	require.NoError(t, err)
	assert.Equal(t, identity.LoginAttempts{Username: "alice"}, rec)
}

// TestChangePasswordLockoutIsAudited: the wrong old password that starts a
// lockout records auth.lockout against the caller's user.
func TestChangePasswordLockoutIsAudited(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	rec := identity.LoginAttempts{Failures: cfg.Lockout.MaxFailures - 1}
	f.attemptsOf("alice", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, "hash-alice", "a wrong guess").Return(false, nil)
	f.recordAudit(nil)

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "a wrong guess", New: "brand new pw", Confirm: "brand new pw"})

	assertFault(t, err, fault.BadRequest, "The current password is incorrect")
	require.NotNil(t, rec.LockedUntil)
	require.Equal(t, []string{audit.ActionLockout}, f.actions())
	e := f.entries[0]
	assert.Equal(t, "user", e.Resource)
	assert.Equal(t, "10", e.ResourceID)
	require.NotNil(t, e.ActorID)
	assert.Equal(t, int64(10), *e.ActorID)
	assert.Equal(t, now, e.At)
	assert.Equal(t, origin.IP, e.IP)
}

func TestChangePasswordLockoutAuditFailure(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	rec := identity.LoginAttempts{Failures: cfg.Lockout.MaxFailures - 1}
	f.attemptsOf("alice", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(false, nil)
	f.recordAudit(errDB)

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "a wrong guess", New: "brand new pw", Confirm: "brand new pw"})

	assert.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), "audit lockout")
	assert.NotNil(t, rec.LockedUntil, "the lockout stands")
}

func TestChangePasswordWithNoOtherSessionTellsTheCacheNothing(t *testing.T) {
	f := newFixture(t)
	u := alice()
	f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil)
	var rec identity.LoginAttempts
	f.attemptsOf("alice", &rec).Times(2)
	f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
	f.hasher.EXPECT().Hash(anyArg, anyArg).Return("hash-new", nil)
	f.userStore(&u)
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{}, nil).Once()
	f.recordAudit(nil)
	// No cache expectation: the strict mock fails on any call.

	err := f.svc.ChangePassword(ctx, studentActor(), auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"})

	require.NoError(t, err)
	assert.Equal(t, []string{"commit"}, f.events)
}

func TestChangePasswordPortErrors(t *testing.T) {
	cmd := auth.ChangePasswordCommand{Old: "old password", New: "brand new pw", Confirm: "brand new pw"}
	// unlocked passes the lockout check; the next Attempts.Update (the
	// failure count or the reset) fails when secondFails.
	attempts := func(f *fixture, secondFails bool) {
		calls := 0
		f.attempts.EXPECT().Update(anyArg, "alice", anyArg).RunAndReturn(
			func(_ context.Context, _ string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error) {
				calls++
				if calls > 1 && secondFails {
					return identity.LoginAttempts{}, errDB
				}
				var rec identity.LoginAttempts
				return rec, fn(&rec)
			}).Times(2)
	}
	unlocked := func(f *fixture) { attempts(f, false) }
	secondFails := func(f *fixture) { attempts(f, true) }
	tests := []struct {
		name    string
		setup   func(f *fixture)
		wantMsg string
	}{
		{"load user", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(identity.User{}, errDB)
		}, "load user"},
		{"lockout check", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			f.attempts.EXPECT().Update(anyArg, "alice", anyArg).Return(identity.LoginAttempts{}, errDB).Once()
		}, "check lockout"},
		{"compare", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			f.attempts.EXPECT().Update(anyArg, "alice", anyArg).Return(identity.LoginAttempts{}, nil).Once()
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(false, errDB)
		}, "compare password"},
		{"count failure", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			secondFails(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(false, nil)
		}, "count failure"},
		{"reset failures", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			secondFails(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
			// No Hash expectation: the reset comes first.
		}, "reset failures"},
		{"hash", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			unlocked(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
			f.hasher.EXPECT().Hash(anyArg, anyArg).Return("", errDB)
		}, "hash password"},
		{"update", func(f *fixture) {
			f.users.EXPECT().Get(anyArg, anyArg).Return(alice(), nil)
			unlocked(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
			f.hasher.EXPECT().Hash(anyArg, anyArg).Return("h", nil)
			f.users.EXPECT().Update(anyArg, anyArg, anyArg).Return(identity.User{}, errDB)
			// No Revoke or audit expectation: the user comes first.
		}, ""},
		{"audit", func(f *fixture) {
			u := alice()
			f.users.EXPECT().Get(anyArg, anyArg).Return(u, nil)
			unlocked(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
			f.hasher.EXPECT().Hash(anyArg, anyArg).Return("h", nil)
			f.userStore(&u)
			f.recordAudit(errDB)
			// No Revoke expectation: the sessions come after the user.
		}, ""},
		{"revoke after update and audit", func(f *fixture) {
			u := alice()
			f.users.EXPECT().Get(anyArg, anyArg).Return(u, nil)
			unlocked(f)
			f.hasher.EXPECT().Compare(anyArg, anyArg, anyArg).Return(true, nil)
			f.hasher.EXPECT().Hash(anyArg, anyArg).Return("h", nil)
			f.userStore(&u)
			f.recordAudit(nil)
			f.sessions.EXPECT().Revoke(anyArg, anyArg).Return(nil, errDB)
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			// No cache expectation: a revocation that did not commit is
			// never announced to the session cache.
			err := f.svc.ChangePassword(ctx, studentActor(), cmd)
			assert.ErrorIs(t, err, errDB)
			assert.Contains(t, err.Error(), tt.wantMsg)
			assert.NotContains(t, f.events, "commit")
		})
	}
}

func TestUpdateProfile(t *testing.T) {
	t.Run("success audits before and after", func(t *testing.T) {
		f := newFixture(t)
		u := alice()
		f.userStore(&u)
		f.recordAudit(nil)
		out, err := f.svc.UpdateProfile(ctx, studentActor(), identity.ProfileChange{FullName: ptr(" Alice L ")})
		require.NoError(t, err)
		assert.Equal(t, "Alice L", out.FullName)
		assert.Equal(t, now, out.UpdatedAt)
		require.Equal(t, []string{audit.ActionUpdate}, f.actions())
		assert.Equal(t, "", f.entries[0].Before["full_name"])
		assert.Equal(t, "Alice L", f.entries[0].After["full_name"])
	})
	t.Run("email conflict", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Update(anyArg, int64(10), anyArg).Return(identity.User{}, fault.New(fault.Conflict, "unique violation"))
		_, err := f.svc.UpdateProfile(ctx, studentActor(), identity.ProfileChange{Email: ptr("taken@campus.edu")})
		assertFault(t, err, fault.Conflict, "Email is already registered")
	})
	t.Run("invalid email", func(t *testing.T) {
		f := newFixture(t)
		u := alice()
		f.userStore(&u)
		_, err := f.svc.UpdateProfile(ctx, studentActor(), identity.ProfileChange{Email: ptr("nope")})
		assert.Equal(t, []string{"email"}, fieldNames(t, err))
		assert.Equal(t, "alice@campus.edu", u.Email, "a rejected change is not saved")
	})
}

func TestProfile(t *testing.T) {
	f := newFixture(t)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
	u, err := f.svc.Profile(ctx, studentActor())
	require.NoError(t, err)
	assert.Equal(t, "alice", u.Username)
}

func TestSessionsMarksCurrent(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().ListActive(anyArg, int64(10), now).Return([]identity.Session{{ID: "sess-b"}, {ID: "sess-a"}}, nil)
	list, err := f.svc.Sessions(ctx, studentActor())
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.False(t, list[0].Current)
	assert.True(t, list[1].Current)

	f2 := newFixture(t)
	f2.sessions.EXPECT().ListActive(anyArg, anyArg, anyArg).Return(nil, errDB)
	_, err = f2.svc.Sessions(ctx, studentActor())
	assert.ErrorIs(t, err, errDB)
}

func TestDeleteSession(t *testing.T) {
	revoked := now.Add(-time.Minute)
	tests := []struct {
		name     string
		sess     identity.Session
		getErr   error
		wantKind fault.Kind
		wantErr  error
	}{
		{name: "own session", sess: identity.Session{ID: "sess-b", UserID: 10}},
		{name: "another user's session is not found", sess: identity.Session{ID: "sess-b", UserID: 11}, wantKind: fault.NotFound},
		{name: "already revoked", sess: identity.Session{ID: "sess-b", UserID: 10, RevokedAt: &revoked}, wantKind: fault.NotFound},
		{name: "missing", getErr: fault.New(fault.NotFound, "x"), wantKind: fault.NotFound},
		{name: "store failure", getErr: errDB, wantErr: errDB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.sessions.EXPECT().Get(anyArg, "sess-b").Return(tt.sess, tt.getErr)
			if tt.wantKind == 0 && tt.wantErr == nil {
				f.recordAudit(nil)
				f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{SessionID: "sess-b", At: now}).RunAndReturn(
					func(context.Context, ports.Revocation) ([]string, error) {
						assert.Equal(t, []string{audit.ActionSessionRevoked}, f.actions(), "audited before the revocation")
						return []string{"sess-b"}, nil
					}).Once()
				f.expectForget("sess-b")
			}
			err := f.svc.DeleteSession(ctx, studentActor(), "sess-b")
			switch {
			case tt.wantErr != nil:
				assert.ErrorIs(t, err, tt.wantErr)
			case tt.wantKind != 0:
				assertFault(t, err, tt.wantKind, "Session not found")
			default:
				require.NoError(t, err)
				assert.Equal(t, []string{audit.ActionSessionRevoked}, f.actions())
				assert.Equal(t, "sess-b", f.entries[0].ResourceID)
				assert.Equal(t, committedThenForgot("sess-b"), f.events)
			}
		})
	}
}

func TestDeleteSessionAuditFailureLeavesTheCacheAlone(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().Get(anyArg, "sess-b").Return(identity.Session{ID: "sess-b", UserID: 10}, nil)
	f.recordAudit(errDB)
	// No Revoke expectation: the audit comes first, so its failure ends the
	// transaction before any session is touched. No cache expectation either.

	err := f.svc.DeleteSession(ctx, studentActor(), "sess-b")

	assert.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.events)
}

func TestDeleteSessionRevokeFailureRollsBackTheAudit(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().Get(anyArg, "sess-b").Return(identity.Session{ID: "sess-b", UserID: 10}, nil)
	f.recordAudit(nil)
	f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{SessionID: "sess-b", At: now}).Return(nil, errDB).Once()
	// No cache expectation: nothing was revoked.

	err := f.svc.DeleteSession(ctx, studentActor(), "sess-b")

	assert.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{audit.ActionSessionRevoked}, f.actions(), "the audit ran first")
	assert.Equal(t, []string{"rollback"}, f.events, "and is rolled back with the revocation")
}

func TestUserSnapshotNeverHoldsTheHash(t *testing.T) {
	u := alice()
	m := auth.UserSnapshot(u)
	assert.Equal(t, map[string]any{"id": int64(10), "username": "alice", "email": "alice@campus.edu", "full_name": "",
		"role": "student", "is_active": true, "student_id": int64(3)}, m)
	u.StudentID = nil
	assert.Nil(t, auth.UserSnapshot(u)["student_id"])
}
