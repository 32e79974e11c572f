package anomaly

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/campus/campus/domain/attendance"
)

// Rules are the thresholds of the detection. A zero field takes its value
// from DefaultRules (see OrDefaults).
type Rules struct {
	// DropRatio: a department's day is a drop when its rate is at most
	// DropRatio times the mean of its daily rates over the TrailingDays
	// before it (0.8: at least 20 % below, relative). Days without counted
	// marks are skipped; fewer than MinHistoryDays such days is too little
	// history to judge.
	DropRatio      float64
	TrailingDays   int
	MinHistoryDays int

	// A student's sudden drop: over the StudentRecentDays ending on the day
	// their rate is at least StudentMinDrop (absolute) below their rate over
	// the StudentPreviousDays before that, with at least
	// StudentMinRecentMarks and StudentMinPreviousMarks counted marks in
	// the two windows. It is recorded on the day it first holds: when it
	// already held the day before, the drop is not news.
	StudentRecentDays       int
	StudentPreviousDays     int
	StudentMinDrop          float64
	StudentMinRecentMarks   int
	StudentMinPreviousMarks int

	// A complaint spike: at least SpikeMinComplaints filed in the day, and
	// at least SpikeFactor times as many as the day before (a day before
	// with none counts as a spike).
	SpikeMinComplaints int
	SpikeFactor        float64
}

// DefaultRules are the campus's thresholds.
func DefaultRules() Rules {
	return Rules{DropRatio: 0.8, TrailingDays: 7, MinHistoryDays: 3,
		StudentRecentDays: 7, StudentPreviousDays: 23, StudentMinDrop: 0.30, StudentMinRecentMarks: 3, StudentMinPreviousMarks: 5,
		SpikeMinComplaints: 3, SpikeFactor: 2}
}

// OrDefaults fills every zero (or negative) field from DefaultRules.
func (r Rules) OrDefaults() Rules {
	d := DefaultRules()
	pickF := func(v, def float64) float64 {
		if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return def
		}
		return v
	}
	pickI := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	return Rules{DropRatio: pickF(r.DropRatio, d.DropRatio), TrailingDays: pickI(r.TrailingDays, d.TrailingDays),
		MinHistoryDays:          pickI(r.MinHistoryDays, d.MinHistoryDays),
		StudentRecentDays:       pickI(r.StudentRecentDays, d.StudentRecentDays),
		StudentPreviousDays:     pickI(r.StudentPreviousDays, d.StudentPreviousDays),
		StudentMinDrop:          pickF(r.StudentMinDrop, d.StudentMinDrop),
		StudentMinRecentMarks:   pickI(r.StudentMinRecentMarks, d.StudentMinRecentMarks),
		StudentMinPreviousMarks: pickI(r.StudentMinPreviousMarks, d.StudentMinPreviousMarks),
		SpikeMinComplaints:      pickI(r.SpikeMinComplaints, d.SpikeMinComplaints), SpikeFactor: pickF(r.SpikeFactor, d.SpikeFactor)}
}

// epsilon absorbs floating-point noise at the thresholds, so that a value
// exactly at a boundary (a rate of 0.6 against 0.8 × 0.75) counts as
// reaching it.
const epsilon = 1e-9

// Tally counts the marks that enter an attendance rate: Attended (present
// or late) out of Counted (present, late or absent; excused marks are left
// out, as in the attendance summary).
type Tally struct {
	Attended int
	Counted  int
}

// Rate is Attended / Counted; ok is false when nothing was counted.
func (t Tally) Rate() (rate float64, ok bool) {
	if t.Counted <= 0 {
		return 0, false
	}
	return float64(t.Attended) / float64(t.Counted), true
}

// Span is a closed range of calendar days.
type Span struct {
	From, To attendance.Date
}

// DepartmentDay is a department's tally on one day.
type DepartmentDay struct {
	Department string
	Day        attendance.Date
	Tally
}

// DepartmentSpan is the days a department drop on day looks at: the
// trailing days and the day itself.
func (r Rules) DepartmentSpan(day attendance.Date) Span {
	r = r.OrDefaults()
	return Span{From: AddDays(day, -r.TrailingDays), To: day}
}

