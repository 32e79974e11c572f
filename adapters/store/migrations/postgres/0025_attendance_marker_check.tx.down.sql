DROP TRIGGER IF EXISTS users_clear_attendance_marker ON users;
--bun:split
DROP FUNCTION IF EXISTS users_clear_attendance_marker();
--bun:split
DROP TRIGGER IF EXISTS attendance_records_marked_by_update ON attendance_records;
--bun:split
DROP TRIGGER IF EXISTS attendance_records_marked_by_insert ON attendance_records;
--bun:split
DROP FUNCTION IF EXISTS attendance_marked_by_exists();
--bun:split
ALTER TABLE attendance_records ADD CONSTRAINT attendance_records_marked_by_fkey
    FOREIGN KEY (marked_by) REFERENCES users (id) ON DELETE SET NULL;
