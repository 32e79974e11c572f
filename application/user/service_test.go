package user_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/application/user"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
	admin  = identity.Actor{UserID: 1, Username: "admin", Role: identity.RoleAdmin, SessionID: "s1"}
)

func ptr[T any](v T) *T { return &v }

// refreshTTL is how long the session cache keeps a tombstone.
const refreshTTL = 7 * 24 * time.Hour

type fixture struct {
	users    *mocks.UserRepository
	students *mocks.StudentRepository
	sessions *mocks.SessionRepository
	audit    *mocks.AuditLog
	cache    *mocks.Cache
	svc      *user.Service
	stored   identity.User
	entries  []audit.Entry
	// events: "commit"/"rollback" per transaction, and "forget:<id>" per
	// session the cache was told about, in order.
	events []string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{users: mocks.NewUserRepository(t), students: mocks.NewStudentRepository(t),
		sessions: mocks.NewSessionRepository(t), audit: mocks.NewAuditLog(t), cache: mocks.NewCache(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.events = append(f.events, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	principals := auth.NewSessionCache(mocks.ValuesThroughBytes(f.cache), f.sessions, clock, auth.Config{RefreshTTL: refreshTTL})
	f.svc = user.NewService(f.users, f.students, f.sessions, principals, f.audit, tx, clock)
	f.stored = identity.User{ID: 5, Username: "bob", Email: "bob@campus.edu", Role: identity.RoleStaff, IsActive: true}
	return f
}

func (f *fixture) store() {
	f.users.EXPECT().Update(anyArg, f.stored.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*identity.User) error) (identity.User, error) {
			cp := f.stored
			if err := fn(&cp); err != nil {
				return identity.User{}, err
			}
			f.stored = cp
			return cp, nil
		})
}

func (f *fixture) recordAudit() {
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	})
}

// expectForget expects the session cache to be told, once per id, that the
// session was revoked: its tombstone written and its principal dropped.
func (f *fixture) expectForget(ids ...string) {
	for _, id := range ids {
		set := f.cache.EXPECT().Set(anyArg, "session:"+id+":revoked", []byte{1}, refreshTTL).
			RunAndReturn(func(context.Context, string, []byte, time.Duration) error {
				f.events = append(f.events, "forget:"+id)
				return nil
			}).Once()
		f.cache.EXPECT().Delete(anyArg, "session:"+id).Return(nil).Once().NotBefore(set)
	}
}

func committedThenForgot(ids ...string) []string {
	out := []string{"commit"}
	for _, id := range ids {
		out = append(out, "forget:"+id)
	}
	return out
}

func TestNonAdminsAreDenied(t *testing.T) {
	actors := map[string]struct {
		a    identity.Actor
		kind fault.Kind
	}{
		"anonymous": {identity.Anonymous(identity.Origin{}), fault.Unauthenticated},
		"guest":     {identity.Actor{UserID: 2, Role: identity.RoleGuest}, fault.Forbidden},
		"student":   {identity.Actor{UserID: 2, Role: identity.RoleStudent}, fault.Forbidden},
		"staff":     {identity.Actor{UserID: 2, Role: identity.RoleStaff}, fault.Forbidden},
	}
	for name, x := range actors {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t) // strict mocks: no repository call may happen
			_, err := f.svc.List(ctx, x.a, identity.UserFilter{}, page.Request{Limit: 10})
			assert.Equal(t, x.kind, fault.KindOf(err), "List")
			_, err = f.svc.Get(ctx, x.a, 5)
			assert.Equal(t, x.kind, fault.KindOf(err), "Get")
			_, err = f.svc.Update(ctx, x.a, 5, identity.AdminChange{Role: ptr(identity.RoleAdmin)})
			assert.Equal(t, x.kind, fault.KindOf(err), "Update")
			_, err = f.svc.RevokeSessions(ctx, x.a, 5)
			assert.Equal(t, x.kind, fault.KindOf(err), "RevokeSessions")
		})
	}
}

