// Package risk holds risk records (a concern about a student, raised by a
// person or an automation agent) and the derivation of a student's overall
// risk score from the records still open.
package risk

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// SourceManual marks a record created through the API by a person; agents
// record their own name instead.
const SourceManual = "manual"

// Type says what area of a student's life a risk concerns.
type Type string

// Types.
const (
	Attendance Type = "attendance"
	Academic   Type = "academic"
	Behavioral Type = "behavioral"
	Health     Type = "health"
	Schedule   Type = "schedule"
	Other      Type = "other"
)

// Types lists every type, for messages and documentation.
var Types = []Type{Attendance, Academic, Behavioral, Health, Schedule, Other}

// ParseType accepts any case.
func ParseType(s string) (Type, error) {
	t := Type(strings.ToLower(strings.TrimSpace(s)))
	for _, k := range Types {
		if t == k {
			return t, nil
		}
	}
	return "", fault.New(fault.Invalid, "risk_type: "+msgType)
}

const msgType = "must be one of attendance, academic, behavioral, health, schedule, other"

// Severity grades how serious a risk is.
type Severity string

// Severities, lowest first.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

const msgSeverity = "must be one of low, medium, high, critical"

// ParseSeverity accepts any case.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToLower(strings.TrimSpace(s)))
	if v.Weight() == 0 {
		return "", fault.New(fault.Invalid, "severity: "+msgSeverity)
	}
	return v, nil
}

// Weight is the share of the 0–100 scale one open record of this severity
// claims when the student's score is derived (see Assess); 0 for an
// unknown severity.
func (s Severity) Weight() float64 {
	switch s {
	case Low:
		return 10
	case Medium:
		return 25
	case High:
		return 50
	case Critical:
		return 80
	}
	return 0
}

// Status of a risk record.
type Status string

// Statuses.
const (
	Open     Status = "open"
	Resolved Status = "resolved"
)

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	if v != Open && v != Resolved {
		return "", fault.New(fault.Invalid, "status: must be open or resolved")
	}
	return v, nil
}

// Factor is one reason behind a risk score. Value is what was observed: a
// string, a number, a boolean or nil (agents report e.g. an attendance
// rate; the derived score reports a severity).
type Factor struct {
	Name         string
	Value        any
	Weight       float64
	Contribution float64
}

// Risk is one recorded concern.
type Risk struct {
	ID          int64
	StudentID   *int64
	Type        Type
	Severity    Severity
	Score       *float64 // 0–100, when the source measured one
	Factors     []Factor
	Description string
	Source      string
	Status      Status
	ActionTaken *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	ResolvedAt  *time.Time
	ResolvedBy  *int64
	// SubjectKey names what an agent's record is about (e.g.
	// "attendance:student:7"); at most one open record has a given key, so
	// an agent updates its record in place. Empty for manual records.
	SubjectKey string
}

// Fields are what a caller supplies to create a record.
type Fields struct {
	StudentID   *int64
	Type        string
	Severity    string
	Score       *float64
	Factors     []Factor
	Description string
	ActionTaken *string
}

// Limits of free text and lists, so one record stays a reasonable size.
const (
	MaxDescription = 2000
	MaxActionTaken = 2000
	MaxFactors     = 50
	maxFactorName  = 100
	maxFactorValue = 500
)

// New validates f into an open record from source, created at now.
func New(f Fields, source string, now time.Time) (Risk, error) {
	var v fault.Validation
	if f.StudentID != nil {
		v.Check(*f.StudentID > 0, "student_id", "must be a positive integer")
	}
	typ, err := ParseType(f.Type)
	v.Check(err == nil, "risk_type", msgType)
	sev, err := ParseSeverity(f.Severity)
	v.Check(err == nil, "severity", msgSeverity)
	if f.Score != nil {
		v.Check(validPercent(*f.Score), "score", "must be between 0 and 100")
	}
	desc := strings.TrimSpace(f.Description)
	v.Check(desc != "" && utf8.RuneCountInString(desc) <= MaxDescription, "description", "must be 1 to 2000 characters")
	checkFactors(&v, f.Factors)
	action := trimmedText(f.ActionTaken)
	if action != nil {
		v.Check(utf8.RuneCountInString(*action) <= MaxActionTaken, "action_taken", "must be at most 2000 characters")
	}
	src := strings.TrimSpace(source)
	v.Check(src != "" && utf8.RuneCountInString(src) <= 100, "source", "must be 1 to 100 characters")
	if err := v.Err(); err != nil {
		return Risk{}, err
	}
	factors := make([]Factor, len(f.Factors))
	for i, fc := range f.Factors {
		fc.Name = strings.TrimSpace(fc.Name)
		factors[i] = fc
	}
	return Risk{StudentID: f.StudentID, Type: typ, Severity: sev, Score: f.Score, Factors: factors, Description: desc,
		Source: src, Status: Open, ActionTaken: action, CreatedAt: now, UpdatedAt: now}, nil
}

