-- Clubs, their memberships, activities and activity attendance.
-- name_key is the lower-cased name the application writes: names are
-- unique ignoring case, and Go's lower-casing is the same on both databases.
-- member_count is kept by the application in the same transaction as every
-- membership change (SQLite's immediate transactions serialise them).
CREATE TABLE clubs (
    id                INTEGER   PRIMARY KEY AUTOINCREMENT,
    name              TEXT      NOT NULL,
    name_key          TEXT      NOT NULL,
    description       TEXT      NOT NULL DEFAULT '',
    category          TEXT      NOT NULL DEFAULT '',
    advisor           TEXT      NOT NULL DEFAULT '',
    is_active         BOOLEAN   NOT NULL DEFAULT 1,
    accepting_members BOOLEAN   NOT NULL DEFAULT 1,
    member_count      INTEGER   NOT NULL DEFAULT 0,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    CONSTRAINT clubs_name_key UNIQUE (name_key),
    CONSTRAINT clubs_member_count_check CHECK (member_count >= 0)
);
--bun:split
CREATE INDEX clubs_category_idx ON clubs (lower(category));
--bun:split
-- One row per (club, student): leaving deactivates it, joining again
-- reactivates it. A student with memberships cannot be deleted (NO ACTION: the
-- students use case archives such a student instead).
CREATE TABLE club_members (
    id         INTEGER   PRIMARY KEY AUTOINCREMENT,
    club_id    INTEGER   NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    student_id INTEGER   NOT NULL REFERENCES students (id),
    role       TEXT      NOT NULL DEFAULT 'member',
    is_active  BOOLEAN   NOT NULL DEFAULT 1,
    joined_at  TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CONSTRAINT club_members_student_key UNIQUE (club_id, student_id),
    CONSTRAINT club_members_role_check CHECK (role IN ('member', 'president', 'vice_president', 'secretary', 'treasurer'))
);
--bun:split
-- At most one active holder of each office per club.
CREATE UNIQUE INDEX club_members_office_key ON club_members (club_id, role) WHERE is_active = 1 AND role <> 'member';
--bun:split
CREATE INDEX club_members_student_idx ON club_members (student_id);
--bun:split
CREATE TABLE club_activities (
    id            INTEGER   PRIMARY KEY AUTOINCREMENT,
    club_id       INTEGER   NOT NULL REFERENCES clubs (id) ON DELETE CASCADE,
    title         TEXT      NOT NULL,
    activity_type TEXT      NOT NULL,
    starts_at     TIMESTAMP NOT NULL,
    ends_at       TIMESTAMP,
    location      TEXT,
    capacity      INTEGER,
    status        TEXT      NOT NULL DEFAULT 'planned',
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CONSTRAINT club_activities_capacity_check CHECK (capacity IS NULL OR capacity > 0),
    CONSTRAINT club_activities_status_check CHECK (status IN ('planned', 'ongoing', 'completed', 'cancelled'))
);
--bun:split
CREATE INDEX club_activities_club_idx ON club_activities (club_id, starts_at);
--bun:split
-- Who was at an activity; one row per (activity, student), upserted.
CREATE TABLE club_attendance (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    activity_id INTEGER   NOT NULL REFERENCES club_activities (id) ON DELETE CASCADE,
    student_id  INTEGER   NOT NULL REFERENCES students (id),
    present     BOOLEAN   NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    CONSTRAINT club_attendance_student_key UNIQUE (activity_id, student_id)
);
--bun:split
CREATE INDEX club_attendance_student_idx ON club_attendance (student_id);
