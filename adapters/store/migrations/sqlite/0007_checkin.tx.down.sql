DROP TABLE IF EXISTS attendance_attempts;
--bun:split
DROP TABLE IF EXISTS attendance_checkins;
--bun:split
DROP TABLE IF EXISTS attendance_sessions;
