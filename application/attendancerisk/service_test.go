package attendancerisk_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/attendancerisk"
	"github.com/campus/campus/application/jobs"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/notification"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var (
	now        = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	ctx        = context.Background()
	anyArg     = mock.Anything
	errDB      = errors.New("connection reset")
	thresholds = risk.AttendanceThresholds{Warn: 0.75, High: 0.60}
	window     = risk.AttendanceWindowEnding(mustDate("2026-11-27"))
)

func mustDate(s string) attendance.Date {
	d, err := attendance.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// world is the agent over mocks that behave like the stores: one open
// record per subject (a second Create is a conflict), figures per student,
// and a transaction that undoes the fake writes when it rolls back.
type world struct {
	t        *testing.T
	stats    *mocks.AttendanceStats
	risks    *mocks.RiskRepository
	audit    *mocks.AuditLog
	notes    *mocks.NotificationRepository
	svc      *attendancerisk.Service
	figs     map[int64]risk.AttendanceFigures
	open     map[int64]risk.Risk
	resolved []risk.Risk
	events   []event.Event
	entries  []audit.Entry
	sent     []notification.Notification
	txs      []string
	audience ports.RiskAudience
	nextID   int64
	reads    int // StudentFigures calls
	// setReads and locked are the students of each StudentsFigures call
	// and the records of each UpdateMany call; auditCalls counts RecordMany.
	setReads   [][]int64
	locked     [][]int64
	auditCalls int
	// hooks for failure paths
	onCreate   func(r *risk.Risk) error
	elsewhere  func()
	figuresErr error
	// lookupFails fails LatestResolvedOf for these students.
	lookupFails map[int64]error
	// creates is the number of records of each CreateMany call;
	// audienceReads the students of each Audiences call.
	creates       []int
	audienceReads [][]int64
	// lockErr fails the next lockErrs UpdateMany calls (one when zero).
	lockErr   error
	lockErrs  int
	outboxErr error
}

// newWorld builds the agent; strict leaves every mock without
// expectations, so any port call fails the test.
func newWorld(t *testing.T, strict bool) *world {
	w := &world{t: t, stats: mocks.NewAttendanceStats(t), risks: mocks.NewRiskRepository(t), audit: mocks.NewAuditLog(t),
		notes: mocks.NewNotificationRepository(t), figs: map[int64]risk.AttendanceFigures{},
		open: map[int64]risk.Risk{}, nextID: 100, lookupFails: map[int64]error{},
		audience: ports.RiskAudience{StudentName: "Asha Rao", RollNo: "CS01", Department: "Computer Science",
			StudentUser: []int64{11}, Staff: []int64{21, 22}, Admins: []int64{1}}}
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	tx := mocks.NewTxRunner(t)
	svc, err := attendancerisk.NewService(attendancerisk.Config{Location: time.UTC, Thresholds: thresholds, PageSize: 2},
		attendancerisk.Deps{Stats: w.stats, Risks: w.risks, Audit: w.audit, Outbox: outbox{w}, Tx: tx, Clock: clock, IDs: ids,
			Notify: appnotification.NewService(w.notes, clock)})
	require.NoError(t, err)
	w.svc = svc
	if strict {
		return w
	}
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		open, resolved, events, entries, sent, next := maps.Clone(w.open), len(w.resolved), len(w.events), len(w.entries), len(w.sent), w.nextID
		err := fn(ctx)
		if err != nil {
			w.open, w.resolved, w.events, w.entries, w.sent, w.nextID = open, w.resolved[:resolved], w.events[:events], w.entries[:entries], w.sent[:sent], next
			if w.elsewhere != nil { // what another transaction committed meanwhile stays
				w.elsewhere()
				w.elsewhere = nil
			}
		}
		w.txs = append(w.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	w.risks.EXPECT().OpenBySubject(anyArg, anyArg).RunAndReturn(func(_ context.Context, key string) (risk.Risk, error) {
		id, _ := strconv.ParseInt(strings.TrimPrefix(key, "attendance:student:"), 10, 64)
		if r, ok := w.open[id]; ok {
			return r, nil
		}
		return risk.Risk{}, fault.New(fault.NotFound, "Risk not found")
	}).Maybe()
	w.stats.EXPECT().StudentFigures(anyArg, anyArg, window).RunAndReturn(func(_ context.Context, id int64, _ risk.AttendanceWindow) (risk.AttendanceFigures, error) {
		w.reads++
		if w.figuresErr != nil {
			return risk.AttendanceFigures{}, w.figuresErr
		}
		return w.figs[id], nil
	}).Maybe()
	w.risks.EXPECT().CreateMany(anyArg, anyArg).RunAndReturn(func(_ context.Context, rs []risk.Risk) ([]risk.Risk, error) {
		w.creates = append(w.creates, len(rs))
		out := make([]risk.Risk, len(rs))
		next := w.nextID
		for i, r := range rs {
			if w.onCreate != nil {
				if err := w.onCreate(&r); err != nil {
					return nil, err
				}
			}
			if _, ok := w.open[*r.StudentID]; ok {
				return nil, fault.New(fault.Conflict, "Risk already exists")
			}
			next++
			r.ID = next
			out[i] = r
		}
		w.nextID = next
		for _, r := range out {
			w.open[*r.StudentID] = r
		}
		return out, nil
	}).Maybe()
	w.risks.EXPECT().UpdateMany(anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, ids []int64, fn func([]risk.Risk) ([]risk.Risk, error)) ([]risk.Risk, error) {
		w.locked = append(w.locked, ids)
		if w.lockErr != nil {
			err := w.lockErr
			if w.lockErrs--; w.lockErrs <= 0 {
				w.lockErr = nil
			}
			return nil, err
		}
		var rs []risk.Risk
		for _, id := range ids { // what the store has under these ids, open or not
			for _, r := range w.open {
				if r.ID == id {
					rs = append(rs, r)
				}
			}
			for _, r := range w.resolved {
				if r.ID == id {
					rs = append(rs, r)
				}
			}
		}
		changed, err := fn(rs)
		if err != nil {
			return nil, err
		}
		for _, r := range changed {
			if r.Status == risk.Resolved {
				delete(w.open, *r.StudentID)
				w.resolved = append(w.resolved, r)
			} else {
				w.open[*r.StudentID] = r
			}
		}
		return changed, nil
	}).Maybe()
	w.stats.EXPECT().StudentsFigures(anyArg, anyArg, window).RunAndReturn(func(_ context.Context, ids []int64, _ risk.AttendanceWindow) ([]risk.AttendanceFigures, error) {
		w.setReads = append(w.setReads, ids)
		if w.figuresErr != nil {
			return nil, w.figuresErr
		}
		var out []risk.AttendanceFigures
		for _, id := range ids {
			f := w.figs[id]
			f.StudentID = id
			out = append(out, f)
		}
		return out, nil
	}).Maybe()
	w.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		w.entries = append(w.entries, e)
		return nil
	}).Maybe()
	w.audit.EXPECT().RecordMany(anyArg, anyArg).RunAndReturn(func(_ context.Context, es []audit.Entry) error {
		w.entries = append(w.entries, es...)
		w.auditCalls++
		return nil
	}).Maybe()
	w.stats.EXPECT().LatestResolvedOf(anyArg, anyArg).RunAndReturn(func(_ context.Context, ids []int64) (map[int64]risk.Risk, error) {
		out := map[int64]risk.Risk{}
		for _, id := range ids {
			if err := w.lookupFails[id]; err != nil {
				return nil, err
			}
			for i := len(w.resolved) - 1; i >= 0; i-- {
				if r := w.resolved[i]; *r.StudentID == id {
					out[id] = r
					break
				}
			}
		}
		return out, nil
	}).Maybe()
	w.stats.EXPECT().Audiences(anyArg, anyArg).RunAndReturn(func(_ context.Context, ids []int64) (map[int64]ports.RiskAudience, error) {
		w.audienceReads = append(w.audienceReads, ids)
		out := map[int64]ports.RiskAudience{}
		for _, id := range ids {
			out[id] = w.audience
		}
		return out, nil
	}).Maybe()
	w.notes.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, ns []notification.Notification) error {
		w.sent = append(w.sent, ns...)
		return nil
	}).Maybe()
	return w
}

