-- PostgreSQL checks attendance_records.marked_by once per statement from
-- 0025 on; SQLite keeps the foreign key of 0006, whose per-row check costs
-- little in-process. Nothing changes here; the number stays aligned.
SELECT 1;
