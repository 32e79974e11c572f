-- What the campus tells a user; deleted with the user.
CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text   NOT NULL,
    title       text   NOT NULL,
    body        text   NOT NULL DEFAULT '',
    resource    text   NOT NULL DEFAULT '',
    resource_id text   NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
--bun:split
CREATE INDEX notifications_user_idx ON notifications (user_id, id);
