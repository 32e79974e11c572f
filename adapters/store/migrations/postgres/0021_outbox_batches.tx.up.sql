-- The relay claims pending events in batches (named after the batch's
-- first event) and enqueues each batch as one task per event type under
-- that name, so a relay that crashes between enqueuing and marking
-- enqueues the same batch again, which the queue refuses as a duplicate.
ALTER TABLE outbox_events ADD COLUMN relay_batch TEXT;
