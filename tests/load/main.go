// Command load measures the service's hot paths against baselines measured
// in the same run on the same machine, and reports ratios (machines here
// are shared and noisy, so absolute figures mean little on their own).
//
// Scenario "student": GET /api/v1/students/{id} with a bearer token on
// PostgreSQL, against a bare Fiber handler returning a JSON object of the
// same size. Both servers run as child processes and are loaded by wrk with
// the same connections and duration, alternating over several rounds.
//
//	go run ./tests/load -rounds 3 -duration 10s
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "bare" {
		serveBare(os.Args[2], os.Args[3])
		return
	}
	var (
		rounds   = flag.Int("rounds", 3, "measured rounds per target (median is reported)")
		duration = flag.Duration("duration", 10*time.Second, "length of each wrk round")
		warmup   = flag.Duration("warmup", 3*time.Second, "warm-up before the rounds")
		conns    = flag.Int("connections", 64, "wrk connections")
		threads  = flag.Int("threads", 2, "wrk threads")
		redisURL = flag.String("redis", envOr("CAMPUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"), "Redis for the events scenario (keys under a fresh prefix)")
		events   = flag.Int("events", 5000, "attendance events per round of the events scenario (0: skip it)")
		pgURL    = flag.String("postgres", envOr("CAMPUS_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server to create the bench database on")
		out      = flag.String("out", "tests/load/RESULTS.md", "results file (empty: none)")
		students = flag.Int("demo-students", 10000, "students of the generated demo campus (campus seed demo)")
		days     = flag.Int("demo-days", 120, "school days of attendance of the demo campus")
	)
	flag.Parse()
	if err := run(*rounds, *duration, *warmup, *conns, *threads, *pgURL, *redisURL, *events, *students, *days, *out); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(rounds int, duration, warmup time.Duration, conns, threads int, pgURL, redisURL string, events, students, days int, out string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install wrk)")
	}
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "campus-load-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	bin := filepath.Join(tmp, "campus")
	fmt.Println("building campus ...")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, "./bootstrap/cmd/campus")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	dbURL, drop, err := createDatabase(ctx, pgURL)
	if err != nil {
		return err
	}
	defer drop()

	apiBase, stopAPI, err := startAPI(bin, dbURL, true)
	if err != nil {
		return err
	}
	defer stopAPI()
	rawBase, stopRaw, err := startAPI(bin, dbURL, false)
	if err != nil {
		return err
	}
	defer stopRaw()
	token, err := login(apiBase)
	if err != nil {
		return err
	}
	fmt.Printf("generating the demo campus: %d students x %d school days ...\n", students, days)
	if err := seedDemo(bin, dbURL, students, days); err != nil {
		return err
	}
	path := "/api/v1/students/1"
	sample, err := get(apiBase+path, token)
	if err != nil {
		return err
	}

	barePort, err := freePort()
	if err != nil {
		return err
	}
	samplePath := filepath.Join(tmp, "sample.json")
	if err := os.WriteFile(samplePath, sample, 0o600); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bare := exec.Command(self, "bare", strconv.Itoa(barePort), samplePath)
	bare.Stdout, bare.Stderr = os.Stdout, os.Stderr
	if err := bare.Start(); err != nil {
		return err
	}
	defer stop(bare)
	bareBase := fmt.Sprintf("http://127.0.0.1:%d", barePort)
	if err := waitHealthy(bareBase+path, 20*time.Second); err != nil {
		return fmt.Errorf("bare: %w", err)
	}

	targets := []target{
		{name: "bare Fiber handler (baseline)", url: bareBase + path},
		{name: "GET /students/{id}, bearer, PostgreSQL", url: apiBase + path, token: token, goal: "≥ 0.25"},
		{name: "same, ENABLE_CACHING=false", url: rawBase + path, token: token, goal: "(for reference)"},
	}
	fmt.Printf("body %d bytes; wrk -t%d -c%d, %s rounds x %d, warm-up %s\n", len(sample), threads, conns, duration, rounds, warmup)
	for i := range targets {
		if _, err := wrk(targets[i], threads, conns, warmup); err != nil {
			return err
		}
	}
	for r := 0; r < rounds; r++ {
		for i := range targets {
			res, err := wrk(targets[i], threads, conns, duration)
			if err != nil {
				return err
			}
			if res.non2xx > 0 || res.errors > 0 {
				return fmt.Errorf("%s: %d non-2xx answers, %d socket errors", targets[i].name, res.non2xx, res.errors)
			}
			targets[i].results = append(targets[i].results, res)
			fmt.Printf("  round %d %-40s %10.0f req/s  p99 %s\n", r+1, targets[i].name, res.rps, res.p99)
		}
	}
	base := targets[0].median()

	fmt.Printf("\nanalytics on the demo campus: endpoint vs its own SQL through psql, one connection\n")
	an, err := benchAnalytics(bin, dbURL, apiBase, rawBase, token, rounds, duration)
	if err != nil {
		return err
	}

	fmt.Println("\nbulk attendance: 10 000 records per call vs COPY of the same rows")
	bulk, err := benchBulk(ctx, dbURL, apiBase, token, 10000, rounds)
	if err != nil {
		return err
	}
	var ev []eventsResult
	if events > 0 {
		fmt.Printf("\nevents: %d attendance marks through relay + attendance-risk vs asynq no-op tasks\n", events)
		if ev, err = benchEvents(ctx, bin, dbURL, redisURL, events, rounds, 10); err != nil {
			return err
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Load results\n\nMachine: %d cores (%s/%s), %s. wrk -t%d -c%d, %d rounds of %s after %s warm-up; medians.\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339), threads, conns, rounds, duration, warmup)
	fmt.Fprintf(&b, "| scenario | req/s | p99 | ratio to baseline | goal |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %s | %.0f | %s | 1.00 | — |\n", targets[0].name, base.rps, base.p99)
	for _, t := range targets[1:] {
		m := t.median()
		fmt.Fprintf(&b, "| %s | %.0f | %s | %.2f | %s |\n", t.name, m.rps, m.p99, m.rps/base.rps, t.goal)
	}
	cached, uncached := targets[1].median(), targets[2].median()
	fmt.Fprintf(&b, "\nCached vs uncached `GET /students/{id}`: %.1f× (goal ≥ 2×).\n", cached.rps/uncached.rps)
	fmt.Fprintf(&b, "\nAnalytics on the demo campus (`campus seed demo --students %d --days %d --seed 1`), one connection (wrk -t1 -c1), "+
		"uncached with ENABLE_CACHING=false; the baseline replays the statements the request ran (captured with DATABASE_ECHO=true, "+
		"without those every authenticated request runs) through one psql session with \\timing.\n\n", students, days)
	fmt.Fprintf(&b, "| analytics scenario | statements | psql p50 | uncached p50 (req/s) | ratio to psql | goal | cached p50 (req/s) | goal |\n|---|---|---|---|---|---|---|---|\n")
	for _, r := range an {
		fmt.Fprintf(&b, "| %s | %d | %s | %s (%.0f) | %.2f× | ≤ 1.5× | %s (%.0f) | < 2ms |\n", r.name, r.statements,
			r.sql.Round(time.Microsecond), r.uncached, r.uncachedRPS, float64(r.uncached)/float64(r.sql), r.cached, r.cachedRPS)
	}
	fmt.Fprintf(&b, "\n| bulk scenario (10 000 rows) | rows/s | time | ratio to COPY | goal |\n|---|---|---|---|---|\n")
	for i, r := range bulk {
		ratio, goal := 1.0, "—"
		if i > 0 {
			ratio, goal = r.rps/bulk[0].rps, "≥ 0.25"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %.2f | %s |\n", r.name, r.rps, r.took.Round(time.Millisecond), ratio, goal)
	}
	if len(ev) == 2 {
		fmt.Fprintf(&b, "\n| events scenario (%d per round, worker concurrency 10) | events/s | time | ratio to asynq no-op | goal |\n|---|---|---|---|---|\n", events)
		fmt.Fprintf(&b, "| %s | %.0f | %s | 1.00 | — |\n", ev[0].name, ev[0].rate, ev[0].took.Round(time.Millisecond))
		fmt.Fprintf(&b, "| %s | %.0f | %s | %.2f | ≥ 0.30 |\n", ev[1].name, ev[1].rate, ev[1].took.Round(time.Millisecond), ev[1].rate/ev[0].rate)
	}
	fmt.Println()
	fmt.Print(b.String())
	if out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil { //nolint:gosec // a results file meant to be read and committed
			return err
		}
		fmt.Println("\nwritten to", out)
	}
	return nil
}

