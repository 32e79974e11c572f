package student_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/student"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

// importFixture is a service over strict mocks whose repository keeps
// its records in a map, so a test can see what an import wrote.
type importFixture struct {
	repo      *mocks.StudentRepository
	lookup    *mocks.StudentLookup
	audit     *mocks.AuditLog
	outbox    *mocks.Outbox
	cache     *mocks.Cache
	queue     *mocks.Queue
	tasks     *mocks.TaskLedger
	users     *mocks.UserRepository
	svc       *app.Service
	db        map[int64]student.Student
	nextID    int64
	entries   []audit.Entry
	published []event.Event
	evicted   []string
	// log: "commit"/"rollback" per transaction, in order.
	log []string
	// pending holds a transaction's writes until it commits.
	pending map[int64]student.Student
}

func newImportFixture(t *testing.T) *importFixture {
	f := &importFixture{repo: mocks.NewStudentRepository(t), lookup: mocks.NewStudentLookup(t), audit: mocks.NewAuditLog(t),
		outbox: mocks.NewOutbox(t), cache: mocks.NewCache(t), queue: mocks.NewQueue(t), tasks: mocks.NewTaskLedger(t),
		users: mocks.NewUserRepository(t), db: map[int64]student.Student{}, nextID: 100}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		f.pending = map[int64]student.Student{}
		var audits, events = len(f.entries), len(f.published)
		err := fn(ctx)
		if err == nil {
			for id, s := range f.pending {
				f.db[id] = s
			}
			f.log = append(f.log, "commit")
		} else {
			f.entries, f.published = f.entries[:audits], f.published[:events]
			f.log = append(f.log, "rollback")
		}
		f.pending = nil
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.svc = app.NewService(app.Config{CacheTTL: cacheTTL}, app.Deps{Repo: f.repo, Audit: f.audit, Tx: tx, Clock: clock,
		Cache: mocks.ValuesThroughBytes(f.cache), Outbox: f.outbox, IDs: ids, Lookup: f.lookup, Queue: f.queue, Tasks: f.tasks, Users: f.users})
	return f
}

func (f *importFixture) seed(s student.Student) student.Student {
	f.nextID++
	s.ID = f.nextID
	f.db[s.ID] = s
	return s
}

// serveLookups answers ByRollNos from the committed records.
func (f *importFixture) serveLookups() {
	f.lookup.EXPECT().ByRollNos(anyArg, anyArg).RunAndReturn(func(_ context.Context, rolls []string) (map[string]student.Student, error) {
		out := map[string]student.Student{}
		for _, s := range f.db {
			for _, r := range rolls {
				if s.RollNo == r {
					out[r] = s
				}
			}
		}
		return out, nil
	})
}

// serveWrites implements Create (conflicting on a taken roll_no) and Update
// over the map, plus recording audit, outbox and cache evictions.
func (f *importFixture) serveWrites() {
	f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s *student.Student) error {
		for _, m := range []map[int64]student.Student{f.db, f.pending} {
			for _, x := range m {
				if x.RollNo == s.RollNo {
					return fault.New(fault.Conflict, "Student with this roll_no already exists")
				}
			}
		}
		f.nextID++
		s.ID = f.nextID
		f.pending[s.ID] = *s
		return nil
	}).Maybe()
	f.repo.EXPECT().Update(anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, id int64, fn func(*student.Student) error) (student.Student, error) {
		cur, ok := f.pending[id]
		if !ok {
			if cur, ok = f.db[id]; !ok {
				return student.Student{}, fault.New(fault.NotFound, "Student not found")
			}
		}
		if err := fn(&cur); err != nil {
			return student.Student{}, err
		}
		f.pending[id] = cur
		return cur, nil
	}).Maybe()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	}).Maybe()
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.published = append(f.published, evs...)
		return nil
	}).Maybe()
	f.cache.EXPECT().Delete(anyArg, anyArg).RunAndReturn(func(_ context.Context, keys ...string) error {
		f.evicted = append(f.evicted, keys...)
		return nil
	}).Maybe()
}

func (f *importFixture) byRoll(roll string) (student.Student, bool) {
	for _, s := range f.db {
		if s.RollNo == roll {
			return s, true
		}
	}
	return student.Student{}, false
}

