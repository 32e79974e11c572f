// Package event holds the domain events other parts of the campus react to
// (agents, caches, notifications). A use case records them in the outbox in
// the same transaction as the change they describe, so an event exists if
// and only if its change committed.
package event

import "time"

// Types of the events recorded so far; "<aggregate>.<what happened>".
const (
	AttendanceMarked      = "attendance.marked"
	AttendanceChanged     = "attendance.changed"
	ComplaintFiled        = "complaint.filed"
	ComplaintChanged      = "complaint.changed"
	ScheduleChanged       = "schedule.changed"
	StudentCreated        = "student.created"
	StudentChanged        = "student.changed"
	StudentDeleted        = "student.deleted"
	ClubMembershipChanged = "club.membership_changed"
	ClubChanged           = "club.changed"
	RiskCreated           = "risk.created"
	RiskChanged           = "risk.changed"
	AnomalyRecorded       = "anomaly.recorded"
)

// Types lists every event type, for consumers that must account for all.
func Types() []string {
	return []string{AttendanceMarked, AttendanceChanged, ComplaintFiled, ComplaintChanged, ScheduleChanged,
		StudentCreated, StudentChanged, StudentDeleted, ClubMembershipChanged, ClubChanged, RiskCreated, RiskChanged,
		AnomalyRecorded}
}

// Event is one fact, with a payload complete enough that a consumer can act
// without re-reading a row that may have changed since.
type Event struct {
	ID          string // unique; the relay uses it as the task id
	Type        string
	Aggregate   string // e.g. "attendance"
	AggregateID string
	OccurredAt  time.Time
	Payload     map[string]any
}

// New builds an event; the caller supplies the id and time from its ports.
func New(id, typ, aggregate, aggregateID string, at time.Time, payload map[string]any) Event {
	return Event{ID: id, Type: typ, Aggregate: aggregate, AggregateID: aggregateID, OccurredAt: at, Payload: payload}
}
