package student

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/campus/campus/application/jobs"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// ImportResult reports what an import did or, on a dry run, would do.
// Every data row is counted once: Rows = Created + Updated + Unchanged +
// the rows named in Errors. Unchanged rows (equal to the stored record)
// are not written or audited, so importing a file a second time answers
// 0 created, 0 updated, N unchanged.
type ImportResult struct {
	DryRun    bool
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Errors    []student.RowError
}

// importBatch is how many rows one transaction writes: enough to amortise
// the commits, few enough that row locks are held briefly.
const importBatch = 200

// importPlan is one row that will create or update a record.
type importPlan struct {
	row     student.ImportRow
	outcome student.Outcome
	st      student.Student
}

// Import upserts students from a CSV file of at most MaxImportRows data
// rows on roll_no (see student.ParseCSV for the format). Good rows are
// applied even when others fail; a dry run applies nothing. Rows are
// written in batches, each in one transaction with its audit entries and
// student.created events. A batch the database rejects (another writer
// created one of its roll numbers meanwhile) is retried row by row, each
// row against a fresh read, so one row's conflict costs only that row. An
// error that is no row's fault (the database is down) stops the import;
// batches committed before it stay.
func (s *Service) Import(ctx context.Context, a identity.Actor, r io.Reader, dryRun bool) (ImportResult, error) {
	if err := canImport(a); err != nil {
		return ImportResult{}, err
	}
	file, err := student.ParseCSV(r, student.MaxImportRows)
	if err != nil {
		return ImportResult{}, err
	}
	return s.apply(ctx, a, file, dryRun)
}

// Submit is an import request: a file of at most MaxImportRows data rows
// is imported at once (taskID ""); a larger one, up to MaxImportFileRows,
// is checked (its header and size), then enqueued as a background task
// whose id is returned and whose result is the ImportResult. Both are
// idempotent upserts, so a task that runs twice changes nothing more.
func (s *Service) Submit(ctx context.Context, a identity.Actor, csv []byte, dryRun bool) (res ImportResult, taskID string, err error) {
	if err := canImport(a); err != nil {
		return ImportResult{}, "", err
	}
	file, err := student.ParseCSV(bytes.NewReader(csv), student.MaxImportFileRows)
	if err != nil {
		return ImportResult{}, "", err
	}
	if len(file.Rows) <= student.MaxImportRows {
		res, err := s.apply(ctx, a, file, dryRun)
		return res, "", err
	}
	if s.queue == nil || s.tasks == nil {
		return ImportResult{}, "", fault.Newf(fault.TooLarge,
			"The file has more than %d data rows and background tasks are off; split the file", student.MaxImportRows)
	}
	packed, err := jobs.Compress(csv)
	if err != nil {
		return ImportResult{}, "", err
	}
	payload, err := json.Marshal(jobs.StudentImportJob{UserID: a.UserID, IP: a.Origin.IP, UserAgent: a.Origin.UserAgent,
		RequestID: a.Origin.RequestID, DryRun: dryRun, CSVGzip: packed})
	if err != nil {
		return ImportResult{}, "", fmt.Errorf("encode import job: %w", err)
	}
	id := s.ids.NewID()
	if err := s.tasks.RecordTask(ctx, id, a.UserID); err != nil {
		return ImportResult{}, "", err
	}
	if _, err := s.queue.Enqueue(ctx, ports.Job{Type: jobs.StudentImport, Payload: payload},
		ports.EnqueueOptions{ID: id, Queue: ports.QueueDefault, MaxRetry: importRetries, Timeout: importTimeout}); err != nil {
		return ImportResult{}, "", fmt.Errorf("enqueue import: %w", err)
	}
	e := audit.By(a, s.clock.Now(), "student.import", resource, "").
		Change(nil, map[string]any{"task_id": id, "rows": len(file.Rows), "dry_run": dryRun})
	if err := s.audit.Record(ctx, e); err != nil {
		return ImportResult{}, "", err
	}
	return ImportResult{DryRun: dryRun, Rows: len(file.Rows)}, id, nil
}

// maxImportFileBytes bounds a file unpacked from a task: far above any
// request body limit, far below what would hurt the worker.
const maxImportFileBytes = 256 << 20

// A background import is retried a few times (the database may be
// restarting) within a generous bound per attempt.
const (
	importRetries = 3
	importTimeout = 30 * time.Minute
)

var errImporterGone = fault.New(fault.Invalid, "The user who asked for this import can no longer import students")