// outbox records what the agent appends, any number of events at a time
// (the agent uses no other outbox method).
type outbox struct {
	w *world
}

func (o outbox) Append(_ context.Context, evs ...event.Event) error {
	if o.w.outboxErr != nil {
		return o.w.outboxErr
	}
	o.w.events = append(o.w.events, evs...)
	return nil
}

func (outbox) Pending(context.Context, int) ([]event.Event, error) { panic("not used by the agent") }
func (outbox) Claim(context.Context, int) (int, error)             { panic("not used by the agent") }
func (outbox) Claimed(context.Context, int) ([]ports.BatchedEvent, error) {
	panic("not used by the agent")
}
func (outbox) MarkRelayed(context.Context, []string, time.Time) error { panic("not used by the agent") }
func (outbox) PruneRelayed(context.Context, time.Time) (int, error)   { panic("not used by the agent") }

func figs(present, late, absent, excused, streak int) risk.AttendanceFigures {
	return risk.AttendanceFigures{Present: present, Late: late, Absent: absent, Excused: excused, ConsecutiveAbsences: streak}
}

// seed opens a record for student 7 as the agent would have for f.
func (w *world) seed(f risk.AttendanceFigures) risk.Risk {
	w.t.Helper()
	r, err := risk.NewAttendanceRisk(risk.AssessAttendance(f, thresholds), 7, attendancerisk.Name, now.Add(-48*time.Hour))
	require.NoError(w.t, err)
	w.nextID++
	r.ID = w.nextID
	w.open[7] = r
	return r
}

func marked(data map[string]any) jobs.Event {
	d := map[string]any{"id": 1.0, "student_id": 7.0, "date": "2026-11-20", "session": "daily", "status": "absent", "created": true}
	maps.Copy(d, data)
	return jobs.Event{ID: "e1", Type: event.AttendanceMarked, Aggregate: "attendance", AggregateID: "1", OccurredAt: now, Data: d}
}

func changedEvent(before, after map[string]any) jobs.Event {
	data := map[string]any{"id": 1.0, "action": "update", "before": before, "after": nil, "student_id": before["student_id"]}
	if after != nil {
		data["after"] = after
	}
	return jobs.Event{ID: "e2", Type: event.AttendanceChanged, Aggregate: "attendance", AggregateID: "1", OccurredAt: now, Data: data}
}

