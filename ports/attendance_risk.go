package ports

import (
	"context"

	"github.com/campus/campus/domain/risk"
)

// AttendanceStats answers the attendance-risk agent's questions in
// aggregate: per student counts, never the attendance rows themselves.
type AttendanceStats interface {
	// StudentFigures is one student's figures over the window (zero counts
	// when they have no record in it), in one query.
	StudentFigures(ctx context.Context, studentID int64, w risk.AttendanceWindow) (risk.AttendanceFigures, error)
	// StudentsFigures is the figures of each listed student over the
	// window (zero counts without a record in it), by ascending id, each
	// student once, in one query.
	StudentsFigures(ctx context.Context, studentIDs []int64, w risk.AttendanceWindow) ([]risk.AttendanceFigures, error)
	// FiguresPage is one page of the nightly pass: it examines the next
	// limit students by ascending id above afterID and returns the figures
	// of those with a record in the window or an open record with
	// risk.AttendanceSubject as subject key (zero counts when no record is
	// in the window), by ascending id; next is the last id examined, 0
	// when no student was left. A constant number of queries per page.
	FiguresPage(ctx context.Context, w risk.AttendanceWindow, afterID int64, limit int) (page []risk.AttendanceFigures, next int64, err error)
	// OpenAttendanceRisks are the open records about the students'
	// attendance (subject key risk.AttendanceSubject), by student id, in
	// one query.
	OpenAttendanceRisks(ctx context.Context, studentIDs []int64) (map[int64]risk.Risk, error)
	// LatestResolvedOf is each student's most recently resolved attendance
	// record (subject key risk.AttendanceSubject), by student id, in one
	// query; a student without one is not in the map.
	LatestResolvedOf(ctx context.Context, studentIDs []int64) (map[int64]risk.Risk, error)
	// Audiences is who may hear about each student's attendance, by
	// student id, in one query; an unknown student is not in the map.
	Audiences(ctx context.Context, studentIDs []int64) (map[int64]RiskAudience, error)
}

// RiskAudience is a student with the active accounts concerned: their own
// (linked through student_id), the staff whose department is the
// student's (compared ignoring case and surrounding space), and every
// admin. The use case chooses among them.
type RiskAudience struct {
	StudentName string
	RollNo      string
	Department  string
	StudentUser []int64
	Staff       []int64
	Admins      []int64
}
