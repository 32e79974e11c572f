package risk_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
)

var now = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind)
	var out []string
	for _, f := range fe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func valid() risk.Fields {
	return risk.Fields{StudentID: ptr[int64](4), Type: "Attendance", Severity: "HIGH", Description: " Missed 5 days ",
		Factors: []risk.Factor{{Name: " absences ", Value: 5.0, Weight: 0.5, Contribution: 20}}}
}

func TestParsers(t *testing.T) {
	for _, in := range []string{"attendance", "ACADEMIC", " Behavioral ", "health", "Schedule", "other"} {
		_, err := risk.ParseType(in)
		assert.NoError(t, err, in)
	}
	for _, in := range []string{"", "behavioural", "financial"} {
		_, err := risk.ParseType(in)
		assert.ErrorIs(t, err, fault.ErrInvalid, in)
	}
	for _, tt := range []struct {
		in   string
		want risk.Severity
	}{{"low", risk.Low}, {"MEDIUM", risk.Medium}, {" High", risk.High}, {"critical", risk.Critical}} {
		got, err := risk.ParseSeverity(tt.in)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
	}
	for _, in := range []string{"", "severe", "none"} {
		_, err := risk.ParseSeverity(in)
		assert.ErrorIs(t, err, fault.ErrInvalid, in)
	}
	for in, want := range map[string]risk.Status{"open": risk.Open, "RESOLVED": risk.Resolved} {
		got, err := risk.ParseStatus(in)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err := risk.ParseStatus("closed")
	assert.ErrorIs(t, err, fault.ErrInvalid)
}

func TestNew(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(f *risk.Fields)
		source     string
		wantFields []string
		check      func(t *testing.T, r risk.Risk)
	}{
		{name: "valid is open, normalised and manual", check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, risk.Attendance, r.Type)
			assert.Equal(t, risk.High, r.Severity)
			assert.Equal(t, risk.Open, r.Status)
			assert.Equal(t, "Missed 5 days", r.Description)
			assert.Equal(t, risk.SourceManual, r.Source)
			assert.Equal(t, "absences", r.Factors[0].Name)
			assert.Equal(t, now, r.CreatedAt)
			assert.Nil(t, r.ResolvedAt)
			assert.Nil(t, r.ActionTaken)
		}},
		{name: "no student is allowed", mod: func(f *risk.Fields) { f.StudentID = nil }},
		{name: "score edges 0 and 100", mod: func(f *risk.Fields) { f.Score = ptr(100.0) }},
		{name: "score 0", mod: func(f *risk.Fields) { f.Score = ptr(0.0) }},
		{name: "blank action is none", mod: func(f *risk.Fields) { f.ActionTaken = ptr("  ") }, check: func(t *testing.T, r risk.Risk) {
			assert.Nil(t, r.ActionTaken)
		}},
		{name: "nil factors become an empty list", mod: func(f *risk.Fields) { f.Factors = nil }, check: func(t *testing.T, r risk.Risk) {
			assert.NotNil(t, r.Factors)
			assert.Empty(t, r.Factors)
		}},
		{name: "factor values of every scalar kind", mod: func(f *risk.Fields) {
			f.Factors = []risk.Factor{{Name: "a", Value: "x"}, {Name: "b", Value: true}, {Name: "c"}, {Name: "d", Value: 0.62}}
		}},
		{name: "agent source kept", source: "attendance_agent", check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, "attendance_agent", r.Source)
		}},
		{name: "everything wrong", mod: func(f *risk.Fields) {
			*f = risk.Fields{StudentID: ptr[int64](0), Type: "money", Severity: "severe", Score: ptr(100.01), Description: " "}
		}, wantFields: []string{"student_id", "risk_type", "severity", "score", "description"}},
		{name: "negative score", mod: func(f *risk.Fields) { f.Score = ptr(-0.01) }, wantFields: []string{"score"}},
		{name: "NaN score", mod: func(f *risk.Fields) { f.Score = ptr(math.NaN()) }, wantFields: []string{"score"}},
		{name: "description too long", mod: func(f *risk.Fields) { f.Description = strings.Repeat("é", 2001) }, wantFields: []string{"description"}},
		{name: "description at the limit", mod: func(f *risk.Fields) { f.Description = strings.Repeat("é", 2000) }},
		{name: "action too long", mod: func(f *risk.Fields) { f.ActionTaken = ptr(strings.Repeat("a", 2001)) }, wantFields: []string{"action_taken"}},
		{name: "factor without name", mod: func(f *risk.Fields) { f.Factors = []risk.Factor{{Name: " "}} }, wantFields: []string{"factors"}},
		{name: "factor with object value", mod: func(f *risk.Fields) { f.Factors = []risk.Factor{{Name: "a", Value: map[string]any{}}} }, wantFields: []string{"factors"}},
		{name: "factor negative weight", mod: func(f *risk.Fields) { f.Factors = []risk.Factor{{Name: "a", Weight: -1}} }, wantFields: []string{"factors"}},
		{name: "factor infinite contribution", mod: func(f *risk.Fields) { f.Factors = []risk.Factor{{Name: "a", Contribution: math.Inf(1)}} }, wantFields: []string{"factors"}},
		{name: "too many factors", mod: func(f *risk.Fields) { f.Factors = make([]risk.Factor, 51) }, wantFields: []string{"factors"}},
		{name: "blank source", source: " ", wantFields: []string{"source"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := valid()
			if tt.mod != nil {
				tt.mod(&f)
			}
			src := tt.source
			if src == "" {
				src = risk.SourceManual
			}
			r, err := risk.New(f, src, now)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, r)
			}
		})
	}
}

