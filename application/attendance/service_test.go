package attendance_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/attendance"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

var (
	// now is 23:30 UTC: already the next day in the campus zone (+05:30),
	// so a default date taken in UTC would be caught.
	now    = time.Date(2026, 11, 27, 23, 30, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
	secret = []byte("unit-test-secret-that-is-32-bytes-long")
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
	repo     *mocks.AttendanceRepository
	checkins *mocks.CheckInRepository
	roster   *mocks.Roster
	students *mocks.StudentRepository
	audit    *mocks.AuditLog
	outbox   *mocks.Outbox
	svc      *app.Service
	loc      *time.Location
	entries  []audit.Entry
	events   []event.Event
	appends  int
	txs      []string
}

func newFixture(t *testing.T) *fixture {
	loc := time.FixedZone("IST", 5*3600+1800)
	f := &fixture{repo: mocks.NewAttendanceRepository(t), checkins: mocks.NewCheckInRepository(t), roster: mocks.NewRoster(t),
		students: mocks.NewStudentRepository(t), audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t), loc: loc}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	n := 0
	ids.EXPECT().NewID().RunAndReturn(func() string { n++; return fmt.Sprintf("ev-%d", n) }).Maybe()
	f.svc = app.NewService(app.Config{Location: loc, Secret: secret, QRRotate: 30 * time.Second, LateAfter: 15 * time.Minute},
		app.Deps{Repo: f.repo, CheckIns: f.checkins, Roster: f.roster, Students: f.students, Audit: f.audit, Tx: tx,
			Clock: clock, Outbox: f.outbox, IDs: ids})
	return f
}

func (f *fixture) recordAudit() {
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	})
}

func (f *fixture) recordEvents() {
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.appends++
		f.events = append(f.events, evs...)
		return nil
	})
}

// expectAppend expects one outbox insert of exactly n events (the mock
// matches a variadic call argument by argument).
func (f *fixture) expectAppend(n int) {
	args := make([]any, n)
	for i := range args {
		args[i] = anyArg
	}
	f.outbox.EXPECT().Append(anyArg, args...).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.appends++
		f.events = append(f.events, evs...)
		return nil
	}).Once()
}

func (f *fixture) known(ids ...int64) {
	f.roster.EXPECT().Missing(anyArg, ids).Return(nil, nil).Once()
}

var campusToday = attendance.Date{Year: 2026, Month: time.November, Day: 28}

