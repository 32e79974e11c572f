package schedule_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/schedule"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	nine   = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
)

func ptr[T any](v T) *T { return &v }

func actor(role identity.Role) identity.Actor {
	return identity.Actor{UserID: 3, Username: "u", Role: role, SessionID: "s"}
}

var (
	adminA   = actor(identity.RoleAdmin)
	staffA   = actor(identity.RoleStaff)
	studentA = actor(identity.RoleStudent)
	guestA   = actor(identity.RoleGuest)
	anonA    = identity.Anonymous(identity.Origin{})
)

type fixture struct {
	repo    *mocks.ScheduleRepository
	audit   *mocks.AuditLog
	outbox  *mocks.Outbox
	svc     *app.Service
	stored  schedule.Entry
	events  []event.Event
	entries []audit.Entry
	txs     []string
	// inTx is true while a transaction runs; Overlapping must be called
	// inside one for its lock to mean anything.
	inTx bool
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{repo: mocks.NewScheduleRepository(t), audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		f.inTx = true
		err := fn(ctx)
		f.inTx = false
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.svc = app.NewService(app.Deps{Repo: f.repo, Audit: f.audit, Tx: tx, Clock: clock, Outbox: f.outbox, IDs: ids})
	f.stored = schedule.Entry{ID: 4, Title: "Algebra", EventType: schedule.Class, StartsAt: nine, EndsAt: nine.Add(time.Hour),
		Location: "R1", IsActive: true, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	return f
}

func (f *fixture) store() {
	f.repo.EXPECT().Update(anyArg, f.stored.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*schedule.Entry) error) (schedule.Entry, error) {
			cp := f.stored
			if err := fn(&cp); err != nil {
				return schedule.Entry{}, err
			}
			f.stored = cp
			return cp, nil
		}).Once()
}

// overlapping expects one clash query inside a transaction, answering others.
func (f *fixture) overlapping(t *testing.T, others ...schedule.Entry) {
	f.repo.EXPECT().Overlapping(anyArg, anyArg).RunAndReturn(func(_ context.Context, e schedule.Entry) ([]schedule.Entry, error) {
		assert.True(t, f.inTx, "the clash check runs inside the write transaction")
		return others, nil
	}).Once()
}

func (f *fixture) recordWrites() {
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.events = append(f.events, evs...)
		return nil
	}).Once()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	}).Once()
}

func fields() schedule.Fields {
	return schedule.Fields{Title: "Physics", EventType: "class", StartsAt: nine.Add(30 * time.Minute), EndsAt: nine.Add(90 * time.Minute),
		Location: "R1", Instructor: "Rao"}
}

func TestReadsNeedOnlyAnAccount(t *testing.T) {
	for _, a := range []identity.Actor{adminA, staffA, studentA, guestA} {
		t.Run(string(a.Role), func(t *testing.T) {
			f := newFixture(t)
			p := page.Request{Limit: 5}
			f.repo.EXPECT().List(anyArg, schedule.Filter{Location: "R1"}, p).Return(page.Result[schedule.Entry]{Total: 1}, nil).Once()
			f.repo.EXPECT().Get(anyArg, int64(4)).Return(f.stored, nil).Once()
			f.repo.EXPECT().Active(anyArg, (*time.Time)(nil), (*time.Time)(nil)).Return(nil, nil).Once()
			_, err := f.svc.List(ctx, a, schedule.Filter{Location: "R1"}, p)
			require.NoError(t, err)
			_, err = f.svc.Get(ctx, a, 4)
			require.NoError(t, err)
			_, err = f.svc.Conflicts(ctx, a, nil, nil, p)
			require.NoError(t, err)
		})
	}
	f := newFixture(t)
	_, err := f.svc.List(ctx, anonA, schedule.Filter{}, page.Request{})
	assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
	_, err = f.svc.Get(ctx, anonA, 4)
	assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
	_, err = f.svc.Conflicts(ctx, anonA, nil, nil, page.Request{})
	assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
}

