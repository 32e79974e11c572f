package club

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// Status is where an activity is in its life.
type Status string

// Statuses. Completed and Cancelled are final.
const (
	Planned   Status = "planned"
	Ongoing   Status = "ongoing"
	Completed Status = "completed"
	Cancelled Status = "cancelled"
)

// Statuses lists every status in life order.
var Statuses = []Status{Planned, Ongoing, Completed, Cancelled}

const statusChoices = "must be one of planned, ongoing, completed, cancelled"

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range Statuses {
		if st == x {
			return st, nil
		}
	}
	return "", fault.New(fault.Invalid, "status: "+statusChoices)
}

// moves lists the statuses each status may move to: forward only, and a
// finished or cancelled activity stays so (its attendance is history).
var moves = map[Status][]Status{
	Planned: {Ongoing, Completed, Cancelled},
	Ongoing: {Completed, Cancelled},
}

// CanMove reports whether an activity may go from one status to another;
// staying put is always allowed.
func CanMove(from, to Status) bool {
	if from == to {
		return true
	}
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// MaxCapacity bounds an activity's capacity.
const MaxCapacity = 100000

// Activity is one event a club runs.
type Activity struct {
	ID           int64
	ClubID       int64
	Title        string
	ActivityType string
	StartsAt     time.Time
	EndsAt       *time.Time
	Location     *string
	Capacity     *int // nil: unlimited
	Status       Status
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// ActivityFields are the writable fields of an activity.
type ActivityFields struct {
	Title        string
	ActivityType string
	StartsAt     time.Time
	EndsAt       *time.Time
	Location     *string
	Capacity     *int
	Status       string // "" means planned
}

// NewActivity validates f into a new activity of club clubID.
func NewActivity(clubID int64, f ActivityFields) (Activity, error) {
	a := Activity{ClubID: clubID, Status: Planned}
	if f.Status == "" {
		f.Status = string(Planned)
	}
	return a, a.replace(f, false)
}

// replace validates f and overwrites every writable field; checkMove
// applies the status rules (a new activity may start in any status).
func (a *Activity) replace(f ActivityFields, checkMove bool) error {
	var v fault.Validation
	title := strings.TrimSpace(f.Title)
	typ := strings.ToLower(strings.TrimSpace(f.ActivityType))
	v.Check(title != "" && utf8.RuneCountInString(title) <= 200, "title", "must be 1 to 200 characters")
	v.Check(typ != "" && utf8.RuneCountInString(typ) <= 50, "activity_type", "must be 1 to 50 characters")
	v.Check(!f.StartsAt.IsZero(), "starts_at", "is required")
	if f.EndsAt != nil && !f.StartsAt.IsZero() {
		v.Check(f.EndsAt.After(f.StartsAt), "ends_at", "must be after starts_at")
	}
	var loc *string
	if f.Location != nil && strings.TrimSpace(*f.Location) != "" {
		l := strings.TrimSpace(*f.Location)
		v.Check(utf8.RuneCountInString(l) <= 200, "location", "must be at most 200 characters")
		loc = &l
	}
	text := map[string]string{"title": title, "activity_type": typ}
	if loc != nil {
		text["location"] = *loc
	}
	checkText(&v, text)
	if f.Capacity != nil {
		v.Check(*f.Capacity >= 1 && *f.Capacity <= MaxCapacity, "capacity", "must be between 1 and 100000")
	}
	st, err := ParseStatus(f.Status)
	if err != nil {
		v.Add("status", statusChoices)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if checkMove && !CanMove(a.Status, st) {
		return fault.Newf(fault.Conflict, "An activity cannot move from %s to %s", a.Status, st)
	}
	a.Title, a.ActivityType, a.StartsAt, a.Location, a.Capacity, a.Status = title, typ, f.StartsAt.UTC(), loc, f.Capacity, st
	a.EndsAt = nil
	if f.EndsAt != nil {
		e := f.EndsAt.UTC()
		a.EndsAt = &e
	}
	return nil
}

// Fields returns the writable fields of a, for partial updates.
func (a Activity) Fields() ActivityFields {
	return ActivityFields{Title: a.Title, ActivityType: a.ActivityType, StartsAt: a.StartsAt, EndsAt: a.EndsAt,
		Location: a.Location, Capacity: a.Capacity, Status: string(a.Status)}
}

// ActivityPatch is a partial update: nil fields stay; the double pointers
// tell "clear" (pointer to nil) from "leave" (nil).
type ActivityPatch struct {
	Title        *string
	ActivityType *string
	StartsAt     *time.Time
	EndsAt       **time.Time
	Location     **string
	Capacity     **int
	Status       *string
}

// Apply validates and applies p. present is how many students are marked
// present at the activity: the capacity cannot drop below it.
func (a *Activity) Apply(p ActivityPatch, present int) error {
	f := a.Fields()
	if p.Title != nil {
		f.Title = *p.Title
	}
	if p.ActivityType != nil {
		f.ActivityType = *p.ActivityType
	}
	if p.StartsAt != nil {
		f.StartsAt = *p.StartsAt
	}
	if p.EndsAt != nil {
		f.EndsAt = *p.EndsAt
	}
	if p.Location != nil {
		f.Location = *p.Location
	}
	if p.Capacity != nil {
		f.Capacity = *p.Capacity
		if f.Capacity != nil && *f.Capacity >= 1 && *f.Capacity < present {
			var v fault.Validation
			v.Add("capacity", fmt.Sprintf("must be at least %d, the students already marked present", present))
			return v.Err()
		}
	}
	if p.Status != nil {
		f.Status = *p.Status
	}
	return a.replace(f, true)
}

// ActivityFilter narrows a listing of one club's activities.
type ActivityFilter struct {
	ClubID int64
	Status Status
	From   *time.Time // starts_at at or after
	To     *time.Time // starts_at at or before
}

// Attendance is whether one student was at one activity.
type Attendance struct {
	ActivityID int64
	StudentID  int64
	Present    bool
	RecordedAt time.Time
}

// Mark is one line of an attendance call.
type Mark struct {
	StudentID int64
	Present   bool
}

// Recording is the outcome of an attendance call: the rows to upsert and
// what they did.
type Recording struct {
	Rows     []Attendance
	Previous map[int64]bool // earlier value of each updated student
	Created  int
	Updated  int
	Present  int // present at the activity after the call
	Absent   int // recorded absent after the call
}

// Record validates an attendance call for activity a. existing is what is
// recorded already; members reports which of the students named are
// active members of the club. Every student named must be one, at most
// once; present students after the call may not exceed the capacity. A
// cancelled activity takes no attendance.
func (a Activity) Record(marks []Mark, existing []Attendance, members map[int64]bool, at time.Time) (Recording, error) {
	if a.Status == Cancelled {
		return Recording{}, fault.New(fault.BadRequest, "A cancelled activity takes no attendance")
	}
	var v fault.Validation
	if len(marks) == 0 {
		v.Add("records", "must list at least one student")
	}
	seen := make(map[int64]bool, len(marks))
	for i, m := range marks {
		field := fmt.Sprintf("records[%d].student_id", i)
		switch {
		case m.StudentID <= 0:
			v.Add(field, "must be a positive integer")
		case seen[m.StudentID]:
			v.Add(field, fmt.Sprintf("student %d is listed twice", m.StudentID))
		case !members[m.StudentID]:
			v.Add(field, fmt.Sprintf("student %d is not a member of this club", m.StudentID))
		}
		seen[m.StudentID] = true
	}
	if err := v.Err(); err != nil {
		return Recording{}, err
	}
	state := make(map[int64]bool, len(existing)+len(marks))
	for _, e := range existing {
		state[e.StudentID] = e.Present
	}
	r := Recording{Previous: map[int64]bool{}}
	for _, m := range marks {
		if prev, ok := state[m.StudentID]; ok {
			r.Updated++
			r.Previous[m.StudentID] = prev
		} else {
			r.Created++
		}
		state[m.StudentID] = m.Present
		r.Rows = append(r.Rows, Attendance{ActivityID: a.ID, StudentID: m.StudentID, Present: m.Present, RecordedAt: at})
	}
	for _, present := range state {
		if present {
			r.Present++
		} else {
			r.Absent++
		}
	}
	if a.Capacity != nil && r.Present > *a.Capacity {
		v.Add("records", fmt.Sprintf("%d students would be present, more than the capacity of %d", r.Present, *a.Capacity))
		return Recording{}, v.Err()
	}
	return r, nil
}
