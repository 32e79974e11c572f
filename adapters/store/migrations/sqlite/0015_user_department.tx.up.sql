-- A staff account's department (the students.department it looks after),
-- so agents can tell a student's department staff about the student.
-- Optional: NULL for accounts that belong to no department.
ALTER TABLE users ADD COLUMN department text;
