package reports

import (
	"context"

	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/identity"
)

// The use cases answer from the cache when it holds the answer for the
// same parameters (a window's end resolved to a date, so an answer never
// outlives its day) computed since the last change of its areas. The
// caller's permission is checked before the cache is.

// ComplaintHeatmap counts the complaints created in the window per local
// weekday and hour.
func (s *Service) ComplaintHeatmap(ctx context.Context, a identity.Actor, q HeatmapQuery) (Heatmap, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Heatmap{}, err
	}
	q.To = s.endDay(q.To)
	return cached(ctx, s, "reports.heatmap", q, []freshness.Area{freshness.Complaints},
		func(ctx context.Context) (Heatmap, error) { return s.complaintHeatmap(ctx, a, q) })
}

// ComplaintTrends counts complaints per ISO week in the campus zone.
func (s *Service) ComplaintTrends(ctx context.Context, a identity.Actor, q TrendsQuery) (Trends, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Trends{}, err
	}
	q.To = s.endDay(q.To)
	return cached(ctx, s, "reports.trends", q, []freshness.Area{freshness.Complaints},
		func(ctx context.Context) (Trends, error) { return s.complaintTrends(ctx, a, q) })
}

// RiskDistribution counts the risk records and ranks the students.
func (s *Service) RiskDistribution(ctx context.Context, a identity.Actor) (Distribution, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Distribution{}, err
	}
	return cached(ctx, s, "reports.risks", nil, []freshness.Area{freshness.Risks, freshness.Students},
		func(ctx context.Context) (Distribution, error) { return s.riskDistribution(ctx, a) })
}

// ListAnomalies returns the anomalies recorded for the window's days.
func (s *Service) ListAnomalies(ctx context.Context, a identity.Actor, q AnomaliesQuery) (Anomalies, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Anomalies{}, err
	}
	q.To = s.endDay(q.To)
	return cached(ctx, s, "reports.anomalies", q, []freshness.Area{freshness.Anomalies},
		func(ctx context.Context) (Anomalies, error) { return s.listAnomalies(ctx, a, q) })
}

// CampusSummary computes the campus summary.
func (s *Service) CampusSummary(ctx context.Context, a identity.Actor) (Summary, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Summary{}, err
	}
	return cached(ctx, s, "reports.summary", s.endDay(zeroDate), []freshness.Area{freshness.Students, freshness.Attendance,
		freshness.Complaints, freshness.Risks, freshness.Schedules, freshness.Clubs},
		func(ctx context.Context) (Summary, error) { return s.campusSummary(ctx, a) })
}

// ReportSummary computes the public report.
func (s *Service) ReportSummary(ctx context.Context, a identity.Actor) (Report, error) {
	if err := s.allow(a, identity.ViewReports); err != nil {
		return Report{}, err
	}
	return cached(ctx, s, "reports.report", s.endDay(zeroDate), []freshness.Area{freshness.Students, freshness.Attendance,
		freshness.Complaints, freshness.Risks, freshness.Schedules},
		func(ctx context.Context) (Report, error) { return s.reportSummary(ctx, a) })
}

func cached[T any](ctx context.Context, s *Service, name string, params any, areas []freshness.Area, compute func(context.Context) (T, error)) (T, error) {
	if s.d.Fresh == nil {
		return compute(ctx)
	}
	return freshness.Get(ctx, s.d.Fresh, name, params, areas, compute)
}

// zeroDate asks endDay for today.
var zeroDate attendance.Date
