// Package contract_test holds the contract suites: one set of behaviour
// tests per port, run against every adapter that implements it.
package contract_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// repos is one freshly migrated database seen through the ports.
type repos struct {
	db       *store.DB
	tx       ports.TxRunner
	users    ports.UserRepository
	attempts ports.LoginAttemptRepository
	sessions ports.SessionRepository
	students ports.StudentRepository
	audit    ports.AuditLog
}

func setup(t *testing.T, url string) *repos {
	t.Helper()
	ctx := context.Background()
	db, cleanup, err := store.Open(ctx, store.Config{URL: url, PoolSize: 5, MaxOverflow: 20})
	require.NoError(t, err)
	t.Cleanup(cleanup)
	require.NoError(t, store.Migrate(ctx, db))
	return &repos{
		db:       db,
		tx:       store.NewTxRunner(db),
		users:    store.NewUserRepository(db),
		attempts: store.NewLoginAttemptRepository(db),
		sessions: store.NewSessionRepository(db),
		students: store.NewStudentRepository(db),
		audit:    store.NewAuditLog(db),
	}
}

// TestStore runs every case on every database, each case on a fresh one.
func TestStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *repos)
	}{
		{"Basics", testBasics},
		{"StudentCRUD", testStudentCRUD},
		{"StudentConflict", testStudentConflict},
		{"StudentList", testStudentList},
		{"StudentUpdateAbort", testStudentUpdateAbort},
		{"StudentReferenced", testStudentReferenced},
		{"UserCRUD", testUserCRUD},
		{"UserConflicts", testUserConflicts},
		{"UserList", testUserList},
		{"TxRollback", testTxRollback},
		{"TxNested", testTxNested},
		{"TxAfterCommit", testTxAfterCommit},
		{"SessionCRUD", testSessionCRUD},
		{"SessionRotate", testSessionRotate},
		{"SessionRotateRace", testSessionRotateRace},
		{"SessionRevoke", testSessionRevoke},
		{"SessionListActive", testSessionListActive},
		{"SessionPrincipal", testSessionPrincipal},
		{"LoginAttempts", testLoginAttempts},
		{"LoginAttemptsConcurrent", testLoginAttemptsConcurrent},
		{"Audit", testAudit},
		{"Migrations", testMigrations},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					require.Equal(t, s.Name, r.db.Dialect())
					c.run(t, r)
				})
			}
		})
	}
}

// base is a fixed instant with sub-microsecond digits, which the stores
// drop: values written are normalised to what the databases keep.
var base = time.Date(2026, 11, 27, 9, 30, 0, 123456789, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d).Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func assertKind(t *testing.T, err error, kind fault.Kind) {
	t.Helper()
	require.Error(t, err)
	assert.Equal(t, kind.String(), fault.KindOf(err).String(), "error: %v", err)
}

func newStudent(t *testing.T, r *repos, roll string, mod func(*student.Fields)) student.Student {
	t.Helper()
	f := student.Fields{Name: "Student " + roll, RollNo: roll, Department: "CSE", Semester: 3, Section: "A"}
	if mod != nil {
		mod(&f)
	}
	s, err := student.New(f)
	require.NoError(t, err)
	s.CreatedAt, s.UpdatedAt = base, base
	require.NoError(t, r.students.Create(context.Background(), &s))
	require.NotZero(t, s.ID)
	return s
}

func newUser(t *testing.T, r *repos, username string, role identity.Role, mod func(*identity.User)) identity.User {
	t.Helper()
	u, err := identity.NewUser(username, username+"@campus.edu", "Full "+username, role)
	require.NoError(t, err)
	u.PasswordHash = "$2a$12$hash-of-" + username
	u.CreatedAt, u.UpdatedAt = base, base
	if mod != nil {
		mod(&u)
	}
	require.NoError(t, r.users.Create(context.Background(), &u))
	require.NotZero(t, u.ID)
	return u
}

func newSession(t *testing.T, r *repos, id string, userID int64, created time.Time) identity.Session {
	t.Helper()
	s := identity.Session{ID: id, UserID: userID, RefreshJTI: id + "-jti-0", RotatedAt: created,
		CreatedAt: created, LastUsedAt: created, ExpiresAt: created.Add(7 * 24 * time.Hour),
		UserAgent: "test-agent", IP: "127.0.0.1"}
	require.NoError(t, r.sessions.Create(context.Background(), s))
	return s
}

// --- basics -----------------------------------------------------------------

func testBasics(t *testing.T, r *repos) {
	ctx := context.Background()
	require.NoError(t, r.db.Ping(ctx))
	assert.Positive(t, r.db.Stats().MaxOpenConnections)
}

// --- students ---------------------------------------------------------------

