DROP INDEX risks_subject_idx;
--bun:split
DROP INDEX risks_open_subject_uidx;
--bun:split
ALTER TABLE risks DROP COLUMN subject_key;
