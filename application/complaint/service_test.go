package complaint_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/complaint"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
)

func ptr[T any](v T) *T { return &v }

func actor(role identity.Role, studentID *int64) identity.Actor {
	return identity.Actor{UserID: 3, Username: "u", Role: role, StudentID: studentID, SessionID: "s"}
}

var (
	adminA   = actor(identity.RoleAdmin, nil)
	staffA   = actor(identity.RoleStaff, nil)
	studentA = actor(identity.RoleStudent, ptr[int64](7))
	guestA   = actor(identity.RoleGuest, nil)
)

type fixture struct {
	repo     *mocks.ComplaintRepository
	students *mocks.StudentRepository
	users    *mocks.UserRepository
	audit    *mocks.AuditLog
	outbox   *mocks.Outbox
	svc      *app.Service
	stored   complaint.Complaint
	history  []complaint.HistoryEntry
	events   []event.Event
	entries  []audit.Entry
	// txs records "commit" or "rollback" per transaction.
	txs []string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{repo: mocks.NewComplaintRepository(t), students: mocks.NewStudentRepository(t), users: mocks.NewUserRepository(t),
		audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.svc = app.NewService(app.Deps{Repo: f.repo, Students: f.students, Users: f.users, Audit: f.audit, Tx: tx,
		Clock: clock, Outbox: f.outbox, IDs: ids})
	created := now.Add(-10 * time.Hour)
	f.stored = complaint.Complaint{ID: 11, StudentID: 7, Title: "Broken heater", Description: "Room 12 is freezing.",
		Category: complaint.Facilities, Priority: complaint.Normal, Status: complaint.Pending,
		DueAt: created.Add(72 * time.Hour), FiledBy: 5, CreatedAt: created, UpdatedAt: created}
	return f
}

// store expects one Update of the stored complaint, running the closure
// against a copy and keeping the result.
func (f *fixture) store() {
	f.repo.EXPECT().Update(anyArg, f.stored.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*complaint.Complaint) error) (complaint.Complaint, error) {
			cp := f.stored
			if err := fn(&cp); err != nil {
				return complaint.Complaint{}, err
			}
			f.stored = cp
			return cp, nil
		}).Once()
}

// recordWrites expects exactly one history entry, one event and one audit
// entry, and keeps them.
func (f *fixture) recordWrites() {
	f.repo.EXPECT().AppendHistory(anyArg, anyArg).RunAndReturn(func(_ context.Context, h *complaint.HistoryEntry) error {
		h.ID = int64(len(f.history) + 1)
		f.history = append(f.history, *h)
		return nil
	}).Once()
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.events = append(f.events, evs...)
		return nil
	}).Once()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	}).Once()
}

func validFields() complaint.Fields {
	return complaint.Fields{Title: "Broken heater", Description: "Room 12 is freezing.", Category: "facilities", Priority: "high"}
}

func fieldNames(err error) []string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return nil
	}
	var out []string
	for _, f := range fe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestFile(t *testing.T) {
	tests := []struct {
		name       string
		actor      identity.Actor
		studentID  int64
		wantStored int64 // the student the complaint is filed for
		wantKind   fault.Kind
	}{
		{name: "student for own record, id omitted", actor: studentA, wantStored: 7},
		{name: "student for own record, id given", actor: studentA, studentID: 7, wantStored: 7},
		{name: "student for another record is not found", actor: studentA, studentID: 8, wantKind: fault.NotFound},
		{name: "student without a record", actor: actor(identity.RoleStudent, nil), wantKind: fault.Forbidden},
		{name: "staff for any student", actor: staffA, studentID: 8, wantStored: 8},
		{name: "admin for any student", actor: adminA, studentID: 9, wantStored: 9},
		{name: "staff without a student", actor: staffA, wantKind: fault.Invalid},
		{name: "guest denied", actor: guestA, studentID: 7, wantKind: fault.Forbidden},
		{name: "anonymous", actor: identity.Anonymous(identity.Origin{}), wantKind: fault.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			fields := validFields()
			fields.StudentID = tt.studentID
			if tt.wantKind == 0 {
				f.students.EXPECT().Get(anyArg, tt.wantStored).Return(student.Student{ID: tt.wantStored}, nil).Once()
				f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, c *complaint.Complaint) error {
					c.ID = 21
					return nil
				}).Once()
				f.recordWrites()
			}
			c, err := f.svc.File(ctx, tt.actor, fields)
			if tt.wantKind != 0 {
				assert.Equal(t, tt.wantKind, fault.KindOf(err), "error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantStored, c.StudentID)
			assert.Equal(t, complaint.Pending, c.Status)
			assert.Equal(t, now.Add(48*time.Hour), c.DueAt, "high priority: due in 48 h")
			assert.Equal(t, int64(3), c.FiledBy)
			assert.Equal(t, []string{"commit"}, f.txs)

			require.Len(t, f.events, 1)
			ev := f.events[0]
			assert.Equal(t, event.ComplaintFiled, ev.Type)
			assert.Equal(t, "21", ev.AggregateID)
			assert.Equal(t, map[string]any{"id": int64(21), "student_id": tt.wantStored, "title": "Broken heater",
				"description": "Room 12 is freezing.", "category": "facilities", "priority": "high", "status": "pending",
				"due_at": "2026-11-29T09:30:00Z", "filed_by": int64(3), "category_defaulted": false, "priority_defaulted": false}, ev.Payload)

			require.Len(t, f.entries, 1)
			assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
			assert.Equal(t, "complaint", f.entries[0].Resource)
			assert.Nil(t, f.entries[0].Before)
			assert.Equal(t, "pending", f.entries[0].After["status"])

			require.Len(t, f.history, 1)
			assert.Equal(t, complaint.ActionFiled, f.history[0].Action)
			assert.Equal(t, int64(21), f.history[0].ComplaintID)
			assert.Equal(t, complaint.FieldChange{Field: "status", To: "pending"}, f.history[0].Changes[0])
		})
	}
}

