package student_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/student"
	"github.com/campus/campus/domain/audit"
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

// cacheTTL is how long the fixture's service caches a student.
const cacheTTL = 5 * time.Minute

type fixture struct {
	outbox    *mocks.Outbox
	published []event.Event
	repo      *mocks.StudentRepository
	audit     *mocks.AuditLog
	cache     *mocks.Cache
	svc       *app.Service
	stored    student.Student
	entries   []audit.Entry
	// events: "commit"/"rollback" per transaction and "evict:<key>" per
	// cache delete, in order.
	events    []string
	recording bool
}

func newFixture(t *testing.T) *fixture {
	return newFixtureTTL(t, cacheTTL)
}

func newFixtureTTL(t *testing.T, ttl time.Duration) *fixture {
	f := &fixture{repo: mocks.NewStudentRepository(t), audit: mocks.NewAuditLog(t), cache: mocks.NewCache(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.events = append(f.events, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	f.outbox = mocks.NewOutbox(t)
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.svc = app.NewService(app.Config{CacheTTL: ttl}, app.Deps{Repo: f.repo, Audit: f.audit, Tx: tx, Clock: clock,
		Cache: mocks.ValuesThroughBytes(f.cache), Outbox: f.outbox, IDs: ids})
	f.stored = student.Student{ID: 7, Name: "Ada", RollNo: "CS-1", Department: "CS", Semester: 3, Section: "A",
		Status: student.Active, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	return f
}

func (f *fixture) store() {
	f.repo.EXPECT().Update(anyArg, f.stored.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*student.Student) error) (student.Student, error) {
			cp := f.stored
			if err := fn(&cp); err != nil {
				return student.Student{}, err
			}
			f.stored = cp
			return cp, nil
		})
}

// recordEvents keeps what is appended to the outbox (once per fixture;
// recordAudit calls it too, as every audited write also records an event).
func (f *fixture) recordEvents() {
	if f.recording {
		return
	}
	f.recording = true
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.published = append(f.published, evs...)
		return nil
	})
}

func (f *fixture) recordAudit() {
	f.recordEvents()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	})
}

// cacheMiss expects one cache read of student id that misses, and the
// store's answer then cached for cacheTTL.
func (f *fixture) cacheMiss(id int64) {
	f.cache.EXPECT().Get(anyArg, key(id)).Return(nil, false, nil).Once()
	f.cache.EXPECT().Set(anyArg, key(id), anyArg, cacheTTL).Return(nil).Once()
}

// expectEvict expects the student's cache entry to be deleted once.
func (f *fixture) expectEvict(id int64) {
	f.cache.EXPECT().Delete(anyArg, key(id)).RunAndReturn(func(context.Context, ...string) error {
		f.events = append(f.events, "evict:"+key(id))
		return nil
	}).Once()
}

func key(id int64) string { return fmt.Sprintf("student:v1:%d", id) }

func studentJSON(t *testing.T, s student.Student) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return b
}

func validFields() student.Fields {
	return student.Fields{Name: "Grace", RollNo: "CS-2", Department: "CS", Semester: 1, Section: "B"}
}

