package risk_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
)

var thresholds = risk.AttendanceThresholds{Warn: 0.75, High: 0.60}

// figures builds counts where every record falls in the earlier half
// unless recent says otherwise.
func figures(present, late, absent, excused, streak int) risk.AttendanceFigures {
	return risk.AttendanceFigures{StudentID: 7, Present: present, Late: late, Absent: absent, Excused: excused, ConsecutiveAbsences: streak}
}

func TestAttendanceThresholdsValidate(t *testing.T) {
	for _, ok := range []risk.AttendanceThresholds{{Warn: 0.75, High: 0.60}, {Warn: 1, High: 0.99}, {Warn: 0.02, High: 0.01}} {
		assert.NoError(t, ok.Validate(), ok)
	}
	for _, bad := range []risk.AttendanceThresholds{{Warn: 0.6, High: 0.6}, {Warn: 0.5, High: 0.6}, {Warn: 1.01, High: 0.6},
		{Warn: 0.75, High: 0}, {Warn: 0.75, High: -0.1}, {Warn: math.NaN(), High: 0.5}, {}} {
		assert.ErrorIs(t, bad.Validate(), fault.ErrInvalid, bad)
	}
}

func TestAttendanceWindowEnding(t *testing.T) {
	w := risk.AttendanceWindowEnding(attendance.Date{Year: 2026, Month: 3, Day: 1})
	assert.Equal(t, "2026-01-31", w.From.String(), "30 days ending today, today included")
	assert.Equal(t, "2026-02-15", w.Mid.String(), "the recent half is the last 15 days")
	assert.Equal(t, "2026-03-01", w.To.String())
	assert.True(t, w.Contains(attendance.Date{Year: 2026, Month: 1, Day: 31}))
	assert.True(t, w.Contains(attendance.Date{Year: 2026, Month: 3, Day: 1}))
	assert.False(t, w.Contains(attendance.Date{Year: 2026, Month: 1, Day: 30}))
	assert.False(t, w.Contains(attendance.Date{Year: 2026, Month: 3, Day: 2}))
}

func TestAssessAttendance(t *testing.T) {
	tests := []struct {
		name     string
		f        risk.AttendanceFigures
		verdict  risk.Verdict
		severity risk.Severity
		rate     float64 // -1: none
	}{
		{"no records", figures(0, 0, 0, 0, 0), risk.VerdictNoData, "", -1},
		{"only excused records are no data", figures(0, 0, 0, 12, 0), risk.VerdictNoData, "", -1},
		{"four counted absences are too few", figures(0, 0, 4, 0, 4), risk.VerdictNoData, "", 0},
		{"five counted is enough", figures(0, 0, 5, 0, 5), risk.VerdictAtRisk, risk.Critical, 0},
		{"perfect", figures(20, 0, 0, 0, 0), risk.VerdictClear, "", 1},
		{"above warn plus margin", figures(17, 0, 3, 0, 0), risk.VerdictClear, "", 0.85},
		{"exactly warn plus margin stays recovering", figures(16, 0, 4, 0, 0), risk.VerdictRecovering, risk.Medium, 0.8},
		{"exactly warn is not below it", figures(15, 0, 5, 0, 0), risk.VerdictRecovering, risk.Medium, 0.75},
		{"late counts as attended", figures(10, 5, 5, 0, 0), risk.VerdictRecovering, risk.Medium, 0.75},
		{"excused left out of the rate", figures(15, 0, 5, 10, 0), risk.VerdictRecovering, risk.Medium, 0.75},
		{"just below warn is medium", figures(74, 0, 26, 0, 0), risk.VerdictAtRisk, risk.Medium, 0.74},
		{"exactly high is medium", figures(12, 0, 8, 0, 0), risk.VerdictAtRisk, risk.Medium, 0.6},
		{"just below high is high", figures(59, 0, 41, 0, 0), risk.VerdictAtRisk, risk.High, 0.59},
		{"exactly 0.50 is high", figures(10, 0, 10, 0, 0), risk.VerdictAtRisk, risk.High, 0.5},
		{"below 0.50 is critical", figures(49, 0, 51, 0, 0), risk.VerdictAtRisk, risk.Critical, 0.49},
		{"five consecutive absences are critical at a good rate", figures(25, 0, 5, 0, 5), risk.VerdictAtRisk, risk.Critical, 25.0 / 30},
		{"four consecutive absences are not", figures(26, 0, 4, 0, 4), risk.VerdictClear, "", 26.0 / 30},
		{"streak raises a medium rate to critical", figures(14, 0, 6, 0, 5), risk.VerdictAtRisk, risk.Critical, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := risk.AssessAttendance(tt.f, thresholds)
			assert.Equal(t, tt.verdict, a.Verdict)
			assert.Equal(t, tt.severity, a.Severity)
			if tt.rate < 0 {
				assert.Nil(t, a.Rate)
				assert.Nil(t, a.Score)
			} else {
				require.NotNil(t, a.Rate)
				assert.InDelta(t, tt.rate, *a.Rate, 1e-12)
				assert.InDelta(t, 100*(1-tt.rate), *a.Score, 0.005)
			}
			assert.NotEmpty(t, a.Description)
			require.Len(t, a.Factors, 10)
			assert.Equal(t, "attendance_rate", a.Factors[0].Name)
		})
	}
}

