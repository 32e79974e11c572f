package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/ports"
)

// scheduleSet provides the schedule repositories (bound to their ports).
var scheduleSet = wire.NewSet(
	NewScheduleRepository,
	wire.Bind(new(ports.ScheduleRepository), new(*ScheduleRepository)),
)

var _ ports.ScheduleRepository = (*ScheduleRepository)(nil)

// scheduleClashLockKey is the PostgreSQL transaction-level advisory lock
// that serialises schedule clash checks ("schedule" in ASCII). One key for
// all entries keeps the rule simple (a clash can involve any of three keys
// of either entry); schedule writes are rare enough that this costs nothing.
const scheduleClashLockKey = 0x7363686564756c65

type scheduleRow struct {
	bun.BaseModel `bun:"table:schedules,alias:sc"`

	ID         int64     `bun:"id,pk,autoincrement"`
	Title      string    `bun:"title"`
	EventType  string    `bun:"event_type"`
	StartsAt   time.Time `bun:"starts_at"`
	EndsAt     time.Time `bun:"ends_at"`
	Location   string    `bun:"location"`
	Instructor string    `bun:"instructor"`
	Department string    `bun:"department"`
	Semester   *int      `bun:"semester"`
	Section    string    `bun:"section"`
	IsActive   bool      `bun:"is_active"`
	CreatedAt  time.Time `bun:"created_at"`
	UpdatedAt  time.Time `bun:"updated_at"`
}

