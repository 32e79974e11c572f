CREATE INDEX IF NOT EXISTS outbox_events_pending_idx ON outbox_events (seq) WHERE relayed_at IS NULL;