func TestFileValidationBeforeAnyWrite(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.File(ctx, staffA, complaint.Fields{StudentID: 8, Title: "abc", Description: "short"})
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
	assert.Equal(t, []string{"title", "description"}, fieldNames(err))
	assert.Empty(t, f.txs)
}

func TestFileUnknownStudentIs422(t *testing.T) {
	f := newFixture(t)
	fields := validFields()
	fields.StudentID = 404
	f.students.EXPECT().Get(anyArg, int64(404)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found")).Once()
	_, err := f.svc.File(ctx, staffA, fields)
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
	assert.Equal(t, []string{"student_id"}, fieldNames(err))
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestFileFailuresRollBack(t *testing.T) {
	for _, step := range []string{"student", "create", "history", "outbox", "audit"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t)
			fields := validFields()
			fields.StudentID = 8
			fail := func(s string) error {
				if s == step {
					return errDB
				}
				return nil
			}
			f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{ID: 8}, fail("student")).Once()
			if step != "student" {
				f.repo.EXPECT().Create(anyArg, anyArg).Return(fail("create")).Once()
			}
			if step != "student" && step != "create" {
				f.repo.EXPECT().AppendHistory(anyArg, anyArg).Return(fail("history")).Once()
			}
			if step == "outbox" || step == "audit" {
				f.outbox.EXPECT().Append(anyArg, anyArg).Return(fail("outbox")).Once()
			}
			if step == "audit" {
				f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
			}
			_, err := f.svc.File(ctx, staffA, fields)
			assert.ErrorIs(t, err, errDB)
			assert.Equal(t, []string{"rollback"}, f.txs)
		})
	}
}

func TestList(t *testing.T) {
	p := page.Request{Limit: 50}
	tests := []struct {
		name     string
		actor    identity.Actor
		wantOnly *int64
		wantKind fault.Kind
	}{
		{name: "staff sees all", actor: staffA},
		{name: "admin sees all", actor: adminA},
		{name: "student sees own", actor: studentA, wantOnly: ptr[int64](7)},
		{name: "guest denied", actor: guestA, wantKind: fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			filter := complaint.Filter{Status: complaint.Pending, StudentID: ptr[int64](8)}
			if tt.wantKind == 0 {
				want := filter
				want.OnlyStudent = tt.wantOnly
				f.repo.EXPECT().List(anyArg, want, p).Return(page.Result[complaint.Complaint]{Items: []complaint.Complaint{f.stored}, Total: 1, Request: p}, nil).Once()
			}
			res, err := f.svc.List(ctx, tt.actor, filter, p)
			if tt.wantKind != 0 {
				assert.Equal(t, tt.wantKind, fault.KindOf(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, 1, res.Total)
		})
	}
}

func TestListOverdueUsesTheClock(t *testing.T) {
	f := newFixture(t)
	p := page.Request{Limit: 10}
	f.repo.EXPECT().List(anyArg, complaint.Filter{Overdue: ptr(true), OverdueAt: now}, p).Return(page.Result[complaint.Complaint]{}, nil).Once()
	_, err := f.svc.List(ctx, staffA, complaint.Filter{Overdue: ptr(true)}, p)
	require.NoError(t, err)
}

func TestListStudentWithoutLinkGetsEmptyPage(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.List(ctx, actor(identity.RoleStudent, nil), complaint.Filter{}, page.Request{Limit: 5})
	require.NoError(t, err)
	assert.NotNil(t, res.Items)
	assert.Zero(t, res.Total)
}

func TestGetAndHistory(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		owner    int64
		wantKind fault.Kind
	}{
		{name: "staff any", actor: staffA, owner: 9},
		{name: "student own", actor: studentA, owner: 7},
		{name: "student other's is not found", actor: studentA, owner: 8, wantKind: fault.NotFound},
		{name: "guest denied", actor: guestA, owner: 7, wantKind: fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.stored.StudentID = tt.owner
			if tt.wantKind != fault.Forbidden {
				f.repo.EXPECT().Get(anyArg, int64(11)).Return(f.stored, nil).Times(2)
			}
			if tt.wantKind == 0 {
				f.repo.EXPECT().History(anyArg, int64(11), page.Request{Limit: 5}).Return(page.Result[complaint.HistoryEntry]{Total: 2}, nil).Once()
			}
			c, err := f.svc.Get(ctx, tt.actor, 11)
			h, herr := f.svc.History(ctx, tt.actor, 11, page.Request{Limit: 5})
			if tt.wantKind != 0 {
				assert.Equal(t, tt.wantKind, fault.KindOf(err))
				assert.Equal(t, tt.wantKind, fault.KindOf(herr))
				return
			}
			require.NoError(t, err)
			require.NoError(t, herr)
			assert.Equal(t, int64(11), c.ID)
			assert.Equal(t, 2, h.Total)
		})
	}
}

