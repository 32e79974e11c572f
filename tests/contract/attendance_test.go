package contract_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/uptrace/bun"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// attendanceRepos is a migrated database seen through the attendance ports.
type attendanceRepos struct {
	*repos
	records  ports.AttendanceRepository
	checkins ports.CheckInRepository
	roster   ports.Roster
}

func day(s string) attendance.Date {
	d, err := attendance.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// TestAttendanceStore runs every case on every database, each on a fresh one.
func TestAttendanceStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *attendanceRepos)
	}{
		{"RecordCRUD", testAttendanceCRUD},
		{"UniqueStudentDateSession", testAttendanceUnique},
		{"UnknownStudentIsInvalid", testAttendanceUnknownStudent},
		{"ListAndCount", testAttendanceListCount},
		{"UpsertCountsCreatedAndUpdated", testAttendanceUpsert},
		{"UpsertChunks", testAttendanceUpsertChunks},
		{"MarkerMustExist", testAttendanceMarkerMustExist},
		{"RosterMissing", testRosterMissing},
		{"SessionsAndAttempts", testCheckInSessions},
		{"CheckInUniqueUnderRace", testCheckInRace},
		{"Live", testCheckInLive},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, &attendanceRepos{repos: r, records: store.NewAttendanceRepository(r.db),
						checkins: store.NewCheckInRepository(r.db), roster: store.NewRoster(r.db)})
				})
			}
		})
	}
}

func mark(t *testing.T, r *attendanceRepos, studentID int64, date, session string, st attendance.Status) attendance.Record {
	t.Helper()
	rec := attendance.Record{StudentID: studentID, Date: day(date), Session: session, Status: st, CreatedAt: base, UpdatedAt: base}
	require.NoError(t, r.records.Create(context.Background(), &rec))
	require.NotZero(t, rec.ID)
	return rec
}

