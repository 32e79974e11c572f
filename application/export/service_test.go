package export_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/export"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

var (
	staff       = identity.Actor{UserID: 2, Role: identity.RoleStaff}
	other       = identity.Actor{UserID: 3, Role: identity.RoleStaff}
	admin       = identity.Actor{UserID: 1, Role: identity.RoleAdmin}
	pupil       = identity.Actor{UserID: 4, Role: identity.RoleStudent}
	guest       = identity.Actor{UserID: 5, Role: identity.RoleGuest}
	errDiskFull = errors.New("disk full")
)

type fixture struct {
	svc     *export.Service
	exports *mocks.ExportStore
	source  *mocks.ExportSource
	blobs   *mocks.BlobStore
	queue   *mocks.Queue
	tasks   *mocks.TaskLedger
	audit   *mocks.AuditLog
}

// csvEncoder is the real CSV path over encoding/csv, enough to check
// what Run writes.
type csvEncoder struct{}

type csvTable struct{ w *csv.Writer }

func (csvEncoder) NewTable(_ string, w io.Writer) (ports.TableWriter, error) {
	return csvTable{w: csv.NewWriter(w)}, nil
}

func (t csvTable) WriteRow(cells []any) error {
	rec := make([]string, len(cells))
	for i, c := range cells {
		if c != nil {
			rec[i] = fmt.Sprint(c)
		}
	}
	return t.w.Write(rec)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func (t csvTable) Close() error { t.w.Flush(); return t.w.Error() }

func newFixture(t *testing.T, batch int) *fixture {
	f := &fixture{exports: mocks.NewExportStore(t), source: mocks.NewExportSource(t), blobs: mocks.NewBlobStore(t),
		queue: mocks.NewQueue(t), tasks: mocks.NewTaskLedger(t), audit: mocks.NewAuditLog(t)}
	clock, ids := mocks.NewClock(t), mocks.NewIDGenerator(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids.EXPECT().NewID().Return("e1").Maybe()
	f.svc = export.NewService(export.Config{Batch: batch}, export.Deps{Exports: f.exports, Source: f.source, Blobs: f.blobs,
		Encoder: csvEncoder{}, Queue: f.queue, Tasks: f.tasks, Audit: f.audit, Clock: clock, IDs: ids})
	return f
}

func TestSubmitRecordsAndEnqueues(t *testing.T) {
	f := newFixture(t, 0)
	want := ports.Export{ID: "e1", Kind: "students", Format: "csv", Filters: map[string]string{"department": "CS"},
		Status: ports.ExportPending, RequestedBy: 2, BlobKey: "e1.csv", CreatedAt: now}
	f.exports.EXPECT().Create(mock.Anything, want).Return(nil).Once()
	f.tasks.EXPECT().RecordTask(mock.Anything, "e1", int64(2)).Return(nil).Once()
	f.queue.EXPECT().Enqueue(mock.Anything, ports.Job{Type: jobs.ExportRun, Payload: []byte(`{"export_id":"e1"}`)},
		mock.MatchedBy(func(o ports.EnqueueOptions) bool { return o.ID == "e1" && o.MaxRetry > 0 })).Return(ports.JobInfo{}, nil).Once()
	f.audit.EXPECT().Record(mock.Anything, mock.Anything).Return(nil).Once()
	e, err := f.svc.Submit(context.Background(), staff, export.Request{Kind: "students", Format: "csv",
		Filters: map[string]string{"department": "CS"}})
	require.NoError(t, err)
	assert.Equal(t, want, e)
}

func TestSubmitRefuses(t *testing.T) {
	f := newFixture(t, 0)
	for _, a := range []identity.Actor{pupil, guest} {
		_, err := f.svc.Submit(context.Background(), a, export.Request{Kind: "students", Format: "csv"})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	}
	_, err := f.svc.Submit(context.Background(), staff, export.Request{Kind: "clubs", Format: "pdf"})
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Len(t, fe.Fields, 2)
	_, err = f.svc.Submit(context.Background(), staff, export.Request{Kind: "risks", Format: "xlsx", Filters: map[string]string{"department": "CS"}})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "filters.department", fe.Fields[0].Field)
}

func TestGetIsTheRequestersOrAnAdmins(t *testing.T) {
	f := newFixture(t, 0)
	e := ports.Export{ID: "e1", RequestedBy: 2, Status: ports.ExportPending}
	f.exports.EXPECT().Get(mock.Anything, "e1").Return(e, nil)
	got, err := f.svc.Get(context.Background(), staff, "e1")
	require.NoError(t, err)
	assert.Equal(t, e, got)
	_, err = f.svc.Get(context.Background(), admin, "e1")
	require.NoError(t, err)
	_, err = f.svc.Get(context.Background(), other, "e1")
	assert.Equal(t, fault.NotFound, fault.KindOf(err))
	_, err = f.svc.Open(context.Background(), staff, "e1")
	assert.Equal(t, fault.Conflict, fault.KindOf(err), "not completed yet")
}

func TestGetOfAnExpiredExport(t *testing.T) {
	f := newFixture(t, 0)
	past := now.Add(-time.Second)
	f.exports.EXPECT().Get(mock.Anything, "e1").Return(ports.Export{ID: "e1", RequestedBy: 2, Status: ports.ExportCompleted, ExpiresAt: &past}, nil)
	_, err := f.svc.Get(context.Background(), staff, "e1")
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Same(t, export.ErrExpired, fe)
}

func TestRunStreamsBatchesAndCompletes(t *testing.T) {
	f := newFixture(t, 2)
	e := ports.Export{ID: "e1", Kind: "students", Format: "csv", Filters: map[string]string{"semester": "3"}, Status: ports.ExportPending,
		RequestedBy: 2, BlobKey: "e1.csv", CreatedAt: now}
	f.exports.EXPECT().Get(mock.Anything, "e1").Return(e, nil).Once()
	filter := ports.ExportFilter{Semester: 3}
	st := func(id int64) student.Student {
		return student.Student{ID: id, Name: "S" + itoa(id), RollNo: "R" + itoa(id), Semester: 3, Status: student.Active}
	}
	f.source.EXPECT().Students(mock.Anything, filter, int64(0), 2).Return([]student.Student{st(1), st(5)}, nil).Once()
	f.source.EXPECT().Students(mock.Anything, filter, int64(5), 2).Return([]student.Student{st(9)}, nil).Once()
	var stored bytes.Buffer
	f.blobs.EXPECT().Put(mock.Anything, "e1.csv", mock.Anything).RunAndReturn(func(_ context.Context, _ string, r io.Reader) (int64, error) {
		return io.Copy(&stored, r)
	}).Once()
	var saved []ports.Export
	f.exports.EXPECT().Save(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, e ports.Export) error {
		saved = append(saved, e)
		return nil
	})
	got, err := f.svc.Run(context.Background(), "e1")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(stored.String()), "\n")
	require.Len(t, lines, 4)
	assert.Equal(t, "id,name,roll_no,department,semester,section,email,status,created_at,updated_at", lines[0])
	assert.Equal(t, "1,S1,R1,,3,,,active,,", lines[1])
	assert.Equal(t, "9,S9,R9,,3,,,active,,", lines[3])
	assert.Equal(t, ports.ExportCompleted, got.Status)
	assert.Equal(t, 3, got.Rows)
	assert.Equal(t, int64(stored.Len()), got.Size)
	assert.Equal(t, now.Add(24*time.Hour), *got.ExpiresAt)
	require.Len(t, saved, 2)
	assert.Equal(t, ports.ExportRunning, saved[0].Status)
}

