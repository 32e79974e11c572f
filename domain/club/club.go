// Package club holds student clubs, their memberships and activities, and
// the rules that keep a club's member_count equal to its active members.
//
// The club is the aggregate root: every membership change and every
// attendance recording is decided by a method of Club while the caller holds
// the club row locked, so the count kept on the club is exact under
// concurrency without recounting.
package club

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// Field limits.
const (
	maxName        = 100
	maxDescription = 2000
	maxCategory    = 50
	maxAdvisor     = 200
)

// Club is one student club.
type Club struct {
	ID               int64
	Name             string
	Description      string
	Category         string
	Advisor          string
	IsActive         bool
	AcceptingMembers bool
	// MemberCount is the number of active members; only the membership
	// methods below change it.
	MemberCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NameKey is the case-insensitive form of a club name under which names
// are unique ("Chess" and "CHESS" are the same club).
func NameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// Fields are the writable fields of a club, as given by a caller. Nil
// booleans mean true: a new club is active and open to members.
type Fields struct {
	Name             string
	Description      string
	Category         string
	Advisor          string
	IsActive         *bool
	AcceptingMembers *bool
}

// New validates f into a new club with no members.
func New(f Fields) (Club, error) {
	var c Club
	return c, c.Replace(f)
}

// Replace validates f and overwrites every writable field; the member
// count is not a writable field.
func (c *Club) Replace(f Fields) error {
	var v fault.Validation
	name := strings.TrimSpace(f.Name)
	desc := strings.TrimSpace(f.Description)
	cat := strings.TrimSpace(f.Category)
	adv := strings.TrimSpace(f.Advisor)
	v.Check(name != "" && utf8.RuneCountInString(name) <= maxName, "name", "must be 1 to 100 characters")
	v.Check(utf8.RuneCountInString(desc) <= maxDescription, "description", "must be at most 2000 characters")
	v.Check(utf8.RuneCountInString(cat) <= maxCategory, "category", "must be at most 50 characters")
	v.Check(utf8.RuneCountInString(adv) <= maxAdvisor, "advisor", "must be at most 200 characters")
	checkText(&v, map[string]string{"name": name, "description": desc, "category": cat, "advisor": adv})
	if err := v.Err(); err != nil {
		return err
	}
	c.Name, c.Description, c.Category, c.Advisor = name, desc, cat, adv
	c.IsActive, c.AcceptingMembers = orTrue(f.IsActive), orTrue(f.AcceptingMembers)
	return nil
}

// checkText refuses NUL characters, which PostgreSQL cannot store in text
// (the request would otherwise fail in the database instead of here).
func checkText(v *fault.Validation, fields map[string]string) {
	for _, name := range []string{"name", "description", "category", "advisor", "title", "activity_type", "location"} {
		if s, ok := fields[name]; ok && strings.ContainsRune(s, 0) {
			v.Add(name, "must not contain NUL characters")
		}
	}
}

func orTrue(b *bool) bool { return b == nil || *b }

// Fields returns the writable fields of c, for partial updates.
func (c Club) Fields() Fields {
	active, accepting := c.IsActive, c.AcceptingMembers
	return Fields{Name: c.Name, Description: c.Description, Category: c.Category, Advisor: c.Advisor,
		IsActive: &active, AcceptingMembers: &accepting}
}

// Patch is a partial update: nil fields are left as they are.
type Patch struct {
	Name             *string
	Description      *string
	Category         *string
	Advisor          *string
	IsActive         *bool
	AcceptingMembers *bool
}

// Apply validates and applies p.
func (c *Club) Apply(p Patch) error {
	f := c.Fields()
	if p.Name != nil {
		f.Name = *p.Name
	}
	if p.Description != nil {
		f.Description = *p.Description
	}
	if p.Category != nil {
		f.Category = *p.Category
	}
	if p.Advisor != nil {
		f.Advisor = *p.Advisor
	}
	if p.IsActive != nil {
		f.IsActive = p.IsActive
	}
	if p.AcceptingMembers != nil {
		f.AcceptingMembers = p.AcceptingMembers
	}
	return c.Replace(f)
}

// Archive retires a club that has history (members or activities) instead
// of deleting it: it stays readable, with its members and count, but takes
// no new members.
func (c *Club) Archive() {
	c.IsActive, c.AcceptingMembers = false, false
}

// Filter narrows a club listing; zero values do not filter.
type Filter struct {
	Category         string // exact, ignoring case
	IsActive         *bool
	AcceptingMembers *bool
	Query            string // over name and description
}
