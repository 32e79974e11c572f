DROP INDEX IF EXISTS complaints_created_at_idx;
--bun:split
DROP TABLE IF EXISTS anomalies;
