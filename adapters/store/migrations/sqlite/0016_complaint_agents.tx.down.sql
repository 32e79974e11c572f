DROP INDEX complaints_open_assignee_idx;
--bun:split
ALTER TABLE complaints DROP COLUMN escalated_due_at;
--bun:split
ALTER TABLE complaints DROP COLUMN priority_defaulted;
--bun:split
ALTER TABLE complaints DROP COLUMN category_defaulted;
