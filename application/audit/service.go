// Package audit holds the audit trail use cases: reading it (admins) and
// recording what the HTTP edge sees but no use case does (permission denials).
package audit

import (
	"context"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Service reads and appends to the trail.
type Service struct {
	log   ports.AuditLog
	clock ports.Clock
}

// NewService builds the service.
func NewService(log ports.AuditLog, clock ports.Clock) *Service {
	return &Service{log: log, clock: clock}
}

// List pages through the trail, in id order. Admins only.
func (s *Service) List(ctx context.Context, a identity.Actor, f audit.Filter, p page.Request) (page.Result[audit.Entry], error) {
	if err := identity.RequireRole(a, identity.RoleAdmin); err != nil {
		return page.Result[audit.Entry]{}, err
	}
	return s.log.List(ctx, f, p)
}

// Denied records that a caller was refused access to route.
func (s *Service) Denied(ctx context.Context, a identity.Actor, method, route string) error {
	e := audit.By(a, s.clock.Now(), audit.ActionPermissionDenied, "route", method+" "+route)
	return s.log.Record(ctx, e)
}
