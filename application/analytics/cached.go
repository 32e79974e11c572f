package analytics

import (
	"context"

	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/identity"
)

// areas are what the attendance figures are computed from.
var areas = []freshness.Area{freshness.Attendance, freshness.Students}

// key is a query with the day it was asked on: an answer never outlives
// its day.
type key[Q any] struct {
	Today attendance.Date
	Query Q
}

// Trends answers GET /analytics/attendance/trends (VIEW_ANALYTICS), from
// the cache when it holds today's answer computed since the last change of
// attendance or students.
func (s *Service) Trends(ctx context.Context, a identity.Actor, q TrendsQuery) (Trends, error) {
	if _, err := identity.Can(a, identity.ViewAnalytics); err != nil {
		return Trends{}, err
	}
	return cached(ctx, s, "analytics.trends", key[TrendsQuery]{Today: s.today(), Query: q},
		func(ctx context.Context) (Trends, error) { return s.trends(ctx, a, q) })
}

// Low answers GET /analytics/attendance/low (VIEW_ANALYTICS), cached like Trends.
func (s *Service) Low(ctx context.Context, a identity.Actor, q LowQuery) (Low, error) {
	if _, err := identity.Can(a, identity.ViewAnalytics); err != nil {
		return Low{}, err
	}
	return cached(ctx, s, "analytics.low", key[LowQuery]{Today: s.today(), Query: q},
		func(ctx context.Context) (Low, error) { return s.low(ctx, a, q) })
}

func (s *Service) today() attendance.Date { _, to := s.window(1); return to }

func cached[T any](ctx context.Context, s *Service, name string, params any, compute func(context.Context) (T, error)) (T, error) {
	if s.d.Fresh == nil {
		return compute(ctx)
	}
	return freshness.Get(ctx, s.d.Fresh, name, params, areas, compute)
}