func testStudentCRUD(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", func(f *student.Fields) { f.Email = ptr("Ada@Campus.edu") })
	assert.Equal(t, at(0), s.CreatedAt, "timestamps are normalised to microseconds in UTC")

	got, err := r.students.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	assert.Equal(t, time.UTC, got.CreatedAt.Location())

	// Inside a transaction Get reads through it: a rename not yet committed
	// is seen there and nowhere once rolled back.
	rolledBack := errors.New("roll back")
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.students.Update(ctx, s.ID, func(st *student.Student) error { st.Name = "Renamed"; return nil }); err != nil {
			return err
		}
		in, err := r.students.Get(ctx, s.ID)
		require.NoError(t, err)
		assert.Equal(t, "Renamed", in.Name)
		return rolledBack
	})
	require.ErrorIs(t, err, rolledBack)
	got, err = r.students.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	_, err = r.students.Get(ctx, s.ID+1000)
	assert.Equal(t, fault.NotFound, fault.KindOf(err))

	byEmail, err := r.students.GetByEmail(ctx, "ADA@campus.EDU")
	require.NoError(t, err)
	assert.Equal(t, s.ID, byEmail.ID)

	_, err = r.students.GetByEmail(ctx, "nobody@campus.edu")
	assertKind(t, err, fault.NotFound)

	updated, err := r.students.Update(ctx, s.ID, func(x *student.Student) error {
		x.Name, x.Semester, x.Status, x.UpdatedAt = "Ada L.", 4, student.Graduated, at(time.Hour)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "Ada L.", updated.Name)
	assert.Equal(t, at(time.Hour), updated.UpdatedAt)
	got, err = r.students.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)
	assert.Equal(t, s.CreatedAt, got.CreatedAt)

	require.NoError(t, r.students.Delete(ctx, s.ID))
	_, err = r.students.Get(ctx, s.ID)
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Student not found", fe.Message)

	assertKind(t, r.students.Delete(ctx, s.ID), fault.NotFound)
	_, err = r.students.Update(ctx, s.ID, func(*student.Student) error { return nil })
	assertKind(t, err, fault.NotFound)
}

func testStudentConflict(t *testing.T, r *repos) {
	ctx := context.Background()
	first := newStudent(t, r, "CS-001", nil)
	dup, err := student.New(student.Fields{Name: "Other", RollNo: "CS-001", Department: "ECE", Semester: 1})
	require.NoError(t, err)
	err = r.students.Create(ctx, &dup)
	assertKind(t, err, fault.Conflict)
	assert.Contains(t, err.Error(), "roll_no")

	// Renaming another student onto a taken roll_no conflicts too, and
	// leaves that student as it was.
	other := newStudent(t, r, "CS-002", nil)
	_, err = r.students.Update(ctx, other.ID, func(x *student.Student) error { x.RollNo = first.RollNo; return nil })
	assertKind(t, err, fault.Conflict)
	got, err := r.students.Get(ctx, other.ID)
	require.NoError(t, err)
	assert.Equal(t, "CS-002", got.RollNo)
}

func testStudentList(t *testing.T, r *repos) {
	ctx := context.Background()
	a := newStudent(t, r, "CS-101", func(f *student.Fields) { f.Name = "Alice Smith" })
	b := newStudent(t, r, "CS-102", func(f *student.Fields) { f.Name = "Bob_Jones"; f.Section = "B" })
	c := newStudent(t, r, "EC-201", func(f *student.Fields) { f.Name = "Carol 100%"; f.Department = "ECE"; f.Semester = 5 })
	d := newStudent(t, r, "EC-202", func(f *student.Fields) { f.Name = "Dave"; f.Department = "ECE"; f.Status = "inactive" })
	e := newStudent(t, r, "ME-301", func(f *student.Fields) { f.Name = "BobXJones"; f.Department = "ME" })

	ids := func(res page.Result[student.Student]) []int64 {
		out := make([]int64, len(res.Items))
		for i, s := range res.Items {
			out[i] = s.ID
		}
		return out
	}
	list := func(f student.Filter, p page.Request) page.Result[student.Student] {
		t.Helper()
		res, err := r.students.List(ctx, f, p)
		require.NoError(t, err)
		return res
	}
	all := page.Request{Limit: 50}

	res := list(student.Filter{}, all)
	assert.Equal(t, []int64{a.ID, b.ID, c.ID, d.ID, e.ID}, ids(res))
	assert.Equal(t, 5, res.Total)
	assert.Equal(t, a, res.Items[0])

	assert.Equal(t, []int64{c.ID, d.ID}, ids(list(student.Filter{Department: "ECE"}, all)))
	assert.Equal(t, []int64{c.ID}, ids(list(student.Filter{Department: "ECE", Semester: 5}, all)))
	assert.Equal(t, []int64{b.ID}, ids(list(student.Filter{Section: "B"}, all)))
	assert.Equal(t, []int64{d.ID}, ids(list(student.Filter{Status: student.Inactive}, all)))
	assert.Equal(t, []int64{e.ID}, ids(list(student.Filter{OnlyID: &e.ID}, all)))
	assert.Empty(t, list(student.Filter{OnlyID: &e.ID, Department: "CSE"}, all).Items)

	// Query: case-insensitive substring of name or roll_no.
	assert.Equal(t, []int64{a.ID}, ids(list(student.Filter{Query: "aLiCe"}, all)))
	assert.Equal(t, []int64{c.ID, d.ID}, ids(list(student.Filter{Query: "ec-2"}, all)))
	// LIKE wildcards in the query are literal characters.
	assert.Equal(t, []int64{b.ID}, ids(list(student.Filter{Query: "b_j"}, all)))
	assert.Equal(t, []int64{c.ID}, ids(list(student.Filter{Query: "0%"}, all)))
	assert.Equal(t, []int64{c.ID}, ids(list(student.Filter{Query: "%"}, all)))
	assert.Empty(t, list(student.Filter{Query: "!"}, all).Items)

	// Paging keeps the total of the whole filtered list.
	res = list(student.Filter{}, page.Request{Limit: 2, Offset: 1})
	assert.Equal(t, []int64{b.ID, c.ID}, ids(res))
	assert.Equal(t, 5, res.Total)
	assert.Equal(t, 2, res.Limit)
	assert.Equal(t, 1, res.Offset)
	res = list(student.Filter{Department: "ECE"}, page.Request{Limit: 1, Offset: 1})
	assert.Equal(t, []int64{d.ID}, ids(res))
	assert.Equal(t, 2, res.Total)
	res = list(student.Filter{}, page.Request{Limit: 10, Offset: 10})
	assert.Empty(t, res.Items)
	assert.Equal(t, 5, res.Total)
}