func testAttendanceCRUD(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	s := newStudent(t, r.repos, "A-1", nil)
	u := newUser(t, r.repos, "marker", "staff", nil)
	rec := attendance.Record{StudentID: s.ID, Date: day("2026-02-28"), Session: "daily", Status: attendance.Late, Remarks: "bus",
		MarkedBy: &u.ID, CreatedAt: at(0), UpdatedAt: at(0)}
	require.NoError(t, r.records.Create(ctx, &rec))
	got, err := r.records.Get(ctx, rec.ID)
	require.NoError(t, err)
	assert.Equal(t, rec, got, "what is written is read back: date, times, marked_by")

	updated, err := r.records.Update(ctx, rec.ID, func(x *attendance.Record) error {
		x.Status, x.UpdatedAt = attendance.Excused, at(time.Minute)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, attendance.Excused, updated.Status)
	got, _ = r.records.Get(ctx, rec.ID)
	assert.Equal(t, updated, got)

	boom := fault.New(fault.Invalid, "nope")
	_, err = r.records.Update(ctx, rec.ID, func(*attendance.Record) error { return boom })
	assert.ErrorIs(t, err, boom)

	require.NoError(t, r.records.Delete(ctx, rec.ID))
	_, err = r.records.Get(ctx, rec.ID)
	assertKind(t, err, fault.NotFound)
	assertKind(t, r.records.Delete(ctx, rec.ID), fault.NotFound)
	_, err = r.records.Update(ctx, rec.ID, func(*attendance.Record) error { return nil })
	assertKind(t, err, fault.NotFound)
}

func testAttendanceUnique(t *testing.T, r *attendanceRepos) {
	s := newStudent(t, r.repos, "A-1", nil)
	mark(t, r, s.ID, "2026-11-27", "daily", attendance.Present)
	mark(t, r, s.ID, "2026-11-27", "CS101", attendance.Present) // another session
	mark(t, r, s.ID, "2026-11-28", "daily", attendance.Present) // another day
	dup := attendance.Record{StudentID: s.ID, Date: day("2026-11-27"), Session: "daily", Status: attendance.Absent}
	assertKind(t, r.records.Create(context.Background(), &dup), fault.Conflict)
	// An edit into an existing (student, date, session) is a conflict too.
	other := mark(t, r, s.ID, "2026-11-29", "daily", attendance.Present)
	_, err := r.records.Update(context.Background(), other.ID, func(x *attendance.Record) error {
		x.Date = day("2026-11-27")
		return nil
	})
	assertKind(t, err, fault.Conflict)
}

func testAttendanceUnknownStudent(t *testing.T, r *attendanceRepos) {
	rec := attendance.Record{StudentID: 999, Date: day("2026-11-27"), Session: "daily", Status: attendance.Absent}
	assertKind(t, r.records.Create(context.Background(), &rec), fault.Invalid)
}

func testAttendanceListCount(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	a := newStudent(t, r.repos, "A-1", nil)
	b := newStudent(t, r.repos, "B-1", nil)
	mark(t, r, a.ID, "2026-11-01", "daily", attendance.Present)
	mark(t, r, a.ID, "2026-11-02", "daily", attendance.Late)
	mark(t, r, a.ID, "2026-11-03", "daily", attendance.Absent)
	mark(t, r, a.ID, "2026-11-03", "lab", attendance.Excused)
	mark(t, r, b.ID, "2026-11-02", "daily", attendance.Present)

	from, to := day("2026-11-02"), day("2026-11-03")
	res, err := r.records.List(ctx, attendance.Filter{StudentID: &a.ID, From: &from, To: &to}, page.Request{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Total, "from and to are inclusive")
	require.Len(t, res.Items, 2)
	assert.Less(t, res.Items[0].ID, res.Items[1].ID, "ordered by id")
	res, _ = r.records.List(ctx, attendance.Filter{Status: attendance.Present}, page.Request{Limit: 50})
	assert.Equal(t, 2, res.Total)
	res, _ = r.records.List(ctx, attendance.Filter{Session: "lab"}, page.Request{Limit: 50})
	assert.Equal(t, 1, res.Total)
	res, _ = r.records.List(ctx, attendance.Filter{}, page.Request{Limit: 50, Offset: 4})
	assert.Len(t, res.Items, 1)

	c, err := r.records.Count(ctx, attendance.Filter{StudentID: &a.ID})
	require.NoError(t, err)
	assert.Equal(t, attendance.Counts{attendance.Present: 1, attendance.Late: 1, attendance.Absent: 1, attendance.Excused: 1}, c)
	c, _ = r.records.Count(ctx, attendance.Filter{From: &to})
	assert.Equal(t, attendance.Counts{attendance.Absent: 1, attendance.Excused: 1}, c)
}

func testAttendanceUpsert(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	a := newStudent(t, r.repos, "A-1", nil)
	b := newStudent(t, r.repos, "B-1", nil)
	c := newStudent(t, r.repos, "C-1", nil)
	u := newUser(t, r.repos, "marker", "staff", nil)
	old := mark(t, r, a.ID, "2026-11-27", "CS101", attendance.Absent)
	mark(t, r, b.ID, "2026-11-27", "CS101", attendance.Present)

	batch := attendance.Batch{Date: day("2026-11-27"), Session: "CS101", Entries: []attendance.Entry{
		{StudentID: c.ID, Status: attendance.Late, Remarks: "new"},
		{StudentID: a.ID, Status: attendance.Present},
		{StudentID: b.ID, Status: attendance.Present},
	}}
	var out []attendance.Upserted
	require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		out, err = r.records.Upsert(ctx, batch, &u.ID, at(time.Hour))
		return err
	}))
	require.Len(t, out, 3)
	assert.True(t, out[0].Created)
	assert.Nil(t, out[0].Previous)
	assert.Equal(t, c.ID, out[0].Record.StudentID)
	assert.False(t, out[1].Created)
	require.NotNil(t, out[1].Previous)
	assert.Equal(t, attendance.Absent, out[1].Previous.Status)
	assert.Equal(t, old.ID, out[1].Record.ID, "an update keeps the record's id")
	assert.True(t, out[1].Changed())
	assert.False(t, out[2].Created)
	assert.False(t, out[2].Changed(), "same status and remarks")

	got, err := r.records.Get(ctx, old.ID)
	require.NoError(t, err)
	assert.Equal(t, attendance.Present, got.Status)
	assert.Equal(t, &u.ID, got.MarkedBy)
	assert.Equal(t, at(time.Hour), got.UpdatedAt)
	assert.Equal(t, base.Truncate(time.Microsecond), got.CreatedAt, "created_at survives the overwrite")
	assert.Equal(t, out[1].Record, got)
	created, err := r.records.Get(ctx, out[0].Record.ID)
	require.NoError(t, err)
	assert.Equal(t, "new", created.Remarks)

	// The same batch again creates nothing.
	out, err = r.records.Upsert(ctx, batch, &u.ID, at(2*time.Hour))
	require.NoError(t, err)
	for _, x := range out {
		assert.False(t, x.Created)
	}
	res, _ := r.records.List(ctx, attendance.Filter{}, page.Request{Limit: 50})
	assert.Equal(t, 3, res.Total)
}

