-- Domain events written in the same transaction as the change they
-- describe; a relay moves them to the task queue and stamps relayed_at.
CREATE TABLE outbox_events (
    seq          INTEGER   PRIMARY KEY AUTOINCREMENT,
    id           TEXT      NOT NULL UNIQUE,
    type         TEXT      NOT NULL,
    aggregate    TEXT      NOT NULL,
    aggregate_id TEXT      NOT NULL,
    payload      TEXT      NOT NULL CHECK (json_valid(payload)),
    occurred_at  TIMESTAMP NOT NULL,
    relayed_at   TIMESTAMP
);
--bun:split
CREATE INDEX outbox_events_pending_idx ON outbox_events (seq) WHERE relayed_at IS NULL;
