package ports

import (
	"context"

	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/page"
)

// ComplaintRepository stores complaints and their append-only history. A
// missing complaint is fault.NotFound; a student_id naming no student is
// fault.Invalid.
type ComplaintRepository interface {
	Create(ctx context.Context, c *complaint.Complaint) error
	Get(ctx context.Context, id int64) (complaint.Complaint, error)
	// List returns one page of the complaints matching f, ordered by id.
	List(ctx context.Context, f complaint.Filter, p page.Request) (page.Result[complaint.Complaint], error)
	// Update loads the complaint under a write lock, applies fn and saves
	// the result in one transaction; fn's error aborts the update.
	Update(ctx context.Context, id int64, fn func(*complaint.Complaint) error) (complaint.Complaint, error)
	// AppendHistory records one write to a complaint (sets h.ID).
	AppendHistory(ctx context.Context, h *complaint.HistoryEntry) error
	// History returns one page of a complaint's history, oldest first.
	History(ctx context.Context, complaintID int64, p page.Request) (page.Result[complaint.HistoryEntry], error)
}