// testAttendanceMarkerMustExist: who marked a record (marked_by) must be
// a user, on every path that writes it; a refused write changes nothing;
// deleting the user clears it from the records; and a user cannot be
// deleted from under a marking transaction (PostgreSQL checks this once
// per statement, not with a foreign key: migration 0025).
func testAttendanceMarkerMustExist(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	u := newUser(t, r.repos, "marker", "staff", nil)
	ghost := u.ID + 1000
	const n = 100 // enough for the bulk path's plain INSERT
	entries := make([]attendance.Entry, n)
	for i := range entries {
		entries[i] = attendance.Entry{StudentID: newStudent(t, r.repos, fmt.Sprintf("M-%03d", i), nil).ID, Status: attendance.Present}
	}
	batch := attendance.Batch{Date: day("2026-11-27"), Session: "daily", Entries: entries}
	count := func() int {
		d := batch.Date
		res, err := r.records.List(ctx, attendance.Filter{From: &d, To: &d}, page.Request{Limit: 1})
		require.NoError(t, err)
		return res.Total
	}

	rec := attendance.Record{StudentID: entries[0].StudentID, Date: day("2026-11-26"), Session: "daily", Status: attendance.Late,
		MarkedBy: &ghost, CreatedAt: base, UpdatedAt: base}
	assertKind(t, r.records.Create(ctx, &rec), fault.Invalid)
	_, err := r.records.Upsert(ctx, batch, &ghost, at(0))
	assertKind(t, err, fault.Invalid)
	_, err = r.records.Upsert(ctx, attendance.Batch{Date: batch.Date, Session: "one", Entries: entries[:1]}, &ghost, at(0))
	assertKind(t, err, fault.Invalid)
	assert.Zero(t, count(), "a refused insert leaves nothing")

	out, err := r.records.Upsert(ctx, batch, &u.ID, at(0))
	require.NoError(t, err)
	require.Len(t, out, n)
	// Overwrites check the marker too.
	changed := append([]attendance.Entry(nil), entries...)
	for i := range changed {
		changed[i].Status = attendance.Absent
	}
	_, err = r.records.Upsert(ctx, attendance.Batch{Date: batch.Date, Session: batch.Session, Entries: changed}, &ghost, at(time.Minute))
	assertKind(t, err, fault.Invalid)
	got, err := r.records.Get(ctx, out[0].Record.ID)
	require.NoError(t, err)
	assert.Equal(t, attendance.Present, got.Status, "a refused overwrite changes nothing")
	assert.Equal(t, &u.ID, got.MarkedBy)

	if r.db.Dialect() == "postgres" {
		// A marking transaction holds its marker: deleting the user waits.
		other := newUser(t, r.repos, "other", "staff", nil)
		marked, release := make(chan error, 1), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- r.tx.InTx(ctx, func(ctx context.Context) error {
				_, err := r.records.Upsert(ctx, attendance.Batch{Date: day("2026-11-28"), Session: "daily", Entries: entries}, &other.ID, at(0))
				marked <- err
				<-release
				return err
			})
		}()
		require.NoError(t, <-marked)
		err := r.db.Bun().RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			if _, err := tx.ExecContext(ctx, "SET LOCAL lock_timeout = '200ms'"); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, "DELETE FROM users WHERE id = ?", other.ID)
			return err
		})
		require.Error(t, err, "the user was deleted while a transaction marked with it")
		assert.Contains(t, err.Error(), "lock timeout")
		close(release)
		require.NoError(t, <-done)
		_, err = r.db.Bun().NewRaw("DELETE FROM users WHERE id = ?", other.ID).Exec(ctx)
		require.NoError(t, err)
		d := day("2026-11-28")
		res, err := r.records.List(ctx, attendance.Filter{From: &d, To: &d}, page.Request{Limit: n})
		require.NoError(t, err)
		require.Len(t, res.Items, n)
		for _, x := range res.Items {
			require.Nil(t, x.MarkedBy, "deleting the user clears it from what it marked")
		}
	}

	// Deleting a user clears it from the records it marked.
	_, err = r.db.Bun().NewRaw("DELETE FROM users WHERE id = ?", u.ID).Exec(ctx)
	require.NoError(t, err)
	got, err = r.records.Get(ctx, out[0].Record.ID)
	require.NoError(t, err)
	assert.Nil(t, got.MarkedBy)
	assert.Equal(t, n, count())
}

