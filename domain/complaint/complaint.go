// Package complaint holds the complaint a student (or staff on their
// behalf) files, its lifecycle, the due time that follows its priority, and
// the append-only history of every change made to it.
package complaint

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// Status is where a complaint is in its lifecycle.
type Status string

// Statuses.
const (
	Pending    Status = "pending"
	InProgress Status = "in_progress"
	Resolved   Status = "resolved"
	Closed     Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Pending, InProgress, Resolved, Closed}

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	switch st {
	case Pending, InProgress, Resolved, Closed:
		return st, nil
	}
	return "", fault.New(fault.Invalid, "status: must be one of pending, in_progress, resolved, closed")
}

// Open reports whether the complaint still awaits handling; only open
// complaints can be overdue.
func (s Status) Open() bool { return s == Pending || s == InProgress }

// Category is what a complaint is about.
type Category string

// Categories.
const (
	Academic   Category = "academic"
	Conduct    Category = "conduct"
	Health     Category = "health"
	Facilities Category = "facilities"
	Other      Category = "other"
)

// ParseCategory accepts any case.
func ParseCategory(s string) (Category, error) {
	c := Category(strings.ToLower(strings.TrimSpace(s)))
	switch c {
	case Academic, Conduct, Health, Facilities, Other:
		return c, nil
	}
	return "", fault.New(fault.Invalid, "category: must be one of academic, conduct, health, facilities, other")
}

// Priority orders complaints by urgency and sets their due time.
type Priority string

// Priorities.
const (
	Low    Priority = "low"
	Normal Priority = "normal"
	High   Priority = "high"
	Urgent Priority = "urgent"
)

// Priorities lists every priority, least urgent first.
var Priorities = []Priority{Low, Normal, High, Urgent}

// ParsePriority accepts any case.
func ParsePriority(s string) (Priority, error) {
	p := Priority(strings.ToLower(strings.TrimSpace(s)))
	switch p {
	case Low, Normal, High, Urgent:
		return p, nil
	}
	return "", fault.New(fault.Invalid, "priority: must be one of low, normal, high, urgent")
}

// Window is how long after filing a complaint of this priority is due.
func (p Priority) Window() time.Duration {
	switch p {
	case Urgent:
		return 24 * time.Hour
	case High:
		return 48 * time.Hour
	case Low:
		return 120 * time.Hour
	}
	return 72 * time.Hour
}

// Raise is the next priority up the ladder low → normal → high → urgent;
// urgent has no next and reports false.
func (p Priority) Raise() (Priority, bool) {
	for i, q := range Priorities {
		if q == p && i+1 < len(Priorities) {
			return Priorities[i+1], true
		}
	}
	return p, false
}

// DueAt is when a complaint filed at created with priority p is due. It is
// always counted from filing, so raising the priority of an old complaint
// can make it overdue at once: that is the point of raising it.
func DueAt(created time.Time, p Priority) time.Time { return created.Add(p.Window()) }

// Message limits.
const (
	TitleMin          = 5
	TitleMax          = 200
	DescriptionMin    = 10
	DescriptionMax    = 5000
	ResolutionMax     = 5000
	NoteMax           = 1000
	msgTitle          = "must be 5 to 200 characters"
	msgDescription    = "must be 10 to 5000 characters"
	msgResolution     = "must be at most 5000 characters"
	msgNote           = "must be at most 1000 characters"
	msgCategory       = "must be one of academic, conduct, health, facilities, other"
	msgPriority       = "must be one of low, normal, high, urgent"
	msgStatus         = "must be one of pending, in_progress, resolved, closed"
	msgDismissNeedsRe = "is required to close a pending complaint (dismissal)"
)

// Complaint is one grievance about a student's campus life.
type Complaint struct {
	ID          int64
	StudentID   int64
	Title       string
	Description string
	Category    Category
	Priority    Priority
	Status      Status
	AssignedTo  *int64
	Resolution  *string
	DueAt       time.Time
	ResolvedAt  *time.Time
	ResolvedBy  *int64
	FiledBy     int64 // the user who filed it
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// CategoryDefaulted and PriorityDefaulted say the value is still the
	// default: the filer left the field out and no one has chosen it
	// since. Only such values may be set by the triage agent.
	CategoryDefaulted bool
	PriorityDefaulted bool
	// EscalatedDueAt is the due time whose breach was last escalated, so
	// a breach escalates once; a new due time can be breached again.
	EscalatedDueAt *time.Time
}

