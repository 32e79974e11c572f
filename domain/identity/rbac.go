// Package identity holds users, sessions, the four roles, the permission
// matrix and the policy checks every use case and guard is built from.
package identity

import (
	"sort"
	"strings"

	"github.com/campus/campus/domain/fault"
)

// Role is a user's role; roles are ordered by Level.
type Role string

// The four roles, lowest first.
const (
	RoleGuest   Role = "guest"
	RoleStudent Role = "student"
	RoleStaff   Role = "staff"
	RoleAdmin   Role = "admin"
)

// Roles lists every role, lowest level first.
var Roles = []Role{RoleGuest, RoleStudent, RoleStaff, RoleAdmin}

// Level orders roles: guest 0 < student 1 < staff 2 < admin 3; unknown is -1.
func (r Role) Level() int {
	switch r {
	case RoleGuest:
		return 0
	case RoleStudent:
		return 1
	case RoleStaff:
		return 2
	case RoleAdmin:
		return 3
	}
	return -1
}

// AtLeast reports whether r is min or above.
func (r Role) AtLeast(min Role) bool { return r.Level() >= 0 && r.Level() >= min.Level() }

// Valid reports whether r is one of the four roles.
func (r Role) Valid() bool { return r.Level() >= 0 }

// ParseRole accepts any case.
func ParseRole(s string) (Role, error) {
	r := Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fault.Newf(fault.Invalid, "unknown role %q", s)
	}
	return r, nil
}

// SelfService reports whether anyone may register with this role.
func (r Role) SelfService() bool { return r == RoleStudent || r == RoleGuest }

// Permission names one capability; names are upper snake case on the wire.
type Permission string

// The 19 permissions of the contract.
const (
	ViewStudent        Permission = "VIEW_STUDENT"
	CreateStudent      Permission = "CREATE_STUDENT"
	UpdateStudent      Permission = "UPDATE_STUDENT"
	DeleteStudent      Permission = "DELETE_STUDENT"
	MarkAttendance     Permission = "MARK_ATTENDANCE"
	ViewAttendance     Permission = "VIEW_ATTENDANCE"
	EditAttendance     Permission = "EDIT_ATTENDANCE"
	FileComplaint      Permission = "FILE_COMPLAINT"
	ViewComplaint      Permission = "VIEW_COMPLAINT"
	ResolveComplaint   Permission = "RESOLVE_COMPLAINT"
	ScheduleManagement Permission = "SCHEDULE_MANAGEMENT"
	RiskAssessment     Permission = "RISK_ASSESSMENT"
	ViewAnalytics      Permission = "VIEW_ANALYTICS"
	ExportAnalytics    Permission = "EXPORT_ANALYTICS"
	ManageAgents       Permission = "MANAGE_AGENTS"
	ViewAgents         Permission = "VIEW_AGENTS"
	CreateClub         Permission = "CREATE_CLUB"
	ManageClubs        Permission = "MANAGE_CLUBS"
	ViewReports        Permission = "VIEW_REPORTS"
)

// Scope says how much of a resource a grant covers.
type Scope int

// Scopes: None denies, Own limits a student user to their own record, All
// covers every record.
const (
	None Scope = iota
	Own
	All
)

func (s Scope) String() string {
	switch s {
	case Own:
		return "own"
	case All:
		return "all"
	}
	return "none"
}

// matrix is the one table of who may do what. A role absent from a row is denied.
var matrix = map[Permission]map[Role]Scope{
	ViewStudent:        {RoleAdmin: All, RoleStaff: All, RoleStudent: Own},
	CreateStudent:      {RoleAdmin: All, RoleStaff: All},
	UpdateStudent:      {RoleAdmin: All, RoleStaff: All},
	DeleteStudent:      {RoleAdmin: All},
	MarkAttendance:     {RoleAdmin: All, RoleStaff: All},
	ViewAttendance:     {RoleAdmin: All, RoleStaff: All, RoleStudent: Own},
	EditAttendance:     {RoleAdmin: All, RoleStaff: All},
	FileComplaint:      {RoleAdmin: All, RoleStaff: All, RoleStudent: Own},
	ViewComplaint:      {RoleAdmin: All, RoleStaff: All, RoleStudent: Own},
	ResolveComplaint:   {RoleAdmin: All, RoleStaff: All},
	ScheduleManagement: {RoleAdmin: All, RoleStaff: All},
	RiskAssessment:     {RoleAdmin: All, RoleStaff: All},
	ViewAnalytics:      {RoleAdmin: All, RoleStaff: All},
	ExportAnalytics:    {RoleAdmin: All, RoleStaff: All},
	ManageAgents:       {RoleAdmin: All},
	ViewAgents:         {RoleAdmin: All, RoleStaff: All},
	CreateClub:         {RoleAdmin: All, RoleStaff: All},
	ManageClubs:        {RoleAdmin: All, RoleStaff: All},
	ViewReports:        {RoleAdmin: All, RoleStaff: All, RoleStudent: All, RoleGuest: All},
}

// Permissions lists every permission in a stable (alphabetical) order.
func Permissions() []Permission {
	out := make([]Permission, 0, len(matrix))
	for p := range matrix {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// ScopeOf returns the reach of role r for permission p.
func ScopeOf(r Role, p Permission) Scope { return matrix[p][r] }

// Granted lists the permissions role r holds (at any scope), sorted.
func Granted(r Role) []Permission {
	var out []Permission
	for _, p := range Permissions() {
		if ScopeOf(r, p) != None {
			out = append(out, p)
		}
	}
	return out
}

// Grant is one cell of the matrix, for publishing it.
type Grant struct {
	Permission Permission
	Scope      Scope
}

// Matrix returns, per role, the grants it holds.
func Matrix() map[Role][]Grant {
	out := make(map[Role][]Grant, len(Roles))
	for _, r := range Roles {
		for _, p := range Permissions() {
			if s := ScopeOf(r, p); s != None {
				out[r] = append(out[r], Grant{Permission: p, Scope: s})
			}
		}
	}
	return out
}