func stored() attendance.Record {
	return attendance.Record{ID: 11, StudentID: 7, Date: attendance.Date{Year: 2026, Month: 11, Day: 20}, Session: "daily",
		Status: attendance.Absent, Remarks: "sick?", MarkedBy: ptr[int64](2), CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
}

func TestMark(t *testing.T) {
	t.Run("defaults to today in the campus zone, audits and emits", func(t *testing.T) {
		f := newFixture(t)
		f.known(7)
		f.repo.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, r *attendance.Record) error {
			assert.Equal(t, campusToday, r.Date)
			assert.Equal(t, "daily", r.Session)
			assert.Equal(t, ptr[int64](3), r.MarkedBy)
			r.ID = 21
			return nil
		}).Once()
		f.recordEvents()
		f.recordAudit()
		r, err := f.svc.Mark(ctx, staffA, attendance.Fields{StudentID: 7, Status: "PRESENT"})
		require.NoError(t, err)
		assert.Equal(t, int64(21), r.ID)
		require.Len(t, f.events, 1)
		e := f.events[0]
		assert.Equal(t, event.AttendanceMarked, e.Type)
		assert.Equal(t, "21", e.AggregateID)
		for k, v := range map[string]any{"id": int64(21), "student_id": int64(7), "date": "2026-11-28", "session": "daily",
			"status": "present", "marked_by": int64(3)} {
			assert.Equal(t, v, e.Payload[k], k)
		}
		assert.NotContains(t, e.Payload, "previous_status")
		require.Len(t, f.entries, 1)
		assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
		assert.Nil(t, f.entries[0].Before)
		assert.Equal(t, "present", f.entries[0].After["status"])
		assert.Equal(t, []string{"commit"}, f.txs)
	})
	t.Run("unknown student is 422 naming student_id", func(t *testing.T) {
		f := newFixture(t)
		f.roster.EXPECT().Missing(anyArg, []int64{99}).Return([]int64{99}, nil).Once()
		_, err := f.svc.Mark(ctx, adminA, attendance.Fields{StudentID: 99, Status: "absent"})
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, fault.Invalid, fe.Kind)
		require.Len(t, fe.Fields, 1)
		assert.Equal(t, "student_id", fe.Fields[0].Field)
		assert.Contains(t, fe.Fields[0].Message, "99")
	})
	t.Run("duplicate is 409 and rolls back", func(t *testing.T) {
		f := newFixture(t)
		f.known(7)
		f.repo.EXPECT().Create(anyArg, anyArg).Return(fault.New(fault.Conflict, "Attendance record already exists")).Once()
		_, err := f.svc.Mark(ctx, staffA, attendance.Fields{StudentID: 7, Status: "absent"})
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.EqualError(t, err, "Attendance for this student, date and session is already marked")
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("outbox failure rolls back", func(t *testing.T) {
		f := newFixture(t)
		f.known(7)
		f.repo.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
		f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Mark(ctx, staffA, attendance.Fields{StudentID: 7, Status: "absent"})
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	for _, a := range []identity.Actor{studentA, guestA} {
		t.Run("denied to "+string(a.Role), func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Mark(ctx, a, attendance.Fields{StudentID: 7, Status: "absent"})
			assert.Equal(t, fault.Forbidden, fault.KindOf(err))
		})
	}
	t.Run("invalid fields touch nothing", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Mark(ctx, staffA, attendance.Fields{StudentID: 7, Status: "here"})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
}

func TestListScope(t *testing.T) {
	p := page.Request{Limit: 50}
	tests := []struct {
		name     string
		actor    identity.Actor
		filter   attendance.Filter
		wantOnly *int64
		repo     bool
		kind     fault.Kind
	}{
		{name: "staff sees all", actor: staffA, repo: true},
		{name: "staff filters by student", actor: staffA, filter: attendance.Filter{StudentID: ptr[int64](9)}, wantOnly: ptr[int64](9), repo: true},
		{name: "student sees own", actor: studentA, wantOnly: ptr[int64](7), repo: true},
		{name: "student asking for own", actor: studentA, filter: attendance.Filter{StudentID: ptr[int64](7)}, wantOnly: ptr[int64](7), repo: true},
		{name: "student asking for another gets nothing", actor: studentA, filter: attendance.Filter{StudentID: ptr[int64](8)}},
		{name: "unlinked student gets nothing", actor: actor(identity.RoleStudent, nil)},
		{name: "guest denied", actor: guestA, kind: fault.Forbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.repo {
				want := tt.filter
				want.StudentID = tt.wantOnly
				f.repo.EXPECT().List(anyArg, want, p).Return(page.Result[attendance.Record]{Items: []attendance.Record{stored()}, Total: 1, Request: p}, nil).Once()
			}
			res, err := f.svc.List(ctx, tt.actor, tt.filter, p)
			if tt.kind != 0 {
				assert.Equal(t, tt.kind, fault.KindOf(err))
				return
			}
			require.NoError(t, err)
			if !tt.repo {
				assert.NotNil(t, res.Items)
				assert.Zero(t, res.Total)
			}
		})
	}
}

func TestGet(t *testing.T) {
	tests := []struct {
		name    string
		actor   identity.Actor
		owner   int64
		repoErr error
		kind    fault.Kind
	}{
		{name: "staff", actor: staffA, owner: 9},
		{name: "student own", actor: studentA, owner: 7},
		{name: "student other is not found", actor: studentA, owner: 8, kind: fault.NotFound},
		{name: "missing", actor: staffA, repoErr: fault.New(fault.NotFound, "Attendance record not found"), kind: fault.NotFound},
		{name: "database down", actor: staffA, repoErr: errDB, kind: fault.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			r := stored()
			r.StudentID = tt.owner
			f.repo.EXPECT().Get(anyArg, int64(11)).Return(r, tt.repoErr).Once()
			got, err := f.svc.Get(ctx, tt.actor, 11)
			if tt.repoErr != nil || tt.kind != 0 {
				require.Error(t, err)
				assert.Equal(t, tt.kind, fault.KindOf(err))
				if tt.kind == fault.NotFound {
					assert.EqualError(t, err, "Attendance record not found")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, r, got)
		})
	}
	f := newFixture(t)
	_, err := f.svc.Get(ctx, guestA, 11)
	assert.Equal(t, fault.Forbidden, fault.KindOf(err))
}

// editing expects the repository's Update to run the closure on stored().
func (f *fixture) editing(r attendance.Record) {
	f.repo.EXPECT().Update(anyArg, r.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*attendance.Record) error) (attendance.Record, error) {
			cp := r
			if err := fn(&cp); err != nil {
				return attendance.Record{}, err
			}
			return cp, nil
		}).Once()
}

