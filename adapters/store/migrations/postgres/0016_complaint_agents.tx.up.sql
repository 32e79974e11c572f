-- What the complaint agents need to remember. category_defaulted and
-- priority_defaulted: the value is still the default the filer left out
-- (no one has chosen it since), so the triage agent may suggest one; rows
-- filed before this migration count as chosen. escalated_due_at: the due
-- time whose breach the escalation agent last escalated, so each breach
-- escalates once.
ALTER TABLE complaints ADD COLUMN category_defaulted boolean NOT NULL DEFAULT false;
--bun:split
ALTER TABLE complaints ADD COLUMN priority_defaulted boolean NOT NULL DEFAULT false;
--bun:split
ALTER TABLE complaints ADD COLUMN escalated_due_at timestamptz;
--bun:split
-- The triage agent counts each staff member's open complaints.
CREATE INDEX complaints_open_assignee_idx ON complaints (assigned_to) WHERE status IN ('pending', 'in_progress');
