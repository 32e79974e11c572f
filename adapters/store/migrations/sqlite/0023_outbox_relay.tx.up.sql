-- A burst of events is relayed in batches: each claim reads the next
-- unclaimed events and each pass the claimed ones; these two indexes hold
-- only what each query wants, so a claim does not step over the batches
-- claimed before it. (PostgreSQL also wakes its relays by NOTIFY; here the
-- relay runs in the process that appends, which wakes it directly.)
CREATE INDEX outbox_events_unclaimed_idx ON outbox_events (seq) WHERE relayed_at IS NULL AND relay_batch IS NULL;
--bun:split
CREATE INDEX outbox_events_claimed_idx ON outbox_events (seq) WHERE relayed_at IS NULL AND relay_batch IS NOT NULL;
