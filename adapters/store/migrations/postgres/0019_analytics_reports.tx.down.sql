DROP INDEX IF EXISTS students_created_at_idx;
--bun:split
DROP INDEX IF EXISTS risks_created_at_idx;
--bun:split
DROP INDEX IF EXISTS risks_open_student_severity_idx;
--bun:split
DROP INDEX IF EXISTS risks_type_severity_status_idx;
