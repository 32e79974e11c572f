package ports

import (
	"context"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
)

// StudentRepository stores student records. A duplicate roll_no is
// fault.Conflict, a missing row fault.NotFound.
type StudentRepository interface {
	Create(ctx context.Context, s *student.Student) error
	Get(ctx context.Context, id int64) (student.Student, error)
	GetByEmail(ctx context.Context, email string) (student.Student, error)
	List(ctx context.Context, f student.Filter, p page.Request) (page.Result[student.Student], error)
	Update(ctx context.Context, id int64, fn func(*student.Student) error) (student.Student, error)
	Delete(ctx context.Context, id int64) error
	// Referenced reports whether other records (attendance, complaints,
	// accounts) point at the student, so deleting would orphan them.
	Referenced(ctx context.Context, id int64) (bool, error)
}

// AuditLog is the append-only audit trail.
type AuditLog interface {
	Record(ctx context.Context, e audit.Entry) error
	// RecordMany appends the entries in order, in one statement.
	RecordMany(ctx context.Context, es []audit.Entry) error
	List(ctx context.Context, f audit.Filter, p page.Request) (page.Result[audit.Entry], error)
}
