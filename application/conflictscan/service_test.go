package conflictscan_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/conflictscan"
	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/schedule"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	nine   = time.Date(2026, 11, 28, 9, 0, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
)

type fixture struct {
	schedules *mocks.ScheduleRepository
	risks     *mocks.RiskRepository
	users     *mocks.UserRepository
	notes     *mocks.NotificationRepository
	audit     *mocks.AuditLog
	outbox    *mocks.Outbox
	svc       *conflictscan.Service
	created   []risk.Risk
	published []event.Event
	entries   []audit.Entry
	notified  []notification.Notification
	txs       []string
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{schedules: mocks.NewScheduleRepository(t), risks: mocks.NewRiskRepository(t), users: mocks.NewUserRepository(t),
		notes: mocks.NewNotificationRepository(t), audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t)}
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
	f.svc = conflictscan.NewService(conflictscan.Config{}, conflictscan.Deps{Schedules: f.schedules, Risks: f.risks, Users: f.users,
		Notify: appnotification.NewService(f.notes, clock), Audit: f.audit, Tx: tx, Clock: clock, Outbox: f.outbox, IDs: ids})
	return f
}

// admins answers the active-admin listing with two admins.
func (f *fixture) admins() {
	f.users.EXPECT().List(anyArg, anyArg, anyArg).RunAndReturn(
		func(_ context.Context, fl identity.UserFilter, p page.Request) (page.Result[identity.User], error) {
			if fl.Role == nil || *fl.Role != identity.RoleAdmin || fl.IsActive == nil || !*fl.IsActive {
				return page.Result[identity.User]{}, errors.New("not the active admins filter")
			}
			return page.Result[identity.User]{Items: []identity.User{{ID: 1}, {ID: 4}}, Total: 2, Request: p}, nil
		}).Once()
}

// records makes every write succeed, remembering it; the risk ids count
// from 30.
func (f *fixture) records() {
	f.risks.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, r *risk.Risk) error {
		r.ID = int64(30 + len(f.created))
		f.created = append(f.created, *r)
		return nil
	}).Maybe()
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.published = append(f.published, evs...)
		return nil
	}).Maybe()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	}).Maybe()
	f.notes.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, ns []notification.Notification) error {
		f.notified = append(f.notified, ns...)
		return nil
	}).Maybe()
}

func entry(id int64, typ schedule.EventType, from, to time.Duration, loc, inst string) schedule.Entry {
	return schedule.Entry{ID: id, Title: "Entry " + string(rune('A'+id)), EventType: typ, StartsAt: nine.Add(from), EndsAt: nine.Add(to),
		Location: loc, Instructor: inst, IsActive: true}
}

func TestNameMatchesDefinition(t *testing.T) {
	assert.Equal(t, appagent.ScheduleConflictScan, conflictscan.Name)
}

func TestRunRaisesEachNewPairOnce(t *testing.T) {
	f := newFixture(t)
	entries := []schedule.Entry{
		entry(1, schedule.Class, 0, time.Hour, "Hall A", "Rao"),
		entry(2, schedule.Exam, 30*time.Minute, 2*time.Hour, "hall a", ""),       // clashes with 1: location
		entry(3, schedule.Class, 0, 45*time.Minute, "Lab", "rao"),                // clashes with 1: instructor
		entry(4, schedule.Class, 3*time.Hour, 4*time.Hour, "Hall A", "Rao"),      // clashes with nothing
		entry(5, schedule.Class, 90*time.Minute, 150*time.Minute, "Hall A", "X"), // clashes with 2: location
	}
	from := now.Add(-24 * time.Hour)
	f.schedules.EXPECT().Active(anyArg, &from, (*time.Time)(nil)).Return(entries, nil).Once()
	f.admins()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:1:2").Return(false, nil).Once()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:1:3").Return(false, nil).Once()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:2:5").Return(true, nil).Once() // resolved by someone: left alone
	f.records()

	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, conflictscan.Report{Clashes: 3, Raised: 2, Known: 1, Notified: 4}, r)
	assert.Equal(t, map[string]int{"clashes": 3, "raised": 2, "known": 1, "notified": 4}, r.Counts())
	assert.Equal(t, []string{"commit", "commit", "rollback"}, f.txs, "one transaction per pair; a known pair writes nothing")

	require.Len(t, f.created, 2)
	exam := f.created[0]
	assert.Equal(t, "schedule:1:2", exam.SubjectKey)
	assert.Nil(t, exam.StudentID)
	assert.Equal(t, risk.Schedule, exam.Type)
	assert.Equal(t, risk.High, exam.Severity, "an exam clash is high")
	assert.Equal(t, conflictscan.Name, exam.Source)
	assert.Equal(t, risk.Open, exam.Status)
	assert.Equal(t, now, exam.CreatedAt)
	class := f.created[1]
	assert.Equal(t, "schedule:1:3", class.SubjectKey)
	assert.Equal(t, risk.Medium, class.Severity, "a clash of classes is medium")

	require.Len(t, f.published, 2)
	assert.Equal(t, event.RiskCreated, f.published[0].Type)
	assert.Equal(t, "30", f.published[0].AggregateID)
	assert.Equal(t, "schedule", f.published[0].Payload["risk_type"])
	assert.Equal(t, conflictscan.Name, f.published[0].Payload["source"])

	require.Len(t, f.entries, 2)
	assert.Equal(t, "agent:"+conflictscan.Name, f.entries[0].ActorRole)
	assert.Nil(t, f.entries[0].ActorID)
	assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
	assert.Equal(t, "30", f.entries[0].ResourceID)

	require.Len(t, f.notified, 4, "each admin once per new record")
	assert.Equal(t, []int64{1, 4, 1, 4}, []int64{f.notified[0].UserID, f.notified[1].UserID, f.notified[2].UserID, f.notified[3].UserID})
	n := f.notified[0]
	assert.Equal(t, conflictscan.KindRiskOpened, n.Kind)
	assert.Equal(t, "risk", n.Resource)
	assert.Equal(t, "30", n.ResourceID)
	assert.Equal(t, "Schedule clash: #1 and #2 (location)", n.Title)
	assert.Equal(t, exam.Description, n.Body)
}

