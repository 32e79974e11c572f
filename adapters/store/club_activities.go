package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/page"
)

type clubActivityRow struct {
	bun.BaseModel `bun:"table:club_activities,alias:ca"`

	ID           int64      `bun:"id,pk,autoincrement"`
	ClubID       int64      `bun:"club_id"`
	Title        string     `bun:"title"`
	ActivityType string     `bun:"activity_type"`
	StartsAt     time.Time  `bun:"starts_at"`
	EndsAt       *time.Time `bun:"ends_at"`
	Location     *string    `bun:"location"`
	Capacity     *int       `bun:"capacity"`
	Status       string     `bun:"status"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

func toClubActivityRow(a club.Activity) clubActivityRow {
	return clubActivityRow{ID: a.ID, ClubID: a.ClubID, Title: a.Title, ActivityType: a.ActivityType, StartsAt: stamp(a.StartsAt),
		EndsAt: stampPtr(a.EndsAt), Location: a.Location, Capacity: a.Capacity, Status: string(a.Status),
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
}

func (r clubActivityRow) domain() club.Activity {
	return club.Activity{ID: r.ID, ClubID: r.ClubID, Title: r.Title, ActivityType: r.ActivityType, StartsAt: utc(r.StartsAt),
		EndsAt: utcPtr(r.EndsAt), Location: r.Location, Capacity: r.Capacity, Status: club.Status(r.Status),
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

type clubAttendanceRow struct {
	bun.BaseModel `bun:"table:club_attendance,alias:cat"`

	ID         int64     `bun:"id,pk,autoincrement"`
	ActivityID int64     `bun:"activity_id"`
	StudentID  int64     `bun:"student_id"`
	Present    bool      `bun:"present"`
	RecordedAt time.Time `bun:"recorded_at"`
}

// ClubActivityRepository implements ports.ClubActivityRepository.
type ClubActivityRepository struct{ db *DB }

// NewClubActivityRepository returns a ClubActivityRepository over db.
func NewClubActivityRepository(db *DB) *ClubActivityRepository {
	return &ClubActivityRepository{db: db}
}

const thingActivity = "Activity"

// Create inserts a and sets its ID (and, when unset, its timestamps).
func (r *ClubActivityRepository) Create(ctx context.Context, a *club.Activity) error {
	now := stamp(time.Time{})
	a.CreatedAt, a.UpdatedAt = stampOr(a.CreatedAt, now), stampOr(a.UpdatedAt, now)
	row := toClubActivityRow(*a)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create activity of club %d: %w", a.ClubID, translate(err, thingActivity))
	}
	a.ID = row.ID
	a.StartsAt, a.EndsAt = row.StartsAt, row.EndsAt
	return nil
}

// Get loads activity id of club clubID.
func (r *ClubActivityRepository) Get(ctx context.Context, clubID, id int64) (club.Activity, error) {
	var row clubActivityRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("ca.club_id = ? AND ca.id = ?", clubID, id).Scan(ctx); err != nil {
		return club.Activity{}, fmt.Errorf("get activity %d of club %d: %w", id, clubID, translate(err, thingActivity))
	}
	return row.domain(), nil
}

// List returns one page of a club's activities matching f (From and To
// bound starts_at, inclusive), ordered by id.
func (r *ClubActivityRepository) List(ctx context.Context, f club.ActivityFilter, p page.Request) (page.Result[club.Activity], error) {
	var rows []clubActivityRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("ca.club_id = ?", f.ClubID)
	if f.Status != "" {
		q = q.Where("ca.status = ?", string(f.Status))
	}
	if f.From != nil {
		q = q.Where("ca.starts_at >= ?", stamp(*f.From))
	}
	if f.To != nil {
		q = q.Where("ca.starts_at <= ?", stamp(*f.To))
	}
	p = normalize(p)
	total, err := q.OrderExpr("ca.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[club.Activity]{}, fmt.Errorf("list activities of club %d: %w", f.ClubID, translate(err, thingActivity))
	}
	items := make([]club.Activity, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[club.Activity]{Items: items, Total: int(total), Request: p}, nil
}

// Save overwrites an existing activity's fields.
func (r *ClubActivityRepository) Save(ctx context.Context, a club.Activity) error {
	a.CreatedAt, a.UpdatedAt = utc(a.CreatedAt), stampOr(a.UpdatedAt, stamp(time.Time{}))
	row := toClubActivityRow(a)
	res, err := r.db.conn(ctx).NewUpdate().Model(&row).WherePK().Where("club_id = ?", a.ClubID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save activity %d: %w", a.ID, translate(err, thingActivity))
	}
	if err := expectRow(res, thingActivity); err != nil {
		return fmt.Errorf("save activity %d: %w", a.ID, err)
	}
	return nil
}

// Delete removes activity id of club clubID; its attendance goes with it
// (ON DELETE CASCADE; SQLite connections all have foreign keys on).
func (r *ClubActivityRepository) Delete(ctx context.Context, clubID, id int64) error {
	res, err := r.db.conn(ctx).NewDelete().Model((*clubActivityRow)(nil)).Where("club_id = ? AND id = ?", clubID, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete activity %d: %w", id, translate(err, thingActivity))
	}
	if err := expectRow(res, thingActivity); err != nil {
		return fmt.Errorf("delete activity %d: %w", id, err)
	}
	return nil
}

// Attendance lists what is recorded for the activity, ordered by student.
func (r *ClubActivityRepository) Attendance(ctx context.Context, activityID int64) ([]club.Attendance, error) {
	var rows []clubAttendanceRow
	if err := r.db.conn(ctx).NewSelect().Model(&rows).Where("cat.activity_id = ?", activityID).OrderExpr("cat.student_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("attendance of activity %d: %w", activityID, translate(err, thingActivity))
	}
	out := make([]club.Attendance, len(rows))
	for i, row := range rows {
		out[i] = club.Attendance{ActivityID: row.ActivityID, StudentID: row.StudentID, Present: row.Present, RecordedAt: utc(row.RecordedAt)}
	}
	return out, nil
}

// SaveAttendance upserts one row per (activity, student), a chunk of rows
// per statement.
func (r *ClubActivityRepository) SaveAttendance(ctx context.Context, rows []club.Attendance) error {
	return r.db.inTx(ctx, func(ctx context.Context) error {
		for start := 0; start < len(rows); start += clubChunk {
			chunk := rows[start:min(start+clubChunk, len(rows))]
			models := make([]clubAttendanceRow, len(chunk))
			for i, a := range chunk {
				models[i] = clubAttendanceRow{ActivityID: a.ActivityID, StudentID: a.StudentID, Present: a.Present, RecordedAt: stamp(a.RecordedAt)}
			}
			_, err := r.db.conn(ctx).NewInsert().Model(&models).ExcludeColumn("id").
				On("CONFLICT (activity_id, student_id) DO UPDATE").
				Set("present = EXCLUDED.present").Set("recorded_at = EXCLUDED.recorded_at").Exec(ctx)
			if err != nil {
				return fmt.Errorf("record attendance: %w", translate(err, "Attendance"))
			}
		}
		return nil
	})
}