func rec(student float64, date, status string) map[string]any {
	return map[string]any{"id": 1.0, "student_id": student, "date": date, "session": "daily", "status": status, "remarks": ""}
}

func TestNewServiceRefusesBadThresholds(t *testing.T) {
	_, err := attendancerisk.NewService(attendancerisk.Config{Thresholds: risk.AttendanceThresholds{Warn: 0.5, High: 0.6}}, attendancerisk.Deps{})
	assert.ErrorIs(t, err, fault.ErrInvalid)
}

func TestOnEventSkipsWhatCannotChangeTheFigures(t *testing.T) {
	for name, e := range map[string]jobs.Event{
		"a re-mark keeping the status": marked(map[string]any{"created": false}),
		"a mark before the window":     marked(map[string]any{"date": "2026-10-28"}),
		"a mark after today":           marked(map[string]any{"date": "2026-11-28"}),
		"an edit of remarks":           changedEvent(rec(7, "2026-11-20", "absent"), rec(7, "2026-11-20", "absent")),
		"a deletion before the window": changedEvent(rec(7, "2026-01-02", "absent"), nil),
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, true) // no port may be called
			rep, err := w.svc.OnEvent(ctx, e)
			require.NoError(t, err)
			assert.Equal(t, attendancerisk.Report{}, rep)
		})
	}
}

func TestOnEventRefusesMalformedPayloads(t *testing.T) {
	for name, e := range map[string]jobs.Event{
		"no student":        marked(map[string]any{"student_id": nil}),
		"fractional id":     marked(map[string]any{"student_id": 7.5}),
		"bad date":          marked(map[string]any{"date": "yesterday"}),
		"changed no before": changedEvent(map[string]any{}, nil),
		"changed bad after": changedEvent(rec(7, "2026-11-20", "absent"), map[string]any{"student_id": "x"}),
		"another event":     {ID: "e3", Type: event.ComplaintFiled, Data: map[string]any{}},
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, true)
			_, err := w.svc.OnEvent(ctx, e)
			assert.Equal(t, fault.Invalid, fault.KindOf(err))
		})
	}
}

func TestOnEventReassessesTheStudentsConcerned(t *testing.T) {
	t.Run("a new mark, with an integer id as an in-process payload has it", func(t *testing.T) {
		w := newWorld(t, false)
		rep, err := w.svc.OnEvent(ctx, marked(map[string]any{"student_id": int64(7)}))
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Assessed)
		assert.Equal(t, 1, w.reads)
	})
	t.Run("a re-mark that changes the status", func(t *testing.T) {
		w := newWorld(t, false)
		rep, err := w.svc.OnEvent(ctx, marked(map[string]any{"created": false, "previous_status": "present"}))
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Assessed)
	})
	t.Run("an edit moving a record to another student reassesses both", func(t *testing.T) {
		w := newWorld(t, false)
		w.figs[7] = figs(2, 0, 9, 0, 9)
		w.figs[8] = figs(9, 0, 1, 0, 0)
		rep, err := w.svc.OnEvent(ctx, changedEvent(rec(7, "2026-11-20", "present"), rec(8, "2026-11-20", "present")))
		require.NoError(t, err)
		assert.Equal(t, 2, rep.Assessed)
		assert.Equal(t, 1, rep.Created)
		assert.Contains(t, w.open, int64(7))
		assert.NotContains(t, w.open, int64(8))
	})
	t.Run("a deletion in the window", func(t *testing.T) {
		w := newWorld(t, false)
		w.seed(figs(10, 0, 10, 0, 0))
		w.figs[7] = figs(10, 0, 1, 0, 0)
		rep, err := w.svc.OnEvent(ctx, changedEvent(rec(7, "2026-11-20", "absent"), nil))
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Resolved)
	})
	t.Run("a failure names the student", func(t *testing.T) {
		w := newWorld(t, false)
		w.figuresErr = errDB
		_, err := w.svc.OnEvent(ctx, marked(nil))
		require.ErrorIs(t, err, errDB)
		assert.ErrorContains(t, err, "assess student 7")
	})
}

func TestReassessWritesNothingWhenNothingIsCalledFor(t *testing.T) {
	for name, f := range map[string]risk.AttendanceFigures{
		"good attendance":     figs(19, 0, 1, 0, 0),
		"exactly at warn":     figs(15, 0, 5, 0, 0),
		"too little data":     figs(0, 0, 4, 0, 4),
		"only excused absent": figs(5, 0, 0, 9, 0),
	} {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t, false)
			w.figs[7] = f
			res, err := w.svc.Reassess(ctx, 7)
			require.NoError(t, err)
			assert.Equal(t, attendancerisk.None, res.Action)
			assert.Empty(t, w.txs, "no transaction")
			assert.Empty(t, w.events)
		})
	}
}

