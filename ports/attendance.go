package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/page"
)

// AttendanceRepository stores attendance records. A second record for one
// (student, date, session) is fault.Conflict, a missing row
// fault.NotFound, a student_id naming no student fault.Invalid.
type AttendanceRepository interface {
	Create(ctx context.Context, r *attendance.Record) error
	Get(ctx context.Context, id int64) (attendance.Record, error)
	// List pages through the records matching f, ordered by id.
	List(ctx context.Context, f attendance.Filter, p page.Request) (page.Result[attendance.Record], error)
	// Update loads the record, applies fn and saves the result in one
	// transaction; fn's error aborts the update.
	Update(ctx context.Context, id int64, fn func(*attendance.Record) error) (attendance.Record, error)
	Delete(ctx context.Context, id int64) error
	// Upsert creates or overwrites the batch's records, all marked by
	// markedBy at the time stamped on them, in a constant number of
	// statements per chunk of rows (never one per record), and reports per
	// entry, in order, whether it was created and what it was before.
	Upsert(ctx context.Context, b attendance.Batch, markedBy *int64, at time.Time) ([]attendance.Upserted, error)
	// Count returns the number of records per status matching f.
	Count(ctx context.Context, f attendance.Filter) (attendance.Counts, error)
}

// Roster answers the questions about students that attendance asks in bulk.
type Roster interface {
	// Missing returns, in ascending order, the ids among ids that name no
	// student, in one query whatever their number.
	Missing(ctx context.Context, ids []int64) ([]int64, error)
}

// CheckInRepository stores QR check-in sessions, their accepted check-ins
// (one per student and session, enforced by the database: a second is
// fault.Conflict) and their refused attempts.
type CheckInRepository interface {
	CreateSession(ctx context.Context, s *attendance.Session) error
	GetSession(ctx context.Context, id int64) (attendance.Session, error)
	// UpdateSession loads the session under a write lock, applies fn and
	// saves it; fn's error aborts.
	UpdateSession(ctx context.Context, id int64, fn func(*attendance.Session) error) (attendance.Session, error)
	CreateCheckIn(ctx context.Context, c *attendance.CheckIn) error
	CreateAttempt(ctx context.Context, a *attendance.Attempt) error
	// Attempts pages through a session's refused attempts, ordered by id.
	Attempts(ctx context.Context, sessionID int64, p page.Request) (page.Result[attendance.Attempt], error)
	// Live counts the session's audience (active students matching its
	// filters) and how many of them have a present or late record for the
	// session's date and name.
	Live(ctx context.Context, s attendance.Session) (attendance.Live, error)
}
