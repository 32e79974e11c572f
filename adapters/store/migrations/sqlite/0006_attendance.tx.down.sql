DROP TABLE IF EXISTS attendance_records;