func TestEditKeepsPreviousValues(t *testing.T) {
	f := newFixture(t)
	f.editing(stored())
	f.recordEvents()
	f.recordAudit()
	r, err := f.svc.Patch(ctx, staffA, 11, attendance.Patch{Status: ptr("Excused"), Remarks: ptr("doctor's note")})
	require.NoError(t, err)
	assert.Equal(t, attendance.Excused, r.Status)
	assert.Equal(t, ptr[int64](3), r.MarkedBy, "the editor becomes marked_by")
	assert.Equal(t, now, r.UpdatedAt)
	require.Len(t, f.entries, 1)
	e := f.entries[0]
	assert.Equal(t, audit.ActionUpdate, e.Action)
	assert.Equal(t, "absent", e.Before["status"])
	assert.Equal(t, int64(2), e.Before["marked_by"])
	assert.Equal(t, "excused", e.After["status"])
	assert.Equal(t, int64(3), e.After["marked_by"])
	require.Len(t, f.events, 1)
	ev := f.events[0]
	assert.Equal(t, event.AttendanceChanged, ev.Type)
	assert.Equal(t, "absent", ev.Payload["before"].(map[string]any)["status"])
	assert.Equal(t, "excused", ev.Payload["after"].(map[string]any)["status"])
	assert.Equal(t, int64(3), ev.Payload["changed_by"])
}

func TestEditFailures(t *testing.T) {
	t.Run("student cannot edit", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Replace(ctx, studentA, 11, attendance.Fields{})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Update(anyArg, int64(11), anyArg).Return(attendance.Record{}, fault.New(fault.NotFound, "x")).Once()
		_, err := f.svc.Patch(ctx, staffA, 11, attendance.Patch{})
		assert.EqualError(t, err, "Attendance record not found")
	})
	t.Run("PUT without a date is invalid", func(t *testing.T) {
		f := newFixture(t)
		f.editing(stored())
		_, err := f.svc.Replace(ctx, staffA, 11, attendance.Fields{StudentID: 7, Status: "late"})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("moving to an unknown student is 422", func(t *testing.T) {
		f := newFixture(t)
		f.editing(stored())
		f.roster.EXPECT().Missing(anyArg, []int64{99}).Return([]int64{99}, nil).Once()
		_, err := f.svc.Patch(ctx, staffA, 11, attendance.Patch{StudentID: ptr[int64](99)})
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "student_id", fe.Fields[0].Field)
	})
	t.Run("colliding with another record is 409", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Update(anyArg, int64(11), anyArg).Return(attendance.Record{}, fault.New(fault.Conflict, "dup")).Once()
		_, err := f.svc.Patch(ctx, staffA, 11, attendance.Patch{Session: ptr("CS101")})
		assert.EqualError(t, err, "Attendance for this student, date and session is already marked")
	})
}

func TestDelete(t *testing.T) {
	f := newFixture(t)
	f.repo.EXPECT().Get(anyArg, int64(11)).Return(stored(), nil).Once()
	f.repo.EXPECT().Delete(anyArg, int64(11)).Return(nil).Once()
	f.recordEvents()
	f.recordAudit()
	require.NoError(t, f.svc.Delete(ctx, adminA, 11))
	assert.Equal(t, audit.ActionDelete, f.entries[0].Action)
	assert.Equal(t, "absent", f.entries[0].Before["status"])
	assert.Nil(t, f.entries[0].After)
	assert.Nil(t, f.events[0].Payload["after"])
	assert.Equal(t, "delete", f.events[0].Payload["action"])

	f = newFixture(t)
	f.repo.EXPECT().Get(anyArg, int64(12)).Return(attendance.Record{}, fault.New(fault.NotFound, "x")).Once()
	assert.EqualError(t, f.svc.Delete(ctx, staffA, 12), "Attendance record not found")
	f = newFixture(t)
	assert.Equal(t, fault.Forbidden, fault.KindOf(f.svc.Delete(ctx, studentA, 12)))
}