func TestApply(t *testing.T) {
	later := now.Add(time.Hour)
	open := func() risk.Risk {
		return risk.Risk{ID: 1, Type: risk.Academic, Severity: risk.Medium, Status: risk.Open, CreatedAt: now, UpdatedAt: now}
	}
	resolved := func() risk.Risk {
		r := open()
		r.Status, r.ResolvedAt, r.ResolvedBy = risk.Resolved, ptr(now), ptr[int64](9)
		return r
	}
	tests := []struct {
		name       string
		start      func() risk.Risk
		change     risk.Change
		wantKind   fault.Kind
		wantFields []string
		check      func(t *testing.T, r risk.Risk)
	}{
		{name: "resolve records who and when", start: open, change: risk.Change{Status: ptr("Resolved"), ActionTaken: ptr(ptr("Met parents"))},
			check: func(t *testing.T, r risk.Risk) {
				assert.Equal(t, risk.Resolved, r.Status)
				assert.Equal(t, later, *r.ResolvedAt)
				assert.Equal(t, int64(3), *r.ResolvedBy)
				assert.Equal(t, "Met parents", *r.ActionTaken)
				assert.Equal(t, later, r.UpdatedAt)
			}},
		{name: "grade while resolving", start: open, change: risk.Change{Status: ptr("resolved"), Severity: ptr("low")},
			check: func(t *testing.T, r risk.Risk) { assert.Equal(t, risk.Low, r.Severity) }},
		{name: "resolve twice conflicts", start: resolved, change: risk.Change{Status: ptr("resolved")}, wantKind: fault.Conflict},
		{name: "reopen forgets resolution", start: resolved, change: risk.Change{Status: ptr("open")}, check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, risk.Open, r.Status)
			assert.Nil(t, r.ResolvedAt)
			assert.Nil(t, r.ResolvedBy)
		}},
		{name: "open stays open", start: open, change: risk.Change{Status: ptr("open")}, check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, risk.Open, r.Status)
			assert.Nil(t, r.ResolvedAt)
		}},
		{name: "severity of open record", start: open, change: risk.Change{Severity: ptr("CRITICAL")}, check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, risk.Critical, r.Severity)
			assert.Equal(t, risk.Open, r.Status)
		}},
		{name: "resolved keeps its severity", start: resolved, change: risk.Change{Severity: ptr("high")}, wantKind: fault.BadRequest},
		{name: "same severity on resolved is fine", start: resolved, change: risk.Change{Severity: ptr("medium")}},
		{name: "reopen and regrade", start: resolved, change: risk.Change{Status: ptr("open"), Severity: ptr("high")}, check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, risk.High, r.Severity)
		}},
		{name: "action on resolved record", start: resolved, change: risk.Change{ActionTaken: ptr(ptr("Followed up"))}, check: func(t *testing.T, r risk.Risk) {
			assert.Equal(t, "Followed up", *r.ActionTaken)
			assert.Equal(t, now, *r.ResolvedAt, "resolution untouched")
		}},
		{name: "clear action", start: func() risk.Risk { r := open(); r.ActionTaken = ptr("x"); return r },
			change: risk.Change{ActionTaken: ptr[*string](nil)}, check: func(t *testing.T, r risk.Risk) { assert.Nil(t, r.ActionTaken) }},
		{name: "empty change", start: open, wantFields: []string{"status"}},
		{name: "bad values", start: open, change: risk.Change{Status: ptr("closed"), Severity: ptr("none"), ActionTaken: ptr(ptr(strings.Repeat("a", 2001)))},
			wantFields: []string{"status", "severity", "action_taken"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.start()
			before := r
			err := r.Apply(tt.change, 3, later)
			switch {
			case tt.wantFields != nil:
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				assert.Equal(t, before, r, "a failed change changes nothing")
			case tt.wantKind != 0:
				assert.Equal(t, tt.wantKind, fault.KindOf(err))
				assert.Equal(t, before, r, "a failed change changes nothing")
			default:
				require.NoError(t, err)
				if tt.check != nil {
					tt.check(t, r)
				}
			}
		})
	}
}