var errVeto = errors.New("veto")

func testStudentUpdateAbort(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	_, err := r.students.Update(ctx, s.ID, func(x *student.Student) error {
		x.Name = "Changed"
		return errVeto
	})
	require.ErrorIs(t, err, errVeto)
	assert.Same(t, errVeto, err, "fn's error comes back unchanged")
	got, err := r.students.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, got)

	// A domain error from fn keeps its kind.
	_, err = r.students.Update(ctx, s.ID, func(x *student.Student) error {
		return x.Apply(student.Patch{Semester: ptr(13)})
	})
	assertKind(t, err, fault.Invalid)
}

func testStudentReferenced(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	other := newStudent(t, r, "CS-002", nil)
	ref, err := r.students.Referenced(ctx, s.ID)
	require.NoError(t, err)
	assert.False(t, ref)

	u := newUser(t, r, "alice", identity.RoleStudent, func(u *identity.User) { u.StudentID = &s.ID })
	ref, err = r.students.Referenced(ctx, s.ID)
	require.NoError(t, err)
	assert.True(t, ref)
	ref, err = r.students.Referenced(ctx, other.ID)
	require.NoError(t, err)
	assert.False(t, ref)

	// Deleting the student unlinks the account instead of orphaning it.
	require.NoError(t, r.students.Delete(ctx, s.ID))
	got, err := r.users.Get(ctx, u.ID)
	require.NoError(t, err)
	assert.Nil(t, got.StudentID)
}

// --- users ------------------------------------------------------------------

func testUserCRUD(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	u := newUser(t, r, "alice", identity.RoleStudent, func(u *identity.User) { u.StudentID = &s.ID })

	got, err := r.users.Get(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, u, got)
	assert.Nil(t, got.LastLogin)

	byName, err := r.users.GetByUsername(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, u, byName)

	_, err = r.users.GetByUsername(ctx, "nobody")
	assertKind(t, err, fault.NotFound)
	_, err = r.users.Get(ctx, u.ID+100)
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "User not found", fe.Message)

	login := at(2 * time.Hour)
	updated, err := r.users.Update(ctx, u.ID, func(x *identity.User) error {
		x.LastLogin, x.UpdatedAt, x.Role, x.IsActive, x.StudentID = &login, login, identity.RoleStaff, false, nil
		return nil
	})
	require.NoError(t, err)
	require.NotNil(t, updated.LastLogin)
	assert.Equal(t, login, *updated.LastLogin)
	got, err = r.users.Get(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)
	assert.Equal(t, identity.RoleStaff, got.Role)
	assert.False(t, got.IsActive)
	assert.Nil(t, got.StudentID)

	_, err = r.users.Update(ctx, u.ID, func(x *identity.User) error { x.FullName = "nope"; return errVeto })
	assert.Same(t, errVeto, err)
	got, err = r.users.Get(ctx, u.ID)
	require.NoError(t, err)
	assert.Equal(t, updated, got)

	_, err = r.users.Update(ctx, u.ID+100, func(*identity.User) error { return nil })
	assertKind(t, err, fault.NotFound)
}

func testUserConflicts(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	newUser(t, r, "alice", identity.RoleStudent, func(u *identity.User) { u.StudentID = &s.ID })

	dupName, _ := identity.NewUser("alice", "other@campus.edu", "", identity.RoleGuest)
	dupName.PasswordHash = "x"
	err := r.users.Create(ctx, &dupName)
	assertKind(t, err, fault.Conflict)
	assert.Contains(t, err.Error(), "username")

	dupEmail, _ := identity.NewUser("alice2", "alice@campus.edu", "", identity.RoleGuest)
	dupEmail.PasswordHash = "x"
	err = r.users.Create(ctx, &dupEmail)
	assertKind(t, err, fault.Conflict)
	assert.Contains(t, err.Error(), "email")

	// One account per student record.
	dupLink, _ := identity.NewUser("bob", "bob@campus.edu", "", identity.RoleStudent)
	dupLink.PasswordHash, dupLink.StudentID = "x", &s.ID
	assertKind(t, r.users.Create(ctx, &dupLink), fault.Conflict)

	// A link to a missing student is invalid input, not a server error.
	missing := s.ID + 100
	dupLink.StudentID = &missing
	assertKind(t, r.users.Create(ctx, &dupLink), fault.Invalid)

	// Changing an email onto a taken one conflicts.
	carol := newUser(t, r, "carol", identity.RoleGuest, nil)
	_, err = r.users.Update(ctx, carol.ID, func(x *identity.User) error { x.Email = "alice@campus.edu"; return nil })
	assertKind(t, err, fault.Conflict)
}

