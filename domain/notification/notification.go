// Package notification holds what the campus tells a user: a kind, a
// title and body, and the resource it is about.
package notification

import "time"

// Notification is one message to one user.
type Notification struct {
	ID         int64
	UserID     int64
	Kind       string // e.g. "risk.opened", "complaint.escalated"
	Title      string
	Body       string
	Resource   string
	ResourceID string
	CreatedAt  time.Time
	ReadAt     *time.Time
}

// Filter narrows a user's notifications.
type Filter struct {
	UnreadOnly bool
}
