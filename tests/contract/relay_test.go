package contract_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/system"
	"github.com/campus/campus/application/jobs"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/tests/testenv"
)

// TestRelayIntoQueues moves real outbox rows into each real queue backend
// with two relays racing over the same rows: every committed event is
// handled exactly once, as a job of its type carrying its payload, and a
// rolled-back write is never relayed.
func TestRelayIntoQueues(t *testing.T) {
	for _, st := range testenv.Stores() {
		for _, qb := range queueBackends() {
			t.Run(st.Name+"/"+qb.name, func(t *testing.T) {
				r := setup(t, st.URL(t))
				ob := store.NewOutbox(r.db)
				ctx := context.Background()
				const n = 40
				for i := 0; i < n; i++ {
					e := event.New(fmt.Sprintf("relay-%s-%d", t.Name(), i), event.AttendanceMarked, "attendance", fmt.Sprint(i),
						time.Now().UTC().Truncate(time.Microsecond), map[string]any{"student_id": float64(i)})
					require.NoError(t, r.tx.InTx(ctx, func(ctx context.Context) error { return ob.Append(ctx, e) }))
				}
				rolledBack := errors.New("rolled back")
				err := r.tx.InTx(ctx, func(ctx context.Context) error {
					if err := ob.Append(ctx, event.New("never-"+t.Name(), event.ComplaintFiled, "complaint", "1", time.Now(), nil)); err != nil {
						return err
					}
					return rolledBack
				})
				require.ErrorIs(t, err, rolledBack)

				q, runner := qb.open(t, queueSetup{concurrency: 4})
				var mu sync.Mutex
				handled := map[string]int{}
				runner.Handle(jobs.ForEvent(event.AttendanceMarked), func(_ context.Context, payload []byte) error {
					es, err := jobs.DecodeEvents(payload)
					if err != nil {
						return err
					}
					mu.Lock()
					defer mu.Unlock()
					for _, e := range es {
						handled[e.ID]++
					}
					return nil
				})
				runner.Handle(jobs.ForEvent(event.ComplaintFiled), func(context.Context, []byte) error {
					t.Error("a rolled-back event was relayed")
					return nil
				})
				require.NoError(t, runner.Start())

				svc := relay.NewService(ob, q, system.NewClock())
				var wg sync.WaitGroup
				for i := 0; i < 2; i++ { // two relays over the same rows
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							moved, err := svc.Once(ctx, 7)
							if err != nil {
								t.Error(err)
								return
							}
							if moved == 0 {
								return
							}
						}
					}()
				}
				wg.Wait()

				require.Eventually(t, func() bool {
					mu.Lock()
					defer mu.Unlock()
					return len(handled) == n
				}, 15*time.Second, 20*time.Millisecond, "every event handled")
				time.Sleep(300 * time.Millisecond) // a duplicate would show up by now
				mu.Lock()
				for id, times := range handled {
					assert.Equal(t, 1, times, "event %s handled %d times", id, times)
				}
				mu.Unlock()
				left, err := ob.Pending(ctx, 10)
				require.NoError(t, err)
				assert.Empty(t, left, "every event is marked relayed")
			})
		}
	}
}
