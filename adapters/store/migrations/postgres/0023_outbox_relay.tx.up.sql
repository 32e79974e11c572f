-- Relays wake when events are appended instead of waiting for their next
-- poll: every statement that inserts into the outbox notifies the
-- campus_outbox channel, delivered when its transaction commits (and once
-- per transaction however many statements insert). Workers LISTEN on it.
CREATE FUNCTION campus_outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('campus_outbox', '');
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events FOR EACH STATEMENT EXECUTE FUNCTION campus_outbox_notify();
--bun:split
-- A burst of events is relayed in batches: each claim reads the next
-- unclaimed events and each pass the claimed ones. Through the index of
-- all unrelayed events, every claim of a burst first stepped over the
-- batches claimed before it (and over their dead row versions), so a
-- burst cost the square of its batches; these two hold only what each
-- query wants.
CREATE INDEX outbox_events_unclaimed_idx ON outbox_events (seq) WHERE relayed_at IS NULL AND relay_batch IS NULL;
--bun:split
CREATE INDEX outbox_events_claimed_idx ON outbox_events (seq) WHERE relayed_at IS NULL AND relay_batch IS NOT NULL;
