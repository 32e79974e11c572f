package risk

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
)

// The attendance-risk rule (the attendance-risk agent applies it; the
// thresholds warn and high come from configuration, the rest is fixed):
//
//   - Figures are taken over the AttendanceWindowDays calendar days ending
//     today (the campus calendar), one count per record: the rate is
//     (present + late) / (present + late + absent), excused records left
//     out, as attendance.Summarize computes it.
//   - Fewer than AttendanceMinRecords counted (non-excused) records is too
//     little to judge: no record is raised, and an open one keeps its
//     status and severity (its figures say why nothing was decided).
//   - Consecutive absences are the absent records dated after the
//     student's latest present or late record in the window (all of the
//     window's absences when there is none): excused records neither
//     count nor end the run, and a day with any attendance ends it.
//   - Severity: critical below AttendanceCriticalRate or with
//     AttendanceCriticalStreak or more consecutive absences; else high
//     below high; else medium below warn. "Below" is strict: a rate equal
//     to a threshold is not below it.
//   - An open record is resolved only once the rate is above warn +
//     AttendanceRecoveryMargin (strictly) with no critical run of
//     absences; between warn and that it stays open at medium, so a rate
//     wobbling around warn does not open and close records.
//   - The trend is the rate over the recent half of the window (the last
//     15 days, today included) minus the rate over the earlier half; it is
//     reported, not graded, and unknown when either half has nothing
//     counted.
const (
	AttendanceWindowDays     = 30
	AttendanceMinRecords     = 5
	AttendanceCriticalRate   = 0.50
	AttendanceCriticalStreak = 5
	AttendanceRecoveryMargin = 0.05
	// epsilon absorbs binary rounding when a rate made of small counts is
	// compared with a decimal threshold (3/5 against 0.60).
	epsilon = 1e-9
)

// AttendanceSubject is the subject key of a student's attendance record.
func AttendanceSubject(studentID int64) string {
	return fmt.Sprintf("attendance:student:%d", studentID)
}

// AttendanceThresholds are the configured rates (RISK_ATTENDANCE_WARN and
// RISK_ATTENDANCE_HIGH).
type AttendanceThresholds struct {
	Warn float64
	High float64
}

// Validate checks 0 < high < warn <= 1.
func (t AttendanceThresholds) Validate() error {
	if math.IsNaN(t.Warn) || math.IsNaN(t.High) || t.High <= 0 || t.High >= t.Warn || t.Warn > 1 {
		return fault.Newf(fault.Invalid, "attendance thresholds: want 0 < high < warn <= 1 (got high %v, warn %v)", t.High, t.Warn)
	}
	return nil
}

// AttendanceWindow is the period the figures cover: From..To inclusive,
// the recent half starting at Mid.
type AttendanceWindow struct {
	From, Mid, To attendance.Date
}

// AttendanceWindowEnding is the window of AttendanceWindowDays days ending
// on today (a calendar day in the campus zone).
func AttendanceWindowEnding(today attendance.Date) AttendanceWindow {
	t := time.Date(today.Year, today.Month, today.Day, 12, 0, 0, 0, time.UTC)
	day := func(back int) attendance.Date { return attendance.DateOf(t.AddDate(0, 0, -back), time.UTC) }
	return AttendanceWindow{From: day(AttendanceWindowDays - 1), Mid: day(AttendanceWindowDays/2 - 1), To: today}
}

// Contains reports whether d falls in the window.
func (w AttendanceWindow) Contains(d attendance.Date) bool {
	return !d.Before(w.From) && !w.To.Before(d)
}

// AttendanceFigures are one student's counts over a window.
type AttendanceFigures struct {
	StudentID                      int64
	Present, Late, Absent, Excused int
	// RecentAttended and RecentDue are present+late and
	// present+late+absent over the recent half of the window.
	RecentAttended, RecentDue int
	// ConsecutiveAbsences is the current run of absences (see the rule).
	ConsecutiveAbsences int
}