func TestListAndGet(t *testing.T) {
	f := newFixture(t)
	filter := identity.UserFilter{Query: "bo", Role: ptr(identity.RoleStaff)}
	p := page.Request{Limit: 10, Offset: 20}
	f.users.EXPECT().List(anyArg, filter, p).Return(page.Result[identity.User]{Items: []identity.User{f.stored}, Total: 21, Request: p}, nil)
	res, err := f.svc.List(ctx, admin, filter, p)
	require.NoError(t, err)
	assert.Equal(t, 21, res.Total)

	f.users.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil)
	u, err := f.svc.Get(ctx, admin, 5)
	require.NoError(t, err)
	assert.Equal(t, "bob", u.Username)
}

func TestAdminCannotDemoteOrDeactivateThemself(t *testing.T) {
	tests := []struct {
		name   string
		change identity.AdminChange
	}{
		{"demote to staff", identity.AdminChange{Role: ptr(identity.RoleStaff)}},
		{"demote to guest", identity.AdminChange{Role: ptr(identity.RoleGuest)}},
		{"deactivate", identity.AdminChange{IsActive: ptr(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Update(ctx, admin, admin.UserID, tt.change)
			require.Error(t, err)
			assert.Equal(t, fault.BadRequest, fault.KindOf(err))
			assert.EqualError(t, err, "You cannot demote or deactivate your own account")
		})
	}
}

func TestAdminMayKeepOwnRoleAndLinkSelf(t *testing.T) {
	f := newFixture(t)
	f.stored = identity.User{ID: admin.UserID, Role: identity.RoleAdmin, IsActive: true}
	f.store()
	f.recordAudit()
	_, err := f.svc.Update(ctx, admin, admin.UserID, identity.AdminChange{Role: ptr(identity.RoleAdmin), IsActive: ptr(true)})
	require.NoError(t, err)
	f.sessions.AssertNotCalled(t, "Revoke")
}

func TestUpdateRevokesOnRoleChangeOrDeactivation(t *testing.T) {
	tests := []struct {
		name       string
		change     identity.AdminChange
		wantRevoke bool
		check      func(t *testing.T, u identity.User)
	}{
		{"role change", identity.AdminChange{Role: ptr(identity.RoleStudent)}, true,
			func(t *testing.T, u identity.User) { assert.Equal(t, identity.RoleStudent, u.Role) }},
		{"deactivation", identity.AdminChange{IsActive: ptr(false)}, true,
			func(t *testing.T, u identity.User) { assert.False(t, u.IsActive) }},
		{"same role", identity.AdminChange{Role: ptr(identity.RoleStaff)}, false,
			func(t *testing.T, u identity.User) { assert.Equal(t, identity.RoleStaff, u.Role) }},
		{"unlink when not linked", identity.AdminChange{StudentID: ptr[*int64](nil)}, false,
			func(t *testing.T, u identity.User) { assert.Nil(t, u.StudentID) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.store()
			if tt.wantRevoke {
				f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{UserID: 5, At: now}).Return([]string{"a", "b", "c"}, nil).Once()
				f.expectForget("a", "b", "c")
			}
			f.recordAudit()

			u, err := f.svc.Update(ctx, admin, 5, tt.change)

			require.NoError(t, err)
			tt.check(t, u)
			if tt.wantRevoke {
				assert.Equal(t, committedThenForgot("a", "b", "c"), f.events, "the cache learns of the revocation once it committed")
			} else {
				assert.Equal(t, []string{"commit"}, f.events)
			}
			assert.Equal(t, now, u.UpdatedAt)
			require.Len(t, f.entries, 1)
			e := f.entries[0]
			assert.Equal(t, audit.ActionUpdate, e.Action)
			assert.Equal(t, "user", e.Resource)
			assert.Equal(t, "5", e.ResourceID)
			assert.Equal(t, "staff", e.Before["role"])
			assert.Equal(t, string(u.Role), e.After["role"])
			assert.Equal(t, u.IsActive, e.After["is_active"])
		})
	}
}

