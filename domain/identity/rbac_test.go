package identity_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

// contract is api.md §2 written out again, by hand, independently of the
// matrix in rbac.go: columns admin, staff, student, guest.
var contract = []struct {
	perm                         string
	admin, staff, student, guest identity.Scope
}{
	{"VIEW_STUDENT", identity.All, identity.All, identity.Own, identity.None},
	{"CREATE_STUDENT", identity.All, identity.All, identity.None, identity.None},
	{"UPDATE_STUDENT", identity.All, identity.All, identity.None, identity.None},
	{"DELETE_STUDENT", identity.All, identity.None, identity.None, identity.None},
	{"MARK_ATTENDANCE", identity.All, identity.All, identity.None, identity.None},
	{"VIEW_ATTENDANCE", identity.All, identity.All, identity.Own, identity.None},
	{"EDIT_ATTENDANCE", identity.All, identity.All, identity.None, identity.None},
	{"FILE_COMPLAINT", identity.All, identity.All, identity.Own, identity.None},
	{"VIEW_COMPLAINT", identity.All, identity.All, identity.Own, identity.None},
	{"RESOLVE_COMPLAINT", identity.All, identity.All, identity.None, identity.None},
	{"SCHEDULE_MANAGEMENT", identity.All, identity.All, identity.None, identity.None},
	{"RISK_ASSESSMENT", identity.All, identity.All, identity.None, identity.None},
	{"VIEW_ANALYTICS", identity.All, identity.All, identity.None, identity.None},
	{"EXPORT_ANALYTICS", identity.All, identity.All, identity.None, identity.None},
	{"MANAGE_AGENTS", identity.All, identity.None, identity.None, identity.None},
	{"VIEW_AGENTS", identity.All, identity.All, identity.None, identity.None},
	{"CREATE_CLUB", identity.All, identity.All, identity.None, identity.None},
	{"MANAGE_CLUBS", identity.All, identity.All, identity.None, identity.None},
	{"VIEW_REPORTS", identity.All, identity.All, identity.All, identity.All},
}

func TestMatrixMatchesContract(t *testing.T) {
	for _, row := range contract {
		p := identity.Permission(row.perm)
		want := map[identity.Role]identity.Scope{
			"admin": row.admin, "staff": row.staff, "student": row.student, "guest": row.guest,
		}
		for role, scope := range want {
			t.Run(row.perm+"/"+string(role), func(t *testing.T) {
				assert.Equal(t, scope.String(), identity.ScopeOf(role, p).String())
			})
		}
		t.Run(row.perm+"/unknown role", func(t *testing.T) {
			assert.Equal(t, identity.None, identity.ScopeOf("janitor", p))
			assert.Equal(t, identity.None, identity.ScopeOf("", p))
		})
	}
}

func TestPermissionsListsExactlyTheContract(t *testing.T) {
	var want []identity.Permission
	for _, row := range contract {
		want = append(want, identity.Permission(row.perm))
	}
	got := identity.Permissions()
	assert.ElementsMatch(t, want, got)
	assert.IsNonDecreasing(t, got, "stable alphabetical order")
	assert.Equal(t, identity.None, identity.ScopeOf(identity.RoleAdmin, "NOT_A_PERMISSION"), "anything not listed is denied")
}

func TestGrantedAndMatrix(t *testing.T) {
	for _, role := range identity.Roles {
		t.Run(string(role), func(t *testing.T) {
			var want []identity.Permission
			var wantGrants []identity.Grant
			for _, row := range contract {
				s := map[identity.Role]identity.Scope{"admin": row.admin, "staff": row.staff, "student": row.student, "guest": row.guest}[role]
				if s != identity.None {
					want = append(want, identity.Permission(row.perm))
					wantGrants = append(wantGrants, identity.Grant{Permission: identity.Permission(row.perm), Scope: s})
				}
			}
			assert.ElementsMatch(t, want, identity.Granted(role))
			assert.ElementsMatch(t, wantGrants, identity.Matrix()[role])
		})
	}
	assert.Len(t, identity.Granted(identity.RoleGuest), 1)
	assert.Len(t, identity.Granted(identity.RoleAdmin), len(contract))
	assert.Empty(t, identity.Granted("nobody"))
}

func TestScopeString(t *testing.T) {
	assert.Equal(t, "none", identity.None.String())
	assert.Equal(t, "own", identity.Own.String())
	assert.Equal(t, "all", identity.All.String())
}

func TestRoleLevels(t *testing.T) {
	tests := []struct {
		role  identity.Role
		level int
		valid bool
		self  bool
	}{
		{identity.RoleGuest, 0, true, true},
		{identity.RoleStudent, 1, true, true},
		{identity.RoleStaff, 2, true, false},
		{identity.RoleAdmin, 3, true, false},
		{"ADMIN", -1, false, false}, // Role values are canonical lower case; ParseRole normalises.
		{"", -1, false, false},
		{"root", -1, false, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.role), func(t *testing.T) {
			assert.Equal(t, tt.level, tt.role.Level())
			assert.Equal(t, tt.valid, tt.role.Valid())
			assert.Equal(t, tt.self, tt.role.SelfService())
		})
	}
	assert.Equal(t, []identity.Role{"guest", "student", "staff", "admin"}, identity.Roles)
}

func TestRoleAtLeast(t *testing.T) {
	order := []identity.Role{"guest", "student", "staff", "admin"}
	for i, r := range order {
		for j, min := range order {
			t.Run(string(r)+">="+string(min), func(t *testing.T) {
				assert.Equal(t, i >= j, r.AtLeast(min))
			})
		}
		assert.False(t, identity.Role("bogus").AtLeast(r), "an unknown role is below every role")
	}
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		in      string
		want    identity.Role
		wantErr bool
	}{
		{"admin", identity.RoleAdmin, false},
		{"ADMIN", identity.RoleAdmin, false},
		{"Staff", identity.RoleStaff, false},
		{"  student ", identity.RoleStudent, false},
		{"gUeSt", identity.RoleGuest, false},
		{"", "", true},
		{"superuser", "", true},
		{"admins", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := identity.ParseRole(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.ErrorIs(t, err, fault.ErrInvalid)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
