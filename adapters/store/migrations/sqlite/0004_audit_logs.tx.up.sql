-- Append-only audit trail. actor_id is not a foreign key: the trail must
-- outlive the accounts it mentions. before/after hold JSON text.
CREATE TABLE audit_logs (
    id          INTEGER   PRIMARY KEY AUTOINCREMENT,
    at          TIMESTAMP NOT NULL,
    actor_id    INTEGER,
    actor_role  TEXT      NOT NULL DEFAULT '',
    action      TEXT      NOT NULL,
    resource    TEXT      NOT NULL DEFAULT '',
    resource_id TEXT      NOT NULL DEFAULT '',
    ip          TEXT      NOT NULL DEFAULT '',
    request_id  TEXT      NOT NULL DEFAULT '',
    before      TEXT      CHECK (before IS NULL OR json_valid(before)),
    after       TEXT      CHECK (after IS NULL OR json_valid(after))
);
--bun:split
CREATE INDEX audit_logs_at_idx ON audit_logs (at);
--bun:split
CREATE INDEX audit_logs_actor_id_idx ON audit_logs (actor_id);
--bun:split
CREATE INDEX audit_logs_action_idx ON audit_logs (action);
--bun:split
CREATE INDEX audit_logs_resource_idx ON audit_logs (resource, resource_id);
