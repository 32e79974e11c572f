package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// analyticsEndpoints are the analytics answers measured against their own
// SQL on the demo campus.
var analyticsEndpoints = []struct{ name, path string }{
	{"GET /analytics/summary", "/api/v1/analytics/summary"},
	{"GET /analytics/attendance/trends, one department, 120 days", "/api/v1/analytics/attendance/trends?department=Computer%20Science&days=120"},
}

// analyticsResult holds one endpoint's medians: the HTTP answer without
// cache, the same statements through psql, and the cached answer.
type analyticsResult struct {
	name                   string
	statements             int
	uncached, sql, cached  time.Duration
	uncachedRPS, cachedRPS float64
	uncachedP99, cachedP99 time.Duration
	sqlSamples             int
}

// benchAnalyticsSection reports benchAnalytics.
func benchAnalyticsSection(b *bench) (string, error) {
	an, err := benchAnalytics(b.bin, b.dbURL, b.apiBase, b.rawBase, b.token, b.rounds, b.duration)
	if err != nil {
		return "", err
	}
	var s strings.Builder
	s.WriteString("## Analytics\n\nOne connection (wrk -t1 -c1): an analytics answer is one person's question. Uncached: ENABLE_CACHING=false. " +
		"The baseline replays the statements the request ran (captured with DATABASE_ECHO=true, without those every authenticated " +
		"request runs) through one psql session with \\timing; p50 of each.\n\n")
	s.WriteString("| scenario | statements | psql p50 | uncached p50 (req/s) | ratio to psql | goal | cached p50 (req/s) | goal |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range an {
		fmt.Fprintf(&s, "| %s | %d | %s | %s (%.0f) | %.2f× | ≤ 1.2× | %s (%.0f) | < 2ms |\n", r.name, r.statements,
			r.sql.Round(time.Microsecond), r.uncached, r.uncachedRPS, float64(r.uncached)/float64(r.sql), r.cached, r.cachedRPS)
	}
	return s.String(), nil
}

// seedDemo fills the bench database with `campus seed demo`.
func seedDemo(bin, dbURL string, students, days int) error {
	cmd := exec.Command(bin, "seed", "demo", "--students", strconv.Itoa(students), "--days", strconv.Itoa(days), "--seed", "1") //nolint:gosec // the binary this tool built
	cmd.Env = serveEnv(dbURL)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	return nil
}

// benchAnalytics measures each endpoint three ways, one connection at a
// time (an analytics answer is one client's question, not a flood):
//   - uncached through the HTTP API (ENABLE_CACHING=false), p50 by wrk;
//   - the statements that request ran, captured from a server with
//     DATABASE_ECHO=true (minus those any authenticated request runs),
//     replayed through one psql session with \timing, p50 of their sum;
//   - cached through the HTTP API, p50 by wrk.
func benchAnalytics(bin, dbURL, cachedBase, uncachedBase, token string, rounds int, d time.Duration) ([]analyticsResult, error) {
	if _, err := exec.LookPath("psql"); err != nil {
		return nil, errors.New("psql is not installed")
	}
	echo := &syncBuffer{}
	echoBase, _, stopEcho, err := startServe(bin, dbURL, echo, "ENABLE_CACHING=false", "DATABASE_ECHO=true")
	if err != nil {
		return nil, err
	}
	defer stopEcho()
	common, err := capture(echo, echoBase+"/api/v1/auth/permissions", token)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, q := range common {
		skip[q] = true
	}

	var out []analyticsResult
	for _, ep := range analyticsEndpoints {
		all, err := capture(echo, echoBase+ep.path, token)
		if err != nil {
			return nil, err
		}
		var own []string
		for _, q := range all {
			if !skip[q] {
				own = append(own, q)
			}
		}
		if len(own) == 0 {
			return nil, fmt.Errorf("%s: no statements captured", ep.name)
		}
		fmt.Printf("  %s runs %d statement(s) of its own\n", ep.name, len(own))
		r := analyticsResult{name: ep.name, statements: len(own)}
		// Warm both paths (plans, buffers, the cache) before measuring.
		if _, err := get(cachedBase+ep.path, token); err != nil {
			return nil, err
		}
		if _, err := psqlTimes(dbURL, own, 3); err != nil {
			return nil, err
		}
		unc := target{name: ep.name, url: uncachedBase + ep.path, token: token}
		cac := target{name: ep.name, url: cachedBase + ep.path, token: token}
		if _, err := wrk(unc, 1, 1, 2*time.Second); err != nil {
			return nil, err
		}
		var sqlP50 []time.Duration
		for round := 0; round < rounds; round++ {
			for _, t := range []*target{&unc, &cac} {
				res, err := wrk(*t, 1, 1, d)
				if err != nil {
					return nil, err
				}
				if res.non2xx > 0 || res.errors > 0 {
					return nil, fmt.Errorf("%s: %d non-2xx answers, %d socket errors", t.url, res.non2xx, res.errors)
				}
				t.results = append(t.results, res)
			}
			// As many executions as the uncached endpoint answered in a
			// round, at least 10.
			n := int(unc.results[round].rps * d.Seconds())
			n = max(10, min(n, 2000))
			times, err := psqlTimes(dbURL, own, n)
			if err != nil {
				return nil, err
			}
			sqlP50 = append(sqlP50, percentile(times, 0.5))
			r.sqlSamples += n
			fmt.Printf("  round %d %-60s http p50 %8s  psql p50 %8s  cached p50 %8s\n", round+1, ep.name,
				unc.results[round].p50, sqlP50[round].Round(time.Microsecond), cac.results[round].p50)
		}
		um, cm := medianP50(unc.results), medianP50(cac.results)
		r.uncached, r.uncachedRPS, r.uncachedP99 = um.p50, um.rps, um.p99
		r.cached, r.cachedRPS, r.cachedP99 = cm.p50, cm.rps, cm.p99
		r.sql = percentile(sqlP50, 0.5)
		out = append(out, r)
	}
	return out, nil
}

