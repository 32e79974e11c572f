-- Exports (POST /exports): one row per requested file. id is the export's
-- uuid (also its task's id); filters is the validated filter text as a
-- JSON object; blob_key names the file in the blob store. expires_at is
-- set on completion (24 h later); the maintenance agent deletes the file
-- and the row after it. requested_by has no foreign key: the row is gone
-- within a day anyway, and a deleted account's exports expire as usual.
CREATE TABLE exports (
    id           text        PRIMARY KEY,
    kind         text        NOT NULL,
    format       text        NOT NULL,
    filters      jsonb       NOT NULL DEFAULT '{}',
    status       text        NOT NULL,
    rows         integer     NOT NULL DEFAULT 0,
    size         bigint      NOT NULL DEFAULT 0,
    error        text        NOT NULL DEFAULT '',
    requested_by bigint      NOT NULL,
    blob_key     text        NOT NULL,
    created_at   timestamptz NOT NULL,
    completed_at timestamptz,
    expires_at   timestamptz,
    CONSTRAINT exports_kind_check CHECK (kind IN ('students', 'attendance', 'complaints', 'risks')),
    CONSTRAINT exports_format_check CHECK (format IN ('csv', 'xlsx')),
    CONSTRAINT exports_status_check CHECK (status IN ('pending', 'running', 'completed', 'failed'))
);
--bun:split
-- The maintenance agent's pass over expired exports.
CREATE INDEX exports_expires_at_idx ON exports (expires_at) WHERE expires_at IS NOT NULL;
--bun:split
-- Blob store of export files in production: each blob in chunks of up to
-- 1 MiB, written and read one chunk at a time, so any replica serves a
-- download without holding the file.
CREATE TABLE export_blobs (
    key  text    NOT NULL,
    seq  integer NOT NULL,
    data bytea   NOT NULL,
    PRIMARY KEY (key, seq)
);
