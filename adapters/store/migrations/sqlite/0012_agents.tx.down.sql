DROP TABLE task_owners;
--bun:split
DROP TABLE agent_runs;
--bun:split
DROP TABLE agent_settings;
