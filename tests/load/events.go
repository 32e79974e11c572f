package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"
)

// eventsResult is a scenario's median rate in events (or tasks) per second.
type eventsResult struct {
	name string
	rate float64
	took time.Duration
}

// benchEventsSection reports benchEvents at worker concurrency 10.
func benchEventsSection(b *bench) (string, error) {
	ev, err := benchEvents(b, 10)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("## Events\n\n%d attendance marks per round (one bulk call) on students with history, worker concurrency 10, "+
		"timed until the outbox is relayed and the queues are idle.\n\n| scenario | events/s | time | ratio to asynq no-op | goal |\n|---|---|---|---|---|\n"+
		"| %s | %.0f | %s | 1.00 | — |\n| %s | %.0f | %s | %.2f | ≥ 0.50 |\n", b.events,
		ev[0].name, ev[0].rate, ev[0].took.Round(time.Millisecond), ev[1].name, ev[1].rate, ev[1].took.Round(time.Millisecond), ev[1].rate/ev[0].rate), nil
}

// benchEvents compares the campus's event path — n attendance marks in one
// bulk call, relayed from the outbox into asynq and each run through the
// attendance-risk agent by a `campus worker` process — with asynq's own
// throughput for n no-op tasks at the same concurrency, on the same Redis.
// Both are timed from the moment the work exists (the bulk call answered;
// the tasks enqueued) until the last one is done.
func benchEvents(b *bench, concurrency int) ([]eventsResult, error) {
	ctx, bin, dbURL, redisURL, n, rounds := b.ctx, b.bin, b.dbURL, b.redisURL, b.events, b.rounds
	prefix := fmt.Sprintf("campus_bench_%d:", time.Now().UnixNano())
	env := []string{"ENV=testing", "DATABASE_URL=" + dbURL, "REDIS_URL=" + redisURL, "QUEUE_PREFIX=" + prefix, "CACHE_PREFIX=" + prefix,
		"LOG_LEVEL=ERROR", "LOG_FILE=", "SECRET_KEY=load-test-secret-key-of-at-least-32-bytes", "BCRYPT_COST=10",
		"POOL_SIZE=10", "POOL_MAX_OVERFLOW=10", "WORKER_CONCURRENCY=" + strconv.Itoa(concurrency)}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	api := exec.Command(bin, "serve", "--migrate")
	api.Env = append(os.Environ(), append(env, "PORT="+strconv.Itoa(port), "HOST=127.0.0.1")...)
	api.Stdout, api.Stderr = os.Stdout, os.Stderr
	if err := api.Start(); err != nil {
		return nil, err
	}
	defer stop(api)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHealthy(base+"/health", 60*time.Second); err != nil {
		return nil, err
	}
	worker := exec.Command(bin, "worker")
	worker.Env = append(os.Environ(), env...)
	worker.Stdout, worker.Stderr = os.Stdout, os.Stderr
	if err := worker.Start(); err != nil {
		return nil, err
	}
	defer stop(worker)
	defer func() { b.workerPeak, _ = peakRSS(worker.Process.Pid) }()

	staff, err := login(base)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return nil, err
	}
	defer conn.Close(ctx)
	ids, err := studentIDs(ctx, conn, n)
	if err != nil {
		return nil, err
	}
	// The earlier scenarios' marks left events in the outbox: let the
	// worker work them off first, so each round times only its own.
	if err := drained(ctx, conn, redisURL, prefix); err != nil {
		return nil, err
	}

	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	b.workerIdle, _ = rss(worker.Process.Pid)
	var campus, noop []time.Duration
	// Recent days, inside the agent's 30-day window, so every mark is
	// assessed (the bulk scenario's January marks are outside it).
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -rounds)
	for r := 0; r < rounds; r++ {
		failedBefore, err := failedJobs(insp, prefix)
		if err != nil {
			return nil, err
		}
		if _, err := postBulk(base, staff, day.AddDate(0, 0, r), ids); err != nil {
			return nil, err
		}
		start := time.Now()
		for {
			done, err := idle(ctx, conn, insp, prefix)
			if err != nil {
				return nil, err
			}
			if done {
				break
			}
			if time.Since(start) > 10*time.Minute {
				return nil, errors.New("attendance events not processed after 10 minutes")
			}
			time.Sleep(10 * time.Millisecond)
		}
		campus = append(campus, time.Since(start))
		if failed, err := failedJobs(insp, prefix); err != nil || failed != failedBefore {
			return nil, fmt.Errorf("events failed during the round: %d (%v)", failed-failedBefore, err)
		}

		d, err := asynqNoop(redisURL, prefix+"noop", len(ids), concurrency)
		if err != nil {
			return nil, err
		}
		noop = append(noop, d)
		fmt.Printf("  round %d %d events: relay + attendance-risk %s, asynq no-op %s\n", r+1, len(ids),
			campus[r].Round(time.Millisecond), d.Round(time.Millisecond))
	}
	return []eventsResult{eventsMedian("asynq no-op tasks (baseline)", noop, len(ids)),
		eventsMedian("attendance marks → relay → attendance-risk agent", campus, len(ids))}, nil
}