func TestSummary(t *testing.T) {
	counts := attendance.Counts{attendance.Present: 6, attendance.Late: 2, attendance.Absent: 2, attendance.Excused: 5}
	t.Run("student gets own", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Count(anyArg, attendance.Filter{StudentID: ptr[int64](7)}).Return(counts, nil).Once()
		s, err := f.svc.Summary(ctx, studentA, attendance.Filter{})
		require.NoError(t, err)
		require.NotNil(t, s.Rate)
		assert.InDelta(t, 0.8, *s.Rate, 1e-9)
		assert.Equal(t, 15, s.Total)
	})
	t.Run("student asking for another is not found", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Summary(ctx, studentA, attendance.Filter{StudentID: ptr[int64](8)})
		assert.Equal(t, fault.NotFound, fault.KindOf(err))
	})
	t.Run("nothing due: rate null", func(t *testing.T) {
		f := newFixture(t)
		f.repo.EXPECT().Count(anyArg, attendance.Filter{StudentID: ptr[int64](9)}).Return(attendance.Counts{attendance.Excused: 1}, nil).Once()
		s, err := f.svc.Summary(ctx, staffA, attendance.Filter{StudentID: ptr[int64](9)})
		require.NoError(t, err)
		assert.Nil(t, s.Rate)
	})
	t.Run("guest denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Summary(ctx, guestA, attendance.Filter{})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	})
}

func bulkFields(n int) attendance.BatchFields {
	f := attendance.BatchFields{Date: "2026-11-27", Session: "CS101"}
	for i := 1; i <= n; i++ {
		f.Records = append(f.Records, attendance.EntryFields{StudentID: int64(i), Status: "present"})
	}
	return f
}

func TestBulk(t *testing.T) {
	t.Run("one unknown student rejects the whole call", func(t *testing.T) {
		f := newFixture(t)
		f.roster.EXPECT().Missing(anyArg, mock.Anything).Return([]int64{2}, nil).Once()
		_, err := f.svc.Bulk(ctx, staffA, bulkFields(3))
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, fault.Invalid, fe.Kind)
		assert.Equal(t, "records[1].student_id", fe.Fields[0].Field)
		assert.Contains(t, fe.Fields[0].Message, "no student with id 2")
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("counts, events for changes only, chunked outbox, one audit entry", func(t *testing.T) {
		f := newFixture(t)
		const n = 2500
		f.roster.EXPECT().Missing(anyArg, mock.Anything).Return(nil, nil).Once()
		f.repo.EXPECT().Upsert(anyArg, anyArg, ptr[int64](3), now).RunAndReturn(
			func(_ context.Context, b attendance.Batch, _ *int64, _ time.Time) ([]attendance.Upserted, error) {
				assert.Equal(t, "2026-11-27", b.Date.String())
				assert.Equal(t, "CS101", b.Session)
				out := make([]attendance.Upserted, len(b.Entries))
				for i, e := range b.Entries {
					rec := attendance.Record{ID: int64(100 + i), StudentID: e.StudentID, Date: b.Date, Session: b.Session, Status: e.Status, MarkedBy: ptr[int64](3)}
					switch {
					case i < 2000:
						out[i] = attendance.Upserted{Record: rec, Created: true}
					case i < 2100: // re-marked with the same values: no event
						prev := rec
						out[i] = attendance.Upserted{Record: rec, Previous: &prev}
					default: // was absent
						prev := rec
						prev.Status = attendance.Absent
						out[i] = attendance.Upserted{Record: rec, Previous: &prev}
					}
				}
				return out, nil
			}).Once()
		f.expectAppend(1000)
		f.expectAppend(1000)
		f.expectAppend(400)
		f.recordAudit()
		res, err := f.svc.Bulk(ctx, staffA, bulkFields(n))
		require.NoError(t, err)
		assert.Equal(t, app.BulkResult{Created: 2000, Updated: 500}, res)
		assert.Len(t, f.events, 2400)
		assert.Equal(t, 3, f.appends, "2400 events in chunks of 1000")
		last := f.events[len(f.events)-1]
		assert.Equal(t, "absent", last.Payload["previous_status"])
		assert.NotContains(t, f.events[0].Payload, "previous_status")
		require.Len(t, f.entries, 1)
		assert.Equal(t, 2000, f.entries[0].After["created"])
		assert.Nil(t, f.entries[0].Before)
		assert.Len(t, f.entries[0].After["created_records"], 2000, "one [student_id, status] per created record")
		changed := f.entries[0].After["changed_records"].([][]any)
		assert.Len(t, changed, 400, "one [student_id, previous, new] per changed record; unchanged ones are left out")
		assert.Len(t, changed[0], 3)
		assert.Equal(t, []string{"commit"}, f.txs)
	})
	t.Run("invalid batch touches nothing", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Bulk(ctx, staffA, attendance.BatchFields{})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Bulk(ctx, studentA, bulkFields(1))
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	})
}

