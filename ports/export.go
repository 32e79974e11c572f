package ports

import (
	"context"
	"io"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
)

// ExportStatus is where an export is in its life.
type ExportStatus string

// Export states.
const (
	ExportPending   ExportStatus = "pending"
	ExportRunning   ExportStatus = "running"
	ExportCompleted ExportStatus = "completed"
	ExportFailed    ExportStatus = "failed"
)

// Export is one requested file of campus records (students, attendance,
// complaints or risks) as CSV or XLSX, kept in the blob store under
// BlobKey until ExpiresAt.
type Export struct {
	ID          string // also the id of the task that builds it
	Kind        string
	Format      string
	Filters     map[string]string // as validated, canonical text
	Status      ExportStatus
	Rows        int
	Size        int64
	Error       string
	RequestedBy int64
	BlobKey     string
	CreatedAt   time.Time
	CompletedAt *time.Time
	ExpiresAt   *time.Time
}

// ExportStore keeps the exports' records.
type ExportStore interface {
	Create(ctx context.Context, e Export) error
	// Get is fault.NotFound for an unknown id.
	Get(ctx context.Context, id string) (Export, error)
	// Save overwrites the record's status, figures, error and times.
	Save(ctx context.Context, e Export) error
	// Expired lists up to limit exports whose ExpiresAt is before now,
	// oldest first.
	Expired(ctx context.Context, now time.Time, limit int) ([]Export, error)
	Delete(ctx context.Context, id string) error
}

// ExportFilter narrows the rows of an export; zero fields do not filter.
// Which fields apply depends on the kind.
type ExportFilter struct {
	Department string
	Semester   int
	Status     string
	StudentID  *int64
	// DateFrom and DateTo bound attendance dates (inclusive).
	DateFrom, DateTo *attendance.Date
	// CreatedFrom (inclusive) and CreatedBefore (exclusive) bound
	// complaints' created_at.
	CreatedFrom, CreatedBefore *time.Time
	Category, Priority         string
	Severity, RiskType         string
}

// ExportSource reads the rows of an export in id order, one batch at a
// time (keyset pagination: the rows with an id above after), so no export
// holds a whole table.
type ExportSource interface {
	Students(ctx context.Context, f ExportFilter, after int64, limit int) ([]student.Student, error)
	Attendance(ctx context.Context, f ExportFilter, after int64, limit int) ([]attendance.Record, error)
	Complaints(ctx context.Context, f ExportFilter, after int64, limit int) ([]complaint.Complaint, error)
	Risks(ctx context.Context, f ExportFilter, after int64, limit int) ([]risk.Risk, error)
}

// TableWriter writes one table row by row. Cells are nil (an empty cell),
// string, int64 or float64.
type TableWriter interface {
	WriteRow(cells []any) error
	// Close flushes what is buffered and ends the file (not the underlying
	// writer).
	Close() error
}

// TableEncoder starts a table in a file format ("csv" or "xlsx") over w.
type TableEncoder interface {
	NewTable(format string, w io.Writer) (TableWriter, error)
}
