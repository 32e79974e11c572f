-- Timetable entries over [starts_at, ends_at). Clashes between active
-- entries are refused by the application inside the writing transaction
-- (SQLite write transactions are serialised), since the rules compare
-- normalised names across three alternative keys.
CREATE TABLE schedules (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    title       TEXT      NOT NULL,
    event_type  TEXT      NOT NULL,
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    location    TEXT      NOT NULL DEFAULT '',
    instructor  TEXT      NOT NULL DEFAULT '',
    department  TEXT      NOT NULL DEFAULT '',
    semester    INTEGER,
    section     TEXT      NOT NULL DEFAULT '',
    is_active   BOOLEAN   NOT NULL DEFAULT 1,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CONSTRAINT schedules_event_type_check CHECK (event_type IN ('class', 'exam', 'event', 'holiday')),
    CONSTRAINT schedules_interval_check CHECK (ends_at > starts_at),
    CONSTRAINT schedules_semester_check CHECK (semester BETWEEN 1 AND 12)
);
--bun:split
CREATE INDEX schedules_starts_at_idx ON schedules (starts_at);
--bun:split
CREATE INDEX schedules_active_idx ON schedules (starts_at, ends_at) WHERE is_active;