func TestReassessCreatesTheRecord(t *testing.T) {
	w := newWorld(t, false)
	w.figs[7] = figs(11, 0, 9, 2, 3) // 0.55
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Result{StudentID: 7, Action: attendancerisk.Created, Notified: 3}, res)
	assert.Equal(t, []string{"commit"}, w.txs)

	r := w.open[7]
	assert.Equal(t, risk.High, r.Severity)
	assert.Equal(t, risk.Attendance, r.Type)
	assert.Equal(t, "attendance-risk", r.Source)
	assert.Equal(t, "attendance:student:7", r.SubjectKey)
	assert.Equal(t, 45.0, *r.Score)
	assert.Contains(t, r.Description, "Attendance 55% over the last 30 days (11 of 20 counted records attended; 2 excused left out)")

	require.Len(t, w.events, 1)
	assert.Equal(t, event.RiskCreated, w.events[0].Type)
	assert.Equal(t, strconv.FormatInt(r.ID, 10), w.events[0].AggregateID)
	assert.Equal(t, "high", w.events[0].Payload["severity"])
	require.Len(t, w.entries, 1)
	e := w.entries[0]
	assert.Equal(t, audit.ActionCreate, e.Action)
	assert.Equal(t, "system", e.ActorRole)
	assert.Nil(t, e.ActorID)
	assert.Equal(t, "attendance-risk", e.After["source"])

	require.Len(t, w.sent, 3)
	assert.Equal(t, int64(11), w.sent[0].UserID)
	assert.Equal(t, "Your attendance needs attention", w.sent[0].Title)
	assert.Contains(t, w.sent[0].Body, "Attendance 55%")
	for _, n := range w.sent[1:] {
		assert.Equal(t, "Attendance risk (high): Asha Rao (CS01)", n.Title)
		assert.Contains(t, n.Body, "of Computer Science")
		assert.NotContains(t, n.Body, "no active staff")
	}
	assert.Equal(t, []int64{21, 22}, []int64{w.sent[1].UserID, w.sent[2].UserID})
	for _, n := range w.sent {
		assert.Equal(t, attendancerisk.KindOpened, n.Kind)
		assert.Equal(t, "risk", n.Resource)
		assert.Equal(t, strconv.FormatInt(r.ID, 10), n.ResourceID)
		assert.Equal(t, now, n.CreatedAt)
	}

	// A second run (the job again) finds the record saying the same: nothing more.
	res, err = w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Unchanged, res.Action)
	assert.Len(t, w.events, 1)
	assert.Len(t, w.sent, 3)
	assert.Len(t, w.txs, 1)
}

func TestReassessNotifiesAdminsWhenTheDepartmentHasNoStaff(t *testing.T) {
	w := newWorld(t, false)
	w.audience.Staff, w.audience.StudentUser, w.audience.Admins = nil, nil, []int64{1, 2}
	w.figs[7] = figs(0, 0, 6, 0, 6)
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Notified)
	require.Len(t, w.sent, 2)
	assert.Equal(t, int64(1), w.sent[0].UserID)
	assert.Contains(t, w.sent[0].Body, `no active staff account belongs to the department "Computer Science"`)
	assert.Equal(t, "Attendance risk (critical): Asha Rao (CS01)", w.sent[0].Title)
}

func TestReassessNotifiesEachUserOnce(t *testing.T) {
	w := newWorld(t, false)
	w.audience.StudentUser, w.audience.Staff = []int64{21}, []int64{21, 22}
	w.figs[7] = figs(0, 0, 6, 0, 6)
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, 2, res.Notified)
}

func TestReassessAfterAConcurrentCreateUpdatesTheirs(t *testing.T) {
	w := newWorld(t, false)
	w.figs[7] = figs(11, 0, 9, 0, 0)
	w.onCreate = func(*risk.Risk) error {
		w.onCreate = nil
		w.elsewhere = func() { w.seed(figs(14, 0, 6, 0, 0)) } // another worker got there first (medium)
		return fault.New(fault.Conflict, "Risk already exists")
	}
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Updated, res.Action)
	assert.Equal(t, []string{"rollback", "commit"}, w.txs)
	assert.Equal(t, risk.High, w.open[7].Severity)
	assert.Empty(t, w.sent, "the creator told them")
}

func TestReassessUpdatesInPlace(t *testing.T) {
	w := newWorld(t, false)
	seeded := w.seed(figs(14, 0, 6, 0, 0)) // medium
	w.figs[7] = figs(11, 0, 9, 0, 0)       // high
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Result{StudentID: 7, Action: attendancerisk.Updated}, res)
	assert.Equal(t, 1, w.reads)
	assert.Equal(t, [][]int64{{7}}, w.setReads, "the figures are read again under the record's lock")
	assert.Equal(t, [][]int64{{seeded.ID}}, w.locked)
	r := w.open[7]
	assert.Equal(t, seeded.ID, r.ID)
	assert.Equal(t, risk.High, r.Severity)
	assert.Equal(t, now, r.UpdatedAt)
	require.Len(t, w.events, 1)
	assert.Equal(t, event.RiskChanged, w.events[0].Type)
	prev := w.events[0].Payload["previous"].(map[string]any)
	assert.Equal(t, "medium", prev["severity"])
	assert.Contains(t, prev, "factors")
	require.Len(t, w.entries, 1)
	assert.Equal(t, audit.ActionUpdate, w.entries[0].Action)
	assert.Equal(t, "medium", w.entries[0].Before["severity"])
	assert.Equal(t, "high", w.entries[0].After["severity"])
	assert.Empty(t, w.sent, "an update is not news")
}

func TestReassessUnchangedUsesNoTransaction(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0))
	w.figs[7] = figs(11, 0, 9, 0, 0)
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Unchanged, res.Action)
	assert.Empty(t, w.txs)
	assert.Empty(t, w.events)
	assert.Empty(t, w.entries)
}

