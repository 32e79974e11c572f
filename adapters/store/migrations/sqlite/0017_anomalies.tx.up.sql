-- What the nightly anomaly detection found: one row per (type, subject,
-- day), so re-running the analysis of a day inserts nothing new. subject
-- is a department's name, a student's id or 'campus' (subject_kind says
-- which); there is no foreign key, the finding outlives what it is about.
-- day is YYYY-MM-DD text; figures are the numbers the rule judged, as a
-- JSON object.
CREATE TABLE anomalies (
    id           INTEGER   PRIMARY KEY AUTOINCREMENT,
    type         TEXT      NOT NULL CHECK (type IN ('attendance_drop', 'complaint_spike')),
    subject_kind TEXT      NOT NULL CHECK (subject_kind IN ('department', 'student', 'campus')),
    subject      TEXT      NOT NULL,
    day          TEXT      NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    figures      TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(figures)),
    description  TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    CONSTRAINT anomalies_subject_day_key UNIQUE (type, subject_kind, subject, day)
);
--bun:split
-- Listing by days (GET /analytics/anomalies?days=).
CREATE INDEX anomalies_day_idx ON anomalies (day, id);
--bun:split
-- Counting the complaints filed in a day.
CREATE INDEX complaints_created_at_idx ON complaints (created_at);
