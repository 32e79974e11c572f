package anomaly_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/anomaly"
	"github.com/campus/campus/domain/attendance"
)

func date(s string) attendance.Date {
	d, err := attendance.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

var day = date("2026-03-31")

// dept builds a department's tallies: history[i] is the tally i+1 days
// before day; today is day's own.
func dept(name string, today anomaly.Tally, history ...anomaly.Tally) []anomaly.DepartmentDay {
	out := []anomaly.DepartmentDay{{Department: name, Day: day, Tally: today}}
	for i, t := range history {
		out = append(out, anomaly.DepartmentDay{Department: name, Day: anomaly.AddDays(day, -(i + 1)), Tally: t})
	}
	return out
}

func tally(attended, counted int) anomaly.Tally {
	return anomaly.Tally{Attended: attended, Counted: counted}
}

var full = tally(10, 10)

func TestDepartmentDrops(t *testing.T) {
	none := tally(0, 0) // a day without counted marks (no records, or only excused ones)
	tests := []struct {
		name string
		days []anomaly.DepartmentDay
		want []string // departments flagged
	}{
		{"exactly 20 % below the mean is a drop", dept("CSE", tally(8, 10), full, full, full), []string{"CSE"}},
		{"just above the threshold is not", dept("CSE", tally(81, 100), full, full, full), nil},
		{"the boundary survives floating point (0.6 against 0.8 × 0.75)",
			dept("CSE", tally(3, 5), tally(3, 4), tally(3, 4), tally(3, 4)), []string{"CSE"}},
		{"two days of history are too few", dept("CSE", tally(0, 10), full, full), nil},
		{"three days of history are enough", dept("CSE", tally(0, 10), full, full, full), []string{"CSE"}},
		{"days without records are skipped, not counted as zero",
			dept("CSE", tally(7, 10), full, none, full, none, full, none, none), []string{"CSE"}},
		{"skipped days do not make up the history", dept("CSE", tally(0, 10), full, none, full, none, none, none, none), nil},
		{"days before the trailing window are ignored",
			append(dept("CSE", tally(0, 10), none, none, none, none, full, full), // only 2 days in the 7 before
				anomaly.DepartmentDay{Department: "CSE", Day: anomaly.AddDays(day, -8), Tally: full}), nil},
		{"later days are ignored", append(dept("CSE", tally(10, 10), full, full, full),
			anomaly.DepartmentDay{Department: "CSE", Day: anomaly.AddDays(day, 1), Tally: tally(0, 10)}), nil},
		{"no marks on the day: nothing to judge", dept("CSE", none, full, full, full), nil},
		{"only excused on the day: nothing to judge", dept("CSE", tally(0, 0), full, full, full), nil},
		{"a mean of zero cannot drop", dept("CSE", tally(0, 10), tally(0, 5), tally(0, 5), tally(0, 5)), nil},
		{"departments are judged apart and reported by name",
			append(append(dept("Physics", tally(1, 10), full, full, full), dept("Biology", tally(2, 10), full, full, full)...),
				dept("Chemistry", full, full, full, full)...), []string{"Biology", "Physics"}},
		{"records without a department are left out", dept("", tally(0, 10), full, full, full), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := anomaly.Rules{}.DepartmentDrops(day, tc.days)
			var names []string
			for _, a := range got {
				names = append(names, a.Subject)
				assert.Equal(t, anomaly.AttendanceDrop, a.Type)
				assert.Equal(t, anomaly.Department, a.SubjectKind)
				assert.Equal(t, day, a.Day)
			}
			assert.Equal(t, tc.want, names)
		})
	}
}

func TestDepartmentDropExplains(t *testing.T) {
	got := anomaly.Rules{}.DepartmentDrops(day, dept("CSE", tally(11, 20), full, tally(8, 10), full, tally(0, 0)))
	require.Len(t, got, 1)
	a := got[0]
	assert.Equal(t, map[string]float64{"rate": 0.55, "trailing_mean": 0.9333, "threshold": 0.7467, "relative_drop": 0.4107,
		"history_days": 3, "attended": 11, "counted": 20}, a.Figures)
	assert.Equal(t, "Attendance in CSE on 2026-03-31 was 55.0% (11 of 20 marks), 41.1% below its mean of 93.3% over the 3 days "+
		"with records among the 7 before it; a day at least 20.0% below (relative) is an anomaly.", a.Description)
	assert.Equal(t, "attendance_drop:department:CSE:2026-03-31", a.Key())
}

func TestRulesFromConfig(t *testing.T) {
	r := anomaly.Rules{DropRatio: 0.5, MinHistoryDays: 1}
	assert.Empty(t, r.DepartmentDrops(day, dept("CSE", tally(6, 10), full)), "0.6 is above 0.5 × 1.0")
	assert.Len(t, r.DepartmentDrops(day, dept("CSE", tally(5, 10), full)), 1, "one day of history is enough when configured")
	assert.Equal(t, anomaly.DefaultRules(), anomaly.Rules{}.OrDefaults())
}

