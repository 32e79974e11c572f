package store

import (
	"database/sql"
	"fmt"
	"strings"
	"time"

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
