package ports

import (
	"context"

	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
)

// RiskRepository stores risk records. A missing row is fault.NotFound; a
// student_id that names no student is fault.Invalid.
type RiskRepository interface {
	// Create inserts r and sets its ID.
	Create(ctx context.Context, r *risk.Risk) error
	// CreateMany inserts the records in one transaction and returns them,
	// in order, with their IDs; a second open record about a subject is
	// fault.Conflict and inserts none.
	CreateMany(ctx context.Context, rs []risk.Risk) ([]risk.Risk, error)
	Get(ctx context.Context, id int64) (risk.Risk, error)
	// List returns one page of the records matching f, ordered by id.
	List(ctx context.Context, f risk.Filter, p page.Request) (page.Result[risk.Risk], error)
	// OpenForStudent lists every open record of the student, ordered by
	// id: all of them, because the student's score is derived from all.
	OpenForStudent(ctx context.Context, studentID int64) ([]risk.Risk, error)
	// OpenBySubject is the open record with this SubjectKey (fault.NotFound
	// when none); creating a second open one is fault.Conflict.
	OpenBySubject(ctx context.Context, subject string) (risk.Risk, error)
	// EverAbout reports whether any record, open or resolved, has this SubjectKey.
	EverAbout(ctx context.Context, subject string) (bool, error)
	// Update loads the record, applies fn and saves the result in one
	// transaction; fn's error aborts the update and is returned as is.
	Update(ctx context.Context, id int64, fn func(*risk.Risk) error) (risk.Risk, error)
	// UpdateMany loads the records under write locks (ids without a
	// record are left out), passes them to fn and saves the records fn
	// returns, in one transaction, and returns them as saved; fn's error
	// aborts and is returned as is.
	UpdateMany(ctx context.Context, ids []int64, fn func([]risk.Risk) ([]risk.Risk, error)) ([]risk.Risk, error)
}
