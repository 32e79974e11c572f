package contract_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/tests/testenv"
)

// TestOutbox: events commit and roll back with their transaction, keep
// their payload, and an event id is recorded once.
func TestOutbox(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			r := setup(t, s.URL(t))
			ob := store.NewOutbox(r.db)
			ctx := context.Background()
			at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
			e1 := event.New("ev-1", event.AttendanceMarked, "attendance", "17", at,
				map[string]any{"student_id": float64(4), "status": "absent", "date": "2026-11-27", "nested": map[string]any{"a": []any{"x"}}})
			e2 := event.New("ev-2", event.StudentCreated, "student", "4", at.Add(time.Second), map[string]any{"name": "Ada"})

			require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error { return ob.Append(ctx, e1, e2) }))
			boom := errors.New("boom")
			err := r.tx.InTx(ctx, func(ctx context.Context) error {
				if err := ob.Append(ctx, event.New("ev-3", event.ComplaintFiled, "complaint", "1", at, nil)); err != nil {
					return err
				}
				// Many at once (a COPY on PostgreSQL) roll back with the rest.
				if err := ob.Append(ctx, event.New("ev-3b", event.ComplaintFiled, "complaint", "2", at, nil),
					event.New("ev-3c", event.ComplaintFiled, "complaint", "3", at, nil)); err != nil {
					return err
				}
				return boom
			})
			require.ErrorIs(t, err, boom)

			pending, err := ob.Pending(ctx, 10)
			require.NoError(t, err)
			require.Len(t, pending, 2, "the rolled-back events are not there")
			assert.Equal(t, e1, pending[0])
			assert.Equal(t, e2, pending[1])

			err = ob.Append(ctx, e1)
			assert.Equal(t, fault.Conflict, fault.KindOf(err), "an event id is recorded once: %v", err)
			// Many at once outside a transaction: all or none.
			err = ob.Append(ctx, event.New("ev-4", event.ComplaintFiled, "complaint", "4", at, nil), e2)
			assert.Equal(t, fault.Conflict, fault.KindOf(err), "an event id is recorded once: %v", err)
			pending, err = ob.Pending(ctx, 10)
			require.NoError(t, err)
			require.Len(t, pending, 2, "ev-4 went in with the duplicate or not at all")
			limited, err := ob.Pending(ctx, 1)
			require.NoError(t, err)
			require.Len(t, limited, 1)
			assert.Equal(t, "ev-1", limited[0].ID)

			// Relayed events leave the pending list; marking twice keeps the
			// first time; pruning removes only events relayed before the cut.
			require.NoError(t, ob.MarkRelayed(ctx, []string{"ev-1"}, at.Add(time.Hour)))
			require.NoError(t, ob.MarkRelayed(ctx, []string{"ev-1", "ev-2"}, at.Add(3*time.Hour)))
			pending, err = ob.Pending(ctx, 10)
			require.NoError(t, err)
			assert.Empty(t, pending)
			n, err := ob.PruneRelayed(ctx, at.Add(2*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, n, "only ev-1 was relayed before the cut")
			n, err = ob.PruneRelayed(ctx, at.Add(4*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, 1, n)
			require.NoError(t, ob.MarkRelayed(ctx, nil, at))
		})
	}
}

