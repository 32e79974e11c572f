-- Login sessions: the source of truth for refresh-token rotation and
-- revocation on every replica.
CREATE TABLE sessions (
    id           text        PRIMARY KEY,
    user_id      bigint      NOT NULL,
    refresh_jti  text        NOT NULL,
    prev_jti     text        NOT NULL DEFAULT '',
    rotated_at   timestamptz NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    user_agent   text        NOT NULL DEFAULT '',
    ip           text        NOT NULL DEFAULT '',
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
--bun:split
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
--bun:split
-- Failure counts per lower-cased username, known or not.
CREATE TABLE login_attempts (
    username     text    PRIMARY KEY,
    failures     integer NOT NULL DEFAULT 0,
    lockouts     integer NOT NULL DEFAULT 0,
    locked_until timestamptz
);
