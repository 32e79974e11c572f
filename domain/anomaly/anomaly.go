// Package anomaly holds what the nightly anomaly detection finds in a day of
// campus data, and the rules that decide it: a department's attendance
// falling well below its recent days, a student's attendance dropping
// suddenly, and a spike in complaints filed. An anomaly is recorded once per
// (type, subject, day): re-running the analysis of a day finds the same
// anomalies and records nothing new.
package anomaly

import (
	"fmt"
	"time"

	"github.com/campus/campus/domain/attendance"
)

// Type is what kind of anomaly was found.
type Type string

// Types.
const (
	// AttendanceDrop is a fall in attendance: a department's (subject kind
	// department) or a student's (subject kind student).
	AttendanceDrop Type = "attendance_drop"
	// ComplaintSpike is an unusual number of complaints filed in a day.
	ComplaintSpike Type = "complaint_spike"
)

// SubjectKind says what the Subject of an anomaly names.
type SubjectKind string

// Subject kinds.
const (
	Department SubjectKind = "department" // Subject is the department's name
	Student    SubjectKind = "student"    // Subject is the student's id
	Campus     SubjectKind = "campus"     // Subject is "campus"
)

// CampusSubject is the Subject of a campus-wide anomaly.
const CampusSubject = "campus"

// Anomaly is one finding about one subject on one calendar day of the
// campus calendar (TIMEZONE).
type Anomaly struct {
	ID          int64
	Type        Type
	SubjectKind SubjectKind
	Subject     string
	Day         attendance.Date
	// Figures are the numbers the rule looked at (rates, means, counts),
	// so a reader can check the decision.
	Figures     map[string]float64
	Description string
	CreatedAt   time.Time
}

// Key names the anomaly's subject and day; at most one anomaly has a key.
func (a Anomaly) Key() string {
	return fmt.Sprintf("%s:%s:%s:%s", a.Type, a.SubjectKind, a.Subject, a.Day)
}

// AddDays is the calendar day n days after d (before, for a negative n).
func AddDays(d attendance.Date, n int) attendance.Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	return attendance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}

// DayBounds are the instants [start, end) of the calendar day d in loc,
// in UTC (a day is 23 or 25 hours long when the clocks change).
func DayBounds(d attendance.Date, loc *time.Location) (start, end time.Time) {
	start = time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
	end = time.Date(d.Year, d.Month, d.Day+1, 0, 0, 0, 0, loc)
	return start.UTC(), end.UTC()
}