// TestOutboxClaims: a claim gathers pending events, oldest first, into a
// batch named after its first event; claimed events stay listed (with
// their batch) until relayed; concurrent claims never share an event.
func TestOutboxClaims(t *testing.T) {
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			r := setup(t, s.URL(t))
			ob := store.NewOutbox(r.db)
			ctx := context.Background()
			at := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
			var evs []event.Event
			for i := range 5 {
				evs = append(evs, event.New(fmt.Sprintf("c-%d", i), event.AttendanceMarked, "attendance", fmt.Sprint(i), at, map[string]any{"i": float64(i)}))
			}
			require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error { return ob.Append(ctx, evs...) }))

			n, err := ob.Claim(ctx, 2)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			n, err = ob.Claim(ctx, 2)
			require.NoError(t, err)
			assert.Equal(t, 2, n)
			claimed, err := ob.Claimed(ctx, 10)
			require.NoError(t, err)
			require.Len(t, claimed, 4)
			for i, want := range []string{"c-0", "c-0", "c-2", "c-2"} {
				assert.Equal(t, want, claimed[i].Batch, "event %d", i)
				assert.Equal(t, evs[i], claimed[i].Event)
			}
			pending, err := ob.Pending(ctx, 10)
			require.NoError(t, err)
			assert.Len(t, pending, 5, "claimed is still pending until relayed")

			require.NoError(t, ob.MarkRelayed(ctx, []string{"c-0", "c-1"}, at))
			claimed, err = ob.Claimed(ctx, 10)
			require.NoError(t, err)
			require.Len(t, claimed, 2)
			assert.Equal(t, "c-2", claimed[0].Event.ID)

			n, err = ob.Claim(ctx, 10)
			require.NoError(t, err)
			assert.Equal(t, 1, n, "only c-4 was left to claim")
			n, err = ob.Claim(ctx, 10)
			require.NoError(t, err)
			assert.Zero(t, n)

			// Concurrent claims over many events: each claimed exactly once.
			var more []event.Event
			for i := range 300 {
				more = append(more, event.New(fmt.Sprintf("m-%03d", i), event.AttendanceMarked, "attendance", fmt.Sprint(i), at, nil))
			}
			require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error { return ob.Append(ctx, more...) }))
			var wg sync.WaitGroup
			var total atomic.Int64
			for range 4 {
				wg.Go(func() {
					for {
						n, err := ob.Claim(ctx, 7)
						if err != nil {
							t.Error(err)
							return
						}
						if n == 0 {
							return
						}
						total.Add(int64(n))
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int64(300), total.Load(), "every event claimed once")
			claimed, err = ob.Claimed(ctx, 1000)
			require.NoError(t, err)
			batches := map[string]int{}
			for _, c := range claimed {
				batches[c.Batch]++
			}
			assert.Len(t, claimed, 303)
			for b, size := range batches {
				assert.LessOrEqual(t, size, 7, "batch %s", b)
			}
		})
	}
}

// TestOutboxWatch: a relay hears of appended events when their
// transaction commits (never of a rolled-back one), in this process, and
// on PostgreSQL from another process's append through LISTEN/NOTIFY, also
// after its listening connection was cut.
func TestOutboxWatch(t *testing.T) {
	signalled := func(w *store.OutboxWatch, within time.Duration) bool {
		if within == 0 {
			select {
			case <-w.C():
				return true
			default:
				return false
			}
		}
		select {
		case <-w.C():
			return true
		case <-time.After(within):
			return false
		}
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			url := s.URL(t)
			r := setup(t, url)
			ob := store.NewOutbox(r.db)
			ctx := context.Background()
			w := r.db.OutboxWatch()
			at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

			err := r.tx.InTx(ctx, func(ctx context.Context) error {
				if err := ob.Append(ctx, event.New("w-1", event.AttendanceMarked, "attendance", "1", at, nil)); err != nil {
					return err
				}
				assert.False(t, signalled(w, 0), "not before the commit")
				return nil
			})
			require.NoError(t, err)
			assert.True(t, signalled(w, 0), "at the commit")
			err = r.tx.InTx(ctx, func(ctx context.Context) error {
				if err := ob.Append(ctx, event.New("w-2", event.AttendanceMarked, "attendance", "1", at, nil)); err != nil {
					return err
				}
				return errors.New("boom")
			})
			require.Error(t, err)
			assert.False(t, signalled(w, 50*time.Millisecond), "a rolled-back append is no news")
			require.NoError(t, ob.Append(ctx, event.New("w-3", event.AttendanceMarked, "attendance", "1", at, nil)))
			assert.True(t, signalled(w, 0), "outside a transaction: at once")

			if s.Name != "postgres" {
				return
			}
			// Another process appends; this one listens.
			other := setup(t, url)
			listening, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				w.Listen(listening, slog.New(slog.NewTextHandler(io.Discard, nil)))
			}()
			t.Cleanup(func() { stop(); <-done })
			require.True(t, signalled(w, 5*time.Second), "a signal once listening, for what came before")
			require.NoError(t, store.NewOutbox(other.db).Append(ctx, event.New("w-4", event.AttendanceMarked, "attendance", "1", at, nil)))
			assert.True(t, signalled(w, 5*time.Second), "another process's append")
			assert.False(t, signalled(w, 100*time.Millisecond), "one signal per append")

			// The listening connection is cut: it reconnects and hears again.
			var cut int
			require.NoError(t, other.db.Bun().NewRaw("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query = 'LISTEN campus_outbox' AND datname = current_database()").Scan(ctx, &cut))
			require.Equal(t, 1, cut)
			require.True(t, signalled(w, 5*time.Second), "a signal once listening again")
			require.NoError(t, store.NewOutbox(other.db).Append(ctx, event.New("w-5", event.AttendanceMarked, "attendance", "1", at, nil)))
			assert.True(t, signalled(w, 5*time.Second), "another process's append after the cut")
		})
	}
}
