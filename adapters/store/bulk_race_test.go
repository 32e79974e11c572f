package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/attendance"
	"github.com/campus/campus/tests/testenv"
)

// TestBulkMarkRaceOnPostgres: a record another transaction inserts after
// the bulk call read the day's records (so the read could not lock it) is
// overwritten and reported as updated, whether the call is small (one
// INSERT ... ON CONFLICT) or large (a plain INSERT under a savepoint, then
// ON CONFLICT for the same rows after the unique violation); when the
// other transaction rolls back instead, the call creates the record.
// SQLite runs one writer at a time, so the race exists on PostgreSQL only.
func TestBulkMarkRaceOnPostgres(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int
		commit bool
	}{
		{"small call, rival commits", 10, true},
		{"large call, rival commits", 200, true},
		{"large call, rival rolls back", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newBulkEnv(t, testenv.PostgresURL(t), tc.n)
			ctx := context.Background()
			rivalStudent := e.students[tc.n/2]

			rival, err := e.db.Bun().BeginTx(ctx, nil)
			require.NoError(t, err)
			defer func() { _ = rival.Rollback() }()
			_, err = rival.ExecContext(ctx, `INSERT INTO attendance_records (student_id, date, session, status, remarks, created_at, updated_at)
				VALUES (?, '2026-11-27', 'daily', 'late', 'rival', now(), now())`, rivalStudent)
			require.NoError(t, err)

			finish := bulkBehind(ctx, t, e)
			if tc.commit {
				require.NoError(t, rival.Commit())
			} else {
				require.NoError(t, rival.Rollback())
			}
			got, err := finish()
			require.NoError(t, err)

			state := e.state(t, "2026-11-27", 0)
			require.Equal(t, tc.n, len(state.records))
			for _, r := range state.records {
				assert.Equal(t, "present", string(r.Status), "the bulk call's mark wins")
				assert.Equal(t, &e.staff.UserID, r.MarkedBy)
			}
			evs := byStudent(t, state.events)
			require.Len(t, evs, tc.n, "every record was created or overwritten with other values")
			if !tc.commit {
				assert.Equal(t, app.BulkResult{Created: tc.n}, got)
				return
			}
			assert.Equal(t, app.BulkResult{Created: tc.n - 1, Updated: 1}, got)
			ev := evs[rivalStudent]
			assert.Equal(t, false, ev.Payload["created"])
			assert.NotContains(t, ev.Payload, "previous_status", "what the rival wrote was never read")
			assert.Equal(t, "", state.records[rivalStudent].Remarks)
		})
	}
}

// TestBulkMarkReadsLockedOnPostgres: a record another transaction is
// changing when the bulk call reads the day's records is read once that
// transaction commits (the read locks the rows), so the previous status
// the call reports is the one it overwrote, not the one before the rival's.
func TestBulkMarkReadsLockedOnPostgres(t *testing.T) {
	const n = 10
	e := newBulkEnv(t, testenv.PostgresURL(t), n)
	ctx := context.Background()
	_, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", e.students, func(int) string { return "absent" }))
	require.NoError(t, err)
	rivalStudent := e.students[n/2]

	rival, err := e.db.Bun().BeginTx(ctx, nil)
	require.NoError(t, err)
	defer func() { _ = rival.Rollback() }()
	res, err := rival.ExecContext(ctx, `UPDATE attendance_records SET status = 'late', remarks = 'rival'
		WHERE student_id = ? AND date = '2026-11-27' AND session = 'daily'`, rivalStudent)
	require.NoError(t, err)
	changed, err := res.RowsAffected()
	require.NoError(t, err)
	require.Equal(t, int64(1), changed)

	finish := bulkBehind(ctx, t, e)
	require.NoError(t, rival.Commit())
	got, err := finish()
	require.NoError(t, err)
	assert.Equal(t, app.BulkResult{Updated: n}, got)

	state := e.state(t, "2026-11-27", n)
	evs := byStudent(t, state.events)
	require.Len(t, evs, n, "every record changed status")
	for id, ev := range evs {
		want := "absent"
		if id == rivalStudent {
			want = "late"
		}
		assert.Equal(t, want, ev.Payload["previous_status"], "student %d", id)
		assert.Equal(t, "present", string(state.records[id].Status))
	}
	assert.Equal(t, "", state.records[rivalStudent].Remarks, "the bulk call's mark wins")
}

// waitForLockWait returns once a session of e's database waits for a lock.
func waitForLockWait(t *testing.T, e *bulkEnv) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		err := e.db.Bun().QueryRowContext(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		require.NoError(t, err)
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the bulk call never waited for the rival's row")
}

// bulkBehind starts a bulk call marking every student of e present on
// 2026-11-27 and returns once it waits for a lock another transaction
// holds; finish waits for the call's outcome (30 s at most).
func bulkBehind(ctx context.Context, t *testing.T, e *bulkEnv) (finish func() (app.BulkResult, error)) {
	t.Helper()
	type outcome struct {
		res app.BulkResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := e.svc.Bulk(ctx, e.staff, bulkFields("2026-11-27", e.students, func(int) string { return "present" }))
		done <- outcome{res, err}
	}()
	waitForLockWait(t, e)
	return func() (app.BulkResult, error) {
		t.Helper()
		select {
		case got := <-done:
			return got.res, got.err
		case <-time.After(30 * time.Second):
			t.Fatal("the bulk call did not finish")
			return app.BulkResult{}, nil
		}
	}
}