func TestRunWithoutClashesReadsNothingElse(t *testing.T) {
	f := newFixture(t)
	f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return([]schedule.Entry{entry(1, schedule.Class, 0, time.Hour, "A", "")}, nil).Once()
	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, conflictscan.Report{}, r)
	assert.Empty(t, f.txs)
}

func TestRunTreatsARacingInsertAsKnown(t *testing.T) {
	f := newFixture(t)
	f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return([]schedule.Entry{
		entry(1, schedule.Class, 0, time.Hour, "A", ""), entry(2, schedule.Class, 0, time.Hour, "A", "")}, nil).Once()
	f.admins()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:1:2").Return(false, nil).Once()
	f.risks.EXPECT().Create(anyArg, anyArg).Return(fault.New(fault.Conflict, "Risk already exists")).Once()
	r, err := f.svc.Run(ctx)
	require.NoError(t, err)
	assert.Equal(t, conflictscan.Report{Clashes: 1, Known: 1}, r)
	assert.Equal(t, []string{"rollback"}, f.txs)
}

func TestRunGoesOnPastAFailingPair(t *testing.T) {
	f := newFixture(t)
	f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return([]schedule.Entry{
		entry(1, schedule.Class, 0, time.Hour, "A", ""), entry(2, schedule.Class, 0, time.Hour, "A", ""),
		entry(3, schedule.Class, 5*time.Hour, 6*time.Hour, "B", ""), entry(4, schedule.Class, 5*time.Hour, 6*time.Hour, "B", "")}, nil).Once()
	f.admins()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:1:2").Return(false, errDB).Once()
	f.risks.EXPECT().EverAbout(anyArg, "schedule:3:4").Return(false, nil).Once()
	f.records()
	r, err := f.svc.Run(ctx)
	require.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), "schedule:1:2")
	assert.Equal(t, 1, r.Raised)
	assert.Equal(t, []string{"rollback", "commit"}, f.txs)
}

func TestRunFailures(t *testing.T) {
	clash := []schedule.Entry{entry(1, schedule.Class, 0, time.Hour, "A", ""), entry(2, schedule.Class, 0, time.Hour, "A", "")}
	for _, tc := range []struct {
		name  string
		setup func(f *fixture)
	}{
		{"loading entries", func(f *fixture) {
			f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return(nil, errDB).Once()
		}},
		{"listing admins", func(f *fixture) {
			f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return(clash, nil).Once()
			f.users.EXPECT().List(anyArg, anyArg, anyArg).Return(page.Result[identity.User]{}, errDB).Once()
		}},
		{"outbox", func(f *fixture) {
			f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return(clash, nil).Once()
			f.admins()
			f.risks.EXPECT().EverAbout(anyArg, anyArg).Return(false, nil).Once()
			f.risks.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
			f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
		}},
		{"notifications", func(f *fixture) {
			f.schedules.EXPECT().Active(anyArg, anyArg, anyArg).Return(clash, nil).Once()
			f.admins()
			f.risks.EXPECT().EverAbout(anyArg, anyArg).Return(false, nil).Once()
			f.risks.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
			f.outbox.EXPECT().Append(anyArg, anyArg).Return(nil).Once()
			f.audit.EXPECT().Record(anyArg, anyArg).Return(nil).Once()
			f.notes.EXPECT().Create(anyArg, anyArg).Return(errDB).Once()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f)
			_, err := f.svc.Run(ctx)
			require.ErrorIs(t, err, errDB)
			for _, x := range f.txs {
				assert.Equal(t, "rollback", x)
			}
		})
	}
}

func changed(id string) jobs.Event {
	return jobs.Event{ID: "ev-1", Type: event.ScheduleChanged, Aggregate: "schedule", AggregateID: id, OccurredAt: now}
}

