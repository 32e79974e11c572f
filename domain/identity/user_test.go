package identity_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind)
	out := make([]string, 0, len(fe.Fields))
	for _, f := range fe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestNewUser(t *testing.T) {
	tests := []struct {
		name       string
		username   string
		email      string
		fullName   string
		role       identity.Role
		wantFields []string
	}{
		{"ok", "alice", "alice@campus.edu", "Alice", identity.RoleStudent, nil},
		{"username chars allowed", "a.b_c-9", "a@b.io", "", identity.RoleGuest, nil},
		{"username too short", "ab", "a@b.io", "", identity.RoleStudent, []string{"username"}},
		{"username 3 ok", "abc", "a@b.io", "", identity.RoleStudent, nil},
		{"username 50 ok", strings.Repeat("a", 50), "a@b.io", "", identity.RoleStudent, nil},
		{"username 51", strings.Repeat("a", 51), "a@b.io", "", identity.RoleStudent, []string{"username"}},
		{"username space inside", "al ice", "a@b.io", "", identity.RoleStudent, []string{"username"}},
		{"username non-ascii", "alicé", "a@b.io", "", identity.RoleStudent, []string{"username"}},
		{"empty username", "", "a@b.io", "", identity.RoleStudent, []string{"username", "username"}},
		{"email missing", "alice", "", "", identity.RoleStudent, []string{"email"}},
		{"email without dot in domain", "alice", "alice@localhost", "", identity.RoleStudent, []string{"email"}},
		{"email with display name", "alice", "Alice <alice@b.io>", "", identity.RoleStudent, []string{"email"}},
		{"full name 200", "alice", "a@b.io", strings.Repeat("x", 200), identity.RoleStudent, nil},
		{"full name 201", "alice", "a@b.io", strings.Repeat("x", 201), identity.RoleStudent, []string{"full_name"}},
		{"bad role", "alice", "a@b.io", "", "root", []string{"role"}},
		{"everything wrong", "a", "nope", strings.Repeat("x", 201), "", []string{"username", "email", "full_name", "role"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := identity.NewUser(tt.username, tt.email, tt.fullName, tt.role)
			if tt.wantFields == nil {
				require.NoError(t, err)
				assert.True(t, u.IsActive)
				assert.Equal(t, tt.role, u.Role)
				return
			}
			assert.Equal(t, tt.wantFields, fieldsOf(t, err))
		})
	}
}

func TestNewUserTrimsAndLowercasesEmail(t *testing.T) {
	u, err := identity.NewUser("  alice  ", "  Alice@Campus.EDU ", "  Alice Smith ", identity.RoleStaff)
	require.NoError(t, err)
	assert.Equal(t, "alice", u.Username)
	assert.Equal(t, "alice@campus.edu", u.Email)
	assert.Equal(t, "Alice Smith", u.FullName)
	assert.True(t, u.IsActive)
	assert.Empty(t, u.PasswordHash)
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"a@b.io": true, "first.last@campus.edu": true, "a@b": false, "": false, "a": false,
		"<a@b.io>": false, "a b@c.io": false, "a@b.io ": false,
		"o'neil+tag@campus.edu": true, "a..b@c.io": false, ".a@c.io": false, "a.@c.io": false,
		"a@-b.io": false, "a@b-.io": false, "a@b..io": false, "a@@b.io": false, "Ädam@x.io": false,
		`"Bob" <bob@x.io>`: false, "bob@x.io, eve@y.io": false, "a@xn--bcher-kva.example": true,
	} {
		assert.Equal(t, want, identity.ValidEmail(s), s)
	}
}

