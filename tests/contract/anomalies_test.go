package contract_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// anomalyRepos is a fresh database seen through the anomaly detection's ports.
type anomalyRepos struct {
	*repos
	anomalies ports.AnomalyRepository
	signals   ports.AnomalySignals
	records   ports.AttendanceRepository
}

// TestAnomalyStore runs the anomaly repository and signals contract on
// every database, each case on a fresh one.
func TestAnomalyStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *anomalyRepos)
	}{
		{"RecordOncePerSubjectAndDay", testAnomalyRecordOnce},
		{"RecordConcurrent", testAnomalyRecordConcurrent},
		{"RecordRollsBackWithTx", testAnomalyRecordRollback},
		{"List", testAnomalyList},
		{"DepartmentDays", testAnomalyDepartmentDays},
		{"StudentWindows", testAnomalyStudentWindows},
		{"ComplaintsFiled", testAnomalyComplaintsFiled},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, &anomalyRepos{repos: r, anomalies: store.NewAnomalyRepository(r.db),
						signals: store.NewAnomalySignals(r.db), records: store.NewAttendanceRepository(r.db)})
				})
			}
		})
	}
}

func newAnomaly(subject, d string) anomaly.Anomaly {
	return anomaly.Anomaly{Type: anomaly.AttendanceDrop, SubjectKind: anomaly.Department, Subject: subject, Day: day(d),
		Figures: map[string]float64{"rate": 0.55, "trailing_mean": 0.9333, "history_days": 3}, Description: "Attendance fell in " + subject,
		CreatedAt: base}
}

func testAnomalyRecordOnce(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	a := newAnomaly("CSE", "2026-11-26")
	isNew, err := r.anomalies.Record(ctx, &a)
	require.NoError(t, err)
	assert.True(t, isNew)
	require.NotZero(t, a.ID)

	again := newAnomaly("CSE", "2026-11-26")
	again.Figures = map[string]float64{"rate": 0.1}
	again.Description = "a re-run"
	isNew, err = r.anomalies.Record(ctx, &again)
	require.NoError(t, err)
	assert.False(t, isNew, "the same type, subject and day is recorded once")
	assert.Zero(t, again.ID)

	// Any part of the key differing makes another anomaly.
	others := []anomaly.Anomaly{newAnomaly("CSE", "2026-11-27"), newAnomaly("Physics", "2026-11-26")}
	student := newAnomaly("CSE", "2026-11-26")
	student.SubjectKind = anomaly.Student
	spike := newAnomaly("CSE", "2026-11-26")
	spike.Type = anomaly.ComplaintSpike
	others = append(others, student, spike)
	for i := range others {
		isNew, err := r.anomalies.Record(ctx, &others[i])
		require.NoError(t, err)
		assert.True(t, isNew, others[i].Key())
	}

	got, err := r.anomalies.List(ctx, day("2026-11-26"), day("2026-11-26"))
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.Equal(t, a, got[0], "the first record is kept as it was")
	assert.Equal(t, at(0), got[0].CreatedAt)
}

func testAnomalyRecordConcurrent(t *testing.T, r *anomalyRepos) {
	var created atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.tx.InTx(context.Background(), func(ctx context.Context) error {
				a := newAnomaly("CSE", "2026-11-26")
				isNew, err := r.anomalies.Record(ctx, &a)
				if isNew {
					created.Add(1)
				}
				return err
			})
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	assert.Equal(t, int32(1), created.Load(), "of concurrent runs exactly one records the anomaly")
}

func testAnomalyRecordRollback(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	veto := errors.New("veto")
	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		a := newAnomaly("CSE", "2026-11-26")
		isNew, err := r.anomalies.Record(ctx, &a)
		require.NoError(t, err)
		require.True(t, isNew)
		return veto
	})
	require.ErrorIs(t, err, veto)
	got, err := r.anomalies.List(ctx, day("2026-01-01"), day("2026-12-31"))
	require.NoError(t, err)
	assert.Empty(t, got)
	a := newAnomaly("CSE", "2026-11-26")
	isNew, err := r.anomalies.Record(ctx, &a)
	require.NoError(t, err)
	assert.True(t, isNew, "a rolled-back record leaves the key free")
}

