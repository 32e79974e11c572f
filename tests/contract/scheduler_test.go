package contract_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestSchedulersEnqueueEachTickOnce runs three schedulers of one periodic
// job ticking every second, for each backend: the handler runs once per
// tick, not once per scheduler.
func TestSchedulersEnqueueEachTickOnce(t *testing.T) {
	p := queue.Periodic{Name: "probe", Spec: "@every 1s", JobType: "probe:tick", Queue: ports.QueueLow}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	type backend struct {
		name  string
		start func(t *testing.T, handle queue.Handler) (stop func())
	}
	backends := []backend{
		{"inprocess", func(t *testing.T, handle queue.Handler) func() {
			q := queue.NewInProcess(queue.InProcessConfig{Concurrency: 2, Logger: quiet})
			q.Handle(p.JobType, handle)
			require.NoError(t, q.Start())
			var scheds []*queue.InProcessScheduler
			for i := 0; i < 3; i++ {
				s, err := queue.NewInProcessScheduler(q, []queue.Periodic{p}, quiet)
				require.NoError(t, err)
				require.NoError(t, s.Start())
				scheds = append(scheds, s)
			}
			return func() {
				for _, s := range scheds {
					s.Shutdown()
				}
				_ = q.Shutdown(context.Background())
			}
		}},
		{"asynq", func(t *testing.T, handle queue.Handler) func() {
			url, prefix := testenv.RedisURL(t), testenv.KeyPrefix(t)
			t.Cleanup(func() { testenv.DropQueues(t, url, prefix) })
			cfg := queue.AsynqConfig{RedisURL: url, QueuePrefix: prefix, Concurrency: 2, PollInterval: 50 * time.Millisecond,
				ShutdownTimeout: 5 * time.Second, Logger: quiet}
			r := queue.NewAsynqRunner(cfg)
			r.Handle(p.JobType, handle)
			require.NoError(t, r.Start())
			var cleanups []func()
			var scheds []*queue.AsynqScheduler
			for i := 0; i < 3; i++ {
				s, cleanup, err := queue.NewAsynqScheduler(cfg, []queue.Periodic{p})
				require.NoError(t, err)
				require.NoError(t, s.Start())
				scheds, cleanups = append(scheds, s), append(cleanups, cleanup)
			}
			return func() {
				for _, s := range scheds {
					s.Shutdown()
				}
				for _, c := range cleanups {
					c()
				}
				_ = r.Shutdown(context.Background())
			}
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			var mu sync.Mutex
			runs := 0
			stop := b.start(t, func(context.Context, []byte) error {
				mu.Lock()
				runs++
				mu.Unlock()
				return nil
			})
			started := time.Now()
			time.Sleep(5500 * time.Millisecond)
			stop()
			ticks := time.Since(started).Seconds()
			mu.Lock()
			defer mu.Unlock()
			// Each scheduler fires about once a second; with three, a broken
			// dedupe would show about three runs a second.
			assert.GreaterOrEqual(t, runs, 3, "the periodic job ran")
			assert.LessOrEqual(t, float64(runs), ticks+1, "%d runs in %.1f s from three schedulers", runs, ticks)
		})
	}
}

func TestTickID(t *testing.T) {
	at := time.Date(2026, 11, 27, 9, 14, 59, 900, time.UTC)
	id, err := queue.TickID(queue.Periodic{Name: "escalation", Spec: "*/15 * * * *"}, at)
	require.NoError(t, err)
	assert.Equal(t, "escalation@2026-11-27T09:14:00Z", id, "cron ticks are named by their minute")
	id, err = queue.TickID(queue.Periodic{Name: "probe", Spec: "@every 10s"}, at)
	require.NoError(t, err)
	assert.Equal(t, "probe@2026-11-27T09:14:50Z", id)
	_, err = queue.TickID(queue.Periodic{Name: "bad", Spec: "every hour"}, at)
	assert.Error(t, err)
	_, err = queue.TickID(queue.Periodic{Name: "bad", Spec: "@every 10ms"}, at)
	assert.Error(t, err)
}