func TestOnEvent(t *testing.T) {
	t.Run("scans the changed entry's window", func(t *testing.T) {
		f := newFixture(t)
		e := entry(7, schedule.Class, 0, time.Hour, "Hall A", "")
		f.schedules.EXPECT().Get(anyArg, int64(7)).Return(e, nil).Once()
		f.schedules.EXPECT().Active(anyArg, &e.StartsAt, &e.EndsAt).Return([]schedule.Entry{
			entry(2, schedule.Class, 30*time.Minute, 90*time.Minute, "Hall A", ""), e,
			entry(9, schedule.Class, 30*time.Minute, 90*time.Minute, "Hall B", "")}, nil).Once()
		f.admins()
		f.risks.EXPECT().EverAbout(anyArg, "schedule:2:7").Return(false, nil).Once()
		f.records()
		r, err := f.svc.OnEvent(ctx, changed("7"))
		require.NoError(t, err)
		assert.Equal(t, conflictscan.Report{Clashes: 1, Raised: 1, Notified: 2}, r)
		assert.Contains(t, f.created[0].Description, "Found by a change to entry #7")
	})
	t.Run("a deleted entry clashes with nothing", func(t *testing.T) {
		f := newFixture(t)
		f.schedules.EXPECT().Get(anyArg, int64(7)).Return(schedule.Entry{}, fault.New(fault.NotFound, "Schedule entry not found")).Once()
		r, err := f.svc.OnEvent(ctx, changed("7"))
		require.NoError(t, err)
		assert.Zero(t, r)
	})
	t.Run("an inactive entry clashes with nothing", func(t *testing.T) {
		f := newFixture(t)
		e := entry(7, schedule.Class, 0, time.Hour, "Hall A", "")
		e.IsActive = false
		f.schedules.EXPECT().Get(anyArg, int64(7)).Return(e, nil).Once()
		r, err := f.svc.OnEvent(ctx, changed("7"))
		require.NoError(t, err)
		assert.Zero(t, r)
	})
	t.Run("other events are not the agent's", func(t *testing.T) {
		f := newFixture(t)
		ev := changed("7")
		ev.Type = event.ComplaintFiled
		r, err := f.svc.OnEvent(ctx, ev)
		require.NoError(t, err)
		assert.Zero(t, r)
	})
	t.Run("an event naming no entry is invalid", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.OnEvent(ctx, changed("x"))
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("a failing read is returned", func(t *testing.T) {
		f := newFixture(t)
		f.schedules.EXPECT().Get(anyArg, int64(7)).Return(schedule.Entry{}, errDB).Once()
		_, err := f.svc.OnEvent(ctx, changed("7"))
		require.ErrorIs(t, err, errDB)
	})
}

func TestRiskExplainsTheClash(t *testing.T) {
	sem := 3
	a := entry(4, schedule.Class, 0, time.Hour, "Hall A", "Dr Rao")
	b := entry(9, schedule.Event, 15*time.Minute, 2*time.Hour, "Hall A", "dr rao")
	a.Department, a.Semester, a.Section = "CSE", &sem, "A"
	b.Department, b.Semester, b.Section = "CSE", &sem, "A"
	pairs := schedule.PairsWith(a, []schedule.Entry{b})
	require.Len(t, pairs, 1)
	rk, err := conflictscan.Risk(pairs[0], "the hourly scan", now)
	require.NoError(t, err)
	assert.Equal(t, risk.Medium, rk.Severity)
	assert.Equal(t, "schedule:4:9", rk.SubjectKey)
	values := map[string]any{}
	for _, fc := range rk.Factors {
		values[fc.Name] = fc.Value
	}
	assert.Equal(t, map[string]any{
		"entry_a":         "#4 Entry E (class) 2026-11-28T09:00:00Z–2026-11-28T10:00:00Z",
		"entry_b":         "#9 Entry J (event) 2026-11-28T09:15:00Z–2026-11-28T11:00:00Z",
		"clash":           "location, instructor, audience",
		"same_location":   "Hall A",
		"same_instructor": "Dr Rao",
		"same_audience":   "CSE, semester 3, section A",
		"overlap_from":    "2026-11-28T09:15:00Z",
		"overlap_to":      "2026-11-28T10:00:00Z",
		"overlap_minutes": 45.0,
	}, values)
	assert.Equal(t, `Schedule clash: entry #4 "Entry E" (class) and entry #9 "Entry J" (event) overlap for 45 minutes, `+
		`2026-11-28 09:15 to 10:00 UTC, with the same location (Hall A) and the same instructor (Dr Rao) and the same audience `+
		`(CSE, semester 3, section A). Severity medium: neither is an exam. Found by the hourly scan; fix the timetable and `+
		`resolve this record. Each pair is raised once: once resolved, the scan does not raise it again.`, rk.Description)

	long := entry(1, schedule.Exam, 0, time.Hour, "R", "")
	long.Title = strings.Repeat("x", 200)
	other := long
	other.ID = 2
	rk, err = conflictscan.Risk(schedule.PairsWith(long, []schedule.Entry{other})[0], "x", now)
	require.NoError(t, err, "the longest titles still make a valid record")
	assert.Equal(t, risk.High, rk.Severity)
}