func TestReassessUnchangedUnderTheLockWritesNothing(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0))
	w.figs[7] = figs(14, 0, 6, 0, 0)
	w.stats.ExpectedCalls = nil // the figures change back between the read and the lock
	w.stats.EXPECT().StudentFigures(anyArg, int64(7), window).Return(figs(14, 0, 6, 0, 0), nil).Once()
	underLock := figs(11, 0, 9, 0, 0)
	underLock.StudentID = 7
	w.stats.EXPECT().StudentsFigures(anyArg, []int64{7}, window).Return([]risk.AttendanceFigures{underLock}, nil).Once()
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Unchanged, res.Action)
	assert.Empty(t, w.events)
	assert.Equal(t, risk.High, w.open[7].Severity)
}

func TestReassessFirstRiseToCriticalNotifiesOnce(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0)) // high
	w.figs[7] = figs(11, 0, 14, 0, 5)
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Result{StudentID: 7, Action: attendancerisk.Updated, Notified: 3}, res)
	require.Len(t, w.sent, 3)
	assert.Equal(t, attendancerisk.KindCritical, w.sent[0].Kind)
	assert.Contains(t, w.sent[0].Body, "became critical")

	w.figs[7] = figs(12, 0, 9, 0, 0) // back to high
	_, err = w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	w.figs[7] = figs(11, 0, 14, 0, 5) // critical again
	res, err = w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Updated, res.Action)
	assert.Len(t, w.sent, 3, "only the first rise is told")
}

func TestReassessHysteresis(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0))     // high
	w.figs[7] = figs(16, 0, 4, 0, 0) // 0.80: recovering, not recovered
	res, err := w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Updated, res.Action)
	assert.Equal(t, risk.Medium, w.open[7].Severity)
	assert.Equal(t, risk.Open, w.open[7].Status)

	w.figs[7] = figs(17, 0, 3, 0, 0) // 0.85
	res, err = w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Resolved, res.Action)
	assert.Empty(t, w.open)
	require.Len(t, w.resolved, 1)
	r := w.resolved[0]
	assert.Equal(t, risk.Resolved, r.Status)
	assert.Nil(t, r.ResolvedBy)
	assert.Equal(t, now, *r.ResolvedAt)
	assert.True(t, strings.HasPrefix(r.Description, "Resolved automatically: Attendance 85%"))
	assert.Equal(t, "resolved", w.events[len(w.events)-1].Payload["status"])
	assert.Empty(t, w.sent)

	// Back below warn later: a new record, told again.
	w.figs[7] = figs(14, 0, 6, 0, 0)
	res, err = w.svc.Reassess(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Created, res.Action)
	assert.Len(t, w.sent, 3)
}

func TestReassessFailuresRollBack(t *testing.T) {
	t.Run("figures", func(t *testing.T) {
		w := newWorld(t, false)
		w.figuresErr = errDB
		_, err := w.svc.Reassess(ctx, 7)
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("outbox on create", func(t *testing.T) {
		w := newWorld(t, false)
		w.figs[7] = figs(0, 0, 6, 0, 6)
		w.outboxErr = errDB
		res, err := w.svc.Reassess(ctx, 7)
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, attendancerisk.None, res.Action)
		assert.Equal(t, []string{"rollback"}, w.txs)
		assert.Empty(t, w.open)
		assert.Empty(t, w.sent)
	})
	t.Run("outbox on update", func(t *testing.T) {
		w := newWorld(t, false)
		w.seed(figs(14, 0, 6, 0, 0))
		w.figs[7] = figs(0, 0, 6, 0, 6)
		w.outboxErr = errDB
		_, err := w.svc.Reassess(ctx, 7)
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, risk.Medium, w.open[7].Severity)
	})
	t.Run("repository", func(t *testing.T) {
		w := newWorld(t, false)
		w.risks.ExpectedCalls = nil
		w.risks.EXPECT().OpenBySubject(anyArg, "attendance:student:7").Return(risk.Risk{}, errDB).Once()
		_, err := w.svc.Reassess(ctx, 7)
		assert.ErrorIs(t, err, errDB)
	})
}

func TestRunNightly(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0)) // student 7: open, unchanged
	open7 := w.open[7]
	fine, atRisk, recovered := figs(20, 0, 0, 0, 0), figs(0, 0, 6, 0, 6), figs(19, 0, 1, 0, 0)
	fine.StudentID, atRisk.StudentID, recovered.StudentID = 3, 5, 9
	unchanged := figs(11, 0, 9, 0, 0)
	unchanged.StudentID = 7
	w.figs[5], w.figs[9] = atRisk, recovered
	w.open[9] = func() risk.Risk { // student 9: open, now recovered
		r, err := risk.NewAttendanceRisk(risk.AssessAttendance(figs(14, 0, 6, 0, 0), thresholds), 9, attendancerisk.Name, now)
		require.NoError(t, err)
		r.ID = 50
		return r
	}()
	open9 := w.open[9]
	// Page size 2: students 1..5, then 7..9, then nothing left.
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(0), 2).Return([]risk.AttendanceFigures{fine, atRisk}, 5, nil).Once()
	w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{3, 5}).Return(map[int64]risk.Risk{}, nil).Once()
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(5), 2).Return([]risk.AttendanceFigures{unchanged, recovered}, 9, nil).Once()
	w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{7, 9}).Return(map[int64]risk.Risk{7: open7, 9: open9}, nil).Once()
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(9), 2).Return(nil, 0, nil).Once()

	rep, err := w.svc.RunNightly(ctx)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Report{Assessed: 4, Created: 1, Resolved: 1, Unchanged: 1, Notified: 3}, rep)
	assert.Zero(t, w.reads, "the page's figures stand for each student's")
	assert.Equal(t, [][]int64{{9}}, w.setReads, "only 9's are read again, under its record's lock")
	assert.Contains(t, w.open, int64(5))
	assert.NotContains(t, w.open, int64(9))
	assert.Equal(t, map[string]int{"assessed": 4, "created": 1, "updated": 0, "resolved": 1, "unchanged": 1, "held": 0, "notified": 3, "failed": 0},
		rep.Counts())
}

