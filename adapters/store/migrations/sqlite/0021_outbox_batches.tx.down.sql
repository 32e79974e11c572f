ALTER TABLE outbox_events DROP COLUMN relay_batch;
