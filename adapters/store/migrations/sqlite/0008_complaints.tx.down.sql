DROP TABLE IF EXISTS complaint_history;
--bun:split
DROP TABLE IF EXISTS complaints;
