package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
)

// AnomalyRepository stores what the anomaly detection found: at most one
// anomaly per (type, subject kind, subject, day).
type AnomalyRepository interface {
	// Record inserts a unless an anomaly with the same type, subject and
	// day exists; it reports whether a was new and, if so, sets its ID (in
	// ctx's transaction, so the notifications about it commit with it).
	Record(ctx context.Context, a *anomaly.Anomaly) (bool, error)
	// List returns the anomalies of the days from..to (inclusive), by day
	// then id.
	List(ctx context.Context, from, to attendance.Date) ([]anomaly.Anomaly, error)
}

// AnomalySignals are the day's figures the detection judges, aggregated by
// the database (the nightly pass covers every student).
type AnomalySignals interface {
	// DepartmentDays tallies attendance (attended = present or late, of
	// present, late and absent) per student department and day over span;
	// a department and day without counted marks may be left out.
	DepartmentDays(ctx context.Context, span anomaly.Span) ([]anomaly.DepartmentDay, error)
	// StudentWindows tallies each active student's attendance in the four
	// spans, returning only the students whose Recent and Previous tallies
	// have at least minRecent and minPrevious counted marks and a rate
	// drop of at least minDrop (give or take rounding: the rule decides).
	StudentWindows(ctx context.Context, s anomaly.StudentSpans, minRecent, minPrevious int, minDrop float64) ([]anomaly.StudentWindows, error)
	// ComplaintsFiled counts the complaints created in [from, mid) and in
	// [mid, to).
	ComplaintsFiled(ctx context.Context, from, mid, to time.Time) (before, after int, err error)
}
