-- Complaints about a student's campus life. A complaint keeps its student
-- (RESTRICT: a student with complaints is archived, never deleted), and
-- due_at is derived from created_at and priority by the domain.
CREATE TABLE complaints (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    student_id  INTEGER   NOT NULL REFERENCES students (id) ON DELETE RESTRICT,
    title       TEXT      NOT NULL,
    description TEXT      NOT NULL,
    category    TEXT      NOT NULL DEFAULT 'other',
    priority    TEXT      NOT NULL DEFAULT 'normal',
    status      TEXT      NOT NULL DEFAULT 'pending',
    assigned_to INTEGER   REFERENCES users (id) ON DELETE SET NULL,
    resolution  TEXT,
    due_at      TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    resolved_by INTEGER,
    filed_by    INTEGER   NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL,
    CONSTRAINT complaints_category_check CHECK (category IN ('academic', 'conduct', 'health', 'facilities', 'other')),
    CONSTRAINT complaints_priority_check CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT complaints_status_check CHECK (status IN ('pending', 'in_progress', 'resolved', 'closed'))
);
--bun:split
CREATE INDEX complaints_student_id_idx ON complaints (student_id);
--bun:split
CREATE INDEX complaints_status_idx ON complaints (status, due_at);
--bun:split
-- Append-only history of every write to a complaint. actor_id is not a
-- foreign key: the history must outlive the accounts it mentions.
CREATE TABLE complaint_history (
    id           INTEGER   PRIMARY KEY AUTOINCREMENT,
    complaint_id INTEGER   NOT NULL REFERENCES complaints (id) ON DELETE CASCADE,
    at           TIMESTAMP NOT NULL,
    actor_id     INTEGER   NOT NULL,
    action       TEXT      NOT NULL,
    changes      TEXT      NOT NULL CHECK (json_valid(changes)),
    note         TEXT      NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX complaint_history_complaint_id_idx ON complaint_history (complaint_id, id);
