package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		url, dialect, driver, path string
	}{
		{"sqlite:///./campus.db", SQLite, "sqlite", "./campus.db"},
		{"sqlite:///campus.db", SQLite, "sqlite", "campus.db"},
		{"sqlite:////var/lib/campus/campus.db", SQLite, "sqlite", "/var/lib/campus/campus.db"},
		{"sqlite://:memory:", SQLite, "sqlite", ":memory:"},
		{"sqlite:///:memory:", SQLite, "sqlite", ":memory:"},
		{"sqlite://", SQLite, "sqlite", ":memory:"},
		{"postgres://u:p@db:5432/campus?sslmode=disable", Postgres, "pgx", ""},
		{"postgresql://u@db/campus", Postgres, "pgx", ""},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			dialect, drv, dsn, err := parseURL(tt.url)
			require.NoError(t, err)
			assert.Equal(t, tt.dialect, dialect)
			assert.Equal(t, tt.driver, drv)
			if tt.dialect != SQLite {
				u, err := url.Parse(dsn)
				require.NoError(t, err)
				assert.Equal(t, "simple_protocol", u.Query().Get("default_query_exec_mode"))
				return
			}
			path, query, ok := strings.Cut(dsn, "?")
			require.True(t, ok)
			assert.Equal(t, tt.path, path)
			q, err := url.ParseQuery(query)
			require.NoError(t, err)
			assert.Equal(t, "immediate", q.Get("_txlock"))
			assert.ElementsMatch(t, []string{"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)"}, q["_pragma"])
		})
	}
}

func TestParseURLKeepsExtraParams(t *testing.T) {
	_, _, dsn, err := parseURL("sqlite:///./x.db?_pragma=synchronous(NORMAL)&cache=shared")
	require.NoError(t, err)
	_, query, _ := strings.Cut(dsn, "?")
	q, err := url.ParseQuery(query)
	require.NoError(t, err)
	assert.Contains(t, q["_pragma"], "synchronous(NORMAL)")
	assert.Contains(t, q["_pragma"], "foreign_keys(1)")
	assert.Equal(t, "shared", q.Get("cache"))

	_, _, dsn, err = parseURL("postgres://db/campus?default_query_exec_mode=exec")
	require.NoError(t, err)
	assert.Contains(t, dsn, "default_query_exec_mode=exec")
}

func TestParseURLRejects(t *testing.T) {
	for _, raw := range []string{"", "campus.db", "mysql://db/campus", "sqlite://relative.db", "sqlite:///"} {
		t.Run(raw, func(t *testing.T) {
			_, _, _, err := parseURL(raw)
			require.Error(t, err)
			assert.Equal(t, fault.Invalid, fault.KindOf(err))
		})
	}
	_, _, _, err := parseURL("ftp://user:secret@host/x")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "secret")
}

func TestOpenSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "campus.db")
	db, cleanup, err := Open(ctx, Config{URL: "sqlite:///" + path, PoolSize: 2, MaxOverflow: 3})
	require.NoError(t, err)
	defer cleanup()
	assert.Equal(t, SQLite, db.Dialect())
	assert.Equal(t, 5, db.Stats().MaxOpenConnections)
	require.NoError(t, db.Ping(ctx))

	var fk int
	var mode string
	require.NoError(t, db.bun.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk))
	require.NoError(t, db.bun.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	assert.Equal(t, 1, fk)
	assert.Equal(t, "wal", strings.ToLower(mode))

	mem, cleanupMem, err := Open(ctx, Config{URL: "sqlite://:memory:", PoolSize: 5, MaxOverflow: 10})
	require.NoError(t, err)
	defer cleanupMem()
	assert.Equal(t, 1, mem.Stats().MaxOpenConnections, "one connection, or each would see its own empty database")
}

func TestOpenUnreachablePostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback refuses at once.
	_, _, err := Open(ctx, Config{URL: "postgres://nobody@127.0.0.1:1/campus?sslmode=disable&connect_timeout=2", PoolSize: 1})
	require.Error(t, err)
	assert.ErrorIs(t, err, fault.ErrUnavailable)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Database unavailable", fe.Message)
}

// sqliteError provokes a real constraint error from an in-memory SQLite,
// since modernc's error type cannot be built by hand.
func sqliteError(t *testing.T, setup, stmt string) error {
	t.Helper()
	ctx := context.Background()
	db, cleanup, err := Open(ctx, Config{URL: "sqlite://:memory:"})
	require.NoError(t, err)
	t.Cleanup(cleanup)
	for _, s := range strings.Split(setup, ";") {
		if strings.TrimSpace(s) != "" {
			_, err := db.bun.ExecContext(ctx, s)
			require.NoError(t, err)
		}
	}
	_, err = db.bun.ExecContext(ctx, stmt)
	require.Error(t, err)
	return err
}

func TestTranslate(t *testing.T) {
	const schema = `CREATE TABLE p (id INTEGER PRIMARY KEY, email TEXT UNIQUE);
		CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id));
		INSERT INTO p VALUES (1, 'a@x.io')`
	tests := []struct {
		name    string
		err     error
		kind    fault.Kind
		message string
	}{
		{"no rows", fmt.Errorf("scan: %w", sql.ErrNoRows), fault.NotFound, "Student not found"},
		{"pg unique", &pgconn.PgError{Code: "23505", TableName: "students", ConstraintName: "students_roll_no_key"},
			fault.Conflict, "Student with this roll_no already exists"},
		{"pg foreign key", &pgconn.PgError{Code: "23503", TableName: "users", ConstraintName: "users_student_id_fkey"},
			fault.Invalid, "student_id: referenced record does not exist"},
		{"pg check", &pgconn.PgError{Code: "23514"}, fault.Invalid, "Value rejected by the database"},
		{"pg admin shutdown", &pgconn.PgError{Code: "57P01"}, fault.Unavailable, "Database unavailable"},
		{"pg connection exception", &pgconn.PgError{Code: "08006"}, fault.Unavailable, "Database unavailable"},
		{"bad conn", fmt.Errorf("query: %w", driver.ErrBadConn), fault.Unavailable, "Database unavailable"},
		{"conn done", sql.ErrConnDone, fault.Unavailable, "Database unavailable"},
		{"refused text", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"), fault.Unavailable, "Database unavailable"},
		{"sqlite unique", sqliteError(t, schema, "INSERT INTO p VALUES (2, 'a@x.io')"), fault.Conflict, "Student with this email already exists"},
		{"sqlite primary key", sqliteError(t, schema, "INSERT INTO p VALUES (1, 'b@x.io')"), fault.Conflict, "Student with this id already exists"},
		{"sqlite foreign key", sqliteError(t, schema, "INSERT INTO c VALUES (1, 42)"), fault.Invalid, "Referenced record does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := translate(tt.err, "Student")
			var fe *fault.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.kind, fe.Kind)
			assert.Equal(t, tt.message, fe.Message)
			assert.ErrorIs(t, err, tt.err, "the cause is kept")
		})
	}
}

func TestTranslatePassesThrough(t *testing.T) {
	assert.NoError(t, translate(nil, "Student"))
	own := fault.New(fault.Invalid, "semester: must be between 1 and 12")
	assert.Same(t, own, translate(own, "Student"), "an error that already has a kind is kept")
	assert.Same(t, context.Canceled, translate(context.Canceled, "Student"))
	plain := errors.New("syntax error")
	assert.Same(t, plain, translate(plain, "Student"))
	assert.Equal(t, fault.Unknown, fault.KindOf(translate(plain, "Student")))
}

func TestContainsPattern(t *testing.T) {
	assert.Equal(t, "", containsPattern("  "))
	assert.Equal(t, "%abc%", containsPattern("ABC"))
	assert.Equal(t, "%50!%!_off!!%", containsPattern("50%_off!"))
}
