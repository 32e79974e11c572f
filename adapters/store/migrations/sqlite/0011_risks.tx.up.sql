-- Risk records: concerns about a student raised by staff (source
-- 'manual') or by an automation agent (its name). student_id is optional
-- (a risk may concern a cohort or a schedule); deleting a student unlinks
-- its records rather than failing, though students with risk records are
-- meant to be archived instead (see studentReferences). resolved_by is a
-- user id without a foreign key, like the audit trail's actor_id: the
-- history must outlive the accounts it mentions. factors is JSON text.
CREATE TABLE risks (
    id           INTEGER   PRIMARY KEY AUTOINCREMENT,
    student_id   INTEGER   REFERENCES students (id) ON DELETE SET NULL,
    risk_type    TEXT      NOT NULL,
    severity     TEXT      NOT NULL,
    score        REAL,
    factors      TEXT      NOT NULL DEFAULT '[]' CHECK (json_valid(factors)),
    description  TEXT      NOT NULL,
    source       TEXT      NOT NULL DEFAULT 'manual',
    status       TEXT      NOT NULL DEFAULT 'open',
    action_taken TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL,
    resolved_at  TIMESTAMP,
    resolved_by  INTEGER,
    CONSTRAINT risks_risk_type_check CHECK (risk_type IN ('attendance', 'academic', 'behavioral', 'health', 'schedule', 'other')),
    CONSTRAINT risks_severity_check CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT risks_status_check CHECK (status IN ('open', 'resolved')),
    CONSTRAINT risks_score_check CHECK (score BETWEEN 0 AND 100)
);
--bun:split
-- A student's open records (the risk view) and the student_id filter.
CREATE INDEX risks_student_status_idx ON risks (student_id, status);
--bun:split
CREATE INDEX risks_status_idx ON risks (status);
--bun:split
CREATE INDEX risks_severity_idx ON risks (severity);
--bun:split
CREATE INDEX risks_risk_type_idx ON risks (risk_type);
