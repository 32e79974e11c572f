-- Attendance analytics. A trend of one student reads its days through
-- (student_id, date) and takes the status from the same index, never the
-- table; a department's trend reaches each of its students' days the same
-- way. Campus-wide trends and the low-attendance list read a window of
-- days through (date, student_id, status), also without the table.
CREATE INDEX attendance_records_student_date_status_idx ON attendance_records (student_id, date, status);
--bun:split
CREATE INDEX attendance_records_date_student_status_idx ON attendance_records (date, student_id, status);