func TestList(t *testing.T) {
	p := page.Request{Limit: 50}
	tests := []struct {
		name     string
		actor    identity.Actor
		wantOnly *int64
		repo     bool
		wantKind fault.Kind
	}{
		{name: "staff sees all", actor: staffA, repo: true},
		{name: "admin sees all", actor: adminA, repo: true},
		{name: "student sees own record", actor: studentA, wantOnly: ptr[int64](7), repo: true},
		{name: "guest denied", actor: guestA, wantKind: fault.Forbidden},
		{name: "anonymous", actor: identity.Anonymous(identity.Origin{}), wantKind: fault.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			filter := student.Filter{Department: "CS", Query: "ad"}
			if tt.repo {
				want := filter
				want.OnlyID = tt.wantOnly
				f.repo.EXPECT().List(anyArg, want, p).Return(page.Result[student.Student]{Items: []student.Student{f.stored}, Total: 1, Request: p}, nil).Once()
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

func TestListStudentWithoutLinkGetsEmptyPage(t *testing.T) {
	f := newFixture(t)
	p := page.Request{Limit: 20, Offset: 40}
	res, err := f.svc.List(ctx, actor(identity.RoleStudent, nil), student.Filter{}, p)
	require.NoError(t, err)
	assert.NotNil(t, res.Items, "an empty page renders as [] not null")
	assert.Empty(t, res.Items)
	assert.Zero(t, res.Total)
	assert.Equal(t, p, res.Request)
	f.repo.AssertNotCalled(t, "List")
}

func TestGet(t *testing.T) {
	tests := []struct {
		name     string
		actor    identity.Actor
		id       int64
		repo     bool
		wantKind fault.Kind
	}{
		{name: "staff any", actor: staffA, id: 9, repo: true},
		{name: "student own", actor: studentA, id: 7, repo: true},
		{name: "student other is not found", actor: studentA, id: 8, wantKind: fault.NotFound},
		{name: "guest denied", actor: guestA, id: 7, wantKind: fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.stored.ID = tt.id
			if tt.repo {
				f.cacheMiss(tt.id)
				f.repo.EXPECT().Get(anyArg, tt.id).Return(f.stored, nil).Once()
			}
			// A denied read touches neither the cache nor the store.
			st, err := f.svc.Get(ctx, tt.actor, tt.id)
			if tt.wantKind != 0 {
				assert.Equal(t, tt.wantKind, fault.KindOf(err))
				if tt.wantKind == fault.NotFound {
					assert.EqualError(t, err, "Student not found")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, f.stored, st)
		})
	}
}

// TestCacheKeysAreVersioned: reads, writes and evictions all use the
// versioned key student:v1:<id>, never the old student:<id>, so an entry of
// an older shape is never read back.
func TestCacheKeysAreVersioned(t *testing.T) {
	f := newFixture(t)
	f.cache.EXPECT().Get(anyArg, "student:v1:7").Return(nil, false, nil).Once()
	f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil).Once()
	f.cache.EXPECT().Set(anyArg, "student:v1:7", anyArg, cacheTTL).Return(nil).Once()
	f.store()
	f.recordAudit()
	f.cache.EXPECT().Delete(anyArg, "student:v1:7").Return(nil).Once()
	// No expectation on "student:7": the strict mock fails on it.

	_, err := f.svc.Get(ctx, staffA, 7)
	require.NoError(t, err)
	_, err = f.svc.Patch(ctx, staffA, 7, student.Patch{Semester: ptr(4)}, "")
	require.NoError(t, err)
}

func TestCreate(t *testing.T) {
	t.Run("success audits the new record", func(t *testing.T) {
		f := newFixture(t)
		var saved student.Student
		f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s *student.Student) error {
			s.ID = 21
			saved = *s
			return nil
		}).Once()
		f.recordAudit()
		f.recordEvents()

		st, err := f.svc.Create(ctx, staffA, validFields())

		require.NoError(t, err)
		assert.Equal(t, int64(21), st.ID)
		require.Len(t, f.published, 1, "student.created is recorded in the same transaction")
		ev := f.published[0]
		assert.Equal(t, event.StudentCreated, ev.Type)
		assert.Equal(t, "21", ev.AggregateID)
		assert.Equal(t, "event-1", ev.ID)
		assert.Equal(t, now, ev.OccurredAt)
		assert.Equal(t, app.Snapshot(st), ev.Payload)
		assert.Equal(t, now, saved.CreatedAt)
		assert.Equal(t, now, saved.UpdatedAt)
		assert.Equal(t, student.Active, saved.Status)
		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionCreate, e.Action)
		assert.Equal(t, "student", e.Resource)
		assert.Equal(t, "21", e.ResourceID)
		assert.Nil(t, e.Before)
		assert.Equal(t, app.Snapshot(st), e.After)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Create(ctx, studentA, validFields())
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
	t.Run("validation", func(t *testing.T) {
		f := newFixture(t)
		fl := validFields()
		fl.Semester = 13
		_, err := f.svc.Create(ctx, staffA, fl)
		assert.ErrorIs(t, err, fault.ErrInvalid)
	})
	t.Run("duplicate roll_no", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Create(anyArg, anyArg).Return(fault.Wrap(fault.Conflict, "duplicate", errDB))
		_, err := f.svc.Create(ctx, staffA, validFields())
		require.Error(t, err)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.EqualError(t, err, "A student with this roll_no already exists")
	})
	t.Run("store failure", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Create(anyArg, anyArg).Return(errDB)
		_, err := f.svc.Create(ctx, staffA, validFields())
		assert.ErrorIs(t, err, errDB)
	})
}