// Overdue reports whether the complaint is still open after its due time.
func (c Complaint) Overdue(now time.Time) bool { return c.Status.Open() && c.DueAt.Before(now) }

// Fields are what a caller gives to file a complaint. Empty Category and
// Priority take their defaults (other, normal) and are marked defaulted,
// so the triage agent may later suggest better ones.
type Fields struct {
	StudentID   int64
	Title       string
	Description string
	Category    string
	Priority    string
}

// New validates f into a pending complaint filed by user filedBy at now,
// due according to its priority.
func New(f Fields, filedBy int64, now time.Time) (Complaint, error) {
	var v fault.Validation
	title := strings.TrimSpace(f.Title)
	desc := strings.TrimSpace(f.Description)
	n := utf8.RuneCountInString(title)
	v.Check(n >= TitleMin && n <= TitleMax, "title", msgTitle)
	n = utf8.RuneCountInString(desc)
	v.Check(n >= DescriptionMin && n <= DescriptionMax, "description", msgDescription)
	v.Check(f.StudentID > 0, "student_id", "is required")
	cat := Other
	if strings.TrimSpace(f.Category) != "" {
		c, err := ParseCategory(f.Category)
		v.Check(err == nil, "category", msgCategory)
		cat = c
	}
	prio := Normal
	if strings.TrimSpace(f.Priority) != "" {
		p, err := ParsePriority(f.Priority)
		v.Check(err == nil, "priority", msgPriority)
		prio = p
	}
	if err := v.Err(); err != nil {
		return Complaint{}, err
	}
	now = now.UTC()
	return Complaint{StudentID: f.StudentID, Title: title, Description: desc, Category: cat, Priority: prio,
		Status: Pending, DueAt: DueAt(now, prio), FiledBy: filedBy, CreatedAt: now, UpdatedAt: now,
		CategoryDefaulted: strings.TrimSpace(f.Category) == "", PriorityDefaulted: strings.TrimSpace(f.Priority) == ""}, nil
}

// moves are the allowed status changes; anything else is a conflict.
var moves = map[Status][]Status{
	Pending:    {InProgress, Closed},
	InProgress: {Resolved},
	Resolved:   {Closed, InProgress},
}

