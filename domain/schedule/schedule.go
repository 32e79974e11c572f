// Package schedule holds timetable entries (classes, exams, events,
// holidays) and the clash rules that keep two active entries from claiming
// the same room, the same instructor or the same class of students at once.
package schedule

import (
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// EventType is the kind of entry.
type EventType string

// Event types.
const (
	Class   EventType = "class"
	Exam    EventType = "exam"
	Event   EventType = "event"
	Holiday EventType = "holiday"
)

const msgEventType = "must be one of class, exam, event, holiday"

// ParseEventType accepts any case.
func ParseEventType(s string) (EventType, error) {
	t := EventType(strings.ToLower(strings.TrimSpace(s)))
	switch t {
	case Class, Exam, Event, Holiday:
		return t, nil
	}
	return "", fault.New(fault.Invalid, "event_type: "+msgEventType)
}

// Entry is one timetable entry over the half-open interval [StartsAt,
// EndsAt). Optional text fields are "" when absent.
type Entry struct {
	ID         int64
	Title      string
	EventType  EventType
	StartsAt   time.Time
	EndsAt     time.Time
	Location   string
	Instructor string
	Department string
	Semester   *int
	Section    string
	IsActive   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Fields are the writable fields of an entry as a caller gives them. A nil
// IsActive means active. Zero times are missing.
type Fields struct {
	Title      string
	EventType  string
	StartsAt   time.Time
	EndsAt     time.Time
	Location   string
	Instructor string
	Department string
	Semester   *int
	Section    string
	IsActive   *bool
}

// New validates f into a new entry.
func New(f Fields) (Entry, error) {
	var e Entry
	return e, e.Replace(f)
}

// Replace validates f and overwrites every writable field.
func (e *Entry) Replace(f Fields) error {
	var v fault.Validation
	title := strings.TrimSpace(f.Title)
	n := utf8.RuneCountInString(title)
	v.Check(n >= 1 && n <= 200, "title", "must be 1 to 200 characters")
	typ, err := ParseEventType(f.EventType)
	v.Check(err == nil, "event_type", msgEventType)
	v.Check(!f.StartsAt.IsZero(), "starts_at", "is required")
	v.Check(!f.EndsAt.IsZero(), "ends_at", "is required")
	if !f.StartsAt.IsZero() && !f.EndsAt.IsZero() {
		v.Check(f.EndsAt.After(f.StartsAt), "ends_at", "must be after starts_at")
	}
	loc, inst := strings.TrimSpace(f.Location), strings.TrimSpace(f.Instructor)
	dept, sec := strings.TrimSpace(f.Department), strings.TrimSpace(f.Section)
	v.Check(utf8.RuneCountInString(loc) <= 200, "location", "must be at most 200 characters")
	v.Check(utf8.RuneCountInString(inst) <= 200, "instructor", "must be at most 200 characters")
	v.Check(utf8.RuneCountInString(dept) <= 100, "department", "must be at most 100 characters")
	v.Check(utf8.RuneCountInString(sec) <= 20, "section", "must be at most 20 characters")
	var sem *int
	if f.Semester != nil {
		v.Check(*f.Semester >= 1 && *f.Semester <= 12, "semester", "must be between 1 and 12")
		s := *f.Semester
		sem = &s
	}
	if err := v.Err(); err != nil {
		return err
	}
	active := f.IsActive == nil || *f.IsActive
	e.Title, e.EventType, e.StartsAt, e.EndsAt = title, typ, f.StartsAt.UTC(), f.EndsAt.UTC()
	e.Location, e.Instructor, e.Department, e.Semester, e.Section, e.IsActive = loc, inst, dept, sem, sec, active
	return nil
}

// Fields returns the writable fields of e, for partial updates.
func (e Entry) Fields() Fields {
	active := e.IsActive
	return Fields{Title: e.Title, EventType: string(e.EventType), StartsAt: e.StartsAt, EndsAt: e.EndsAt,
		Location: e.Location, Instructor: e.Instructor, Department: e.Department, Semester: e.Semester,
		Section: e.Section, IsActive: &active}
}

// Patch is a partial update: nil fields are left as they are; for the
// optional fields a pointer to "" (or to a nil semester) clears them.
type Patch struct {
	Title      *string
	EventType  *string
	StartsAt   *time.Time
	EndsAt     *time.Time
	Location   *string
	Instructor *string
	Department *string
	Semester   **int
	Section    *string
	IsActive   *bool
}

// Apply validates and applies p.
func (e *Entry) Apply(p Patch) error {
	f := e.Fields()
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&f.Title, p.Title)
	set(&f.EventType, p.EventType)
	set(&f.Location, p.Location)
	set(&f.Instructor, p.Instructor)
	set(&f.Department, p.Department)
	set(&f.Section, p.Section)
	if p.StartsAt != nil {
		f.StartsAt = *p.StartsAt
	}
	if p.EndsAt != nil {
		f.EndsAt = *p.EndsAt
	}
	if p.Semester != nil {
		f.Semester = *p.Semester
	}
	if p.IsActive != nil {
		f.IsActive = p.IsActive
	}
	return e.Replace(f)
}

// Reason says why two entries clash.
type Reason string

// Clash reasons, in the order they are reported.
const (
	SameLocation   Reason = "location"
	SameInstructor Reason = "instructor"
	SameAudience   Reason = "audience"
)

// Overlaps reports whether the half-open intervals of a and b share a
// moment: an entry ending at 10:00 and one starting at 10:00 do not.
func Overlaps(a, b Entry) bool {
	return a.StartsAt.Before(b.EndsAt) && b.StartsAt.Before(a.EndsAt)
}

// key normalises a name for comparison: rooms and people are the same
// whatever the case or surrounding spaces a clerk typed.
func key(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// audience names the class of students an entry is for, or "" when it
// does not name one completely (department, semester and section).
func (e Entry) audience() string {
	if key(e.Department) == "" || e.Semester == nil || key(e.Section) == "" {
		return ""
	}
	return key(e.Department) + "\x00" + strconv.Itoa(*e.Semester) + "\x00" + key(e.Section)
}

// ClashReasons lists why a and b cannot both stand: both active, distinct,
// overlapping in time, and sharing a non-empty location, a non-empty
// instructor or a complete audience. Nil means they do not clash.
func ClashReasons(a, b Entry) []Reason {
	if !a.IsActive || !b.IsActive || (a.ID != 0 && a.ID == b.ID) || !Overlaps(a, b) {
		return nil
	}
	var out []Reason
	if l := key(a.Location); l != "" && l == key(b.Location) {
		out = append(out, SameLocation)
	}
	if i := key(a.Instructor); i != "" && i == key(b.Instructor) {
		out = append(out, SameInstructor)
	}
	if au := a.audience(); au != "" && au == b.audience() {
		out = append(out, SameAudience)
	}
	return out
}

// Clash is another entry that clashes with the one being written.
type Clash struct {
	With    Entry
	Reasons []Reason
}

// Clashes returns the entries of others that clash with e, by id.
func Clashes(e Entry, others []Entry) []Clash {
	var out []Clash
	for _, o := range others {
		if rs := ClashReasons(e, o); len(rs) > 0 {
			out = append(out, Clash{With: o, Reasons: rs})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].With.ID < out[j].With.ID })
	return out
}

// Pair is two stored entries that clash; A has the lower id.
type Pair struct {
	A, B    Entry
	Reasons []Reason
}

// Pairs finds every clashing pair among entries, ordered by (A.ID, B.ID).
// It sweeps the entries by start time, so only entries that overlap in time
// are compared.
func Pairs(entries []Entry) []Pair {
	sorted := append([]Entry(nil), entries...)
	sort.Slice(sorted, func(i, j int) bool {
		if !sorted[i].StartsAt.Equal(sorted[j].StartsAt) {
			return sorted[i].StartsAt.Before(sorted[j].StartsAt)
		}
		return sorted[i].ID < sorted[j].ID
	})
	var out []Pair
	var running []Entry // entries that may still overlap what comes next
	for _, e := range sorted {
		kept := running[:0]
		for _, r := range running {
			if r.EndsAt.After(e.StartsAt) {
				kept = append(kept, r)
			}
		}
		running = kept
		for _, r := range running {
			if rs := ClashReasons(r, e); len(rs) > 0 {
				a, b := r, e
				if b.ID < a.ID {
					a, b = b, a
				}
				out = append(out, Pair{A: a, B: b, Reasons: rs})
			}
		}
		running = append(running, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A.ID != out[j].A.ID {
			return out[i].A.ID < out[j].A.ID
		}
		return out[i].B.ID < out[j].B.ID
	})
	return out
}

// Snapshot is the public view of an entry as plain values (times in RFC
// 3339 UTC, absent values nil), for the audit trail and event payloads.
func Snapshot(e Entry) map[string]any {
	m := map[string]any{"id": e.ID, "title": e.Title, "event_type": string(e.EventType),
		"starts_at": e.StartsAt.UTC().Format(time.RFC3339Nano), "ends_at": e.EndsAt.UTC().Format(time.RFC3339Nano),
		"location": orNil(e.Location), "instructor": orNil(e.Instructor), "department": orNil(e.Department),
		"semester": nil, "section": orNil(e.Section), "is_active": e.IsActive}
	if e.Semester != nil {
		m["semester"] = *e.Semester
	}
	return m
}

func orNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Filter narrows a schedule listing; zero values do not filter. From and To
// keep the entries that have any moment within [From, To].
type Filter struct {
	From       *time.Time
	To         *time.Time
	EventType  EventType
	Location   string // compared ignoring case and surrounding spaces
	Department string
	Semester   *int
	Section    string
	Active     *bool
}
