// Package export builds files of campus records (students, attendance,
// complaints, risks) as CSV or XLSX in the background: a request records
// the export and enqueues its task; the task streams the rows from the
// database in id-ordered batches through a table encoder into the blob
// store, so memory stays flat whatever the row count. Files expire a
// while after completion; the maintenance agent prunes them.
package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// Config tunes exports.
type Config struct {
	// Location is the campus calendar's zone (TIMEZONE): complaint date
	// filters are its calendar days.
	Location *time.Location
	// TTL is how long a completed file is kept (24 h by default).
	TTL time.Duration
	// Batch is how many rows one query reads (1000 by default).
	Batch int
}

// Deps are the ports the exports use.
type Deps struct {
	Exports ports.ExportStore
	Source  ports.ExportSource
	Blobs   ports.BlobStore
	Encoder ports.TableEncoder
	Queue   ports.Queue
	Tasks   ports.TaskLedger
	Audit   ports.AuditLog
	Clock   ports.Clock
	IDs     ports.IDGenerator
}

// Service is the exports' use cases.
type Service struct {
	cfg Config
	d   Deps
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.TTL <= 0 {
		cfg.TTL = 24 * time.Hour
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 1000
	}
	return &Service{cfg: cfg, d: d}
}

// Request is POST /exports.
type Request struct {
	Kind, Format string
	Filters      map[string]string
}

const resource = "exports"

// A run is retried a few times (the database may be restarting) within a
// generous bound per attempt.
const (
	runRetries = 3
	runTimeout = time.Hour
)

// Errors of reading an export.
var (
	errNotFound = fault.New(fault.NotFound, "Export not found")
	// ErrExpired is an export whose file has expired (past ExpiresAt, and
	// not yet pruned): the HTTP edge answers 410 Gone.
	ErrExpired    = fault.New(fault.NotFound, "Export expired: its file was kept 24 hours after completion")
	errNotReady   = fault.New(fault.Conflict, "Export not completed yet: poll GET /api/v1/exports/{id} until its status is completed")
	errFailed     = fault.New(fault.Conflict, "Export failed: see its error, and request a new one")
	errNoBackTask = fault.New(fault.Unavailable, "Background tasks are off: exports cannot run")
)

// Submit validates the request (kind, format, the kind's filters),
// records the export as pending and enqueues its task; the export's id is
// also the task's (GET /tasks/{id} reports it too).
func (s *Service) Submit(ctx context.Context, a identity.Actor, r Request) (ports.Export, error) {
	if _, err := identity.Can(a, identity.ExportAnalytics); err != nil {
		return ports.Export{}, err
	}
	var v fault.Validation
	_, kindOK := filterNames[r.Kind]
	v.Check(kindOK, "kind", "must be one of students, attendance, complaints, risks")
	v.Check(r.Format == FormatCSV || r.Format == FormatXLSX, "format", "must be csv or xlsx")
	if err := v.Err(); err != nil {
		return ports.Export{}, err
	}
	_, canon, err := parseFilters(r.Kind, r.Filters, s.cfg.Location)
	if err != nil {
		return ports.Export{}, err
	}
	if s.d.Queue == nil {
		return ports.Export{}, errNoBackTask
	}
	id := s.d.IDs.NewID()
	now := s.d.Clock.Now().UTC()
	e := ports.Export{ID: id, Kind: r.Kind, Format: r.Format, Filters: canon, Status: ports.ExportPending,
		RequestedBy: a.UserID, BlobKey: id + "." + r.Format, CreatedAt: now}
	if err := s.d.Exports.Create(ctx, e); err != nil {
		return ports.Export{}, err
	}
	if err := s.d.Tasks.RecordTask(ctx, id, a.UserID); err != nil {
		return ports.Export{}, err
	}
	payload, err := json.Marshal(jobs.ExportRunJob{ExportID: id})
	if err != nil {
		return ports.Export{}, fmt.Errorf("encode export job: %w", err)
	}
	if _, err := s.d.Queue.Enqueue(ctx, ports.Job{Type: jobs.ExportRun, Payload: payload},
		ports.EnqueueOptions{ID: id, Queue: ports.QueueDefault, MaxRetry: runRetries, Timeout: runTimeout}); err != nil {
		e.Status, e.Error = ports.ExportFailed, "could not be queued"
		_ = s.d.Exports.Save(ctx, e) // best effort: the request fails either way
		return ports.Export{}, fmt.Errorf("enqueue export: %w", err)
	}
	filters := make(map[string]any, len(canon))
	for k, v := range canon {
		filters[k] = v
	}
	entry := audit.By(a, now, "export.create", resource, id).
		Change(nil, map[string]any{"kind": r.Kind, "format": r.Format, "filters": filters})
	if err := s.d.Audit.Record(ctx, entry); err != nil {
		return ports.Export{}, err
	}
	return e, nil
}

