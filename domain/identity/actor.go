package identity

import "github.com/campus/campus/domain/fault"

// Origin describes where a request came from, for the audit trail.
type Origin struct {
	IP        string
	UserAgent string
	RequestID string
}

// Actor is the verified caller of a use case.
type Actor struct {
	UserID    int64
	Username  string
	Role      Role
	StudentID *int64 // the linked student record of a student user
	SessionID string
	Origin    Origin
}

// Anonymous is an unauthenticated caller from origin o.
func Anonymous(o Origin) Actor { return Actor{Role: "", Origin: o} }

// Authenticated reports whether the actor carries a verified identity.
func (a Actor) Authenticated() bool { return a.UserID != 0 }

// ErrDenied is the one forbidden error every policy check returns.
var ErrDenied = fault.New(fault.Forbidden, "Insufficient permissions")

// Can returns the actor's scope for p, or ErrDenied when it has none.
func Can(a Actor, p Permission) (Scope, error) {
	if !a.Authenticated() {
		return None, fault.New(fault.Unauthenticated, "Not authenticated")
	}
	s := ScopeOf(a.Role, p)
	if s == None {
		return None, ErrDenied
	}
	return s, nil
}

// RequireRole admits the actor when its role is min or above.
func RequireRole(a Actor, min Role) error {
	if !a.Authenticated() {
		return fault.New(fault.Unauthenticated, "Not authenticated")
	}
	if !a.Role.AtLeast(min) {
		return ErrDenied
	}
	return nil
}

// OwnsStudent reports whether the actor is the student user linked to id.
func (a Actor) OwnsStudent(id int64) bool {
	return a.StudentID != nil && *a.StudentID == id
}

// CanSeeStudent applies p's scope to one student record. A record outside an
// own scope is reported as not found, so its existence does not leak.
func CanSeeStudent(a Actor, p Permission, studentID int64) error {
	s, err := Can(a, p)
	if err != nil {
		return err
	}
	if s == Own && !a.OwnsStudent(studentID) {
		return fault.New(fault.NotFound, "Student not found")
	}
	return nil
}
