package club

import (
	"strings"
	"time"

	"github.com/campus/campus/domain/fault"
)

// Role is a member's role in a club.
type Role string

// Roles. Every role but Member is an office that at most one active member
// of a club holds at a time.
const (
	RoleMember        Role = "member"
	RolePresident     Role = "president"
	RoleVicePresident Role = "vice_president"
	RoleSecretary     Role = "secretary"
	RoleTreasurer     Role = "treasurer"
)

// Roles lists every role, the plain one first.
var Roles = []Role{RoleMember, RolePresident, RoleVicePresident, RoleSecretary, RoleTreasurer}

const roleChoices = "must be one of member, president, vice_president, secretary, treasurer"

// ParseRole accepts any case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range Roles {
		if r == x {
			return r, nil
		}
	}
	return "", fault.New(fault.Invalid, "role: "+roleChoices)
}

// Office reports whether r is held by one member at a time.
func (r Role) Office() bool { return r != RoleMember }

// Member is one student's membership of one club. There is one row per
// (club, student): leaving deactivates it and joining again reactivates it.
type Member struct {
	ID        int64
	ClubID    int64
	StudentID int64
	Role      Role
	IsActive  bool
	JoinedAt  time.Time // the latest (re)joining
	UpdatedAt time.Time
}

// Action names what a membership change did; it is the event's "action".
type Action string

// Actions.
const (
	Joined      Action = "joined"       // a student joined by themself
	Left        Action = "left"         // a student left by themself
	Added       Action = "added"        // a manager added a student
	Removed     Action = "removed"      // a manager deleted the membership
	RoleChanged Action = "role_changed" // a manager changed the role
	Activated   Action = "activated"    // a manager reactivated the membership
	Deactivated Action = "deactivated"  // a manager deactivated the membership
)

// Change is one membership change with the values before it and the
// club's member count after it.
type Change struct {
	Action         Action
	Member         Member // after the change (for Removed: as it was)
	PreviousRole   Role   // "" for a new membership
	PreviousActive bool
	MemberCount    int
}

// Errors of the membership rules.
var (
	ErrNotAccepting  = fault.New(fault.BadRequest, "The club is not accepting members")
	ErrArchived      = fault.New(fault.BadRequest, "The club is archived")
	ErrAlreadyMember = fault.New(fault.Conflict, "The student is already a member of this club")
	ErrNotMember     = fault.New(fault.NotFound, "You are not a member of this club")
)

func (c *Club) change(a Action, before *Member, after Member) Change {
	ch := Change{Action: a, Member: after, MemberCount: c.MemberCount}
	if before != nil {
		ch.PreviousRole, ch.PreviousActive = before.Role, before.IsActive
	}
	return ch
}

// enter makes studentID an active member with role: it reactivates the
// existing row when there is one (a former member), else starts a new one.
// An active member is a conflict.
func (c *Club) enter(existing *Member, studentID int64, role Role, at time.Time) (Member, error) {
	if existing != nil && existing.IsActive {
		return Member{}, ErrAlreadyMember
	}
	m := Member{ClubID: c.ID, StudentID: studentID}
	if existing != nil {
		m = *existing
	}
	m.Role, m.IsActive, m.JoinedAt, m.UpdatedAt = role, true, at, at
	c.MemberCount++
	return m, nil
}

// Join lets a student join by themself, as a plain member. It needs an
// active club that accepts members; existing is the student's current row,
// nil when they never were a member.
func (c *Club) Join(existing *Member, studentID int64, at time.Time) (Member, Change, error) {
	if !c.IsActive || !c.AcceptingMembers {
		return Member{}, Change{}, ErrNotAccepting
	}
	m, err := c.enter(existing, studentID, RoleMember, at)
	if err != nil {
		return Member{}, Change{}, err
	}
	return m, c.change(Joined, existing, m), nil
}

// Leave ends a student's own active membership. Leaving is always allowed,
// also from a club that no longer accepts members.
func (c *Club) Leave(existing *Member, at time.Time) (Member, Change, error) {
	if existing == nil || !existing.IsActive {
		return Member{}, Change{}, ErrNotMember
	}
	m := *existing
	m.IsActive, m.UpdatedAt = false, at
	c.MemberCount--
	return m, c.change(Left, existing, m), nil
}

// Add lets a manager enrol a student with a role, whether or not the club
// accepts self-service joins; an archived club takes no one. holder is the
// active member already holding role, if role is an office.
func (c *Club) Add(existing *Member, studentID int64, role Role, holder *Member, at time.Time) (Member, Change, error) {
	if !c.IsActive {
		return Member{}, Change{}, ErrArchived
	}
	if existing != nil && existing.IsActive {
		return Member{}, Change{}, ErrAlreadyMember
	}
	if err := checkOffice(role, holder, existing); err != nil {
		return Member{}, Change{}, err
	}
	m, err := c.enter(existing, studentID, role, at)
	if err != nil {
		return Member{}, Change{}, err
	}
	return m, c.change(Added, existing, m), nil
}

// MemberPatch is a manager's change of a membership; nil fields stay.
type MemberPatch struct {
	Role     *Role
	IsActive *bool
}

// Modify applies a manager's patch to m and returns one change per thing
// that changed (none when the patch changes nothing). Reactivating needs an
// active club. holder is the active member holding the resulting role, if
// it is an office.
func (c *Club) Modify(m Member, p MemberPatch, holder *Member, at time.Time) (Member, []Change, error) {
	before := m
	role, active := m.Role, m.IsActive
	if p.Role != nil {
		role = *p.Role
	}
	if p.IsActive != nil {
		active = *p.IsActive
	}
	if active && !m.IsActive && !c.IsActive {
		return Member{}, nil, ErrArchived
	}
	if active {
		if err := checkOffice(role, holder, &m); err != nil {
			return Member{}, nil, err
		}
	}
	var changes []Change
	if role != m.Role {
		m.Role, m.UpdatedAt = role, at
		changes = append(changes, c.change(RoleChanged, &before, m))
	}
	if active != before.IsActive {
		prev := m
		m.IsActive, m.UpdatedAt = active, at
		a := Deactivated
		if active {
			a = Activated
			c.MemberCount++
			m.JoinedAt = at
		} else {
			c.MemberCount--
		}
		ch := c.change(a, &prev, m)
		ch.PreviousRole = before.Role
		changes = append(changes, ch)
	}
	// Every change reports the count after the whole patch.
	for i := range changes {
		changes[i].MemberCount = c.MemberCount
	}
	return m, changes, nil
}

// Remove deletes a membership (a manager's act); an active member no
// longer counts.
func (c *Club) Remove(m Member) Change {
	if m.IsActive {
		c.MemberCount--
	}
	ch := c.change(Removed, &m, m)
	ch.Member.IsActive = false
	return ch
}

// checkOffice refuses an office that another active member holds.
func checkOffice(role Role, holder, self *Member) error {
	if !role.Office() || holder == nil || !holder.IsActive {
		return nil
	}
	if self != nil && holder.ID == self.ID && self.ID != 0 {
		return nil
	}
	return fault.Newf(fault.Conflict, "The club already has a %s (member %d)", strings.ReplaceAll(string(role), "_", " "), holder.ID)
}

// MemberFilter narrows a listing of one club's members.
type MemberFilter struct {
	ClubID    int64
	Role      Role
	IsActive  *bool
	StudentID *int64
}