// Get reads an export: its requester's or, for an admin, anyone's;
// another user's is NotFound. An expired one is ErrExpired.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (ports.Export, error) {
	if _, err := identity.Can(a, identity.ExportAnalytics); err != nil {
		return ports.Export{}, err
	}
	e, err := s.d.Exports.Get(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return ports.Export{}, errNotFound
	}
	if err != nil {
		return ports.Export{}, err
	}
	if e.RequestedBy != a.UserID && a.Role != identity.RoleAdmin {
		return ports.Export{}, errNotFound
	}
	if s.expired(e, s.d.Clock.Now()) {
		return ports.Export{}, ErrExpired
	}
	return e, nil
}

func (s *Service) expired(e ports.Export, now time.Time) bool {
	return e.ExpiresAt != nil && !now.Before(*e.ExpiresAt)
}

// File is an export's file, open for reading; the caller closes Body.
type File struct {
	Export ports.Export
	Body   io.ReadCloser
	Size   int64
	// Name is the download's file name: kind, the day it was requested
	// (campus calendar) and format, e.g. students-2026-11-27.csv.
	Name string
}

// Open opens a completed export's file for download (Get's rules; an
// export not completed is Conflict).
func (s *Service) Open(ctx context.Context, a identity.Actor, id string) (File, error) {
	e, err := s.Get(ctx, a, id)
	if err != nil {
		return File{}, err
	}
	switch e.Status {
	case ports.ExportCompleted:
	case ports.ExportFailed:
		return File{}, errFailed
	default:
		return File{}, errNotReady
	}
	body, size, err := s.d.Blobs.Open(ctx, e.BlobKey)
	if errors.Is(err, fault.ErrNotFound) {
		return File{}, ErrExpired // pruned between the two reads
	}
	if err != nil {
		return File{}, err
	}
	name := e.Kind + "-" + e.CreatedAt.In(s.cfg.Location).Format(time.DateOnly) + "." + e.Format
	return File{Export: e, Body: body, Size: size, Name: name}, nil
}

// Run builds an export's file (the task's use case): it marks the export
// running, streams its rows through the encoder into the blob store and
// marks it completed with the row count, size and expiry. A failure
// marks it failed and is returned, so the queue retries the task; a
// re-run rewrites the file and the record. A completed export is left as
// it is; an unknown one (pruned meanwhile) fails for good.
func (s *Service) Run(ctx context.Context, id string) (ports.Export, error) {
	e, err := s.d.Exports.Get(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return ports.Export{}, fault.Wrap(fault.Invalid, "export "+id+" no longer exists", err)
	}
	if err != nil {
		return ports.Export{}, err
	}
	if e.Status == ports.ExportCompleted {
		return e, nil
	}
	f, _, err := parseFilters(e.Kind, e.Filters, s.cfg.Location)
	if err != nil { // stored by Submit, so only a damaged row
		return s.fail(ctx, e, err)
	}
	e.Status, e.Error = ports.ExportRunning, ""
	if err := s.d.Exports.Save(ctx, e); err != nil {
		return ports.Export{}, err
	}
	rows, size, err := s.write(ctx, e, f)
	if err != nil {
		if fault.KindOf(err) == fault.Invalid {
			return s.fail(ctx, e, err)
		}
		// Failed until a retry of the task succeeds (and for good once the
		// retries are used up); the error is returned so the queue retries.
		e.Status, e.Error = ports.ExportFailed, "could not be built: "+publicMessage(err)
		_ = s.d.Exports.Save(context.WithoutCancel(ctx), e) // best effort: the task fails either way
		return ports.Export{}, err
	}
	now := s.d.Clock.Now().UTC()
	expires := now.Add(s.cfg.TTL)
	e.Status, e.Rows, e.Size, e.Error, e.CompletedAt, e.ExpiresAt = ports.ExportCompleted, rows, size, "", &now, &expires
	if err := s.d.Exports.Save(ctx, e); err != nil {
		return ports.Export{}, err
	}
	return e, nil
}

