package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// exportSet provides the exports' record store and row source. The blob
// store is chosen by the database kind in bootstrap (NewBlobStore here
// for PostgreSQL, a directory for SQLite).
var exportSet = wire.NewSet(
	NewExportStore,
	wire.Bind(new(ports.ExportStore), new(*ExportStore)),
	NewExportSource,
	wire.Bind(new(ports.ExportSource), new(*ExportSource)),
)

var (
	_ ports.ExportStore  = (*ExportStore)(nil)
	_ ports.ExportSource = (*ExportSource)(nil)
)

const thingExport = "Export"

// exportRow keeps the filters as JSON text (jsonb on PostgreSQL).
type exportRow struct {
	bun.BaseModel `bun:"table:exports,alias:ex"`

	ID          string     `bun:"id,pk"`
	Kind        string     `bun:"kind"`
	Format      string     `bun:"format"`
	Filters     string     `bun:"filters"`
	Status      string     `bun:"status"`
	Rows        int        `bun:"rows"`
	Size        int64      `bun:"size"`
	Error       string     `bun:"error"`
	RequestedBy int64      `bun:"requested_by"`
	BlobKey     string     `bun:"blob_key"`
	CreatedAt   time.Time  `bun:"created_at"`
	CompletedAt *time.Time `bun:"completed_at"`
	ExpiresAt   *time.Time `bun:"expires_at"`
}

func toExportRow(e ports.Export) (exportRow, error) {
	filters := e.Filters
	if filters == nil {
		filters = map[string]string{}
	}
	b, err := json.Marshal(filters)
	if err != nil {
		return exportRow{}, fmt.Errorf("encode export filters: %w", err)
	}
	return exportRow{ID: e.ID, Kind: e.Kind, Format: e.Format, Filters: string(b), Status: string(e.Status), Rows: e.Rows,
		Size: e.Size, Error: e.Error, RequestedBy: e.RequestedBy, BlobKey: e.BlobKey, CreatedAt: stamp(e.CreatedAt),
		CompletedAt: stampPtr(e.CompletedAt), ExpiresAt: stampPtr(e.ExpiresAt)}, nil
}

func (r exportRow) domain() (ports.Export, error) {
	filters := map[string]string{}
	if r.Filters != "" {
		if err := json.Unmarshal([]byte(r.Filters), &filters); err != nil {
			return ports.Export{}, fmt.Errorf("export %s filters: %w", r.ID, err)
		}
	}
	return ports.Export{ID: r.ID, Kind: r.Kind, Format: r.Format, Filters: filters, Status: ports.ExportStatus(r.Status),
		Rows: r.Rows, Size: r.Size, Error: r.Error, RequestedBy: r.RequestedBy, BlobKey: r.BlobKey, CreatedAt: utc(r.CreatedAt),
		CompletedAt: utcPtr(r.CompletedAt), ExpiresAt: utcPtr(r.ExpiresAt)}, nil
}

// ExportStore implements ports.ExportStore.
type ExportStore struct{ db *DB }

// NewExportStore returns an ExportStore over db.
func NewExportStore(db *DB) *ExportStore { return &ExportStore{db: db} }

// Create inserts e.
func (s *ExportStore) Create(ctx context.Context, e ports.Export) error {
	row, err := toExportRow(e)
	if err != nil {
		return err
	}
	if _, err := s.db.conn(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("create export: %w", translate(err, thingExport))
	}
	return nil
}

// Get reads one export.
func (s *ExportStore) Get(ctx context.Context, id string) (ports.Export, error) {
	var row exportRow
	if err := s.db.conn(ctx).NewSelect().Model(&row).Where("ex.id = ?", id).Scan(ctx); err != nil {
		return ports.Export{}, fmt.Errorf("get export %s: %w", id, translate(err, thingExport))
	}
	return row.domain()
}

// Save overwrites every column but the id, kind, requester and blob key.
func (s *ExportStore) Save(ctx context.Context, e ports.Export) error {
	row, err := toExportRow(e)
	if err != nil {
		return err
	}
	res, err := s.db.conn(ctx).NewUpdate().Model(&row).
		Column("format", "filters", "status", "rows", "size", "error", "completed_at", "expires_at").
		WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("save export %s: %w", e.ID, translate(err, thingExport))
	}
	return expectRow(res, thingExport)
}