func testUserList(t *testing.T, r *repos) {
	ctx := context.Background()
	admin := newUser(t, r, "admin", identity.RoleAdmin, nil)
	staff := newUser(t, r, "staff1", identity.RoleStaff, func(u *identity.User) { u.FullName = "Grace Hopper" })
	stu := newUser(t, r, "student1", identity.RoleStudent, nil)
	off := newUser(t, r, "olduser", identity.RoleStudent, func(u *identity.User) { u.IsActive = false; u.Email = "retired@example.org" })

	ids := func(f identity.UserFilter, p page.Request) ([]int64, int) {
		t.Helper()
		res, err := r.users.List(ctx, f, p)
		require.NoError(t, err)
		out := make([]int64, len(res.Items))
		for i, u := range res.Items {
			out[i] = u.ID
		}
		return out, res.Total
	}
	all := page.Request{Limit: 50}
	got, total := ids(identity.UserFilter{}, all)
	assert.Equal(t, []int64{admin.ID, staff.ID, stu.ID, off.ID}, got)
	assert.Equal(t, 4, total)

	got, _ = ids(identity.UserFilter{Role: ptr(identity.RoleStudent)}, all)
	assert.Equal(t, []int64{stu.ID, off.ID}, got)
	got, _ = ids(identity.UserFilter{IsActive: ptr(false)}, all)
	assert.Equal(t, []int64{off.ID}, got)
	got, _ = ids(identity.UserFilter{IsActive: ptr(true), Role: ptr(identity.RoleStudent)}, all)
	assert.Equal(t, []int64{stu.ID}, got)
	got, _ = ids(identity.UserFilter{Query: "HOPPER"}, all) // full name
	assert.Equal(t, []int64{staff.ID}, got)
	got, _ = ids(identity.UserFilter{Query: "example.ORG"}, all) // email
	assert.Equal(t, []int64{off.ID}, got)
	got, _ = ids(identity.UserFilter{Query: "1"}, all) // username
	assert.Equal(t, []int64{staff.ID, stu.ID}, got)

	got, total = ids(identity.UserFilter{}, page.Request{Limit: 2, Offset: 2})
	assert.Equal(t, []int64{stu.ID, off.ID}, got)
	assert.Equal(t, 4, total)
}

// --- transactions -----------------------------------------------------------

// testTxAfterCommit: hooks run after the outermost transaction commits, in
// order, with the change visible to others; never on rollback; at once
// without a transaction.
func testTxAfterCommit(t *testing.T, r *repos) {
	ctx := context.Background()
	var ran []string
	r.tx.AfterCommit(ctx, func() { ran = append(ran, "no tx") })
	assert.Equal(t, []string{"no tx"}, ran)

	var id int64
	require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error {
		s, err := student.New(student.Fields{Name: "Hooked", RollNo: "CS-900", Department: "CSE", Semester: 1})
		require.NoError(t, err)
		require.NoError(t, r.students.Create(ctx, &s))
		id = s.ID
		r.tx.AfterCommit(ctx, func() {
			_, err := r.students.Get(context.Background(), id) // outside the transaction
			assert.NoError(t, err, "the hook sees the committed row")
			ran = append(ran, "first")
		})
		return r.tx.InTx(ctx, func(ctx context.Context) error { // joined: runs at the outer commit
			r.tx.AfterCommit(ctx, func() { ran = append(ran, "second") })
			assert.Len(t, ran, 1, "nothing runs before the commit")
			return nil
		})
	}))
	assert.Equal(t, []string{"no tx", "first", "second"}, ran)

	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		r.tx.AfterCommit(ctx, func() { ran = append(ran, "rolled back") })
		return errVeto
	})
	assert.Same(t, errVeto, err)
	assert.Len(t, ran, 3, "a rollback runs no hook")
}