func testAnomalyList(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	for _, x := range []struct{ subject, day string }{{"B", "2026-11-27"}, {"A", "2026-11-25"}, {"C", "2026-11-26"}, {"A", "2026-11-27"}, {"A", "2026-11-28"}} {
		a := newAnomaly(x.subject, x.day)
		_, err := r.anomalies.Record(ctx, &a)
		require.NoError(t, err)
	}
	got, err := r.anomalies.List(ctx, day("2026-11-26"), day("2026-11-27"))
	require.NoError(t, err)
	var keys []string
	for _, a := range got {
		keys = append(keys, a.Subject+"@"+a.Day.String())
		assert.Equal(t, map[string]float64{"rate": 0.55, "trailing_mean": 0.9333, "history_days": 3}, a.Figures)
	}
	assert.Equal(t, []string{"C@2026-11-26", "B@2026-11-27", "A@2026-11-27"}, keys, "both ends inclusive, by day then id")
}

func (r *anomalyRepos) mark(t *testing.T, studentID int64, date string, st attendance.Status, session ...string) {
	t.Helper()
	sess := "daily"
	if len(session) > 0 {
		sess = session[0]
	}
	rec := attendance.Record{StudentID: studentID, Date: day(date), Session: sess, Status: st, CreatedAt: base, UpdatedAt: base}
	require.NoError(t, r.records.Create(context.Background(), &rec))
}

func testAnomalyDepartmentDays(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	cse1 := newStudent(t, r.repos, "CSE-1", nil)
	cse2 := newStudent(t, r.repos, "CSE-2", nil)
	phy := newStudent(t, r.repos, "PHY-1", func(f *student.Fields) { f.Department = "Physics" })
	r.mark(t, cse1.ID, "2026-11-20", attendance.Present)
	r.mark(t, cse1.ID, "2026-11-20", attendance.Absent, "evening") // a second session is a second mark
	r.mark(t, cse2.ID, "2026-11-20", attendance.Late)
	r.mark(t, cse2.ID, "2026-11-21", attendance.Excused) // only excused: no rate that day
	r.mark(t, cse1.ID, "2026-11-22", attendance.Absent)
	r.mark(t, cse2.ID, "2026-11-22", attendance.Excused)
	r.mark(t, phy.ID, "2026-11-22", attendance.Present)
	r.mark(t, phy.ID, "2026-11-19", attendance.Present) // before the span
	r.mark(t, phy.ID, "2026-11-23", attendance.Present) // after it

	got, err := r.signals.DepartmentDays(ctx, anomaly.Span{From: day("2026-11-20"), To: day("2026-11-22")})
	require.NoError(t, err)
	assert.Equal(t, []anomaly.DepartmentDay{
		{Department: "CSE", Day: day("2026-11-20"), Tally: anomaly.Tally{Attended: 2, Counted: 3}},
		{Department: "CSE", Day: day("2026-11-22"), Tally: anomaly.Tally{Attended: 0, Counted: 1}},
		{Department: "Physics", Day: day("2026-11-22"), Tally: anomaly.Tally{Attended: 1, Counted: 1}},
	}, got)
}

