-- A task recorded as succeeded is recorded once: a worker killed after
-- recording a run but before acknowledging its task runs the task again,
-- and that run's record is then dropped, so runs (and the events they
-- count) add up to what was done.
CREATE UNIQUE INDEX agent_runs_succeeded_task_key ON agent_runs (agent, task_id) WHERE outcome = 'succeeded' AND task_id <> '';