// DepartmentDrops finds the departments whose rate on day is at most
// DropRatio times the mean of their daily rates over the trailing days
// (days is every department's tally per day, in any order; other days are
// ignored). Results are ordered by department.
func (r Rules) DepartmentDrops(day attendance.Date, days []DepartmentDay) []Anomaly {
	r = r.OrDefaults()
	span := r.DepartmentSpan(day)
	type history struct {
		today *Tally
		rates []float64
	}
	byDept := map[string]*history{}
	for _, d := range days {
		if d.Department == "" || d.Day.Before(span.From) || day.Before(d.Day) {
			continue
		}
		h := byDept[d.Department]
		if h == nil {
			h = &history{}
			byDept[d.Department] = h
		}
		if d.Day == day {
			t := d.Tally
			h.today = &t
			continue
		}
		if rate, ok := d.Rate(); ok {
			h.rates = append(h.rates, rate)
		}
	}
	names := make([]string, 0, len(byDept))
	for name := range byDept {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Anomaly
	for _, name := range names {
		h := byDept[name]
		if h.today == nil || len(h.rates) < r.MinHistoryDays {
			continue
		}
		rate, ok := h.today.Rate()
		if !ok {
			continue
		}
		mean := 0.0
		for _, x := range h.rates {
			mean += x
		}
		mean /= float64(len(h.rates))
		threshold := r.DropRatio * mean
		if mean <= 0 || rate > threshold+epsilon {
			continue
		}
		drop := 1 - rate/mean
		out = append(out, Anomaly{Type: AttendanceDrop, SubjectKind: Department, Subject: name, Day: day,
			Figures: map[string]float64{"rate": round4(rate), "trailing_mean": round4(mean), "threshold": round4(threshold),
				"relative_drop": round4(drop), "history_days": float64(len(h.rates)), "attended": float64(h.today.Attended),
				"counted": float64(h.today.Counted)},
			Description: fmt.Sprintf("Attendance in %s on %s was %s (%d of %d marks), %s below its mean of %s over the %d days "+
				"with records among the %d before it; a day at least %s below (relative) is an anomaly.",
				name, day, pct(rate), h.today.Attended, h.today.Counted, pct(drop), pct(mean), len(h.rates), r.TrailingDays,
				pct(1-r.DropRatio))})
	}
	return out
}

// StudentSpans are the windows of the sudden-drop rule on a day (Recent
// ends on it, Previous is before Recent) and the same windows on the day
// before (RecentBefore, PreviousBefore), which tell whether the drop is new.
type StudentSpans struct {
	Recent, Previous, RecentBefore, PreviousBefore Span
}

// StudentSpans returns the windows for day.
func (r Rules) StudentSpans(day attendance.Date) StudentSpans {
	r = r.OrDefaults()
	at := func(end attendance.Date) (Span, Span) {
		recent := Span{From: AddDays(end, -(r.StudentRecentDays - 1)), To: end}
		previous := Span{From: AddDays(recent.From, -r.StudentPreviousDays), To: AddDays(recent.From, -1)}
		return recent, previous
	}
	var s StudentSpans
	s.Recent, s.Previous = at(day)
	s.RecentBefore, s.PreviousBefore = at(AddDays(day, -1))
	return s
}

// StudentWindows are one student's tallies in the StudentSpans of a day.
type StudentWindows struct {
	StudentID                                      int64
	Recent, Previous, RecentBefore, PreviousBefore Tally
}

// dropHolds reports whether recent is at least StudentMinDrop below
// previous, with enough marks in each, and by how much.
func (r Rules) dropHolds(recent, previous Tally) (drop float64, ok bool) {
	if recent.Counted < r.StudentMinRecentMarks || previous.Counted < r.StudentMinPreviousMarks {
		return 0, false
	}
	rr, _ := recent.Rate()
	pr, _ := previous.Rate()
	drop = pr - rr
	return drop, drop >= r.StudentMinDrop-epsilon
}

// StudentDrop decides whether w shows a sudden drop that begins on day:
// the drop holds for the windows ending on day and did not hold for those
// ending the day before.
func (r Rules) StudentDrop(day attendance.Date, w StudentWindows) (Anomaly, bool) {
	r = r.OrDefaults()
	drop, ok := r.dropHolds(w.Recent, w.Previous)
	if !ok {
		return Anomaly{}, false
	}
	if _, before := r.dropHolds(w.RecentBefore, w.PreviousBefore); before {
		return Anomaly{}, false
	}
	rr, _ := w.Recent.Rate()
	pr, _ := w.Previous.Rate()
	spans := r.StudentSpans(day)
	return Anomaly{Type: AttendanceDrop, SubjectKind: Student, Subject: strconv.FormatInt(w.StudentID, 10), Day: day,
		Figures: map[string]float64{"recent_rate": round4(rr), "previous_rate": round4(pr), "drop": round4(drop),
			"recent_attended": float64(w.Recent.Attended), "recent_counted": float64(w.Recent.Counted),
			"previous_attended": float64(w.Previous.Attended), "previous_counted": float64(w.Previous.Counted),
			"recent_days": float64(r.StudentRecentDays), "previous_days": float64(r.StudentPreviousDays)},
		Description: fmt.Sprintf("Student %d attended %s of marks from %s to %s (%d of %d) against %s from %s to %s (%d of %d): "+
			"a drop of %.0f points, at least %.0f is an anomaly; it is new on %s (the day before did not show it).",
			w.StudentID, pct(rr), spans.Recent.From, spans.Recent.To, w.Recent.Attended, w.Recent.Counted,
			pct(pr), spans.Previous.From, spans.Previous.To, w.Previous.Attended, w.Previous.Counted,
			drop*100, r.StudentMinDrop*100, day)}, true
}

// ComplaintSpike decides whether filed complaints on day, against previous
// the day before, are a spike.
func (r Rules) ComplaintSpike(day attendance.Date, filed, previous int) (Anomaly, bool) {
	r = r.OrDefaults()
	if filed < r.SpikeMinComplaints || float64(filed) < r.SpikeFactor*float64(previous)-epsilon {
		return Anomaly{}, false
	}
	figures := map[string]float64{"filed": float64(filed), "previous_day": float64(previous),
		"min_complaints": float64(r.SpikeMinComplaints), "min_factor": r.SpikeFactor}
	compared := "none the day before"
	if previous > 0 {
		figures["factor"] = round4(float64(filed) / float64(previous))
		compared = fmt.Sprintf("%d the day before (%.1f×)", previous, float64(filed)/float64(previous))
	}
	return Anomaly{Type: ComplaintSpike, SubjectKind: Campus, Subject: CampusSubject, Day: day, Figures: figures,
		Description: fmt.Sprintf("%d complaints were filed on %s against %s; at least %d in a day and %.0f× the day before is a spike.",
			filed, day, compared, r.SpikeMinComplaints, r.SpikeFactor)}, true
}

func pct(x float64) string { return fmt.Sprintf("%.1f%%", x*100) }

// round4 keeps figures readable: four decimals are plenty for a rate.
func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