func TestWritesNeedScheduleManagement(t *testing.T) {
	for _, a := range []identity.Actor{studentA, guestA, anonA} {
		f := newFixture(t)
		_, err := f.svc.Create(ctx, a, fields())
		assert.Error(t, err)
		_, err = f.svc.Replace(ctx, a, 4, fields())
		assert.Error(t, err)
		_, err = f.svc.Patch(ctx, a, 4, schedule.Patch{})
		assert.Error(t, err)
		err = f.svc.Delete(ctx, a, 4)
		want := fault.Forbidden
		if !a.Authenticated() {
			want = fault.Unauthenticated
		}
		assert.Equal(t, want, fault.KindOf(err))
		assert.Empty(t, f.txs)
	}
}

func TestCreate(t *testing.T) {
	f := newFixture(t)
	far := schedule.Entry{ID: 8, Title: "Elsewhere", StartsAt: nine, EndsAt: nine.Add(time.Hour), Location: "R2", IsActive: true}
	f.overlapping(t, far)
	f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, e *schedule.Entry) error {
		e.ID = 12
		return nil
	}).Once()
	f.recordWrites()
	e, err := f.svc.Create(ctx, staffA, fields())
	require.NoError(t, err)
	assert.Equal(t, int64(12), e.ID)
	assert.Equal(t, now, e.CreatedAt)
	assert.Equal(t, []string{"commit"}, f.txs)
	require.Len(t, f.events, 1)
	assert.Equal(t, event.ScheduleChanged, f.events[0].Type)
	assert.Equal(t, "created", f.events[0].Payload["action"])
	assert.Equal(t, int64(12), f.events[0].Payload["id"])
	assert.Equal(t, "R1", f.events[0].Payload["entry"].(map[string]any)["location"])
	assert.NotContains(t, f.events[0].Payload, "previous")
	assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
	assert.Nil(t, f.entries[0].Before)
}

func TestCreateInvalid(t *testing.T) {
	f := newFixture(t)
	fs := fields()
	fs.EndsAt = fs.StartsAt
	_, err := f.svc.Create(ctx, staffA, fs)
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
	assert.Empty(t, f.txs)
}

func TestCreateClashIsConflictWithTheEntries(t *testing.T) {
	f := newFixture(t)
	sameRoom := f.stored // 09:00-10:00 in R1
	sameTeacher := schedule.Entry{ID: 9, Title: "Optics", StartsAt: nine.Add(time.Hour), EndsAt: nine.Add(2 * time.Hour), Instructor: "rao", IsActive: true}
	f.overlapping(t, sameTeacher, sameRoom)
	_, err := f.svc.Create(ctx, adminA, fields())
	require.Error(t, err)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, fault.Conflict, fe.Kind)
	assert.Equal(t, "The entry clashes with 2 active entries", fe.Message)
	assert.Equal(t, []map[string]any{
		{"id": int64(4), "title": "Algebra", "starts_at": "2026-12-01T09:00:00Z", "ends_at": "2026-12-01T10:00:00Z",
			"reason": "location", "reasons": []string{"location"}},
		{"id": int64(9), "title": "Optics", "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T11:00:00Z",
			"reason": "instructor", "reasons": []string{"instructor"}},
	}, fe.Detail)
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestCreateInactiveSkipsTheCheck(t *testing.T) {
	f := newFixture(t)
	fs := fields()
	fs.IsActive = ptr(false)
	f.repo.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
	f.recordWrites()
	_, err := f.svc.Create(ctx, staffA, fs)
	require.NoError(t, err)
}

func TestCreateFailures(t *testing.T) {
	for _, step := range []string{"overlapping", "create", "outbox", "audit"} {
		t.Run(step, func(t *testing.T) {
			f := newFixture(t)
			fail := func(s string) error {
				if s == step {
					return errDB
				}
				return nil
			}
			f.repo.EXPECT().Overlapping(anyArg, anyArg).Return(nil, fail("overlapping")).Once()
			if step != "overlapping" {
				f.repo.EXPECT().Create(anyArg, anyArg).Return(fail("create")).Once()
			}
			if step == "outbox" || step == "audit" {
				f.outbox.EXPECT().Append(anyArg, anyArg).Return(fail("outbox")).Once()
			}
			if step == "audit" {
				f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
			}
			_, err := f.svc.Create(ctx, staffA, fields())
			assert.ErrorIs(t, err, errDB)
			assert.Equal(t, []string{"rollback"}, f.txs)
		})
	}
}

