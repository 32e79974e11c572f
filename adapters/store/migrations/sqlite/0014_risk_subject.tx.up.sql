-- What an agent's record is about (e.g. "attendance:student:7",
-- "schedule:3:9"), so an agent keeps one open record per subject and
-- updates it in place instead of adding another.
ALTER TABLE risks ADD COLUMN subject_key text;
--bun:split
CREATE UNIQUE INDEX risks_open_subject_uidx ON risks (subject_key) WHERE status = 'open' AND subject_key IS NOT NULL;
--bun:split
CREATE INDEX risks_subject_idx ON risks (subject_key) WHERE subject_key IS NOT NULL;
