package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
)

// attendanceRiskSet provides the attendance-risk agent's aggregate queries.
var attendanceRiskSet = wire.NewSet(
	NewAttendanceStats,
	wire.Bind(new(ports.AttendanceStats), new(*AttendanceStats)),
)

var _ ports.AttendanceStats = (*AttendanceStats)(nil)

// AttendanceStats implements ports.AttendanceStats.
type AttendanceStats struct {
	db *DB
}

// NewAttendanceStats returns an AttendanceStats over db.
func NewAttendanceStats(db *DB) *AttendanceStats { return &AttendanceStats{db: db} }

// figuresSQL aggregates the window's records of the students whose ids
// lie in a range, one row per student with a record. The range is an
// index range on attendance_records' (student_id, date, status) index;
// for one student it is written as an equality (figuresOneSQL), which
// keeps the planner on that index even before statistics know the table
// (a range lets it pick the index led by date: 0.1 ms became 16 ms). The run of absences counts the absent
// records after the student's latest present or late one (la).
const figuresSQL = `
WITH w AS (
	SELECT ar.student_id, ar.date, ar.status FROM attendance_records AS ar
	WHERE ar.student_id BETWEEN ? AND ? AND ar.date BETWEEN ? AND ?
), la AS (
	SELECT w.student_id, MAX(w.date) AS last_attended FROM w WHERE w.status IN ('present', 'late') GROUP BY w.student_id
)
SELECT w.student_id,
	SUM(CASE WHEN w.status = 'present' THEN 1 ELSE 0 END) AS present,
	SUM(CASE WHEN w.status = 'late' THEN 1 ELSE 0 END) AS late,
	SUM(CASE WHEN w.status = 'absent' THEN 1 ELSE 0 END) AS absent,
	SUM(CASE WHEN w.status = 'excused' THEN 1 ELSE 0 END) AS excused,
	SUM(CASE WHEN w.date >= ? AND w.status IN ('present', 'late') THEN 1 ELSE 0 END) AS recent_attended,
	SUM(CASE WHEN w.date >= ? AND w.status IN ('present', 'late', 'absent') THEN 1 ELSE 0 END) AS recent_due,
	SUM(CASE WHEN w.status = 'absent' AND (la.last_attended IS NULL OR w.date > la.last_attended) THEN 1 ELSE 0 END) AS consecutive_absences
FROM w LEFT JOIN la ON la.student_id = w.student_id
GROUP BY w.student_id
ORDER BY w.student_id`

var (
	figuresOneSQL  = strings.Replace(figuresSQL, "ar.student_id BETWEEN ? AND ?", "ar.student_id = ?", 1)
	figuresListSQL = strings.Replace(figuresSQL, "ar.student_id BETWEEN ? AND ?", "ar.student_id IN (?)", 1)
)

type figuresRow struct {
	StudentID           int64 `bun:"student_id"`
	Present             int   `bun:"present"`
	Late                int   `bun:"late"`
	Absent              int   `bun:"absent"`
	Excused             int   `bun:"excused"`
	RecentAttended      int   `bun:"recent_attended"`
	RecentDue           int   `bun:"recent_due"`
	ConsecutiveAbsences int   `bun:"consecutive_absences"`
}

func (r figuresRow) domain() risk.AttendanceFigures {
	return risk.AttendanceFigures{StudentID: r.StudentID, Present: r.Present, Late: r.Late, Absent: r.Absent, Excused: r.Excused,
		RecentAttended: r.RecentAttended, RecentDue: r.RecentDue, ConsecutiveAbsences: r.ConsecutiveAbsences}
}

func (s *AttendanceStats) figures(ctx context.Context, w risk.AttendanceWindow, fromID, toID int64) ([]risk.AttendanceFigures, error) {
	if fromID == toID {
		return s.figuresOf(ctx, w, figuresOneSQL, fromID)
	}
	return s.figuresOf(ctx, w, figuresSQL, fromID, toID)
}