// Expired lists exports that expired before now, oldest first.
func (s *ExportStore) Expired(ctx context.Context, now time.Time, limit int) ([]ports.Export, error) {
	var rows []exportRow
	err := s.db.conn(ctx).NewSelect().Model(&rows).Where("ex.expires_at IS NOT NULL AND ex.expires_at <= ?", stamp(now)).
		OrderExpr("ex.expires_at, ex.id").Limit(int64(max(limit, 1))).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("list expired exports: %w", translate(err, thingExport))
	}
	out := make([]ports.Export, len(rows))
	for i, r := range rows {
		if out[i], err = r.domain(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Delete removes an export's record (a missing one is no error).
func (s *ExportStore) Delete(ctx context.Context, id string) error {
	if _, err := s.db.conn(ctx).NewDelete().Model((*exportRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return fmt.Errorf("delete export %s: %w", id, translate(err, thingExport))
	}
	return nil
}

// ExportSource implements ports.ExportSource: each call is one query of
// at most limit rows with an id above after, in id order (the primary
// key's index), so a whole table is never read at once.
type ExportSource struct{ db *DB }

// NewExportSource returns an ExportSource over db.
func NewExportSource(db *DB) *ExportSource { return &ExportSource{db: db} }

// Students reads students filtered by department, semester and status.
func (s *ExportSource) Students(ctx context.Context, f ports.ExportFilter, after int64, limit int) ([]student.Student, error) {
	var rows []studentRow
	q := s.db.conn(ctx).NewSelect().Model(&rows).Where("s.id > ?", after)
	if f.Department != "" {
		q = q.Where("s.department = ?", f.Department)
	}
	if f.Semester != 0 {
		q = q.Where("s.semester = ?", f.Semester)
	}
	if f.Status != "" {
		q = q.Where("s.status = ?", f.Status)
	}
	if err := q.OrderExpr("s.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("export students: %w", translate(err, thingStudent))
	}
	out := make([]student.Student, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Attendance reads records filtered by student, date range and status.
func (s *ExportSource) Attendance(ctx context.Context, f ports.ExportFilter, after int64, limit int) ([]attendance.Record, error) {
	var rows []attendanceRow
	q := s.db.conn(ctx).NewSelect().Model(&rows).Where("ar.id > ?", after)
	if f.StudentID != nil {
		q = q.Where("ar.student_id = ?", *f.StudentID)
	}
	if f.DateFrom != nil {
		q = q.Where("ar.date >= ?", toSQLDate(*f.DateFrom))
	}
	if f.DateTo != nil {
		q = q.Where("ar.date <= ?", toSQLDate(*f.DateTo))
	}
	if f.Status != "" {
		q = q.Where("ar.status = ?", f.Status)
	}
	if err := q.OrderExpr("ar.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("export attendance: %w", translate(err, thingAttendance))
	}
	out := make([]attendance.Record, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Complaints reads complaints filtered by status, category, priority and
// filing time.
func (s *ExportSource) Complaints(ctx context.Context, f ports.ExportFilter, after int64, limit int) ([]complaint.Complaint, error) {
	var rows []complaintRow
	q := s.db.conn(ctx).NewSelect().Model(&rows).Where("c.id > ?", after)
	if f.Status != "" {
		q = q.Where("c.status = ?", f.Status)
	}
	if f.Category != "" {
		q = q.Where("c.category = ?", f.Category)
	}
	if f.Priority != "" {
		q = q.Where("c.priority = ?", f.Priority)
	}
	if f.CreatedFrom != nil {
		q = q.Where("c.created_at >= ?", stamp(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		q = q.Where("c.created_at < ?", stamp(*f.CreatedBefore))
	}
	if err := q.OrderExpr("c.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("export complaints: %w", translate(err, "Complaint"))
	}
	out := make([]complaint.Complaint, len(rows))
	for i, r := range rows {
		out[i] = r.domain()
	}
	return out, nil
}

// Risks reads risk records filtered by status, severity and type.
func (s *ExportSource) Risks(ctx context.Context, f ports.ExportFilter, after int64, limit int) ([]risk.Risk, error) {
	var rows []riskRow
	q := s.db.conn(ctx).NewSelect().Model(&rows).Where("r.id > ?", after)
	if f.Status != "" {
		q = q.Where("r.status = ?", f.Status)
	}
	if f.Severity != "" {
		q = q.Where("r.severity = ?", f.Severity)
	}
	if f.RiskType != "" {
		q = q.Where("r.risk_type = ?", f.RiskType)
	}
	if err := q.OrderExpr("r.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("export risks: %w", translate(err, "Risk"))
	}
	return riskRows(rows)
}