func TestRunNightlyGoesOnPastAFailingStudent(t *testing.T) {
	w := newWorld(t, false)
	a, b := figs(0, 0, 6, 0, 6), figs(0, 0, 7, 0, 7)
	a.StudentID, b.StudentID = 4, 6
	w.figs[4], w.figs[6] = a, b
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(0), 2).Return([]risk.AttendanceFigures{a, b}, 6, nil).Once()
	w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{4, 6}).Return(map[int64]risk.Risk{}, nil).Once()
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(6), 2).Return(nil, 0, nil).Once()
	// Student 4's history cannot be read: the page's raise fails as a
	// whole, and then only 4's on its own.
	w.lookupFails[4] = errDB
	rep, err := w.svc.RunNightly(ctx)
	require.ErrorIs(t, err, errDB)
	assert.ErrorContains(t, err, "1 students failed")
	assert.ErrorContains(t, err, "student 4")
	assert.Equal(t, 1, rep.Failed)
	assert.Equal(t, 1, rep.Created)
	assert.Contains(t, w.open, int64(6))
	assert.NotContains(t, w.open, int64(4))
}

func TestRunNightlyStopsOnAPageFailure(t *testing.T) {
	w := newWorld(t, true)
	w.stats.EXPECT().FiguresPage(anyArg, window, int64(0), 2).Return(nil, 0, errDB).Once()
	_, err := w.svc.RunNightly(ctx)
	assert.ErrorIs(t, err, errDB)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = w.svc.RunNightly(cancelled)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestTheWindowEndsTodayInTheCampusZone(t *testing.T) {
	w := newWorld(t, true)
	auckland, err := time.LoadLocation("Pacific/Auckland")
	require.NoError(t, err)
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC))
	stats := mocks.NewAttendanceStats(t)
	svc, err := attendancerisk.NewService(attendancerisk.Config{Location: auckland, Thresholds: thresholds},
		attendancerisk.Deps{Stats: stats, Risks: w.risks, Clock: clock})
	require.NoError(t, err)
	// 12:30 UTC on the 27th is already the 28th in Auckland (UTC+13).
	want := risk.AttendanceWindowEnding(mustDate("2026-11-28"))
	stats.EXPECT().FiguresPage(anyArg, want, int64(0), 1000).Return(nil, 0, nil).Once()
	_, err = svc.RunNightly(ctx)
	require.NoError(t, err)
}

func TestReassessRespectsAPersonsResolution(t *testing.T) {
	resolvedBy := func(w *world, sev risk.AttendanceFigures, ago time.Duration) {
		r := w.seed(sev)
		delete(w.open, 7)
		at, by := now.Add(-ago), int64(3)
		r.Status, r.ResolvedAt, r.ResolvedBy = risk.Resolved, &at, &by
		w.resolved = append(w.resolved, r)
	}
	t.Run("held at the same severity", func(t *testing.T) {
		w := newWorld(t, false)
		resolvedBy(w, figs(11, 0, 9, 0, 0), 48*time.Hour) // high, resolved by user 3
		w.figs[7] = figs(10, 0, 9, 0, 0)                  // still high
		res, err := w.svc.Reassess(ctx, 7)
		require.NoError(t, err)
		assert.Equal(t, attendancerisk.Held, res.Action)
		assert.Empty(t, w.open)
		assert.Empty(t, w.txs)
		assert.Empty(t, w.sent)
	})
	t.Run("raised when worse", func(t *testing.T) {
		w := newWorld(t, false)
		resolvedBy(w, figs(11, 0, 9, 0, 0), 48*time.Hour)
		w.figs[7] = figs(9, 0, 11, 0, 0) // critical
		res, err := w.svc.Reassess(ctx, 7)
		require.NoError(t, err)
		assert.Equal(t, attendancerisk.Created, res.Action)
		assert.Equal(t, risk.Critical, w.open[7].Severity)
	})
	t.Run("raised once the resolution is a window old", func(t *testing.T) {
		w := newWorld(t, false)
		resolvedBy(w, figs(11, 0, 9, 0, 0), 30*24*time.Hour)
		w.figs[7] = figs(10, 0, 9, 0, 0)
		res, err := w.svc.Reassess(ctx, 7)
		require.NoError(t, err)
		assert.Equal(t, attendancerisk.Created, res.Action)
	})
	t.Run("a failing lookup fails", func(t *testing.T) {
		w := newWorld(t, false)
		w.figs[7] = figs(10, 0, 9, 0, 0)
		w.lookupFails[7] = errDB
		_, err := w.svc.Reassess(ctx, 7)
		assert.ErrorIs(t, err, errDB)
	})
}

