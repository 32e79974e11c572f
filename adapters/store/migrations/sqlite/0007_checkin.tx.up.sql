-- QR check-in sessions. The check-in code itself is never stored: it is an
-- HMAC over the session id and the time step, verified from the key alone.
CREATE TABLE attendance_sessions (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    session     TEXT      NOT NULL,
    date        TEXT      NOT NULL CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    starts_at   TIMESTAMP NOT NULL,
    ends_at     TIMESTAMP NOT NULL,
    department  TEXT      NOT NULL DEFAULT '',
    semester    INTEGER,
    section     TEXT      NOT NULL DEFAULT '',
    latitude    REAL,
    longitude   REAL,
    radius_m    REAL,
    closed_at   TIMESTAMP,
    created_by  INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    created_at  TIMESTAMP NOT NULL,
    CONSTRAINT attendance_sessions_window_check CHECK (ends_at > starts_at),
    CONSTRAINT attendance_sessions_geofence_check CHECK (
        (latitude IS NULL AND longitude IS NULL AND radius_m IS NULL) OR
        (latitude IS NOT NULL AND longitude IS NOT NULL AND radius_m > 0))
);
--bun:split
-- Accepted check-ins. The unique key is the one guard against a double
-- check-in: two simultaneous scans race for it and exactly one wins.
CREATE TABLE attendance_checkins (
    id             INTEGER   PRIMARY KEY AUTOINCREMENT,
    session_id     INTEGER   NOT NULL REFERENCES attendance_sessions (id) ON DELETE CASCADE,
    student_id     INTEGER   NOT NULL REFERENCES students (id) ON DELETE RESTRICT,
    status         TEXT      NOT NULL CHECK (status IN ('present', 'late')),
    latitude       REAL,
    longitude      REAL,
    checked_in_at  TIMESTAMP NOT NULL,
    CONSTRAINT attendance_checkins_session_student_key UNIQUE (session_id, student_id)
);
--bun:split
-- Refused check-ins, kept with their reason for the session's staff.
CREATE TABLE attendance_attempts (
    id            INTEGER   PRIMARY KEY AUTOINCREMENT,
    session_id    INTEGER   NOT NULL REFERENCES attendance_sessions (id) ON DELETE CASCADE,
    user_id       INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    student_id    INTEGER   REFERENCES students (id) ON DELETE SET NULL,
    reason        TEXT      NOT NULL,
    detail        TEXT      NOT NULL DEFAULT '',
    latitude      REAL,
    longitude     REAL,
    attempted_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX attendance_attempts_session_idx ON attendance_attempts (session_id, id);
--bun:split
CREATE INDEX attendance_checkins_student_idx ON attendance_checkins (student_id);