func testTxRollback(t *testing.T, r *repos) {
	ctx := context.Background()
	keep := newStudent(t, r, "CS-000", nil)
	var created int64
	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		s, err := student.New(student.Fields{Name: "Temp", RollNo: "CS-001", Department: "CSE", Semester: 1})
		require.NoError(t, err)
		require.NoError(t, r.students.Create(ctx, &s))
		created = s.ID
		u, _ := identity.NewUser("temp", "temp@campus.edu", "", identity.RoleStudent)
		u.PasswordHash, u.StudentID = "x", &s.ID
		require.NoError(t, r.users.Create(ctx, &u))
		_, err = r.students.Update(ctx, keep.ID, func(x *student.Student) error { x.Name = "Changed"; return nil })
		require.NoError(t, err)
		require.NoError(t, r.audit.Record(ctx, audit.Entry{At: base, Action: "create", Resource: "student"}))

		// Inside the transaction its own writes are visible.
		got, err := r.students.Get(ctx, s.ID)
		require.NoError(t, err)
		assert.Equal(t, "Temp", got.Name)
		return errVeto
	})
	assert.Same(t, errVeto, err)

	_, err = r.students.Get(ctx, created)
	assertKind(t, err, fault.NotFound)
	_, err = r.users.GetByUsername(ctx, "temp")
	assertKind(t, err, fault.NotFound)
	got, err := r.students.Get(ctx, keep.ID)
	require.NoError(t, err)
	assert.Equal(t, keep, got, "the update inside the rolled back transaction is undone")
	logs, err := r.audit.List(ctx, audit.Filter{}, page.Request{Limit: 10})
	require.NoError(t, err)
	assert.Zero(t, logs.Total)

	// A panic rolls back too.
	assert.Panics(t, func() {
		_ = r.tx.InTx(ctx, func(ctx context.Context) error {
			_, _ = r.students.Update(ctx, keep.ID, func(x *student.Student) error { x.Name = "Panicked"; return nil })
			panic("boom")
		})
	})
	got, err = r.students.Get(ctx, keep.ID)
	require.NoError(t, err)
	assert.Equal(t, keep.Name, got.Name)

	// A committed transaction keeps everything.
	require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error {
		s, _ := student.New(student.Fields{Name: "Kept", RollNo: "CS-009", Department: "CSE", Semester: 1})
		return r.students.Create(ctx, &s)
	}))
	res, err := r.students.List(ctx, student.Filter{Query: "CS-009"}, page.Request{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Total)
}

func testTxNested(t *testing.T, r *repos) {
	ctx := context.Background()
	create := func(ctx context.Context, roll string) error {
		s, err := student.New(student.Fields{Name: roll, RollNo: roll, Department: "CSE", Semester: 1})
		require.NoError(t, err)
		return r.students.Create(ctx, &s)
	}
	count := func() int {
		res, err := r.students.List(ctx, student.Filter{}, page.Request{Limit: 50})
		require.NoError(t, err)
		return res.Total
	}

	// The inner InTx joins the outer one: the outer failure undoes both.
	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, create(ctx, "A"))
		require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error { return create(ctx, "B") }))
		return errVeto
	})
	assert.Same(t, errVeto, err)
	assert.Zero(t, count())

	// And an inner failure that the outer function swallows does not
	// roll back on its own: there is only one transaction.
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, create(ctx, "C"))
		innerErr := r.tx.InTx(ctx, func(ctx context.Context) error {
			require.NoError(t, create(ctx, "D"))
			return errVeto
		})
		assert.Same(t, errVeto, innerErr)
		// Update joins the outer transaction too, rather than opening its
		// own (which would deadlock SQLite or miss the row in PostgreSQL).
		res, err := r.students.List(ctx, student.Filter{Query: "C"}, page.Request{Limit: 1})
		require.NoError(t, err)
		require.Len(t, res.Items, 1)
		_, err = r.students.Update(ctx, res.Items[0].ID, func(x *student.Student) error { x.Section = "Z"; return nil })
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, 2, count())
	res, err := r.students.List(ctx, student.Filter{Section: "Z"}, page.Request{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 1, res.Total)
}

// --- sessions ---------------------------------------------------------------

func testSessionCRUD(t *testing.T, r *repos) {
	ctx := context.Background()
	u := newUser(t, r, "alice", identity.RoleStudent, nil)
	s := newSession(t, r, "sess-1", u.ID, at(0))

	got, err := r.sessions.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, got)

	_, err = r.sessions.Get(ctx, "missing")
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Session not found", fe.Message)

	assertKind(t, r.sessions.Create(ctx, s), fault.Conflict)
	orphan := s
	orphan.ID, orphan.UserID = "sess-2", u.ID+100
	assertKind(t, r.sessions.Create(ctx, orphan), fault.Invalid)
}

func testSessionRotate(t *testing.T, r *repos) {
	ctx := context.Background()
	u := newUser(t, r, "alice", identity.RoleStudent, nil)
	s := newSession(t, r, "sess-1", u.ID, at(0))

	ok, err := r.sessions.Rotate(ctx, s.ID, "wrong", "jti-1", at(time.Minute))
	require.NoError(t, err)
	assert.False(t, ok)

	ok, err = r.sessions.Rotate(ctx, s.ID, s.RefreshJTI, "jti-1", at(time.Minute))
	require.NoError(t, err)
	assert.True(t, ok)
	got, err := r.sessions.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, "jti-1", got.RefreshJTI)
	assert.Equal(t, s.RefreshJTI, got.PrevJTI)
	assert.Equal(t, at(time.Minute), got.RotatedAt)
	assert.Equal(t, at(time.Minute), got.LastUsedAt)
	assert.Equal(t, s.CreatedAt, got.CreatedAt)

	// The retired token cannot rotate again.
	ok, err = r.sessions.Rotate(ctx, s.ID, s.RefreshJTI, "jti-x", at(2*time.Minute))
	require.NoError(t, err)
	assert.False(t, ok)

	// A revoked session cannot rotate.
	_, err = r.sessions.Revoke(ctx, ports.Revocation{SessionID: s.ID, At: at(3 * time.Minute)})
	require.NoError(t, err)
	ok, err = r.sessions.Rotate(ctx, s.ID, "jti-1", "jti-2", at(4*time.Minute))
	require.NoError(t, err)
	assert.False(t, ok)

	ok, err = r.sessions.Rotate(ctx, "missing", "a", "b", at(0))
	require.NoError(t, err)
	assert.False(t, ok)
}

