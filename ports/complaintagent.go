package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/complaint"
)

// ComplaintAgentStore is what the complaint agents read in sets: which
// complaints need them, and who can take one. Selections return ids in
// ascending order after afterID (keyset pages), so a pass over every
// complaint reads a bounded page at a time.
type ComplaintAgentStore interface {
	// Untriaged lists pending complaints whose history has no
	// complaint.ActionTriaged entry.
	Untriaged(ctx context.Context, afterID int64, limit int) ([]int64, error)
	// Triaged reports whether the complaint's history has a
	// complaint.ActionTriaged entry.
	Triaged(ctx context.Context, complaintID int64) (bool, error)
	// LeastLoadedStaff is the active staff account with the fewest open
	// (pending or in_progress) complaints assigned, the lowest id on a
	// tie, with that number; fault.NotFound when there is no active staff.
	LeastLoadedStaff(ctx context.Context) (complaint.Assignee, error)
	// Breached lists open complaints due before now whose current due
	// time has not been escalated (escalated_due_at differs from due_at).
	Breached(ctx context.Context, now time.Time, afterID int64, limit int) ([]int64, error)
	// ActiveAdmins lists the ids of active admin accounts, ascending.
	ActiveAdmins(ctx context.Context) ([]int64, error)
}
