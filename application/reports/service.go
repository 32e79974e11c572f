// Package reports holds the analytics read models of complaints, risks and
// anomalies, the campus summary (VIEW_ANALYTICS) and the public report
// summary (VIEW_REPORTS). Every figure is an aggregate the store computes;
// this package chooses the windows in the campus calendar (TIMEZONE), maps
// the zone's offsets over them for the store, fills in empty cells and
// grades directions.
//
// The inputs of each method are small comparable structs, so that a cache
// can key on them.
package reports

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
)

// Limits of the query parameters.
const (
	MaxDays  = 366
	MaxWeeks = 104
	// DefaultHeatmapDays, DefaultTrendWeeks and DefaultAnomalyDays are the
	// contract's defaults.
	DefaultHeatmapDays = 30
	DefaultTrendWeeks  = 12
	DefaultAnomalyDays = 7
	// TopStudents is how many students the risk distribution ranks.
	TopStudents = 10
	// TopTimes is how many heatmap cells are named as the busiest.
	TopTimes = 5
	// TrendThreshold is the slope (complaints per week) beyond which the
	// weekly trend has a direction.
	TrendThreshold = 0.5
	// movingLead is how many weeks before the first shown one feed the
	// 4-week moving average.
	movingLead = 3
)

// Directions of the complaint trend. Improving means fewer complaints.
const (
	Improving = "improving"
	Declining = "declining"
	Stable    = "stable"
)

// Config holds the campus calendar's zone.
type Config struct {
	Location *time.Location
}

// Deps are the ports the service uses.
type Deps struct {
	Store     ports.ReportStore
	Anomalies ports.AnomalyRepository
	Clock     ports.Clock
	// Fresh caches the answers for an hour, fresh after every change of
	// what they are computed from (nil: no cache).
	Fresh *freshness.Cache
}

// Service implements the analytics and report use cases.
type Service struct {
	d   Deps
	loc *time.Location
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service {
	loc := cfg.Location
	if loc == nil {
		loc = time.UTC
	}
	return &Service{d: d, loc: loc}
}

// Window is a period of whole calendar days in the campus zone.
type Window struct {
	From, To attendance.Date
	Timezone string
}

// HeatmapQuery asks for the complaints heatmap over the Days calendar days
// ending on To (zero: today).
type HeatmapQuery struct {
	Days int
	To   attendance.Date
}

// Heatmap is the complaints heatmap: all 7 × 24 cells (Monday first, hour
// 0 first), the busiest cells and the categories.
type Heatmap struct {
	Window
	Total         int
	Max           int
	Cells         []ports.HeatCell
	TopTimes      []ports.HeatCell
	TopCategories []ports.CategoryCount
}

// complaintHeatmap counts the complaints created in the window per local
// weekday and hour.
func (s *Service) complaintHeatmap(ctx context.Context, a identity.Actor, q HeatmapQuery) (Heatmap, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Heatmap{}, err
	}
	var v fault.Validation
	v.Check(q.Days >= 1 && q.Days <= MaxDays, "days", fmt.Sprintf("must be between 1 and %d", MaxDays))
	if err := v.Err(); err != nil {
		return Heatmap{}, err
	}
	to := s.endDay(q.To)
	from := addDays(to, -(q.Days - 1))
	start, end := s.midnight(from), s.midnight(addDays(to, 1))
	cells, err := s.d.Store.ComplaintHeatmap(ctx, LocalSpan(start, end, s.loc))
	if err != nil {
		return Heatmap{}, err
	}
	cats, err := s.d.Store.ComplaintCategories(ctx, start, end)
	if err != nil {
		return Heatmap{}, err
	}
	out := Heatmap{Window: s.window(from, to), Cells: make([]ports.HeatCell, 0, 7*24), TopCategories: cats,
		TopTimes: cells[:min(TopTimes, len(cells))]}
	grid := map[[2]int]ports.HeatCell{}
	for _, c := range cells {
		grid[[2]int{c.Weekday, c.Hour}] = c
		out.Max = max(out.Max, c.Count)
	}
	for _, c := range cats {
		out.Total += c.Count
	}
	for wd := 1; wd <= 7; wd++ {
		for h := range 24 {
			c, ok := grid[[2]int{wd, h}]
			if !ok {
				c = ports.HeatCell{Weekday: wd, Hour: h}
			}
			out.Cells = append(out.Cells, c)
		}
	}
	return out, nil
}

// TrendsQuery asks for the weekly complaint trend over the Weeks ISO weeks
// ending with the week of To (zero: today).
type TrendsQuery struct {
	Weeks int
	To    attendance.Date
}

// Week is one ISO week's complaints.
type Week struct {
	ISOWeek                          string // 2026-W03
	Start, End                       attendance.Date
	Low, Normal, High, Urgent, Total int
	MovingAverage                    float64
}

