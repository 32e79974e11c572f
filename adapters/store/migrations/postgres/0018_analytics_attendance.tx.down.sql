DROP INDEX IF EXISTS attendance_records_date_student_status_idx;
--bun:split
DROP INDEX IF EXISTS attendance_records_student_date_status_idx;