func TestGetMissing(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Get(anyArg, int64(99)).Return(complaint.Complaint{}, fault.New(fault.NotFound, "Complaint not found")).Once()
	_, err := f.svc.Get(ctx, studentA, 99)
	assert.Equal(t, fault.NotFound, fault.KindOf(err))
}

func TestChangeMovesAndRecords(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.recordWrites()
	c, err := f.svc.Change(ctx, staffA, 11, complaint.Change{Status: ptr("In_Progress"), Priority: ptr("urgent"), Note: ptr("on it")})
	require.NoError(t, err)
	assert.Equal(t, complaint.InProgress, c.Status)
	assert.Equal(t, c.CreatedAt.Add(24*time.Hour), c.DueAt)
	assert.Equal(t, now, c.UpdatedAt)
	assert.Equal(t, []string{"commit"}, f.txs)

	require.Len(t, f.history, 1)
	h := f.history[0]
	assert.Equal(t, complaint.ActionChanged, h.Action)
	assert.Equal(t, "on it", h.Note)
	assert.Equal(t, int64(3), h.By)
	assert.Equal(t, now, h.At)

	require.Len(t, f.events, 1)
	ev := f.events[0]
	assert.Equal(t, event.ComplaintChanged, ev.Type)
	assert.Equal(t, int64(11), ev.Payload["id"])
	assert.Equal(t, int64(3), ev.Payload["by"])
	changes := ev.Payload["changes"].(map[string]any)
	assert.Equal(t, map[string]any{"from": "pending", "to": "in_progress"}, changes["status"])
	assert.Equal(t, map[string]any{"from": "normal", "to": "urgent"}, changes["priority"])
	assert.Contains(t, changes, "due_at")

	require.Len(t, f.entries, 1)
	assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
	assert.Equal(t, "pending", f.entries[0].Before["status"])
	assert.Equal(t, "in_progress", f.entries[0].After["status"])
}

func TestChangeNothingWritesNothing(t *testing.T) {
	f := newFixture(t)
	f.store()
	c, err := f.svc.Change(ctx, staffA, 11, complaint.Change{Status: ptr("pending"), Priority: ptr("NORMAL"), Note: ptr("same")})
	require.NoError(t, err)
	assert.Equal(t, complaint.Pending, c.Status)
	// The strict mocks fail the test on any history, outbox or audit call.
}

func TestChangeRefusals(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		status   complaint.Status
		ch       complaint.Change
		repo     bool
		wantKind fault.Kind
	}{
		{name: "student may not", actor: studentA, ch: complaint.Change{Status: ptr("closed")}, wantKind: fault.Forbidden},
		{name: "guest may not", actor: guestA, ch: complaint.Change{Status: ptr("closed")}, wantKind: fault.Forbidden},
		{name: "bad enum before loading", actor: staffA, ch: complaint.Change{Status: ptr("done")}, wantKind: fault.Invalid},
		{name: "skipping a step", actor: staffA, status: complaint.Pending, ch: complaint.Change{Status: ptr("resolved")}, repo: true, wantKind: fault.Conflict},
		{name: "back to pending", actor: staffA, status: complaint.InProgress, ch: complaint.Change{Status: ptr("pending")}, repo: true, wantKind: fault.Conflict},
		{name: "reopen closed", actor: adminA, status: complaint.Closed, ch: complaint.Change{Status: ptr("in_progress")}, repo: true, wantKind: fault.Conflict},
		{name: "dismiss without resolution", actor: staffA, status: complaint.Pending, ch: complaint.Change{Status: ptr("closed")}, repo: true, wantKind: fault.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.stored.Status = tt.status
			if tt.repo {
				f.store()
			}
			orig := f.stored
			_, err := f.svc.Change(ctx, tt.actor, 11, tt.ch)
			assert.Equal(t, tt.wantKind, fault.KindOf(err), "error: %v", err)
			assert.Equal(t, orig, f.stored)
		})
	}
}

