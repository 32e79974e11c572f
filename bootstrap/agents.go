package bootstrap

import (
	"context"
	"fmt"

	"github.com/google/wire"

	"github.com/campus/campus/adapters/worker"
	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/maintenance"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/domain/agent"
)

// Agents are the use cases the agents run; each agent adds its service
// here and its handlers in agentHandlers.
type Agents struct {
	Runs        *appagent.Service
	Maintenance *maintenance.Service
}

// agentSet assembles the agents (for the API process's embedded worker and
// for `campus worker`).
var agentSet = wire.NewSet(wire.Struct(new(Agents), "*"),
	agentDefinitions, appagent.NewService, wire.Struct(new(appagent.Deps), "*"), appnotification.NewService,
	maintenanceConfig, maintenance.NewService,
)

func agentDefinitions() []agent.Definition { return appagent.Definitions() }

func maintenanceConfig() maintenance.Config { return maintenance.Config{} }

// agentHandlers maps each agent's name to what it does.
func agentHandlers(a Agents) map[string]worker.AgentHandlers {
	return map[string]worker.AgentHandlers{
		appagent.Maintenance: {Run: func(ctx context.Context) (map[string]int, error) {
			r, err := a.Maintenance.Run(ctx)
			return map[string]int{"sessions_pruned": r.SessionsPruned, "events_pruned": r.EventsPruned,
				"checkin_sessions_closed": r.CheckInSessionsClosed}, err
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