func toScheduleRow(e schedule.Entry) scheduleRow {
	return scheduleRow{ID: e.ID, Title: e.Title, EventType: string(e.EventType), StartsAt: stamp(e.StartsAt), EndsAt: stamp(e.EndsAt),
		Location: e.Location, Instructor: e.Instructor, Department: e.Department, Semester: e.Semester, Section: e.Section,
		IsActive: e.IsActive, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func (r scheduleRow) domain() schedule.Entry {
	return schedule.Entry{ID: r.ID, Title: r.Title, EventType: schedule.EventType(r.EventType), StartsAt: utc(r.StartsAt),
		EndsAt: utc(r.EndsAt), Location: r.Location, Instructor: r.Instructor, Department: r.Department, Semester: r.Semester,
		Section: r.Section, IsActive: r.IsActive, CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// ScheduleRepository implements ports.ScheduleRepository.
type ScheduleRepository struct {
	db *DB
}

// NewScheduleRepository returns a ScheduleRepository over db.
func NewScheduleRepository(db *DB) *ScheduleRepository { return &ScheduleRepository{db: db} }

const thingSchedule = "Schedule entry"

// Create inserts e and sets its ID (and, when unset, its timestamps).
func (r *ScheduleRepository) Create(ctx context.Context, e *schedule.Entry) error {
	now := stamp(time.Time{})
	e.CreatedAt, e.UpdatedAt = stampOr(e.CreatedAt, now), stampOr(e.UpdatedAt, now)
	row := toScheduleRow(*e)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create schedule entry: %w", translate(err, thingSchedule))
	}
	*e = row.domain()
	return nil
}

// Get loads one entry.
func (r *ScheduleRepository) Get(ctx context.Context, id int64) (schedule.Entry, error) {
	var row scheduleRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("sc.id = ?", id).Scan(ctx); err != nil {
		return schedule.Entry{}, fmt.Errorf("get schedule entry %d: %w", id, translate(err, thingSchedule))
	}
	return row.domain(), nil
}

// within keeps the entries with a moment in [from, to]: the half-open
// [starts_at, ends_at) meets the closed window.
func within(q *bun.SelectQuery, from, to *time.Time) *bun.SelectQuery {
	if from != nil {
		q = q.Where("sc.ends_at > ?", stamp(*from))
	}
	if to != nil {
		q = q.Where("sc.starts_at <= ?", stamp(*to))
	}
	return q
}

// List returns one page of the entries matching f, ordered by id.
func (r *ScheduleRepository) List(ctx context.Context, f schedule.Filter, p page.Request) (page.Result[schedule.Entry], error) {
	var rows []scheduleRow
	q := within(r.db.conn(ctx).NewSelect().Model(&rows), f.From, f.To)
	if f.EventType != "" {
		q = q.Where("sc.event_type = ?", string(f.EventType))
	}
	if loc := strings.ToLower(strings.TrimSpace(f.Location)); loc != "" {
		q = q.Where("lower(trim(sc.location)) = ?", loc)
	}
	if f.Department != "" {
		q = q.Where("sc.department = ?", f.Department)
	}
	if f.Semester != nil {
		q = q.Where("sc.semester = ?", *f.Semester)
	}
	if f.Section != "" {
		q = q.Where("sc.section = ?", f.Section)
	}
	if f.Active != nil {
		q = q.Where("sc.is_active = ?", *f.Active)
	}
	p = normalize(p)
	total, err := q.OrderExpr("sc.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[schedule.Entry]{}, fmt.Errorf("list schedule entries: %w", translate(err, thingSchedule))
	}
	return page.Result[schedule.Entry]{Items: scheduleEntries(rows), Total: int(total), Request: p}, nil
}

func scheduleEntries(rows []scheduleRow) []schedule.Entry {
	out := make([]schedule.Entry, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out
}

// Update loads the entry under a write lock, applies fn and saves it, all
// in one transaction (the caller's, if ctx carries one). fn's error aborts
// and is returned as is.
func (r *ScheduleRepository) Update(ctx context.Context, id int64, fn func(*schedule.Entry) error) (schedule.Entry, error) {
	return lockedUpdate(ctx, r.db, id, mapping[scheduleRow, schedule.Entry]{thing: thingSchedule, alias: "sc", toDomain: plain(scheduleRow.domain), toRow: plain(toScheduleRow),
		prepare: func(d *schedule.Entry, id int64, stored scheduleRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt = utc(stored.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{}))
		}}, fn)
}

// Delete removes the entry; a missing row is fault.NotFound.
func (r *ScheduleRepository) Delete(ctx context.Context, id int64) error {
	return deleteByID[scheduleRow](ctx, r.db, id, thingSchedule)
}

// Overlapping returns the active entries other than e overlapping e's
// interval. On PostgreSQL it first takes the schedules' advisory lock for
// the rest of ctx's transaction; the query after it runs on a fresh
// snapshot (READ COMMITTED), so it sees every write committed by the
// previous holder. SQLite needs no lock: its write transactions begin
// IMMEDIATE and so already run one at a time.
func (r *ScheduleRepository) Overlapping(ctx context.Context, e schedule.Entry) ([]schedule.Entry, error) {
	conn := r.db.conn(ctx)
	if r.db.postgres() {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", int64(scheduleClashLockKey)); err != nil {
			return nil, fmt.Errorf("lock schedules: %w", translate(err, thingSchedule))
		}
	}
	var rows []scheduleRow
	err := conn.NewSelect().Model(&rows).
		Where("sc.is_active = ?", true).
		Where("sc.id <> ?", e.ID).
		Where("sc.starts_at < ?", stamp(e.EndsAt)).
		Where("sc.ends_at > ?", stamp(e.StartsAt)).
		OrderExpr("sc.id").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("overlapping schedule entries: %w", translate(err, thingSchedule))
	}
	return scheduleEntries(rows), nil
}

// Active returns the active entries with a moment in [from, to], by id.
func (r *ScheduleRepository) Active(ctx context.Context, from, to *time.Time) ([]schedule.Entry, error) {
	var rows []scheduleRow
	q := within(r.db.conn(ctx).NewSelect().Model(&rows), from, to).Where("sc.is_active = ?", true)
	if err := q.OrderExpr("sc.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("active schedule entries: %w", translate(err, thingSchedule))
	}
	return scheduleEntries(rows), nil
}
