package agent

import (
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/agent"
)

// Maintenance is the maintenance agent's name.
const Maintenance = "maintenance"

// Names of the complaint agents.
const (
	ComplaintTriage     = "complaint-triage"
	ComplaintEscalation = "complaint-escalation"
)

// Names of the schedule-conflict-scan and anomaly-detection agents.
const (
	ScheduleConflictScan = "schedule-conflict-scan"
	AnomalyDetection     = "anomaly-detection"
)

// AttendanceRisk is the attendance-risk agent's name.
const AttendanceRisk = "attendance-risk"

// Definitions lists the campus's agents.
func Definitions() []agent.Definition {
	return []agent.Definition{
		{Name: Maintenance, Trigger: agent.OnSchedule, Schedule: "0 * * * *", JobType: jobs.Maintenance,
			Description: "Hourly: prunes expired sessions, relayed events and task history (agent runs, task owners) older than a week, closes check-in sessions left open past their end."},
	}
}
