package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// clubSet provides the club repositories (bound to their ports).
var clubSet = wire.NewSet(
	NewClubRepository,
	wire.Bind(new(ports.ClubRepository), new(*ClubRepository)),
	NewClubMemberRepository,
	wire.Bind(new(ports.ClubMemberRepository), new(*ClubMemberRepository)),
	NewClubActivityRepository,
	wire.Bind(new(ports.ClubActivityRepository), new(*ClubActivityRepository)),
)

var (
	_ ports.ClubRepository         = (*ClubRepository)(nil)
	_ ports.ClubMemberRepository   = (*ClubMemberRepository)(nil)
	_ ports.ClubActivityRepository = (*ClubActivityRepository)(nil)
)

type clubRow struct {
	bun.BaseModel `bun:"table:clubs,alias:c"`

	ID               int64     `bun:"id,pk,autoincrement"`
	Name             string    `bun:"name"`
	NameKey          string    `bun:"name_key"`
	Description      string    `bun:"description"`
	Category         string    `bun:"category"`
	Advisor          string    `bun:"advisor"`
	IsActive         bool      `bun:"is_active"`
	AcceptingMembers bool      `bun:"accepting_members"`
	MemberCount      int       `bun:"member_count"`
	CreatedAt        time.Time `bun:"created_at"`
	UpdatedAt        time.Time `bun:"updated_at"`
}

func toClubRow(c club.Club) clubRow {
	return clubRow{ID: c.ID, Name: c.Name, NameKey: club.NameKey(c.Name), Description: c.Description, Category: c.Category,
		Advisor: c.Advisor, IsActive: c.IsActive, AcceptingMembers: c.AcceptingMembers, MemberCount: c.MemberCount,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func (r clubRow) domain() club.Club {
	return club.Club{ID: r.ID, Name: r.Name, Description: r.Description, Category: r.Category, Advisor: r.Advisor,
		IsActive: r.IsActive, AcceptingMembers: r.AcceptingMembers, MemberCount: r.MemberCount,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt)}
}

// ClubRepository implements ports.ClubRepository.
type ClubRepository struct{ db *DB }

// NewClubRepository returns a ClubRepository over db.
func NewClubRepository(db *DB) *ClubRepository { return &ClubRepository{db: db} }

const thingClub = "Club"

// Create inserts c and sets its ID (and, when unset, its timestamps).
func (r *ClubRepository) Create(ctx context.Context, c *club.Club) error {
	now := stamp(time.Time{})
	c.CreatedAt, c.UpdatedAt = stampOr(c.CreatedAt, now), stampOr(c.UpdatedAt, now)
	row := toClubRow(*c)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create club %q: %w", c.Name, translate(err, thingClub))
	}
	c.ID = row.ID
	return nil
}

// Get loads one club.
func (r *ClubRepository) Get(ctx context.Context, id int64) (club.Club, error) {
	var row clubRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("c.id = ?", id).Scan(ctx); err != nil {
		return club.Club{}, fmt.Errorf("get club %d: %w", id, translate(err, thingClub))
	}
	return row.domain(), nil
}

// List returns one page of the clubs matching f, ordered by id.
func (r *ClubRepository) List(ctx context.Context, f club.Filter, p page.Request) (page.Result[club.Club], error) {
	var rows []clubRow
	q := r.db.conn(ctx).NewSelect().Model(&rows)
	if cat := strings.TrimSpace(f.Category); cat != "" {
		q = q.Where("lower(c.category) = ?", strings.ToLower(cat))
	}
	if f.IsActive != nil {
		q = q.Where("c.is_active = ?", *f.IsActive)
	}
	if f.AcceptingMembers != nil {
		q = q.Where("c.accepting_members = ?", *f.AcceptingMembers)
	}
	if like := containsPattern(f.Query); like != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("c.name_key LIKE ? ESCAPE ?", like, likeEscape).
				WhereOr("lower(c.description) LIKE ? ESCAPE ?", like, likeEscape)
		})
	}
	p = normalize(p)
	total, err := q.OrderExpr("c.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[club.Club]{}, fmt.Errorf("list clubs: %w", translate(err, thingClub))
	}
	items := make([]club.Club, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[club.Club]{Items: items, Total: int(total), Request: p}, nil
}

