-- Who marked a record (attendance_records.marked_by) is checked once per
-- statement instead of once per row. A foreign key runs its check row by
-- row: a bulk mark of 10 000 records paid ~60-90 ms for 10 000 lookups of
-- the same user, a third of its time in PostgreSQL. The triggers below keep
-- what the key promised:
-- * a marker must exist: after each INSERT or UPDATE statement, the rows it
--   wrote (a transition table) are checked against users in one anti-join,
--   and a missing one fails the statement with the foreign key's own error
--   (23503, same constraint name, so callers see no difference);
-- * the same locks: each marker is locked FOR KEY SHARE once per statement,
--   as the key locked it per row, so a concurrent deletion of that user
--   waits for the marking transaction, or, committed first, is seen;
-- * ON DELETE SET NULL: deleting a user clears it from the records.
-- SQLite keeps its foreign key (migration 0025 there changes nothing).
CREATE FUNCTION attendance_marked_by_exists() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone bigint;
BEGIN
    -- Lock each marker once, as the foreign key locked it per row, so that
    -- a concurrent deletion of that user waits for this transaction (and
    -- then clears what it wrote) or, committed first, is seen below.
    PERFORM 1 FROM users u WHERE u.id IN (SELECT DISTINCT n.marked_by FROM new_rows n) FOR KEY SHARE;
    SELECT DISTINCT n.marked_by INTO gone FROM new_rows n
    WHERE n.marked_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = n.marked_by)
    LIMIT 1;
    IF gone IS NOT NULL THEN
        RAISE EXCEPTION 'insert or update on table "attendance_records" violates foreign key constraint "attendance_records_marked_by_fkey"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'attendance_records_marked_by_fkey',
                  TABLE = 'attendance_records', DETAIL = format('Key (marked_by)=(%s) is not present in table "users".', gone);
    END IF;
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER attendance_records_marked_by_insert AFTER INSERT ON attendance_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_marked_by_exists();
--bun:split
CREATE TRIGGER attendance_records_marked_by_update AFTER UPDATE ON attendance_records
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION attendance_marked_by_exists();
--bun:split
CREATE FUNCTION users_clear_attendance_marker() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE attendance_records SET marked_by = NULL WHERE marked_by = OLD.id;
    RETURN NULL;
END
$$;
--bun:split
CREATE TRIGGER users_clear_attendance_marker AFTER DELETE ON users FOR EACH ROW EXECUTE FUNCTION users_clear_attendance_marker();
--bun:split
ALTER TABLE attendance_records DROP CONSTRAINT attendance_records_marked_by_fkey;
