-- Attendance records: one per (student, calendar day, session). The unique
-- key is what makes a second POST a conflict and what bulk upserts target.
-- A student with records is archived, never deleted (RESTRICT). Dates are
-- YYYY-MM-DD text, which compares and sorts as the days do.
CREATE TABLE attendance_records (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    student_id  INTEGER   NOT NULL REFERENCES students (id) ON DELETE RESTRICT,
    date        TEXT      NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    session     TEXT      NOT NULL DEFAULT 'daily' CHECK (session <> ''),
    status      TEXT      NOT NULL CHECK (status IN ('present', 'absent', 'late', 'excused')),
    remarks     TEXT      NOT NULL DEFAULT '',
    marked_by   INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CONSTRAINT attendance_records_student_date_session_key UNIQUE (student_id, date, session)
);
--bun:split
CREATE INDEX attendance_records_date_idx ON attendance_records (date, session);