// Update loads the club under a write lock (FOR UPDATE on PostgreSQL;
// SQLite's immediate transactions hold the database's write lock), applies
// fn and saves it, all in one transaction (the caller's, if ctx carries
// one). fn's error aborts and is returned as is.
func (r *ClubRepository) Update(ctx context.Context, id int64, fn func(*club.Club) error) (club.Club, error) {
	return lockedUpdate(ctx, r.db, id, mapping[clubRow, club.Club]{thing: thingClub, alias: "c", toDomain: plain(clubRow.domain), toRow: plain(toClubRow),
		prepare: func(d *club.Club, id int64, _ clubRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{}))
		}}, fn)
}

// Delete removes the club (its memberships and activities go with it, by
// the foreign keys; the use case deletes only clubs that have none).
func (r *ClubRepository) Delete(ctx context.Context, id int64) error {
	return deleteByID[clubRow](ctx, r.db, id, thingClub)
}

// Referenced reports whether any membership or activity belongs to the club.
func (r *ClubRepository) Referenced(ctx context.Context, id int64) (bool, error) {
	for _, table := range []string{"club_members", "club_activities"} {
		found, err := r.db.conn(ctx).NewSelect().TableExpr("?", bun.Ident(table)).Where("club_id = ?", id).Exists(ctx)
		if err != nil {
			return false, fmt.Errorf("check %s for club %d: %w", table, id, translate(err, thingClub))
		}
		if found {
			return true, nil
		}
	}
	return false, nil
}

// Counts reads the figures of the club's statistics in three grouped
// queries.
func (r *ClubRepository) Counts(ctx context.Context, id int64) (club.Counts, error) {
	var members []struct {
		Role     string `bun:"role"`
		IsActive bool   `bun:"is_active"`
		N        int    `bun:"n"`
	}
	db := r.db.conn(ctx)
	if err := db.NewRaw("SELECT role, is_active, count(*) AS n FROM club_members WHERE club_id = ? GROUP BY role, is_active ORDER BY role, is_active",
		id).Scan(ctx, &members); err != nil {
		return club.Counts{}, fmt.Errorf("count members of club %d: %w", id, translate(err, thingClub))
	}
	var activities []struct {
		Status string `bun:"status"`
		N      int    `bun:"n"`
	}
	if err := db.NewRaw("SELECT status, count(*) AS n FROM club_activities WHERE club_id = ? GROUP BY status ORDER BY status",
		id).Scan(ctx, &activities); err != nil {
		return club.Counts{}, fmt.Errorf("count activities of club %d: %w", id, translate(err, thingClub))
	}
	var turnout []struct {
		ActivityID int64 `bun:"activity_id"`
		Present    int   `bun:"present"`
		Recorded   int   `bun:"recorded"`
	}
	if err := db.NewRaw(`SELECT a.id AS activity_id, SUM(CASE WHEN t.present THEN 1 ELSE 0 END) AS present, count(*) AS recorded
		FROM club_attendance t JOIN club_activities a ON a.id = t.activity_id
		WHERE a.club_id = ? AND a.status = ? GROUP BY a.id ORDER BY a.id`, id, string(club.Completed)).Scan(ctx, &turnout); err != nil {
		return club.Counts{}, fmt.Errorf("count attendance of club %d: %w", id, translate(err, thingClub))
	}
	out := club.Counts{Activities: map[club.Status]int{}}
	for _, m := range members {
		out.Members = append(out.Members, club.RoleCount{Role: club.Role(m.Role), Active: m.IsActive, N: m.N})
	}
	for _, a := range activities {
		out.Activities[club.Status(a.Status)] = a.N
	}
	for _, t := range turnout {
		out.Completed = append(out.Completed, club.Turnout{ActivityID: t.ActivityID, Present: t.Present, Recorded: t.Recorded})
	}
	return out, nil
}
