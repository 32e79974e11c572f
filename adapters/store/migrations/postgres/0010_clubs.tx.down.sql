DROP TABLE IF EXISTS club_attendance;
--bun:split
DROP TABLE IF EXISTS club_activities;
--bun:split
DROP TABLE IF EXISTS club_members;
--bun:split
DROP TABLE IF EXISTS clubs;