var sessStart = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC) // now is 30 min in

func openSession() attendance.Session {
	return attendance.Session{ID: 5, Name: "CS101", Date: campusToday, StartsAt: sessStart, EndsAt: sessStart.Add(2 * time.Hour),
		Audience: attendance.Audience{Department: "CSE"}}
}

func code(t *testing.T, sessionID int64, at time.Time) string {
	t.Helper()
	c, _ := attendance.IssueCode(app.CodeSigner(secret), sessionID, at, 30*time.Second)
	return c
}

func csStudent() student.Student {
	return student.Student{ID: 7, Department: "CSE", Semester: 3, Status: student.Active}
}

func TestCheckIn(t *testing.T) {
	t.Run("late after the grace, marks the record and emits", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(openSession(), nil).Once()
		f.students.EXPECT().Get(anyArg, int64(7)).Return(csStudent(), nil).Once()
		f.checkins.EXPECT().CreateCheckIn(anyArg, anyArg).RunAndReturn(func(_ context.Context, c *attendance.CheckIn) error {
			assert.Equal(t, attendance.Late, c.Status)
			assert.Equal(t, int64(7), c.StudentID)
			return nil
		}).Once()
		f.repo.EXPECT().Upsert(anyArg, attendance.Batch{Date: campusToday, Session: "CS101",
			Entries: []attendance.Entry{{StudentID: 7, Status: attendance.Late, Remarks: "QR check-in"}}}, ptr[int64](3), now).
			Return([]attendance.Upserted{{Record: attendance.Record{ID: 40, StudentID: 7, Status: attendance.Late}, Created: true}}, nil).Once()
		f.recordEvents()
		f.recordAudit()
		c, err := f.svc.CheckIn(ctx, studentA, app.CheckInRequest{Code: code(t, 5, now)})
		require.NoError(t, err)
		assert.Equal(t, int64(40), c.AttendanceID)
		assert.Equal(t, attendance.Late, c.Status)
		assert.Equal(t, event.AttendanceMarked, f.events[0].Type)
	})

	type refusal struct {
		name   string
		sess   func(*attendance.Session)
		code   func(t *testing.T) string
		in     app.CheckInRequest
		st     *student.Student
		reason attendance.Reason
		kind   fault.Kind
	}
	cases := []refusal{
		{name: "expired code", code: func(t *testing.T) string { return code(t, 5, now.Add(-time.Minute)) }, reason: attendance.ReasonExpiredCode, kind: fault.BadRequest},
		{name: "forged code", code: func(t *testing.T) string { c := code(t, 5, now); return c[:len(c)-2] + "AA" }, reason: attendance.ReasonInvalidCode, kind: fault.BadRequest},
		{name: "closed session", sess: func(s *attendance.Session) { s.ClosedAt = ptr(now) }, reason: attendance.ReasonClosed, kind: fault.BadRequest},
		{name: "before the window", sess: func(s *attendance.Session) { s.StartsAt = now.Add(time.Minute) }, reason: attendance.ReasonNotOpen, kind: fault.BadRequest},
		{name: "outside the geofence", sess: func(s *attendance.Session) { s.Geofence = &attendance.Geofence{RadiusM: 50} },
			in: app.CheckInRequest{Latitude: ptr(1.0), Longitude: ptr(1.0)}, reason: attendance.ReasonOutsideGeofence, kind: fault.BadRequest},
		{name: "location missing", sess: func(s *attendance.Session) { s.Geofence = &attendance.Geofence{RadiusM: 50} },
			reason: attendance.ReasonLocationRequired, kind: fault.BadRequest},
		{name: "not in the audience", st: &student.Student{ID: 7, Department: "Physics", Status: student.Active}, reason: attendance.ReasonNotInAudience, kind: fault.BadRequest},
	}
	for _, tt := range cases {
		t.Run(tt.name+" is refused and recorded", func(t *testing.T) {
			f := newFixture(t)
			s := openSession()
			if tt.sess != nil {
				tt.sess(&s)
			}
			f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(s, nil).Once()
			if tt.st != nil {
				f.students.EXPECT().Get(anyArg, int64(7)).Return(*tt.st, nil).Once()
			}
			var saved attendance.Attempt
			f.checkins.EXPECT().CreateAttempt(anyArg, anyArg).RunAndReturn(func(_ context.Context, a *attendance.Attempt) error {
				saved = *a
				a.ID = 1
				return nil
			}).Once()
			f.recordAudit()
			in := tt.in
			in.Code = code(t, 5, now)
			if tt.code != nil {
				in.Code = tt.code(t)
			}
			_, err := f.svc.CheckIn(ctx, studentA, in)
			assert.Equal(t, tt.kind, fault.KindOf(err), "%v", err)
			assert.Equal(t, tt.reason, saved.Reason)
			assert.Equal(t, int64(5), saved.SessionID)
			assert.Equal(t, int64(3), saved.UserID)
			assert.Equal(t, ptr[int64](7), saved.StudentID)
			assert.Equal(t, now, saved.At)
			assert.NotEmpty(t, saved.Detail)
			assert.Equal(t, "attendance_attempt", f.entries[0].Resource)
		})
	}

	t.Run("second check-in is 409 and recorded", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(openSession(), nil).Once()
		f.students.EXPECT().Get(anyArg, int64(7)).Return(csStudent(), nil).Once()
		f.checkins.EXPECT().CreateCheckIn(anyArg, anyArg).Return(fault.New(fault.Conflict, "Check-in already exists")).Once()
		f.checkins.EXPECT().CreateAttempt(anyArg, mock.MatchedBy(func(a *attendance.Attempt) bool {
			return a.Reason == attendance.ReasonDuplicate
		})).Return(nil).Once()
		f.recordAudit()
		_, err := f.svc.CheckIn(ctx, studentA, app.CheckInRequest{Code: code(t, 5, now)})
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.Equal(t, []string{"rollback", "commit"}, f.txs, "the check-in rolls back, the attempt commits")
	})
	t.Run("unknown session: 400, nothing to record against", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().GetSession(anyArg, int64(6)).Return(attendance.Session{}, fault.New(fault.NotFound, "x")).Once()
		_, err := f.svc.CheckIn(ctx, studentA, app.CheckInRequest{Code: code(t, 6, now)})
		assert.EqualError(t, err, "Invalid check-in code")
	})
	t.Run("garbage code: 400 without a read", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.CheckIn(ctx, studentA, app.CheckInRequest{Code: "not-a-code"})
		assert.Equal(t, fault.BadRequest, fault.KindOf(err))
	})
	t.Run("recording the refusal fails: the error surfaces", func(t *testing.T) {
		f := newFixture(t)
		s := openSession()
		s.ClosedAt = ptr(now)
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(s, nil).Once()
		f.checkins.EXPECT().CreateAttempt(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.CheckIn(ctx, studentA, app.CheckInRequest{Code: code(t, 5, now)})
		assert.ErrorIs(t, err, errDB)
	})
	for _, tt := range []struct {
		name string
		a    identity.Actor
		in   app.CheckInRequest
		kind fault.Kind
	}{
		{"staff cannot check in", staffA, app.CheckInRequest{Code: "x"}, fault.Forbidden},
		{"anonymous", identity.Anonymous(identity.Origin{}), app.CheckInRequest{Code: "x"}, fault.Unauthenticated},
		{"code required", studentA, app.CheckInRequest{}, fault.Invalid},
		{"coordinates out of range", studentA, app.CheckInRequest{Code: "x", Latitude: ptr(95.0)}, fault.Invalid},
		{"unlinked student", actor(identity.RoleStudent, nil), app.CheckInRequest{Code: "x"}, fault.BadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.CheckIn(ctx, tt.a, tt.in)
			assert.Equal(t, tt.kind, fault.KindOf(err), "%v", err)
		})
	}
}

