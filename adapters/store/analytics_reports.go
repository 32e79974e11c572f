package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/wire"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/ports"
)

// reportSet provides the analytics and report figures (bound to their port).
var reportSet = wire.NewSet(
	NewReportStore,
	wire.Bind(new(ports.ReportStore), new(*ReportStore)),
)

var _ ports.ReportStore = (*ReportStore)(nil)

// ReportStore implements ports.ReportStore. Both dialects run the same SQL
// except for reading a timestamp as Unix seconds; local wall-clock time is
// that plus the zone's offset at the instant (a CASE over the offset
// changes the service computed), so weekday, hour and week buckets are
// integer arithmetic that PostgreSQL and SQLite evaluate alike.
type ReportStore struct {
	db *DB
}

// NewReportStore returns a ReportStore over db.
func NewReportStore(db *DB) *ReportStore { return &ReportStore{db: db} }

const thingReport = "Report"

// epoch reads col as whole Unix seconds (both stores keep UTC instants).
func (s *ReportStore) epoch(col string) string {
	if s.db.postgres() {
		return "CAST(floor(extract(epoch FROM " + col + ")) AS bigint)"
	}
	return "CAST(strftime('%s', " + col + ") AS INTEGER)"
}

// localSeconds is the SQL for col as local wall-clock seconds since the
// epoch, with its arguments.
func (s *ReportStore) localSeconds(col string, span ports.LocalSpan) (string, []any) {
	if len(span.Offsets) == 0 {
		return s.epoch(col), nil
	}
	if len(span.Offsets) == 1 {
		return fmt.Sprintf("(%s + %d)", s.epoch(col), span.Offsets[0].Offset), nil
	}
	var b strings.Builder
	var args []any
	b.WriteString("(" + s.epoch(col) + " + CASE")
	for i := 1; i < len(span.Offsets); i++ {
		fmt.Fprintf(&b, " WHEN %s < ? THEN %d", col, span.Offsets[i-1].Offset)
		args = append(args, stamp(span.Offsets[i].At))
	}
	fmt.Fprintf(&b, " ELSE %d END)", span.Offsets[len(span.Offsets)-1].Offset)
	return b.String(), args
}

// ComplaintHeatmap buckets the span's complaints by local weekday and hour:
// day number = local seconds / 86400 (1970-01-01 was a Thursday, ISO 4),
// hour = local seconds mod 86400 / 3600.
func (s *ReportStore) ComplaintHeatmap(ctx context.Context, span ports.LocalSpan) ([]ports.HeatCell, error) {
	local, args := s.localSeconds("c.created_at", span)
	args = append(args, stamp(span.From), stamp(span.To))
	var rows []struct {
		Weekday   int     `bun:"wd"`
		Hour      int     `bun:"hr"`
		Count     int     `bun:"n"`
		Intensity float64 `bun:"intensity"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT t.wd AS wd, t.hr AS hr, count(*) AS n,
	CAST(count(*) AS double precision) / max(count(*)) OVER () AS intensity
FROM (
	SELECT ((u.l / 86400 + 3) % 7) + 1 AS wd, (u.l % 86400) / 3600 AS hr
	FROM (SELECT `+local+` AS l FROM complaints AS c WHERE c.created_at >= ? AND c.created_at < ?) AS u
) AS t
GROUP BY t.wd, t.hr
ORDER BY n DESC, wd, hr`, args...).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("complaint heatmap: %w", translate(err, thingReport))
	}
	out := make([]ports.HeatCell, len(rows))
	for i, r := range rows {
		out[i] = ports.HeatCell{Weekday: r.Weekday, Hour: r.Hour, Count: r.Count, Intensity: r.Intensity}
	}
	return out, nil
}

// ComplaintCategories counts the complaints created in [from, to) per
// category.
func (s *ReportStore) ComplaintCategories(ctx context.Context, from, to time.Time) ([]ports.CategoryCount, error) {
	var rows []struct {
		Category string `bun:"category"`
		Count    int    `bun:"n"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT c.category AS category, count(*) AS n FROM complaints AS c
WHERE c.created_at >= ? AND c.created_at < ?
GROUP BY c.category ORDER BY n DESC, category`, stamp(from), stamp(to)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("complaint categories: %w", translate(err, thingReport))
	}
	out := make([]ports.CategoryCount, len(rows))
	for i, r := range rows {
		out[i] = ports.CategoryCount{Category: r.Category, Count: r.Count}
	}
	return out, nil
}

