package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"time"

	"github.com/uptrace/bun/migrate"
)

// The schema, one directory per dialect. Each NNNN_name.tx.up.sql has a
// matching .tx.down.sql; ".tx." makes Bun run each file in a transaction,
// so a failing migration leaves nothing half-applied.
//
//go:embed migrations/postgres/*.sql migrations/sqlite/*.sql
var migrationFiles embed.FS

// migrateLockKey is the PostgreSQL advisory lock that serialises replicas
// migrating the same database at start-up ("campus" in ASCII).
const migrateLockKey = 0x63616d707573

// MigrationState is one migration and whether it has been applied.
type MigrationState struct {
	Name       string // e.g. "0001_students"
	Applied    bool
	Group      int64     // the Migrate run that applied it; 0 when pending
	MigratedAt time.Time // zero when pending
}

func migrator(db *DB) (*migrate.Migrator, error) {
	sub, err := fs.Sub(migrationFiles, "migrations/"+db.dialect)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("discover %s migrations: %w", db.dialect, err)
	}
	return migrate.NewMigrator(db.bun, ms, migrate.WithMarkAppliedOnSuccess(true)), nil
}

// Migrate applies every pending migration as one group.
func Migrate(ctx context.Context, db *DB) error {
	return withMigrator(ctx, db, func(m *migrate.Migrator) error {
		if _, err := m.Migrate(ctx); err != nil {
			return fmt.Errorf("migrate up: %w", translate(err, ""))
		}
		return nil
	})
}

// MigrateDown rolls back the most recently applied group of migrations.
func MigrateDown(ctx context.Context, db *DB) error {
	return withMigrator(ctx, db, func(m *migrate.Migrator) error {
		if _, err := m.Rollback(ctx); err != nil {
			return fmt.Errorf("migrate down: %w", translate(err, ""))
		}
		return nil
	})
}

// MigrationStatus lists every known migration in order with its state.
func MigrationStatus(ctx context.Context, db *DB) ([]MigrationState, error) {
	var out []MigrationState
	err := withMigrator(ctx, db, func(m *migrate.Migrator) error {
		ms, err := m.MigrationsWithStatus(ctx)
		if err != nil {
			return fmt.Errorf("migration status: %w", translate(err, ""))
		}
		out = make([]MigrationState, 0, len(ms))
		for _, x := range ms {
			st := MigrationState{Name: x.String(), Applied: x.IsApplied(), Group: x.GroupID}
			if st.Applied {
				st.MigratedAt = x.MigratedAt.UTC()
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// withMigrator creates Bun's bookkeeping tables if needed and, on
// PostgreSQL, holds an advisory lock for the duration so that replicas
// starting together migrate one at a time. (Bun's own table lock would
// stay behind if a process died mid-migration; a session lock cannot.)
func withMigrator(ctx context.Context, db *DB, fn func(*migrate.Migrator) error) error {
	m, err := migrator(db)
	if err != nil {
		return err
	}
	// The lock needs its own connection next to those the migrations use.
	if db.postgres() && db.bun.Stats().MaxOpenConnections != 1 {
		conn, err := db.bun.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", translate(err, ""))
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", int64(migrateLockKey)); err != nil {
			return fmt.Errorf("migrate: take lock: %w", translate(err, ""))
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", int64(migrateLockKey))
		}()
	}
	if err := m.Init(ctx); err != nil {
		return fmt.Errorf("migrate init: %w", translate(err, ""))
	}
	return fn(m)
}
