-- The relay reads through the unclaimed and claimed indexes of 0023; the
-- index of all unrelayed events is read by no query of the service any
-- more, and every event appended paid for its entry (a bulk mark appends
-- ten thousand).
DROP INDEX IF EXISTS outbox_events_pending_idx;
