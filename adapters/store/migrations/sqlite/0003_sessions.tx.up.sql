-- Login sessions: the source of truth for refresh-token rotation and
-- revocation on every replica.
CREATE TABLE sessions (
    id           TEXT      PRIMARY KEY,
    user_id      INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti  TEXT      NOT NULL,
    prev_jti     TEXT      NOT NULL DEFAULT '',
    rotated_at   TIMESTAMP NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP,
    user_agent   TEXT      NOT NULL DEFAULT '',
    ip           TEXT      NOT NULL DEFAULT ''
);
--bun:split
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
--bun:split
-- Failure counts per lower-cased username, known or not.
CREATE TABLE login_attempts (
    username     TEXT      PRIMARY KEY,
    failures     INTEGER   NOT NULL DEFAULT 0,
    lockouts     INTEGER   NOT NULL DEFAULT 0,
    locked_until TIMESTAMP
);
