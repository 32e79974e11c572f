package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
)

type userRow struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID           int64      `bun:"id,pk,autoincrement"`
	Username     string     `bun:"username"`
	Email        string     `bun:"email"`
	FullName     string     `bun:"full_name"`
	Role         string     `bun:"role"`
	PasswordHash string     `bun:"password_hash"`
	StudentID    *int64     `bun:"student_id"`
	Department   *string    `bun:"department"`
	IsActive     bool       `bun:"is_active"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
	LastLogin    *time.Time `bun:"last_login"`
}

func toUserRow(u identity.User) userRow {
	return userRow{ID: u.ID, Username: u.Username, Email: u.Email, FullName: u.FullName,
		Role: string(u.Role), PasswordHash: u.PasswordHash, StudentID: u.StudentID, Department: u.Department, IsActive: u.IsActive,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastLogin: u.LastLogin}
}

func (r userRow) domain() identity.User {
	return identity.User{ID: r.ID, Username: r.Username, Email: r.Email, FullName: r.FullName,
		Role: identity.Role(r.Role), PasswordHash: r.PasswordHash, StudentID: r.StudentID, Department: r.Department, IsActive: r.IsActive,
		CreatedAt: utc(r.CreatedAt), UpdatedAt: utc(r.UpdatedAt), LastLogin: utcPtr(r.LastLogin)}
}

// UserRepository implements ports.UserRepository.
type UserRepository struct {
	db *DB
}

// NewUserRepository returns a UserRepository over db.
func NewUserRepository(db *DB) *UserRepository { return &UserRepository{db: db} }

const thingUser = "User"

// Create inserts u and sets its ID (and, when unset, its timestamps). A
// taken username or email is fault.Conflict; a student_id that names no
// student is fault.Invalid.
func (r *UserRepository) Create(ctx context.Context, u *identity.User) error {
	now := stamp(time.Time{})
	u.CreatedAt, u.UpdatedAt, u.LastLogin = stampOr(u.CreatedAt, now), stampOr(u.UpdatedAt, now), stampPtr(u.LastLogin)
	row := toUserRow(*u)
	row.ID = 0
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, translate(err, thingUser))
	}
	u.ID = row.ID
	return nil
}

// Get loads one user.
func (r *UserRepository) Get(ctx context.Context, id int64) (identity.User, error) {
	var row userRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("u.id = ?", id).Scan(ctx); err != nil {
		return identity.User{}, fmt.Errorf("get user %d: %w", id, translate(err, thingUser))
	}
	return row.domain(), nil
}

// GetByUsername loads the user with exactly this username.
func (r *UserRepository) GetByUsername(ctx context.Context, username string) (identity.User, error) {
	var row userRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("u.username = ?", username).Scan(ctx); err != nil {
		return identity.User{}, fmt.Errorf("get user %q: %w", username, translate(err, thingUser))
	}
	return row.domain(), nil
}

// List returns one page of the users matching f, ordered by id.
func (r *UserRepository) List(ctx context.Context, f identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
	var rows []userRow
	q := r.db.conn(ctx).NewSelect().Model(&rows)
	if f.Role != nil {
		q = q.Where("u.role = ?", string(*f.Role))
	}
	if f.IsActive != nil {
		q = q.Where("u.is_active = ?", *f.IsActive)
	}
	if like := containsPattern(f.Query); like != "" {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Where("lower(u.username) LIKE ? ESCAPE ?", like, likeEscape).
				WhereOr("lower(u.email) LIKE ? ESCAPE ?", like, likeEscape).
				WhereOr("lower(u.full_name) LIKE ? ESCAPE ?", like, likeEscape)
		})
	}
	p = normalize(p)
	total, err := q.OrderExpr("u.id").Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[identity.User]{}, fmt.Errorf("list users: %w", translate(err, thingUser))
	}
	items := make([]identity.User, len(rows))
	for i, row := range rows {
		items[i] = row.domain()
	}
	return page.Result[identity.User]{Items: items, Total: int(total), Request: p}, nil
}

// Update loads the user under a write lock, applies fn and saves it, all in
// one transaction (the caller's, if ctx carries one). fn's error aborts and
// is returned as is.
func (r *UserRepository) Update(ctx context.Context, id int64, fn func(*identity.User) error) (identity.User, error) {
	return lockedUpdate(ctx, r.db, id, mapping[userRow, identity.User]{thing: thingUser, alias: "u", toDomain: plain(userRow.domain), toRow: plain(toUserRow),
		prepare: func(d *identity.User, id int64, _ userRow) {
			d.ID = id
			d.CreatedAt, d.UpdatedAt, d.LastLogin = utc(d.CreatedAt), stampOr(d.UpdatedAt, stamp(time.Time{})), stampPtr(d.LastLogin)
		}}, fn)
}