// ComplaintWeeks builds the series of weeks with a recursive CTE (so
// weeks without complaints are rows of zeros), joins the per-week counts,
// takes the 4-week moving average with a window function over the lead
// weeks too, and the least-squares slope of the returned weeks' totals
// (x = 0, 1, …) from window sums: (nΣxy − ΣxΣy) / (nΣx² − (Σx)²).
func (s *ReportStore) ComplaintWeeks(ctx context.Context, span ports.LocalSpan, firstDay int64, lead, weeks int) (ports.ComplaintWeeks, error) {
	local, largs := s.localSeconds("c.created_at", span)
	args := []any{lead + weeks - 1, firstDay}
	args = append(args, largs...)
	args = append(args, stamp(span.From), stamp(span.To), lead, lead)
	var rows []struct {
		Index   int      `bun:"i"`
		Low     int      `bun:"low"`
		Normal  int      `bun:"normal"`
		High    int      `bun:"high"`
		Urgent  int      `bun:"urgent"`
		Total   int      `bun:"total"`
		Average float64  `bun:"moving_average"`
		Slope   *float64 `bun:"slope"`
	}
	err := s.db.conn(ctx).NewRaw(`WITH RECURSIVE wk(i) AS (SELECT 0 UNION ALL SELECT wk.i + 1 FROM wk WHERE wk.i < ?),
agg AS (
	SELECT (u.l / 86400 - ?) / 7 AS i,
		sum(CASE WHEN u.priority = 'low' THEN 1 ELSE 0 END) AS low,
		sum(CASE WHEN u.priority = 'normal' THEN 1 ELSE 0 END) AS normal,
		sum(CASE WHEN u.priority = 'high' THEN 1 ELSE 0 END) AS high,
		sum(CASE WHEN u.priority = 'urgent' THEN 1 ELSE 0 END) AS urgent,
		count(*) AS total
	FROM (SELECT c.priority AS priority, `+local+` AS l FROM complaints AS c WHERE c.created_at >= ? AND c.created_at < ?) AS u
	GROUP BY 1
),
series AS (
	SELECT wk.i AS i, coalesce(agg.low, 0) AS low, coalesce(agg.normal, 0) AS normal, coalesce(agg.high, 0) AS high,
		coalesce(agg.urgent, 0) AS urgent, coalesce(agg.total, 0) AS total,
		CAST(avg(coalesce(agg.total, 0)) OVER (ORDER BY wk.i ROWS BETWEEN 3 PRECEDING AND CURRENT ROW) AS double precision) AS moving_average
	FROM wk LEFT JOIN agg ON agg.i = wk.i
),
shown AS (SELECT series.*, series.i - ? AS x FROM series WHERE series.i >= ?)
SELECT shown.x AS i, shown.low, shown.normal, shown.high, shown.urgent, shown.total, shown.moving_average,
	CAST(count(*) OVER () * sum(shown.x * shown.total) OVER () - sum(shown.x) OVER () * sum(shown.total) OVER () AS double precision)
		/ CAST(NULLIF(count(*) OVER () * sum(shown.x * shown.x) OVER () - sum(shown.x) OVER () * sum(shown.x) OVER (), 0) AS double precision) AS slope
FROM shown ORDER BY shown.x`, args...).Scan(ctx, &rows)
	if err != nil {
		return ports.ComplaintWeeks{}, fmt.Errorf("complaint weeks: %w", translate(err, thingReport))
	}
	out := ports.ComplaintWeeks{Weeks: make([]ports.ComplaintWeek, len(rows))}
	for i, r := range rows {
		out.Weeks[i] = ports.ComplaintWeek{Index: r.Index, Low: r.Low, Normal: r.Normal, High: r.High, Urgent: r.Urgent,
			Total: r.Total, MovingAverage: r.Average}
		out.Slope = r.Slope
	}
	return out, nil
}