func TestProfileApply(t *testing.T) {
	base := identity.User{FullName: "Old", Email: "old@b.io"}
	tests := []struct {
		name       string
		change     identity.ProfileChange
		wantName   string
		wantEmail  string
		wantFields []string
	}{
		{"nothing", identity.ProfileChange{}, "Old", "old@b.io", nil},
		{"name trimmed", identity.ProfileChange{FullName: ptr("  New  ")}, "New", "old@b.io", nil},
		{"email normalised", identity.ProfileChange{Email: ptr(" New@B.IO ")}, "Old", "new@b.io", nil},
		{"bad email", identity.ProfileChange{Email: ptr("nope")}, "", "", []string{"email"}},
		{"long name", identity.ProfileChange{FullName: ptr(strings.Repeat("x", 201))}, "", "", []string{"full_name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := base
			err := u.Apply(tt.change)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantName, u.FullName)
			assert.Equal(t, tt.wantEmail, u.Email)
		})
	}
}

func TestApplyAdmin(t *testing.T) {
	sid := int64(9)
	tests := []struct {
		name       string
		start      identity.User
		change     identity.AdminChange
		wantRevoke bool
		wantErr    bool
		check      func(t *testing.T, u identity.User)
	}{
		{name: "no change", start: identity.User{Role: identity.RoleStaff, IsActive: true}},
		{name: "same role does not revoke", start: identity.User{Role: identity.RoleStaff, IsActive: true},
			change: identity.AdminChange{Role: ptr(identity.RoleStaff)}},
		{name: "role change revokes", start: identity.User{Role: identity.RoleStaff, IsActive: true},
			change: identity.AdminChange{Role: ptr(identity.RoleStudent)}, wantRevoke: true,
			check: func(t *testing.T, u identity.User) { assert.Equal(t, identity.RoleStudent, u.Role) }},
		{name: "promotion revokes too", start: identity.User{Role: identity.RoleStudent, IsActive: true},
			change: identity.AdminChange{Role: ptr(identity.RoleAdmin)}, wantRevoke: true},
		{name: "invalid role", start: identity.User{Role: identity.RoleStaff, IsActive: true},
			change: identity.AdminChange{Role: ptr(identity.Role("root"))}, wantErr: true,
			check: func(t *testing.T, u identity.User) { assert.Equal(t, identity.RoleStaff, u.Role) }},
		{name: "deactivation revokes", start: identity.User{Role: identity.RoleStaff, IsActive: true},
			change: identity.AdminChange{IsActive: ptr(false)}, wantRevoke: true,
			check: func(t *testing.T, u identity.User) { assert.False(t, u.IsActive) }},
		{name: "deactivating an inactive user does not revoke", start: identity.User{Role: identity.RoleStaff},
			change: identity.AdminChange{IsActive: ptr(false)}},
		{name: "activation does not revoke", start: identity.User{Role: identity.RoleStaff},
			change: identity.AdminChange{IsActive: ptr(true)},
			check:  func(t *testing.T, u identity.User) { assert.True(t, u.IsActive) }},
		// The student link decides which record a student account may see,
		// so changing it revokes; setting it to what it is does not.
		{name: "link student revokes", start: identity.User{Role: identity.RoleStudent, IsActive: true},
			change: identity.AdminChange{StudentID: ptr(&sid)}, wantRevoke: true,
			check: func(t *testing.T, u identity.User) {
				require.NotNil(t, u.StudentID)
				assert.Equal(t, sid, *u.StudentID)
			}},
		{name: "unlink student revokes", start: identity.User{Role: identity.RoleStudent, IsActive: true, StudentID: &sid},
			change: identity.AdminChange{StudentID: ptr[*int64](nil)}, wantRevoke: true,
			check: func(t *testing.T, u identity.User) { assert.Nil(t, u.StudentID) }},
		{name: "relink to another student revokes", start: identity.User{Role: identity.RoleStudent, IsActive: true, StudentID: &sid},
			change: identity.AdminChange{StudentID: ptr(ptr[int64](10))}, wantRevoke: true,
			check: func(t *testing.T, u identity.User) {
				require.NotNil(t, u.StudentID)
				assert.Equal(t, int64(10), *u.StudentID)
			}},
		{name: "same link through another pointer does not revoke", start: identity.User{Role: identity.RoleStudent, IsActive: true, StudentID: &sid},
			change: identity.AdminChange{StudentID: ptr(ptr[int64](9))},
			check: func(t *testing.T, u identity.User) {
				require.NotNil(t, u.StudentID)
				assert.Equal(t, sid, *u.StudentID)
			}},
		{name: "unlinking an unlinked user does not revoke", start: identity.User{Role: identity.RoleStudent, IsActive: true},
			change: identity.AdminChange{StudentID: ptr[*int64](nil)},
			check:  func(t *testing.T, u identity.User) { assert.Nil(t, u.StudentID) }},
		{name: "no link change leaves the link", start: identity.User{Role: identity.RoleStudent, IsActive: true, StudentID: &sid},
			change: identity.AdminChange{IsActive: ptr(true)},
			check: func(t *testing.T, u identity.User) {
				require.NotNil(t, u.StudentID)
				assert.Equal(t, sid, *u.StudentID)
			}},
		{name: "same role and same link do not revoke", start: identity.User{Role: identity.RoleStudent, IsActive: true, StudentID: &sid},
			change: identity.AdminChange{Role: ptr(identity.RoleStudent), IsActive: ptr(true), StudentID: ptr(ptr[int64](9))}},
		{name: "same role but new link revokes", start: identity.User{Role: identity.RoleStudent, IsActive: true},
			change: identity.AdminChange{Role: ptr(identity.RoleStudent), StudentID: ptr(&sid)}, wantRevoke: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.start
			revoke, err := u.ApplyAdmin(tt.change)
			if tt.wantErr {
				assert.ErrorIs(t, err, fault.ErrInvalid)
				assert.False(t, revoke)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantRevoke, revoke)
			}
			if tt.check != nil {
				tt.check(t, u)
			}
		})
	}
}