func validPercent(x float64) bool { return !math.IsNaN(x) && x >= 0 && x <= 100 }

func checkFactors(v *fault.Validation, fs []Factor) {
	if len(fs) > MaxFactors {
		v.Add("factors", "must list at most 50 factors")
		return
	}
	for _, f := range fs {
		name := strings.TrimSpace(f.Name)
		if name == "" || utf8.RuneCountInString(name) > maxFactorName {
			v.Add("factors", "every factor needs a name of 1 to 100 characters")
			return
		}
		if !validValue(f.Value) {
			v.Add("factors", "a factor's value must be a string (up to 500 characters), a number, a boolean or null")
			return
		}
		if math.IsNaN(f.Weight) || math.IsInf(f.Weight, 0) || math.IsNaN(f.Contribution) || math.IsInf(f.Contribution, 0) ||
			f.Weight < 0 || f.Contribution < 0 {
			v.Add("factors", "a factor's weight and contribution must be finite and not negative")
			return
		}
	}
}

func validValue(x any) bool {
	switch t := x.(type) {
	case nil, bool:
		return true
	case string:
		return utf8.RuneCountInString(t) <= maxFactorValue
	case float64:
		return !math.IsNaN(t) && !math.IsInf(t, 0)
	case int, int64:
		return true
	}
	return false
}

func trimmedText(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}

// Change is a partial update (PATCH); nil fields are left as they are.
type Change struct {
	Status      *string
	Severity    *string
	ActionTaken **string // set to a nil *string to clear
}

// Empty reports whether the change names nothing to change.
func (c Change) Empty() bool { return c.Status == nil && c.Severity == nil && c.ActionTaken == nil }

// Errors of the resolve rules; the use case returns them as they are.
var (
	ErrAlreadyResolved = fault.New(fault.Conflict, "The risk is already resolved")
	ErrResolvedFrozen  = fault.New(fault.BadRequest, "A resolved risk keeps its severity; reopen it (status open) first")
)

// Apply validates c and applies it as user by at now. Resolving records who
// and when; reopening forgets them. Resolving a resolved record is a
// conflict (someone else got there first), and a record that is and stays
// resolved keeps its severity, so the history of what was resolved stays
// true (grading it while resolving it is fine).
func (r *Risk) Apply(c Change, by int64, now time.Time) error {
	var v fault.Validation
	if c.Empty() {
		v.Add("status", "give at least one of status, severity, action_taken")
		return v.Err()
	}
	var status Status
	if c.Status != nil {
		s, err := ParseStatus(*c.Status)
		v.Check(err == nil, "status", "must be open or resolved")
		status = s
	}
	var sev Severity
	if c.Severity != nil {
		s, err := ParseSeverity(*c.Severity)
		v.Check(err == nil, "severity", msgSeverity)
		sev = s
	}
	var action *string
	if c.ActionTaken != nil {
		action = trimmedText(*c.ActionTaken)
		if action != nil {
			v.Check(utf8.RuneCountInString(*action) <= MaxActionTaken, "action_taken", "must be at most 2000 characters")
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	next := r.Status
	if status != "" {
		next = status
	}
	if status == Resolved && r.Status == Resolved {
		return ErrAlreadyResolved
	}
	if sev != "" && sev != r.Severity && r.Status == Resolved && next == Resolved {
		return ErrResolvedFrozen
	}
	switch {
	case status == Resolved:
		t, u := now, by
		r.Status, r.ResolvedAt, r.ResolvedBy = Resolved, &t, &u
	case status == Open && r.Status == Resolved:
		r.Status, r.ResolvedAt, r.ResolvedBy = Open, nil, nil
	}
	if sev != "" {
		r.Severity = sev
	}
	if c.ActionTaken != nil {
		r.ActionTaken = action
	}
	r.UpdatedAt = now
	return nil
}

// Filter narrows a listing; zero values do not filter.
type Filter struct {
	StudentID *int64
	Status    Status
	Severity  Severity
	Type      Type
}