// testAttendanceUpsertChunks upserts more rows than one statement carries.
func testAttendanceUpsertChunks(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	const n = 2300
	ids := make([]int64, n)
	require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error {
		for i := range ids {
			s, err := student.New(student.Fields{Name: "S", RollNo: fmt.Sprintf("R-%05d", i), Department: "CSE", Semester: 1})
			if err != nil {
				return err
			}
			if err := r.students.Create(ctx, &s); err != nil {
				return err
			}
			ids[i] = s.ID
		}
		return nil
	}))
	entries := make([]attendance.Entry, n)
	for i, id := range ids {
		entries[i] = attendance.Entry{StudentID: id, Status: attendance.Present}
	}
	// A third exist beforehand: they come back as updates, the rest as creations.
	_, err := r.records.Upsert(ctx, attendance.Batch{Date: day("2026-11-27"), Session: "daily", Entries: entries[:n/3]}, nil, at(0))
	require.NoError(t, err)
	out, err := r.records.Upsert(ctx, attendance.Batch{Date: day("2026-11-27"), Session: "daily", Entries: entries}, nil, at(time.Minute))
	require.NoError(t, err)
	require.Len(t, out, n)
	created := 0
	for i, u := range out {
		require.Equal(t, ids[i], u.Record.StudentID, "results come back in the batch's order")
		if u.Created {
			created++
		}
	}
	assert.Equal(t, n-n/3, created)
	c, err := r.records.Count(ctx, attendance.Filter{})
	require.NoError(t, err)
	assert.Equal(t, n, c[attendance.Present])
}

func testRosterMissing(t *testing.T, r *attendanceRepos) {
	a := newStudent(t, r.repos, "A-1", nil)
	missing, err := r.roster.Missing(context.Background(), []int64{a.ID + 7, a.ID, a.ID + 3, a.ID + 3})
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID + 3, a.ID + 7}, missing)
	missing, err = r.roster.Missing(context.Background(), nil)
	require.NoError(t, err)
	assert.Empty(t, missing)
}

func newCheckInSession(t *testing.T, r *attendanceRepos, mod func(*attendance.Session)) attendance.Session {
	t.Helper()
	s := attendance.Session{Name: "CS101", Date: day("2026-11-27"), StartsAt: at(0), EndsAt: at(time.Hour), CreatedAt: at(0)}
	if mod != nil {
		mod(&s)
	}
	require.NoError(t, r.checkins.CreateSession(context.Background(), &s))
	require.NotZero(t, s.ID)
	return s
}