func TestSessionActive(t *testing.T) {
	exp := t0.Add(time.Hour)
	revoked := t0
	assert.True(t, identity.Session{ExpiresAt: exp}.Active(t0))
	assert.False(t, identity.Session{ExpiresAt: exp}.Active(exp), "expired exactly at expires_at")
	assert.False(t, identity.Session{ExpiresAt: exp, RevokedAt: &revoked}.Active(t0))
}

func TestApplyAdminDepartment(t *testing.T) {
	cs := "Computer Science"
	tests := []struct {
		name    string
		start   *string
		set     *string
		want    *string
		wantErr bool
	}{
		{name: "set, trimmed", set: ptr("  Computer Science "), want: &cs},
		{name: "replace", start: ptr("Physics"), set: ptr("Computer Science"), want: &cs},
		{name: "null clears", start: &cs, set: nil, want: nil},
		{name: "blank clears", start: &cs, set: ptr("   "), want: nil},
		{name: "100 characters", set: ptr(strings.Repeat("é", 100)), want: ptr(strings.Repeat("é", 100))},
		{name: "too long", start: &cs, set: ptr(strings.Repeat("é", 101)), want: &cs, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := identity.User{Role: identity.RoleStaff, IsActive: true, Department: tt.start}
			set := tt.set
			revoke, err := u.ApplyAdmin(identity.AdminChange{Department: &set, Role: ptr(identity.RoleAdmin)})
			assert.Equal(t, tt.want, u.Department)
			if tt.wantErr {
				var fe *fault.Error
				require.ErrorAs(t, err, &fe)
				assert.Equal(t, "department", fe.Fields[0].Field)
				assert.Equal(t, identity.RoleStaff, u.Role, "a refused change changes nothing")
				return
			}
			require.NoError(t, err)
			assert.True(t, revoke, "the role change revokes")
		})
	}
	u := identity.User{Role: identity.RoleStaff, IsActive: true}
	set := &cs
	revoke, err := u.ApplyAdmin(identity.AdminChange{Department: &set})
	require.NoError(t, err)
	assert.False(t, revoke, "a department change alone revokes nothing")
	u.Department = &cs
	revoke, err = u.ApplyAdmin(identity.AdminChange{IsActive: ptr(true)})
	require.NoError(t, err)
	assert.False(t, revoke)
	assert.Equal(t, &cs, u.Department, "no department in the change leaves it")
}
