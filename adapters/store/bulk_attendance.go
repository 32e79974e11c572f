package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/campus/campus/domain/attendance"
)

// optimisticInsertMin is the number of new rows from which a PostgreSQL
// upsert inserts them with a plain INSERT under a savepoint (see
// upsertArrays). Below it (a check-in marks one) ON CONFLICT's per-row
// cost is too small to pay for the savepoint's two extra round trips; the
// number is a judgement, not a measurement.
const optimisticInsertMin = 64

// The statements of PostgreSQL's bulk upsert. Every array is one binary
// parameter (see pgBinary).
const (
	// lockedReadSQL reads the rows that exist, locked, so that the
	// previous values reported are the ones overwritten.
	lockedReadSQL = `SELECT id, student_id, status, remarks, marked_by, created_at, updated_at
FROM attendance_records
WHERE date = $1::date AND session = $2::text AND student_id = ANY($3::bigint[])
FOR UPDATE`

	// updateByIDSQL overwrites rows read (and locked) by lockedReadSQL.
	updateByIDSQL = `UPDATE attendance_records AS ar
SET status = u.status, remarks = u.remarks, marked_by = $1::bigint, updated_at = $2::timestamptz
FROM unnest($3::bigint[], $4::text[], $5::text[]) AS u(id, status, remarks)
WHERE ar.id = u.id`

	// insertNewSQL inserts rows that did not exist when read.
	insertNewSQL = `INSERT INTO attendance_records (student_id, date, session, status, remarks, marked_by, created_at, updated_at)
SELECT u.student_id, $1::date, $2::text, u.status, u.remarks, $3::bigint, $4::timestamptz, $4::timestamptz
FROM unnest($5::bigint[], $6::text[], $7::text[]) AS u(student_id, status, remarks)
RETURNING id, student_id, true`

	// upsertNewSQL is insertNewSQL that overwrites a row another
	// transaction inserted since the read; xmax = 0 tells a row it inserted.
	upsertNewSQL = `INSERT INTO attendance_records AS ar (student_id, date, session, status, remarks, marked_by, created_at, updated_at)
SELECT u.student_id, $1::date, $2::text, u.status, u.remarks, $3::bigint, $4::timestamptz, $4::timestamptz
FROM unnest($5::bigint[], $6::text[], $7::text[]) AS u(student_id, status, remarks)
ON CONFLICT (student_id, date, session) DO UPDATE SET
	status = EXCLUDED.status, remarks = EXCLUDED.remarks,
	marked_by = EXCLUDED.marked_by, updated_at = EXCLUDED.updated_at
RETURNING id, student_id, (xmax = 0)`

	// savepointSQL guards the plain insert: a unique violation (a row
	// inserted concurrently) undoes the insert alone, not the caller's
	// transaction.
	savepointSQL         = `SAVEPOINT attendance_bulk_insert`
	rollbackSavepointSQL = `ROLLBACK TO SAVEPOINT attendance_bulk_insert`
	releaseSavepointSQL  = `RELEASE SAVEPOINT attendance_bulk_insert`
)

// upsertArrays is PostgreSQL's upsert, in three statements whatever the
// batch size (and a savepoint around the third): a locked read of the rows
// that exist, an UPDATE of those by id, and an INSERT of the others. The insert is a plain one: ON CONFLICT
// would make PostgreSQL probe the unique index before every row and then
// confirm each speculative insertion, a third more work for 10 000 new
// rows. A row that another transaction inserted after the read (which
// cannot lock a row that does not exist yet) makes the plain insert fail
// with a unique violation; the savepoint then undoes it, and the same rows
// go through INSERT ... ON CONFLICT DO UPDATE, which overwrites such a row
// and reports it as not created, with no previous values known, as the
// single-statement upsert always did.
func (a *AttendanceRepository) upsertArrays(ctx context.Context, b attendance.Batch, markedBy *int64, at time.Time) ([]attendance.Upserted, error) {
	run := a.db.pg(ctx)
	n := len(b.Entries)
	ids := make([]int64, n)
	out := make([]attendance.Upserted, n)
	for i, e := range b.Entries {
		ids[i] = e.StudentID
		out[i].Record = attendance.Record{StudentID: e.StudentID, Date: b.Date, Session: b.Session, Status: e.Status,
			Remarks: e.Remarks, MarkedBy: markedBy, CreatedAt: at, UpdatedAt: at}
	}
	day := pgDate(b.Date)

	before, err := a.lockedRead(ctx, run, day, b, ids)
	if err != nil {
		return nil, err
	}
	var upd []int // indexes of the entries whose row exists
	fresh := make([]int, 0, n-len(before))
	for i, e := range b.Entries {
		if prev, ok := before[e.StudentID]; ok {
			out[i].Record.ID, out[i].Record.CreatedAt, out[i].Previous = prev.ID, prev.CreatedAt, prev
			upd = append(upd, i)
		} else {
			fresh = append(fresh, i)
		}
	}
	if err := a.updateByID(ctx, run, out, upd, markedBy, at); err != nil {
		return nil, err
	}
	if err := a.insertFresh(ctx, run, day, b, out, fresh, markedBy, at); err != nil {
		return nil, err
	}
	return out, nil
}