func testSessionRotateRace(t *testing.T, r *repos) {
	ctx := context.Background()
	u := newUser(t, r, "alice", identity.RoleStudent, nil)
	s := newSession(t, r, "sess-1", u.ID, at(0))

	const n = 20
	var wins atomic.Int32
	var winner atomic.Value
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			next := fmt.Sprintf("jti-%d", i)
			ok, err := r.sessions.Rotate(ctx, s.ID, s.RefreshJTI, next, at(time.Minute))
			if err != nil {
				errs <- err
				return
			}
			if ok {
				wins.Add(1)
				winner.Store(next)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int32(1), wins.Load(), "exactly one concurrent rotation wins")
	got, err := r.sessions.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, winner.Load(), got.RefreshJTI)
	assert.Equal(t, s.RefreshJTI, got.PrevJTI)
}

func testSessionRevoke(t *testing.T, r *repos) {
	ctx := context.Background()
	alice := newUser(t, r, "alice", identity.RoleStudent, nil)
	bob := newUser(t, r, "bob", identity.RoleStudent, nil)
	a1 := newSession(t, r, "a1", alice.ID, at(0))
	a2 := newSession(t, r, "a2", alice.ID, at(time.Minute))
	a3 := newSession(t, r, "a3", alice.ID, at(2*time.Minute))
	a4 := newSession(t, r, "a4", alice.ID, at(3*time.Minute))
	b1 := newSession(t, r, "b1", bob.ID, at(0))

	n, err := r.sessions.Revoke(ctx, ports.Revocation{SessionID: a1.ID, At: at(time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, []string{a1.ID}, n)
	// Revoking again changes nothing, and keeps the first revocation time.
	n, err = r.sessions.Revoke(ctx, ports.Revocation{SessionID: a1.ID, At: at(2 * time.Hour)})
	require.NoError(t, err)
	assert.Empty(t, n)
	got, err := r.sessions.Get(ctx, a1.ID)
	require.NoError(t, err)
	require.NotNil(t, got.RevokedAt)
	assert.Equal(t, at(time.Hour), *got.RevokedAt)

	// Every other active session of the user: a2 and a4, not a1 (already
	// revoked), not a3 (kept), not bob's.
	n, err = r.sessions.Revoke(ctx, ports.Revocation{UserID: alice.ID, Keep: a3.ID, At: at(3 * time.Hour)})
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{a2.ID, a4.ID}, n)
	for id, want := range map[string]*time.Time{a1.ID: ptr(at(time.Hour)), a2.ID: ptr(at(3 * time.Hour)),
		a3.ID: nil, a4.ID: ptr(at(3 * time.Hour)), b1.ID: nil} {
		got, err := r.sessions.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, want, got.RevokedAt, "session %s", id)
	}

	// Without Keep, all of them.
	n, err = r.sessions.Revoke(ctx, ports.Revocation{UserID: alice.ID, At: at(4 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, []string{a3.ID}, n)

	n, err = r.sessions.Revoke(ctx, ports.Revocation{SessionID: "missing", At: at(0)})
	require.NoError(t, err)
	assert.Empty(t, n)
	_, err = r.sessions.Revoke(ctx, ports.Revocation{At: at(0)})
	assertKind(t, err, fault.Invalid)
}

func testSessionListActive(t *testing.T, r *repos) {
	ctx := context.Background()
	alice := newUser(t, r, "alice", identity.RoleStudent, nil)
	bob := newUser(t, r, "bob", identity.RoleStudent, nil)
	oldest := newSession(t, r, "s1", alice.ID, at(0))
	newest := newSession(t, r, "s2", alice.ID, at(2*time.Hour))
	middle := newSession(t, r, "s3", alice.ID, at(time.Hour))
	revoked := newSession(t, r, "s4", alice.ID, at(3*time.Hour))
	_, err := r.sessions.Revoke(ctx, ports.Revocation{SessionID: revoked.ID, At: at(3 * time.Hour)})
	require.NoError(t, err)
	expired := identity.Session{ID: "s5", UserID: alice.ID, RefreshJTI: "j", RotatedAt: at(0), CreatedAt: at(4 * time.Hour),
		LastUsedAt: at(0), ExpiresAt: at(5 * time.Hour)}
	require.NoError(t, r.sessions.Create(ctx, expired))
	newSession(t, r, "s6", bob.ID, at(time.Hour))

	now := at(6 * time.Hour)
	list, err := r.sessions.ListActive(ctx, alice.ID, now)
	require.NoError(t, err)
	got := make([]string, len(list))
	for i, s := range list {
		got[i] = s.ID
		assert.True(t, s.Active(now))
	}
	assert.Equal(t, []string{newest.ID, middle.ID, oldest.ID}, got)
	assert.Equal(t, newest, list[0])

	// expires_at is exclusive: a session expiring exactly now is over.
	list, err = r.sessions.ListActive(ctx, alice.ID, oldest.ExpiresAt)
	require.NoError(t, err)
	assert.Len(t, list, 2)

	list, err = r.sessions.ListActive(ctx, alice.ID+bob.ID+100, now)
	require.NoError(t, err)
	assert.Empty(t, list)
}

func testSessionPrincipal(t *testing.T, r *repos) {
	ctx := context.Background()
	s := newStudent(t, r, "CS-001", nil)
	u := newUser(t, r, "alice", identity.RoleStudent, func(u *identity.User) { u.StudentID = &s.ID })
	sess := newSession(t, r, "sess-1", u.ID, at(0))

	p, err := r.sessions.Principal(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, identity.Principal{UserID: u.ID, Username: "alice", Role: identity.RoleStudent,
		StudentID: &s.ID, IsActive: true, Revoked: false, ExpiresAt: sess.ExpiresAt}, p)

	// It reflects the user's current state...
	_, err = r.users.Update(ctx, u.ID, func(x *identity.User) error {
		x.Role, x.IsActive, x.StudentID = identity.RoleStaff, false, nil
		return nil
	})
	require.NoError(t, err)
	// ...and the session's.
	_, err = r.sessions.Revoke(ctx, ports.Revocation{SessionID: sess.ID, At: at(time.Hour)})
	require.NoError(t, err)
	p, err = r.sessions.Principal(ctx, sess.ID)
	require.NoError(t, err)
	assert.Equal(t, identity.Principal{UserID: u.ID, Username: "alice", Role: identity.RoleStaff,
		IsActive: false, Revoked: true, ExpiresAt: sess.ExpiresAt}, p)

	_, err = r.sessions.Principal(ctx, "missing")
	assertKind(t, err, fault.NotFound)
}

// --- login attempts ---------------------------------------------------------

func testLoginAttempts(t *testing.T, r *repos) {
	ctx := context.Background()
	policy := identity.LockoutPolicy{MaxFailures: 2, Base: time.Minute, Max: 15 * time.Minute}

	var seen identity.LoginAttempts
	a, err := r.attempts.Update(ctx, "Alice", func(x *identity.LoginAttempts) error {
		seen = *x
		policy.Fail(x, at(0))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, identity.LoginAttempts{Username: "alice"}, seen, "an unknown name starts from zero")
	assert.Equal(t, identity.LoginAttempts{Username: "alice", Failures: 1}, a)

	// The key ignores case.
	a, err = r.attempts.Update(ctx, "ALICE", func(x *identity.LoginAttempts) error {
		policy.Fail(x, at(time.Second))
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 0, a.Failures)
	assert.Equal(t, 1, a.Lockouts)
	require.NotNil(t, a.LockedUntil)
	assert.Equal(t, at(time.Second+time.Minute), *a.LockedUntil)

	// fn's error aborts without saving.
	_, err = r.attempts.Update(ctx, "alice", func(x *identity.LoginAttempts) error {
		x.Lockouts = 99
		return errVeto
	})
	assert.Same(t, errVeto, err)
	a, err = r.attempts.Update(ctx, "alice", func(x *identity.LoginAttempts) error {
		seen = *x
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 1, seen.Lockouts)
	require.NotNil(t, seen.LockedUntil)
	assert.Equal(t, at(time.Second+time.Minute), *seen.LockedUntil)

	a, err = r.attempts.Update(ctx, "alice", func(x *identity.LoginAttempts) error {
		policy.Succeed(x)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, identity.LoginAttempts{Username: "alice"}, a)

	// An aborted first update for an unknown name leaves no trace either.
	_, err = r.attempts.Update(ctx, "bob", func(x *identity.LoginAttempts) error { x.Failures = 5; return errVeto })
	assert.Same(t, errVeto, err)
	_, err = r.attempts.Update(ctx, "bob", func(x *identity.LoginAttempts) error {
		assert.Zero(t, x.Failures)
		return nil
	})
	require.NoError(t, err)
}

func testLoginAttemptsConcurrent(t *testing.T, r *repos) {
	ctx := context.Background()
	const n = 20
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			name := "NewUser"
			if i%2 == 0 {
				name = "newuser"
			}
			_, err := r.attempts.Update(ctx, name, func(x *identity.LoginAttempts) error {
				x.Failures++
				return nil
			})
			errs <- err
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	a, err := r.attempts.Update(ctx, "newuser", func(*identity.LoginAttempts) error { return nil })
	require.NoError(t, err)
	assert.Equal(t, n, a.Failures, "no concurrent failure is lost")
}

// --- audit ------------------------------------------------------------------

func testAudit(t *testing.T, r *repos) {
	ctx := context.Background()
	admin, staff := int64(1), int64(2)
	entries := []audit.Entry{
		{At: base, ActorID: &admin, ActorRole: "admin", Action: audit.ActionCreate, Resource: "student", ResourceID: "1",
			IP: "10.0.0.1", RequestID: "req-1", After: map[string]any{"name": "Ada", "semester": 3.0, "email": nil,
				"tags": []any{"a", "b"}, "nested": map[string]any{"ok": true}}},
		{At: base.Add(time.Minute), ActorID: &staff, ActorRole: "staff", Action: audit.ActionUpdate, Resource: "student", ResourceID: "1",
			Before: map[string]any{"name": "Ada"}, After: map[string]any{"name": "Ada L."}},
		{At: base.Add(2 * time.Minute), Action: audit.ActionLoginFailed, Resource: "user", ResourceID: "ghost"},
		{At: base.Add(3 * time.Minute), ActorID: &admin, ActorRole: "admin", Action: audit.ActionDelete, Resource: "student", ResourceID: "1",
			Before: map[string]any{"name": "Ada L."}},
	}
	// One on its own, the rest in one statement, in order.
	require.NoError(t, r.audit.Record(ctx, entries[0]))
	require.NoError(t, r.audit.RecordMany(ctx, nil))
	require.NoError(t, r.audit.RecordMany(ctx, entries[1:]))

	list := func(f audit.Filter, p page.Request) page.Result[audit.Entry] {
		t.Helper()
		res, err := r.audit.List(ctx, f, p)
		require.NoError(t, err)
		return res
	}
	actions := func(res page.Result[audit.Entry]) []string {
		out := make([]string, len(res.Items))
		for i, e := range res.Items {
			out[i] = e.Action
		}
		return out
	}
	all := page.Request{Limit: 50}

	res := list(audit.Filter{}, all)
	require.Len(t, res.Items, 4)
	assert.Equal(t, 4, res.Total)
	for i, e := range res.Items {
		want := entries[i]
		want.ID = e.ID
		want.At = want.At.Truncate(time.Microsecond)
		assert.Equal(t, want, e, "entry %d round-trips", i)
		if i > 0 {
			assert.Greater(t, e.ID, res.Items[i-1].ID)
		}
	}
	assert.Nil(t, res.Items[0].Before, "an absent map stays nil")
	raw, err := json.Marshal(res.Items[0].After)
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"Ada","semester":3,"email":null,"tags":["a","b"],"nested":{"ok":true}}`, string(raw))

	assert.Equal(t, []string{"create", "delete"}, actions(list(audit.Filter{ActorID: &admin}, all)))
	assert.Equal(t, []string{"update"}, actions(list(audit.Filter{Action: audit.ActionUpdate}, all)))
	assert.Equal(t, []string{"auth.login_failed"}, actions(list(audit.Filter{Resource: "user"}, all)))
	// From and To are inclusive, to the microsecond.
	from, to := base.Add(time.Minute).Truncate(time.Microsecond), base.Add(2*time.Minute).Truncate(time.Microsecond)
	assert.Equal(t, []string{"update", "auth.login_failed"}, actions(list(audit.Filter{From: &from, To: &to}, all)))
	justAfter := to.Add(time.Microsecond)
	assert.Equal(t, []string{"delete"}, actions(list(audit.Filter{From: &justAfter}, all)))
	assert.Equal(t, []string{"delete"}, actions(list(audit.Filter{From: &from, Resource: "student", ActorID: &admin}, all)))

	res = list(audit.Filter{}, page.Request{Limit: 2, Offset: 1})
	assert.Equal(t, []string{"update", "auth.login_failed"}, actions(res))
	assert.Equal(t, 4, res.Total)
}

// --- migrations -------------------------------------------------------------

func testMigrations(t *testing.T, r *repos) {
	ctx := context.Background()
	status, err := store.MigrationStatus(ctx, r.db)
	require.NoError(t, err)
	require.NotEmpty(t, status)
	names := make([]string, len(status))
	for i, m := range status {
		names[i] = m.Name
		assert.True(t, m.Applied, m.Name)
		assert.Equal(t, int64(1), m.Group, m.Name)
		assert.False(t, m.MigratedAt.IsZero())
	}
	// Every embedded migration, in order (later slices add more).
	assert.True(t, sort.StringsAreSorted(names), names)
	assert.Subset(t, names, []string{"0001_students", "0002_users", "0003_sessions", "0004_audit_logs", "0005_outbox"})
	assert.Equal(t, "0001_students", names[0])

	// Migrating again is a no-op.
	require.NoError(t, store.Migrate(ctx, r.db))
	newStudent(t, r, "CS-001", nil)

	// Down removes the last group: every table is gone.
	require.NoError(t, store.MigrateDown(ctx, r.db))
	status, err = store.MigrationStatus(ctx, r.db)
	require.NoError(t, err)
	for _, m := range status {
		assert.False(t, m.Applied, m.Name)
		assert.Zero(t, m.Group)
	}
	_, err = r.students.List(ctx, student.Filter{}, page.Request{Limit: 1})
	require.Error(t, err, "the students table is gone")

	// Up again gives an empty, working schema.
	require.NoError(t, store.Migrate(ctx, r.db))
	status, err = store.MigrationStatus(ctx, r.db)
	require.NoError(t, err)
	for _, m := range status {
		assert.True(t, m.Applied, m.Name)
	}
	res, err := r.students.List(ctx, student.Filter{}, page.Request{Limit: 1})
	require.NoError(t, err)
	assert.Zero(t, res.Total)
	newStudent(t, r, "CS-001", nil)
}