func (s *Service) fail(ctx context.Context, e ports.Export, cause error) (ports.Export, error) {
	e.Status, e.Error = ports.ExportFailed, publicMessage(cause)
	if err := s.d.Exports.Save(ctx, e); err != nil {
		return ports.Export{}, err
	}
	return e, fault.Wrap(fault.Invalid, "export "+e.ID+" failed", cause)
}

// write streams the rows into the blob store: the encoder writes into
// one end of a pipe while the blob store reads the other, so neither
// side holds more than a batch of rows and a buffer of bytes.
func (s *Service) write(ctx context.Context, e ports.Export, f ports.ExportFilter) (rows int, size int64, err error) {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	var putErr error
	go func() {
		defer close(done)
		size, putErr = s.d.Blobs.Put(ctx, e.BlobKey, pr)
		_ = pr.CloseWithError(putErr) // unblock the encoder if Put gave up
	}()
	rows, encErr := s.encode(ctx, e, f, pw)
	_ = pw.CloseWithError(encErr) // nil: EOF, the file is whole
	<-done
	if encErr != nil {
		return 0, 0, encErr
	}
	if putErr != nil {
		return 0, 0, fmt.Errorf("store export file: %w", putErr)
	}
	return rows, size, nil
}

// encode writes the header and every row of the export to w.
func (s *Service) encode(ctx context.Context, e ports.Export, f ports.ExportFilter, w io.Writer) (int, error) {
	t, err := s.d.Encoder.NewTable(e.Format, w)
	if err != nil {
		return 0, err
	}
	header := make([]any, len(columns[e.Kind]))
	for i, c := range columns[e.Kind] {
		header[i] = c
	}
	if err := t.WriteRow(header); err != nil {
		_ = t.Close() // frees the encoder's temporary files; the pipe already failed
		return 0, fmt.Errorf("write header: %w", err)
	}
	n, err := s.rows(ctx, e.Kind, f, t.WriteRow)
	if err != nil {
		// Close frees the encoder's temporary files; what it writes is
		// discarded, the pipe is then closed with err.
		_ = t.Close()
		return 0, err
	}
	if err := t.Close(); err != nil {
		return 0, fmt.Errorf("finish %s file: %w", e.Format, err)
	}
	return n, nil
}

// rows reads the kind's rows batch by batch (keyset on id) and emits
// each as cells.
func (s *Service) rows(ctx context.Context, kind string, f ports.ExportFilter, emit func([]any) error) (int, error) {
	switch kind {
	case KindStudents:
		return batches(ctx, s.cfg.Batch, f, s.d.Source.Students, studentCells, studentID, emit)
	case KindAttendance:
		return batches(ctx, s.cfg.Batch, f, s.d.Source.Attendance, attendanceCells, attendanceID, emit)
	case KindComplaints:
		return batches(ctx, s.cfg.Batch, f, s.d.Source.Complaints, complaintCells, complaintID, emit)
	case KindRisks:
		return batches(ctx, s.cfg.Batch, f, s.d.Source.Risks, riskCells, riskID, emit)
	}
	return 0, fault.Newf(fault.Invalid, "unknown export kind %q", kind)
}

// batches pages through one kind with read, mapping each item to cells.
func batches[T any](ctx context.Context, size int, f ports.ExportFilter,
	read func(context.Context, ports.ExportFilter, int64, int) ([]T, error),
	cells func(T) []any, id func(T) int64, emit func([]any) error) (int, error) {
	n := 0
	var after int64
	for {
		items, err := read(ctx, f, after, size)
		if err != nil {
			return n, fmt.Errorf("read rows after %d: %w", after, err)
		}
		for _, it := range items {
			if err := emit(cells(it)); err != nil {
				return n, fmt.Errorf("write row: %w", err)
			}
			n++
		}
		if len(items) < size {
			return n, nil
		}
		after = id(items[len(items)-1])
	}
}

// publicMessage is what the export's error shows its requester: a
// domain error's message, never an unexpected error's text (that goes to
// the task's record and the worker's log).
func publicMessage(err error) string {
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Kind != fault.Unknown {
		return fe.Message
	}
	return "an internal error occurred; the task is retried"
}
