package student_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// bigFile has one data row more than a request may import at once.
func bigFile() []byte {
	var b strings.Builder
	b.WriteString("name,roll_no,department,semester\n")
	for i := 0; i <= student.MaxImportRows; i++ {
		fmt.Fprintf(&b, "S%d,R%d,CS,1\n", i, i)
	}
	return []byte(b.String())
}

func TestSubmitSmallFileImportsAtOnce(t *testing.T) {
	f := newImportFixture(t)
	f.serveLookups()
	f.serveWrites()
	res, taskID, err := f.svc.Submit(ctx, staffA, []byte(header+"Cy,CS-3,EE,1,,,\n"), false)
	require.NoError(t, err)
	assert.Empty(t, taskID, "a small file is no task")
	assert.Equal(t, 1, res.Created)
	_, ok := f.byRoll("CS-3")
	assert.True(t, ok)
}

func TestSubmitLargeFileEnqueuesATask(t *testing.T) {
	f := newImportFixture(t)
	file := bigFile()
	staffA := staffA
	staffA.Origin = identity.Origin{IP: "10.0.0.9", RequestID: "req-1"}
	f.tasks.EXPECT().RecordTask(anyArg, "event-1", staffA.UserID).Return(nil).Once()
	var job jobs.StudentImportJob
	f.queue.EXPECT().Enqueue(anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, j ports.Job, o ports.EnqueueOptions) (ports.JobInfo, error) {
		assert.Equal(t, jobs.StudentImport, j.Type)
		assert.Equal(t, "event-1", o.ID)
		require.NoError(t, json.Unmarshal(j.Payload, &job))
		return ports.JobInfo{ID: o.ID}, nil
	}).Once()
	var entry audit.Entry
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error { entry = e; return nil }).Once()

	res, taskID, err := f.svc.Submit(ctx, staffA, file, true)
	require.NoError(t, err)
	assert.Equal(t, "event-1", taskID)
	assert.Equal(t, student.MaxImportRows+1, res.Rows)
	assert.True(t, res.DryRun)
	unpacked, err := jobs.Decompress(job.CSVGzip, 1<<30)
	require.NoError(t, err)
	assert.Equal(t, file, unpacked)
	assert.Less(t, len(job.CSVGzip), len(file)/3, "CSV compresses well")
	job.CSVGzip = nil
	assert.Equal(t, jobs.StudentImportJob{UserID: staffA.UserID, IP: "10.0.0.9", RequestID: "req-1", DryRun: true}, job)
	assert.Equal(t, "student.import", entry.Action)
	assert.Empty(t, f.db, "nothing is written before the task runs")
}

func TestSubmitRefusals(t *testing.T) {
	t.Run("a bad header is refused before any task", func(t *testing.T) {
		f := newImportFixture(t)
		_, _, err := f.svc.Submit(ctx, staffA, []byte("name,colour\n"), false)
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("without permission", func(t *testing.T) {
		f := newImportFixture(t)
		_, _, err := f.svc.Submit(ctx, studentA, bigFile(), false)
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
	t.Run("the queue is down", func(t *testing.T) {
		f := newImportFixture(t)
		f.tasks.EXPECT().RecordTask(anyArg, anyArg, anyArg).Return(nil).Once()
		f.queue.EXPECT().Enqueue(anyArg, anyArg, anyArg).Return(ports.JobInfo{}, errDB).Once()
		_, _, err := f.svc.Submit(ctx, staffA, bigFile(), false)
		require.ErrorIs(t, err, errDB)
	})
}

func TestRunImport(t *testing.T) {
	packed, err := jobs.Compress([]byte(header + "Cy,CS-3,EE,1,,,\n"))
	require.NoError(t, err)
	job := jobs.StudentImportJob{UserID: 3, RequestID: "req-1", CSVGzip: packed}
	t.Run("runs as the requester", func(t *testing.T) {
		f := newImportFixture(t)
		f.serveLookups()
		f.serveWrites()
		f.users.EXPECT().Get(anyArg, int64(3)).Return(identity.User{ID: 3, Username: "staff1", Role: identity.RoleStaff, IsActive: true}, nil)
		res, err := f.svc.RunImport(ctx, job)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Created)
		require.NotEmpty(t, f.entries)
		assert.Equal(t, int64(3), *f.entries[0].ActorID)
		assert.Equal(t, "req-1", f.entries[0].RequestID)
		rep := res.Report()
		assert.Equal(t, jobs.ImportReport{Rows: 1, Created: 1, Errors: []jobs.ImportRowError{}}, rep)
	})
	for name, u := range map[string]identity.User{
		"deactivated since": {ID: 3, Role: identity.RoleStaff, IsActive: false},
		"demoted since":     {ID: 3, Role: identity.RoleStudent, IsActive: true},
	} {
		t.Run(name, func(t *testing.T) {
			f := newImportFixture(t)
			f.users.EXPECT().Get(anyArg, int64(3)).Return(u, nil)
			_, err := f.svc.RunImport(ctx, job)
			assert.Equal(t, fault.Invalid, fault.KindOf(err), "final: a retry would not help")
			assert.Empty(t, f.db)
		})
	}
	t.Run("deleted since", func(t *testing.T) {
		f := newImportFixture(t)
		f.users.EXPECT().Get(anyArg, int64(3)).Return(identity.User{}, fault.New(fault.NotFound, "User not found"))
		_, err := f.svc.RunImport(ctx, job)
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("a damaged file fails for good", func(t *testing.T) {
		f := newImportFixture(t)
		f.users.EXPECT().Get(anyArg, int64(3)).Return(identity.User{ID: 3, Role: identity.RoleStaff, IsActive: true}, nil)
		_, err := f.svc.RunImport(ctx, jobs.StudentImportJob{UserID: 3, CSVGzip: []byte("not gzip")})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("database down is retried", func(t *testing.T) {
		f := newImportFixture(t)
		f.users.EXPECT().Get(anyArg, int64(3)).Return(identity.User{}, errDB)
		_, err := f.svc.RunImport(ctx, job)
		require.ErrorIs(t, err, errDB)
		assert.NotEqual(t, fault.Invalid, fault.KindOf(err))
	})
}