const header = "name,roll_no,department,semester,section,email,status\n"

// mixed: row 1 updates Ada, row 2 equals Bob, row 3 is new, row 4 has bad
// cells, row 5 repeats row 3's roll_no.
const mixed = header +
	"Ada Lovelace,CS-1,CS,4,A,ada@x.org,\n" +
	"Bob,CS-2,CS,2,B,,inactive\n" +
	"Cy,CS-3,EE,1,,,\n" +
	",CS-4,CS,13,,not-an-email,\n" +
	"Cy Again,CS-3,EE,1,,,\n"

func seedMixed(f *importFixture) (ada, bob student.Student) {
	ada = f.seed(student.Student{Name: "Ada Lovelace", RollNo: "CS-1", Department: "CS", Semester: 3, Section: "A",
		Email: ptr("ada@x.org"), Status: student.Active})
	bob = f.seed(student.Student{Name: "Bob", RollNo: "CS-2", Department: "CS", Semester: 2, Section: "B", Status: student.Inactive})
	return ada, bob
}

var wantMixedErrors = []student.RowError{
	{Row: 4, Field: "name", Message: "must be 1 to 200 characters"},
	{Row: 4, Field: "semester", Message: "must be between 1 and 12"},
	{Row: 4, Field: "email", Message: "must be a valid email address"},
	{Row: 5, Field: "roll_no", Message: "repeats the roll_no of row 3"},
}

func TestImportPermissions(t *testing.T) {
	for _, tt := range []struct {
		name string
		a    identity.Actor
		kind fault.Kind
	}{{"student", studentA, fault.Forbidden}, {"guest", guestA, fault.Forbidden}, {"anonymous", identity.Anonymous(identity.Origin{}), fault.Unauthenticated}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newImportFixture(t)
			_, err := f.svc.Import(ctx, tt.a, strings.NewReader(mixed), false)
			assert.Equal(t, tt.kind, fault.KindOf(err))
		})
	}
}

func TestImportDryRunAppliesNothing(t *testing.T) {
	f := newImportFixture(t)
	seedMixed(f)
	f.serveLookups()
	before := fmt.Sprint(f.db)
	res, err := f.svc.Import(ctx, staffA, strings.NewReader(mixed), true)
	require.NoError(t, err)
	assert.Equal(t, app.ImportResult{DryRun: true, Rows: 5, Created: 1, Updated: 1, Unchanged: 1, Errors: wantMixedErrors}, res)
	assert.Empty(t, f.log, "no transaction")
	assert.Equal(t, before, fmt.Sprint(f.db))
}

func TestImportAppliesGoodRows(t *testing.T) {
	f := newImportFixture(t)
	ada, bob := seedMixed(f)
	f.serveLookups()
	f.serveWrites()
	res, err := f.svc.Import(ctx, adminA, strings.NewReader(mixed), false)
	require.NoError(t, err)
	assert.Equal(t, app.ImportResult{Rows: 5, Created: 1, Updated: 1, Unchanged: 1, Errors: wantMixedErrors}, res)
	assert.Equal(t, []string{"commit"}, f.log, "one batch, one transaction")

	got, _ := f.byRoll("CS-1")
	assert.Equal(t, 4, got.Semester)
	assert.Equal(t, now, got.UpdatedAt)
	assert.Equal(t, bob, f.db[bob.ID], "the unchanged row is not written")
	cy, ok := f.byRoll("CS-3")
	require.True(t, ok)
	assert.Equal(t, "Cy", cy.Name, "the first of two rows with one roll_no wins")
	assert.Equal(t, student.Active, cy.Status)
	assert.Equal(t, now, cy.CreatedAt)
	_, ok = f.byRoll("CS-4")
	assert.False(t, ok)

	// One audit entry per write, with before/after; one event per new student.
	require.Len(t, f.entries, 2)
	assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
	assert.Equal(t, fmt.Sprint(ada.ID), f.entries[0].ResourceID)
	assert.Equal(t, 3, f.entries[0].Before["semester"])
	assert.Equal(t, 4, f.entries[0].After["semester"])
	assert.Equal(t, audit.ActionCreate, f.entries[1].Action)
	assert.Nil(t, f.entries[1].Before)
	assert.Equal(t, "CS-3", f.entries[1].After["roll_no"])
	require.Len(t, f.published, 1)
	assert.Equal(t, event.StudentCreated, f.published[0].Type)
	assert.Equal(t, fmt.Sprint(cy.ID), f.published[0].AggregateID)
	assert.Equal(t, "Cy", f.published[0].Payload["name"])

	assert.Equal(t, []string{key(ada.ID)}, f.evicted, "only the updated student is evicted")
}

