DROP INDEX IF EXISTS agent_runs_succeeded_task_key;
