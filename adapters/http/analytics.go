package httpapi

import (
	"math"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/application/analytics"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// analyticsRoutes lists the attendance analytics routes.
func (s *Server) analyticsRoutes() []Route {
	perm := RequirePermission(identity.ViewAnalytics)
	days := Param{"days", "integer", "the last N calendar days ending today in TIMEZONE, 1-366 (default 30)"}
	return []Route{
		{Method: "GET", Path: v1 + "/analytics/attendance/trends", Tag: "analytics",
			Summary: "Attendance per calendar day (TIMEZONE decides today, the window's last day) for one student, one department or the " +
				"campus: counts per status, counted = present+late+absent, rate = (present+late)/counted (null when nothing was counted: " +
				"a gap, not a zero); moving_average = mean of the non-null rates of the day and the 6 calendar days before it (days before " +
				"the window included; null when all are null); slope = least-squares slope of rate against the day's index (0 = from) over " +
				"the window's days that have a rate (null with fewer than 2); direction improving/declining beyond ±0.01 per day, else " +
				"stable. student_id and department together are 422; an unknown student 404",
			Guard: perm, Response: AttendanceTrendsDTO{},
			Query:   []Param{{"student_id", "integer", "one student"}, {"department", "string", "one department (exact name)"}, days},
			handler: s.attendanceTrends},
		{Method: "GET", Path: v1 + "/analytics/attendance/low", Tag: "analytics",
			Summary: "Active students whose rate (present+late over present+late+absent, excused left out) over the window is under " +
				"threshold; students without a counted mark in the window are not listed. Sorted by rate then student id",
			Guard: perm, Response: ListDTO[LowAttendanceDTO]{},
			Query: withPage(Param{"threshold", "number", "0 < threshold <= 1 (default 0.75); rate strictly under it"}, days,
				Param{"department", "string", "one department (exact name)"}),
			handler: s.lowAttendance},
	}
}

// AttendanceDayDTO is one calendar day of a trend.
type AttendanceDayDTO struct {
	Date          string   `json:"date"`
	Present       int      `json:"present"`
	Late          int      `json:"late"`
	Absent        int      `json:"absent"`
	Excused       int      `json:"excused"`
	Counted       int      `json:"counted"`
	Rate          *float64 `json:"rate"`
	MovingAverage *float64 `json:"moving_average"`
}

// AttendanceTrendsDTO is GET /analytics/attendance/trends.
type AttendanceTrendsDTO struct {
	Scope        string             `json:"scope"`
	StudentID    *int64             `json:"student_id"`
	Department   *string            `json:"department"`
	Days         int                `json:"days"`
	From         string             `json:"from"`
	To           string             `json:"to"`
	Timezone     string             `json:"timezone"`
	MovingWindow int                `json:"moving_average_days"`
	Slope        *float64           `json:"slope"`
	Direction    string             `json:"direction"`
	Series       []AttendanceDayDTO `json:"series"`
}

// LowAttendanceDTO is one student of GET /analytics/attendance/low.
type LowAttendanceDTO struct {
	StudentID  int64   `json:"student_id"`
	Name       string  `json:"name"`
	RollNo     string  `json:"roll_no"`
	Department string  `json:"department"`
	Rate       float64 `json:"rate"`
	Attended   int     `json:"attended"`
	Counted    int     `json:"counted"`
	Excused    int     `json:"excused"`
}

func lowAttendanceDTO(l ports.LowAttendance) LowAttendanceDTO {
	return LowAttendanceDTO{StudentID: l.StudentID, Name: l.Name, RollNo: l.RollNo, Department: l.Department,
		Rate: l.Rate, Attended: l.Attended, Counted: l.Counted, Excused: l.Excused}
}

// daysParam reads days, defaulting to analytics.DefaultDays; the use case
// checks the range.
func (q *query) daysParam() int {
	if p := q.intp("days"); p != nil {
		return *p
	}
	return analytics.DefaultDays
}

// floatp parses a finite number.
func (q *query) floatp(name string) *float64 {
	s := q.str(name)
	if s == "" {
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		q.v.Add(name, "must be a number")
		return nil
	}
	return &f
}

func (s *Server) attendanceTrends(c *fiber.Ctx) error {
	q := newQuery(c)
	in := analytics.TrendsQuery{Department: q.str("department"), Days: q.daysParam()}
	if id := q.int64p("student_id"); id != nil {
		in.StudentID = *id
	}
	if err := q.err(); err != nil {
		return err
	}
	t, err := s.d.Analytics.Trends(c.UserContext(), caller(c), in)
	if err != nil {
		return err
	}
	out := AttendanceTrendsDTO{Scope: t.Scope, Days: in.Days, From: t.From.String(), To: t.To.String(),
		Timezone: s.d.Analytics.Location().String(), MovingWindow: analytics.MovingWindow, Slope: t.Slope,
		Direction: string(t.Direction), Series: make([]AttendanceDayDTO, len(t.Days))}
	if t.StudentID != 0 {
		out.StudentID = &t.StudentID
	}
	if t.Department != "" {
		out.Department = &t.Department
	}
	for i, d := range t.Days {
		out.Series[i] = AttendanceDayDTO{Date: d.Date.String(), Present: d.Present, Late: d.Late, Absent: d.Absent,
			Excused: d.Excused, Counted: d.Counted, Rate: d.Rate, MovingAverage: d.MovingAverage}
	}
	return c.JSON(out)
}

func (s *Server) lowAttendance(c *fiber.Ctx) error {
	q := newQuery(c)
	in := analytics.LowQuery{Threshold: analytics.DefaultThreshold, Days: q.daysParam(), Department: q.str("department")}
	if t := q.floatp("threshold"); t != nil {
		in.Threshold = *t
	}
	in.Page = q.page()
	if err := q.err(); err != nil {
		return err
	}
	l, err := s.d.Analytics.Low(c.UserContext(), caller(c), in)
	if err != nil {
		return err
	}
	return list(c, l.Result, lowAttendanceDTO)
}