// RiskDistribution counts records per type and severity in one GROUP BY.
func (s *ReportStore) RiskDistribution(ctx context.Context) ([]ports.RiskCell, error) {
	var rows []struct {
		Type     string `bun:"risk_type"`
		Severity string `bun:"severity"`
		Open     int    `bun:"n_open"`
		Resolved int    `bun:"n_resolved"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT r.risk_type AS risk_type, r.severity AS severity,
	sum(CASE WHEN r.status = 'open' THEN 1 ELSE 0 END) AS n_open,
	sum(CASE WHEN r.status = 'resolved' THEN 1 ELSE 0 END) AS n_resolved
FROM risks AS r GROUP BY r.risk_type, r.severity ORDER BY r.risk_type, r.severity`).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("risk distribution: %w", translate(err, thingRisk))
	}
	out := make([]ports.RiskCell, len(rows))
	for i, r := range rows {
		out[i] = ports.RiskCell{Type: r.Type, Severity: r.Severity, Open: r.Open, Resolved: r.Resolved}
	}
	return out, nil
}

// TopOpenRisks counts each student's open records per severity and orders
// by the sum of ln(1 − w/100) over them, computed from the counts so that
// students with the same records get exactly the same key (a tie, broken
// by id) whatever order the database adds rows in.
func (s *ReportStore) TopOpenRisks(ctx context.Context, logWeights map[string]float64, limit int) ([]ports.StudentOpenRisks, error) {
	var rows []struct {
		StudentID  int64  `bun:"student_id"`
		Name       string `bun:"name"`
		RollNo     string `bun:"roll_no"`
		Department string `bun:"department"`
		Low        int    `bun:"n_low"`
		Medium     int    `bun:"n_medium"`
		High       int    `bun:"n_high"`
		Critical   int    `bun:"n_critical"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT t.student_id AS student_id, st.name AS name, st.roll_no AS roll_no, st.department AS department,
	t.n_low, t.n_medium, t.n_high, t.n_critical
FROM (
	SELECT r.student_id AS student_id,
		sum(CASE WHEN r.severity = 'low' THEN 1 ELSE 0 END) AS n_low,
		sum(CASE WHEN r.severity = 'medium' THEN 1 ELSE 0 END) AS n_medium,
		sum(CASE WHEN r.severity = 'high' THEN 1 ELSE 0 END) AS n_high,
		sum(CASE WHEN r.severity = 'critical' THEN 1 ELSE 0 END) AS n_critical
	FROM risks AS r WHERE r.status = 'open' AND r.student_id IS NOT NULL
	GROUP BY r.student_id
) AS t JOIN students AS st ON st.id = t.student_id
ORDER BY t.n_low * ? + t.n_medium * ? + t.n_high * ? + t.n_critical * ?, t.student_id
LIMIT ?`, logWeights["low"], logWeights["medium"], logWeights["high"], logWeights["critical"], limit).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("top open risks: %w", translate(err, thingRisk))
	}
	out := make([]ports.StudentOpenRisks, len(rows))
	for i, r := range rows {
		out[i] = ports.StudentOpenRisks{StudentID: r.StudentID, Name: r.Name, RollNo: r.RollNo, Department: r.Department,
			Low: r.Low, Medium: r.Medium, High: r.High, Critical: r.Critical}
	}
	return out, nil
}