// idle reports whether the outbox has nothing left to relay and the
// worker's queues nothing left to run.
func idle(ctx context.Context, conn *pgx.Conn, insp *asynq.Inspector, prefix string) (bool, error) {
	var pending int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL").Scan(&pending); err != nil {
		return false, err
	}
	if pending > 0 {
		return false, nil
	}
	for _, q := range []string{"critical", "default", "low"} {
		info, err := insp.GetQueueInfo(prefix + q)
		if err != nil {
			continue // a queue nothing was ever put in
		}
		if info.Pending+info.Active+info.Scheduled+info.Retry > 0 {
			return false, nil
		}
	}
	return true, nil
}

// failedJobs counts the worker's jobs that failed for good.
func failedJobs(insp *asynq.Inspector, prefix string) (int, error) {
	n := 0
	for _, q := range []string{"critical", "default", "low"} {
		if info, err := insp.GetQueueInfo(prefix + q); err == nil {
			n += info.Archived
		}
	}
	return n, nil
}

// drained waits until the earlier scenarios' events are worked off.
func drained(ctx context.Context, conn *pgx.Conn, redisURL, prefix string) error {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return err
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	deadline := time.Now().Add(15 * time.Minute)
	for time.Now().Before(deadline) {
		done, err := idle(ctx, conn, insp, prefix)
		if err != nil || done {
			return err
		}
		time.Sleep(500 * time.Millisecond)
	}
	return errors.New("the worker did not drain the earlier scenarios' events within 15 minutes")
}

func eventsMedian(name string, ds []time.Duration, n int) eventsResult {
	m := median(name, ds, n)
	return eventsResult{name: name, rate: m.rps, took: m.took}
}

// asynqNoop enqueues n no-op tasks, then times a server of the given
// concurrency processing them all.
func asynqNoop(redisURL, queue string, n, concurrency int) (time.Duration, error) {
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return 0, err
	}
	client := asynq.NewClient(opt)
	defer client.Close()
	for i := 0; i < n; i++ {
		if _, err := client.Enqueue(asynq.NewTask("bench:noop", []byte(`{"n":`+strconv.Itoa(i)+`}`)), asynq.Queue(queue)); err != nil {
			return 0, err
		}
	}
	var done atomic.Int64
	finished := make(chan struct{})
	srv := asynq.NewServer(opt, asynq.Config{Concurrency: concurrency, Queues: map[string]int{queue: 1},
		LogLevel: asynq.ErrorLevel})
	start := time.Now()
	if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
		if done.Add(1) == int64(n) {
			close(finished)
		}
		return nil
	})); err != nil {
		return 0, err
	}
	select {
	case <-finished:
	case <-time.After(10 * time.Minute):
		srv.Shutdown()
		return 0, fmt.Errorf("asynq processed %d of %d no-op tasks", done.Load(), n)
	}
	took := time.Since(start)
	srv.Shutdown()
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	_ = insp.DeleteQueue(queue, true)
	return took, nil
}

// studentIDs returns the ids of the first n students (seeded by benchBulk).
func studentIDs(ctx context.Context, conn *pgx.Conn, n int) ([]int64, error) {
	// The demo campus's students: 120 days of history each, so every mark
	// is assessed against real figures.
	r, err := conn.Query(ctx, "SELECT id FROM students WHERE roll_no NOT LIKE 'BENCH-%' ORDER BY id LIMIT $1", n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(r, pgx.RowTo[int64])
}
