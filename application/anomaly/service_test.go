package anomaly_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	appagent "github.com/campus/campus/application/agent"
	app "github.com/campus/campus/application/anomaly"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/tests/mocks"
)

var (
	// 01:30 UTC on the 27th is still the afternoon of the 26th in Los
	// Angeles: the day analysed is the 25th there, the 26th in UTC.
	now    = time.Date(2026, 11, 27, 1, 30, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
)

func date(s string) attendance.Date {
	d, err := attendance.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func losAngeles(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone database")
	}
	return loc
}

type fixture struct {
	anomalies *mocks.AnomalyRepository
	signals   *mocks.AnomalySignals
	users     *mocks.UserRepository
	notes     *mocks.NotificationRepository
	svc       *app.Service
	recorded  map[string]bool // keys already stored
	notified  []notification.Notification
	txs       []string
	events    []event.Event
}

func newFixture(t *testing.T, loc *time.Location) *fixture {
	f := &fixture{anomalies: mocks.NewAnomalyRepository(t), signals: mocks.NewAnomalySignals(t), users: mocks.NewUserRepository(t),
		notes: mocks.NewNotificationRepository(t), recorded: map[string]bool{}}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	outbox, ids := mocks.NewOutbox(t), mocks.NewIDGenerator(t)
	outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.events = append(f.events, evs...)
		return nil
	}).Maybe()
	ids.EXPECT().NewID().Return("ev").Maybe()
	f.svc = app.NewService(app.Config{Location: loc}, app.Deps{Anomalies: f.anomalies, Signals: f.signals, Users: f.users,
		Notify: appnotification.NewService(f.notes, clock), Tx: tx, Clock: clock, Outbox: outbox, IDs: ids})
	return f
}

func (f *fixture) admins() {
	f.users.EXPECT().List(anyArg, anyArg, anyArg).RunAndReturn(
		func(_ context.Context, fl identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
			if fl.Role == nil || *fl.Role != identity.RoleAdmin || fl.IsActive == nil || !*fl.IsActive {
				return page.Result[identity.User]{}, errors.New("not the active admins filter")
			}
			return page.Result[identity.User]{Items: []identity.User{{ID: 1}, {ID: 4}}, Total: 2, Request: p}, nil
		}).Once()
}

// store records like the real store: once per key, ids from 10.
func (f *fixture) store() {
	f.anomalies.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, a *anomaly.Anomaly) (bool, error) {
		if f.recorded[a.Key()] {
			return false, nil
		}
		f.recorded[a.Key()] = true
		a.ID = int64(9 + len(f.recorded))
		return true, nil
	}).Maybe()
	f.notes.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, ns []notification.Notification) error {
		f.notified = append(f.notified, ns...)
		return nil
	}).Maybe()
}

func full() anomaly.Tally { return anomaly.Tally{Attended: 10, Counted: 10} }

// signals serves a day (the 25th) with one department drop, one new and
// one old student drop, and a complaint spike.
func (f *fixture) signals25(times int) {
	day := date("2026-11-25")
	f.signals.EXPECT().DepartmentDays(anyArg, anomaly.Span{From: date("2026-11-18"), To: day}).Return([]anomaly.DepartmentDay{
		{Department: "CSE", Day: day, Tally: anomaly.Tally{Attended: 4, Counted: 10}},
		{Department: "CSE", Day: date("2026-11-24"), Tally: full()},
		{Department: "CSE", Day: date("2026-11-23"), Tally: full()},
		{Department: "CSE", Day: date("2026-11-20"), Tally: full()},
		{Department: "Physics", Day: day, Tally: full()},
	}, nil).Times(times)
	rules := anomaly.DefaultRules()
	f.signals.EXPECT().StudentWindows(anyArg, rules.StudentSpans(day), 3, 5, 0.30).Return([]anomaly.StudentWindows{
		{StudentID: 7, Recent: anomaly.Tally{Attended: 1, Counted: 5}, Previous: full(), RecentBefore: anomaly.Tally{Attended: 4, Counted: 5}, PreviousBefore: full()},
		{StudentID: 8, Recent: anomaly.Tally{Attended: 0, Counted: 5}, Previous: full(), RecentBefore: anomaly.Tally{Attended: 1, Counted: 5}, PreviousBefore: full()},
	}, nil).Times(times)
	// The 25th in Los Angeles is [08:00 UTC on the 25th, 08:00 UTC on the 26th).
	f.signals.EXPECT().ComplaintsFiled(anyArg, time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)).Return(1, 3, nil).Times(times)
}

func TestNameMatchesDefinition(t *testing.T) {
	assert.Equal(t, appagent.AnomalyDetection, app.Name)
}

