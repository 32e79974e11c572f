package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/page"
)

type clubMemberRow struct {
	bun.BaseModel `bun:"table:club_members,alias:cm"`

	ID        int64     `bun:"id,pk,autoincrement"`
	ClubID    int64     `bun:"club_id"`
	StudentID int64     `bun:"student_id"`
	Role      string    `bun:"role"`
	IsActive  bool      `bun:"is_active"`
	JoinedAt  time.Time `bun:"joined_at"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func toClubMemberRow(m club.Member) clubMemberRow {
	return clubMemberRow{ID: m.ID, ClubID: m.ClubID, StudentID: m.StudentID, Role: string(m.Role), IsActive: m.IsActive,
		JoinedAt: m.JoinedAt, UpdatedAt: m.UpdatedAt}
}

func (r clubMemberRow) domain() club.Member {
	return club.Member{ID: r.ID, ClubID: r.ClubID, StudentID: r.StudentID, Role: club.Role(r.Role), IsActive: r.IsActive,
		JoinedAt: utc(r.JoinedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// ClubMemberRepository implements ports.ClubMemberRepository.
type ClubMemberRepository struct{ db *DB }

// NewClubMemberRepository returns a ClubMemberRepository over db.
func NewClubMemberRepository(db *DB) *ClubMemberRepository { return &ClubMemberRepository{db: db} }

const thingMember = "Member"

// clubChunk is how many students one IN list or upsert statement of the
// club tables carries, so a huge attendance call stays a few statements of
// sane size.
const clubChunk = 500

func (r *ClubMemberRepository) one(ctx context.Context, what string, where string, args ...any) (club.Member, error) {
	var row clubMemberRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where(where, args...).OrderExpr("cm.id").Limit(1).Scan(ctx); err != nil {
		return club.Member{}, fmt.Errorf("get %s: %w", what, translate(err, thingMember))
	}
	return row.domain(), nil
}

// Get loads membership id of club clubID.
func (r *ClubMemberRepository) Get(ctx context.Context, clubID, id int64) (club.Member, error) {
	return r.one(ctx, fmt.Sprintf("member %d of club %d", id, clubID), "cm.club_id = ? AND cm.id = ?", clubID, id)
}

// Find loads the student's membership row of the club, active or not.
func (r *ClubMemberRepository) Find(ctx context.Context, clubID, studentID int64) (club.Member, error) {
	return r.one(ctx, fmt.Sprintf("student %d in club %d", studentID, clubID), "cm.club_id = ? AND cm.student_id = ?", clubID, studentID)
}

// Holder loads the active member of the club holding role.
func (r *ClubMemberRepository) Holder(ctx context.Context, clubID int64, role club.Role) (club.Member, error) {
	return r.one(ctx, fmt.Sprintf("%s of club %d", role, clubID), "cm.club_id = ? AND cm.role = ? AND cm.is_active = ?", clubID, string(role), true)
}

// List returns one page of a club's memberships matching f, ordered by id.
func (r *ClubMemberRepository) List(ctx context.Context, f club.MemberFilter, p page.Request) (page.Result[club.Member], error) {
	var rows []clubMemberRow
	q := r.db.conn(ctx).NewSelect().Model(&rows).Where("cm.club_id = ?", f.ClubID)
	if f.Role != "" {
		q = q.Where("cm.role = ?", string(f.Role))
	}
	if f.IsActive != nil {
		q = q.Where("cm.is_active = ?", *f.IsActive)
	}
	if f.StudentID != nil {
		q = q.Where("cm.student_id = ?", *f.StudentID)
	}
	p = normalize(p)
	total, err := q.OrderExpr("cm.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[club.Member]{}, fmt.Errorf("list members of club %d: %w", f.ClubID, translate(err, thingMember))
	}
	items := make([]club.Member, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[club.Member]{Items: items, Total: int(total), Request: p}, nil
}

// Save inserts m when its ID is 0 (setting the ID) or updates the row. A
// second row for the same (club, student), or a second active holder of an
// office, is fault.Conflict.
func (r *ClubMemberRepository) Save(ctx context.Context, m *club.Member) error {
	now := stamp(time.Time{})
	m.JoinedAt, m.UpdatedAt = stampOr(m.JoinedAt, now), stampOr(m.UpdatedAt, now)
	row := toClubMemberRow(*m)
	db := r.db.conn(ctx)
	if m.ID == 0 {
		if _, err := db.NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("add student %d to club %d: %w", m.StudentID, m.ClubID, translate(err, thingMember))
		}
		m.ID = row.ID
		return nil
	}
	res, err := db.NewUpdate().Model(&row).WherePK().Where("club_id = ?", m.ClubID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("save member %d: %w", m.ID, translate(err, thingMember))
	}
	if err := expectRow(res, thingMember); err != nil {
		return fmt.Errorf("save member %d: %w", m.ID, err)
	}
	return nil
}

// Delete removes membership id of club clubID.
func (r *ClubMemberRepository) Delete(ctx context.Context, clubID, id int64) error {
	res, err := r.db.conn(ctx).NewDelete().Model((*clubMemberRow)(nil)).Where("club_id = ? AND id = ?", clubID, id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete member %d: %w", id, translate(err, thingMember))
	}
	if err := expectRow(res, thingMember); err != nil {
		return fmt.Errorf("delete member %d: %w", id, err)
	}
	return nil
}

// Active reports which of studentIDs are active members of the club; the
// map holds true for each that is.
func (r *ClubMemberRepository) Active(ctx context.Context, clubID int64, studentIDs []int64) (map[int64]bool, error) {
	out := make(map[int64]bool, len(studentIDs))
	for start := 0; start < len(studentIDs); start += clubChunk {
		chunk := studentIDs[start:min(start+clubChunk, len(studentIDs))]
		var ids []int64
		err := r.db.conn(ctx).NewSelect().Model((*clubMemberRow)(nil)).Column("cm.student_id").
			Where("cm.club_id = ? AND cm.is_active = ? AND cm.student_id IN (?)", clubID, true, bun.List(chunk)).Scan(ctx, &ids)
		if err != nil {
			return nil, fmt.Errorf("check members of club %d: %w", clubID, translate(err, thingMember))
		}
		for _, id := range ids {
			out[id] = true
		}
	}
	return out, nil
}