func TestReplaceAndPatch(t *testing.T) {
	type call func(f *fixture, a identity.Actor) (student.Student, error)
	replace := func(f *fixture, a identity.Actor) (student.Student, error) {
		fl := validFields()
		fl.Semester = 4
		return f.svc.Replace(ctx, a, 7, fl, "")
	}
	patch := func(f *fixture, a identity.Actor) (student.Student, error) {
		return f.svc.Patch(ctx, a, 7, student.Patch{Semester: ptr(4)}, "")
	}
	for name, do := range map[string]call{"replace": replace, "patch": patch} {
		t.Run(name+"/success audits before and after", func(t *testing.T) {
			f := newFixture(t)
			f.store()
			f.recordAudit()
			f.expectEvict(7)
			st, err := do(f, staffA)
			require.NoError(t, err)
			assert.Equal(t, []string{"commit", "evict:student:v1:7"}, f.events, "the cached copy goes once the change committed")
			assert.Equal(t, 4, st.Semester)
			assert.Equal(t, now, st.UpdatedAt)
			require.Len(t, f.entries, 1)
			e := f.entries[0]
			assert.Equal(t, audit.ActionUpdate, e.Action)
			assert.Equal(t, "7", e.ResourceID)
			assert.Equal(t, 3, e.Before["semester"])
			assert.Equal(t, 4, e.After["semester"])
		})
		t.Run(name+"/student denied", func(t *testing.T) {
			f := newFixture(t)
			_, err := do(f, studentA)
			assert.ErrorIs(t, err, identity.ErrDenied)
		})
		t.Run(name+"/duplicate roll_no", func(t *testing.T) {
			f := newFixture(t)
			f.repo.EXPECT().Update(anyArg, int64(7), anyArg).Return(student.Student{}, fault.New(fault.Conflict, "unique"))
			_, err := do(f, staffA)
			require.Error(t, err)
			assert.Equal(t, fault.Conflict, fault.KindOf(err))
			assert.EqualError(t, err, "A student with this roll_no already exists")
		})
		t.Run(name+"/not found", func(t *testing.T) {
			f := newFixture(t)
			f.repo.EXPECT().Update(anyArg, int64(7), anyArg).Return(student.Student{}, fault.New(fault.NotFound, "Student not found"))
			_, err := do(f, staffA)
			assert.ErrorIs(t, err, fault.ErrNotFound)
		})
		t.Run(name+"/failed write keeps the cache", func(t *testing.T) {
			f := newFixture(t)
			f.store()
			f.recordEvents()
			f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
			// No cache expectation: the strict mock fails on a Delete.
			_, err := do(f, staffA)
			assert.ErrorIs(t, err, errDB)
			assert.Equal(t, []string{"rollback"}, f.events)
		})
		t.Run(name+"/cache delete failure does not fail the write", func(t *testing.T) {
			f := newFixture(t)
			f.store()
			f.recordAudit()
			f.cache.EXPECT().Delete(anyArg, key(7)).Return(errors.New("cache down")).Once()
			st, err := do(f, staffA)
			require.NoError(t, err)
			assert.Equal(t, 4, st.Semester)
		})
	}
	t.Run("invalid patch is not saved", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		_, err := f.svc.Patch(ctx, staffA, 7, student.Patch{Semester: ptr(0)}, "")
		assert.ErrorIs(t, err, fault.ErrInvalid)
		assert.Equal(t, 3, f.stored.Semester)
	})
}

