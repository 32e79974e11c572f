package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestAttendanceAnalyticsStore runs the attendance analytics and demo bulk
// path contract on every database.
func TestAttendanceAnalyticsStore(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			t.Run("TrendAndLow", func(t *testing.T) { testAnalyticsTrendLow(t, setup(t, s.URL(t))) })
			t.Run("DemoBulk", func(t *testing.T) { testDemoBulk(t, setup(t, s.URL(t))) })
		})
	}
}

func testAnalyticsTrendLow(t *testing.T, r *repos) {
	ctx := context.Background()
	an := store.NewAttendanceAnalytics(r.db)
	recs := store.NewAttendanceRepository(r.db)
	a := newStudent(t, r, "AN-1", func(f *student.Fields) { f.Department = "Physics" })
	b := newStudent(t, r, "AN-2", func(f *student.Fields) { f.Department = "Physics" })
	c := newStudent(t, r, "AN-3", func(f *student.Fields) { f.Department = "Music"; f.Status = "graduated" })
	mark := func(id int64, d string, st attendance.Status) {
		rec := attendance.Record{StudentID: id, Date: day(d), Session: "daily", Status: st}
		require.NoError(t, recs.Create(ctx, &rec))
	}
	// Window 2026-03-01..2026-03-05 across February's end; 02-27 is in the
	// look-back of a 3-day moving average only for 03-01.
	mark(a.ID, "2026-02-27", attendance.Present)
	mark(a.ID, "2026-03-01", attendance.Absent)
	mark(b.ID, "2026-03-01", attendance.Late)
	mark(a.ID, "2026-03-02", attendance.Excused)
	mark(a.ID, "2026-03-04", attendance.Present)
	mark(c.ID, "2026-03-05", attendance.Absent)

	tr, err := an.Trend(ctx, ports.AttendanceScope{StudentID: a.ID}, day("2026-03-01"), day("2026-03-05"), 3)
	require.NoError(t, err)
	require.Len(t, tr.Days, 5)
	assert.Equal(t, "2026-03-01", tr.Days[0].Date.String())
	assert.Equal(t, "2026-03-05", tr.Days[4].Date.String())
	assert.Equal(t, 1, tr.Days[0].Absent)
	assert.Equal(t, 1, tr.Days[0].Counted)
	assert.InDelta(t, 0.0, *tr.Days[0].Rate, 1e-12)
	assert.InDelta(t, 0.5, *tr.Days[0].MovingAverage, 1e-12) // {1 (02-27), 0}
	assert.Nil(t, tr.Days[1].Rate)                           // excused only
	assert.Equal(t, 1, tr.Days[1].Excused)
	assert.InDelta(t, 0.0, *tr.Days[1].MovingAverage, 1e-12) // 02-28..03-02: {0}
	assert.InDelta(t, 0.0, *tr.Days[2].MovingAverage, 1e-12) // 03-01..03-03: {0}
	assert.InDelta(t, 1.0, *tr.Days[3].MovingAverage, 1e-12) // 03-02..03-04: {1}
	require.NotNil(t, tr.Slope)
	assert.InDelta(t, 1.0/3, *tr.Slope, 1e-12) // (0,0) (3,1)
	assert.Nil(t, tr.Days[4].Rate)

	tr, err = an.Trend(ctx, ports.AttendanceScope{Department: "Physics"}, day("2026-03-01"), day("2026-03-01"), 1)
	require.NoError(t, err)
	require.Len(t, tr.Days, 1)
	assert.Equal(t, 1, tr.Days[0].Late)
	assert.InDelta(t, 0.5, *tr.Days[0].Rate, 1e-12)
	assert.Nil(t, tr.Slope)

	tr, err = an.Trend(ctx, ports.AttendanceScope{}, day("2026-03-05"), day("2026-03-05"), 7)
	require.NoError(t, err)
	assert.Equal(t, 1, tr.Days[0].Absent) // the graduated student's mark counts campus-wide
	assert.InDelta(t, 0.0, *tr.Days[0].Rate, 1e-12)

	low, err := an.Low(ctx, ports.LowAttendanceFilter{From: day("2026-03-01"), To: day("2026-03-05"), Threshold: 0.5}, page.Request{Limit: 10})
	require.NoError(t, err)
	// a: 1/2 is not under .5; b: 1/1; c: graduated.
	assert.Equal(t, 0, low.Total)
	low, err = an.Low(ctx, ports.LowAttendanceFilter{From: day("2026-03-01"), To: day("2026-03-05"), Threshold: 0.75}, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Equal(t, 1, low.Total)
	assert.Equal(t, ports.LowAttendance{StudentID: a.ID, Name: a.Name, RollNo: a.RollNo, Department: "Physics", Attended: 1, Counted: 2,
		Excused: 1, Rate: 0.5}, low.Items[0])
	low, err = an.Low(ctx, ports.LowAttendanceFilter{From: day("2026-03-01"), To: day("2026-03-05"), Threshold: 0.75}, page.Request{Limit: 10, Offset: 5})
	require.NoError(t, err)
	assert.Empty(t, low.Items)
	assert.Equal(t, 1, low.Total)
	low, err = an.Low(ctx, ports.LowAttendanceFilter{From: day("2026-03-01"), To: day("2026-03-05"), Threshold: 0.75, Department: "Music"}, page.Request{Limit: 10})
	require.NoError(t, err)
	assert.Equal(t, 0, low.Total)
}

func testDemoBulk(t *testing.T, r *repos) {
	ctx := context.Background()
	demo := store.NewDemoStore(r.db)
	has, err := demo.HasDemo(ctx, "DEMO-")
	require.NoError(t, err)
	assert.False(t, has)
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	var ss []student.Student
	for _, roll := range []string{"DEMO-1", "DEMO-2", "DEMO-3"} {
		s, err := student.New(student.Fields{Name: "Demo " + roll, RollNo: roll, Department: "Physics", Semester: 1})
		require.NoError(t, err)
		s.CreatedAt, s.UpdatedAt = now, now
		ss = append(ss, s)
	}
	ids, err := demo.InsertStudents(ctx, ss)
	require.NoError(t, err)
	require.Len(t, ids, 3)
	for i, id := range ids {
		got, err := r.students.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, ss[i].RollNo, got.RollNo)
	}
	has, err = demo.HasDemo(ctx, "DEMO-")
	require.NoError(t, err)
	assert.True(t, has)

	var recs []attendance.Record
	for _, id := range ids {
		for _, d := range []string{"2026-03-02", "2026-03-03"} {
			recs = append(recs, attendance.Record{StudentID: id, Date: day(d), Session: "daily", Status: attendance.Present, CreatedAt: now, UpdatedAt: now})
		}
	}
	recs[0].Status = attendance.Absent
	require.NoError(t, demo.InsertAttendance(ctx, recs))
	counts, err := store.NewAttendanceRepository(r.db).Count(ctx, attendance.Filter{})
	require.NoError(t, err)
	assert.Equal(t, attendance.Counts{attendance.Present: 5, attendance.Absent: 1}, counts)

	c, err := complaint.New(complaint.Fields{StudentID: ids[0], Title: "Broken projector", Description: "It does not turn on at all."}, 1, now)
	require.NoError(t, err)
	require.NoError(t, demo.InsertComplaints(ctx, []complaint.Complaint{c}))
	id := ids[1]
	rk, err := risk.New(risk.Fields{StudentID: &id, Type: "attendance", Severity: "high", Description: "Low attendance"}, "demo", now)
	require.NoError(t, err)
	require.NoError(t, demo.InsertRisks(ctx, []risk.Risk{rk}))
	got, err := store.NewRiskRepository(r.db).List(ctx, risk.Filter{}, page.Request{Limit: 10})
	require.NoError(t, err)
	require.Len(t, got.Items, 1)
	assert.Equal(t, &id, got.Items[0].StudentID)
}