// figuresOf runs one of the figures statements with its students' arguments.
func (s *AttendanceStats) figuresOf(ctx context.Context, w risk.AttendanceWindow, q string, students ...any) ([]risk.AttendanceFigures, error) {
	var rows []figuresRow
	mid := toSQLDate(w.Mid)
	err := s.db.conn(ctx).NewRaw(q, append(students, toSQLDate(w.From), toSQLDate(w.To), mid, mid)...).Scan(ctx, &rows)
	if err != nil {
		return nil, translate(err, thingAttendance)
	}
	out := make([]risk.AttendanceFigures, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// StudentFigures is one student's figures over the window.
func (s *AttendanceStats) StudentFigures(ctx context.Context, studentID int64, w risk.AttendanceWindow) (risk.AttendanceFigures, error) {
	fs, err := s.figures(ctx, w, studentID, studentID)
	if err != nil {
		return risk.AttendanceFigures{}, fmt.Errorf("attendance figures of student %d: %w", studentID, err)
	}
	if len(fs) == 0 {
		return risk.AttendanceFigures{StudentID: studentID}, nil
	}
	return fs[0], nil
}

// StudentsFigures is the figures of the listed students in one statement,
// by ascending id, with zero counts for those without a record in the
// window.
func (s *AttendanceStats) StudentsFigures(ctx context.Context, studentIDs []int64, w risk.AttendanceWindow) ([]risk.AttendanceFigures, error) {
	ids := slices.Clone(studentIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil, nil
	}
	fs, err := s.figuresOf(ctx, w, figuresListSQL, bun.List(ids))
	if err != nil {
		return nil, fmt.Errorf("attendance figures of %d students: %w", len(ids), err)
	}
	return mergeFigures(fs, ids), nil
}

// attendanceSubjects matches the subject keys of attendance records.
const attendanceSubjects = "attendance:student:%"

// FiguresPage examines the next limit students (by primary key), then
// aggregates their window in one statement and adds, with zero counts,
// those of them with an open attendance record but no record in the
// window: three statements whatever the page's size.
func (s *AttendanceStats) FiguresPage(ctx context.Context, w risk.AttendanceWindow, afterID int64, limit int) ([]risk.AttendanceFigures, int64, error) {
	if limit <= 0 {
		limit = 1000
	}
	var ids []int64
	err := s.db.conn(ctx).NewSelect().Table("students").Column("id").Where("id > ?", afterID).OrderExpr("id").Limit(int64(limit)).Scan(ctx, &ids)
	if err != nil {
		return nil, 0, fmt.Errorf("students after %d: %w", afterID, translate(err, thingStudent))
	}
	if len(ids) == 0 {
		return nil, 0, nil
	}
	first, last := ids[0], ids[len(ids)-1]
	fs, err := s.figures(ctx, w, first, last)
	if err != nil {
		return nil, 0, fmt.Errorf("attendance figures of students %d to %d: %w", first, last, err)
	}
	var open []int64
	err = s.db.conn(ctx).NewSelect().Model((*riskRow)(nil)).Column("r.student_id").
		Where("r.status = ?", string(risk.Open)).Where("r.subject_key LIKE ?", attendanceSubjects).
		Where("r.student_id BETWEEN ? AND ?", first, last).OrderExpr("r.student_id").Scan(ctx, &open)
	if err != nil {
		return nil, 0, fmt.Errorf("open attendance risks of students %d to %d: %w", first, last, translate(err, thingRisk))
	}
	return mergeFigures(fs, open), last, nil
}

// mergeFigures adds zero figures for the ids (ascending) that fs
// (ascending) lacks.
func mergeFigures(fs []risk.AttendanceFigures, ids []int64) []risk.AttendanceFigures {
	out := make([]risk.AttendanceFigures, 0, len(fs)+len(ids))
	i := 0
	for _, f := range fs {
		for ; i < len(ids) && ids[i] < f.StudentID; i++ {
			out = append(out, risk.AttendanceFigures{StudentID: ids[i]})
		}
		if i < len(ids) && ids[i] == f.StudentID {
			i++
		}
		out = append(out, f)
	}
	for ; i < len(ids); i++ {
		out = append(out, risk.AttendanceFigures{StudentID: ids[i]})
	}
	return out
}

// OpenAttendanceRisks loads the open records about the students'
// attendance through the unique index on open subject keys.
func (s *AttendanceStats) OpenAttendanceRisks(ctx context.Context, studentIDs []int64) (map[int64]risk.Risk, error) {
	out, err := s.bySubject(ctx, studentIDs, risk.Open)
	if err != nil {
		return nil, fmt.Errorf("open attendance risks of %d students: %w", len(studentIDs), err)
	}
	return out, nil
}

// LatestResolvedOf loads the students' most recently resolved attendance
// records through the index on subject keys: all of their resolved ones,
// the latest kept per student (a student has few).
func (s *AttendanceStats) LatestResolvedOf(ctx context.Context, studentIDs []int64) (map[int64]risk.Risk, error) {
	out, err := s.bySubject(ctx, studentIDs, risk.Resolved)
	if err != nil {
		return nil, fmt.Errorf("latest resolved attendance risks of %d students: %w", len(studentIDs), err)
	}
	return out, nil
}

// bySubject is, per student, their attendance record in the status (the
// latest resolved one for risk.Resolved: the rows come newest first and
// the first one per student is kept).
func (s *AttendanceStats) bySubject(ctx context.Context, studentIDs []int64, status risk.Status) (map[int64]risk.Risk, error) {
	out := map[int64]risk.Risk{}
	if len(studentIDs) == 0 {
		return out, nil
	}
	keys := make([]string, len(studentIDs))
	for i, id := range studentIDs {
		keys[i] = risk.AttendanceSubject(id)
	}
	var rows []riskRow
	err := s.db.conn(ctx).NewSelect().Model(&rows).Where("r.subject_key IN (?)", bun.List(keys)).
		Where("r.status = ?", string(status)).OrderExpr("r.resolved_at DESC, r.id DESC").Scan(ctx)
	if err != nil {
		return nil, translate(err, thingRisk)
	}
	rs, err := riskRows(rows)
	if err != nil {
		return nil, err
	}
	for _, r := range rs {
		if r.StudentID == nil {
			continue
		}
		if _, seen := out[*r.StudentID]; !seen {
			out[*r.StudentID] = r
		}
	}
	return out, nil
}

// audienceSQL is each student with every active account concerned:
// their own, the staff of their department, and the admins (none when no
// account matches: the LEFT JOIN keeps the student).
const audienceSQL = `
SELECT s.id AS student_id, s.name, s.roll_no, s.department, u.id AS user_id, u.role,
	CASE WHEN u.student_id = s.id THEN 1 ELSE 0 END AS own
FROM students AS s
LEFT JOIN users AS u ON u.is_active = ? AND (u.student_id = s.id OR u.role = ?
	OR (u.role = ? AND lower(trim(u.department)) = lower(trim(s.department))))
WHERE s.id IN (?)
ORDER BY s.id, u.id`

// Audiences is who may hear about each student's attendance.
func (s *AttendanceStats) Audiences(ctx context.Context, studentIDs []int64) (map[int64]ports.RiskAudience, error) {
	out := map[int64]ports.RiskAudience{}
	if len(studentIDs) == 0 {
		return out, nil
	}
	var rows []struct {
		StudentID  int64   `bun:"student_id"`
		Name       string  `bun:"name"`
		RollNo     string  `bun:"roll_no"`
		Department string  `bun:"department"`
		UserID     *int64  `bun:"user_id"`
		Role       *string `bun:"role"`
		Own        int     `bun:"own"`
	}
	err := s.db.conn(ctx).NewRaw(audienceSQL, true, string(identity.RoleAdmin), string(identity.RoleStaff), bun.List(studentIDs)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("audiences of %d students: %w", len(studentIDs), translate(err, thingStudent))
	}
	for _, r := range rows {
		a, ok := out[r.StudentID]
		if !ok {
			a = ports.RiskAudience{StudentName: r.Name, RollNo: r.RollNo, Department: r.Department}
		}
		switch {
		case r.UserID == nil:
		case r.Own == 1:
			a.StudentUser = append(a.StudentUser, *r.UserID)
		case r.Role != nil && *r.Role == string(identity.RoleStaff):
			a.Staff = append(a.Staff, *r.UserID)
		case r.Role != nil && *r.Role == string(identity.RoleAdmin):
			a.Admins = append(a.Admins, *r.UserID)
		}
		out[r.StudentID] = a
	}
	return out, nil
}