// RunImport runs an enqueued import as the user who asked for it, if
// their account is still active and still allowed to import; otherwise
// the task fails for good. A file that no longer parses fails for good.
func (s *Service) RunImport(ctx context.Context, job jobs.StudentImportJob) (ImportResult, error) {
	if s.users == nil {
		return ImportResult{}, errors.New("run import: no user repository")
	}
	u, err := s.users.Get(ctx, job.UserID)
	if errors.Is(err, fault.ErrNotFound) {
		return ImportResult{}, errImporterGone
	}
	if err != nil {
		return ImportResult{}, err
	}
	a := identity.Actor{UserID: u.ID, Username: u.Username, Role: u.Role, StudentID: u.StudentID,
		Origin: identity.Origin{IP: job.IP, UserAgent: job.UserAgent, RequestID: job.RequestID}}
	if !u.IsActive || canImport(a) != nil {
		return ImportResult{}, errImporterGone
	}
	csv, err := jobs.Decompress(job.CSVGzip, maxImportFileBytes)
	if err != nil {
		return ImportResult{}, fault.Wrap(fault.Invalid, "The import file in the task is damaged", err)
	}
	file, err := student.ParseCSV(bytes.NewReader(csv), student.MaxImportFileRows)
	if err != nil {
		return ImportResult{}, err
	}
	return s.apply(ctx, a, file, job.DryRun)
}

func canImport(a identity.Actor) error {
	for _, p := range []identity.Permission{identity.CreateStudent, identity.UpdateStudent} {
		if _, err := identity.Can(a, p); err != nil {
			return err
		}
	}
	return nil
}

// Report is the result a finished import task reports.
func (r ImportResult) Report() jobs.ImportReport {
	errs := make([]jobs.ImportRowError, len(r.Errors))
	for i, e := range r.Errors {
		errs[i] = jobs.ImportRowError{Row: e.Row, Field: e.Field, Message: e.Message}
	}
	return jobs.ImportReport{DryRun: r.DryRun, Rows: r.Rows, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Errors: errs}
}

// apply plans every row against the stored records and writes the plan.
func (s *Service) apply(ctx context.Context, a identity.Actor, file student.ImportFile, dryRun bool) (ImportResult, error) {
	res := ImportResult{DryRun: dryRun, Rows: len(file.Rows), Errors: []student.RowError{}}
	existing, err := s.lookup.ByRollNos(ctx, rollNos(file.Rows))
	if err != nil {
		return ImportResult{}, err
	}
	var plans []importPlan
	for _, row := range file.Rows {
		p, errs := plan(row, existing)
		switch p.outcome {
		case student.Failed:
			res.Errors = append(res.Errors, errs...)
		case student.Unchanged:
			res.Unchanged++
		default:
			plans = append(plans, p)
		}
	}
	if dryRun {
		for _, p := range plans {
			res.count(p.outcome)
		}
		return res, nil
	}
	now := s.clock.Now()
	for start := 0; start < len(plans); start += importBatch {
		batch := plans[start:min(start+importBatch, len(plans))]
		done, err := s.importBatch(ctx, a, now, batch)
		if rowsFault(err) {
			done, err = s.importOneByOne(ctx, a, now, batch)
		}
		if err != nil {
			return ImportResult{}, err
		}
		for _, d := range done {
			res.count(d.outcome)
			res.Errors = append(res.Errors, d.errs...)
		}
	}
	sort.SliceStable(res.Errors, func(i, j int) bool { return res.Errors[i].Row < res.Errors[j].Row })
	return res, nil
}

func (r *ImportResult) count(o student.Outcome) {
	switch o {
	case student.Created:
		r.Created++
	case student.Updated:
		r.Updated++
	case student.Unchanged:
		r.Unchanged++
	}
}

func rollNos(rows []student.ImportRow) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		if r.RollNo() != "" && len(r.Errors()) == 0 {
			out = append(out, r.RollNo())
		}
	}
	return out
}

// plan decides a row's outcome against the records read so far.
func plan(row student.ImportRow, existing map[string]student.Student) (importPlan, []student.RowError) {
	var cur *student.Student
	if st, ok := existing[row.RollNo()]; ok {
		cur = &st
	}
	st, out, errs := row.Apply(cur)
	return importPlan{row: row, outcome: out, st: st}, errs
}

// applied is what writing one planned row came to.
type applied struct {
	outcome student.Outcome
	id      int64 // the record updated, for the cache
	errs    []student.RowError
}

// rowsFault reports whether the database refused a row (a duplicate, a
// rejected value) rather than failed as a whole.
func rowsFault(err error) bool {
	k := fault.KindOf(err)
	return k == fault.Conflict || k == fault.Invalid
}

