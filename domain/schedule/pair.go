package schedule

import (
	"fmt"
	"strings"
	"time"
)

// SubjectKey names the pair as the records about it do:
// "schedule:<lower id>:<higher id>", the same whichever entry was seen first.
func (p Pair) SubjectKey() string {
	a, b := p.A.ID, p.B.ID
	if b < a {
		a, b = b, a
	}
	return fmt.Sprintf("schedule:%d:%d", a, b)
}

// Overlap is the interval [start, end) both entries claim.
func (p Pair) Overlap() (start, end time.Time) {
	start, end = p.A.StartsAt, p.A.EndsAt
	if p.B.StartsAt.After(start) {
		start = p.B.StartsAt
	}
	if p.B.EndsAt.Before(end) {
		end = p.B.EndsAt
	}
	return start.UTC(), end.UTC()
}

// Involves reports whether either entry is of type t.
func (p Pair) Involves(t EventType) bool { return p.A.EventType == t || p.B.EventType == t }

// Shared names what the entries share for reason r, as the first entry
// spells it ("Hall A"; an audience as "CSE, semester 3, section A").
func (p Pair) Shared(r Reason) string {
	switch r {
	case SameLocation:
		return p.A.Location
	case SameInstructor:
		return p.A.Instructor
	case SameAudience:
		if p.A.Semester == nil {
			return ""
		}
		return fmt.Sprintf("%s, semester %d, section %s", p.A.Department, *p.A.Semester, p.A.Section)
	}
	return ""
}

// ReasonList joins the reasons for display ("location, instructor").
func (p Pair) ReasonList() string {
	out := make([]string, len(p.Reasons))
	for i, r := range p.Reasons {
		out[i] = string(r)
	}
	return strings.Join(out, ", ")
}

// PairsWith returns the clashing pairs e forms with the entries of others
// (e itself among them is skipped), ordered by the other entry's id.
func PairsWith(e Entry, others []Entry) []Pair {
	clashes := Clashes(e, others)
	out := make([]Pair, 0, len(clashes))
	for _, c := range clashes {
		a, b := e, c.With
		if b.ID < a.ID {
			a, b = b, a
		}
		out = append(out, Pair{A: a, B: b, Reasons: c.Reasons})
	}
	return out
}