// CanMove reports whether a complaint may go from one status to another.
// Staying in the same status is not a move and is not allowed here; callers
// treat it as no change before asking.
func CanMove(from, to Status) bool {
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Change is a staff member's edit of a complaint (PATCH): nil fields stay
// as they are. AssignedTo and Resolution may carry an explicit nil to clear
// the value. Assignee eligibility (an active staff or admin account) needs
// the user store, so the use case checks it before applying.
type Change struct {
	Status     *string
	Priority   *string
	AssignedTo **int64
	Resolution **string
	Note       *string
}

// FieldChange is one field's value before and after a write.
type FieldChange struct {
	Field string
	From  any
	To    any
}

// Validate checks the shape of ch (enum values, lengths) without a complaint.
func (ch Change) Validate() error {
	var v fault.Validation
	if ch.Status != nil {
		_, err := ParseStatus(*ch.Status)
		v.Check(err == nil, "status", msgStatus)
	}
	if ch.Priority != nil {
		_, err := ParsePriority(*ch.Priority)
		v.Check(err == nil, "priority", msgPriority)
	}
	if ch.Resolution != nil && *ch.Resolution != nil {
		v.Check(utf8.RuneCountInString(strings.TrimSpace(**ch.Resolution)) <= ResolutionMax, "resolution", msgResolution)
	}
	if ch.AssignedTo != nil && *ch.AssignedTo != nil {
		v.Check(**ch.AssignedTo > 0, "assigned_to", "must be a user id")
	}
	if ch.Note != nil {
		v.Check(utf8.RuneCountInString(strings.TrimSpace(*ch.Note)) <= NoteMax, "note", msgNote)
	}
	return v.Err()
}

var errClosed = fault.New(fault.Conflict, "The complaint is closed and can no longer change")

// Apply validates ch and applies it as user by at now. It returns the
// changes it made, in a fixed field order, and none when ch restates the
// current values (the same status again is not a move). A status move
// outside the lifecycle is fault.Conflict, as is any change to a closed
// complaint; nothing is changed when Apply fails.
func (c *Complaint) Apply(ch Change, by int64, now time.Time) ([]FieldChange, error) {
	if err := ch.Validate(); err != nil {
		return nil, err
	}
	next := *c
	now = now.UTC()
	if ch.Priority != nil {
		next.Priority, _ = ParsePriority(*ch.Priority)
		next.DueAt = DueAt(c.CreatedAt, next.Priority)
		next.PriorityDefaulted = false // someone chose it now
	}
	if ch.AssignedTo != nil {
		next.AssignedTo = cloneInt(*ch.AssignedTo)
	}
	if ch.Resolution != nil {
		next.Resolution = nil
		if r := *ch.Resolution; r != nil && strings.TrimSpace(*r) != "" {
			t := strings.TrimSpace(*r)
			next.Resolution = &t
		}
	}
	if ch.Status != nil {
		to, _ := ParseStatus(*ch.Status)
		if to != c.Status {
			if !CanMove(c.Status, to) {
				return nil, fault.Newf(fault.Conflict, "A complaint cannot move from %s to %s", c.Status, to)
			}
			next.Status = to
			switch {
			case to == Resolved:
				t, b := now, by
				next.ResolvedAt, next.ResolvedBy = &t, &b
			case c.Status == Resolved && to == InProgress: // reopened
				next.ResolvedAt, next.ResolvedBy = nil, nil
			case c.Status == Pending && to == Closed && next.Resolution == nil:
				var v fault.Validation
				v.Add("resolution", msgDismissNeedsRe)
				return nil, v.Err()
			}
		}
	}
	changes := diff(*c, next)
	if len(changes) == 0 {
		return nil, nil
	}
	if c.Status == Closed {
		return nil, errClosed
	}
	next.UpdatedAt = now
	*c = next
	return changes, nil
}

// diff lists the fields that differ between a and b.
func diff(a, b Complaint) []FieldChange {
	var out []FieldChange
	add := func(field string, from, to any) {
		if from != to {
			out = append(out, FieldChange{Field: field, From: from, To: to})
		}
	}
	sa, sb := Snapshot(a), Snapshot(b)
	for _, f := range []string{"status", "priority", "due_at", "assigned_to", "resolution", "resolved_at", "resolved_by"} {
		add(f, sa[f], sb[f])
	}
	return out
}

// Snapshot is the public view of a complaint as plain values (times in
// RFC 3339 UTC, absent values nil): the audit trail's before/after and the
// events' payloads are built from it.
func Snapshot(c Complaint) map[string]any {
	return map[string]any{
		"id": c.ID, "student_id": c.StudentID, "title": c.Title, "description": c.Description,
		"category": string(c.Category), "priority": string(c.Priority), "status": string(c.Status),
		"assigned_to": intOrNil(c.AssignedTo), "resolution": strOrNil(c.Resolution),
		"due_at": timeOrNil(&c.DueAt), "resolved_at": timeOrNil(c.ResolvedAt), "resolved_by": intOrNil(c.ResolvedBy),
		"filed_by": c.FiledBy,
	}
}

func intOrNil(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func strOrNil(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func timeOrNil(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func cloneInt(p *int64) *int64 {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// Filter narrows a complaint listing; zero values do not filter.
type Filter struct {
	Status    Status
	Category  Category
	Priority  Priority
	StudentID *int64
	// OnlyStudent is the own-record scope of a student user; it is ANDed
	// with StudentID, so asking for another student's complaints finds none.
	OnlyStudent *int64
	// Overdue, with OverdueAt as "now", keeps only overdue complaints
	// (true) or only those that are not (false).
	Overdue   *bool
	OverdueAt time.Time
}

// Actions of the history.
const (
	ActionFiled   = "filed"
	ActionChanged = "changed"
	// ActionTriaged marks the triage agent's decision; a complaint with
	// such an entry is never triaged again.
	ActionTriaged = "triaged"
	// ActionEscalated is the escalation agent's raise of an overdue
	// complaint (or, at urgent, its notice of the breach).
	ActionEscalated = "escalated"
)

// ByAgent is the HistoryEntry.By of an entry an agent wrote: no user acted,
// the entry's action and note name the agent and its reasons.
const ByAgent int64 = 0

// HistoryEntry is one write to a complaint: who, when, which fields went
// from what to what, and the note they left. The history is append-only.
type HistoryEntry struct {
	ID          int64
	ComplaintID int64
	At          time.Time
	By          int64
	Action      string
	Changes     []FieldChange
	Note        string
}