func TestChangeAssignee(t *testing.T) {
	tests := []struct {
		name    string
		user    identity.User
		userErr error
		wantErr fault.Kind
	}{
		{name: "active staff", user: identity.User{ID: 2, Role: identity.RoleStaff, IsActive: true}},
		{name: "active admin", user: identity.User{ID: 2, Role: identity.RoleAdmin, IsActive: true}},
		{name: "inactive staff", user: identity.User{ID: 2, Role: identity.RoleStaff}, wantErr: fault.Invalid},
		{name: "a student", user: identity.User{ID: 2, Role: identity.RoleStudent, IsActive: true}, wantErr: fault.Invalid},
		{name: "a guest", user: identity.User{ID: 2, Role: identity.RoleGuest, IsActive: true}, wantErr: fault.Invalid},
		{name: "nobody", userErr: fault.New(fault.NotFound, "User not found"), wantErr: fault.Invalid},
		{name: "store down", userErr: errDB, wantErr: fault.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.store()
			f.users.EXPECT().Get(anyArg, int64(2)).Return(tt.user, tt.userErr).Once()
			if tt.wantErr == 0 && tt.userErr == nil {
				f.recordWrites()
			}
			c, err := f.svc.Change(ctx, staffA, 11, complaint.Change{AssignedTo: ptr(ptr[int64](2))})
			if tt.wantErr != 0 || tt.userErr != nil {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, fault.KindOf(err))
				if tt.wantErr == fault.Invalid {
					assert.Equal(t, []string{"assigned_to"}, fieldNames(err))
				}
				assert.Nil(t, f.stored.AssignedTo)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, int64(2), *c.AssignedTo)
		})
	}
}

func TestChangeSameAssigneeSkipsTheCheck(t *testing.T) {
	f := newFixture(t)
	f.stored.AssignedTo = ptr[int64](2)
	f.store()
	_, err := f.svc.Change(ctx, staffA, 11, complaint.Change{AssignedTo: ptr(ptr[int64](2))})
	require.NoError(t, err)
}

func TestChangeUnassignNeedsNoCheck(t *testing.T) {
	f := newFixture(t)
	f.stored.AssignedTo = ptr[int64](2)
	f.store()
	f.recordWrites()
	c, err := f.svc.Change(ctx, staffA, 11, complaint.Change{AssignedTo: ptr((*int64)(nil))})
	require.NoError(t, err)
	assert.Nil(t, c.AssignedTo)
}

func TestChangeMissingComplaint(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Update(anyArg, int64(99), anyArg).Return(complaint.Complaint{}, fault.New(fault.NotFound, "Complaint not found")).Once()
	_, err := f.svc.Change(ctx, staffA, 99, complaint.Change{Status: ptr("in_progress")})
	assert.Equal(t, fault.NotFound, fault.KindOf(err))
}

func TestChangeOutboxFailureRollsBack(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.repo.EXPECT().AppendHistory(anyArg, anyArg).Return(nil).Once()
	f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
	_, err := f.svc.Change(ctx, staffA, 11, complaint.Change{Status: ptr("in_progress")})
	assert.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestResolveStampsAndReopenClears(t *testing.T) {
	f := newFixture(t)
	f.stored.Status = complaint.InProgress
	f.store()
	f.recordWrites()
	c, err := f.svc.Change(ctx, staffA, 11, complaint.Change{Status: ptr("resolved"), Resolution: ptr(ptr("Heater replaced"))})
	require.NoError(t, err)
	require.NotNil(t, c.ResolvedAt)
	assert.Equal(t, now, *c.ResolvedAt)
	assert.Equal(t, int64(3), *c.ResolvedBy)

	f.store()
	f.recordWrites()
	c, err = f.svc.Change(ctx, adminA, 11, complaint.Change{Status: ptr("in_progress")})
	require.NoError(t, err)
	assert.Nil(t, c.ResolvedAt)
	assert.Nil(t, c.ResolvedBy)
	require.Len(t, f.events, 2)
	changes := f.events[1].Payload["changes"].(map[string]any)
	assert.Equal(t, map[string]any{"from": int64(3), "to": nil}, changes["resolved_by"])
}
