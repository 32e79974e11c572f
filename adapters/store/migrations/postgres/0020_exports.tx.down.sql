DROP TABLE IF EXISTS export_blobs;
--bun:split
DROP TABLE IF EXISTS exports;
