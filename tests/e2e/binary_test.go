package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// TestBinary builds the one binary and drives it as an operator would: the
// README's run command on a fresh directory (SQLite, migrated and seeded on
// start), config check, migrations, and a graceful stop on SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := buildBinary(t)
	work := t.TempDir()
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = append(cleanEnv(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	out, err := run(nil, "version")
	if err != nil || !strings.HasPrefix(out, "campus ") {
		t.Fatalf("version: %v %q", err, out)
	}
	out, err = run([]string{"SECRET_KEY=operator-secret-key-that-is-32-bytes-long"}, "config", "check")
	if err != nil || !strings.Contains(out, "SECRET_KEY") || strings.Contains(out, "operator-secret") || !strings.Contains(out, "configuration OK") {
		t.Fatalf("config check: %v\n%s", err, out)
	}
	out, err = run([]string{"ENV=production", "DEBUG=true"}, "config", "check")
	if err == nil || !strings.Contains(out, "DATABASE_URL") || !strings.Contains(out, "REDIS_URL") || !strings.Contains(out, "DEBUG") {
		t.Fatalf("production config check should refuse: %v\n%s", err, out)
	}
	if out, err = run([]string{"ENV=production"}, "serve"); err == nil || !strings.Contains(out, "refusing to start") {
		t.Fatalf("production serve should refuse: %v\n%s", err, out)
	}
	if out, err = run(nil, "worker"); err == nil || !strings.Contains(out, "needs REDIS_URL") {
		t.Fatalf("worker without Redis should refuse: %v\n%s", err, out)
	}
	if out, err = run(nil, "scheduler"); err == nil || !strings.Contains(out, "needs REDIS_URL") {
		t.Fatalf("scheduler without Redis should refuse: %v\n%s", err, out)
	}
	if out, err = run(nil, "migrate", "up"); err != nil {
		t.Fatalf("migrate up: %v\n%s", err, out)
	}
	out, err = run(nil, "migrate", "status")
	if err != nil || strings.Contains(out, "false") || !strings.Contains(out, "0001_students") {
		t.Fatalf("migrate status: %v\n%s", err, out)
	}

	// serve: the README's command, in a fresh directory.
	port := freeTCPPort(t)
	cmd := exec.Command(bin, "serve")
	cmd.Dir = work
	cmd.Env = append(cleanEnv(), fmt.Sprintf("PORT=%d", port))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, base+"/health", &logs)
	resp, err := http.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"admin","password":"admin123"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login on the running binary: %v %v\n%s", err, resp, logs.String())
	}
	resp.Body.Close()
	if _, err := os.Stat(filepath.Join(work, "campus.db")); err != nil {
		t.Fatalf("no ./campus.db: %v", err)
	}
	if _, err := os.Stat(filepath.Join(work, "logs", "app.log")); err != nil {
		t.Fatalf("no logs/app.log: %v", err)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM\n%s", err, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not stop on SIGTERM\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "stopped") {
		t.Fatalf("no orderly stop logged:\n%s", logs.String())
	}
}

// cleanEnv is the test process's environment without campus settings, so a
// developer's shell cannot change what the binary sees.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "PATH", "HOME", "TMPDIR", "GOCACHE", "GOPATH", "GOMODCACHE":
			out = append(out, kv)
		}
	}
	return append(out, "BCRYPT_COST=4", "LOG_LEVEL=INFO")
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(t *testing.T, url string, logs *bytes.Buffer) {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy\n%s", url, logs.String())
}

var binary struct {
	sync.Once
	path string
	err  error
	out  []byte
}

// buildBinary builds the campus binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.Do(func() {
		dir, err := os.MkdirTemp("", "campus-bin-")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "campus")
		binary.out, binary.err = exec.Command("go", "build", "-o", binary.path, "github.com/campus/campus/bootstrap/cmd/campus").CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

// TestMonitorCommand serves asynqmon from the binary over the test Redis:
// the queue a job was enqueued to shows in its API, and it stops on SIGTERM.
func TestMonitorCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	redisURL := testenv.RedisURL(t)
	bin := buildBinary(t)
	if out, err := exec.Command(bin, "monitor").CombinedOutput(); err == nil || !strings.Contains(string(out), "REDIS_URL is required") {
		t.Fatalf("monitor without Redis: %v %s", err, out)
	}
	prefix := testenv.KeyPrefix(t)
	q, cleanup, err := queue.NewAsynqQueue(queue.AsynqConfig{RedisURL: redisURL, QueuePrefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if _, err := q.Enqueue(context.Background(), ports.Job{Type: "monitor:probe", Payload: []byte(`{}`)}, ports.EnqueueOptions{Queue: ports.QueueLow}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		opt, err := asynq.ParseRedisURI(redisURL)
		if err != nil {
			return
		}
		insp := asynq.NewInspector(opt)
		defer insp.Close()
		_ = insp.DeleteQueue(prefix+ports.QueueLow, true)
	})

	port := freeTCPPort(t)
	cmd := exec.Command(bin, "monitor", "--addr", fmt.Sprintf("127.0.0.1:%d", port), "--read-only")
	cmd.Env = append(cleanEnv(), "REDIS_URL="+redisURL)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitFor(t, base+"/", &logs)
	resp, err := http.Get(base + "/api/queues")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), prefix+ports.QueueLow) {
		t.Fatalf("asynqmon queues: %d %s", resp.StatusCode, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("monitor exited with %v after SIGTERM\n%s", err, logs.String())
	}
}
