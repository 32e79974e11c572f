package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

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
	if st := db.txOf(ctx); st != nil {
		return st.tx.Tx
	}
	return db.bun.DB
}

// copyFrom runs COPY table (columns) FROM STDIN with pgx on PostgreSQL,
// in ctx's transaction if it has one of db's (on the connection the
// transaction holds: database/sql has no COPY), else on a connection of
// the pool. It returns the number of rows copied.
func (db *DB) copyFrom(ctx context.Context, table string, columns []string, rows pgx.CopyFromSource) (int64, error) {
	var conn *sql.Conn
	if st := db.txOf(ctx); st != nil {
		conn = st.conn.Conn
	} else {
		c, err := db.bun.DB.Conn(ctx)
		if err != nil {
			return 0, err
		}
		defer func() { _ = c.Close() }()
		conn = c
	}
	var n int64
	err := conn.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: %T is not a pgx connection", table, driverConn)
		}
		var err error
		n, err = pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
		return err
	})
	return n, err
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
