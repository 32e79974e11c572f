// Package agent describes the campus's automation agents: what each reacts
// to, and the record of every run (what it did, or why it did nothing).
package agent

import (
	"time"

	"github.com/campus/campus/domain/fault"
)

// Trigger says what starts an agent.
type Trigger string

// Triggers.
const (
	OnEvent    Trigger = "event"
	OnSchedule Trigger = "schedule"
)

// Definition is one agent.
type Definition struct {
	Name        string
	Description string
	Trigger     Trigger
	Events      []string // the event types it reacts to (Trigger event)
	Schedule    string   // its cron spec in UTC (Trigger schedule)
	JobType     string   // the job a run executes as
}

// Outcome is how a run ended.
type Outcome string

// Outcomes. A disabled agent's runs are recorded as skipped.
const (
	Succeeded Outcome = "succeeded"
	Failed    Outcome = "failed"
	Skipped   Outcome = "skipped"
)

// Run is one execution of an agent.
type Run struct {
	ID        int64
	Agent     string
	TaskID    string
	StartedAt time.Time
	EndedAt   time.Time
	Outcome   Outcome
	Counts    map[string]int // what it did, e.g. {"sessions_pruned": 3}
	Error     string
}

// Stats sums an agent's runs.
type Stats struct {
	LastRunAt  *time.Time
	LastStatus Outcome
	Runs       int
	Failures   int
}

// Find returns the definition named name.
func Find(defs []Definition, name string) (Definition, error) {
	for _, d := range defs {
		if d.Name == name {
			return d, nil
		}
	}
	return Definition{}, fault.Newf(fault.NotFound, "No agent named %q", name)
}
