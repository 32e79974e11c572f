DROP INDEX IF EXISTS outbox_events_claimed_idx;
--bun:split
DROP INDEX IF EXISTS outbox_events_unclaimed_idx;
--bun:split
DROP TRIGGER IF EXISTS outbox_events_notify ON outbox_events;
--bun:split
DROP FUNCTION IF EXISTS campus_outbox_notify();
