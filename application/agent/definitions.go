package agent

import (
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/domain/agent"
)

// Maintenance is the maintenance agent's name.
const Maintenance = "maintenance"

// Definitions lists the campus's agents; each later agent adds itself.
func Definitions() []agent.Definition {
	return []agent.Definition{
		{Name: Maintenance, Trigger: agent.OnSchedule, Schedule: "0 * * * *", JobType: jobs.Maintenance,
			Description: "Hourly: prunes expired sessions and relayed events older than a week, closes check-in sessions left open past their end."},
	}
}
