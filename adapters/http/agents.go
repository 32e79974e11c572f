package httpapi

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// AgentDTO is an automation agent with its live figures.
type AgentDTO struct {
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Trigger     string     `json:"trigger"`
	Events      []string   `json:"events,omitempty"`
	Schedule    *string    `json:"schedule"`
	Enabled     bool       `json:"enabled"`
	LastRunAt   *time.Time `json:"last_run_at"`
	LastStatus  *string    `json:"last_status"`
	Runs        int        `json:"runs"`
	Failures    int        `json:"failures"`
}

func agentDTO(s appagent.Status) AgentDTO {
	d := AgentDTO{Name: s.Name, Description: s.Description, Trigger: string(s.Trigger), Events: s.Events, Enabled: s.Enabled,
		LastRunAt: utcp(s.LastRunAt), Runs: s.Runs, Failures: s.Failures}
	if s.Schedule != "" {
		d.Schedule = &s.Schedule
	}
	if s.LastStatus != "" {
		st := string(s.LastStatus)
		d.LastStatus = &st
	}
	return d
}

// AgentRunDTO is one run of an agent.
type AgentRunDTO struct {
	ID        int64          `json:"id"`
	TaskID    string         `json:"task_id"`
	StartedAt time.Time      `json:"started_at"`
	EndedAt   time.Time      `json:"ended_at"`
	Outcome   string         `json:"outcome"`
	Counts    map[string]int `json:"counts"`
	Error     string         `json:"error,omitempty"`
}

func agentRunDTO(r agent.Run) AgentRunDTO {
	return AgentRunDTO{ID: r.ID, TaskID: r.TaskID, StartedAt: r.StartedAt.UTC(), EndedAt: r.EndedAt.UTC(),
		Outcome: string(r.Outcome), Counts: r.Counts, Error: r.Error}
}

// AgentPatchRequest is PATCH /agents/{name}.
type AgentPatchRequest struct {
	Enabled *bool `json:"enabled" validate:"required"`
}

// TaskAcceptedDTO answers a request that started background work.
type TaskAcceptedDTO struct {
	TaskID string `json:"task_id"`
}

// TaskDTO is GET /tasks/{id}.
type TaskDTO struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Queue       string          `json:"queue"`
	Status      string          `json:"status"`
	Attempts    int             `json:"attempts"`
	CreatedAt   time.Time       `json:"created_at"`
	StartedAt   *time.Time      `json:"started_at"`
	CompletedAt *time.Time      `json:"completed_at"`
	Error       *string         `json:"error"`
	Result      json.RawMessage `json:"result"`
}

func taskDTO(j ports.JobInfo) TaskDTO {
	d := TaskDTO{ID: j.ID, Type: j.Type, Queue: j.Queue, Status: string(j.State), Attempts: j.Attempts,
		CreatedAt: j.CreatedAt.UTC(), CompletedAt: utcp(j.CompletedAt), Result: json.RawMessage("null")}
	if j.LastError != "" {
		d.Error = &j.LastError
	}
	if len(j.Result) > 0 && json.Valid(j.Result) {
		d.Result = j.Result
	}
	return d
}

func (s *Server) agentRoutes() []Route {
	view, manage := RequirePermission(identity.ViewAgents), RequirePermission(identity.ManageAgents)
	return []Route{
		{Method: "GET", Path: v1 + "/agents", Tag: "agents", Summary: "Every automation agent with its switch and live figures",
			Guard: view, Response: []AgentDTO{}, handler: s.listAgents},
		{Method: "GET", Path: v1 + "/agents/:name", Tag: "agents", Summary: "One agent", Guard: view, Response: AgentDTO{}, handler: s.getAgent},
		{Method: "GET", Path: v1 + "/agents/:name/runs", Tag: "agents", Summary: "An agent's runs, newest first",
			Guard: view, Response: ListDTO[AgentRunDTO]{}, Query: pageParams, handler: s.agentRuns},
		{Method: "PATCH", Path: v1 + "/agents/:name", Tag: "agents", Summary: "Switch an agent on or off (a disabled agent's runs complete as skipped)",
			Guard: manage, Request: AgentPatchRequest{}, Response: AgentDTO{}, handler: s.patchAgent},
		{Method: "POST", Path: v1 + "/agents/:name/run", Tag: "agents", Summary: "Run an agent now", Guard: manage,
			Response: TaskAcceptedDTO{}, Status: fiber.StatusAccepted, handler: s.runAgent},
		{Method: "GET", Path: v1 + "/tasks/:id", Tag: "agents", Summary: "A background task: the caller's own, or any for admins",
			Guard: Authenticated(), Response: TaskDTO{}, handler: s.getTask},
	}
}

func (s *Server) listAgents(c *fiber.Ctx) error {
	list, err := s.d.Agents.List(c.UserContext(), caller(c))
	if err != nil {
		return err
	}
	out := make([]AgentDTO, len(list))
	for i, a := range list {
		out[i] = agentDTO(a)
	}
	return c.JSON(out)
}

func (s *Server) getAgent(c *fiber.Ctx) error {
	a, err := s.d.Agents.Get(c.UserContext(), caller(c), c.Params("name"))
	if err != nil {
		return err
	}
	return c.JSON(agentDTO(a))
}

func (s *Server) agentRuns(c *fiber.Ctx) error {
	q := newQuery(c)
	p := q.page()
	if err := q.err(); err != nil {
		return err
	}
	r, err := s.d.Agents.Runs(c.UserContext(), caller(c), c.Params("name"), p)
	if err != nil {
		return err
	}
	return list(c, r, agentRunDTO)
}

func (s *Server) patchAgent(c *fiber.Ctx) error {
	var req AgentPatchRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	a, err := s.d.Agents.SetEnabled(c.UserContext(), caller(c), c.Params("name"), *req.Enabled)
	if err != nil {
		return err
	}
	return c.JSON(agentDTO(a))
}

func (s *Server) runAgent(c *fiber.Ctx) error {
	id, err := s.d.Agents.RunNow(c.UserContext(), caller(c), c.Params("name"))
	if err != nil {
		return err
	}
	c.Location(v1 + "/tasks/" + id)
	return c.Status(fiber.StatusAccepted).JSON(TaskAcceptedDTO{TaskID: id})
}

func (s *Server) getTask(c *fiber.Ctx) error {
	j, err := s.d.Agents.Task(c.UserContext(), caller(c), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(taskDTO(j))
}