// TestOnEventsAssessesEachStudentOnceInTwoStatements: a job of marks for
// several students (one marked twice) reads their figures and open records
// in one statement each; only the student whose record must change is read
// again one by one, and marks that cannot change figures are ignored.
func TestOnEventsAssessesEachStudentOnceInTwoStatements(t *testing.T) {
	w := newWorld(t, false)
	w.seed(figs(11, 0, 9, 0, 0)) // student 7: open, unchanged by its marks
	open7 := w.open[7]
	w.figs[3], w.figs[5], w.figs[7] = figs(20, 0, 0, 0, 0), figs(0, 0, 6, 0, 6), figs(11, 0, 9, 0, 0)
	mark := func(id string, student float64) jobs.Event {
		e := marked(map[string]any{"student_id": student})
		e.ID = id
		return e
	}
	outside := marked(map[string]any{"student_id": 9.0, "date": "2025-01-06"}) // before the window
	es := []jobs.Event{mark("a", 7), mark("b", 5), mark("c", 3), mark("d", 7), outside}
	w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{7, 5, 3}).Return(map[int64]risk.Risk{7: open7}, nil).Once()

	rep, err := w.svc.OnEvents(ctx, es)
	require.NoError(t, err)
	assert.Equal(t, attendancerisk.Report{Assessed: 3, Created: 1, Unchanged: 1, Notified: rep.Notified}, rep)
	assert.Positive(t, rep.Notified)
	assert.Zero(t, w.reads, "the job's figures stand for each student's: student 5's record is raised without another read")
	assert.Equal(t, [][]int64{{7, 5, 3}}, w.setReads)
	assert.Contains(t, w.open, int64(5))

	// A failing student fails the job, so the queue retries it.
	w.figuresErr = errDB
	_, err = w.svc.OnEvents(ctx, es[:2])
	require.ErrorIs(t, err, errDB)
}

// openFor opens a record for the student as the agent would have for f.
func (w *world) openFor(student int64, f risk.AttendanceFigures) risk.Risk {
	w.t.Helper()
	r, err := risk.NewAttendanceRisk(risk.AssessAttendance(f, thresholds), student, attendancerisk.Name, now.Add(-48*time.Hour))
	require.NoError(w.t, err)
	w.nextID++
	r.ID = w.nextID
	w.open[student] = r
	return r
}

// TestOnEventsUpdatesTheRecordsThatChangeTogether: of a job's students
// whose open records must change, the records are locked, their figures
// read again and the records saved, with their events and audit entries,
// in one transaction; a record a person resolved meanwhile is left out of
// it and assessed afresh.
func TestOnEventsUpdatesTheRecordsThatChangeTogether(t *testing.T) {
	medium, high, critical, clear := figs(14, 0, 6, 0, 0), figs(11, 0, 9, 0, 0), figs(11, 0, 14, 0, 5), figs(20, 0, 0, 0, 0)
	setUp := func(t *testing.T) (*world, []jobs.Event, map[int64]risk.Risk) {
		w := newWorld(t, false)
		r7, r8, r9 := w.openFor(7, medium), w.openFor(8, high), w.openFor(9, high)
		r10, r11 := w.openFor(10, high), w.openFor(11, high)
		w.figs[7], w.figs[8], w.figs[9], w.figs[10], w.figs[11] = high, clear, critical, high, high
		read := map[int64]risk.Risk{7: r7, 8: r8, 9: r9, 10: r10, 11: r11}
		w.figs[10] = figs(11, 0, 10, 0, 0) // still high, but another score
		var es []jobs.Event
		for _, id := range []float64{7, 8, 9, 10, 11} {
			es = append(es, marked(map[string]any{"student_id": id}))
		}
		// A person resolves 10's record after the job read it.
		at, by := now.Add(-time.Minute), int64(3)
		r10.Status, r10.ResolvedAt, r10.ResolvedBy = risk.Resolved, &at, &by
		delete(w.open, 10)
		w.resolved = append(w.resolved, r10)
		w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{7, 8, 9, 10, 11}).Return(read, nil).Once()
		return w, es, read
	}
	check := func(t *testing.T, w *world, rep attendancerisk.Report, read map[int64]risk.Risk) {
		assert.Equal(t, attendancerisk.Report{Assessed: 5, Updated: 2, Resolved: 1, Unchanged: 1, Held: 1, Notified: 3}, rep)
		assert.Equal(t, risk.High, w.open[7].Severity)
		assert.NotContains(t, w.open, int64(8), "recovered: resolved automatically")
		assert.Equal(t, risk.Critical, w.open[9].Severity)
		assert.NotContains(t, w.open, int64(10), "a person's resolution stands")
		assert.Equal(t, read[11], w.open[11])
		require.Len(t, w.events, 3)
		require.Len(t, w.entries, 3)
		for i, e := range w.events {
			assert.Equal(t, event.RiskChanged, e.Type)
			assert.Equal(t, e.AggregateID, w.entries[i].ResourceID)
			assert.Equal(t, audit.ActionUpdate, w.entries[i].Action)
		}
		require.Len(t, w.sent, 3, "9 became critical: the student and two staff are told")
		for _, n := range w.sent {
			assert.Equal(t, attendancerisk.KindCritical, n.Kind)
			assert.Equal(t, fmt.Sprint(read[9].ID), n.ResourceID)
		}
	}
	t.Run("one transaction", func(t *testing.T) {
		w, es, read := setUp(t)
		rep, err := w.svc.OnEvents(ctx, es)
		require.NoError(t, err)
		check(t, w, rep, read)
		assert.Equal(t, []string{"commit"}, w.txs)
		assert.Equal(t, [][]int64{{read[7].ID, read[8].ID, read[9].ID, read[10].ID}}, w.locked)
		assert.Equal(t, [][]int64{{7, 8, 9, 10, 11}, {7, 8, 9, 10}}, w.setReads, "the job's figures, then theirs again under the locks")
		assert.Equal(t, 1, w.auditCalls)
		assert.Equal(t, 1, w.reads, "only 10 is read afresh")
	})
	t.Run("a failing set falls back to each student on their own", func(t *testing.T) {
		w, es, read := setUp(t)
		w.lockErr = errDB
		rep, err := w.svc.OnEvents(ctx, es)
		require.NoError(t, err)
		check(t, w, rep, read)
		assert.Equal(t, []string{"rollback", "commit", "commit", "commit"}, w.txs)
	})
	t.Run("a failing student fails the job after the others", func(t *testing.T) {
		w, es, _ := setUp(t)
		w.lockErr, w.lockErrs = errDB, 2 // the set and student 7 fail
		rep, err := w.svc.OnEvents(ctx, es)
		require.ErrorIs(t, err, errDB)
		assert.ErrorContains(t, err, "student 7")
		assert.Equal(t, 1, rep.Failed)
		assert.Equal(t, attendancerisk.Report{Assessed: 4, Updated: 1, Resolved: 1, Unchanged: 1, Held: 1, Failed: 1, Notified: 3}, rep)
		assert.Equal(t, risk.Medium, w.open[7].Severity, "7 unchanged")
		assert.Equal(t, risk.Critical, w.open[9].Severity)
	})
}

