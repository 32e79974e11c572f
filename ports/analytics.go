package ports

import (
	"context"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
)

// AttendanceScope narrows attendance analytics to one student (StudentID
// set), one department (Department set) or the whole campus (neither).
type AttendanceScope struct {
	StudentID  int64
	Department string
}

// AttendanceDay is one calendar day of a trend, every figure computed by
// the database: the marks per status, the counted ones, the day's rate (nil when no
// present, late or absent mark was counted), the moving average of the
// non-nil rates of the day and the window-1 calendar days before it (nil
// when all are nil).
type AttendanceDay struct {
	Date                           attendance.Date
	Present, Late, Absent, Excused int
	Counted                        int // present + late + absent
	Rate                           *float64
	MovingAverage                  *float64
}

// AttendanceTrend is the series of a trend, one entry per calendar day
// from..to, and the least-squares slope of the daily rate against the
// day's index (0 = from) over the days that have a rate (nil with fewer
// than two such days).
type AttendanceTrend struct {
	Days  []AttendanceDay
	Slope *float64
}

// LowAttendance is one student whose rate is under the threshold.
type LowAttendance struct {
	StudentID                  int64
	Name, RollNo, Department   string
	Attended, Counted, Excused int
	Rate                       float64
}

// LowAttendanceFilter selects the students of GET
// /analytics/attendance/low: active ones with at least one counted mark in
// from..to whose rate is strictly under Threshold, optionally of one
// Department.
type LowAttendanceFilter struct {
	From, To   attendance.Date
	Threshold  float64
	Department string
}

// AttendanceAnalytics computes the attendance figures of the analytics
// endpoints in the database.
type AttendanceAnalytics interface {
	// Trend returns the days from..to of scope, with the moving average
	// over window calendar days (records of the window-1 days before from
	// count toward the first days' averages).
	Trend(ctx context.Context, scope AttendanceScope, from, to attendance.Date, window int) (AttendanceTrend, error)
	// Low returns one page of the students f selects, by rate ascending
	// then student id, and how many there are.
	Low(ctx context.Context, f LowAttendanceFilter, p page.Request) (page.Result[LowAttendance], error)
}

// DemoStore is the bulk path `campus seed demo` writes through: COPY on
// PostgreSQL, multi-row INSERTs on SQLite.
type DemoStore interface {
	// HasDemo reports whether students with roll numbers starting with
	// prefix exist.
	HasDemo(ctx context.Context, prefix string) (bool, error)
	// InsertStudents writes the students and returns their ids in order.
	InsertStudents(ctx context.Context, ss []student.Student) ([]int64, error)
	// InsertAttendance writes the records (no two with the same student,
	// date and session, none stored yet).
	InsertAttendance(ctx context.Context, rs []attendance.Record) error
	// InsertComplaints and InsertRisks write the records as given.
	InsertComplaints(ctx context.Context, cs []complaint.Complaint) error
	InsertRisks(ctx context.Context, rs []risk.Risk) error
	// Analyze refreshes the query planner's statistics of the tables
	// written (and whatever else the database keeps for its plans), so the
	// first queries after a bulk load plan well.
	Analyze(ctx context.Context) error
}