func TestRunOfAFailingStoreIsRetried(t *testing.T) {
	f := newFixture(t, 10)
	e := ports.Export{ID: "e1", Kind: "risks", Format: "csv", Status: ports.ExportPending, RequestedBy: 2, BlobKey: "e1.csv"}
	f.exports.EXPECT().Get(mock.Anything, "e1").Return(e, nil).Once()
	f.source.EXPECT().Risks(mock.Anything, mock.Anything, int64(0), 10).Return(nil, nil).Maybe()
	f.blobs.EXPECT().Put(mock.Anything, "e1.csv", mock.Anything).RunAndReturn(func(_ context.Context, _ string, r io.Reader) (int64, error) {
		_, _ = io.Copy(io.Discard, r)
		return 0, errDiskFull
	}).Once()
	var last ports.Export
	f.exports.EXPECT().Save(mock.Anything, mock.Anything).RunAndReturn(func(_ context.Context, e ports.Export) error {
		last = e
		return nil
	})
	_, err := f.svc.Run(context.Background(), "e1")
	require.ErrorIs(t, err, errDiskFull)
	assert.NotEqual(t, fault.Invalid, fault.KindOf(err), "a transient failure is retried")
	assert.Equal(t, ports.ExportFailed, last.Status, "failed until a retry succeeds")
	assert.NotContains(t, last.Error, "disk full", "no internal text for the client")
}

func TestRunOfAGoneExportFailsForGood(t *testing.T) {
	f := newFixture(t, 10)
	f.exports.EXPECT().Get(mock.Anything, "gone").Return(ports.Export{}, fault.New(fault.NotFound, "Export not found")).Once()
	_, err := f.svc.Run(context.Background(), "gone")
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
}
