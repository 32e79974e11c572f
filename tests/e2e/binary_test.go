package e2e

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBinary builds the one binary and drives it as an operator would: the
// README's run command on a fresh directory (SQLite, migrated and seeded on
// start), config check, migrations, and a graceful stop on SIGTERM.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "campus")
	build := exec.Command("go", "build", "-o", bin, "github.com/campus/campus/bootstrap/cmd/campus")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
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