func TestImportTwiceIsUnchanged(t *testing.T) {
	f := newImportFixture(t)
	f.serveLookups()
	f.serveWrites()
	file := header + "A,R-1,CS,1,,,\nB,R-2,CS,2,X,b@x.org,graduated\n"
	first, err := f.svc.Import(ctx, staffA, strings.NewReader(file), false)
	require.NoError(t, err)
	assert.Equal(t, 2, first.Created)
	audits := len(f.entries)
	second, err := f.svc.Import(ctx, staffA, strings.NewReader(file), false)
	require.NoError(t, err)
	assert.Equal(t, app.ImportResult{Rows: 2, Unchanged: 2, Errors: []student.RowError{}}, second)
	assert.Len(t, f.entries, audits, "nothing audited the second time")
}

func TestImportBatches(t *testing.T) {
	f := newImportFixture(t)
	f.serveLookups()
	f.serveWrites()
	var b strings.Builder
	b.WriteString("roll_no,name,department,semester\n")
	for i := 1; i <= 450; i++ {
		fmt.Fprintf(&b, "B-%03d,Student %d,CS,1\n", i, i)
	}
	res, err := f.svc.Import(ctx, staffA, strings.NewReader(b.String()), false)
	require.NoError(t, err)
	assert.Equal(t, 450, res.Created)
	assert.Equal(t, []string{"commit", "commit", "commit"}, f.log, "200 + 200 + 50")
	assert.Len(t, f.db, 450)
	assert.Len(t, f.published, 450)
}

// TestImportRaceFallsBackRowByRow: a roll_no created by someone else after
// the plan makes the batch's insert conflict; the batch is rolled back and
// redone row by row, the raced row becoming an update of the other record.
func TestImportRaceFallsBackRowByRow(t *testing.T) {
	f := newImportFixture(t)
	f.serveWrites()
	calls := 0
	f.lookup.EXPECT().ByRollNos(anyArg, anyArg).RunAndReturn(func(_ context.Context, rolls []string) (map[string]student.Student, error) {
		calls++
		if calls == 1 {
			// The plan sees nothing; then another writer inserts R-2.
			f.seed(student.Student{Name: "Other", RollNo: "R-2", Department: "CS", Semester: 1, Status: student.Active})
			return map[string]student.Student{}, nil
		}
		out := map[string]student.Student{}
		for _, r := range rolls {
			if s, ok := f.byRoll(r); ok {
				out[r] = s
			}
		}
		return out, nil
	})
	res, err := f.svc.Import(ctx, staffA, strings.NewReader(header+"A,R-1,CS,1,,,\nB,R-2,CS,1,,,\nC,R-3,CS,1,,,\n"), false)
	require.NoError(t, err)
	assert.Equal(t, app.ImportResult{Rows: 3, Created: 2, Updated: 1, Errors: []student.RowError{}}, res)
	assert.Equal(t, []string{"rollback", "commit", "commit", "commit"}, f.log)
	other, _ := f.byRoll("R-2")
	assert.Equal(t, "B", other.Name)
	assert.Len(t, f.published, 2, "the rolled-back batch's events are gone")
	assert.Len(t, f.entries, 3)
}

func TestImportRowStillRefusedIsReported(t *testing.T) {
	f := newImportFixture(t)
	f.serveLookups()
	f.audit.EXPECT().Record(anyArg, anyArg).Return(nil).Maybe()
	f.outbox.EXPECT().Append(anyArg, anyArg).Return(nil).Maybe()
	f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, s *student.Student) error {
		if s.RollNo == "R-2" {
			return fault.New(fault.Invalid, "Value rejected by the database")
		}
		return nil
	})
	res, err := f.svc.Import(ctx, staffA, strings.NewReader(header+"A,R-1,CS,1,,,\nB,R-2,CS,1,,,\n"), false)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	assert.Equal(t, []student.RowError{{Row: 2, Field: "row", Message: "Value rejected by the database"}}, res.Errors)
}

