package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/wire"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// analyticsAttendanceSet provides the attendance analytics queries and the
// demo data's bulk path (bound to their ports).
var analyticsAttendanceSet = wire.NewSet(
	NewAttendanceAnalytics,
	wire.Bind(new(ports.AttendanceAnalytics), new(*AttendanceAnalytics)),
	NewDemoStore,
	wire.Bind(new(ports.DemoStore), new(*DemoStore)),
)

var _ ports.AttendanceAnalytics = (*AttendanceAnalytics)(nil)

// AttendanceAnalytics implements ports.AttendanceAnalytics: each answer is
// one statement, whatever the number of students and days.
type AttendanceAnalytics struct {
	db *DB
}

// NewAttendanceAnalytics returns an AttendanceAnalytics over db.
func NewAttendanceAnalytics(db *DB) *AttendanceAnalytics { return &AttendanceAnalytics{db: db} }

// dayIndex is the SQL for the whole days from the date literal origin to
// the date column col: date subtraction on PostgreSQL, julian day numbers
// on SQLite (both exact for calendar dates).
func (db *DB) dayIndex(col string) string {
	if db.postgres() {
		return "(" + col + " - CAST(? AS date))"
	}
	return "CAST(round(julianday(" + col + ") - julianday(?)) AS INTEGER)"
}

// Trend builds the series in SQL:
//   - cal: every calendar day index from 1-window (the look-back of the
//     moving average) to the last day, by a recursive CTE (both dialects);
//   - daily: the scope's marks per status and date over the same span,
//     read through (student_id, date) or (date, ...) indexes;
//   - series: the days left-joined to their marks, so a day without
//     records is a row with a NULL rate, then the moving average as a
//     window over the previous window-1 rows (the calendar is dense, so
//     rows are days; AVG skips NULLs and is NULL when all are);
//   - the slope's sums as windows over the whole series, restricted to the
//     days of from..to that have a rate.
func (a *AttendanceAnalytics) Trend(ctx context.Context, scope ports.AttendanceScope, from, to attendance.Date, window int) (ports.AttendanceTrend, error) {
	window = max(window, 1)
	last := daysBetween(from, to)
	lookFrom := addDate(from, -(window - 1))
	origin := toSQLDate(from)

	var (
		join  string
		where []string
		args  = []any{1 - window, last, origin}
	)
	where = append(where, "ar.date >= ?", "ar.date <= ?")
	args = append(args, toSQLDate(lookFrom), toSQLDate(to))
	switch {
	case scope.StudentID != 0:
		where = append(where, "ar.student_id = ?")
		args = append(args, scope.StudentID)
	case scope.Department != "":
		join = " JOIN students AS st ON st.id = ar.student_id"
		where = append(where, "st.department = ?")
		args = append(args, scope.Department)
	}
	args = append(args, window-1)
	q := `WITH RECURSIVE cal(i) AS (
	SELECT CAST(? AS INTEGER) UNION ALL SELECT i + 1 FROM cal WHERE i < ?
),
daily AS (
	SELECT ` + a.db.dayIndex("ar.date") + ` AS i,
		sum(CASE WHEN ar.status = 'present' THEN 1 ELSE 0 END) AS present,
		sum(CASE WHEN ar.status = 'late' THEN 1 ELSE 0 END) AS late,
		sum(CASE WHEN ar.status = 'absent' THEN 1 ELSE 0 END) AS absent,
		sum(CASE WHEN ar.status = 'excused' THEN 1 ELSE 0 END) AS excused
	FROM attendance_records AS ar` + join + `
	WHERE ` + strings.Join(where, " AND ") + `
	GROUP BY ar.date
),
days AS (
	SELECT cal.i AS i, coalesce(d.present, 0) AS present, coalesce(d.late, 0) AS late,
		coalesce(d.absent, 0) AS absent, coalesce(d.excused, 0) AS excused,
		coalesce(d.present + d.late + d.absent, 0) AS counted,
		CASE WHEN coalesce(d.present, 0) + coalesce(d.late, 0) + coalesce(d.absent, 0) > 0
			THEN CAST(d.present + d.late AS DOUBLE PRECISION) / (d.present + d.late + d.absent) END AS rate
	FROM cal LEFT JOIN daily AS d ON d.i = cal.i
),
series AS (
	SELECT i, present, late, absent, excused, counted, rate,
		avg(rate) OVER (ORDER BY i ROWS BETWEEN ? PRECEDING AND CURRENT ROW) AS moving_average,
		CASE WHEN i >= 0 THEN rate END AS y
	FROM days
),
fit AS (
	SELECT count(y) AS n, sum(CASE WHEN y IS NOT NULL THEN i END) AS sx, sum(y) AS sy,
		sum(i * y) AS sxy, sum(CASE WHEN y IS NOT NULL THEN i * i END) AS sxx
	FROM series
)
SELECT s.i, s.present, s.late, s.absent, s.excused, s.counted, s.rate, s.moving_average,
	CASE WHEN f.n >= 2 THEN (f.n * f.sxy - f.sx * f.sy) / (f.n * f.sxx - f.sx * f.sx) END AS slope
FROM series AS s CROSS JOIN fit AS f
WHERE s.i >= 0
ORDER BY s.i`
	var rows []struct {
		I             int      `bun:"i"`
		Present       int      `bun:"present"`
		Late          int      `bun:"late"`
		Absent        int      `bun:"absent"`
		Excused       int      `bun:"excused"`
		Counted       int      `bun:"counted"`
		Rate          *float64 `bun:"rate"`
		MovingAverage *float64 `bun:"moving_average"`
		Slope         *float64 `bun:"slope"`
	}
	if err := a.db.conn(ctx).NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return ports.AttendanceTrend{}, fmt.Errorf("attendance trend: %w", translate(err, thingAttendance))
	}
	out := ports.AttendanceTrend{Days: make([]ports.AttendanceDay, len(rows))}
	for k, r := range rows {
		out.Days[k] = ports.AttendanceDay{Date: addDate(from, r.I), Present: r.Present, Late: r.Late, Absent: r.Absent,
			Excused: r.Excused, Counted: r.Counted, Rate: r.Rate, MovingAverage: r.MovingAverage}
		out.Slope = r.Slope
	}
	return out, nil
}

