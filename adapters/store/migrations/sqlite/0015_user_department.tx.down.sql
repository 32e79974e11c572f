ALTER TABLE users DROP COLUMN department;
