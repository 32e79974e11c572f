package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// startBare runs this program's bare baseline server and returns its base
// URL and a stop function.
func startBare(path string, args ...string) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(self, append([]string{"bare", strconv.Itoa(port)}, args...)...) //nolint:gosec // this program, arguments built here
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHealthy(base+path, 20*time.Second); err != nil {
		stop(cmd)
		return "", nil, fmt.Errorf("bare: %w", err)
	}
	return base, func() { stop(cmd) }, nil
}

// benchStudent: GET /api/v1/students/{id} with a bearer token, cached
// against a bare Fiber handler returning the same JSON, and with the cache
// off against a bare Fiber handler doing the same primary-key query with
// pgx. Same wrk threads and connections for all four.
func benchStudent(b *bench) (string, error) {
	path := "/api/v1/students/1"
	sample, err := get(b.apiBase+path, b.token)
	if err != nil {
		return "", err
	}
	samplePath := filepath.Join(b.tmp, "sample.json")
	if err := os.WriteFile(samplePath, sample, 0o600); err != nil {
		return "", err
	}
	bareJSON, stopJSON, err := startBare(path, samplePath)
	if err != nil {
		return "", err
	}
	defer stopJSON()
	barePgx, stopPgx, err := startBare(path, samplePath, b.dbURL)
	if err != nil {
		return "", err
	}
	defer stopPgx()
	// Context, not a goal: the service runs two statements per uncached
	// request (the session's principal, then the student); this baseline
	// runs the same two.
	barePgx2, stopPgx2, err := startBare(path, samplePath, b.dbURL, "session")
	if err != nil {
		return "", err
	}
	defer stopPgx2()
	cached := []*target{
		{name: "bare Fiber handler, same JSON (baseline)", url: bareJSON + path},
		{name: "GET /students/{id}, bearer, cached", url: b.apiBase + path, token: b.token, goal: "≥ 0.50"},
	}
	uncached := []*target{
		{name: "bare Fiber handler, same PK query with pgx (baseline)", url: barePgx + path},
		{name: "GET /students/{id}, bearer, ENABLE_CACHING=false", url: b.rawBase + path, token: b.token, goal: "≥ 0.50"},
		{name: "bare Fiber handler, pgx, the service's two statements (session principal, then the PK query)", url: barePgx2 + path, goal: "context"},
	}
	fmt.Printf("body %d bytes; wrk -t%d -c%d\n", len(sample), b.threads, b.conns)
	if err := b.compare(b.threads, b.conns, append(cached, uncached...)); err != nil {
		return "", err
	}
	return fmt.Sprintf("## GET /students/{id}\n\nwrk -t%d -c%d, body %d bytes.\n\n%s\n%s\nCached vs uncached: %.1f×. "+
		"Uncached vs the bare handler running the same two statements: %.2f.\n",
		b.threads, b.conns, len(sample), table(cached), table(uncached), cached[1].median().rps/uncached[1].median().rps,
		uncached[1].median().rps/uncached[2].median().rps), nil
}
