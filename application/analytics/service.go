// Package analytics answers the attendance analytics: a trend per
// calendar day of the campus calendar (TIMEZONE) for one student, one
// department or the whole campus, and the students whose attendance is
// low. Every figure is aggregated by the database (ports.AttendanceAnalytics);
// this package decides the window, the scope and the direction rule.
//
// Attendance records carry a calendar date, not an instant, so the time
// zone only decides which day is "today", the last day of every window;
// days are never split by the clocks changing.
package analytics

import (
	"context"
	"fmt"
	"time"

	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Defaults and bounds of the query parameters.
const (
	DefaultDays      = 30
	MaxDays          = 366
	DefaultThreshold = 0.75
	// MovingWindow is the moving average's span in calendar days: the day
	// and the six before it.
	MovingWindow = 7
	// SlopeEpsilon is how far from zero (rate per day) the slope must be
	// for the trend to be improving or declining.
	SlopeEpsilon = 0.01
)

// Direction is where a trend is heading.
type Direction string

// Directions of a trend.
const (
	Improving Direction = "improving"
	Declining Direction = "declining"
	Stable    Direction = "stable"
)

// DirectionOf applies the rule: beyond ±SlopeEpsilon per day is improving
// or declining, anything else (and no slope) is stable.
func DirectionOf(slope *float64) Direction {
	switch {
	case slope == nil:
		return Stable
	case *slope > SlopeEpsilon:
		return Improving
	case *slope < -SlopeEpsilon:
		return Declining
	}
	return Stable
}

// Config is the campus calendar's zone.
type Config struct {
	// Location is TIMEZONE; nil means UTC.
	Location *time.Location
}

// Deps are the ports the service reads.
type Deps struct {
	Attendance ports.AttendanceAnalytics
	Students   ports.StudentRepository
	Clock      ports.Clock
	// Fresh caches the answers for an hour, fresh after every change of
	// attendance or students (nil: no cache).
	Fresh *freshness.Cache
}

// Service answers the attendance analytics.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	return &Service{cfg: cfg, d: d}
}

// Location is the campus calendar's zone the windows end in.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// TrendsQuery asks for a trend of the last Days days (1..MaxDays; the
// HTTP edge fills DefaultDays); zero StudentID and empty Department mean
// campus-wide. It is comparable, so it can key a cache.
type TrendsQuery struct {
	StudentID  int64
	Department string
	Days       int
}

// Trends is a trend over the days From..To (To is today in TIMEZONE).
type Trends struct {
	Scope      string // student, department or campus
	StudentID  int64
	Department string
	From, To   attendance.Date
	Days       []ports.AttendanceDay
	Slope      *float64
	Direction  Direction
}

// LowQuery asks for the students under Threshold (0 < t <= 1) over the
// last Days days (the HTTP edge fills DefaultThreshold and DefaultDays),
// optionally of one Department. It is comparable, so it can key a cache.
type LowQuery struct {
	Threshold  float64
	Days       int
	Department string
	Page       page.Request
}

// Low is one page of the low-attendance students.
type Low struct {
	From, To  attendance.Date
	Threshold float64
	Result    page.Result[ports.LowAttendance]
}

func checkDays(v *fault.Validation, days int) int {
	v.Check(days >= 1 && days <= MaxDays, "days", fmt.Sprintf("must be between 1 and %d", MaxDays))
	return days
}

// window is the last days calendar days ending today in TIMEZONE.
func (s *Service) window(days int) (from, to attendance.Date) {
	to = attendance.DateOf(s.d.Clock.Now(), s.cfg.Location)
	return addDays(to, -(days - 1)), to
}

// Trends answers GET /analytics/attendance/trends (VIEW_ANALYTICS).
func (s *Service) trends(ctx context.Context, a identity.Actor, q TrendsQuery) (Trends, error) {
	if _, err := identity.Can(a, identity.ViewAnalytics); err != nil {
		return Trends{}, err
	}
	var v fault.Validation
	days := checkDays(&v, q.Days)
	v.Check(q.StudentID >= 0, "student_id", "must be a positive integer")
	if q.StudentID != 0 && q.Department != "" {
		v.Add("department", "give either student_id or department, not both")
	}
	if err := v.Err(); err != nil {
		return Trends{}, err
	}
	out := Trends{Scope: "campus", StudentID: q.StudentID, Department: q.Department}
	switch {
	case q.StudentID != 0:
		if _, err := s.d.Students.Get(ctx, q.StudentID); err != nil {
			return Trends{}, fmt.Errorf("trend of student %d: %w", q.StudentID, err)
		}
		out.Scope = "student"
	case q.Department != "":
		out.Scope = "department"
	}
	out.From, out.To = s.window(days)
	t, err := s.d.Attendance.Trend(ctx, ports.AttendanceScope{StudentID: q.StudentID, Department: q.Department}, out.From, out.To, MovingWindow)
	if err != nil {
		return Trends{}, fmt.Errorf("attendance trend: %w", err)
	}
	out.Days, out.Slope, out.Direction = t.Days, t.Slope, DirectionOf(t.Slope)
	return out, nil
}

// Low answers GET /analytics/attendance/low (VIEW_ANALYTICS): the active
// students with a counted mark in the window whose rate is under the
// threshold.
func (s *Service) low(ctx context.Context, a identity.Actor, q LowQuery) (Low, error) {
	if _, err := identity.Can(a, identity.ViewAnalytics); err != nil {
		return Low{}, err
	}
	var v fault.Validation
	days := checkDays(&v, q.Days)
	threshold := q.Threshold
	v.Check(threshold > 0 && threshold <= 1, "threshold", "must be greater than 0 and at most 1")
	if err := v.Err(); err != nil {
		return Low{}, err
	}
	from, to := s.window(days)
	r, err := s.d.Attendance.Low(ctx, ports.LowAttendanceFilter{From: from, To: to, Threshold: threshold, Department: q.Department}, q.Page)
	if err != nil {
		return Low{}, fmt.Errorf("low attendance: %w", err)
	}
	return Low{From: from, To: to, Threshold: threshold, Result: r}, nil
}

// addDays is the calendar day n days after d.
func addDays(d attendance.Date, n int) attendance.Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	return attendance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}
