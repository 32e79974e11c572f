package agent

import (
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/event"
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
			Description: "Hourly: prunes expired sessions, relayed events and task history (agent runs, task owners) older than a week, deletes export files and records 24 h after their completion, closes check-in sessions left open past their end."},
		{Name: ComplaintTriage, Trigger: agent.OnEvent, Events: []string{event.ComplaintFiled}, JobType: jobs.ComplaintTriage,
			Description: "On every filed complaint: suggests category and priority from keyword rules where the filer left the default, assigns the active staff member with the fewest open complaints, and writes the reasons in the history. Run now triages every pending complaint not yet triaged."},
		{Name: ComplaintEscalation, Trigger: agent.OnSchedule, Schedule: "*/15 * * * *", JobType: jobs.ComplaintEscalate,
			Description: "Every 15 minutes: an overdue open complaint goes up one priority level once per breach (due_at counted again from now), and its assignee and the admins are notified."},
		{Name: ScheduleConflictScan, Trigger: agent.OnSchedule, Schedule: "0 * * * *", Events: []string{event.ScheduleChanged},
			JobType:     jobs.ScheduleScanConflicts,
			Description: "Hourly (entries ending from 24 h ago onward) and on every timetable change (around the changed entry): each clash between active entries — same location, instructor or class at once — becomes a schedule risk (high when an exam is involved, else medium), once per pair; the admins are notified."},
		{Name: AnomalyDetection, Trigger: agent.OnSchedule, Schedule: "30 1 * * *", JobType: jobs.AnalyticsDetect,
			Description: "Daily: analyses the previous day (campus time zone) and records, once per subject and day, a department's attendance at least 20% below its trailing 7-day mean, a student's sudden drop (last 7 days at least 30 points below the 23 before), and complaint spikes (at least 3 and twice the day before); the admins are notified."},
		{Name: AttendanceRisk, Trigger: agent.OnEvent, Events: []string{event.AttendanceMarked, event.AttendanceChanged},
			Schedule: "0 2 * * *", JobType: jobs.AttendanceAssessRisk,
			Description: "On every attendance mark or change (for that student) and nightly for everyone: over the last 30 days, a rate of (present + late) / (present + late + absent) below RISK_ATTENDANCE_WARN opens one attendance risk per student (medium; high below RISK_ATTENDANCE_HIGH; critical below 50% or after 5 consecutive absences), updated in place and resolved once the rate is above warn + 0.05; fewer than 5 counted records decide nothing; after a person resolves one, another is raised within 30 days only at a higher severity. The student and their department's staff (else the admins) are notified once per risk, and again on its first rise to critical."},
	}
}