func TestAssessAttendanceThresholdsComeFromConfig(t *testing.T) {
	strict := risk.AttendanceThresholds{Warn: 0.9, High: 0.8}
	a := risk.AssessAttendance(figures(17, 0, 3, 0, 0), strict) // 0.85
	assert.Equal(t, risk.VerdictAtRisk, a.Verdict)
	assert.Equal(t, risk.Medium, a.Severity)
	a = risk.AssessAttendance(figures(19, 0, 1, 0, 0), strict) // 0.95 ≤ 0.9 + 0.05
	assert.Equal(t, risk.VerdictRecovering, a.Verdict)
	a = risk.AssessAttendance(figures(39, 0, 1, 0, 0), strict) // 0.975
	assert.Equal(t, risk.VerdictClear, a.Verdict)
}

func TestAssessAttendanceFactorsAndWords(t *testing.T) {
	f := figures(6, 2, 8, 3, 3)
	f.RecentAttended, f.RecentDue = 2, 8 // recent 0.25, earlier 6/8 = 0.75
	a := risk.AssessAttendance(f, thresholds)
	assert.Equal(t, risk.High, a.Severity) // 8/16 = 0.5
	require.NotNil(t, a.Trend)
	assert.InDelta(t, -0.5, *a.Trend, 1e-12)
	byName := map[string]any{}
	for _, fc := range a.Factors {
		byName[fc.Name] = fc.Value
	}
	assert.Equal(t, map[string]any{"attendance_rate": 0.5, "counted_records": 16.0, "attended_records": 8.0, "absent_records": 8.0,
		"excused_records": 3.0, "consecutive_absences": 3.0, "trend": -0.5, "warn_threshold": 0.75, "high_threshold": 0.6,
		"window_days": 30.0}, byName)
	assert.Equal(t, 1.0, a.Factors[0].Weight)
	assert.Equal(t, 50.0, a.Factors[0].Contribution, "the rate carries the score")
	assert.Equal(t, "Attendance 50% over the last 30 days (8 of 16 counted records attended; 3 excused left out); "+
		"3 consecutive absences; trend -50 points (last 15 days against the 15 before). Severity high: below the high threshold of 60%.",
		a.Description)

	// Either half empty: no trend.
	f.RecentAttended, f.RecentDue = 0, 0
	assert.Nil(t, risk.AssessAttendance(f, thresholds).Trend)
	f.RecentAttended, f.RecentDue = 8, 16
	assert.Nil(t, risk.AssessAttendance(f, thresholds).Trend)

	streak := risk.AssessAttendance(figures(14, 0, 6, 0, 5), thresholds)
	assert.Contains(t, streak.Description, "below the warning threshold of 75% and 5 or more consecutive absences")
	assert.Contains(t, risk.AssessAttendance(figures(1, 0, 2, 0, 2), thresholds).Description, "too little to judge")
	assert.Contains(t, risk.AssessAttendance(figures(16, 0, 4, 0, 0), thresholds).Description, "not yet above 80%")
}

