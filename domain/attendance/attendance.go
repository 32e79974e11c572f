// Package attendance holds attendance records (one per student, calendar
// day and session), the rules for marking and editing them, the attendance
// rate, and the QR check-in sessions through which students mark themselves:
// the rotating signed code, the geofence and the late rule.
package attendance

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// Status of one attendance record.
type Status string

// Statuses.
const (
	Present Status = "present"
	Absent  Status = "absent"
	Late    Status = "late"
	Excused Status = "excused"
)

// Statuses lists every status in the order summaries report them.
var Statuses = []Status{Present, Absent, Late, Excused}

const statusChoices = "must be one of present, absent, late, excused"

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	switch st {
	case Present, Absent, Late, Excused:
		return st, nil
	}
	return "", fault.New(fault.Invalid, "status: "+statusChoices)
}

// DefaultSession is the session name of a record when none is given: one
// mark per student and day.
const DefaultSession = "daily"

// Limits of the free-text fields.
const (
	MaxSessionLength = 50
	MaxRemarksLength = 500
)

// Date is a calendar day in the campus calendar (TIMEZONE), without a time
// or a zone: attendance is taken per day, and a day must not shift when it
// is stored or shown in another zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fault.New(fault.Invalid, "must be a date (YYYY-MM-DD)")
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// DateOf is the calendar day t falls on in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{Year: y, Month: m, Day: d}
}

// String renders YYYY-MM-DD (as fmt's "%04d-%02d-%02d" would, without its
// cost: a bulk mark renders the day once per record).
func (d Date) String() string {
	b := make([]byte, 0, 10)
	b = appendPadded(b, d.Year, 4)
	b = append(b, '-')
	b = appendPadded(b, int(d.Month), 2)
	b = append(b, '-')
	b = appendPadded(b, d.Day, 2)
	return string(b)
}

// appendPadded appends n in decimal, zero-padded to width characters of
// which a minus sign is one, as fmt's %0*d does.
func appendPadded(b []byte, n, width int) []byte {
	digits := strconv.FormatInt(int64(n), 10)
	if n < 0 {
		b = append(b, '-')
		digits = digits[1:]
		width--
	}
	for range width - len(digits) {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// IsZero reports whether d is unset.
func (d Date) IsZero() bool { return d == Date{} }

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.String() < o.String() }

// Record is the attendance of one student on one day in one session.
type Record struct {
	ID        int64
	StudentID int64
	Date      Date
	Session   string
	Status    Status
	Remarks   string
	// MarkedBy is the user who last marked or edited the record.
	MarkedBy  *int64
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Fields are the writable fields of a record as a caller gives them.
type Fields struct {
	StudentID int64
	Date      string // YYYY-MM-DD
	Session   string // "" means DefaultSession
	Status    string
	Remarks   string
}

// New validates f into a record; an empty date means today.
func New(f Fields, today Date) (Record, error) {
	if strings.TrimSpace(f.Date) == "" {
		f.Date = today.String()
	}
	var r Record
	return r, r.Replace(f)
}

// Replace validates f and overwrites every writable field (a missing
// session becomes DefaultSession, missing remarks become empty).
func (r *Record) Replace(f Fields) error {
	var v fault.Validation
	v.Check(f.StudentID > 0, "student_id", "must be a positive integer")
	var date Date
	if strings.TrimSpace(f.Date) == "" {
		v.Add("date", "is required")
	} else if d, err := ParseDate(f.Date); err != nil {
		v.Add("date", "must be a date (YYYY-MM-DD)")
	} else {
		date = d
	}
	session, msg := cleanSession(f.Session)
	if msg != "" {
		v.Add("session", msg)
	}
	var status Status
	if strings.TrimSpace(f.Status) == "" {
		v.Add("status", "is required")
	} else if st, err := ParseStatus(f.Status); err != nil {
		v.Add("status", statusChoices)
	} else {
		status = st
	}
	remarks, msg := cleanRemarks(f.Remarks)
	if msg != "" {
		v.Add("remarks", msg)
	}
	if err := v.Err(); err != nil {
		return err
	}
	r.StudentID, r.Date, r.Session, r.Status, r.Remarks = f.StudentID, date, session, status, remarks
	return nil
}

// cleanSession trims a session name and applies the default; a non-empty
// message says why it is refused.
func cleanSession(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return DefaultSession, ""
	}
	if utf8.RuneCountInString(s) > MaxSessionLength {
		return "", fmt.Sprintf("must be at most %d characters", MaxSessionLength)
	}
	return s, ""
}

func cleanRemarks(s string) (string, string) {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > MaxRemarksLength {
		return "", fmt.Sprintf("must be at most %d characters", MaxRemarksLength)
	}
	return s, ""
}

// Fields returns the writable fields of r, for partial updates.
func (r Record) Fields() Fields {
	return Fields{StudentID: r.StudentID, Date: r.Date.String(), Session: r.Session, Status: string(r.Status), Remarks: r.Remarks}
}

// Patch is a partial edit: nil fields stay as they are.
type Patch struct {
	StudentID *int64
	Date      *string
	Session   *string
	Status    *string
	Remarks   *string
}

// Apply validates and applies p.
func (r *Record) Apply(p Patch) error {
	f := r.Fields()
	if p.StudentID != nil {
		f.StudentID = *p.StudentID
	}
	if p.Date != nil {
		f.Date = *p.Date
	}
	if p.Session != nil {
		f.Session = *p.Session
	}
	if p.Status != nil {
		f.Status = *p.Status
	}
	if p.Remarks != nil {
		f.Remarks = *p.Remarks
	}
	return r.Replace(f)
}

// Filter narrows a listing or a summary; zero values do not filter.
type Filter struct {
	StudentID *int64
	From, To  *Date // inclusive
	Status    Status
	Session   string
}

// Counts are the number of records per status.
type Counts map[Status]int

// Summary is a student's (or everyone's) attendance over a period.
type Summary struct {
	Present, Absent, Late, Excused int
	Total                          int
	// Rate is (present + late) / (present + late + absent); excused days
	// are left out. Nil when there is nothing to divide by.
	Rate *float64
}

// Summarize applies the rate rule to per-status counts.
func Summarize(c Counts) Summary {
	s := Summary{Present: c[Present], Absent: c[Absent], Late: c[Late], Excused: c[Excused]}
	s.Total = s.Present + s.Absent + s.Late + s.Excused
	if attended, due := s.Present+s.Late, s.Present+s.Late+s.Absent; due > 0 {
		rate := float64(attended) / float64(due)
		s.Rate = &rate
	}
	return s
}
