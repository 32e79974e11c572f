package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"net"
	"regexp"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/campus/campus/domain/fault"
)

// msgUnavailable is what a client hears when the database cannot be reached.
const msgUnavailable = "Database unavailable"

// translate is the one place where driver errors become domain fault kinds;
// every repository passes its errors through it. thing names the row kind
// ("Student") for not-found and conflict messages. Errors that already
// carry a kind (e.g. from an Update closure) and context cancellations pass
// through untouched.
func translate(err error, thing string) error {
	if err == nil {
		return nil
	}
	var fe *fault.Error
	if errors.As(err, &fe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		if thing == "" {
			thing = "Record"
		}
		return fault.Wrap(fault.NotFound, thing+" not found", err)
	}

	// A server that refuses the connection answers with a PgError inside a
	// ConnectError: that is an outage, whatever its code.
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return fault.Wrap(fault.Unavailable, msgUnavailable, err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return translatePostgres(err, pgErr, thing)
	}
	var sqlErr *sqlite.Error
	if errors.As(err, &sqlErr) {
		return translateSQLite(err, sqlErr, thing)
	}
	if unreachable(err) {
		return fault.Wrap(fault.Unavailable, msgUnavailable, err)
	}
	return err
}

func translatePostgres(err error, pgErr *pgconn.PgError, thing string) error {
	switch {
	case pgErr.Code == "23505": // unique_violation
		return fault.Wrap(fault.Conflict, conflictMessage(thing, pgConstraintColumn(pgErr)), err)
	case pgErr.Code == "23503": // foreign_key_violation
		return fault.Wrap(fault.Invalid, referenceMessage(pgConstraintColumn(pgErr)), err)
	case pgErr.Code == "23514", pgErr.Code == "23502", pgErr.Code == "22001": // check, not null, too long
		return fault.Wrap(fault.Invalid, "Value rejected by the database", err)
	case pgErr.Code == "22021", pgErr.Code == "22P05": // NUL or a character the encoding cannot hold
		return fault.Wrap(fault.Invalid, "Text contains a character that cannot be stored (such as NUL)", err)
	case pgErr.Code == "40001", pgErr.Code == "40P01", pgErr.Code == "55P03": // serialization, deadlock, lock timeout
		return fault.Wrap(fault.Unavailable, "Database busy, try again", err)
	case strings.HasPrefix(pgErr.Code, "08"), // connection exception
		pgErr.Code == "53300",                        // too_many_connections
		pgErr.Code == "57P01", pgErr.Code == "57P02", // admin/crash shutdown
		pgErr.Code == "57P03", // cannot_connect_now
		pgErr.Code == "3D000": // invalid_catalog_name: the database is gone
		return fault.Wrap(fault.Unavailable, msgUnavailable, err)
	}
	return err
}

func translateSQLite(err error, sqlErr *sqlite.Error, thing string) error {
	switch sqlErr.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fault.Wrap(fault.Conflict, conflictMessage(thing, sqliteConstraintColumn(sqlErr.Error())), err)
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fault.Wrap(fault.Invalid, referenceMessage(""), err)
	case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
		return fault.Wrap(fault.Invalid, "Value rejected by the database", err)
	}
	switch sqlErr.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fault.Wrap(fault.Unavailable, "Database busy, try again", err)
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
		return fault.Wrap(fault.Unavailable, msgUnavailable, err)
	}
	return err
}

// unreachable reports whether err means the database server could not be
// reached or the connection broke, as opposed to a bad query.
func unreachable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr),
		errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn),
		errors.Is(err, sql.ErrConnDone),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		pgconn.SafeToRetry(err):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "conn closed") ||
		strings.Contains(msg, "broken pipe")
}

func conflictMessage(thing, column string) string {
	if thing == "" {
		thing = "Record"
	}
	if column == "" {
		return thing + " already exists"
	}
	return thing + " with this " + column + " already exists"
}

func referenceMessage(column string) string {
	if column == "" {
		return "Referenced record does not exist"
	}
	return column + ": referenced record does not exist"
}

// pgConstraintColumn recovers the column from our constraint naming scheme,
// <table>_<column>_key / _fkey (see the migrations).
func pgConstraintColumn(e *pgconn.PgError) string {
	name := e.ConstraintName
	if e.TableName != "" {
		name = strings.TrimPrefix(name, e.TableName+"_")
	}
	for _, suffix := range []string{"_key", "_fkey", "_idx"} {
		if strings.HasSuffix(name, suffix) {
			return strings.TrimSuffix(name, suffix)
		}
	}
	return ""
}

// sqliteUniqueRE matches "UNIQUE constraint failed: users.email" (and
// several "table.col" for composite keys; the first is named).
var sqliteUniqueRE = regexp.MustCompile(`constraint failed: \w+\.(\w+)`)

func sqliteConstraintColumn(msg string) string {
	if m := sqliteUniqueRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}
