package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// attendanceSet provides the attendance repositories (bound to their ports).
var attendanceSet = wire.NewSet(
	NewAttendanceRepository,
	wire.Bind(new(ports.AttendanceRepository), new(*AttendanceRepository)),
	NewCheckInRepository,
	wire.Bind(new(ports.CheckInRepository), new(*CheckInRepository)),
	NewRoster,
	wire.Bind(new(ports.Roster), new(*Roster)),
)

var (
	_ ports.AttendanceRepository = (*AttendanceRepository)(nil)
	_ ports.CheckInRepository    = (*CheckInRepository)(nil)
	_ ports.Roster               = (*Roster)(nil)
)

// upsertChunk is how many rows one SQLite upsert statement carries.
// PostgreSQL takes the whole batch in a constant number of statements over
// array parameters (see upsertArrays in bulk_attendance.go).
const upsertChunk = 2500

// sqlDate is a calendar day as both databases hold it: PostgreSQL's date
// (read back as a time at midnight) and SQLite's YYYY-MM-DD text.
type sqlDate string

// Scan reads either form.
func (d *sqlDate) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d = sqlDate(v.Format(time.DateOnly))
	case string:
		*d = sqlDate(trimDate(v))
	case []byte:
		*d = sqlDate(trimDate(string(v)))
	case nil:
		*d = ""
	default:
		return fmt.Errorf("scan date from %T", src)
	}
	return nil
}

func trimDate(s string) string {
	if len(s) > len(time.DateOnly) {
		return s[:len(time.DateOnly)]
	}
	return s
}

func toSQLDate(d attendance.Date) sqlDate { return sqlDate(d.String()) }

func (d sqlDate) domain() attendance.Date {
	out, _ := attendance.ParseDate(string(d)) // written by toSQLDate: always valid
	return out
}

