package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/campus/campus/adapters/store"
	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/bootstrap"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/tests/testenv"
)

// waitRelayed waits until the outbox has nothing left to relay.
func waitRelayed(t *testing.T, h *harness) {
	t.Helper()
	ob := store.NewOutbox(h.app.DB)
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		left, err := ob.Pending(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the outbox was not relayed")
}

// tasks reads /health/full's background_tasks once the completed count
// reaches want.
func tasks(t *testing.T, h *harness, want float64) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := h.do("GET", "/health/full", "", nil)
		bt := r.json(t)["components"].(map[string]any)["background_tasks"].(map[string]any)
		if bt["completed"].(float64) >= want || time.Now().After(deadline) {
			return bt
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEmbeddedWorker: without Redis the API runs its own worker, which
// relays the outbox into the in-process queue and runs the jobs; health
// shows the live figures.
func TestEmbeddedWorker(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		h.startWorker()
		admin := h.token("admin", "admin123")
		expectStatus(t, h.do("POST", "/api/v1/attendance", admin, map[string]any{"student_id": 1, "date": "2026-11-03", "status": "late"}), http.StatusCreated)
		waitRelayed(t, h)
		bt := tasks(t, h, 1)
		if bt["enabled"] != true || bt["backend"] != "in-process" || bt["completed"].(float64) < 1 || bt["failed"].(float64) != 0 || bt["workers"].(float64) < 1 {
			t.Fatalf("background_tasks: %v", bt)
		}
		sched := h.do("GET", "/health/full", "", nil).json(t)["components"].(map[string]any)["scheduler"].(map[string]any)
		scheduled := 0
		for _, d := range appagent.Definitions() {
			if d.Schedule != "" {
				scheduled++
			}
		}
		if sched["running"] != true || int(sched["tasks_count"].(float64)) != scheduled || scheduled < 5 {
			t.Fatalf("the embedded scheduler with every agent's schedule (%d): %v", scheduled, sched)
		}
	})
}

// TestWorkerProcessOverRedis: an API without a worker and a `campus
// worker` process share PostgreSQL and Redis; the worker relays what the
// API recorded and runs it through asynq, and the API's health reads the
// figures from Redis.
func TestWorkerProcessOverRedis(t *testing.T) {
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	prefix := testenv.KeyPrefix(t)
	vars := map[string]string{"REDIS_URL": redisURL, "QUEUE_PREFIX": prefix, "CACHE_PREFIX": prefix}
	h := newHarness(t, dbURL, vars)
	if h.app.Worker != nil {
		t.Fatal("with Redis the API runs no worker unless asked")
	}

	all := map[string]string{"DATABASE_URL": dbURL}
	for k, v := range base {
		all[k] = v
	}
	for k, v := range vars {
		all[k] = v
	}
	cfg, _, err := config.LoadFrom(func(k string) (string, bool) { v, ok := all[k]; return v, ok }, "")
	if err != nil {
		t.Fatal(err)
	}
	p, cleanup, err := bootstrap.InitializeWorker(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Worker.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("worker: %v", err)
		}
	}()

	admin := h.token("admin", "admin123")
	expectStatus(t, h.do("POST", "/api/v1/attendance", admin, map[string]any{"student_id": 1, "date": "2026-11-04", "status": "absent"}), http.StatusCreated)
	waitRelayed(t, h)
	bt := tasks(t, h, 1)
	if bt["backend"] != "asynq" || bt["completed"].(float64) < 1 || bt["workers"].(float64) < 1 {
		t.Fatalf("background_tasks: %v", bt)
	}

	// A scheduler process registers the schedule where the API's health
	// (and asynqmon) can see it.
	s, stop, err := bootstrap.InitializeScheduler(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	deadline := time.Now().Add(15 * time.Second)
	for {
		sched := h.do("GET", "/health/full", "", nil).json(t)["components"].(map[string]any)["scheduler"].(map[string]any)
		if sched["running"] == true && sched["tasks_count"].(float64) >= 1 { // other test runs may share this Redis
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("scheduler never showed in health: %v", sched)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