func TestDelete(t *testing.T) {
	t.Run("unreferenced is deleted", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil)
		f.repo.EXPECT().Referenced(anyArg, int64(7)).Return(false, nil)
		f.repo.EXPECT().Delete(anyArg, int64(7)).Return(nil).Once()
		f.recordAudit()
		f.expectEvict(7)

		archived, err := f.svc.Delete(ctx, adminA, 7)

		require.NoError(t, err)
		assert.False(t, archived)
		assert.Equal(t, []string{"commit", "evict:student:v1:7"}, f.events)
		f.repo.AssertNotCalled(t, "Update")
		require.Len(t, f.published, 1)
		assert.Equal(t, event.StudentDeleted, f.published[0].Type, "readers of student figures learn of it")
		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionDelete, e.Action)
		assert.Equal(t, app.Snapshot(f.stored), e.Before)
		assert.Nil(t, e.After)
	})
	t.Run("referenced is archived", func(t *testing.T) {
		f := newFixture(t)
		before := f.stored
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil)
		f.repo.EXPECT().Referenced(anyArg, int64(7)).Return(true, nil)
		f.store()
		f.recordAudit()
		f.expectEvict(7)

		archived, err := f.svc.Delete(ctx, adminA, 7)

		require.NoError(t, err)
		assert.True(t, archived)
		assert.Equal(t, []string{"commit", "evict:student:v1:7"}, f.events)
		f.repo.AssertNotCalled(t, "Delete")
		assert.Equal(t, student.Inactive, f.stored.Status)
		assert.Equal(t, now, f.stored.UpdatedAt)
		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionArchive, e.Action)
		assert.Equal(t, "active", e.Before["status"])
		assert.Equal(t, "inactive", e.After["status"])
		assert.Equal(t, app.Snapshot(before), e.Before)
	})
	t.Run("staff denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Delete(ctx, staffA, 7)
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found"))
		_, err := f.svc.Delete(ctx, adminA, 7)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("referenced check fails", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil)
		f.repo.EXPECT().Referenced(anyArg, int64(7)).Return(false, errDB)
		_, err := f.svc.Delete(ctx, adminA, 7)
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("delete fails", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil)
		f.repo.EXPECT().Referenced(anyArg, int64(7)).Return(false, nil)
		f.repo.EXPECT().Delete(anyArg, int64(7)).Return(errDB)
		_, err := f.svc.Delete(ctx, adminA, 7)
		assert.ErrorIs(t, err, errDB)
	})
	// None of the failures above expects a cache call: a delete that did not
	// commit keeps the cached copy. The audit failure makes it explicit.
	t.Run("audit fails", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil)
		f.repo.EXPECT().Referenced(anyArg, int64(7)).Return(false, nil)
		f.repo.EXPECT().Delete(anyArg, int64(7)).Return(nil)
		f.recordEvents()
		f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
		archived, err := f.svc.Delete(ctx, adminA, 7)
		assert.ErrorIs(t, err, errDB)
		assert.False(t, archived)
		assert.Equal(t, []string{"rollback"}, f.events)
	})
}

func TestGetCacheHitSkipsTheStore(t *testing.T) {
	f := newFixture(t)
	email := "ada@campus.edu"
	f.stored.Email = &email
	f.cache.EXPECT().Get(anyArg, "student:v1:7").Return(studentJSON(t, f.stored), true, nil).Once()
	// No repo.Get and no Set expectation.

	st, err := f.svc.Get(ctx, staffA, 7)

	require.NoError(t, err)
	assert.Equal(t, f.stored, st)
}

func TestGetCacheMissReadsTheStoreAndCaches(t *testing.T) {
	f := newFixture(t)
	f.cache.EXPECT().Get(anyArg, "student:v1:7").Return(nil, false, nil).Once()
	f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil).Once()
	var cached []byte
	f.cache.EXPECT().Set(anyArg, "student:v1:7", anyArg, cacheTTL).RunAndReturn(
		func(_ context.Context, _ string, v []byte, _ time.Duration) error {
			cached = v
			return nil
		}).Once()

	st, err := f.svc.Get(ctx, studentA, 7)

	require.NoError(t, err)
	assert.Equal(t, f.stored, st)
	var decoded student.Student
	require.NoError(t, json.Unmarshal(cached, &decoded))
	assert.Equal(t, f.stored, decoded, "the cached value decodes to the stored student")
}