// lockedRead returns the batch's rows that exist, by student, locked.
func (a *AttendanceRepository) lockedRead(ctx context.Context, run pgRunner, day time.Time, b attendance.Batch, ids []int64) (map[int64]*attendance.Record, error) {
	rows, err := run.QueryContext(ctx, lockedReadSQL, pgBinary, day, b.Session, ids)
	if err != nil {
		return nil, fmt.Errorf("read attendance before upsert: %w", translate(err, thingAttendance))
	}
	defer rows.Close()
	before := make(map[int64]*attendance.Record)
	for rows.Next() {
		r := attendance.Record{Date: b.Date, Session: b.Session}
		var status string
		var markedBy sql.NullInt64
		if err := rows.Scan(&r.ID, &r.StudentID, &status, &r.Remarks, &markedBy, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, fmt.Errorf("read attendance before upsert: %w", translate(err, thingAttendance))
		}
		r.Status, r.CreatedAt, r.UpdatedAt = attendance.Status(status), utc(r.CreatedAt), utc(r.UpdatedAt)
		if markedBy.Valid {
			r.MarkedBy = &markedBy.Int64
		}
		before[r.StudentID] = &r
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read attendance before upsert: %w", translate(err, thingAttendance))
	}
	return before, nil
}

// updateByID overwrites the rows of out[upd], which exist and are locked.
func (a *AttendanceRepository) updateByID(ctx context.Context, run pgRunner, out []attendance.Upserted, upd []int, markedBy *int64, at time.Time) error {
	if len(upd) == 0 {
		return nil
	}
	recIDs, statuses, remarks := make([]int64, len(upd)), make([]string, len(upd)), make([]string, len(upd))
	for j, i := range upd {
		r := out[i].Record
		recIDs[j], statuses[j], remarks[j] = r.ID, string(r.Status), r.Remarks
	}
	res, err := run.ExecContext(ctx, updateByIDSQL, pgBinary, markedBy, at, recIDs, statuses, remarks)
	if err != nil {
		return fmt.Errorf("update attendance: %w", translate(err, thingAttendance))
	}
	if n, err := res.RowsAffected(); err == nil && n != int64(len(upd)) {
		return fmt.Errorf("update attendance: %d of %d locked rows updated", n, len(upd))
	}
	return nil
}

// insertFresh inserts the rows of out[fresh], which did not exist when
// read, and sets their ids and whether they were created.
func (a *AttendanceRepository) insertFresh(ctx context.Context, run pgRunner, day time.Time, b attendance.Batch, out []attendance.Upserted, fresh []int, markedBy *int64, at time.Time) error {
	if len(fresh) == 0 {
		return nil
	}
	ids, statuses, remarks := make([]int64, len(fresh)), make([]string, len(fresh)), make([]string, len(fresh))
	for j, i := range fresh {
		e := b.Entries[i]
		ids[j], statuses[j], remarks[j] = e.StudentID, string(e.Status), e.Remarks
	}
	args := []any{pgBinary, day, b.Session, markedBy, at, ids, statuses, remarks}
	if len(fresh) >= optimisticInsertMin {
		if _, err := run.ExecContext(ctx, savepointSQL); err != nil {
			return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
		}
		err := a.scanInserted(ctx, run, insertNewSQL, args, out, fresh)
		switch {
		case err == nil:
			if _, err := run.ExecContext(ctx, releaseSavepointSQL); err != nil {
				return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
			}
			return nil
		case !uniqueViolation(err):
			return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
		}
		if _, err := run.ExecContext(ctx, rollbackSavepointSQL); err != nil {
			return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
		}
		if _, err := run.ExecContext(ctx, releaseSavepointSQL); err != nil {
			return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
		}
	}
	if err := a.scanInserted(ctx, run, upsertNewSQL, args, out, fresh); err != nil {
		return fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
	}
	return nil
}

// scanInserted runs an insert of out[fresh] and records the id and the
// created flag it returns per student.
func (a *AttendanceRepository) scanInserted(ctx context.Context, run pgRunner, query string, args []any, out []attendance.Upserted, fresh []int) error {
	rows, err := run.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type outcome struct {
		id      int64
		created bool
	}
	byStudent := make(map[int64]outcome, len(fresh))
	for rows.Next() {
		var studentID int64
		var o outcome
		if err := rows.Scan(&o.id, &studentID, &o.created); err != nil {
			return err
		}
		byStudent[studentID] = o
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range fresh {
		o, ok := byStudent[out[i].Record.StudentID]
		if !ok {
			return fmt.Errorf("no row returned for student %d", out[i].Record.StudentID)
		}
		out[i].Record.ID, out[i].Created = o.id, o.created
	}
	return nil
}

// missingSQL returns, ascending and once each, the ids that name no
// student: an anti-join over one array parameter, where an IN list of
// 10 000 literals costs PostgreSQL more to parse than to answer.
const missingSQL = `SELECT DISTINCT u.id FROM unnest($1::bigint[]) AS u(id)
WHERE NOT EXISTS (SELECT 1 FROM students s WHERE s.id = u.id)
ORDER BY u.id`

// missingArrays is Roster.Missing on PostgreSQL.
func (r *Roster) missingArrays(ctx context.Context, ids []int64) ([]int64, error) {
	rows, err := r.db.pg(ctx).QueryContext(ctx, missingSQL, pgBinary, ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d students: %w", len(ids), translate(err, thingStudent))
	}
	defer rows.Close()
	var missing []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("look up %d students: %w", len(ids), translate(err, thingStudent))
		}
		missing = append(missing, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up %d students: %w", len(ids), translate(err, thingStudent))
	}
	return missing, nil
}
