package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/identity"
)

type loginAttemptRow struct {
	bun.BaseModel `bun:"table:login_attempts,alias:la"`

	Username    string     `bun:"username,pk"`
	Failures    int        `bun:"failures"`
	Lockouts    int        `bun:"lockouts"`
	LockedUntil *time.Time `bun:"locked_until"`
}

// LoginAttemptRepository implements ports.LoginAttemptRepository.
type LoginAttemptRepository struct {
	db *DB
}

// NewLoginAttemptRepository returns a LoginAttemptRepository over db.
func NewLoginAttemptRepository(db *DB) *LoginAttemptRepository {
	return &LoginAttemptRepository{db: db}
}

// Update applies fn to the username's record under a row lock and saves it.
// The key is case-insensitive, so "Admin" and "admin" share one counter.
//
// The row is created first (a no-op when it exists) so that there is always
// a row to lock: two first failures for a new name would otherwise both
// read "no row" and one increment would be lost. On PostgreSQL the insert
// waits for a concurrent inserter and SELECT ... FOR UPDATE for a
// concurrent updater; on SQLite the immediate transaction already holds
// the database's write lock.
func (r *LoginAttemptRepository) Update(ctx context.Context, username string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error) {
	key := strings.ToLower(strings.TrimSpace(username))
	var out identity.LoginAttempts
	err := r.db.inTx(ctx, func(ctx context.Context) error {
		conn := r.db.conn(ctx)
		seed := loginAttemptRow{Username: key}
		if _, err := conn.NewInsert().Model(&seed).On("CONFLICT (username) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("seed login attempts: %w", translate(err, ""))
		}
		var row loginAttemptRow
		q := conn.NewSelect().Model(&row).Where("la.username = ?", key)
		if r.db.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("load login attempts: %w", translate(err, ""))
		}
		a := identity.LoginAttempts{Username: key, Failures: row.Failures, Lockouts: row.Lockouts,
			LockedUntil: utcPtr(row.LockedUntil)}
		if err := fn(&a); err != nil {
			return err
		}
		row = loginAttemptRow{Username: key, Failures: a.Failures, Lockouts: a.Lockouts, LockedUntil: stampPtr(a.LockedUntil)}
		if _, err := conn.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save login attempts: %w", translate(err, ""))
		}
		out = identity.LoginAttempts{Username: key, Failures: row.Failures, Lockouts: row.Lockouts,
			LockedUntil: utcPtr(row.LockedUntil)}
		return nil
	})
	if err != nil {
		return identity.LoginAttempts{}, err
	}
	return out, nil
}
