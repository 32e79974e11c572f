DROP TABLE IF EXISTS login_attempts;
--bun:split
DROP TABLE IF EXISTS sessions;
