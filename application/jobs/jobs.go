// Package jobs names the background job types and defines their payloads:
// the contract between whoever enqueues a job and the handler that runs it
// (in a worker process or in-process). Payloads are JSON.
package jobs

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
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

// EncodeEvents is the payload of a relay batch's job: its events of one
// type, oldest first, as a JSON array.
func EncodeEvents(events []Event) ([]byte, error) { return json.Marshal(events) }

// DecodeEvents reads a relayed job's payload: a batch (an array) or, as
// relays before batches wrote, one event (an object). Every event must
// have an id and a type.
func DecodeEvents(payload []byte) ([]Event, error) {
	var events []Event
	trimmed := bytes.TrimLeft(payload, " \t\r\n")
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		events = make([]Event, 1)
		err = json.Unmarshal(trimmed, &events[0])
	} else {
		err = json.Unmarshal(trimmed, &events)
	}
	if err != nil || len(events) == 0 {
		return nil, errMalformedEvents
	}
	for _, e := range events {
		if e.ID == "" || e.Type == "" {
			return nil, errMalformedEvents
		}
	}
	return events, nil
}

var errMalformedEvents = fault.New(fault.Invalid, "malformed event payload")

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
