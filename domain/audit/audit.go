// Package audit holds the audit trail entry: who did what to which
// resource, when, from where, and the values before and after.
package audit

import (
	"time"

	"github.com/campus/campus/domain/identity"
)

// Actions recorded in the trail.
const (
	ActionLogin            = "auth.login"
	ActionLoginFailed      = "auth.login_failed"
	ActionLockout          = "auth.lockout"
	ActionRefreshReuse     = "auth.refresh_reuse"
	ActionLogout           = "auth.logout"
	ActionPasswordChanged  = "auth.password_changed"
	ActionSessionRevoked   = "auth.session_revoked"
	ActionRegister         = "auth.register"
	ActionPermissionDenied = "auth.permission_denied"
	ActionCreate           = "create"
	ActionUpdate           = "update"
	ActionDelete           = "delete"
	ActionArchive          = "archive"
)

// Entry is one line of the audit trail. Before and After are plain maps of
// the resource's public fields; they never hold a password or a token.
type Entry struct {
	ID         int64
	At         time.Time
	ActorID    *int64
	ActorRole  string
	Action     string
	Resource   string
	ResourceID string
	IP         string
	RequestID  string
	Before     map[string]any
	After      map[string]any
}

// Filter narrows a listing of the trail.
type Filter struct {
	ActorID  *int64
	Action   string
	Resource string
	From     *time.Time
	To       *time.Time
}

// By starts an entry for an action taken by actor.
func By(a identity.Actor, at time.Time, action, resource, resourceID string) Entry {
	e := Entry{At: at, Action: action, Resource: resource, ResourceID: resourceID,
		ActorRole: string(a.Role), IP: a.Origin.IP, RequestID: a.Origin.RequestID}
	if a.UserID != 0 {
		id := a.UserID
		e.ActorID = &id
	}
	return e
}

// Change records the values before and after a write.
func (e Entry) Change(before, after map[string]any) Entry {
	e.Before, e.After = before, after
	return e
}
