package audit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/identity"
)

func TestBy(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	o := identity.Origin{IP: "10.1.2.3", UserAgent: "ua", RequestID: "req-1"}
	tests := []struct {
		name     string
		actor    identity.Actor
		wantID   *int64
		wantRole string
	}{
		{"authenticated", identity.Actor{UserID: 7, Role: identity.RoleStaff, Origin: o}, func() *int64 { v := int64(7); return &v }(), "staff"},
		{"anonymous has no actor id", identity.Anonymous(o), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := audit.By(tt.actor, at, audit.ActionUpdate, "student", "12")
			assert.Equal(t, tt.wantID, e.ActorID)
			assert.Equal(t, tt.wantRole, e.ActorRole)
			assert.Equal(t, at, e.At)
			assert.Equal(t, "update", e.Action)
			assert.Equal(t, "student", e.Resource)
			assert.Equal(t, "12", e.ResourceID)
			assert.Equal(t, "10.1.2.3", e.IP)
			assert.Equal(t, "req-1", e.RequestID)
			assert.Nil(t, e.Before)
			assert.Nil(t, e.After)
		})
	}
}

func TestByCopiesTheActorID(t *testing.T) {
	a := identity.Actor{UserID: 7}
	e := audit.By(a, time.Time{}, audit.ActionLogin, "user", "7")
	require.NotNil(t, e.ActorID)
	a.UserID = 8
	assert.Equal(t, int64(7), *e.ActorID)
}

func TestChange(t *testing.T) {
	e := audit.By(identity.Actor{UserID: 1}, time.Time{}, audit.ActionUpdate, "student", "1")
	before := map[string]any{"name": "a"}
	after := map[string]any{"name": "b"}
	c := e.Change(before, after)
	assert.Equal(t, before, c.Before)
	assert.Equal(t, after, c.After)
	assert.Nil(t, e.Before, "Change returns a copy and leaves the original alone")
}