func testAnomalyStudentWindows(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	d := day("2026-11-30")
	rules := anomaly.DefaultRules()
	spans := rules.StudentSpans(d)
	markDays := func(id int64, from, to int, st attendance.Status) { // days before d, inclusive
		for i := from; i <= to; i++ {
			r.mark(t, id, anomaly.AddDays(d, -i).String(), st)
		}
	}
	// Dropping: present on days 7..29 before, absent on the last 7 days.
	drop := newStudent(t, r.repos, "S-DROP", nil)
	markDays(drop.ID, 7, 29, attendance.Present)
	markDays(drop.ID, 0, 6, attendance.Absent)
	// Steady: present throughout.
	steady := newStudent(t, r.repos, "S-STEADY", nil)
	markDays(steady.ID, 0, 29, attendance.Present)
	// Too few recent marks: two absences, excused otherwise.
	few := newStudent(t, r.repos, "S-FEW", nil)
	markDays(few.ID, 7, 29, attendance.Present)
	markDays(few.ID, 0, 1, attendance.Absent)
	markDays(few.ID, 2, 6, attendance.Excused)
	// Archived: dropping, but no longer active.
	gone := newStudent(t, r.repos, "S-GONE", func(f *student.Fields) { f.Status = "inactive" })
	markDays(gone.ID, 7, 29, attendance.Present)
	markDays(gone.ID, 0, 6, attendance.Absent)
	// Exactly at the boundary: 7 of 10 previously, 4 of 10 recently (0.7 − 0.4
	// is a hair under 0.3 in floating point).
	edge := newStudent(t, r.repos, "S-EDGE", nil)
	for i := 7; i <= 16; i++ {
		st := attendance.Present
		if i > 13 {
			st = attendance.Absent
		}
		r.mark(t, edge.ID, anomaly.AddDays(d, -i).String(), st)
	}
	for i := 0; i <= 6; i++ {
		st := attendance.Absent
		if i < 4 {
			st = attendance.Present
		}
		r.mark(t, edge.ID, anomaly.AddDays(d, -i).String(), st)
		if i < 3 {
			r.mark(t, edge.ID, anomaly.AddDays(d, -i).String(), attendance.Absent, "evening")
		}
	}
	r.mark(t, edge.ID, anomaly.AddDays(d, -40).String(), attendance.Present) // outside every window

	got, err := r.signals.StudentWindows(ctx, spans, rules.StudentMinRecentMarks, rules.StudentMinPreviousMarks, rules.StudentMinDrop)
	require.NoError(t, err)
	require.Len(t, got, 2, "%+v", got)
	assert.Equal(t, anomaly.StudentWindows{StudentID: drop.ID,
		Recent: anomaly.Tally{Attended: 0, Counted: 7}, Previous: anomaly.Tally{Attended: 23, Counted: 23},
		RecentBefore: anomaly.Tally{Attended: 1, Counted: 7}, PreviousBefore: anomaly.Tally{Attended: 22, Counted: 22}}, got[0])
	assert.Equal(t, edge.ID, got[1].StudentID)
	assert.Equal(t, anomaly.Tally{Attended: 4, Counted: 10}, got[1].Recent)
	assert.Equal(t, anomaly.Tally{Attended: 7, Counted: 10}, got[1].Previous)
	_, isNew := rules.StudentDrop(d, got[0])
	assert.False(t, isNew, "the drop already showed the day before")
	_, isNew = rules.StudentDrop(d, got[1])
	assert.True(t, isNew, "the boundary student's drop is new on the day")

	none, err := r.signals.StudentWindows(ctx, spans, 100, 5, 0.3)
	require.NoError(t, err)
	assert.Empty(t, none, "the minimum marks filter in the database")
}

func testAnomalyComplaintsFiled(t *testing.T, r *anomalyRepos) {
	ctx := context.Background()
	c := store.NewComplaintRepository(r.db)
	s := newStudent(t, r.repos, "CSE-1", nil)
	mid := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	for _, off := range []time.Duration{-25 * time.Hour, -24 * time.Hour, -time.Microsecond, 0, time.Hour,
		24*time.Hour - time.Microsecond, 24 * time.Hour} {
		x, err := complaint.New(complaint.Fields{StudentID: s.ID, Title: "Broken heater", Description: "Room 12 is freezing cold."},
			1, mid.Add(off))
		require.NoError(t, err)
		require.NoError(t, c.Create(ctx, &x))
	}
	before, after, err := r.signals.ComplaintsFiled(ctx, mid.Add(-24*time.Hour), mid, mid.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 2, before, "[from, mid)")
	assert.Equal(t, 3, after, "[mid, to)")
	before, after, err = r.signals.ComplaintsFiled(ctx, mid.Add(-72*time.Hour), mid.Add(-48*time.Hour), mid.Add(-47*time.Hour))
	require.NoError(t, err)
	assert.Zero(t, before+after, "no complaints: zero, not an error")
}