// Counted is the number of records the rate is taken over.
func (f AttendanceFigures) Counted() int { return f.Present + f.Late + f.Absent }

// Verdict is what an assessment concludes.
type Verdict string

// Verdicts.
const (
	// VerdictNoData: too few counted records to judge; nothing is raised
	// or resolved.
	VerdictNoData Verdict = "no_data"
	// VerdictAtRisk: a record of Severity must be open.
	VerdictAtRisk Verdict = "at_risk"
	// VerdictRecovering: nothing new is raised, an open record stays open
	// (at medium) until the rate clears the recovery margin.
	VerdictRecovering Verdict = "recovering"
	// VerdictClear: nothing is raised and an open record is resolved.
	VerdictClear Verdict = "clear"
)

// AttendanceAssessment is the rule applied to one student's figures.
type AttendanceAssessment struct {
	Verdict  Verdict
	Severity Severity // for AtRisk; medium for Recovering; "" otherwise
	// Rate is nil when nothing is counted; Trend when either half has
	// nothing counted.
	Rate        *float64
	Trend       *float64
	Score       *float64
	Factors     []Factor
	Description string
	figures     AttendanceFigures
	thresholds  AttendanceThresholds
}

// AssessAttendance applies the rule to f under t.
func AssessAttendance(f AttendanceFigures, t AttendanceThresholds) AttendanceAssessment {
	a := AttendanceAssessment{figures: f, thresholds: t}
	counted := f.Counted()
	if counted > 0 {
		r := float64(f.Present+f.Late) / float64(counted)
		a.Rate = &r
		s := round2(100 * (1 - r))
		a.Score = &s
	}
	earlierDue, earlierAttended := counted-f.RecentDue, f.Present+f.Late-f.RecentAttended
	if f.RecentDue > 0 && earlierDue > 0 {
		tr := round4(float64(f.RecentAttended)/float64(f.RecentDue) - float64(earlierAttended)/float64(earlierDue))
		a.Trend = &tr
	}
	streak := f.ConsecutiveAbsences >= AttendanceCriticalStreak
	switch {
	case counted < AttendanceMinRecords:
		a.Verdict = VerdictNoData
	case below(*a.Rate, AttendanceCriticalRate) || streak:
		a.Verdict, a.Severity = VerdictAtRisk, Critical
	case below(*a.Rate, t.High):
		a.Verdict, a.Severity = VerdictAtRisk, High
	case below(*a.Rate, t.Warn):
		a.Verdict, a.Severity = VerdictAtRisk, Medium
	case above(*a.Rate, t.Warn+AttendanceRecoveryMargin):
		a.Verdict = VerdictClear
	default:
		a.Verdict, a.Severity = VerdictRecovering, Medium
	}
	a.Factors = a.factors()
	a.Description = a.describe()
	return a
}

func below(x, threshold float64) bool { return x < threshold-epsilon }
func above(x, threshold float64) bool { return x > threshold+epsilon }

func round4(x float64) float64 { return math.Round(x*10000) / 10000 }