func (s *Service) importBatch(ctx context.Context, a identity.Actor, now time.Time, batch []importPlan) ([]applied, error) {
	var done []applied
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		done = done[:0]
		for _, p := range batch {
			d, err := s.write(ctx, a, now, p)
			if err != nil {
				return err
			}
			done = append(done, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.forgetUpdated(ctx, done)
	return done, nil
}

// importOneByOne writes each row in its own transaction, planned again
// against the record as it is now; a row the database still refuses is
// reported on that row.
func (s *Service) importOneByOne(ctx context.Context, a identity.Actor, now time.Time, batch []importPlan) ([]applied, error) {
	out := make([]applied, 0, len(batch))
	for _, p := range batch {
		var d applied
		err := s.tx.InTx(ctx, func(ctx context.Context) error {
			existing, err := s.lookup.ByRollNos(ctx, []string{p.row.RollNo()})
			if err != nil {
				return err
			}
			fresh, errs := plan(p.row, existing)
			switch fresh.outcome {
			case student.Failed, student.Unchanged:
				d = applied{outcome: fresh.outcome, errs: errs}
				return nil
			}
			d, err = s.write(ctx, a, now, fresh)
			return err
		})
		if rowsFault(err) {
			d = applied{outcome: student.Failed, errs: []student.RowError{rowError(p.row.Row, err)}}
		} else if err != nil {
			return nil, err
		}
		s.forgetUpdated(ctx, []applied{d})
		out = append(out, d)
	}
	return out, nil
}

func rowError(row int, err error) student.RowError {
	var fe *fault.Error
	msg := "was refused by the database"
	if errors.As(err, &fe) {
		msg = fe.Message
	}
	if fault.KindOf(err) == fault.Conflict {
		return student.RowError{Row: row, Field: student.ColRollNo, Message: msg}
	}
	return student.RowError{Row: row, Field: student.ColRow, Message: msg}
}

// errImportUnchanged aborts the save of a row that, against the locked
// record, changes nothing.
var errImportUnchanged = errors.New("import row unchanged")

// rowFailure carries a row's validation errors out of an Update closure.
type rowFailure struct{ errs []student.RowError }

func (rowFailure) Error() string { return "import row invalid" }

// write applies one planned row in ctx's transaction, with its audit entry
// and, for a new student, its student.created event. An update re-applies
// the row to the record under its lock, so a change made since the plan
// is neither lost nor overwritten with stale values of absent columns.
func (s *Service) write(ctx context.Context, a identity.Actor, now time.Time, p importPlan) (applied, error) {
	if p.outcome == student.Updated {
		var before map[string]any
		after, err := s.repo.Update(ctx, p.st.ID, func(cur *student.Student) error {
			st, out, errs := p.row.Apply(cur)
			switch out {
			case student.Failed:
				return rowFailure{errs: errs}
			case student.Unchanged:
				return errImportUnchanged
			}
			before = Snapshot(*cur)
			st.UpdatedAt = now
			*cur = st
			return nil
		})
		var rf rowFailure
		switch {
		case errors.Is(err, errImportUnchanged):
			return applied{outcome: student.Unchanged}, nil
		case errors.As(err, &rf):
			return applied{outcome: student.Failed, errs: rf.errs}, nil
		case errors.Is(err, fault.ErrNotFound):
			// Deleted since the plan: the row makes it anew.
			st, out, errs := p.row.Apply(nil)
			if out == student.Failed {
				return applied{outcome: out, errs: errs}, nil
			}
			p = importPlan{row: p.row, outcome: student.Created, st: st}
		case err != nil:
			return applied{}, err
		default:
			id := fmt.Sprint(after.ID)
			if err := s.audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resource, id).Change(before, Snapshot(after))); err != nil {
				return applied{}, err
			}
			return applied{outcome: student.Updated, id: after.ID}, nil
		}
	}
	st := p.st
	st.ID, st.CreatedAt, st.UpdatedAt = 0, now, now
	if err := s.repo.Create(ctx, &st); err != nil {
		return applied{}, err
	}
	id := fmt.Sprint(st.ID)
	if err := s.outbox.Append(ctx, event.New(s.ids.NewID(), event.StudentCreated, resource, id, now, Snapshot(st))); err != nil {
		return applied{}, err
	}
	if err := s.audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resource, id).Change(nil, Snapshot(st))); err != nil {
		return applied{}, err
	}
	return applied{outcome: student.Created}, nil
}

// forgetUpdated drops committed updates from the cache.
func (s *Service) forgetUpdated(ctx context.Context, done []applied) {
	for _, d := range done {
		if d.outcome == student.Updated {
			s.forget(ctx, d.id)
		}
	}
}
