package contract_test

import (
	"context"
	"errors"
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
				return boom
			})
			require.ErrorIs(t, err, boom)

			pending, err := ob.Pending(ctx, 10)
			require.NoError(t, err)
			require.Len(t, pending, 2, "the rolled-back event is not there")
			assert.Equal(t, e1, pending[0])
			assert.Equal(t, e2, pending[1])

			err = ob.Append(ctx, e1)
			assert.Equal(t, fault.Conflict, fault.KindOf(err), "an event id is recorded once: %v", err)
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
