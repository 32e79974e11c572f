-- Accounts. A student user links to at most one student record; deleting
-- the record unlinks the account rather than deleting it.
CREATE TABLE users (
    id            INTEGER   PRIMARY KEY AUTOINCREMENT,
    username      TEXT      NOT NULL,
    email         TEXT      NOT NULL,
    full_name     TEXT      NOT NULL DEFAULT '',
    role          TEXT      NOT NULL,
    password_hash TEXT      NOT NULL,
    student_id    INTEGER   REFERENCES students (id) ON DELETE SET NULL,
    is_active     BOOLEAN   NOT NULL DEFAULT 1,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    last_login    TIMESTAMP,
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_student_id_key UNIQUE (student_id),
    CONSTRAINT users_role_check CHECK (role IN ('guest', 'student', 'staff', 'admin'))
);
