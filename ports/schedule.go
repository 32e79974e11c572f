package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/schedule"
)

// ScheduleRepository stores timetable entries. A missing entry is
// fault.NotFound.
type ScheduleRepository interface {
	Create(ctx context.Context, e *schedule.Entry) error
	Get(ctx context.Context, id int64) (schedule.Entry, error)
	// List returns one page of the entries matching f, ordered by id.
	List(ctx context.Context, f schedule.Filter, p page.Request) (page.Result[schedule.Entry], error)
	// Update loads the entry under a write lock, applies fn and saves the
	// result in one transaction; fn's error aborts the update.
	Update(ctx context.Context, id int64, fn func(*schedule.Entry) error) (schedule.Entry, error)
	Delete(ctx context.Context, id int64) error
	// Overlapping returns the active entries, other than e itself (by id),
	// whose time overlaps e's, ordered by id. Called in a transaction, it
	// first waits until no other transaction that called it is still open,
	// so that a clash check and the write that follows it cannot interleave
	// with another writer's: of two clashing writes, one sees the other.
	Overlapping(ctx context.Context, e schedule.Entry) ([]schedule.Entry, error)
	// Active returns every active entry that has a moment within [from, to]
	// (either bound may be nil), ordered by id.
	Active(ctx context.Context, from, to *time.Time) ([]schedule.Entry, error)
}