func TestPatchUpdatesAndRecordsPrevious(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.overlapping(t)
	f.recordWrites()
	e, err := f.svc.Patch(ctx, staffA, 4, schedule.Patch{Location: ptr("R7")})
	require.NoError(t, err)
	assert.Equal(t, "R7", e.Location)
	assert.Equal(t, now, e.UpdatedAt)
	p := f.events[0].Payload
	assert.Equal(t, "updated", p["action"])
	assert.Equal(t, "R7", p["entry"].(map[string]any)["location"])
	assert.Equal(t, "R1", p["previous"].(map[string]any)["location"])
	assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
	assert.Equal(t, "R1", f.entries[0].Before["location"])
	assert.Equal(t, "R7", f.entries[0].After["location"])
}

func TestUpdateClashLeavesTheEntry(t *testing.T) {
	f := newFixture(t)
	f.store()
	other := schedule.Entry{ID: 5, Title: "Chem", StartsAt: nine, EndsAt: nine.Add(time.Hour), Location: "R7", IsActive: true}
	f.overlapping(t, other)
	orig := f.stored
	_, err := f.svc.Patch(ctx, staffA, 4, schedule.Patch{Location: ptr(" r7")})
	assert.Equal(t, fault.Conflict, fault.KindOf(err))
	assert.Equal(t, orig, f.stored)
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestReplaceToInactiveSkipsTheCheck(t *testing.T) {
	f := newFixture(t)
	f.store()
	f.recordWrites()
	fs := fields()
	fs.IsActive = ptr(false)
	e, err := f.svc.Replace(ctx, staffA, 4, fs)
	require.NoError(t, err)
	assert.False(t, e.IsActive)
	assert.Equal(t, "Physics", e.Title)
}

func TestReplaceInvalidAborts(t *testing.T) {
	f := newFixture(t)
	f.store()
	orig := f.stored
	fs := fields()
	fs.EventType = "party"
	_, err := f.svc.Replace(ctx, staffA, 4, fs)
	assert.Equal(t, fault.Invalid, fault.KindOf(err))
	assert.Equal(t, orig, f.stored)
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Get(anyArg, int64(4)).Return(f.stored, nil).Once()
	f.repo.EXPECT().Delete(anyArg, int64(4)).Return(nil).Once()
	f.recordWrites()
	require.NoError(t, f.svc.Delete(ctx, adminA, 4))
	assert.Equal(t, "deleted", f.events[0].Payload["action"])
	assert.Equal(t, "Algebra", f.events[0].Payload["entry"].(map[string]any)["title"])
	assert.Equal(t, audit.ActionDelete, f.entries[0].Action)
	assert.Nil(t, f.entries[0].After)
	assert.Equal(t, "Algebra", f.entries[0].Before["title"])
}

func TestDeleteMissing(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Get(anyArg, int64(99)).Return(schedule.Entry{}, fault.New(fault.NotFound, "Schedule entry not found")).Once()
	assert.Equal(t, fault.NotFound, fault.KindOf(f.svc.Delete(ctx, staffA, 99)))
}

func TestConflictsPages(t *testing.T) {
	f := newFixture(t)
	var entries []schedule.Entry
	for i := int64(1); i <= 4; i++ { // all in R1 at once: 6 pairs
		entries = append(entries, schedule.Entry{ID: i, StartsAt: nine, EndsAt: nine.Add(time.Hour), Location: "R1", IsActive: true})
	}
	from := nine.Add(-time.Hour)
	f.repo.EXPECT().Active(anyArg, &from, (*time.Time)(nil)).Return(entries, nil).Times(3)
	res, err := f.svc.Conflicts(ctx, staffA, &from, nil, page.Request{Limit: 4})
	require.NoError(t, err)
	assert.Equal(t, 6, res.Total)
	require.Len(t, res.Items, 4)
	assert.Equal(t, [2]int64{1, 2}, [2]int64{res.Items[0].A.ID, res.Items[0].B.ID})
	res, err = f.svc.Conflicts(ctx, staffA, &from, nil, page.Request{Limit: 4, Offset: 4})
	require.NoError(t, err)
	require.Len(t, res.Items, 2)
	assert.Equal(t, [2]int64{3, 4}, [2]int64{res.Items[1].A.ID, res.Items[1].B.ID})
	res, err = f.svc.Conflicts(ctx, staffA, &from, nil, page.Request{Limit: 4, Offset: 40})
	require.NoError(t, err)
	assert.Empty(t, res.Items)
	assert.Equal(t, 6, res.Total)
}
