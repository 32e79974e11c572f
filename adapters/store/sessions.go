package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	ID         string     `bun:"id,pk"`
	UserID     int64      `bun:"user_id"`
	RefreshJTI string     `bun:"refresh_jti"`
	PrevJTI    string     `bun:"prev_jti"`
	RotatedAt  time.Time  `bun:"rotated_at"`
	CreatedAt  time.Time  `bun:"created_at"`
	LastUsedAt time.Time  `bun:"last_used_at"`
	ExpiresAt  time.Time  `bun:"expires_at"`
	RevokedAt  *time.Time `bun:"revoked_at"`
	UserAgent  string     `bun:"user_agent"`
	IP         string     `bun:"ip"`
}

func (r sessionRow) domain() identity.Session {
	return identity.Session{ID: r.ID, UserID: r.UserID, RefreshJTI: r.RefreshJTI, PrevJTI: r.PrevJTI,
		RotatedAt: utc(r.RotatedAt), CreatedAt: utc(r.CreatedAt), LastUsedAt: utc(r.LastUsedAt),
		ExpiresAt: utc(r.ExpiresAt), RevokedAt: utcPtr(r.RevokedAt), UserAgent: r.UserAgent, IP: r.IP}
}

// principalRow is the session-with-user join the access-token check reads.
type principalRow struct {
	UserID    int64      `bun:"user_id"`
	Username  string     `bun:"username"`
	Role      string     `bun:"role"`
	StudentID *int64     `bun:"student_id"`
	IsActive  bool       `bun:"is_active"`
	RevokedAt *time.Time `bun:"revoked_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
}

// SessionRepository implements ports.SessionRepository.
type SessionRepository struct {
	db *DB
}

// NewSessionRepository returns a SessionRepository over db.
func NewSessionRepository(db *DB) *SessionRepository { return &SessionRepository{db: db} }

const thingSession = "Session"

// Create inserts s. A session for a missing user is fault.Invalid.
func (r *SessionRepository) Create(ctx context.Context, s identity.Session) error {
	now := stamp(time.Time{})
	row := sessionRow{ID: s.ID, UserID: s.UserID, RefreshJTI: s.RefreshJTI, PrevJTI: s.PrevJTI,
		RotatedAt: stampOr(s.RotatedAt, now), CreatedAt: stampOr(s.CreatedAt, now),
		LastUsedAt: stampOr(s.LastUsedAt, now), ExpiresAt: stamp(s.ExpiresAt),
		RevokedAt: stampPtr(s.RevokedAt), UserAgent: s.UserAgent, IP: s.IP}
	if _, err := r.db.conn(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("create session: %w", translate(err, thingSession))
	}
	return nil
}

// Get loads one session.
func (r *SessionRepository) Get(ctx context.Context, id string) (identity.Session, error) {
	var row sessionRow
	if err := r.db.conn(ctx).NewSelect().Model(&row).Where("s.id = ?", id).Scan(ctx); err != nil {
		return identity.Session{}, fmt.Errorf("get session: %w", translate(err, thingSession))
	}
	return row.domain(), nil
}

// Rotate swaps the current refresh token id in a single conditional
// UPDATE. The WHERE clause is the whole race guard: PostgreSQL re-checks it
// after waiting for a concurrent writer's row lock and SQLite runs writers
// one at a time, so of concurrent rotations from the same oldJTI exactly
// one matches a row.
func (r *SessionRepository) Rotate(ctx context.Context, id, oldJTI, newJTI string, now time.Time) (bool, error) {
	now = stamp(now)
	res, err := r.db.conn(ctx).NewUpdate().Model((*sessionRow)(nil)).
		Set("prev_jti = refresh_jti").
		Set("refresh_jti = ?", newJTI).
		Set("rotated_at = ?", now).
		Set("last_used_at = ?", now).
		Where("id = ?", id).
		Where("refresh_jti = ?", oldJTI).
		Where("revoked_at IS NULL").
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("rotate session: %w", translate(err, thingSession))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("rotate session: %w", err)
	}
	return n == 1, nil
}

// Revoke stamps revoked_at on the sessions r names that are not already
// revoked, so the first revocation time is kept, and returns the ids of the
// sessions it ended.
func (r *SessionRepository) Revoke(ctx context.Context, rv ports.Revocation) ([]string, error) {
	q := r.db.conn(ctx).NewUpdate().Model((*sessionRow)(nil)).
		Set("revoked_at = ?", stamp(rv.At)).
		Where("revoked_at IS NULL")
	switch {
	case rv.SessionID != "":
		q = q.Where("id = ?", rv.SessionID)
	case rv.UserID != 0:
		q = q.Where("user_id = ?", rv.UserID)
		if rv.Keep != "" {
			q = q.Where("id <> ?", rv.Keep)
		}
	default:
		return nil, fault.New(fault.Invalid, "revocation names no session and no user")
	}
	ids := []string{}
	if _, err := q.Returning("id").Exec(ctx, &ids); err != nil {
		return nil, fmt.Errorf("revoke sessions: %w", translate(err, thingSession))
	}
	return ids, nil
}

// ListActive returns the user's unrevoked, unexpired sessions, newest first.
func (r *SessionRepository) ListActive(ctx context.Context, userID int64, now time.Time) ([]identity.Session, error) {
	var rows []sessionRow
	err := r.db.conn(ctx).NewSelect().Model(&rows).
		Where("s.user_id = ?", userID).
		Where("s.revoked_at IS NULL").
		Where("s.expires_at > ?", stamp(now)).
		OrderExpr("s.created_at DESC, s.id DESC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list sessions of user %d: %w", userID, translate(err, thingSession))
	}
	out := make([]identity.Session, len(rows))
	for i, row := range rows {
		out[i] = row.domain()
	}
	return out, nil
}

// principalSQL is Principal on PostgreSQL, a prepared statement.
const principalSQL = `SELECT u.id, u.username, u.role, u.student_id, u.is_active, s.revoked_at, s.expires_at
FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = $1`

// Principal reads the session and its user in one primary-key join; it runs
// on every authenticated request, so it touches two index entries and
// nothing else.
func (r *SessionRepository) Principal(ctx context.Context, sessionID string) (identity.Principal, error) {
	var row principalRow
	var err error
	if r.db.postgres() { // every authenticated request without the cache: a prepared statement (see queryRow)
		err = r.db.queryRow(ctx, principalSQL, sessionID).Scan(&row.UserID, &row.Username, &row.Role, &row.StudentID,
			&row.IsActive, &row.RevokedAt, &row.ExpiresAt)
	} else {
		err = r.db.conn(ctx).NewSelect().
			TableExpr("sessions AS s").
			Join("JOIN users AS u ON u.id = s.user_id").
			ColumnExpr("u.id AS user_id, u.username, u.role, u.student_id, u.is_active, s.revoked_at, s.expires_at").
			Where("s.id = ?", sessionID).
			Scan(ctx, &row)
	}
	if err != nil {
		return identity.Principal{}, fmt.Errorf("load session principal: %w", translate(err, thingSession))
	}
	return identity.Principal{UserID: row.UserID, Username: row.Username, Role: identity.Role(row.Role),
		StudentID: row.StudentID, IsActive: row.IsActive, Revoked: row.RevokedAt != nil,
		ExpiresAt: utc(row.ExpiresAt)}, nil
}
