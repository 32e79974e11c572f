DROP INDEX IF EXISTS outbox_events_claimed_idx;
--bun:split
DROP INDEX IF EXISTS outbox_events_unclaimed_idx;
