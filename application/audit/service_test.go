package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/audit"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/mocks"
)

var now = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func newService(t *testing.T) (*app.Service, *mocks.AuditLog) {
	log := mocks.NewAuditLog(t)
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	return app.NewService(log, clock), log
}

func TestListAdminsOnly(t *testing.T) {
	for _, role := range []identity.Role{identity.RoleGuest, identity.RoleStudent, identity.RoleStaff} {
		t.Run(string(role), func(t *testing.T) {
			svc, _ := newService(t)
			_, err := svc.List(context.Background(), identity.Actor{UserID: 1, Role: role}, audit.Filter{}, page.Request{Limit: 10})
			assert.ErrorIs(t, err, identity.ErrDenied)
		})
	}
	svc, log := newService(t)
	f := audit.Filter{Action: audit.ActionLogin}
	p := page.Request{Limit: 10}
	log.EXPECT().List(mock.Anything, f, p).Return(page.Result[audit.Entry]{Total: 4, Request: p}, nil)
	res, err := svc.List(context.Background(), identity.Actor{UserID: 1, Role: identity.RoleAdmin}, f, p)
	require.NoError(t, err)
	assert.Equal(t, 4, res.Total)

	_, err = svc.List(context.Background(), identity.Anonymous(identity.Origin{}), f, p)
	assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
}

func TestDenied(t *testing.T) {
	svc, log := newService(t)
	a := identity.Actor{UserID: 4, Role: identity.RoleStudent, Origin: identity.Origin{IP: "1.2.3.4", RequestID: "r"}}
	log.EXPECT().Record(mock.Anything, mock.MatchedBy(func(e audit.Entry) bool {
		return e.Action == audit.ActionPermissionDenied && e.Resource == "route" && e.ResourceID == "DELETE /api/v1/students/{id}" &&
			e.At.Equal(now) && e.ActorID != nil && *e.ActorID == 4 && e.IP == "1.2.3.4" && e.ActorRole == "student"
	})).Return(nil).Once()
	require.NoError(t, svc.Denied(context.Background(), a, "DELETE", "/api/v1/students/{id}"))
}