// TestOnEventsRaisesTogether: of a job's students without an open record
// whose figures call for one, the records are raised in one transaction —
// one insert call, one read of the audiences, one notification call — and
// a student a person's recent resolution holds is left alone; when another
// run raised one of them first, the set rolls back and each student is
// taken on their own.
func TestOnEventsRaisesTogether(t *testing.T) {
	setUp := func(t *testing.T) (*world, []jobs.Event) {
		w := newWorld(t, false)
		w.figs[5], w.figs[6], w.figs[8] = figs(11, 0, 9, 0, 0), figs(11, 0, 9, 0, 0), figs(9, 0, 11, 0, 0) // high, high, critical
		held := w.openFor(6, figs(11, 0, 9, 0, 0))
		delete(w.open, 6)
		at, by := now.Add(-48*time.Hour), int64(3)
		held.Status, held.ResolvedAt, held.ResolvedBy = risk.Resolved, &at, &by
		w.resolved = append(w.resolved, held)
		var es []jobs.Event
		for _, id := range []float64{5, 6, 8} {
			es = append(es, marked(map[string]any{"student_id": id}))
		}
		w.stats.EXPECT().OpenAttendanceRisks(anyArg, []int64{5, 6, 8}).Return(map[int64]risk.Risk{}, nil).Once()
		return w, es
	}
	t.Run("one transaction", func(t *testing.T) {
		w, es := setUp(t)
		rep, err := w.svc.OnEvents(ctx, es)
		require.NoError(t, err)
		assert.Equal(t, attendancerisk.Report{Assessed: 3, Created: 2, Held: 1, Notified: 6}, rep)
		assert.Equal(t, []string{"commit"}, w.txs)
		assert.Equal(t, []int{2}, w.creates)
		assert.Equal(t, [][]int64{{5, 8}}, w.audienceReads)
		assert.Equal(t, 1, w.auditCalls)
		require.Len(t, w.events, 2)
		for i, student := range []int64{5, 8} {
			r := w.open[student]
			assert.Equal(t, event.RiskCreated, w.events[i].Type)
			assert.Equal(t, fmt.Sprint(r.ID), w.events[i].AggregateID)
			assert.Equal(t, audit.ActionCreate, w.entries[i].Action)
			assert.Equal(t, fmt.Sprint(r.ID), w.entries[i].ResourceID)
		}
		assert.Equal(t, risk.Critical, w.open[8].Severity)
		assert.NotContains(t, w.open, int64(6), "a person's recent resolution holds")
		require.Len(t, w.sent, 6)
		for _, n := range w.sent {
			assert.Equal(t, attendancerisk.KindOpened, n.Kind)
		}
	})
	t.Run("a conflict falls back to each student", func(t *testing.T) {
		w, es := setUp(t)
		w.onCreate = func(r *risk.Risk) error {
			if *r.StudentID != 8 {
				return nil
			}
			w.onCreate = nil
			w.elsewhere = func() { w.openFor(8, figs(11, 0, 9, 0, 0)) } // another worker raised 8's (high)
			return fault.New(fault.Conflict, "Risk already exists")
		}
		rep, err := w.svc.OnEvents(ctx, es)
		require.NoError(t, err)
		assert.Equal(t, attendancerisk.Report{Assessed: 3, Created: 1, Updated: 1, Held: 1, Notified: 6}, rep)
		assert.Equal(t, []string{"rollback", "commit", "commit"}, w.txs)
		assert.Equal(t, risk.Critical, w.open[8].Severity, "theirs, updated to what the figures say")
		assert.Contains(t, w.open, int64(5))
	})
}
