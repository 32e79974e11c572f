package bootstrap

import (
	"context"
	"fmt"

	"github.com/campus/campus/adapters/worker"
	appagent "github.com/campus/campus/application/agent"
	appanomaly "github.com/campus/campus/application/anomaly"
	"github.com/campus/campus/application/attendancerisk"
	appcomplaint "github.com/campus/campus/application/complaint"
	"github.com/campus/campus/application/conflictscan"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/maintenance"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/risk"
)

// Agents are the use cases the agents run; each agent adds its service
// here and its handlers in agentHandlers.
type Agents struct {
	Runs        *appagent.Service
	Maintenance *maintenance.Service
	// ComplaintTriage and ComplaintEscalation are the complaint agents.
	ComplaintTriage     *appcomplaint.Triage
	ComplaintEscalation *appcomplaint.Escalation
	// AttendanceRisk is the attendance-risk agent.
	AttendanceRisk *attendancerisk.Service
	// ConflictScan and Anomalies are the schedule-conflict-scan and
	// anomaly-detection agents.
	ConflictScan *conflictscan.Service
	Anomalies    *appanomaly.Service
}

// agentDefinitions are the agents as this deployment runs them: with the
// schedules AGENT_SCHEDULES overrides, so GET /agents shows what ticks.
func agentDefinitions(c config.Config) []agent.Definition { return withSchedules(c.Tasks.Schedules) }

// withSchedules is the agents' definitions with AGENT_SCHEDULES applied:
// an override replaces the schedule of an agent that has one (the
// schedulers' entries and the agents API both read it from here).
func withSchedules(overrides config.AgentSchedules) []agent.Definition {
	defs := appagent.Definitions()
	for i, d := range defs {
		if o, ok := overrides[d.Name]; ok && d.Schedule != "" {
			defs[i].Schedule = o
		}
	}
	return defs
}

func maintenanceConfig() maintenance.Config { return maintenance.Config{} }

// attendanceRiskConfig is the attendance-risk rule's settings: the
// campus calendar and RISK_ATTENDANCE_WARN/HIGH.
func attendanceRiskConfig(c config.Config) attendancerisk.Config {
	return attendancerisk.Config{Location: c.Location(),
		Thresholds: risk.AttendanceThresholds{Warn: c.Risk.AttendanceWarn, High: c.Risk.AttendanceHigh}}
}

// conflictScanConfig: the hourly pass looks from 24 h ago onward (the
// agent's default).
func conflictScanConfig() conflictscan.Config { return conflictscan.Config{} }

// anomalyConfig maps the campus calendar's zone (TIMEZONE), which decides
// what "the previous day" is; the thresholds are the defaults of
// domain/anomaly (issue 4's figures).
func anomalyConfig(c config.Config) appanomaly.Config {
	return appanomaly.Config{Location: c.Location()}
}

// eachEvent handles a job's events one at a time (for agents whose work
// is per event anyway), summing their counts; the first failure stops it
// and fails the job, which the queue retries.
func eachEvent(on func(ctx context.Context, e jobs.Event) (map[string]int, error)) func(ctx context.Context, es []jobs.Event) (map[string]int, error) {
	return func(ctx context.Context, es []jobs.Event) (map[string]int, error) {
		total := map[string]int{}
		for _, e := range es {
			counts, err := on(ctx, e)
			for k, n := range counts {
				total[k] += n
			}
			if err != nil {
				return total, fmt.Errorf("event %s: %w", e.ID, err)
			}
		}
		return total, nil
	}
}

// agentHandlers maps each agent's name to what it does.
func agentHandlers(a Agents) map[string]worker.AgentHandlers {
	return map[string]worker.AgentHandlers{
		appagent.AttendanceRisk: {
			OnEvents: func(ctx context.Context, es []jobs.Event) (map[string]int, error) {
				r, err := a.AttendanceRisk.OnEvents(ctx, es)
				return r.Counts(), err
			},
			Run: func(ctx context.Context) (map[string]int, error) {
				r, err := a.AttendanceRisk.RunNightly(ctx)
				return r.Counts(), err
			},
		},
		appagent.Maintenance: {Run: func(ctx context.Context) (map[string]int, error) {
			r, err := a.Maintenance.Run(ctx)
			return r.Counts(), err
		}},
		appagent.ComplaintTriage: {
			OnEvents: eachEvent(func(ctx context.Context, e jobs.Event) (map[string]int, error) {
				r, err := a.ComplaintTriage.OnEvent(ctx, e)
				return r.Counts(), err
			}),
			Run: func(ctx context.Context) (map[string]int, error) {
				r, err := a.ComplaintTriage.Run(ctx)
				return r.Counts(), err
			},
		},
		appagent.ComplaintEscalation: {Run: func(ctx context.Context) (map[string]int, error) {
			r, err := a.ComplaintEscalation.Run(ctx)
			return r.Counts(), err
		}},
		appagent.ScheduleConflictScan: {
			OnEvents: eachEvent(func(ctx context.Context, e jobs.Event) (map[string]int, error) {
				r, err := a.ConflictScan.OnEvent(ctx, e)
				return r.Counts(), err
			}),
			Run: func(ctx context.Context) (map[string]int, error) {
				r, err := a.ConflictScan.Run(ctx)
				return r.Counts(), err
			},
		},
		appagent.AnomalyDetection: {Run: func(ctx context.Context) (map[string]int, error) {
			r, err := a.Anomalies.Run(ctx)
			return r.Counts(), err
		}},
	}
}

// registerAgents gives the worker every defined agent; an agent defined
// without handlers (or handlers without a definition) is a wiring error.
func registerAgents(w *worker.Worker, a Agents) error {
	hs := agentHandlers(a)
	for _, def := range appagent.Definitions() {
		h, ok := hs[def.Name]
		if !ok {
			return fmt.Errorf("agent %q has no handlers", def.Name)
		}
		delete(hs, def.Name)
		w.Agent(a.Runs, def, h)
	}
	for name := range hs {
		return fmt.Errorf("agent %q has handlers but no definition", name)
	}
	return nil
}
