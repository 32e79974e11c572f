-- Student records. roll_no is the natural key (CSV import upserts on it).
-- Times are TIMESTAMP text, always written in UTC in one format by Bun, so
-- they compare and sort correctly as strings.
CREATE TABLE students (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    name        TEXT      NOT NULL,
    roll_no     TEXT      NOT NULL,
    department  TEXT      NOT NULL,
    semester    INTEGER   NOT NULL,
    section     TEXT      NOT NULL DEFAULT '',
    email       TEXT,
    status      TEXT      NOT NULL DEFAULT 'active',
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CONSTRAINT students_roll_no_key UNIQUE (roll_no),
    CONSTRAINT students_semester_check CHECK (semester BETWEEN 1 AND 12),
    CONSTRAINT students_status_check CHECK (status IN ('active', 'inactive', 'graduated'))
);
--bun:split
CREATE INDEX students_department_idx ON students (department);
--bun:split
CREATE INDEX students_cohort_idx ON students (department, semester, section);
--bun:split
CREATE INDEX students_status_idx ON students (status);
--bun:split
CREATE INDEX students_email_lower_idx ON students (lower(email));