// Low lists the active students under the threshold: one GROUP BY over the
// window's records joined to the students, the threshold applied in
// HAVING on the same division the rate is, and the total as a window
// over the groups that pass.
func (a *AttendanceAnalytics) Low(ctx context.Context, f ports.LowAttendanceFilter, p page.Request) (page.Result[ports.LowAttendance], error) {
	p = normalize(p)
	args := []any{toSQLDate(f.From), toSQLDate(f.To)}
	dept := ""
	if f.Department != "" {
		dept = " AND st.department = ?"
		args = append(args, f.Department)
	}
	args = append(args, f.Threshold, p.Limit, p.Offset)
	const attended = "sum(CASE WHEN ar.status IN ('present', 'late') THEN 1 ELSE 0 END)"
	const counted = "sum(CASE WHEN ar.status <> 'excused' THEN 1 ELSE 0 END)"
	q := `SELECT st.id AS student_id, st.name AS name, st.roll_no AS roll_no, st.department AS department,
	` + attended + ` AS attended, ` + counted + ` AS counted,
	sum(CASE WHEN ar.status = 'excused' THEN 1 ELSE 0 END) AS excused,
	CAST(` + attended + ` AS DOUBLE PRECISION) / ` + counted + ` AS rate,
	count(*) OVER () AS total
FROM attendance_records AS ar JOIN students AS st ON st.id = ar.student_id
WHERE ar.date >= ? AND ar.date <= ? AND st.status = 'active'` + dept + `
GROUP BY st.id, st.name, st.roll_no, st.department
HAVING ` + counted + ` > 0 AND CAST(` + attended + ` AS DOUBLE PRECISION) / ` + counted + ` < ?
ORDER BY rate, st.id
LIMIT ? OFFSET ?`
	var rows []struct {
		StudentID  int64   `bun:"student_id"`
		Name       string  `bun:"name"`
		RollNo     string  `bun:"roll_no"`
		Department string  `bun:"department"`
		Attended   int     `bun:"attended"`
		Counted    int     `bun:"counted"`
		Excused    int     `bun:"excused"`
		Rate       float64 `bun:"rate"`
		Total      int     `bun:"total"`
	}
	if err := a.db.conn(ctx).NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return page.Result[ports.LowAttendance]{}, fmt.Errorf("low attendance: %w", translate(err, thingAttendance))
	}
	res := page.Result[ports.LowAttendance]{Items: make([]ports.LowAttendance, len(rows)), Request: p}
	for k, r := range rows {
		res.Items[k] = ports.LowAttendance{StudentID: r.StudentID, Name: r.Name, RollNo: r.RollNo, Department: r.Department,
			Attended: r.Attended, Counted: r.Counted, Excused: r.Excused, Rate: r.Rate}
		res.Total = r.Total
	}
	if len(rows) == 0 && p.Offset > 0 {
		// A page past the end carries no total; count the groups alone.
		cargs := append(append([]any(nil), args[:len(args)-3]...), f.Threshold)
		var n int
		err := a.db.conn(ctx).NewRaw(`SELECT count(*) FROM (
	SELECT st.id FROM attendance_records AS ar JOIN students AS st ON st.id = ar.student_id
	WHERE ar.date >= ? AND ar.date <= ? AND st.status = 'active'`+dept+`
	GROUP BY st.id
	HAVING `+counted+` > 0 AND CAST(`+attended+` AS DOUBLE PRECISION) / `+counted+` < ?
) AS t`, cargs...).Scan(ctx, &n)
		if err != nil {
			return page.Result[ports.LowAttendance]{}, fmt.Errorf("count low attendance: %w", translate(err, thingAttendance))
		}
		res.Total = n
	}
	return res, nil
}

// daysBetween is the number of calendar days from a to b.
func daysBetween(a, b attendance.Date) int {
	ta := time.Date(a.Year, a.Month, a.Day, 0, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours() / 24)
}

// addDate is the calendar day n days after d.
func addDate(d attendance.Date, n int) attendance.Date {
	t := time.Date(d.Year, d.Month, d.Day+n, 0, 0, 0, 0, time.UTC)
	return attendance.Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}
}
