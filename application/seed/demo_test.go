package seed_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
)

// friday is 2026-11-27; the plan's last school day is then that Friday.
var friday = attendance.Date{Year: 2026, Month: time.November, Day: 27}

func TestPlanIsDeterministic(t *testing.T) {
	spec := seed.DemoSpec{Students: 200, Days: 12, Seed: 42, Last: attendance.Date{Year: 2026, Month: time.November, Day: 29}}
	a, err := seed.NewPlan(spec)
	require.NoError(t, err)
	b, err := seed.NewPlan(spec)
	require.NoError(t, err)
	assert.Equal(t, a.Students(), b.Students())
	ids := make([]int64, spec.Students)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	// Any day is the same whichever was generated first.
	last := a.Attendance(11, ids)
	assert.Equal(t, a.Attendance(0, ids), b.Attendance(0, ids))
	assert.Equal(t, last, b.Attendance(11, ids))
	ca, err := a.Complaints(ids, 1)
	require.NoError(t, err)
	cb, err := b.Complaints(ids, 1)
	require.NoError(t, err)
	assert.Equal(t, ca, cb)

	other, err := seed.NewPlan(seed.DemoSpec{Students: 200, Days: 12, Seed: 43, Last: spec.Last})
	require.NoError(t, err)
	assert.NotEqual(t, a.Students(), other.Students())
	assert.NotEqual(t, last, other.Attendance(11, ids))
}

func TestPlanShape(t *testing.T) {
	p, err := seed.NewPlan(seed.DemoSpec{Students: 1000, Days: 10, Seed: 7, Last: attendance.Date{Year: 2026, Month: time.November, Day: 29}})
	require.NoError(t, err)
	// Ten school days ending on Friday 2026-11-27, weekends skipped.
	require.Len(t, p.Days, 10)
	assert.Equal(t, friday, p.Days[9])
	assert.Equal(t, "2026-11-16", p.Days[0].String())
	for _, d := range p.Days {
		wd := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Weekday()
		assert.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, wd)
	}
	depts := map[string]bool{}
	rolls := map[string]bool{}
	for _, s := range p.Students() {
		depts[s.Department] = true
		rolls[s.RollNo] = true
		assert.Contains(t, s.RollNo, seed.DemoPrefix)
	}
	assert.Len(t, depts, 8)
	assert.Len(t, rolls, 1000)
	ids := make([]int64, 1000)
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	counts := map[attendance.Status]int{}
	for k := range p.Days {
		for _, r := range p.Attendance(k, ids) {
			counts[r.Status]++
		}
	}
	rate := float64(counts[attendance.Present]+counts[attendance.Late]) / float64(counts[attendance.Present]+counts[attendance.Late]+counts[attendance.Absent])
	assert.InDelta(t, 0.85, rate, 0.07, "campus rate %v", rate)
	for _, st := range []attendance.Status{attendance.Present, attendance.Late, attendance.Absent, attendance.Excused} {
		assert.Positive(t, counts[st], st)
	}
	rs, err := p.Risks(ids)
	require.NoError(t, err)
	assert.NotEmpty(t, rs)
	assert.LessOrEqual(t, len(rs), 20)
}

func TestPlanRejectsBadSizes(t *testing.T) {
	_, err := seed.NewPlan(seed.DemoSpec{Students: 0, Days: 0})
	require.ErrorIs(t, err, fault.ErrInvalid)
}

// fakeDemo records what the demo wrote.
type fakeDemo struct {
	exists            bool
	students, att, cs int
	risks             int
	analyzedAfter     int // records written when Analyze ran
}

func (f *fakeDemo) HasDemo(context.Context, string) (bool, error) { return f.exists, nil }
func (f *fakeDemo) InsertStudents(_ context.Context, ss []student.Student) ([]int64, error) {
	ids := make([]int64, len(ss))
	for i := range ids {
		ids[i] = int64(f.students + i + 1)
	}
	f.students += len(ss)
	return ids, nil
}
func (f *fakeDemo) InsertAttendance(_ context.Context, rs []attendance.Record) error {
	f.att += len(rs)
	return nil
}
func (f *fakeDemo) InsertComplaints(_ context.Context, cs []complaint.Complaint) error {
	f.cs += len(cs)
	return nil
}
func (f *fakeDemo) InsertRisks(_ context.Context, rs []risk.Risk) error {
	f.risks += len(rs)
	return nil
}
func (f *fakeDemo) Analyze(context.Context) error {
	f.analyzedAfter = f.students + f.att + f.cs + f.risks
	return nil
}

func TestDemoRun(t *testing.T) {
	f := &fakeDemo{}
	rep, err := seed.NewDemo(f).Run(context.Background(), seed.DemoSpec{Students: 100, Days: 25, Seed: 1, Last: friday, FiledBy: 1})
	require.NoError(t, err)
	assert.Equal(t, 100, f.students)
	assert.Equal(t, 2500, f.att)
	assert.Equal(t, f.students+f.att+f.cs+f.risks, f.analyzedAfter, "statistics refreshed after everything was written")
	assert.Equal(t, seed.DemoReport{Students: 100, Attendance: 2500, Complaints: 10, Risks: f.risks, From: rep.From, To: friday}, rep)

	_, err = seed.NewDemo(&fakeDemo{exists: true}).Run(context.Background(), seed.DemoSpec{Students: 1, Days: 1, Last: friday})
	require.ErrorIs(t, err, fault.ErrConflict)
}