// medianP50 is the round with the median p50.
func medianP50(rs []result) result {
	rs = append([]result(nil), rs...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].p50 < rs[j].p50 })
	return rs[len(rs)/2]
}

func percentile(ds []time.Duration, p float64) time.Duration {
	ds = append([]time.Duration(nil), ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[int(p*float64(len(ds)-1))]
}

// capture makes one request to a DATABASE_ECHO server and returns the
// statements it logged meanwhile, in order.
func capture(echo *syncBuffer, url, token string) ([]string, error) {
	from := echo.Len()
	if _, err := get(url, token); err != nil {
		return nil, err
	}
	time.Sleep(300 * time.Millisecond) // the echo is written after each statement
	return parseEcho(echo.From(from)), nil
}

// reEcho matches one bundebug line: "[bun]  15:04:05.000  SELECT  1.2ms  <query>".
var reEcho = regexp.MustCompile(`(?s)^\s+\d\d:\d\d:\d\d\.\d+\s+\S+\s+\S+\s+(.*)$`)

// parseEcho splits bundebug's output into statements (a statement may span
// lines) and drops the transaction brackets.
func parseEcho(s string) []string {
	var qs []string
	for _, part := range strings.Split(s, "[bun]")[1:] {
		m := reEcho.FindStringSubmatch(part)
		if m == nil {
			continue
		}
		q := strings.TrimSpace(m[1])
		switch strings.ToUpper(q) {
		case "", "BEGIN", "COMMIT", "ROLLBACK":
			continue
		}
		qs = append(qs, q)
	}
	return qs
}

// reTiming matches psql's \timing line.
var reTiming = regexp.MustCompile(`Time: ([\d.]+) ms`)

// psqlTimes runs the statements n times through one psql session and
// returns the time of each run (the sum of its statements' \timing).
func psqlTimes(dbURL string, stmts []string, n int) ([]time.Duration, error) {
	dir, err := os.MkdirTemp("", "campus-psql-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var script strings.Builder
	script.WriteString("\\set ON_ERROR_STOP on\n\\timing on\n\\o /dev/null\n")
	for range n {
		for _, q := range stmts {
			script.WriteString(strings.TrimRight(q, "; \n"))
			script.WriteString(";\n")
		}
	}
	file := filepath.Join(dir, "bench.sql")
	if err := os.WriteFile(file, []byte(script.String()), 0o600); err != nil {
		return nil, err
	}
	outb, err := exec.Command("psql", "-X", "-q", "-f", file, dbURL).CombinedOutput() //nolint:gosec // a script this tool wrote
	if err != nil {
		return nil, fmt.Errorf("psql: %w: %s", err, outb)
	}
	ms := reTiming.FindAllStringSubmatch(string(outb), -1)
	if len(ms) != n*len(stmts) {
		return nil, fmt.Errorf("psql printed %d timings, want %d: %s", len(ms), n*len(stmts), outb)
	}
	times := make([]time.Duration, n)
	for i, m := range ms {
		v, _ := strconv.ParseFloat(m[1], 64)
		times[i/len(stmts)] += time.Duration(v * float64(time.Millisecond))
	}
	return times, nil
}

// syncBuffer is an io.Writer a child process writes to while this one reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Len()
}

func (b *syncBuffer) From(i int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf.Bytes()[i:])
}