// factors lists the figures behind the assessment. Every number is a
// float64, as it reads back from storage, so a record compared with a new
// assessment of the same figures is equal. The rate carries the whole
// score (its weight 1); the rest explain it.
func (a AttendanceAssessment) factors() []Factor {
	f := a.figures
	num := func(n int) any { return float64(n) }
	opt := func(p *float64, round func(float64) float64) any {
		if p == nil {
			return nil
		}
		return round(*p)
	}
	rate := Factor{Name: "attendance_rate", Value: opt(a.Rate, round4)}
	if a.Score != nil {
		rate.Weight, rate.Contribution = 1, *a.Score
	}
	return []Factor{
		rate,
		{Name: "counted_records", Value: num(f.Counted())},
		{Name: "attended_records", Value: num(f.Present + f.Late)},
		{Name: "absent_records", Value: num(f.Absent)},
		{Name: "excused_records", Value: num(f.Excused)},
		{Name: "consecutive_absences", Value: num(f.ConsecutiveAbsences)},
		{Name: "trend", Value: opt(a.Trend, round4)},
		{Name: "warn_threshold", Value: a.thresholds.Warn},
		{Name: "high_threshold", Value: a.thresholds.High},
		{Name: "window_days", Value: num(AttendanceWindowDays)},
	}
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", 100*x) }

// describe says in words what was measured and why it led to the verdict.
func (a AttendanceAssessment) describe() string {
	f, t := a.figures, a.thresholds
	var b strings.Builder
	if a.Rate == nil {
		fmt.Fprintf(&b, "No counted attendance in the last %d days", AttendanceWindowDays)
	} else {
		fmt.Fprintf(&b, "Attendance %s over the last %d days (%d of %d counted records attended", pct(*a.Rate),
			AttendanceWindowDays, f.Present+f.Late, f.Counted())
		if f.Excused > 0 {
			fmt.Fprintf(&b, "; %d excused left out", f.Excused)
		}
		b.WriteString(")")
	}
	if f.ConsecutiveAbsences > 0 {
		fmt.Fprintf(&b, "; %d consecutive absences", f.ConsecutiveAbsences)
	}
	if a.Trend != nil {
		fmt.Fprintf(&b, "; trend %+.0f points (last 15 days against the 15 before)", 100**a.Trend)
	}
	b.WriteString(". ")
	switch a.Verdict {
	case VerdictNoData:
		fmt.Fprintf(&b, "Fewer than %d counted records: too little to judge, so nothing is raised or resolved.", AttendanceMinRecords)
	case VerdictAtRisk:
		var why []string
		if below(*a.Rate, t.Warn) {
			limit, name := t.Warn, "warning"
			switch {
			case below(*a.Rate, AttendanceCriticalRate):
				limit, name = AttendanceCriticalRate, "critical"
			case below(*a.Rate, t.High):
				limit, name = t.High, "high"
			}
			why = append(why, fmt.Sprintf("below the %s threshold of %s", name, pct(limit)))
		}
		if f.ConsecutiveAbsences >= AttendanceCriticalStreak {
			why = append(why, fmt.Sprintf("%d or more consecutive absences", AttendanceCriticalStreak))
		}
		fmt.Fprintf(&b, "Severity %s: %s.", a.Severity, strings.Join(why, " and "))
	case VerdictRecovering:
		fmt.Fprintf(&b, "At or above the warning threshold of %s but not yet above %s, so an open risk stays open (medium) until it is.",
			pct(t.Warn), pct(t.Warn+AttendanceRecoveryMargin))
	case VerdictClear:
		fmt.Fprintf(&b, "Above %s (the warning threshold of %s plus %s): no attendance risk.",
			pct(t.Warn+AttendanceRecoveryMargin), pct(t.Warn), pct(AttendanceRecoveryMargin))
	}
	return b.String()
}

// NewAttendanceRisk is the open record an at-risk assessment raises for
// the student, from source (the agent's name).
func NewAttendanceRisk(a AttendanceAssessment, studentID int64, source string, now time.Time) (Risk, error) {
	if a.Verdict != VerdictAtRisk {
		return Risk{}, fault.Newf(fault.Invalid, "an assessment of %s raises no risk", a.Verdict)
	}
	id := studentID
	r, err := New(Fields{StudentID: &id, Type: string(Attendance), Severity: string(a.Severity), Score: a.Score,
		Factors: withPeak(a.Factors, a.Severity), Description: a.Description}, source, now)
	if err != nil {
		return Risk{}, err
	}
	r.SubjectKey = AttendanceSubject(studentID)
	return r, nil
}

// RaiseAgain reports whether an at-risk assessment a raises a new record
// at now, given the student's latest resolved attendance record (nil when
// none). A record the rule resolved (no resolver) is no obstacle. One a
// person resolved is their decision: for AttendanceWindowDays after it,
// while its figures are still in the window, a new record is raised only
// at a higher severity than the one they resolved.
func RaiseAgain(a AttendanceAssessment, last *Risk, now time.Time) bool {
	if a.Verdict != VerdictAtRisk {
		return false
	}
	if last == nil || last.ResolvedBy == nil || last.ResolvedAt == nil ||
		!now.Before(last.ResolvedAt.AddDate(0, 0, AttendanceWindowDays)) {
		return true
	}
	return a.Severity.Weight() > last.Severity.Weight()
}

// peakFactor records the highest severity an open record has had, so
// that its first rise to critical is noticed once (and told once).
const peakFactor = "peak_severity"

func withPeak(fs []Factor, peak Severity) []Factor {
	out := append(make([]Factor, 0, len(fs)+1), fs...)
	return append(out, Factor{Name: peakFactor, Value: string(peak)})
}

// Peak is the highest severity the record has had while open (its
// severity when it does not say).
func (r Risk) Peak() Severity {
	for _, f := range r.Factors {
		if f.Name == peakFactor {
			if s, ok := f.Value.(string); ok && Severity(s).Weight() > 0 {
				return Severity(s)
			}
		}
	}
	return r.Severity
}

// AttendanceOutcome is what applying an assessment did to an open record.
type AttendanceOutcome struct {
	// Changed: something was written into the record.
	Changed bool
	// Resolved: the record was resolved by the rule.
	Resolved bool
	// BecameCritical: the record reached critical for the first time.
	BecameCritical bool
}

// ApplyAttendance brings an open attendance record in line with a at now:
// figures and description always follow the assessment; the severity
// follows it for at-risk and recovering verdicts (no data keeps it); a
// clear verdict resolves the record with no resolver (the rule did, not a
// person). Nothing changes (not even UpdatedAt) when the record already
// says what a says.
func (r *Risk) ApplyAttendance(a AttendanceAssessment, now time.Time) (AttendanceOutcome, error) {
	if r.Status != Open {
		return AttendanceOutcome{}, ErrAlreadyResolved
	}
	next := *r
	if a.Severity != "" && a.Verdict != VerdictNoData {
		next.Severity = a.Severity
	}
	peak := r.Peak()
	if next.Severity.Weight() > peak.Weight() {
		peak = next.Severity
	}
	next.Factors = withPeak(a.Factors, peak)
	next.Score = a.Score
	next.Description = a.Description
	out := AttendanceOutcome{BecameCritical: peak == Critical && r.Peak() != Critical}
	if a.Verdict == VerdictClear {
		t := now
		next.Status, next.ResolvedAt, next.ResolvedBy = Resolved, &t, nil
		next.Description = "Resolved automatically: " + a.Description
		out.Resolved = true
	}
	if sameAttendance(*r, next) {
		return AttendanceOutcome{}, nil
	}
	next.UpdatedAt = now
	*r = next
	out.Changed = true
	return out, nil
}

// sameAttendance compares what ApplyAttendance writes.
func sameAttendance(x, y Risk) bool {
	if x.Status != y.Status || x.Severity != y.Severity || x.Description != y.Description || !sameScore(x.Score, y.Score) ||
		len(x.Factors) != len(y.Factors) {
		return false
	}
	for i := range x.Factors {
		a, b := x.Factors[i], y.Factors[i]
		if a.Name != b.Name || a.Weight != b.Weight || a.Contribution != b.Contribution || !sameValue(a.Value, b.Value) {
			return false
		}
	}
	return true
}

func sameScore(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// sameValue compares factor values as they read back from storage, where
// every number is a float64.
func sameValue(a, b any) bool {
	num := func(v any) (float64, bool) {
		switch n := v.(type) {
		case float64:
			return n, true
		case int:
			return float64(n), true
		case int64:
			return float64(n), true
		}
		return 0, false
	}
	if x, ok := num(a); ok {
		y, ok := num(b)
		return ok && x == y
	}
	return reflect.DeepEqual(a, b)
}
