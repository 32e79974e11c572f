// Package jobs names the background job types and defines their payloads:
// the contract between whoever enqueues a job and the handler that runs it
// (in a worker process or in-process). Payloads are JSON.
package jobs

import (
	"strings"
	"time"

	"github.com/campus/campus/domain/event"
)

// ForEvent is the job type a relayed domain event runs as: the event type
// "<aggregate>.<what happened>" becomes "<aggregate>:<what happened>", the
// "<aggregate>:<verb>" form every job type has (attendance.marked →
// attendance:marked).
func ForEvent(eventType string) string { return strings.Replace(eventType, ".", ":", 1) }

// Event is the payload of a relayed domain event: the event as recorded,
// so a handler acts on the values of the change, not on a re-read row.
type Event struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Aggregate   string         `json:"aggregate"`
	AggregateID string         `json:"aggregate_id"`
	OccurredAt  time.Time      `json:"occurred_at"`
	Data        map[string]any `json:"data"`
}

// FromEvent builds the payload of e.
func FromEvent(e event.Event) Event {
	return Event{ID: e.ID, Type: e.Type, Aggregate: e.Aggregate, AggregateID: e.AggregateID, OccurredAt: e.OccurredAt.UTC(), Data: e.Payload}
}

// Maintenance is the maintenance agent's job type.
const Maintenance = "maintenance:run"

// Job types of the complaint agents (run now, and the escalation's ticks).
const (
	ComplaintTriage   = "complaint:triage"
	ComplaintEscalate = "complaint:escalate"
)

// Job types of the schedule-conflict-scan and anomaly-detection agents
// (their ticks and run now).
const (
	ScheduleScanConflicts = "schedule:scan-conflicts"
	AnalyticsDetect       = "analytics:detect-anomalies"
)

// AttendanceAssessRisk is the attendance-risk agent's nightly pass over
// every student (its ticks and run now).
const AttendanceAssessRisk = "attendance:assess-risk"