type target struct {
	name, url, token, goal string
	results                []result
}

func (t target) median() result {
	rs := append([]result(nil), t.results...)
	sort.Slice(rs, func(i, j int) bool { return rs[i].rps < rs[j].rps })
	return rs[len(rs)/2]
}

type result struct {
	rps            float64
	p50, p99       time.Duration
	non2xx, errors int
}

var (
	reRPS    = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	reP50    = regexp.MustCompile(`50%\s+([\d.]+)(us|ms|s)`)
	reP99    = regexp.MustCompile(`99%\s+([\d.]+)(us|ms|s)`)
	reNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+(\d+)`)
	reErrors = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func wrk(t target, threads, conns int, d time.Duration) (result, error) {
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if t.token != "" {
		args = append(args, "-H", "Authorization: Bearer "+t.token)
	}
	outb, err := exec.Command("wrk", append(args, t.url)...).CombinedOutput() //nolint:gosec // arguments are built here, not taken from input
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w: %s", err, outb)
	}
	out := string(outb)
	var r result
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("wrk output without Requests/sec: %s", out)
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	r.p50, r.p99 = wrkLatency(reP50, out), wrkLatency(reP99, out)
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.Atoi(m[1])
	}
	if m := reErrors.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.errors += n
		}
	}
	return r, nil
}

// wrkLatency reads one percentile of wrk's --latency table.
func wrkLatency(re *regexp.Regexp, out string) time.Duration {
	m := re.FindStringSubmatch(out)
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	unit := map[string]time.Duration{"us": time.Microsecond, "ms": time.Millisecond, "s": time.Second}[m[2]]
	return time.Duration(v * float64(unit)).Round(time.Microsecond)
}

// serveBare is the baseline: a bare Fiber handler answering the same JSON.
func serveBare(port, samplePath string) {
	body, err := os.ReadFile(samplePath) //nolint:gosec // a file this tool wrote itself
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get("/api/v1/students/:id", func(c *fiber.Ctx) error { return c.JSON(obj) })
	if err := app.Listen("127.0.0.1:" + port); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func createDatabase(ctx context.Context, adminURL string) (string, func(), error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	name := fmt.Sprintf("campus_bench_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		conn.Close(ctx)
		return "", nil, err
	}
	drop := func() {
		_, _ = conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		conn.Close(context.Background())
	}
	u := strings.Replace(adminURL, "/postgres?", "/"+name+"?", 1)
	if u == adminURL {
		drop()
		return "", nil, errors.New("the admin URL must name the postgres database, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	}
	return u, drop, nil
}

// serveEnv is the environment every `campus serve` of this tool runs with
// on the bench database (no Redis: in-memory cache, no background work).
func serveEnv(dbURL string) []string {
	return append(os.Environ(), "ENV=testing", "DATABASE_URL="+dbURL, "REDIS_URL=",
		"HOST=127.0.0.1", "LOG_LEVEL=ERROR", "LOG_FILE=", "SECRET_KEY=load-test-secret-key-of-at-least-32-bytes",
		"BCRYPT_COST=10", "POOL_SIZE=10", "POOL_MAX_OVERFLOW=10",
		// These APIs measure HTTP; the events scenario runs its own worker.
		"ENABLE_BACKGROUND_TASKS=false")
}

// startAPI runs `campus serve` on the bench database, with or without the
// cache, and returns its base URL and a stop function.
func startAPI(bin, dbURL string, caching bool) (string, func(), error) {
	return startServe(bin, dbURL, os.Stderr, "ENABLE_CACHING="+strconv.FormatBool(caching))
}

// startServe runs `campus serve` with extra settings, its standard error
// going to stderr.
func startServe(bin, dbURL string, stderr io.Writer, extra ...string) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "serve", "--migrate")
	cmd.Env = append(serveEnv(dbURL), append(extra, "PORT="+strconv.Itoa(port))...)
	cmd.Stdout, cmd.Stderr = os.Stdout, stderr
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHealthy(base+"/health", 60*time.Second); err != nil {
		stop(cmd)
		return "", nil, fmt.Errorf("api: %w", err)
	}
	return base, func() { stop(cmd) }, nil
}

func login(base string) (string, error) { return loginAs(base, "staff1", "staff123") }

func get(url, token string) ([]byte, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return b, err
}

func waitHealthy(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url) //nolint:gosec // loopback URLs this tool built
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not healthy after %s", url, limit)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("listener has no TCP address")
	}
	return addr.Port, nil
}

func stop(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	_ = c.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.Process.Kill()
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}