type attendanceRow struct {
	bun.BaseModel `bun:"table:attendance_records,alias:ar"`

	ID        int64     `bun:"id,pk,autoincrement"`
	StudentID int64     `bun:"student_id"`
	Date      sqlDate   `bun:"date"`
	Session   string    `bun:"session"`
	Status    string    `bun:"status"`
	Remarks   string    `bun:"remarks"`
	MarkedBy  *int64    `bun:"marked_by"`
	CreatedAt time.Time `bun:"created_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func toAttendanceRow(r attendance.Record) attendanceRow {
	return attendanceRow{ID: r.ID, StudentID: r.StudentID, Date: toSQLDate(r.Date), Session: r.Session,
		Status: string(r.Status), Remarks: r.Remarks, MarkedBy: r.MarkedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r attendanceRow) domain() attendance.Record {
	return attendance.Record{ID: r.ID, StudentID: r.StudentID, Date: r.Date.domain(), Session: r.Session,
		Status: attendance.Status(r.Status), Remarks: r.Remarks, MarkedBy: r.MarkedBy,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// AttendanceRepository implements ports.AttendanceRepository.
type AttendanceRepository struct {
	db *DB
}

// NewAttendanceRepository returns an AttendanceRepository over db.
func NewAttendanceRepository(db *DB) *AttendanceRepository { return &AttendanceRepository{db: db} }

const thingAttendance = "Attendance record"

// Create inserts r and sets its ID (and, when unset, its timestamps).
func (a *AttendanceRepository) Create(ctx context.Context, r *attendance.Record) error {
	now := stamp(time.Time{})
	r.CreatedAt, r.UpdatedAt = stampOr(r.CreatedAt, now), stampOr(r.UpdatedAt, now)
	row := toAttendanceRow(*r)
	row.ID = 0
	if _, err := a.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create attendance of student %d: %w", r.StudentID, translate(err, thingAttendance))
	}
	r.ID = row.ID
	return nil
}

// Get loads one record.
func (a *AttendanceRepository) Get(ctx context.Context, id int64) (attendance.Record, error) {
	var row attendanceRow
	if err := a.db.conn(ctx).NewSelect().Model(&row).Where("ar.id = ?", id).Scan(ctx); err != nil {
		return attendance.Record{}, fmt.Errorf("get attendance %d: %w", id, translate(err, thingAttendance))
	}
	return row.domain(), nil
}

func filterAttendance(q *bun.SelectQuery, f attendance.Filter) *bun.SelectQuery {
	if f.StudentID != nil {
		q = q.Where("ar.student_id = ?", *f.StudentID)
	}
	if f.From != nil {
		q = q.Where("ar.date >= ?", toSQLDate(*f.From))
	}
	if f.To != nil {
		q = q.Where("ar.date <= ?", toSQLDate(*f.To))
	}
	if f.Status != "" {
		q = q.Where("ar.status = ?", string(f.Status))
	}
	if f.Session != "" {
		q = q.Where("ar.session = ?", f.Session)
	}
	return q
}

// List returns one page of the records matching f, ordered by id.
func (a *AttendanceRepository) List(ctx context.Context, f attendance.Filter, p page.Request) (page.Result[attendance.Record], error) {
	var rows []attendanceRow
	p = normalize(p)
	total, err := filterAttendance(a.db.conn(ctx).NewSelect().Model(&rows), f).
		OrderExpr("ar.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[attendance.Record]{}, fmt.Errorf("list attendance: %w", translate(err, thingAttendance))
	}
	items := make([]attendance.Record, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[attendance.Record]{Items: items, Total: int(total), Request: p}, nil
}

// Update loads the record under a write lock, applies fn and saves it, in
// one transaction (the caller's, if ctx carries one).
func (a *AttendanceRepository) Update(ctx context.Context, id int64, fn func(*attendance.Record) error) (attendance.Record, error) {
	return lockedUpdate(ctx, a.db, id, mapping[attendanceRow, attendance.Record]{thing: thingAttendance, alias: "ar", toDomain: plain(attendanceRow.domain), toRow: plain(toAttendanceRow),
		prepare: func(d *attendance.Record, id int64, _ attendanceRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{}))
		}}, fn)
}

// Delete removes the record; a missing row is fault.NotFound.
func (a *AttendanceRepository) Delete(ctx context.Context, id int64) error {
	return deleteByID[attendanceRow](ctx, a.db, id, thingAttendance)
}

// Count returns the number of records per status matching f.
func (a *AttendanceRepository) Count(ctx context.Context, f attendance.Filter) (attendance.Counts, error) {
	var rows []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	q := a.db.conn(ctx).NewSelect().Model((*attendanceRow)(nil)).ColumnExpr("ar.status AS status, count(*) AS n")
	if err := filterAttendance(q, f).GroupExpr("ar.status").Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count attendance: %w", translate(err, thingAttendance))
	}
	out := attendance.Counts{}
	for _, r := range rows {
		out[attendance.Status(r.Status)] = r.N
	}
	return out, nil
}

// upserted is what SQLite's upsert statement returns per row.
type upserted struct {
	ID        int64 `bun:"id"`
	StudentID int64 `bun:"student_id"`
}

// Upsert writes the batch. On PostgreSQL it runs a constant number of
// statements for the whole batch (see upsertArrays). On SQLite it goes
// upsertChunk rows at a time, two statements per chunk whatever its size:
// a read of the rows that exist and one multi-row INSERT ... ON CONFLICT
// DO UPDATE ... RETURNING; SQLite runs writers one at a time, so the read
// decides what was created.
func (a *AttendanceRepository) Upsert(ctx context.Context, b attendance.Batch, markedBy *int64, at time.Time) ([]attendance.Upserted, error) {
	if err := oncePerStudent(b.Entries); err != nil {
		return nil, err
	}
	out := make([]attendance.Upserted, 0, len(b.Entries))
	at = stamp(at)
	err := a.db.inTx(ctx, func(ctx context.Context) error {
		if a.db.postgres() {
			res, err := a.upsertArrays(ctx, b, markedBy, at)
			out = append(out, res...)
			return err
		}
		for start := 0; start < len(b.Entries); start += upsertChunk {
			chunk := b.Entries[start:min(start+upsertChunk, len(b.Entries))]
			res, err := a.upsertChunk(ctx, b, chunk, markedBy, at)
			if err != nil {
				return err
			}
			out = append(out, res...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// oncePerStudent refuses a batch that names a student twice (NewBatch
// never makes one): there is no one outcome to report for such an entry,
// and the statements would each treat it differently.
func oncePerStudent(entries []attendance.Entry) error {
	seen := make(map[int64]struct{}, len(entries))
	for _, e := range entries {
		if _, dup := seen[e.StudentID]; dup {
			return fault.Newf(fault.Invalid, "student %d is in the batch twice", e.StudentID)
		}
		seen[e.StudentID] = struct{}{}
	}
	return nil
}

// upsertChunk is SQLite's upsert of one chunk.
func (a *AttendanceRepository) upsertChunk(ctx context.Context, b attendance.Batch, chunk []attendance.Entry, markedBy *int64, at time.Time) ([]attendance.Upserted, error) {
	conn := a.db.conn(ctx)
	ids := make([]int64, len(chunk))
	for i, e := range chunk {
		ids[i] = e.StudentID
	}
	var existing []attendanceRow
	err := conn.NewSelect().Model(&existing).
		Where("ar.date = ? AND ar.session = ? AND ar.student_id IN (?)", toSQLDate(b.Date), b.Session, bun.List(ids)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read attendance before upsert: %w", translate(err, thingAttendance))
	}
	before := make(map[int64]attendance.Record, len(existing))
	for _, row := range existing {
		before[row.StudentID] = row.domain()
	}

	rows := make([]attendanceRow, len(chunk))
	for i, e := range chunk {
		rows[i] = attendanceRow{StudentID: e.StudentID, Date: toSQLDate(b.Date), Session: b.Session, Status: string(e.Status),
			Remarks: e.Remarks, MarkedBy: markedBy, CreatedAt: at, UpdatedAt: at}
	}
	var res []upserted
	err = conn.NewInsert().Model(&rows).ExcludeColumn("id").
		On("CONFLICT (student_id, date, session) DO UPDATE").
		Set("status = EXCLUDED.status").
		Set("remarks = EXCLUDED.remarks").
		Set("marked_by = EXCLUDED.marked_by").
		Set("updated_at = EXCLUDED.updated_at").
		Returning("id, student_id").Scan(ctx, &res)
	if err != nil {
		return nil, fmt.Errorf("upsert attendance: %w", translate(err, thingAttendance))
	}
	byStudent := make(map[int64]int64, len(res))
	for _, r := range res {
		byStudent[r.StudentID] = r.ID
	}
	out := make([]attendance.Upserted, len(chunk))
	for i, row := range rows {
		id, ok := byStudent[row.StudentID]
		if !ok {
			return nil, fmt.Errorf("upsert attendance: no row returned for student %d", row.StudentID)
		}
		row.ID = id
		u := attendance.Upserted{Record: row.domain()}
		if prev, existed := before[row.StudentID]; existed {
			u.Previous = &prev
			u.Record.CreatedAt = prev.CreatedAt
		}
		u.Created = u.Previous == nil
		out[i] = u
	}
	return out, nil
}

// Roster implements ports.Roster over the students table.
type Roster struct {
	db *DB
}

// NewRoster returns a Roster over db.
func NewRoster(db *DB) *Roster { return &Roster{db: db} }

// Missing returns the ids that name no student, ascending, in one query.
func (r *Roster) Missing(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if r.db.postgres() {
		return r.missingArrays(ctx, ids)
	}
	var found []int64
	err := r.db.conn(ctx).NewSelect().Table("students").Column("id").Where("id IN (?)", bun.List(ids)).Scan(ctx, &found)
	if err != nil {
		return nil, fmt.Errorf("look up %d students: %w", len(ids), translate(err, thingStudent))
	}
	known := make(map[int64]bool, len(found))
	for _, id := range found {
		known[id] = true
	}
	var missing []int64
	seen := make(map[int64]bool)
	for _, id := range ids {
		if !known[id] && !seen[id] {
			missing = append(missing, id)
			seen[id] = true
		}
	}
	slices.Sort(missing)
	return missing, nil
}