func TestSessions(t *testing.T) {
	t.Run("open validates, stamps the creator and audits", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().CreateSession(anyArg, anyArg).RunAndReturn(func(_ context.Context, s *attendance.Session) error {
			assert.Equal(t, ptr[int64](3), s.CreatedBy)
			assert.Equal(t, campusToday, s.Date, "the date defaults to the campus day of starts_at")
			s.ID = 5
			return nil
		}).Once()
		f.recordAudit()
		s, err := f.svc.OpenSession(ctx, staffA, attendance.SessionFields{StartsAt: "2026-11-27T23:00:00Z", EndsAt: "2026-11-28T01:00:00Z"})
		require.NoError(t, err)
		assert.Equal(t, int64(5), s.ID)
		assert.Equal(t, "attendance_session", f.entries[0].Resource)
		_, err = f.svc.OpenSession(ctx, staffA, attendance.SessionFields{})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
		_, err = f.svc.OpenSession(ctx, studentA, attendance.SessionFields{})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	})
	t.Run("code verifies and expires at the rotation", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(openSession(), nil).Once()
		c, exp, err := f.svc.Code(ctx, staffA, 5)
		require.NoError(t, err)
		parsed, err := attendance.ParseCode(c)
		require.NoError(t, err)
		require.NoError(t, attendance.VerifyCode(app.CodeSigner(secret), parsed, now, 30*time.Second))
		assert.Equal(t, now.Add(30*time.Second), exp)
	})
	t.Run("no code for a closed session", func(t *testing.T) {
		f := newFixture(t)
		s := openSession()
		s.ClosedAt = ptr(now)
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(s, nil).Once()
		_, _, err := f.svc.Code(ctx, staffA, 5)
		assert.Equal(t, fault.BadRequest, fault.KindOf(err))
	})
	t.Run("missing session is 404", func(t *testing.T) {
		f := newFixture(t)
		f.checkins.EXPECT().GetSession(anyArg, int64(9)).Return(attendance.Session{}, fault.New(fault.NotFound, "x")).Once()
		_, err := f.svc.Live(ctx, staffA, 9)
		assert.EqualError(t, err, "Check-in session not found")
	})
	t.Run("close audits; closing twice is 409", func(t *testing.T) {
		f := newFixture(t)
		s := openSession()
		f.checkins.EXPECT().UpdateSession(anyArg, int64(5), anyArg).RunAndReturn(
			func(_ context.Context, _ int64, fn func(*attendance.Session) error) (attendance.Session, error) {
				cp := s
				if err := fn(&cp); err != nil {
					return attendance.Session{}, err
				}
				s = cp
				return cp, nil
			}).Twice()
		f.recordAudit()
		out, err := f.svc.CloseSession(ctx, staffA, 5)
		require.NoError(t, err)
		assert.True(t, out.Closed())
		assert.Nil(t, f.entries[0].Before["closed_at"])
		assert.NotNil(t, f.entries[0].After["closed_at"])
		_, err = f.svc.CloseSession(ctx, staffA, 5)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
	})
	t.Run("live and attempts are for staff", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Live(ctx, studentA, 5)
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
		_, err = f.svc.Attempts(ctx, studentA, 5, page.Request{Limit: 50})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
		f.checkins.EXPECT().GetSession(anyArg, int64(5)).Return(openSession(), nil).Twice()
		f.checkins.EXPECT().Live(anyArg, openSession()).Return(attendance.Live{Expected: 3, Present: 1, Absent: 2}, nil).Once()
		l, err := f.svc.Live(ctx, adminA, 5)
		require.NoError(t, err)
		assert.Equal(t, 3, l.Expected)
		f.checkins.EXPECT().Attempts(anyArg, int64(5), page.Request{Limit: 50}).Return(page.Result[attendance.Attempt]{}, nil).Once()
		_, err = f.svc.Attempts(ctx, adminA, 5, page.Request{Limit: 50})
		require.NoError(t, err)
	})
}
