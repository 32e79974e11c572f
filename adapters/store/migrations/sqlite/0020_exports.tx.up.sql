-- Exports (POST /exports): one row per requested file. id is the export's
-- uuid (also its task's id); filters is the validated filter text as a
-- JSON object; blob_key names the file in the blob store. expires_at is
-- set on completion (24 h later); the maintenance agent deletes the file
-- and the row after it. requested_by has no foreign key: the row is gone
-- within a day anyway, and a deleted account's exports expire as usual.
CREATE TABLE exports (
    id           TEXT      PRIMARY KEY,
    kind         TEXT      NOT NULL CHECK (kind IN ('students', 'attendance', 'complaints', 'risks')),
    format       TEXT      NOT NULL CHECK (format IN ('csv', 'xlsx')),
    filters      TEXT      NOT NULL DEFAULT '{}' CHECK (json_valid(filters)),
    status       TEXT      NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    rows         INTEGER   NOT NULL DEFAULT 0,
    size         INTEGER   NOT NULL DEFAULT 0,
    error        TEXT      NOT NULL DEFAULT '',
    requested_by INTEGER   NOT NULL,
    blob_key     TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    expires_at   TIMESTAMP
);
--bun:split
-- The maintenance agent's pass over expired exports.
CREATE INDEX exports_expires_at_idx ON exports (expires_at) WHERE expires_at IS NOT NULL;
--bun:split
-- Chunked blobs (the PostgreSQL deployments' blob store; SQLite installs
-- keep export files in EXPORT_DIR, the table is here for symmetry).
CREATE TABLE export_blobs (
    key  TEXT    NOT NULL,
    seq  INTEGER NOT NULL,
    data BLOB    NOT NULL,
    PRIMARY KEY (key, seq)
);
