-- Agent switches (absent means enabled), the record of every run, and who
-- asked for which background task.
CREATE TABLE agent_settings (
    name       text    PRIMARY KEY,
    enabled    BOOLEAN NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE agent_runs (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    agent      text NOT NULL,
    task_id    text NOT NULL DEFAULT '',
    started_at TIMESTAMP NOT NULL,
    ended_at   TIMESTAMP NOT NULL,
    outcome    text NOT NULL,
    counts     TEXT,
    error      text NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX agent_runs_agent_idx ON agent_runs (agent, id);
--bun:split
CREATE TABLE task_owners (
    task_id    text PRIMARY KEY,
    user_id    bigint NOT NULL,
    created_at TIMESTAMP NOT NULL
);
