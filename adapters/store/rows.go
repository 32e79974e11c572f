package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/page"
)

// likeEscape is the LIKE escape character. It is not a backslash because
// backslashes mean different things in PostgreSQL and SQLite literals.
const likeEscape = "!"

// containsPattern turns a user's search text into a lower-case LIKE
// pattern matching it anywhere, with the user's own % and _ taken
// literally. Empty text gives "" (no filter).
func containsPattern(text string) string {
	text = strings.TrimSpace(text)
	if text == "" {
		return ""
	}
	r := strings.NewReplacer(likeEscape, likeEscape+likeEscape, "%", likeEscape+"%", "_", likeEscape+"_")
	return "%" + r.Replace(strings.ToLower(text)) + "%"
}

// normalize fills a zero limit with the default and clamps the rest, so a
// caller that skipped page.NewRequest still gets a bounded query.
func normalize(p page.Request) page.Request {
	if p.Limit <= 0 {
		p.Limit = page.DefaultLimit
	}
	p.Limit = min(p.Limit, page.MaxLimit)
	p.Offset = max(p.Offset, 0)
	return p
}

// utc normalises a time read from either database: PostgreSQL's driver
// returns local time and SQLite a fixed +00:00 zone.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// stamp returns t (now when zero) in UTC at the microsecond precision both
// databases store, so a value written equals the value read back.
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// stampOr is stamp(t), or fallback when t is zero.
func stampOr(t, fallback time.Time) time.Time {
	if t.IsZero() {
		return fallback
	}
	return stamp(t)
}

func stampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}

// expectRow turns "no row affected" into sql.ErrNoRows, translated.
func expectRow(res sql.Result, thing string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows affected: %w", err)
	}
	if n == 0 {
		return translate(sql.ErrNoRows, thing)
	}
	return nil
}

// mapping converts between a row model R and its domain value D, for the
// helpers every repository shares.
type mapping[R, D any] struct {
	thing    string // names the row kind in errors ("Student")
	alias    string // the model's table alias ("s")
	toDomain func(R) (D, error)
	toRow    func(D) (R, error)
	// prepare runs after the caller's change and before saving: it pins
	// the id and brings times to what the database keeps.
	prepare func(d *D, id int64, stored R)
}

// lockedUpdate is the read-modify-write every repository's Update is: load
// row id under a write lock (FOR UPDATE on PostgreSQL; SQLite's immediate
// transactions already hold the database's write lock), apply fn, save,
// in ctx's transaction or a new one. fn's error aborts and is returned
// unchanged, so use cases see their own errors.
func lockedUpdate[R, D any](ctx context.Context, db *DB, id int64, m mapping[R, D], fn func(*D) error) (D, error) {
	var out D
	err := db.inTx(ctx, func(ctx context.Context) error {
		var row R
		q := db.conn(ctx).NewSelect().Model(&row).Where("?.id = ?", bun.Ident(m.alias), id)
		if db.postgres() {
			q = q.For("UPDATE")
		}
		if err := q.Scan(ctx); err != nil {
			return fmt.Errorf("load %s %d: %w", strings.ToLower(m.thing), id, translate(err, m.thing))
		}
		d, err := m.toDomain(row)
		if err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
		m.prepare(&d, id, row)
		saved, err := m.toRow(d)
		if err != nil {
			return err
		}
		if _, err := db.conn(ctx).NewUpdate().Model(&saved).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save %s %d: %w", strings.ToLower(m.thing), id, translate(err, m.thing))
		}
		out, err = m.toDomain(saved)
		return err
	})
	if err != nil {
		var zero D
		return zero, err
	}
	return out, nil
}

// deleteByID deletes row id of model R; a missing row is fault.NotFound.
func deleteByID[R any](ctx context.Context, db *DB, id int64, thing string) error {
	res, err := db.conn(ctx).NewDelete().Model((*R)(nil)).Where("id = ?", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete %s %d: %w", strings.ToLower(thing), id, translate(err, thing))
	}
	if err := expectRow(res, thing); err != nil {
		return fmt.Errorf("delete %s %d: %w", strings.ToLower(thing), id, err)
	}
	return nil
}

// plain lifts a conversion that cannot fail into mapping's signature.
func plain[A, B any](f func(A) B) func(A) (B, error) {
	return func(a A) (B, error) { return f(a), nil }
}

// isNoRows reports a query that found nothing.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