// Summary computes every figure of the campus summary in one statement of
// scalar subqueries, each served by an index.
func (s *ReportStore) Summary(ctx context.Context, w ports.SummaryWindow) (ports.CampusSummary, error) {
	var row struct {
		StudentsTotal        int      `bun:"students_total"`
		StudentsActive       int      `bun:"students_active"`
		StudentsNew          int      `bun:"students_new"`
		AttendanceRecords    int      `bun:"attendance_records"`
		AttendanceAttended   int      `bun:"attendance_attended"`
		AttendanceCounted    int      `bun:"attendance_counted"`
		AttendanceRate       *float64 `bun:"attendance_rate"`
		ComplaintsTotal      int      `bun:"complaints_total"`
		ComplaintsPending    int      `bun:"complaints_pending"`
		ComplaintsInProgress int      `bun:"complaints_in_progress"`
		ComplaintsNew        int      `bun:"complaints_new"`
		RisksOpen            int      `bun:"risks_open"`
		RisksNew             int      `bun:"risks_new"`
		SchedulesActive      int      `bun:"schedules_active"`
		ClubsActive          int      `bun:"clubs_active"`
	}
	since, from, to := stamp(w.Since), toSQLDate(w.From), toSQLDate(w.To)
	err := s.db.conn(ctx).NewRaw(`SELECT
	(SELECT count(*) FROM students) AS students_total,
	(SELECT count(*) FROM students AS st WHERE st.status = 'active') AS students_active,
	(SELECT count(*) FROM students AS st WHERE st.created_at >= ?) AS students_new,
	a.records AS attendance_records, a.attended AS attendance_attended, a.counted AS attendance_counted,
	CAST(a.attended AS double precision) / NULLIF(a.counted, 0) AS attendance_rate,
	(SELECT count(*) FROM complaints) AS complaints_total,
	(SELECT count(*) FROM complaints AS c WHERE c.status = 'pending') AS complaints_pending,
	(SELECT count(*) FROM complaints AS c WHERE c.status = 'in_progress') AS complaints_in_progress,
	(SELECT count(*) FROM complaints AS c WHERE c.created_at >= ?) AS complaints_new,
	(SELECT count(*) FROM risks AS r WHERE r.status = 'open') AS risks_open,
	(SELECT count(*) FROM risks AS r WHERE r.created_at >= ?) AS risks_new,
	(SELECT count(*) FROM schedules AS sc WHERE sc.is_active) AS schedules_active,
	(SELECT count(*) FROM clubs AS cl WHERE cl.is_active) AS clubs_active
FROM (
	SELECT count(*) AS records,
		coalesce(sum(CASE WHEN `+attendedExpr+` THEN 1 ELSE 0 END), 0) AS attended,
		coalesce(sum(CASE WHEN `+countedExpr+` THEN 1 ELSE 0 END), 0) AS counted
	FROM attendance_records AS ar WHERE ar.date >= ? AND ar.date <= ?
) AS a`, since, since, since, from, to).Scan(ctx, &row)
	if err != nil {
		return ports.CampusSummary{}, fmt.Errorf("campus summary: %w", translate(err, thingReport))
	}
	return ports.CampusSummary{StudentsTotal: row.StudentsTotal, StudentsActive: row.StudentsActive, StudentsNew: row.StudentsNew,
		AttendanceRecords: row.AttendanceRecords, AttendanceAttended: row.AttendanceAttended, AttendanceCounted: row.AttendanceCounted,
		AttendanceRate: row.AttendanceRate, ComplaintsTotal: row.ComplaintsTotal, ComplaintsPending: row.ComplaintsPending,
		ComplaintsInProgress: row.ComplaintsInProgress, ComplaintsNew: row.ComplaintsNew, RisksOpen: row.RisksOpen,
		RisksNew: row.RisksNew, SchedulesActive: row.SchedulesActive, ClubsActive: row.ClubsActive}, nil
}

// Report computes the public report in one statement: students are the
// active ones, at risk when they have an open record.
func (s *ReportStore) Report(ctx context.Context, from, to attendance.Date) (ports.ReportSummary, error) {
	var row struct {
		TotalStudents     int      `bun:"total_students"`
		StudentsAtRisk    int      `bun:"students_at_risk"`
		PendingComplaints int      `bun:"pending_complaints"`
		ActiveSchedules   int      `bun:"active_schedules"`
		AttendanceRate    *float64 `bun:"attendance_rate"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT
	(SELECT count(*) FROM students AS st WHERE st.status = 'active') AS total_students,
	(SELECT count(DISTINCT r.student_id) FROM risks AS r JOIN students AS st ON st.id = r.student_id
		WHERE r.status = 'open' AND st.status = 'active') AS students_at_risk,
	(SELECT count(*) FROM complaints AS c WHERE c.status = 'pending') AS pending_complaints,
	(SELECT count(*) FROM schedules AS sc WHERE sc.is_active) AS active_schedules,
	CAST(a.attended AS double precision) / NULLIF(a.counted, 0) AS attendance_rate
FROM (
	SELECT coalesce(sum(CASE WHEN `+attendedExpr+` THEN 1 ELSE 0 END), 0) AS attended,
		coalesce(sum(CASE WHEN `+countedExpr+` THEN 1 ELSE 0 END), 0) AS counted
	FROM attendance_records AS ar WHERE ar.date >= ? AND ar.date <= ?
) AS a`, toSQLDate(from), toSQLDate(to)).Scan(ctx, &row)
	if err != nil {
		return ports.ReportSummary{}, fmt.Errorf("report summary: %w", translate(err, thingReport))
	}
	return ports.ReportSummary{TotalStudents: row.TotalStudents, StudentsAtRisk: row.StudentsAtRisk,
		PendingComplaints: row.PendingComplaints, ActiveSchedules: row.ActiveSchedules, AttendanceRate: row.AttendanceRate}, nil
}
