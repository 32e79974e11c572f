package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
	"github.com/jackc/pgx/v5"

	"github.com/campus/campus/tests/loadkit"
)

// cluster is a private PostgreSQL cluster and Redis, and the campus
// processes on them.
type cluster struct {
	tmp, bin          string
	pgBin, pgData     string
	pgPort, redisPort int
	pgURL, redisURL   string
	runAs             []string // prefix that runs PostgreSQL's tools as its own user when this is root
	redis             *exec.Cmd
	env               []string
	apiBase           string
	mu                sync.Mutex
	procs             map[string]*exec.Cmd // live campus processes by name
	workerSeq         int
	logDir            string
}

func newCluster() (*cluster, error) {
	tmp, err := os.MkdirTemp("", "campus-soak-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(tmp, 0o755); err != nil { //nolint:gosec // PostgreSQL's own user must reach its data directory
		return nil, err
	}
	c := &cluster{tmp: tmp, procs: map[string]*exec.Cmd{}, logDir: filepath.Join(tmp, "logs")}
	return c, os.MkdirAll(c.logDir, 0o755) //nolint:gosec // logs of this run
}

// boot builds the binary, starts PostgreSQL and Redis, the API (which
// migrates and seeds the accounts), the demo campus, two workers and a
// scheduler.
func (c *cluster) boot(students int) error {
	c.bin = filepath.Join(c.tmp, "campus")
	fmt.Println("building campus ...")
	build := exec.Command("go", "build", "-trimpath", "-o", c.bin, "./bootstrap/cmd/campus") //nolint:gosec // a path in this run's directory
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}
	if err := c.startPostgres(); err != nil {
		return err
	}
	if err := c.startRedis(); err != nil {
		return err
	}
	c.env = append(os.Environ(), "ENV=testing", "DATABASE_URL="+c.pgURL, "REDIS_URL="+c.redisURL, "LOG_LEVEL=WARN", "LOG_FILE=",
		"SECRET_KEY=soak-test-secret-key-of-at-least-32-bytes!", "BCRYPT_COST=10", "POOL_SIZE=10", "POOL_MAX_OVERFLOW=10",
		"AUTH_RATE_LIMIT_PER_MINUTE=100000000", "HOST=127.0.0.1", "CACHE_PREFIX=soak:", "QUEUE_PREFIX=soak:",
		"ACCESS_TOKEN_EXPIRE_MINUTES=240")
	port, err := freePort()
	if err != nil {
		return err
	}
	c.apiBase = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := c.start("api", "serve", "--migrate", "PORT="+strconv.Itoa(port)); err != nil {
		return err
	}
	if err := waitHealthy(c.apiBase+"/health", time.Minute); err != nil {
		return err
	}
	fmt.Printf("demo campus: %d students x 30 school days\n", students)
	seed := exec.Command(c.bin, "seed", "demo", "--students", strconv.Itoa(students), "--days", "30") //nolint:gosec // the binary built here
	seed.Env, seed.Stdout, seed.Stderr = c.env, os.Stdout, os.Stderr
	if err := seed.Run(); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	for range 2 {
		if err := c.startWorker(); err != nil {
			return err
		}
	}
	return c.start("scheduler", "scheduler")
}

// start runs a campus process; extra arguments with "=" are settings.
func (c *cluster) start(name string, args ...string) error {
	var cmdArgs, env []string
	for _, a := range args {
		if len(a) > 0 && a[0] != '-' && strings.Contains(a, "=") {
			env = append(env, a)
		} else {
			cmdArgs = append(cmdArgs, a)
		}
	}
	log, err := os.Create(filepath.Join(c.logDir, name+".log")) //nolint:gosec // a file in this run's directory
	if err != nil {
		return err
	}
	cmd := exec.Command(c.bin, cmdArgs...) //nolint:gosec // the binary built here
	cmd.Env = append(append([]string{}, c.env...), env...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return err
	}
	c.mu.Lock()
	c.procs[name] = cmd
	c.mu.Unlock()
	return nil
}

func (c *cluster) startWorker() error {
	c.workerSeq++
	return c.start(fmt.Sprintf("worker-%d", c.workerSeq), "worker")
}

// killWorker SIGKILLs the first worker mid-work and starts another.
func (c *cluster) killWorker() fault {
	f := fault{name: "worker-1 SIGKILLed, worker-3 started", start: time.Now()}
	c.mu.Lock()
	w := c.procs["worker-1"]
	delete(c.procs, "worker-1")
	c.mu.Unlock()
	if w != nil {
		_ = w.Process.Signal(syscall.SIGKILL)
		_, _ = w.Process.Wait()
	}
	if err := c.startWorker(); err != nil {
		fmt.Fprintln(os.Stderr, "soak: start worker:", err)
	}
	f.end = time.Now()
	return f
}

// startPostgres makes and starts a private cluster (as the postgres user
// when this runs as root: PostgreSQL refuses root).
func (c *cluster) startPostgres() error {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return errors.New("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
	}
	sort.Strings(matches)
	c.pgBin = filepath.Dir(matches[len(matches)-1])
	c.pgData = filepath.Join(c.tmp, "pgdata")
	if err := os.MkdirAll(c.pgData, 0o700); err != nil {
		return err
	}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		c.runAs = []string{"runuser", "-u", "postgres", "--"}
		pgUser, err := user.Lookup("postgres")
		if err != nil {
			return fmt.Errorf("running as root, PostgreSQL needs its own user: %w", err)
		}
		uid, _ := strconv.Atoi(pgUser.Uid)
		gid, _ := strconv.Atoi(pgUser.Gid)
		if err := os.Chown(c.pgData, uid, gid); err != nil {
			return err
		}
	}
	var err error
	if c.pgPort, err = freePort(); err != nil {
		return err
	}
	if err := c.pg("initdb", "-D", c.pgData, "-U", "postgres", "--auth=trust", "-E", "UTF8"); err != nil {
		return err
	}
	if err := c.pgCtl("start"); err != nil {
		return err
	}
	c.pgURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.pgPort)
	return nil
}