func TestUpdateLinksStudent(t *testing.T) {
	f := newFixture(t)
	f.students.EXPECT().Get(anyArg, int64(12)).Return(student.Student{ID: 12}, nil)
	f.store()
	f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{UserID: 5, At: now}).Return([]string{"s9"}, nil).Once()
	f.expectForget("s9")
	f.recordAudit()
	u, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{StudentID: ptr(ptr[int64](12))})
	require.NoError(t, err)
	require.NotNil(t, u.StudentID)
	assert.Equal(t, int64(12), *u.StudentID)
	assert.Equal(t, int64(12), f.entries[0].After["student_id"])
	assert.Equal(t, committedThenForgot("s9"), f.events)
}

// TestUpdateStudentLinkRevokes: what a student account may see follows its
// link, so changing the link ends the account's sessions; setting the same
// link does not.
func TestUpdateStudentLinkRevokes(t *testing.T) {
	tests := []struct {
		name       string
		from       *int64
		to         *int64
		wantRevoke bool
	}{
		{"link", nil, ptr[int64](12), true},
		{"unlink", ptr[int64](3), nil, true},
		{"relink to another record", ptr[int64](3), ptr[int64](12), true},
		{"same link", ptr[int64](3), ptr[int64](3), false},
		{"still unlinked", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.stored.Role, f.stored.StudentID = identity.RoleStudent, tt.from
			if tt.to != nil {
				f.students.EXPECT().Get(anyArg, *tt.to).Return(student.Student{ID: *tt.to}, nil).Once()
			}
			f.store()
			if tt.wantRevoke {
				f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{UserID: 5, At: now}).Return([]string{"s1", "s2"}, nil).Once()
				f.expectForget("s1", "s2")
			}
			f.recordAudit()

			u, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{StudentID: &tt.to})

			require.NoError(t, err)
			assert.Equal(t, tt.to, u.StudentID)
			if tt.wantRevoke {
				assert.Equal(t, committedThenForgot("s1", "s2"), f.events)
			} else {
				assert.Equal(t, []string{"commit"}, f.events)
			}
		})
	}
}

func TestUpdateRevokingNothingTellsTheCacheNothing(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{}, nil).Once()
	f.recordAudit()
	// No cache expectation: the strict mock fails on any call.
	_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{IsActive: ptr(false)})
	require.NoError(t, err)
}

// TestUpdateFailureAfterRevokeLeavesTheCacheAlone: the revocation rolled
// back with the transaction, so the cache must not hear of it.
func TestUpdateFailureAfterRevokeLeavesTheCacheAlone(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{"s1"}, nil).Once()
	f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
	// No cache expectation.

	_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{IsActive: ptr(false)})

	assert.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.events)
}

func TestUpdateUnknownStudentIsInvalid(t *testing.T) {
	f := newFixture(t)
	f.students.EXPECT().Get(anyArg, int64(404)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found"))

	_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{StudentID: ptr(ptr[int64](404))})

	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fault.Invalid, fe.Kind)
	assert.Equal(t, []fault.FieldError{{Field: "student_id", Message: "no such student"}}, fe.Fields)
	f.users.AssertNotCalled(t, "Update")
}

