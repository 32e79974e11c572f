package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/attendance"
)

// OffsetChange says that from At onward the campus calendar's wall clock
// is UTC + Offset seconds.
type OffsetChange struct {
	At     time.Time
	Offset int
}

// LocalSpan is the instants [From, To) with the campus zone's offsets over
// them: Offsets[0] applies before Offsets[1].At, and so on (a zone with
// daylight saving time changes offset inside a span). The store turns a
// created_at into a local wall-clock time with it, in SQL, so that every
// dialect buckets by the same local weekday, hour and day.
type LocalSpan struct {
	From, To time.Time
	Offsets  []OffsetChange
}

// HeatCell is the number of complaints created in one local weekday
// (ISO: Monday 1 … Sunday 7) and hour (0–23), and Count divided by the
// largest cell's count.
type HeatCell struct {
	Weekday, Hour, Count int
	Intensity            float64
}

// CategoryCount is the number of complaints of one category.
type CategoryCount struct {
	Category string
	Count    int
}

// ComplaintWeek is one week's complaints: Index counts weeks from the
// first one asked for; MovingAverage is the mean total of that week and
// the three before.
type ComplaintWeek struct {
	Index                            int
	Low, Normal, High, Urgent, Total int
	MovingAverage                    float64
}

// ComplaintWeeks are the weekly figures and the least-squares slope of
// the weekly totals (nil with fewer than two weeks).
type ComplaintWeeks struct {
	Weeks []ComplaintWeek
	Slope *float64
}

// RiskCell counts the risk records of one type and severity.
type RiskCell struct {
	Type, Severity string
	Open, Resolved int
}

// StudentOpenRisks is one student's open risk records counted per
// severity (the score derives from them, see risk.Assess).
type StudentOpenRisks struct {
	StudentID                   int64
	Name, RollNo, Department    string
	Low, Medium, High, Critical int
}

// SummaryWindow names the periods of the campus summary: Since is the
// first instant of the last-7-days window, From..To its calendar days.
type SummaryWindow struct {
	Since    time.Time
	From, To attendance.Date
}

// CampusSummary are the campus totals and last-7-day counts.
type CampusSummary struct {
	StudentsTotal, StudentsActive, StudentsNew               int
	AttendanceRecords, AttendanceAttended, AttendanceCounted int
	AttendanceRate                                           *float64
	ComplaintsTotal, ComplaintsPending, ComplaintsInProgress int
	ComplaintsNew                                            int
	RisksOpen, RisksNew                                      int
	SchedulesActive, ClubsActive                             int
}

// ReportSummary are the figures of the public report.
type ReportSummary struct {
	TotalStudents, StudentsAtRisk, PendingComplaints, ActiveSchedules int
	AttendanceRate                                                    *float64
}

// ReportStore computes the analytics and report figures: every figure is
// an aggregate the database computes; what comes back is a few rows.
type ReportStore interface {
	// ComplaintHeatmap counts the complaints created in span per local
	// weekday and hour (cells without complaints are left out), ordered by
	// count descending, then weekday and hour.
	ComplaintHeatmap(ctx context.Context, span LocalSpan) ([]HeatCell, error)
	// ComplaintCategories counts the complaints created in [from, to) per
	// category, by count descending then category.
	ComplaintCategories(ctx context.Context, from, to time.Time) ([]CategoryCount, error)
	// ComplaintWeeks counts the complaints created in span per local week:
	// span starts on a local Monday 00:00 whose day number (days since
	// 1970-01-01 on the local calendar) is firstDay, and covers lead+weeks
	// weeks; the first lead weeks only feed the moving average, the last
	// weeks are returned (index 0 = the first returned week), every week
	// present, zeros included.
	ComplaintWeeks(ctx context.Context, span LocalSpan, firstDay int64, lead, weeks int) (ComplaintWeeks, error)
	// RiskDistribution counts every risk record per type and severity, open
	// and resolved (combinations without records are left out).
	RiskDistribution(ctx context.Context) ([]RiskCell, error)
	// TopOpenRisks returns the limit students with open records and the
	// highest score derived from them, ties by student id. logWeights maps
	// each severity to ln(1 − weight/100), the term the score's product
	// adds.
	TopOpenRisks(ctx context.Context, logWeights map[string]float64, limit int) ([]StudentOpenRisks, error)
	// Summary computes the campus summary over w.
	Summary(ctx context.Context, w SummaryWindow) (CampusSummary, error)
	// Report computes the public report; the attendance rate is taken over
	// the calendar days from..to.
	Report(ctx context.Context, from, to attendance.Date) (ReportSummary, error)
}