func TestGetFallsBackToTheStore(t *testing.T) {
	tests := []struct {
		name string
		get  func(c *mocks.Cache_Get_Call)
	}{
		{"cache error", func(c *mocks.Cache_Get_Call) { c.Return(nil, false, errors.New("cache down")) }},
		{"undecodable value", func(c *mocks.Cache_Get_Call) { c.Return([]byte("\xff not json"), true, nil) }},
		{"value of the wrong shape", func(c *mocks.Cache_Get_Call) { c.Return([]byte(`[1,2]`), true, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			get := f.cache.EXPECT().Get(anyArg, "student:v1:7")
			tt.get(get)
			get.Once()
			f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil).Once()
			f.cache.EXPECT().Set(anyArg, "student:v1:7", anyArg, cacheTTL).Return(errors.New("cache down")).Once()

			st, err := f.svc.Get(ctx, staffA, 7)

			require.NoError(t, err, "a cache failure only costs speed")
			assert.Equal(t, f.stored, st)
		})
	}
}

func TestGetStoreErrorIsNotCached(t *testing.T) {
	for _, storeErr := range []error{fault.New(fault.NotFound, "Student not found"), errDB} {
		t.Run(storeErr.Error(), func(t *testing.T) {
			f := newFixture(t)
			f.cache.EXPECT().Get(anyArg, "student:v1:7").Return(nil, false, nil).Once()
			f.repo.EXPECT().Get(anyArg, int64(7)).Return(student.Student{}, storeErr).Once()
			// No Set expectation.
			_, err := f.svc.Get(ctx, staffA, 7)
			assert.ErrorIs(t, err, storeErr)
		})
	}
}

func TestGetWithoutTTLDoesNotCache(t *testing.T) {
	f := newFixtureTTL(t, 0)
	f.cache.EXPECT().Get(anyArg, "student:v1:7").Return(nil, false, nil).Once()
	f.repo.EXPECT().Get(anyArg, int64(7)).Return(f.stored, nil).Once()
	// No Set expectation.
	st, err := f.svc.Get(ctx, staffA, 7)
	require.NoError(t, err)
	assert.Equal(t, f.stored, st)
}

func TestCreateLeavesTheCacheAlone(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s *student.Student) error {
		s.ID = 21
		return nil
	}).Once()
	f.recordAudit()
	f.recordEvents()
	// No cache expectation: a miss is never cached, so nothing is stale.
	_, err := f.svc.Create(ctx, staffA, validFields())
	require.NoError(t, err)
}

func TestSnapshot(t *testing.T) {
	s := student.Student{ID: 1, Name: "A", RollNo: "R", Department: "D", Semester: 2, Section: "S", Status: student.Graduated}
	assert.Equal(t, map[string]any{"id": int64(1), "name": "A", "roll_no": "R", "department": "D", "semester": 2,
		"section": "S", "status": "graduated", "email": nil}, app.Snapshot(s))
	s.Email = ptr("a@b.io")
	assert.Equal(t, "a@b.io", app.Snapshot(s)["email"])
}

func TestIfMatch(t *testing.T) {
	t.Run("current version writes", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		f.recordAudit()
		f.expectEvict(7)
		st, err := f.svc.Patch(ctx, staffA, 7, student.Patch{Semester: ptr(4)}, f.stored.Version())
		require.NoError(t, err)
		assert.Equal(t, 4, st.Semester)
	})
	t.Run("stale version changes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		before := f.stored
		_, err := f.svc.Replace(ctx, staffA, 7, validFields(), "stale-version")
		require.Error(t, err)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.Contains(t, err.Error(), "changed since you read it")
		assert.Equal(t, before, f.stored)
		assert.Empty(t, f.entries, "no audit entry for a refused write")
		assert.Equal(t, []string{"rollback"}, f.events, "no cache eviction either")
	})
}
