package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/wire"
	"github.com/uptrace/bun"

	"github.com/campus/campus/domain/agent"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// agentSet provides the agent store and the task ledger.
var agentSet = wire.NewSet(
	NewAgentStore,
	wire.Bind(new(ports.AgentStore), new(*AgentStore)),
	wire.Bind(new(ports.TaskLedger), new(*AgentStore)),
)

var (
	_ ports.AgentStore = (*AgentStore)(nil)
	_ ports.TaskLedger = (*AgentStore)(nil)
)

const thingTask = "Task"

type agentSettingRow struct {
	bun.BaseModel `bun:"table:agent_settings,alias:ags"`

	Name      string    `bun:"name,pk"`
	Enabled   bool      `bun:"enabled"`
	UpdatedAt time.Time `bun:"updated_at"`
}

type agentRunRow struct {
	bun.BaseModel `bun:"table:agent_runs,alias:agr"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Agent     string    `bun:"agent"`
	TaskID    string    `bun:"task_id"`
	StartedAt time.Time `bun:"started_at"`
	EndedAt   time.Time `bun:"ended_at"`
	Outcome   string    `bun:"outcome"`
	Counts    *string   `bun:"counts"`
	Error     string    `bun:"error"`
}

func (r agentRunRow) domain() agent.Run {
	out := agent.Run{ID: r.ID, Agent: r.Agent, TaskID: r.TaskID, StartedAt: utc(r.StartedAt), EndedAt: utc(r.EndedAt),
		Outcome: agent.Outcome(r.Outcome), Error: r.Error}
	if r.Counts != nil {
		_ = json.Unmarshal([]byte(*r.Counts), &out.Counts) // written by RecordRun: always valid
	}
	return out
}

type taskOwnerRow struct {
	bun.BaseModel `bun:"table:task_owners,alias:tow"`

	TaskID    string    `bun:"task_id,pk"`
	UserID    int64     `bun:"user_id"`
	CreatedAt time.Time `bun:"created_at"`
}

// AgentStore implements ports.AgentStore and ports.TaskLedger.
type AgentStore struct{ db *DB }

// NewAgentStore builds it.
func NewAgentStore(db *DB) *AgentStore { return &AgentStore{db: db} }

// Enabled reports the switch; no row means on.
func (s *AgentStore) Enabled(ctx context.Context, name string) (bool, error) {
	var row agentSettingRow
	err := s.db.conn(ctx).NewSelect().Model(&row).Where("ags.name = ?", name).Limit(1).Scan(ctx)
	if err != nil {
		if isNoRows(err) {
			return true, nil
		}
		return false, fmt.Errorf("agent %s setting: %w", name, translate(err, "Agent"))
	}
	return row.Enabled, nil
}

// SetEnabled sets the switch.
func (s *AgentStore) SetEnabled(ctx context.Context, name string, enabled bool) error {
	row := agentSettingRow{Name: name, Enabled: enabled, UpdatedAt: stamp(time.Now())}
	_, err := s.db.conn(ctx).NewInsert().Model(&row).On("CONFLICT (name) DO UPDATE").
		Set("enabled = EXCLUDED.enabled").Set("updated_at = EXCLUDED.updated_at").Exec(ctx)
	if err != nil {
		return fmt.Errorf("set agent %s: %w", name, translate(err, "Agent"))
	}
	return nil
}

// RecordRun stores r and sets its ID.
func (s *AgentStore) RecordRun(ctx context.Context, r *agent.Run) error {
	row := agentRunRow{Agent: r.Agent, TaskID: r.TaskID, StartedAt: stamp(r.StartedAt), EndedAt: stamp(r.EndedAt),
		Outcome: string(r.Outcome), Error: r.Error}
	if r.Counts != nil {
		b, err := json.Marshal(r.Counts)
		if err != nil {
			return err
		}
		c := string(b)
		row.Counts = &c
	}
	// A second succeeded run of one task (retried after its worker died)
	// inserts nothing and returns no id.
	err := s.db.conn(ctx).NewInsert().Model(&row).On("CONFLICT DO NOTHING").Returning("id").Scan(ctx, &row.ID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("record run of %s: %w", r.Agent, translate(err, "Run"))
	}
	r.ID = row.ID
	return nil
}

// Runs pages through an agent's runs, newest first.
func (s *AgentStore) Runs(ctx context.Context, name string, p page.Request) (page.Result[agent.Run], error) {
	p = normalize(p)
	var rows []agentRunRow
	total, err := s.db.conn(ctx).NewSelect().Model(&rows).Where("agr.agent = ?", name).OrderExpr("agr.id DESC").
		Limit(int64(p.Limit)).Offset(int64(p.Offset)).ScanAndCount(ctx)
	if err != nil {
		return page.Result[agent.Run]{}, fmt.Errorf("runs of %s: %w", name, translate(err, "Run"))
	}
	items := make([]agent.Run, len(rows))
	for i, r := range rows {
		items[i] = r.domain()
	}
	return page.Result[agent.Run]{Items: items, Total: int(total), Request: p}, nil
}

// Stats sums the runs of every agent that ran, in two queries.
func (s *AgentStore) Stats(ctx context.Context) (map[string]agent.Stats, error) {
	var sums []struct {
		Agent    string `bun:"agent"`
		Runs     int    `bun:"runs"`
		Failures int    `bun:"failures"`
		LastID   int64  `bun:"last_id"`
	}
	err := s.db.conn(ctx).NewSelect().Model((*agentRunRow)(nil)).
		ColumnExpr("agr.agent, count(*) AS runs, sum(CASE WHEN agr.outcome = 'failed' THEN 1 ELSE 0 END) AS failures, max(agr.id) AS last_id").
		GroupExpr("agr.agent").Scan(ctx, &sums)
	if err != nil {
		return nil, fmt.Errorf("agent stats: %w", translate(err, "Run"))
	}
	out := make(map[string]agent.Stats, len(sums))
	if len(sums) == 0 {
		return out, nil
	}
	last := make([]int64, len(sums))
	for i, x := range sums {
		last[i] = x.LastID
	}
	var lastRuns []agentRunRow
	if err := s.db.conn(ctx).NewSelect().Model(&lastRuns).Where("agr.id IN (?)", bun.List(last)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("agent last runs: %w", translate(err, "Run"))
	}
	byAgent := map[string]agentRunRow{}
	for _, r := range lastRuns {
		byAgent[r.Agent] = r
	}
	for _, x := range sums {
		st := agent.Stats{Runs: x.Runs, Failures: x.Failures}
		if r, ok := byAgent[x.Agent]; ok {
			at := utc(r.StartedAt)
			st.LastRunAt, st.LastStatus = &at, agent.Outcome(r.Outcome)
		}
		out[x.Agent] = st
	}
	return out, nil
}

// RecordTask remembers who asked for taskID.
func (s *AgentStore) RecordTask(ctx context.Context, taskID string, userID int64) error {
	row := taskOwnerRow{TaskID: taskID, UserID: userID, CreatedAt: stamp(time.Now())}
	if _, err := s.db.conn(ctx).NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("record task %s: %w", taskID, translate(err, thingTask))
	}
	return nil
}

// TaskOwner returns who asked for taskID.
func (s *AgentStore) TaskOwner(ctx context.Context, taskID string) (int64, error) {
	var row taskOwnerRow
	if err := s.db.conn(ctx).NewSelect().Model(&row).Where("tow.task_id = ?", taskID).Scan(ctx); err != nil {
		return 0, fmt.Errorf("task %s: %w", taskID, translate(err, thingTask))
	}
	return row.UserID, nil
}
