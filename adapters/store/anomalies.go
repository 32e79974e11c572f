package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/ports"
)

// anomalySet provides the anomaly repository and the figures the detection
// reads (bound to their ports).
var anomalySet = wire.NewSet(
	NewAnomalyRepository,
	wire.Bind(new(ports.AnomalyRepository), new(*AnomalyRepository)),
	NewAnomalySignals,
	wire.Bind(new(ports.AnomalySignals), new(*AnomalySignals)),
)

var (
	_ ports.AnomalyRepository = (*AnomalyRepository)(nil)
	_ ports.AnomalySignals    = (*AnomalySignals)(nil)
)

// anomalyRow keeps the figures as JSON text, like risks' factors.
type anomalyRow struct {
	bun.BaseModel `bun:"table:anomalies,alias:an"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Type        string    `bun:"type"`
	SubjectKind string    `bun:"subject_kind"`
	Subject     string    `bun:"subject"`
	Day         sqlDate   `bun:"day"`
	Figures     string    `bun:"figures"`
	Description string    `bun:"description"`
	CreatedAt   time.Time `bun:"created_at"`
}

func toAnomalyRow(a anomaly.Anomaly) (anomalyRow, error) {
	figures := a.Figures
	if figures == nil {
		figures = map[string]float64{}
	}
	b, err := json.Marshal(figures)
	if err != nil {
		return anomalyRow{}, fmt.Errorf("encode figures: %w", err)
	}
	return anomalyRow{ID: a.ID, Type: string(a.Type), SubjectKind: string(a.SubjectKind), Subject: a.Subject,
		Day: toSQLDate(a.Day), Figures: string(b), Description: a.Description, CreatedAt: a.CreatedAt}, nil
}

func (r anomalyRow) domain() (anomaly.Anomaly, error) {
	figures := map[string]float64{}
	if r.Figures != "" {
		if err := json.Unmarshal([]byte(r.Figures), &figures); err != nil {
			return anomaly.Anomaly{}, fmt.Errorf("anomaly %d figures: %w", r.ID, err)
		}
	}
	return anomaly.Anomaly{ID: r.ID, Type: anomaly.Type(r.Type), SubjectKind: anomaly.SubjectKind(r.SubjectKind), Subject: r.Subject,
		Day: r.Day.domain(), Figures: figures, Description: r.Description, CreatedAt: utc(r.CreatedAt)}, nil
}

// AnomalyRepository implements ports.AnomalyRepository.
type AnomalyRepository struct {
	db *DB
}

// NewAnomalyRepository returns an AnomalyRepository over db.
func NewAnomalyRepository(db *DB) *AnomalyRepository { return &AnomalyRepository{db: db} }

const thingAnomaly = "Anomaly"

// Record inserts a unless its (type, subject kind, subject, day) is
// already recorded: ON CONFLICT DO NOTHING makes concurrent runs safe, and
// an existing row is left exactly as it was.
func (r *AnomalyRepository) Record(ctx context.Context, a *anomaly.Anomaly) (bool, error) {
	a.CreatedAt = stampOr(a.CreatedAt, stamp(time.Time{}))
	row, err := toAnomalyRow(*a)
	if err != nil {
		return false, err
	}
	row.ID = 0
	var ids []int64
	err = r.db.conn(ctx).NewInsert().Model(&row).
		On("CONFLICT (type, subject_kind, subject, day) DO NOTHING").
		Returning("id").Scan(ctx, &ids)
	if err != nil {
		return false, fmt.Errorf("record anomaly %s: %w", a.Key(), translate(err, thingAnomaly))
	}
	if len(ids) == 0 {
		return false, nil
	}
	a.ID = ids[0]
	return true, nil
}

// List returns the anomalies of the days from..to, by day then id.
func (r *AnomalyRepository) List(ctx context.Context, from, to attendance.Date) ([]anomaly.Anomaly, error) {
	var rows []anomalyRow
	err := r.db.conn(ctx).NewSelect().Model(&rows).
		Where("an.day >= ?", toSQLDate(from)).Where("an.day <= ?", toSQLDate(to)).
		OrderExpr("an.day, an.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list anomalies: %w", translate(err, thingAnomaly))
	}
	out := make([]anomaly.Anomaly, len(rows))
	for i, row := range rows {
		if out[i], err = row.domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AnomalySignals implements ports.AnomalySignals: every figure is one
// aggregate query over the window, whatever the number of students.
type AnomalySignals struct {
	db *DB
}

// NewAnomalySignals returns an AnomalySignals over db.
func NewAnomalySignals(db *DB) *AnomalySignals { return &AnomalySignals{db: db} }

// attendedExpr and countedExpr count the marks of an attendance rate:
// present or late of the non-excused ones.
const (
	attendedExpr = "ar.status IN ('present', 'late')"
	countedExpr  = "ar.status <> 'excused'"
)

// DepartmentDays tallies attendance per department and day over span,
// leaving out students without a department and days with only excused
// marks. It reads the span's records through the (date, session) index.
func (s *AnomalySignals) DepartmentDays(ctx context.Context, span anomaly.Span) ([]anomaly.DepartmentDay, error) {
	var rows []struct {
		Department string  `bun:"department"`
		Day        sqlDate `bun:"day"`
		Attended   int     `bun:"attended"`
		Counted    int     `bun:"counted"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT st.department AS department, ar.date AS day,
	sum(CASE WHEN `+attendedExpr+` THEN 1 ELSE 0 END) AS attended,
	sum(CASE WHEN `+countedExpr+` THEN 1 ELSE 0 END) AS counted
FROM attendance_records AS ar JOIN students AS st ON st.id = ar.student_id
WHERE ar.date >= ? AND ar.date <= ? AND st.department <> ''
GROUP BY st.department, ar.date
HAVING sum(CASE WHEN `+countedExpr+` THEN 1 ELSE 0 END) > 0
ORDER BY st.department, ar.date`, toSQLDate(span.From), toSQLDate(span.To)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("department attendance per day: %w", translate(err, thingAttendance))
	}
	out := make([]anomaly.DepartmentDay, len(rows))
	for i, r := range rows {
		out[i] = anomaly.DepartmentDay{Department: r.Department, Day: r.Day.domain(),
			Tally: anomaly.Tally{Attended: r.Attended, Counted: r.Counted}}
	}
	return out, nil
}

// StudentWindows tallies every active student's four windows in one
// GROUP BY over the records of the whole range, and keeps in SQL only the
// students whose windows ending on the day could show a drop, so what
// reaches Go is a handful of rows however many students there are. The
// SQL threshold is a hair lower than minDrop: the domain rule makes the
// exact call at the boundary.
func (s *AnomalySignals) StudentWindows(ctx context.Context, sp anomaly.StudentSpans, minRecent, minPrevious int,
	minDrop float64) ([]anomaly.StudentWindows, error) {
	from, to := sp.Recent.From, sp.Recent.To
	for _, x := range []anomaly.Span{sp.Previous, sp.RecentBefore, sp.PreviousBefore} {
		if x.From.Before(from) {
			from = x.From
		}
		if to.Before(x.To) {
			to = x.To
		}
	}
	var (
		cols string
		args []any
	)
	for _, w := range []struct {
		name string
		span anomaly.Span
	}{{"recent", sp.Recent}, {"previous", sp.Previous}, {"recent_before", sp.RecentBefore}, {"previous_before", sp.PreviousBefore}} {
		cols += fmt.Sprintf(`,
		sum(CASE WHEN ar.date >= ? AND ar.date <= ? AND %s THEN 1 ELSE 0 END) AS %s_attended,
		sum(CASE WHEN ar.date >= ? AND ar.date <= ? AND %s THEN 1 ELSE 0 END) AS %s_counted`, attendedExpr, w.name, countedExpr, w.name)
		f, t := toSQLDate(w.span.From), toSQLDate(w.span.To)
		args = append(args, f, t, f, t)
	}
	args = append(args, toSQLDate(from), toSQLDate(to), max(minRecent, 1), max(minPrevious, 1), minDrop-1e-6)
	var rows []struct {
		StudentID       int64 `bun:"student_id"`
		RecentAttended  int   `bun:"recent_attended"`
		RecentCounted   int   `bun:"recent_counted"`
		PrevAttended    int   `bun:"previous_attended"`
		PrevCounted     int   `bun:"previous_counted"`
		RecentBAttended int   `bun:"recent_before_attended"`
		RecentBCounted  int   `bun:"recent_before_counted"`
		PrevBAttended   int   `bun:"previous_before_attended"`
		PrevBCounted    int   `bun:"previous_before_counted"`
	}
	err := s.db.conn(ctx).NewRaw(`SELECT * FROM (
	SELECT ar.student_id AS student_id`+cols+`
	FROM attendance_records AS ar JOIN students AS st ON st.id = ar.student_id
	WHERE ar.date >= ? AND ar.date <= ? AND st.status = 'active'
	GROUP BY ar.student_id
) AS t
WHERE t.recent_counted >= ? AND t.previous_counted >= ?
	AND t.previous_attended * 1.0 / NULLIF(t.previous_counted, 0) - t.recent_attended * 1.0 / NULLIF(t.recent_counted, 0) >= ?
ORDER BY t.student_id`, args...).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("student attendance windows: %w", translate(err, thingAttendance))
	}
	out := make([]anomaly.StudentWindows, len(rows))
	for i, r := range rows {
		out[i] = anomaly.StudentWindows{StudentID: r.StudentID,
			Recent:         anomaly.Tally{Attended: r.RecentAttended, Counted: r.RecentCounted},
			Previous:       anomaly.Tally{Attended: r.PrevAttended, Counted: r.PrevCounted},
			RecentBefore:   anomaly.Tally{Attended: r.RecentBAttended, Counted: r.RecentBCounted},
			PreviousBefore: anomaly.Tally{Attended: r.PrevBAttended, Counted: r.PrevBCounted}}
	}
	return out, nil
}

// ComplaintsFiled counts the complaints created in [from, mid) and [mid, to)
// in one pass over the created_at index.
func (s *AnomalySignals) ComplaintsFiled(ctx context.Context, from, mid, to time.Time) (before, after int, err error) {
	var row struct {
		Before int `bun:"n_before"`
		After  int `bun:"n_after"`
	}
	err = s.db.conn(ctx).NewRaw(`SELECT coalesce(sum(CASE WHEN c.created_at < ? THEN 1 ELSE 0 END), 0) AS n_before,
	coalesce(sum(CASE WHEN c.created_at >= ? THEN 1 ELSE 0 END), 0) AS n_after
FROM complaints AS c WHERE c.created_at >= ? AND c.created_at < ?`, stamp(mid), stamp(mid), stamp(from), stamp(to)).Scan(ctx, &row)
	if err != nil {
		return 0, 0, fmt.Errorf("complaints filed: %w", translate(err, thingComplaint))
	}
	return row.Before, row.After, nil
}