func testCheckInSessions(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	u := newUser(t, r.repos, "teacher", "staff", nil)
	s := newCheckInSession(t, r, func(s *attendance.Session) {
		s.Audience = attendance.Audience{Department: "CSE", Semester: ptr(3), Section: "A"}
		s.Geofence = &attendance.Geofence{Latitude: 12.97, Longitude: 77.59, RadiusM: 75.5}
		s.CreatedBy = &u.ID
	})
	got, err := r.checkins.GetSession(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, s, got)
	_, err = r.checkins.GetSession(ctx, s.ID+1)
	assertKind(t, err, fault.NotFound)

	closed, err := r.checkins.UpdateSession(ctx, s.ID, func(x *attendance.Session) error { return x.Close(at(time.Minute)) })
	require.NoError(t, err)
	require.NotNil(t, closed.ClosedAt)
	assert.Equal(t, at(time.Minute), *closed.ClosedAt)
	_, err = r.checkins.UpdateSession(ctx, s.ID, func(x *attendance.Session) error { return x.Close(at(time.Hour)) })
	assertKind(t, err, fault.Conflict)

	st := newStudent(t, r.repos, "A-1", nil)
	for i, reason := range []attendance.Reason{attendance.ReasonExpiredCode, attendance.ReasonOutsideGeofence, attendance.ReasonClosed} {
		a := attendance.Attempt{SessionID: s.ID, UserID: u.ID, StudentID: &st.ID, Reason: reason, Detail: "why",
			Latitude: ptr(1.5), At: at(time.Duration(i) * time.Second)}
		require.NoError(t, r.checkins.CreateAttempt(ctx, &a))
		require.NotZero(t, a.ID)
	}
	other := newCheckInSession(t, r, nil)
	require.NoError(t, r.checkins.CreateAttempt(ctx, &attendance.Attempt{SessionID: other.ID, Reason: attendance.ReasonInvalidCode, At: at(0)}))
	res, err := r.checkins.Attempts(ctx, s.ID, page.Request{Limit: 2})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Total)
	require.Len(t, res.Items, 2)
	first := res.Items[0]
	assert.Equal(t, attendance.ReasonExpiredCode, first.Reason)
	assert.Equal(t, u.ID, first.UserID)
	assert.Equal(t, &st.ID, first.StudentID)
	assert.Equal(t, ptr(1.5), first.Latitude)
	assert.Nil(t, first.Longitude)
	assert.Equal(t, at(0), first.At)
}

// testCheckInRace: many simultaneous check-ins of one student to one
// session; the unique key lets exactly one through.
func testCheckInRace(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	s := newCheckInSession(t, r, nil)
	st := newStudent(t, r.repos, "A-1", nil)
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = r.tx.InTx(ctx, func(ctx context.Context) error {
				return r.checkins.CreateCheckIn(ctx, &attendance.CheckIn{SessionID: s.ID, StudentID: st.ID, Status: attendance.Present, At: at(0)})
			})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
			continue
		}
		assertKind(t, err, fault.Conflict)
	}
	assert.Equal(t, 1, ok)
	other := newStudent(t, r.repos, "B-1", nil)
	require.NoError(t, r.checkins.CreateCheckIn(ctx, &attendance.CheckIn{SessionID: s.ID, StudentID: other.ID, Status: attendance.Late, At: at(0)}))
}

func testCheckInLive(t *testing.T, r *attendanceRepos) {
	ctx := context.Background()
	inA := func(f *student.Fields) { f.Department, f.Semester, f.Section = "CSE", 3, "A" }
	s1 := newStudent(t, r.repos, "A-1", inA)
	s2 := newStudent(t, r.repos, "A-2", inA)
	newStudent(t, r.repos, "A-3", inA)
	gone := newStudent(t, r.repos, "A-4", func(f *student.Fields) { inA(f); f.Status = "inactive" })
	outsider := newStudent(t, r.repos, "B-1", func(f *student.Fields) { f.Department = "ECE" })
	sess := newCheckInSession(t, r, func(s *attendance.Session) {
		s.Audience = attendance.Audience{Department: "cse", Semester: ptr(3), Section: "A"}
	})
	mark(t, r, s1.ID, "2026-11-27", "CS101", attendance.Present)
	mark(t, r, s2.ID, "2026-11-27", "CS101", attendance.Late)
	mark(t, r, gone.ID, "2026-11-27", "CS101", attendance.Present)     // not active: not counted
	mark(t, r, outsider.ID, "2026-11-27", "CS101", attendance.Present) // not in the audience
	mark(t, r, s1.ID, "2026-11-26", "CS101", attendance.Present)       // another day
	l, err := r.checkins.Live(ctx, sess)
	require.NoError(t, err)
	assert.Equal(t, attendance.Live{Expected: 3, Present: 1, Late: 1, Absent: 1}, l)

	all := newCheckInSession(t, r, nil)
	l, err = r.checkins.Live(ctx, all)
	require.NoError(t, err)
	assert.Equal(t, 4, l.Expected, "no filters: every active student")
	assert.Equal(t, 2, l.Present)
}