func TestNewAttendanceRisk(t *testing.T) {
	a := risk.AssessAttendance(figures(11, 0, 9, 0, 2), thresholds) // 0.55
	r, err := risk.NewAttendanceRisk(a, 7, "attendance-risk", now)
	require.NoError(t, err)
	assert.Equal(t, risk.Attendance, r.Type)
	assert.Equal(t, risk.High, r.Severity)
	assert.Equal(t, risk.Open, r.Status)
	assert.Equal(t, "attendance-risk", r.Source)
	assert.Equal(t, "attendance:student:7", r.SubjectKey)
	assert.Equal(t, int64(7), *r.StudentID)
	assert.Equal(t, 45.0, *r.Score)
	assert.Equal(t, risk.High, r.Peak())
	assert.Equal(t, "peak_severity", r.Factors[len(r.Factors)-1].Name)

	for _, f := range []risk.AttendanceFigures{figures(20, 0, 0, 0, 0), figures(16, 0, 4, 0, 0), figures(0, 0, 1, 0, 1)} {
		_, err := risk.NewAttendanceRisk(risk.AssessAttendance(f, thresholds), 7, "attendance-risk", now)
		assert.ErrorIs(t, err, fault.ErrInvalid)
	}
}

// stored is r as it reads back from storage: factor values through JSON.
func stored(t *testing.T, r risk.Risk) risk.Risk {
	t.Helper()
	b, err := json.Marshal(r.Factors)
	require.NoError(t, err)
	var fs []risk.Factor
	require.NoError(t, json.Unmarshal(b, &fs))
	r.Factors = fs
	return r
}

