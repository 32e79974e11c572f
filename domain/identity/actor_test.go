package identity_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

func ptr[T any](v T) *T { return &v }

func actor(role identity.Role, studentID *int64) identity.Actor {
	return identity.Actor{UserID: 42, Username: "u", Role: role, StudentID: studentID, SessionID: "s"}
}

func TestAnonymous(t *testing.T) {
	o := identity.Origin{IP: "10.0.0.1", UserAgent: "ua", RequestID: "r"}
	a := identity.Anonymous(o)
	assert.False(t, a.Authenticated())
	assert.Equal(t, o, a.Origin)
	assert.Empty(t, a.Role)
	assert.True(t, actor(identity.RoleGuest, nil).Authenticated())
}

func TestCan(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		perm     identity.Permission
		want     identity.Scope
		wantKind fault.Kind
	}{
		{"anonymous is unauthenticated", identity.Anonymous(identity.Origin{}), identity.ViewReports, identity.None, fault.Unauthenticated},
		{"admin all", actor(identity.RoleAdmin, nil), identity.DeleteStudent, identity.All, 0},
		{"staff denied delete", actor(identity.RoleStaff, nil), identity.DeleteStudent, identity.None, fault.Forbidden},
		{"student own", actor(identity.RoleStudent, ptr[int64](1)), identity.ViewStudent, identity.Own, 0},
		{"student denied create", actor(identity.RoleStudent, nil), identity.CreateStudent, identity.None, fault.Forbidden},
		{"guest reports", actor(identity.RoleGuest, nil), identity.ViewReports, identity.All, 0},
		{"guest denied view", actor(identity.RoleGuest, nil), identity.ViewStudent, identity.None, fault.Forbidden},
		{"unknown role denied", actor("janitor", nil), identity.ViewReports, identity.None, fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := identity.Can(tt.actor, tt.perm)
			assert.Equal(t, tt.want, got)
			if tt.wantKind == 0 {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantKind, fault.KindOf(err))
			if tt.wantKind == fault.Forbidden {
				assert.ErrorIs(t, err, identity.ErrDenied)
				assert.EqualError(t, err, "Insufficient permissions")
			} else {
				assert.EqualError(t, err, "Not authenticated")
			}
		})
	}
}

func TestRequireRole(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		min      identity.Role
		wantKind fault.Kind
	}{
		{"anonymous", identity.Anonymous(identity.Origin{}), identity.RoleGuest, fault.Unauthenticated},
		{"admin for admin", actor(identity.RoleAdmin, nil), identity.RoleAdmin, 0},
		{"admin for staff", actor(identity.RoleAdmin, nil), identity.RoleStaff, 0},
		{"staff for staff", actor(identity.RoleStaff, nil), identity.RoleStaff, 0},
		{"staff for admin", actor(identity.RoleStaff, nil), identity.RoleAdmin, fault.Forbidden},
		{"student for staff", actor(identity.RoleStudent, nil), identity.RoleStaff, fault.Forbidden},
		{"guest for guest", actor(identity.RoleGuest, nil), identity.RoleGuest, 0},
		{"guest for student", actor(identity.RoleGuest, nil), identity.RoleStudent, fault.Forbidden},
		{"empty role for guest", actor("", nil), identity.RoleGuest, fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.RequireRole(tt.actor, tt.min)
			if tt.wantKind == 0 {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, tt.wantKind, fault.KindOf(err))
		})
	}
}

func TestOwnsStudent(t *testing.T) {
	assert.True(t, actor(identity.RoleStudent, ptr[int64](5)).OwnsStudent(5))
	assert.False(t, actor(identity.RoleStudent, ptr[int64](5)).OwnsStudent(6))
	assert.False(t, actor(identity.RoleStudent, nil).OwnsStudent(0))
}

func TestCanSeeStudent(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		perm     identity.Permission
		id       int64
		wantKind fault.Kind
	}{
		{"anonymous", identity.Anonymous(identity.Origin{}), identity.ViewStudent, 1, fault.Unauthenticated},
		{"staff any record", actor(identity.RoleStaff, nil), identity.ViewStudent, 99, 0},
		{"admin any record", actor(identity.RoleAdmin, nil), identity.ViewAttendance, 99, 0},
		{"student own record", actor(identity.RoleStudent, ptr[int64](7)), identity.ViewStudent, 7, 0},
		{"student other record is not found", actor(identity.RoleStudent, ptr[int64](7)), identity.ViewStudent, 8, fault.NotFound},
		{"student without link is not found", actor(identity.RoleStudent, nil), identity.ViewComplaint, 7, fault.NotFound},
		{"student without permission", actor(identity.RoleStudent, ptr[int64](7)), identity.RiskAssessment, 7, fault.Forbidden},
		{"guest", actor(identity.RoleGuest, nil), identity.ViewStudent, 7, fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := identity.CanSeeStudent(tt.actor, tt.perm, tt.id)
			if tt.wantKind == 0 {
				assert.NoError(t, err)
				return
			}
			assert.Equal(t, tt.wantKind, fault.KindOf(err), "err=%v", err)
		})
	}
}