func TestImportConcurrentChangeSeenUnderLock(t *testing.T) {
	f := newImportFixture(t)
	f.serveWrites()
	stale := student.Student{ID: 1, Name: "A", RollNo: "R-1", Department: "CS", Semester: 1, Status: student.Active}
	f.db[1] = student.Student{ID: 1, Name: "A", RollNo: "R-1", Department: "CS", Semester: 2, Status: student.Graduated}
	f.lookup.EXPECT().ByRollNos(anyArg, anyArg).Return(map[string]student.Student{"R-1": stale}, nil).Once()
	// The file sets semester 2: planned as an update of the stale read, but
	// the locked record already has it, and keeps its newer status.
	res, err := f.svc.Import(ctx, staffA, strings.NewReader("name,roll_no,department,semester\nA,R-1,CS,2\n"), false)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Unchanged)
	assert.Zero(t, res.Updated)
	assert.Equal(t, student.Graduated, f.db[1].Status)
	assert.Empty(t, f.entries)
}

func TestImportDeletedMeanwhileIsCreated(t *testing.T) {
	f := newImportFixture(t)
	f.serveWrites()
	gone := student.Student{ID: 1, Name: "A", RollNo: "R-1", Department: "CS", Semester: 1, Status: student.Active}
	f.lookup.EXPECT().ByRollNos(anyArg, anyArg).Return(map[string]student.Student{"R-1": gone}, nil).Once()
	res, err := f.svc.Import(ctx, staffA, strings.NewReader("name,roll_no,department,semester\nA,R-1,CS,2\n"), false)
	require.NoError(t, err)
	assert.Equal(t, 1, res.Created)
	_, ok := f.byRoll("R-1")
	assert.True(t, ok)
}

func TestImportFailures(t *testing.T) {
	t.Run("bad file touches nothing", func(t *testing.T) {
		f := newImportFixture(t)
		_, err := f.svc.Import(ctx, staffA, strings.NewReader("name,colour\n"), false)
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("too many rows", func(t *testing.T) {
		f := newImportFixture(t)
		var b strings.Builder
		b.WriteString("name,roll_no,department,semester\n")
		for i := 0; i <= student.MaxImportRows; i++ {
			fmt.Fprintf(&b, "S,R%d,CS,1\n", i)
		}
		_, err := f.svc.Import(ctx, staffA, strings.NewReader(b.String()), false)
		assert.Equal(t, fault.TooLarge, fault.KindOf(err))
	})
	t.Run("lookup failure", func(t *testing.T) {
		f := newImportFixture(t)
		f.lookup.EXPECT().ByRollNos(anyArg, anyArg).Return(nil, errDB).Once()
		_, err := f.svc.Import(ctx, staffA, strings.NewReader(mixed), false)
		require.ErrorIs(t, err, errDB)
	})
	t.Run("database failure stops the import and rolls back the batch", func(t *testing.T) {
		f := newImportFixture(t)
		f.serveLookups()
		f.repo.EXPECT().Create(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Import(ctx, staffA, strings.NewReader(header+"A,R-1,CS,1,,,\n"), false)
		require.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.log)
	})
	t.Run("audit failure rolls back", func(t *testing.T) {
		f := newImportFixture(t)
		f.serveLookups()
		f.repo.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
		f.outbox.EXPECT().Append(anyArg, anyArg).Return(nil).Once()
		f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Import(ctx, staffA, strings.NewReader(header+"A,R-1,CS,1,,,\n"), false)
		require.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.log)
	})
	t.Run("outbox failure rolls back", func(t *testing.T) {
		f := newImportFixture(t)
		f.serveLookups()
		f.repo.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
		f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Import(ctx, staffA, strings.NewReader(header+"A,R-1,CS,1,,,\n"), false)
		require.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.log)
	})
}
