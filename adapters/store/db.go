// Package store is the persistence adapter: Bun repositories that implement
// the repository ports on PostgreSQL (production) and SQLite (development,
// tests, single-node installs), the embedded schema migrations for both, and
// the transaction runner the use cases use to group writes.
//
// Both databases run the same repository code; the few places where their SQL
// differs (row locks, migrations) switch on DB.Dialect. Driver errors are
// classified into domain fault kinds in one place, errors.go.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/extra/bundebug"

	"github.com/campus/campus/domain/fault"

	// The drivers register with database/sql: pgx as "pgx", and the pure-Go
	// SQLite as "sqlite" (no cgo, so the binary stays static).
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// Dialect names returned by DB.Dialect.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// sqliteBusyTimeout is how long (ms) a SQLite writer waits for the lock
// before giving up with SQLITE_BUSY.
const sqliteBusyTimeout = 5000

// Config says which database to open and how large its pool is.
type Config struct {
	// URL is postgres://, postgresql:// or sqlite:// (sqlite:///./rel.db,
	// sqlite:////abs/path.db, sqlite://:memory:).
	URL string
	// PoolSize connections are kept idle; up to PoolSize+MaxOverflow are
	// opened under load.
	PoolSize    int
	MaxOverflow int
	// Echo logs every query to stderr.
	Echo bool
}

// DB is an open database handle shared by every repository.
type DB struct {
	bun     *bun.DB
	dialect string
	// dsn is the driver's data source name (ListenOutbox dials it).
	dsn   string
	watch *OutboxWatch
}

// Open connects to the database cfg.URL names, checks it answers and returns
// the handle with a cleanup that closes it. An unreachable database is
// fault.Unavailable.
func Open(ctx context.Context, cfg Config) (*DB, func(), error) {
	dialect, driverName, dsn, err := parseURL(cfg.URL)
	if err != nil {
		return nil, nil, err
	}
	sqldb, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	configurePool(sqldb, cfg, dsn)

	var bdb *bun.DB
	switch dialect {
	case Postgres:
		bdb = bun.NewDB(sqldb, pgdialect.New())
	default:
		bdb = bun.NewDB(sqldb, sqlitedialect.New())
	}
	if cfg.Echo {
		bdb = bdb.WithQueryHook(bundebug.NewQueryHook(bundebug.WithVerbose(true), bundebug.WithWriter(os.Stderr)))
	}

	db := &DB{bun: bdb, dialect: dialect, dsn: dsn}
	db.watch = &OutboxWatch{c: make(chan struct{}, 1), db: db}
	if err := db.Ping(ctx); err != nil {
		_ = bdb.Close()
		return nil, nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	return db, db.Close, nil
}

// configurePool sizes the pool. An in-memory SQLite database lives and dies
// with its connection, so it gets exactly one that is never recycled.
func configurePool(sqldb *sql.DB, cfg Config, dsn string) {
	if isSQLiteMemory(dsn) {
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
		return
	}
	size := max(cfg.PoolSize, 1)
	sqldb.SetMaxIdleConns(size)
	sqldb.SetMaxOpenConns(size + max(cfg.MaxOverflow, 0))
	sqldb.SetConnMaxIdleTime(5 * time.Minute)
}

// parseURL maps a database URL to its dialect, database/sql driver name and
// driver DSN.
func parseURL(raw string) (dialect, driverName, dsn string, err error) {
	scheme, _, ok := strings.Cut(raw, "://")
	if !ok {
		return "", "", "", fault.Newf(fault.Invalid, "DATABASE_URL: %q has no scheme (want postgres:// or sqlite://)", redact(raw))
	}
	switch strings.ToLower(scheme) {
	case "postgres", "postgresql":
		dsn, err := postgresDSN(raw)
		return Postgres, "pgx", dsn, err
	case "sqlite", "sqlite3":
		dsn, err := sqliteDSN(raw)
		return SQLite, "sqlite", dsn, err
	}
	return "", "", "", fault.Newf(fault.Invalid, "DATABASE_URL: unsupported scheme %q (want postgres:// or sqlite://)", scheme)
}

// postgresDSN makes pgx use the simple protocol unless the URL chooses a mode:
// Bun inlines every argument into the SQL text, so pgx's default of preparing
// and caching each distinct statement would only cost a round trip and fill
// the statement cache with one-off queries.
func postgresDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fault.Wrap(fault.Invalid, "DATABASE_URL: not a valid URL", err)
	}
	q := u.Query()
	if q.Get("default_query_exec_mode") == "" {
		q.Set("default_query_exec_mode", "simple_protocol")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// sqliteDSN turns a SQLAlchemy-style SQLite URL into a modernc.org/sqlite
// DSN: three slashes before a relative path, four before an absolute one,
// sqlite://:memory: (or sqlite://) for a private in-memory database. Every
// connection gets foreign keys on, WAL, a busy timeout, and BEGIN IMMEDIATE
// transactions, so that a read-modify-write takes the write lock up front
// instead of failing with SQLITE_BUSY when it tries to upgrade.
func sqliteDSN(raw string) (string, error) {
	_, rest, _ := strings.Cut(raw, "://")
	path, query, _ := strings.Cut(rest, "?")
	switch {
	case path == "" || path == ":memory:" || path == "/:memory:":
		path = ":memory:"
	case strings.HasPrefix(path, "/"):
		// sqlite:///./campus.db -> ./campus.db; sqlite:////abs.db -> /abs.db
		path = path[1:]
	default:
		return "", fault.Newf(fault.Invalid, "DATABASE_URL: %q: want sqlite:///relative/path.db, sqlite:////absolute/path.db or sqlite://:memory:", raw)
	}
	if path == "" {
		return "", fault.Newf(fault.Invalid, "DATABASE_URL: %q names no database file", raw)
	}
	extra, err := url.ParseQuery(query)
	if err != nil {
		return "", fault.Wrap(fault.Invalid, "DATABASE_URL: bad query string", err)
	}
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", sqliteBusyTimeout))
	params.Add("_pragma", "foreign_keys(1)")
	params.Add("_pragma", "journal_mode(WAL)")
	params.Set("_txlock", "immediate")
	for k, vs := range extra {
		if k == "_pragma" {
			params[k] = append(params[k], vs...)
			continue
		}
		params[k] = vs
	}
	return path + "?" + params.Encode(), nil
}

func isSQLiteMemory(dsn string) bool {
	return strings.HasPrefix(dsn, ":memory:") || strings.Contains(dsn, "mode=memory")
}

// redact hides a password in a URL before it goes into an error message.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	return u.Redacted()
}

// Dialect reports which database this is: "postgres" or "sqlite".
func (db *DB) Dialect() string { return db.dialect }

// Ping checks that the database answers; it backs the health check.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.bun.PingContext(ctx); err != nil {
		return translate(err, "")
	}
	return nil
}

// Stats reports the connection pool's state, for metrics.
func (db *DB) Stats() sql.DBStats { return db.bun.Stats() }

// Close closes the pool; it is the cleanup Open returns.
func (db *DB) Close() { _ = db.bun.Close() }

// Bun exposes the underlying handle for tools that need raw access
// (migrations, tests); repositories never hand it to the core.
func (db *DB) Bun() *bun.DB { return db.bun }

// postgres reports whether row locks (FOR UPDATE) are available; SQLite
// gets the same isolation from its immediate write transactions instead.
func (db *DB) postgres() bool { return db.dialect == Postgres }