func (c *cluster) pg(tool string, args ...string) error {
	argv := append(append(append([]string{}, c.runAs...), filepath.Join(c.pgBin, tool)), args...)
	cmd := exec.Command(argv[0], argv[1:]...) //nolint:gosec // PostgreSQL's own tools
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", tool, err, out)
	}
	return nil
}

func (c *cluster) pgCtl(action string) error {
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200", c.pgPort, c.pgData)
	return c.pg("pg_ctl", "-D", c.pgData, "-o", opts, "-l", filepath.Join(c.pgData, "server.log"), "-w", "-m", "fast", action)
}

// restartPostgres stops the cluster (fast: connections are cut), keeps it
// down for down, and starts it again.
func (c *cluster) restartPostgres(down time.Duration) fault {
	f := fault{name: fmt.Sprintf("PostgreSQL stopped, started again %s later", down), start: time.Now()}
	if err := c.pgCtl("stop"); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	time.Sleep(down)
	if err := c.pgCtl("start"); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	f.end = time.Now()
	return f
}

func (c *cluster) startRedis() error {
	if c.redisPort == 0 {
		var err error
		if c.redisPort, err = freePort(); err != nil {
			return err
		}
		c.redisURL = fmt.Sprintf("redis://127.0.0.1:%d/0", c.redisPort)
	}
	// As in production: the queues persist (append-only file), so tasks
	// outlive a restart.
	dir := filepath.Join(c.tmp, "redis")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	c.redis = exec.Command("redis-server", "--port", strconv.Itoa(c.redisPort), "--bind", "127.0.0.1", "--dir", dir, //nolint:gosec // a port and directory chosen here
		"--save", "", "--appendonly", "yes", "--appendfsync", "always")
	if err := c.redis.Start(); err != nil {
		return fmt.Errorf("redis-server: %w", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", c.redisPort)); err == nil {
			_ = conn.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("redis-server did not listen")
}

// restartRedis stops Redis, keeps it down for down and starts it again
// from its append-only file.
func (c *cluster) restartRedis(down time.Duration) fault {
	f := fault{name: fmt.Sprintf("Redis stopped, started again %s later (append-only file)", down), start: time.Now()}
	_ = c.redis.Process.Signal(syscall.SIGTERM)
	_, _ = c.redis.Process.Wait()
	time.Sleep(down)
	if err := c.startRedis(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	f.end = time.Now()
	return f
}

// drain waits until the outbox has nothing unrelayed and the queues have
// nothing pending, scheduled, retrying or running.
func (c *cluster) drain(ctx context.Context, limit time.Duration) error {
	opt, err := asynq.ParseRedisURI(c.redisURL)
	if err != nil {
		return err
	}
	insp := asynq.NewInspector(opt)
	defer insp.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		conn, err := pgx.Connect(ctx, c.pgURL)
		if err == nil {
			var left int
			err = conn.QueryRow(ctx, "SELECT count(*) FROM outbox_events WHERE relayed_at IS NULL").Scan(&left)
			conn.Close(ctx)
			if err == nil && left == 0 && queuesIdle(insp) {
				return nil
			}
		}
		time.Sleep(time.Second)
	}
	return fmt.Errorf("events still pending %s after the traffic ended", limit)
}

func queuesIdle(insp *asynq.Inspector) bool {
	queues, err := insp.Queues()
	if err != nil {
		return false
	}
	for _, q := range queues {
		info, err := insp.GetQueueInfo(q)
		if err != nil {
			return false
		}
		if info.Pending+info.Scheduled+info.Retry+info.Active+info.Aggregating > 0 {
			return false
		}
	}
	return true
}

// sample is one process's resident memory at a time.
type sample struct {
	at  time.Time
	rss uint64
}

type sampler struct {
	stopCh  chan struct{}
	done    chan map[string][]sample
	cluster *cluster
}

// sampleMemory records every live campus process's RSS every interval.
func (c *cluster) sampleMemory(every time.Duration) *sampler {
	s := &sampler{stopCh: make(chan struct{}), done: make(chan map[string][]sample, 1), cluster: c}
	go func() {
		out := map[string][]sample{}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			c.mu.Lock()
			for name, p := range c.procs {
				if rss, err := loadkit.RSS(p.Process.Pid); err == nil {
					out[name] = append(out[name], sample{at: time.Now(), rss: rss})
				}
			}
			c.mu.Unlock()
			select {
			case <-s.stopCh:
				s.done <- out
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *sampler) stop() map[string][]sample {
	close(s.stopCh)
	return <-s.done
}

// close stops every process and the private services.
func (c *cluster) close() {
	c.mu.Lock()
	for _, p := range c.procs {
		_ = p.Process.Signal(syscall.SIGTERM)
	}
	for _, p := range c.procs {
		done := make(chan struct{})
		go func() { _, _ = p.Process.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = p.Process.Kill()
		}
	}
	c.mu.Unlock()
	if c.redis != nil && c.redis.Process != nil {
		_ = c.redis.Process.Kill()
		_, _ = c.redis.Process.Wait()
	}
	if c.pgData != "" {
		_ = c.pgCtl("stop")
	}
	if os.Getenv("SOAK_KEEP") == "" {
		_ = os.RemoveAll(c.tmp)
	} else {
		fmt.Println("kept", c.tmp)
	}
}

var freePort = loadkit.FreePort

func waitHealthy(url string, limit time.Duration) error {
	return loadkit.WaitHealthy(url, limit, 100*time.Millisecond)
}