// Trends are the weekly complaint figures, the slope of the weekly totals
// (complaints per week; nil with one week) and its direction.
type Trends struct {
	Window
	Weeks     []Week
	Slope     *float64
	Direction string
}

// complaintTrends counts complaints per ISO week in the campus zone.
func (s *Service) complaintTrends(ctx context.Context, a identity.Actor, q TrendsQuery) (Trends, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Trends{}, err
	}
	var v fault.Validation
	v.Check(q.Weeks >= 1 && q.Weeks <= MaxWeeks, "weeks", fmt.Sprintf("must be between 1 and %d", MaxWeeks))
	if err := v.Err(); err != nil {
		return Trends{}, err
	}
	to := s.endDay(q.To)
	lastMonday := addDays(to, -(isoWeekday(to) - 1))
	first := addDays(lastMonday, -7*(q.Weeks-1))
	lead := addDays(first, -7*movingLead)
	span := LocalSpan(s.midnight(lead), s.midnight(addDays(lastMonday, 7)), s.loc)
	got, err := s.d.Store.ComplaintWeeks(ctx, span, dayNumber(lead), movingLead, q.Weeks)
	if err != nil {
		return Trends{}, err
	}
	out := Trends{Window: s.window(first, addDays(lastMonday, 6)), Weeks: make([]Week, len(got.Weeks)), Direction: Stable}
	for i, w := range got.Weeks {
		monday := addDays(first, 7*w.Index)
		out.Weeks[i] = Week{ISOWeek: isoWeek(monday), Start: monday, End: addDays(monday, 6), Low: w.Low, Normal: w.Normal,
			High: w.High, Urgent: w.Urgent, Total: w.Total, MovingAverage: round(w.MovingAverage, 4)}
	}
	if got.Slope != nil {
		sl := round(*got.Slope, 4)
		out.Slope = &sl
		switch {
		case *got.Slope > TrendThreshold:
			out.Direction = Declining
		case *got.Slope < -TrendThreshold:
			out.Direction = Improving
		}
	}
	return out, nil
}

// StudentRisk is one student of the risk ranking.
type StudentRisk struct {
	ports.StudentOpenRisks
	OpenRisks int
	Score     float64
	Level     risk.Level
}

// Distribution counts the risk records per type and severity (every
// combination, in the domain's order) and ranks students by open risk.
type Distribution struct {
	Cells          []ports.RiskCell
	Open, Resolved int
	TopStudents    []StudentRisk
}

// riskDistribution counts the risk records and ranks the students.
func (s *Service) riskDistribution(ctx context.Context, a identity.Actor) (Distribution, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Distribution{}, err
	}
	cells, err := s.d.Store.RiskDistribution(ctx)
	if err != nil {
		return Distribution{}, err
	}
	severities := []risk.Severity{risk.Low, risk.Medium, risk.High, risk.Critical}
	logs := map[string]float64{}
	for _, sev := range severities {
		logs[string(sev)] = math.Log1p(-sev.Weight() / 100)
	}
	top, err := s.d.Store.TopOpenRisks(ctx, logs, TopStudents)
	if err != nil {
		return Distribution{}, err
	}
	got := map[[2]string]ports.RiskCell{}
	for _, c := range cells {
		got[[2]string{c.Type, c.Severity}] = c
	}
	out := Distribution{Cells: make([]ports.RiskCell, 0, len(risk.Types)*len(severities)), TopStudents: make([]StudentRisk, len(top))}
	for _, t := range risk.Types {
		for _, sev := range severities {
			c, ok := got[[2]string{string(t), string(sev)}]
			if !ok {
				c = ports.RiskCell{Type: string(t), Severity: string(sev)}
			}
			out.Cells = append(out.Cells, c)
			out.Open += c.Open
			out.Resolved += c.Resolved
		}
	}
	for i, st := range top {
		// The score is the domain's derivation from the open records, which
		// the counts per severity determine.
		var recs []risk.Risk
		for _, n := range []struct {
			sev risk.Severity
			n   int
		}{{risk.Low, st.Low}, {risk.Medium, st.Medium}, {risk.High, st.High}, {risk.Critical, st.Critical}} {
			for range n.n {
				recs = append(recs, risk.Risk{Status: risk.Open, Severity: n.sev})
			}
		}
		as := risk.Assess(recs)
		out.TopStudents[i] = StudentRisk{StudentOpenRisks: st, OpenRisks: len(recs), Score: as.Score, Level: as.Level}
	}
	return out, nil
}

// AnomaliesQuery asks for the anomalies of the Days calendar days ending
// on To (zero: today), of one Type or every type.
type AnomaliesQuery struct {
	Days int
	To   attendance.Date
	Type anomaly.Type
}

// Anomalies are what the anomaly agent recorded, newest day first (then
// newest record first).
type Anomalies struct {
	Window
	Items []anomaly.Anomaly
}