func TestWeightsAndLevels(t *testing.T) {
	assert.Equal(t, 10.0, risk.Low.Weight())
	assert.Equal(t, 25.0, risk.Medium.Weight())
	assert.Equal(t, 50.0, risk.High.Weight())
	assert.Equal(t, 80.0, risk.Critical.Weight())
	assert.Zero(t, risk.Severity("x").Weight())
	for score, want := range map[float64]risk.Level{0: risk.LevelNone, 0.01: risk.LevelLow, 24.99: risk.LevelLow, 25: risk.LevelMedium,
		49.99: risk.LevelMedium, 50: risk.LevelHigh, 74.99: risk.LevelHigh, 75: risk.LevelCritical, 100: risk.LevelCritical} {
		assert.Equal(t, want, risk.LevelOf(score), score)
	}
}

func rec(typ risk.Type, sev risk.Severity, st risk.Status) risk.Risk {
	return risk.Risk{Type: typ, Severity: sev, Status: st}
}

func TestAssess(t *testing.T) {
	tests := []struct {
		name      string
		records   []risk.Risk
		wantScore float64
		wantLevel risk.Level
		wantContr []float64
	}{
		{name: "nothing", wantLevel: risk.LevelNone, wantContr: []float64{}},
		{name: "only resolved", records: []risk.Risk{rec(risk.Health, risk.Critical, risk.Resolved)}, wantLevel: risk.LevelNone, wantContr: []float64{}},
		{name: "one low", records: []risk.Risk{rec(risk.Academic, risk.Low, risk.Open)}, wantScore: 10, wantLevel: risk.LevelLow, wantContr: []float64{10}},
		{name: "one medium", records: []risk.Risk{rec(risk.Academic, risk.Medium, risk.Open)}, wantScore: 25, wantLevel: risk.LevelMedium, wantContr: []float64{25}},
		{name: "one high", records: []risk.Risk{rec(risk.Academic, risk.High, risk.Open)}, wantScore: 50, wantLevel: risk.LevelHigh, wantContr: []float64{50}},
		{name: "one critical", records: []risk.Risk{rec(risk.Academic, risk.Critical, risk.Open)}, wantScore: 80, wantLevel: risk.LevelCritical, wantContr: []float64{80}},
		{name: "two highs combine to critical", records: []risk.Risk{rec(risk.Attendance, risk.High, risk.Open), rec(risk.Academic, risk.High, risk.Open)},
			wantScore: 75, wantLevel: risk.LevelCritical, wantContr: []float64{37.5, 37.5}},
		{name: "two mediums", records: []risk.Risk{rec(risk.Attendance, risk.Medium, risk.Open), rec(risk.Academic, risk.Medium, risk.Open)},
			wantScore: 43.75, wantLevel: risk.LevelMedium, wantContr: []float64{21.88, 21.88}},
		{name: "resolved ones are left out", records: []risk.Risk{rec(risk.Attendance, risk.Low, risk.Open), rec(risk.Academic, risk.Critical, risk.Resolved)},
			wantScore: 10, wantLevel: risk.LevelLow, wantContr: []float64{10}},
		// 1 − 0.9·0.2 = 0.82; shares ∝ −ln 0.9 = 0.10536 and −ln 0.2 = 1.60944.
		{name: "low and critical", records: []risk.Risk{rec(risk.Attendance, risk.Low, risk.Open), rec(risk.Health, risk.Critical, risk.Open)},
			wantScore: 82, wantLevel: risk.LevelCritical, wantContr: []float64{5.04, 76.96}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := risk.Assess(tt.records)
			assert.Equal(t, tt.wantScore, a.Score)
			assert.Equal(t, tt.wantLevel, a.Level)
			got := make([]float64, len(a.Factors))
			for i, f := range a.Factors {
				got[i] = f.Contribution
			}
			assert.Equal(t, tt.wantContr, got)
		})
	}
}

func TestAssessFactorsAndProperties(t *testing.T) {
	a := risk.Assess([]risk.Risk{rec(risk.Attendance, risk.Medium, risk.Open), rec(risk.Schedule, risk.Critical, risk.Open)})
	require.Len(t, a.Factors, 2)
	assert.Equal(t, risk.Factor{Name: "attendance", Value: "medium", Weight: 25, Contribution: a.Factors[0].Contribution}, a.Factors[0])
	assert.Equal(t, "schedule", a.Factors[1].Name)
	assert.Equal(t, "critical", a.Factors[1].Value)

	// Order-independent, monotone, bounded, contributions add up.
	sevs := []risk.Severity{risk.Low, risk.Medium, risk.High, risk.Critical}
	var recs []risk.Risk
	prev := 0.0
	for i := 0; i < 40; i++ {
		recs = append(recs, rec(risk.Other, sevs[i%4], risk.Open))
		a := risk.Assess(recs)
		assert.GreaterOrEqual(t, a.Score, prev)
		assert.LessOrEqual(t, a.Score, 100.0)
		sum := 0.0
		for _, f := range a.Factors {
			sum += f.Contribution
		}
		assert.InDelta(t, a.Score, sum, 0.005*float64(len(a.Factors))+0.005)
		prev = a.Score
	}
	rev := make([]risk.Risk, len(recs))
	for i := range recs {
		rev[i] = recs[len(recs)-1-i]
	}
	assert.Equal(t, risk.Assess(recs).Score, risk.Assess(rev).Score)
}