func TestApplyAttendance(t *testing.T) {
	later := now.Add(24 * time.Hour)
	open := func(f risk.AttendanceFigures) risk.Risk {
		r, err := risk.NewAttendanceRisk(risk.AssessAttendance(f, thresholds), 7, "attendance-risk", now)
		require.NoError(t, err)
		r.ID = 3
		return stored(t, r)
	}
	apply := func(r *risk.Risk, f risk.AttendanceFigures) risk.AttendanceOutcome {
		out, err := r.ApplyAttendance(risk.AssessAttendance(f, thresholds), later)
		require.NoError(t, err)
		return out
	}

	t.Run("the same figures change nothing", func(t *testing.T) {
		r := open(figures(14, 0, 6, 0, 0))
		before := r
		assert.Equal(t, risk.AttendanceOutcome{}, apply(&r, figures(14, 0, 6, 0, 0)))
		assert.Equal(t, before, r)
	})
	t.Run("new figures update in place", func(t *testing.T) {
		r := open(figures(14, 0, 6, 0, 0))
		out := apply(&r, figures(11, 0, 9, 0, 0))
		assert.Equal(t, risk.AttendanceOutcome{Changed: true}, out)
		assert.Equal(t, risk.High, r.Severity)
		assert.Equal(t, 45.0, *r.Score)
		assert.Equal(t, later, r.UpdatedAt)
		assert.Equal(t, now, r.CreatedAt)
		assert.Equal(t, risk.Open, r.Status)
	})
	t.Run("first rise to critical is noticed once", func(t *testing.T) {
		r := open(figures(14, 0, 6, 0, 0))
		assert.True(t, apply(&r, figures(9, 0, 11, 0, 0)).BecameCritical)
		assert.Equal(t, risk.Critical, r.Peak())
		r = stored(t, r)
		out := apply(&r, figures(11, 0, 9, 0, 0))
		assert.True(t, out.Changed)
		assert.False(t, out.BecameCritical)
		assert.Equal(t, risk.High, r.Severity)
		assert.Equal(t, risk.Critical, r.Peak(), "the peak stays")
		assert.False(t, apply(&r, figures(9, 0, 11, 0, 0)).BecameCritical, "critical again is not news")
	})
	t.Run("recovering keeps it open at medium", func(t *testing.T) {
		r := open(figures(11, 0, 9, 0, 0))
		out := apply(&r, figures(16, 0, 4, 0, 0)) // 0.80: not above 0.80
		assert.Equal(t, risk.AttendanceOutcome{Changed: true}, out)
		assert.Equal(t, risk.Open, r.Status)
		assert.Equal(t, risk.Medium, r.Severity)
		assert.Equal(t, risk.High, r.Peak())
		r = stored(t, r)
		assert.False(t, apply(&r, figures(16, 0, 4, 0, 0)).Changed)
	})
	t.Run("recovered above the margin resolves without a resolver", func(t *testing.T) {
		r := open(figures(11, 0, 9, 0, 0))
		out := apply(&r, figures(17, 0, 3, 0, 0))
		assert.Equal(t, risk.AttendanceOutcome{Changed: true, Resolved: true}, out)
		assert.Equal(t, risk.Resolved, r.Status)
		assert.Equal(t, later, *r.ResolvedAt)
		assert.Nil(t, r.ResolvedBy)
		assert.Contains(t, r.Description, "Resolved automatically: Attendance 85%")
		_, err := r.ApplyAttendance(risk.AssessAttendance(figures(17, 0, 3, 0, 0), thresholds), later)
		assert.ErrorIs(t, err, risk.ErrAlreadyResolved)
	})
	t.Run("no data keeps status and severity but says so", func(t *testing.T) {
		r := open(figures(0, 0, 6, 0, 6))
		out := apply(&r, figures(0, 0, 2, 0, 2))
		assert.True(t, out.Changed)
		assert.False(t, out.Resolved)
		assert.Equal(t, risk.Open, r.Status)
		assert.Equal(t, risk.Critical, r.Severity)
		assert.Contains(t, r.Description, "too little to judge")
	})
}

func TestRaiseAgain(t *testing.T) {
	high := risk.AssessAttendance(figures(11, 0, 9, 0, 0), thresholds)
	critical := risk.AssessAttendance(figures(9, 0, 11, 0, 0), thresholds)
	medium := risk.AssessAttendance(figures(14, 0, 6, 0, 0), thresholds)
	recovering := risk.AssessAttendance(figures(16, 0, 4, 0, 0), thresholds)
	resolved := func(sev risk.Severity, by *int64, ago time.Duration) *risk.Risk {
		at := now.Add(-ago)
		return &risk.Risk{Severity: sev, Status: risk.Resolved, ResolvedAt: &at, ResolvedBy: by}
	}
	person := ptr[int64](3)
	day := 24 * time.Hour
	tests := []struct {
		name string
		a    risk.AttendanceAssessment
		last *risk.Risk
		want bool
	}{
		{"no earlier record", high, nil, true},
		{"nothing to raise", recovering, nil, false},
		{"the rule resolved the last one", high, resolved(risk.High, nil, time.Hour), true},
		{"a person resolved it: same severity held", high, resolved(risk.High, person, day), false},
		{"a person resolved it: lower severity held", medium, resolved(risk.High, person, day), false},
		{"a person resolved it: higher severity raised", critical, resolved(risk.High, person, day), true},
		{"a person resolved it just under a window ago", high, resolved(risk.High, person, 30*day-time.Second), false},
		{"a person resolved it a window ago", high, resolved(risk.High, person, 30*day), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, risk.RaiseAgain(tt.a, tt.last, now))
		})
	}
}
