package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/campus/campus/domain/attendance"
)

// pgRunner runs a PostgreSQL statement with real bind parameters: the
// database/sql transaction in ctx, or the pool. Bun writes every argument
// into the SQL text, which for the bulk paths means megabytes of array
// literals to build, escape and have PostgreSQL parse; these statements
// send their arrays as binary parameters instead (see pgBinary).
type pgRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// pg returns the runner for ctx: its transaction, if it belongs to db,
// else the pool.
func (db *DB) pg(ctx context.Context) pgRunner {
	if st, ok := ctx.Value(txKey{}).(*txState); ok && st.db == db {
		return st.tx.Tx
	}
	return db.bun.DB
}

// pgBinary goes first among a statement's arguments: pgx then describes
// the statement (unnamed, so nothing is left prepared on the connection,
// whatever pooler sits in between) and sends the arguments in binary,
// instead of the simple protocol the DSN selects for Bun's inlined SQL.
// A []int64 of 10 000 ids travels as 80 KB of integers, not as text that
// the server parses number by number.
const pgBinary = pgx.QueryExecModeDescribeExec

// pgDate is a calendar day as the date parameter pgx encodes.
func pgDate(d attendance.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// uniqueViolation reports whether err is PostgreSQL's unique_violation.
func uniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}