func TestRunRecordsTheDayBeforeOnce(t *testing.T) {
	f := newFixture(t, losAngeles(t))
	f.signals25(2)
	f.admins()
	f.admins()
	f.store()

	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Report{Day: date("2026-11-25"), Found: 3, Recorded: 3, Notified: 6}, r)
	assert.Equal(t, map[string]int{"found": 3, "recorded": 3, "known": 0, "notified": 6}, r.Counts())
	assert.Equal(t, []string{"commit", "commit", "commit"}, f.txs, "one transaction per anomaly")
	require.Len(t, f.events, 3, "an anomaly.recorded event per new anomaly")
	assert.Equal(t, event.AnomalyRecorded, f.events[0].Type)
	assert.Equal(t, "2026-11-25", f.events[0].Payload["day"])
	assert.True(t, f.recorded["attendance_drop:department:CSE:2026-11-25"])
	assert.True(t, f.recorded["attendance_drop:student:7:2026-11-25"], "student 8's drop already showed the day before")
	assert.True(t, f.recorded["complaint_spike:campus:campus:2026-11-25"])

	require.Len(t, f.notified, 6)
	n := f.notified[0]
	assert.Equal(t, int64(1), n.UserID)
	assert.Equal(t, int64(4), f.notified[1].UserID)
	assert.Equal(t, app.KindDetected, n.Kind)
	assert.Equal(t, "anomaly", n.Resource)
	assert.Equal(t, "10", n.ResourceID)
	assert.Equal(t, "Attendance drop in CSE on 2026-11-25", n.Title)
	assert.Contains(t, n.Body, "Attendance in CSE on 2026-11-25 was 40.0%")
	assert.Equal(t, now, n.CreatedAt)
	assert.Equal(t, "Sudden attendance drop: student 7 on 2026-11-25", f.notified[2].Title)
	assert.Equal(t, "Complaint spike on 2026-11-25", f.notified[4].Title)

	// A second run of the same day finds the same and records nothing.
	f.notified, f.txs = nil, nil
	r, err = f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Report{Day: date("2026-11-25"), Found: 3, Known: 3}, r)
	assert.Empty(t, f.notified)
}

func TestRunUsesTheCampusZone(t *testing.T) {
	f := newFixture(t, nil) // UTC: the 26th
	day := date("2026-11-26")
	f.signals.EXPECT().DepartmentDays(anyArg, anomaly.Span{From: date("2026-11-19"), To: day}).Return(nil, nil).Once()
	f.signals.EXPECT().StudentWindows(anyArg, anomaly.DefaultRules().StudentSpans(day), 3, 5, 0.30).Return(nil, nil).Once()
	f.signals.EXPECT().ComplaintsFiled(anyArg, time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)).Return(0, 2, nil).Once()
	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, app.Report{Day: day}, r, "nothing found: no admins read, no transaction")
	assert.Empty(t, f.txs)
}

func TestRunWithoutAdminsStillRecords(t *testing.T) {
	f := newFixture(t, losAngeles(t))
	f.signals25(1)
	f.users.EXPECT().List(anyArg, anyArg, anyArg).Return(page.Result[identity.User]{}, nil).Once()
	f.store()
	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, r.Recorded)
	assert.Zero(t, r.Notified)
}

func TestRunFailures(t *testing.T) {
	loc := losAngeles(t)
	t.Run("a failing read stops the run", func(t *testing.T) {
		for _, which := range []string{"departments", "students", "complaints"} {
			f := newFixture(t, loc)
			switch which {
			case "departments":
				f.signals.EXPECT().DepartmentDays(anyArg, anyArg).Return(nil, errDB).Once()
			case "students":
				f.signals.EXPECT().DepartmentDays(anyArg, anyArg).Return(nil, nil).Once()
				f.signals.EXPECT().StudentWindows(anyArg, anyArg, anyArg, anyArg, anyArg).Return(nil, errDB).Once()
			default:
				f.signals.EXPECT().DepartmentDays(anyArg, anyArg).Return(nil, nil).Once()
				f.signals.EXPECT().StudentWindows(anyArg, anyArg, anyArg, anyArg, anyArg).Return(nil, nil).Once()
				f.signals.EXPECT().ComplaintsFiled(anyArg, anyArg, anyArg, anyArg).Return(0, 0, errDB).Once()
			}
			_, err := f.svc.Run(ctx)
			require.ErrorIs(t, err, errDB, which)
		}
	})
	t.Run("a failing record does not stop the others", func(t *testing.T) {
		f := newFixture(t, loc)
		f.signals25(1)
		f.admins()
		f.anomalies.EXPECT().Record(anyArg, anyArg).Return(false, errDB).Once()
		f.store()
		r, err := f.svc.Run(ctx)
		require.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "attendance_drop:department:CSE:2026-11-25")
		assert.Equal(t, 2, r.Recorded)
		assert.Equal(t, []string{"rollback", "commit", "commit"}, f.txs)
	})
	t.Run("a failing notification rolls the anomaly back", func(t *testing.T) {
		f := newFixture(t, loc)
		f.signals25(1)
		f.admins()
		f.anomalies.EXPECT().Record(anyArg, anyArg).Return(true, nil).Times(3)
		f.notes.EXPECT().Create(anyArg, anyArg).Return(errDB).Times(3)
		r, err := f.svc.Run(ctx)
		require.ErrorIs(t, err, errDB)
		assert.Zero(t, r.Recorded)
		assert.Equal(t, []string{"rollback", "rollback", "rollback"}, f.txs)
	})
	t.Run("listing admins", func(t *testing.T) {
		f := newFixture(t, loc)
		f.signals25(1)
		f.users.EXPECT().List(anyArg, anyArg, anyArg).Return(page.Result[identity.User]{}, errDB).Once()
		_, err := f.svc.Run(ctx)
		require.ErrorIs(t, err, errDB)
	})
}
