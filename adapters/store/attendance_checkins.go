package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
)

type checkInSessionRow struct {
	bun.BaseModel `bun:"table:attendance_sessions,alias:cs"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Session    string     `bun:"session"`
	Date       sqlDate    `bun:"date"`
	StartsAt   time.Time  `bun:"starts_at"`
	EndsAt     time.Time  `bun:"ends_at"`
	Department string     `bun:"department"`
	Semester   *int       `bun:"semester"`
	Section    string     `bun:"section"`
	Latitude   *float64   `bun:"latitude"`
	Longitude  *float64   `bun:"longitude"`
	RadiusM    *float64   `bun:"radius_m"`
	ClosedAt   *time.Time `bun:"closed_at"`
	CreatedBy  *int64     `bun:"created_by"`
	CreatedAt  time.Time  `bun:"created_at"`
}

func toCheckInSessionRow(s attendance.Session) checkInSessionRow {
	row := checkInSessionRow{ID: s.ID, Session: s.Name, Date: toSQLDate(s.Date), StartsAt: stamp(s.StartsAt), EndsAt: stamp(s.EndsAt),
		Department: s.Audience.Department, Semester: s.Audience.Semester, Section: s.Audience.Section,
		ClosedAt: stampPtr(s.ClosedAt), CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt}
	if g := s.Geofence; g != nil {
		lat, lon, r := g.Latitude, g.Longitude, g.RadiusM
		row.Latitude, row.Longitude, row.RadiusM = &lat, &lon, &r
	}
	return row
}

func (r checkInSessionRow) domain() attendance.Session {
	s := attendance.Session{ID: r.ID, Name: r.Session, Date: r.Date.domain(), StartsAt: utc(r.StartsAt), EndsAt: utc(r.EndsAt),
		Audience: attendance.Audience{Department: r.Department, Semester: r.Semester, Section: r.Section},
		ClosedAt: utcPtr(r.ClosedAt), CreatedBy: r.CreatedBy, CreatedAt: utc(r.CreatedAt)}
	if r.Latitude != nil && r.Longitude != nil && r.RadiusM != nil {
		s.Geofence = &attendance.Geofence{Latitude: *r.Latitude, Longitude: *r.Longitude, RadiusM: *r.RadiusM}
	}
	return s
}

type checkInRow struct {
	bun.BaseModel `bun:"table:attendance_checkins,alias:ci"`

	ID          int64     `bun:"id,pk,autoincrement"`
	SessionID   int64     `bun:"session_id"`
	StudentID   int64     `bun:"student_id"`
	Status      string    `bun:"status"`
	Latitude    *float64  `bun:"latitude"`
	Longitude   *float64  `bun:"longitude"`
	CheckedInAt time.Time `bun:"checked_in_at"`
}

type attemptRow struct {
	bun.BaseModel `bun:"table:attendance_attempts,alias:aa"`

	ID          int64     `bun:"id,pk,autoincrement"`
	SessionID   int64     `bun:"session_id"`
	UserID      *int64    `bun:"user_id"`
	StudentID   *int64    `bun:"student_id"`
	Reason      string    `bun:"reason"`
	Detail      string    `bun:"detail"`
	Latitude    *float64  `bun:"latitude"`
	Longitude   *float64  `bun:"longitude"`
	AttemptedAt time.Time `bun:"attempted_at"`
}

func (r attemptRow) domain() attendance.Attempt {
	a := attendance.Attempt{ID: r.ID, SessionID: r.SessionID, StudentID: r.StudentID, Reason: attendance.Reason(r.Reason),
		Detail: r.Detail, Latitude: r.Latitude, Longitude: r.Longitude, At: utc(r.AttemptedAt)}
	if r.UserID != nil {
		a.UserID = *r.UserID
	}
	return a
}

// CheckInRepository implements ports.CheckInRepository.
type CheckInRepository struct {
	db *DB
}

// NewCheckInRepository returns a CheckInRepository over db.
func NewCheckInRepository(db *DB) *CheckInRepository { return &CheckInRepository{db: db} }

const (
	thingCheckInSession = "Check-in session"
	thingCheckIn        = "Check-in"
)

// CreateSession inserts s and sets its ID.
func (c *CheckInRepository) CreateSession(ctx context.Context, s *attendance.Session) error {
	s.CreatedAt = stampOr(s.CreatedAt, stamp(time.Time{}))
	row := toCheckInSessionRow(*s)
	row.ID = 0
	if _, err := c.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create check-in session: %w", translate(err, thingCheckInSession))
	}
	*s = row.domain()
	return nil
}

// GetSession loads one session.
func (c *CheckInRepository) GetSession(ctx context.Context, id int64) (attendance.Session, error) {
	var row checkInSessionRow
	if err := c.db.conn(ctx).NewSelect().Model(&row).Where("cs.id = ?", id).Scan(ctx); err != nil {
		return attendance.Session{}, fmt.Errorf("get check-in session %d: %w", id, translate(err, thingCheckInSession))
	}
	return row.domain(), nil
}

// UpdateSession loads the session under a write lock, applies fn and saves it.
func (c *CheckInRepository) UpdateSession(ctx context.Context, id int64, fn func(*attendance.Session) error) (attendance.Session, error) {
	var out attendance.Session
	err := c.db.inTx(ctx, func(ctx context.Context) error {
		var row checkInSessionRow
		q := c.db.conn(ctx).NewSelect().Model(&row).Where("cs.id = ?", id)
		if c.db.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("load check-in session %d: %w", id, translate(err, thingCheckInSession))
		}
		s := row.domain()
		if err := fn(&s); err != nil {
			return err
		}
		s.ID = id
		row = toCheckInSessionRow(s)
		if _, err := c.db.conn(ctx).NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save check-in session %d: %w", id, translate(err, thingCheckInSession))
		}
		out = row.domain()
		return nil
	})
	if err != nil {
		return attendance.Session{}, err
	}
	return out, nil
}

// CreateCheckIn inserts an accepted check-in; a second one of the same
// student to the same session violates the unique key: fault.Conflict.
func (c *CheckInRepository) CreateCheckIn(ctx context.Context, ci *attendance.CheckIn) error {
	ci.At = stamp(ci.At)
	row := checkInRow{SessionID: ci.SessionID, StudentID: ci.StudentID, Status: string(ci.Status),
		Latitude: ci.Latitude, Longitude: ci.Longitude, CheckedInAt: ci.At}
	if _, err := c.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("check in student %d to session %d: %w", ci.StudentID, ci.SessionID, translate(err, thingCheckIn))
	}
	ci.ID = row.ID
	return nil
}

// CreateAttempt records a refused check-in.
func (c *CheckInRepository) CreateAttempt(ctx context.Context, a *attendance.Attempt) error {
	a.At = stamp(a.At)
	row := attemptRow{SessionID: a.SessionID, StudentID: a.StudentID, Reason: string(a.Reason), Detail: a.Detail,
		Latitude: a.Latitude, Longitude: a.Longitude, AttemptedAt: a.At}
	if a.UserID != 0 {
		uid := a.UserID
		row.UserID = &uid
	}
	if _, err := c.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("record check-in attempt: %w", translate(err, "Check-in attempt"))
	}
	a.ID = row.ID
	return nil
}

// Attempts pages through a session's refused attempts, ordered by id.
func (c *CheckInRepository) Attempts(ctx context.Context, sessionID int64, p page.Request) (page.Result[attendance.Attempt], error) {
	var rows []attemptRow
	p = normalize(p)
	total, err := c.db.conn(ctx).NewSelect().Model(&rows).Where("aa.session_id = ?", sessionID).
		OrderExpr("aa.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[attendance.Attempt]{}, fmt.Errorf("list check-in attempts: %w", translate(err, "Check-in attempt"))
	}
	items := make([]attendance.Attempt, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[attendance.Attempt]{Items: items, Total: int(total), Request: p}, nil
}

// audience narrows a query over students s to the session's audience:
// active students matching each filter that is set (case-insensitively,
// as attendance.Session.Admits does).
func audience(q *bun.SelectQuery, a attendance.Audience) *bun.SelectQuery {
	q = q.Where("s.status = ?", string(student.Active))
	if a.Department != "" {
		q = q.Where("lower(s.department) = lower(?)", a.Department)
	}
	if a.Semester != nil {
		q = q.Where("s.semester = ?", *a.Semester)
	}
	if a.Section != "" {
		q = q.Where("lower(s.section) = lower(?)", a.Section)
	}
	return q
}

// Live counts the audience and its present and late records for the
// session's day and name, whether they came from a scan or from staff.
func (c *CheckInRepository) Live(ctx context.Context, s attendance.Session) (attendance.Live, error) {
	conn := c.db.conn(ctx)
	expected, err := audience(conn.NewSelect().TableExpr("students AS s"), s.Audience).Count(ctx)
	if err != nil {
		return attendance.Live{}, fmt.Errorf("count session audience: %w", translate(err, thingCheckInSession))
	}
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	q := conn.NewSelect().TableExpr("attendance_records AS ar").Join("JOIN students AS s ON s.id = ar.student_id").
		ColumnExpr("ar.status AS status, count(*) AS n").
		Where("ar.date = ? AND ar.session = ?", toSQLDate(s.Date), s.Name).
		Where("ar.status IN (?)", bun.List([]string{string(attendance.Present), string(attendance.Late)}))
	if err := audience(q, s.Audience).GroupExpr("ar.status").Scan(ctx, &rows); err != nil {
		return attendance.Live{}, fmt.Errorf("count session marks: %w", translate(err, thingCheckInSession))
	}
	l := attendance.Live{Expected: int(expected)}
	for _, r := range rows {
		switch attendance.Status(r.Status) {
		case attendance.Present:
			l.Present = r.N
		case attendance.Late:
			l.Late = r.N
		}
	}
	l.Absent = max(l.Expected-l.Present-l.Late, 0)
	return l, nil
}