func TestUpdateErrors(t *testing.T) {
	t.Run("student lookup failure", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, anyArg).Return(student.Student{}, errDB)
		_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{StudentID: ptr(ptr[int64](1))})
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("link already taken", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, anyArg).Return(student.Student{ID: 1}, nil)
		f.users.EXPECT().Update(anyArg, anyArg, anyArg).Return(identity.User{}, fault.New(fault.Conflict, "unique"))
		_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{StudentID: ptr(ptr[int64](1))})
		require.Error(t, err)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.EqualError(t, err, "That student record is already linked to another account")
	})
	t.Run("invalid role", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{Role: ptr(identity.Role("root"))})
		assert.ErrorIs(t, err, fault.ErrInvalid)
		assert.Equal(t, identity.RoleStaff, f.stored.Role)
	})
	t.Run("missing user", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Update(anyArg, int64(9), anyArg).Return(identity.User{}, fault.New(fault.NotFound, "User not found"))
		_, err := f.svc.Update(ctx, admin, 9, identity.AdminChange{IsActive: ptr(false)})
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("revoke failure", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		f.sessions.EXPECT().Revoke(anyArg, anyArg).Return(nil, errDB)
		_, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{IsActive: ptr(false)})
		assert.ErrorIs(t, err, errDB)
	})
}

func TestRevokeSessions(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil)
		f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{UserID: 5, At: now}).Return([]string{"a", "b", "c"}, nil).Once()
		f.recordAudit()
		f.expectForget("a", "b", "c")
		n, err := f.svc.RevokeSessions(ctx, admin, 5)
		require.NoError(t, err)
		assert.Equal(t, 3, n)
		require.Len(t, f.entries, 1)
		assert.Equal(t, audit.ActionSessionRevoked, f.entries[0].Action)
		assert.Equal(t, map[string]any{"sessions_revoked": 3}, f.entries[0].After)
		assert.Equal(t, committedThenForgot("a", "b", "c"), f.events, "the cache learns of the revocation once it committed")
	})
	t.Run("nothing to revoke", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil)
		f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{}, nil).Once()
		f.recordAudit()
		// No cache expectation.
		n, err := f.svc.RevokeSessions(ctx, admin, 5)
		require.NoError(t, err)
		assert.Zero(t, n)
		assert.Equal(t, map[string]any{"sessions_revoked": 0}, f.entries[0].After)
	})
	t.Run("audit failure", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil)
		f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{"a"}, nil).Once()
		f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
		// No cache expectation: the revocation rolled back.
		n, err := f.svc.RevokeSessions(ctx, admin, 5)
		assert.ErrorIs(t, err, errDB)
		assert.Zero(t, n)
		assert.Equal(t, []string{"rollback"}, f.events)
	})
	t.Run("unknown user", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(anyArg, int64(9)).Return(identity.User{}, fault.New(fault.NotFound, "User not found"))
		_, err := f.svc.RevokeSessions(ctx, admin, 9)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("revoke failure", func(t *testing.T) {
		f := newFixture(t)
		f.users.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil)
		f.sessions.EXPECT().Revoke(anyArg, anyArg).Return(nil, errDB)
		_, err := f.svc.RevokeSessions(ctx, admin, 5)
		assert.ErrorIs(t, err, errDB)
	})
}

// TestUpdateDepartment: a department is set and cleared without revoking
// anything (what the account may see is unchanged), and the audit entry
// shows it before and after.
func TestUpdateDepartment(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.recordAudit()
	cs := ptr(" Computer Science ")
	u, err := f.svc.Update(ctx, admin, 5, identity.AdminChange{Department: &cs})
	require.NoError(t, err)
	require.NotNil(t, u.Department)
	assert.Equal(t, "Computer Science", *u.Department)
	assert.Equal(t, []string{"commit"}, f.events, "no revocation")
	require.Len(t, f.entries, 1)
	assert.Nil(t, f.entries[0].Before["department"])
	assert.Equal(t, "Computer Science", f.entries[0].After["department"])

	var none *string
	u, err = f.svc.Update(ctx, admin, 5, identity.AdminChange{Department: &none})
	require.NoError(t, err)
	assert.Nil(t, u.Department)
	assert.Equal(t, "Computer Science", f.entries[1].Before["department"])
	assert.Nil(t, f.entries[1].After["department"])

	long := ptr(strings.Repeat("x", 101))
	_, err = f.svc.Update(ctx, admin, 5, identity.AdminChange{Department: &long})
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
	assert.Len(t, f.entries, 2)
}