// listAnomalies returns the anomalies recorded for the window's days.
func (s *Service) listAnomalies(ctx context.Context, a identity.Actor, q AnomaliesQuery) (Anomalies, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Anomalies{}, err
	}
	var v fault.Validation
	v.Check(q.Days >= 1 && q.Days <= MaxDays, "days", fmt.Sprintf("must be between 1 and %d", MaxDays))
	v.Check(q.Type == "" || q.Type == anomaly.AttendanceDrop || q.Type == anomaly.ComplaintSpike, "type",
		"must be attendance_drop or complaint_spike")
	if err := v.Err(); err != nil {
		return Anomalies{}, err
	}
	to := s.endDay(q.To)
	from := addDays(to, -(q.Days - 1))
	list, err := s.d.Anomalies.List(ctx, from, to)
	if err != nil {
		return Anomalies{}, err
	}
	out := Anomalies{Window: s.window(from, to), Items: make([]anomaly.Anomaly, 0, len(list))}
	for i := len(list) - 1; i >= 0; i-- {
		if q.Type == "" || list[i].Type == q.Type {
			out.Items = append(out.Items, list[i])
		}
	}
	return out, nil
}

// Summary is the campus summary: totals, and counts over the last 7
// calendar days (today and the 6 before).
type Summary struct {
	Window
	ports.CampusSummary
	GeneratedAt time.Time
}

// SummaryDays is the length of the summary's recent window.
const SummaryDays = 7

// campusSummary computes the campus summary.
func (s *Service) campusSummary(ctx context.Context, a identity.Actor) (Summary, error) {
	if err := s.allow(a, identity.ViewAnalytics); err != nil {
		return Summary{}, err
	}
	now := s.d.Clock.Now()
	to := attendance.DateOf(now, s.loc)
	from := addDays(to, -(SummaryDays - 1))
	got, err := s.d.Store.Summary(ctx, ports.SummaryWindow{Since: s.midnight(from), From: from, To: to})
	if err != nil {
		return Summary{}, err
	}
	got.AttendanceRate = roundp(got.AttendanceRate)
	return Summary{Window: s.window(from, to), CampusSummary: got, GeneratedAt: now.UTC()}, nil
}

// ReportDays is the attendance window of the public report.
const ReportDays = 30

// Report is the public report summary (aggregates only).
type Report struct {
	ports.ReportSummary
	GeneratedAt time.Time
}

// reportSummary computes the public report.
func (s *Service) reportSummary(ctx context.Context, a identity.Actor) (Report, error) {
	if err := s.allow(a, identity.ViewReports); err != nil {
		return Report{}, err
	}
	now := s.d.Clock.Now()
	to := attendance.DateOf(now, s.loc)
	got, err := s.d.Store.Report(ctx, addDays(to, -(ReportDays-1)), to)
	if err != nil {
		return Report{}, err
	}
	got.AttendanceRate = roundp(got.AttendanceRate)
	return Report{ReportSummary: got, GeneratedAt: now.UTC()}, nil
}

func (s *Service) allow(a identity.Actor, p identity.Permission) error {
	_, err := identity.Can(a, p)
	return err
}

// endDay is d, or today in the campus zone when d is zero.
func (s *Service) endDay(d attendance.Date) attendance.Date {
	if d.IsZero() {
		return attendance.DateOf(s.d.Clock.Now(), s.loc)
	}
	return d
}

// midnight is the first instant of day d in the campus zone, in UTC.
func (s *Service) midnight(d attendance.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, s.loc).UTC()
}

func (s *Service) window(from, to attendance.Date) Window {
	return Window{From: from, To: to, Timezone: s.loc.String()}
}

// LocalSpan maps the instants [from, to) to loc's offsets: one entry per
// period of constant offset (a daylight-saving change starts a new one).
func LocalSpan(from, to time.Time, loc *time.Location) ports.LocalSpan {
	span := ports.LocalSpan{From: from.UTC(), To: to.UTC()}
	t := span.From
	for {
		lt := t.In(loc)
		_, off := lt.Zone()
		if n := len(span.Offsets); n == 0 || span.Offsets[n-1].Offset != off {
			span.Offsets = append(span.Offsets, ports.OffsetChange{At: t, Offset: off})
		}
		_, end := lt.ZoneBounds()
		if end.IsZero() || !end.Before(span.To) || !end.After(t) {
			return span
		}
		t = end.UTC()
	}
}

func addDays(d attendance.Date, n int) attendance.Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC)
	return attendance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// dayNumber counts the days from 1970-01-01 to d.
func dayNumber(d attendance.Date) int64 {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// isoWeekday is 1 for Monday … 7 for Sunday.
func isoWeekday(d attendance.Date) int {
	wd := int(time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// isoWeek labels the ISO week of d, e.g. 2026-W53.
func isoWeek(d attendance.Date) string {
	y, w := time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

// roundp rounds a rate to 4 decimals.
func roundp(x *float64) *float64 {
	if x == nil {
		return nil
	}
	r := round(*x, 4)
	return &r
}