func TestStudentSpans(t *testing.T) {
	s := anomaly.Rules{}.StudentSpans(day)
	assert.Equal(t, anomaly.Span{From: date("2026-03-25"), To: date("2026-03-31")}, s.Recent, "7 days ending on the day")
	assert.Equal(t, anomaly.Span{From: date("2026-03-02"), To: date("2026-03-24")}, s.Previous, "the 23 days before")
	assert.Equal(t, anomaly.Span{From: date("2026-03-24"), To: date("2026-03-30")}, s.RecentBefore)
	assert.Equal(t, anomaly.Span{From: date("2026-03-01"), To: date("2026-03-23")}, s.PreviousBefore)
}

func TestStudentDrop(t *testing.T) {
	quiet := tally(0, 0) // the day before could not be judged
	tests := []struct {
		name                   string
		recent, previous       anomaly.Tally
		recentB, previousB     anomaly.Tally
		want                   bool
		wantDrop, wantRecentPc float64
	}{
		{name: "exactly 0.30 below is a drop", recent: tally(7, 10), previous: tally(10, 10), recentB: quiet, previousB: quiet,
			want: true, wantDrop: 0.3, wantRecentPc: 0.7},
		{name: "the boundary survives floating point (0.7 − 0.4)", recent: tally(2, 5), previous: tally(7, 10),
			recentB: quiet, previousB: quiet, want: true, wantDrop: 0.3, wantRecentPc: 0.4},
		{name: "0.29 below is not", recent: tally(71, 100), previous: tally(100, 100), recentB: quiet, previousB: quiet},
		{name: "too few recent marks", recent: tally(0, 2), previous: tally(10, 10), recentB: quiet, previousB: quiet},
		{name: "three recent marks are enough", recent: tally(0, 3), previous: tally(10, 10), recentB: quiet, previousB: quiet,
			want: true, wantDrop: 1, wantRecentPc: 0},
		{name: "too few previous marks", recent: tally(0, 5), previous: tally(4, 4), recentB: quiet, previousB: quiet},
		{name: "five previous marks are enough", recent: tally(0, 5), previous: tally(5, 5), recentB: quiet, previousB: quiet,
			want: true, wantDrop: 1, wantRecentPc: 0},
		{name: "a drop that already held the day before is not new", recent: tally(0, 5), previous: tally(10, 10),
			recentB: tally(1, 5), previousB: tally(10, 10)},
		{name: "a drop that did not hold the day before is new", recent: tally(1, 5), previous: tally(10, 10),
			recentB: tally(4, 5), previousB: tally(10, 10), want: true, wantDrop: 0.8, wantRecentPc: 0.2},
		{name: "an improvement is not a drop", recent: tally(10, 10), previous: tally(0, 10), recentB: quiet, previousB: quiet},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, ok := anomaly.Rules{}.StudentDrop(day, anomaly.StudentWindows{StudentID: 42, Recent: tc.recent, Previous: tc.previous,
				RecentBefore: tc.recentB, PreviousBefore: tc.previousB})
			require.Equal(t, tc.want, ok)
			if !ok {
				return
			}
			assert.Equal(t, anomaly.AttendanceDrop, a.Type)
			assert.Equal(t, anomaly.Student, a.SubjectKind)
			assert.Equal(t, "42", a.Subject)
			assert.InDelta(t, tc.wantDrop, a.Figures["drop"], 1e-9)
			assert.InDelta(t, tc.wantRecentPc, a.Figures["recent_rate"], 1e-9)
			assert.Contains(t, a.Description, "from 2026-03-25 to 2026-03-31")
		})
	}
}

func TestComplaintSpike(t *testing.T) {
	tests := []struct {
		filed, previous int
		want            bool
	}{
		{3, 0, true},  // none the day before counts as twice
		{2, 0, false}, // too few
		{3, 1, true},
		{4, 2, true}, // exactly twice
		{5, 3, false},
		{6, 3, true},
		{100, 51, false},
	}
	for _, tc := range tests {
		a, ok := anomaly.Rules{}.ComplaintSpike(day, tc.filed, tc.previous)
		assert.Equal(t, tc.want, ok, "%d after %d", tc.filed, tc.previous)
		if ok {
			assert.Equal(t, anomaly.ComplaintSpike, a.Type)
			assert.Equal(t, anomaly.Campus, a.SubjectKind)
			assert.Equal(t, "campus", a.Subject)
			assert.Equal(t, float64(tc.filed), a.Figures["filed"])
			assert.Equal(t, float64(tc.previous), a.Figures["previous_day"])
		}
	}
	a, _ := anomaly.Rules{}.ComplaintSpike(day, 4, 2)
	assert.Equal(t, "4 complaints were filed on 2026-03-31 against 2 the day before (2.0×); at least 3 in a day and 2× the day before is a spike.", a.Description)
}

func TestCalendar(t *testing.T) {
	assert.Equal(t, date("2026-03-01"), anomaly.AddDays(date("2026-02-28"), 1))
	assert.Equal(t, date("2025-12-31"), anomaly.AddDays(date("2026-01-01"), -1))
	assert.Equal(t, date("2024-02-29"), anomaly.AddDays(date("2024-03-30"), -30))

	start, end := anomaly.DayBounds(date("2026-03-31"), time.UTC)
	assert.Equal(t, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), start)
	assert.Equal(t, 24*time.Hour, end.Sub(start))
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database")
	}
	start, end = anomaly.DayBounds(date("2026-03-08"), ny) // clocks go forward
	assert.Equal(t, time.Date(2026, 3, 8, 5, 0, 0, 0, time.UTC), start)
	assert.Equal(t, 23*time.Hour, end.Sub(start))
}
