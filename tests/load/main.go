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
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/campus/campus/tests/loadkit"
)

func main() {
	if len(os.Args) > 3 && os.Args[1] == "bare" {
		serveBare(os.Args[2], os.Args[3], os.Args[4:]...)
		return
	}
	var b bench
	flag.IntVar(&b.rounds, "rounds", 3, "measured rounds per target (median is reported)")
	flag.DurationVar(&b.duration, "duration", 10*time.Second, "length of each measured round")
	flag.DurationVar(&b.warmup, "warmup", 3*time.Second, "warm-up before the rounds")
	flag.IntVar(&b.conns, "connections", 64, "wrk connections")
	flag.IntVar(&b.threads, "threads", 2, "wrk threads")
	flag.StringVar(&b.redisURL, "redis", envOr("CAMPUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/14"), "Redis for the events and mixed scenarios (keys under a fresh prefix)")
	flag.IntVar(&b.events, "events", 5000, "attendance events per round of the events scenario")
	flag.StringVar(&b.pgURL, "postgres", envOr("CAMPUS_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL server to create the bench database on")
	flag.IntVar(&b.students, "demo-students", 30000, "students of the generated demo campus (campus seed demo)")
	flag.IntVar(&b.days, "demo-days", 120, "school days of attendance of the demo campus")
	out := flag.String("out", "tests/load/RESULTS.md", "results file (empty: none)")
	only := flag.String("scenarios", strings.Join(scenarioNames(), ","), "comma-separated scenarios to run")
	flag.Parse()
	if err := b.run(strings.Split(*only, ","), *out); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// bench is one run: the built binary, the bench database with the demo
// campus, and two API processes on it (cache on and off).
type bench struct {
	rounds, conns, threads, events, students, days int
	duration, warmup                               time.Duration
	pgURL, redisURL                                string

	ctx              context.Context
	tmp, bin, dbURL  string
	apiBase, rawBase string
	apiPID, rawPID   int
	token            string
	idleRSS          uint64
	// The events scenario's worker process.
	workerIdle, workerPeak uint64
	startedAt              time.Time
}

// scenario measures one hot path and returns its part of the report.
type scenario struct {
	name string
	run  func(b *bench) (string, error)
}

func scenarios() []scenario {
	return []scenario{
		{"student", benchStudent},
		{"login", benchLogin},
		{"analytics", benchAnalyticsSection},
		{"bulk", benchBulkSection},
		{"events", benchEventsSection},
		{"mixed", benchMixed},
		{"resources", benchResources},
	}
}

func scenarioNames() []string {
	var out []string
	for _, s := range scenarios() {
		out = append(out, s.name)
	}
	return out
}

func (b *bench) run(only []string, out string) error {
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed (apt-get install wrk)")
	}
	want := map[string]bool{}
	for _, n := range only {
		want[strings.TrimSpace(n)] = true
	}
	for n := range want {
		if !slices.Contains(scenarioNames(), n) {
			return fmt.Errorf("unknown scenario %q (have %s)", n, strings.Join(scenarioNames(), ", "))
		}
	}
	b.ctx = context.Background()
	b.startedAt = time.Now()
	var err error
	if b.tmp, err = os.MkdirTemp("", "campus-load-"); err != nil {
		return err
	}
	defer os.RemoveAll(b.tmp)

	b.bin = filepath.Join(b.tmp, "campus")
	fmt.Println("building campus (as `task build` does) ...")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", b.bin, "./bootstrap/cmd/campus") //nolint:gosec // a path in this tool's own temporary directory
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build: %w", err)
	}

	var drop func()
	if b.dbURL, drop, err = createDatabase(b.ctx, b.pgURL); err != nil {
		return err
	}
	defer drop()
	var stopAPI, stopRaw func()
	if b.apiBase, b.apiPID, stopAPI, err = startServe(b.bin, b.dbURL, os.Stderr, "ENABLE_CACHING=true"); err != nil {
		return err
	}
	defer stopAPI()
	b.idleRSS, _ = rss(b.apiPID)
	if b.rawBase, b.rawPID, stopRaw, err = startServe(b.bin, b.dbURL, os.Stderr, "ENABLE_CACHING=false"); err != nil {
		return err
	}
	defer stopRaw()
	if b.token, err = login(b.apiBase); err != nil {
		return err
	}
	fmt.Printf("generating the demo campus: %d students x %d school days ...\n", b.students, b.days)
	if err := seedDemo(b.bin, b.dbURL, b.students, b.days); err != nil {
		return err
	}

	var report strings.Builder
	fmt.Fprintf(&report, "# Load results\n\nMachine: %d cores (%s/%s), %s. Demo campus: `campus seed demo --students %d --days %d --seed 1` on PostgreSQL. "+
		"Every scenario runs against its baseline in the same run, %d rounds of %s after %s warm-up, alternating; medians. "+
		"Produced by `task bench` (`go run ./tests/load`).\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.RFC3339), b.students, b.days, b.rounds, b.duration, b.warmup)
	for _, s := range scenarios() {
		if !want[s.name] {
			continue
		}
		fmt.Printf("\n== %s ==\n", s.name)
		section, err := s.run(b)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		report.WriteString("\n" + section)
	}
	fmt.Println()
	fmt.Print(report.String())
	if out != "" {
		if err := os.WriteFile(out, []byte(report.String()+keptSections(out)), 0o644); err != nil { //nolint:gosec // a results file meant to be read and committed
			return err
		}
		fmt.Println("\nwritten to", out)
	}
	return nil
}

// keptSections are the parts of the results file that this tool does not
// write: the soak's (tests/soak writes it) and the record of changes
// measured before and after (written by hand), each between its markers.
func keptSections(path string) string {
	old, err := os.ReadFile(path) //nolint:gosec // the results file named on the command line
	if err != nil {
		return ""
	}
	s := string(old)
	var out strings.Builder
	for _, m := range [][2]string{
		{"<!-- changes: kept by tests/load -->", "<!-- end of changes -->"},
		{"<!-- soak: written by tests/soak -->", "<!-- end of soak -->"},
	} {
		i, j := strings.Index(s, m[0]), strings.Index(s, m[1])
		if i >= 0 && j > i {
			out.WriteString("\n" + s[i:j+len(m[1])] + "\n")
		}
	}
	return out.String()
}

// compare runs the targets alternately (warm-up, then rounds) with wrk at
// the same threads and connections, and fails on any error answer.
func (b *bench) compare(threads, conns int, targets []*target) error {
	for _, t := range targets {
		if _, err := wrk(*t, threads, conns, b.warmup); err != nil {
			return err
		}
	}
	for r := 0; r < b.rounds; r++ {
		for _, t := range targets {
			res, err := wrk(*t, threads, conns, b.duration)
			if err != nil {
				return err
			}
			if res.non2xx > 0 || res.errors > 0 {
				return fmt.Errorf("%s: %d non-2xx answers, %d socket errors", t.name, res.non2xx, res.errors)
			}
			t.results = append(t.results, res)
			fmt.Printf("  round %d %-50s %10.0f req/s  p50 %8s  p99 %8s\n", r+1, t.name, res.rps, res.p50, res.p99)
		}
	}
	return nil
}

// table renders targets as report rows against the first one.
func table(targets []*target) string {
	var s strings.Builder
	s.WriteString("| scenario | req/s | p50 | p99 | ratio to baseline | goal |\n|---|---|---|---|---|---|\n")
	base := targets[0].median()
	for i, t := range targets {
		m := t.median()
		ratio, goal := "1.00", "—"
		if i > 0 {
			ratio, goal = fmt.Sprintf("%.2f", m.rps/base.rps), t.goal
		}
		fmt.Fprintf(&s, "| %s | %.0f | %s | %s | %s | %s |\n", t.name, m.rps, m.p50, m.p99, ratio, goal)
	}
	return s.String()
}

type target struct {
	name, url, token, goal string
	script                 string // a wrk Lua script (e.g. a POST body)
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
	args := []string{"-t" + strconv.Itoa(threads), "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency", "--timeout", "10s"}
	if t.token != "" {
		args = append(args, "-H", "Authorization: Bearer "+t.token)
	}
	if t.script != "" {
		args = append(args, "-s", t.script)
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

// principalSQL is the statement the service runs for the session of every
// authenticated request without the cache (adapters/store's principalSQL).
const principalSQL = `SELECT u.id, u.username, u.role, u.student_id, u.is_active, s.revoked_at, s.expires_at
FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id = $1`

// serveBare is a baseline: a bare Fiber handler answering the same JSON
// (serveBare port sample.json), or, given a database URL, doing the same
// primary-key query with pgx and answering its row as JSON; with "session"
// after the URL it first reads the latest session's principal as the
// service does, so that it runs the service's two statements.
func serveBare(port, samplePath string, dbURL ...string) {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	if len(dbURL) == 0 {
		body, err := os.ReadFile(samplePath) //nolint:gosec // a file this tool wrote itself
		if err != nil {
			fatal(err)
		}
		var obj map[string]any
		if err := json.Unmarshal(body, &obj); err != nil {
			fatal(err)
		}
		app.Get("/api/v1/students/:id", func(c *fiber.Ctx) error { return c.JSON(obj) })
	} else {
		cfg, err := pgxpool.ParseConfig(dbURL[0])
		if err != nil {
			fatal(err)
		}
		cfg.MaxConns = int32(benchPool) //nolint:gosec // a small constant
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			fatal(err)
		}
		var session string
		if len(dbURL) > 1 && dbURL[1] == "session" {
			if err := pool.QueryRow(context.Background(), "SELECT id FROM sessions ORDER BY expires_at DESC LIMIT 1").Scan(&session); err != nil {
				fatal(fmt.Errorf("a session for the two-statement baseline: %w", err))
			}
		}
		app.Get("/api/v1/students/:id", func(c *fiber.Ctx) error {
			id, err := strconv.ParseInt(c.Params("id"), 10, 64)
			if err != nil {
				return fiber.ErrBadRequest
			}
			if session != "" {
				var userID int64
				var username, role string
				var studentID *int64
				var active bool
				var revokedAt *time.Time
				var expiresAt time.Time
				if err := pool.QueryRow(c.UserContext(), principalSQL, session).Scan(&userID, &username, &role, &studentID, &active, &revokedAt, &expiresAt); err != nil {
					return err
				}
			}
			rows, err := pool.Query(c.UserContext(), "SELECT * FROM students WHERE id = $1", id)
			if err != nil {
				return err
			}
			row, err := pgx.CollectOneRow(rows, pgx.RowToMap)
			if err != nil {
				return err
			}
			return c.JSON(row)
		})
	}
	if err := app.Listen("127.0.0.1:" + port); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
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
// benchPool is the database connections of the served API and of the
// bare pgx baselines alike: two per core, at least 4 (pgxpool's default
// on a 2-core machine).
var benchPool = max(4, 2*runtime.NumCPU())

func serveEnv(dbURL string) []string {
	return append(os.Environ(), "ENV=testing", "DATABASE_URL="+dbURL, "REDIS_URL=",
		"HOST=127.0.0.1", "LOG_LEVEL=ERROR", "LOG_FILE=", "SECRET_KEY=load-test-secret-key-of-at-least-32-bytes",
		// The same number of database connections as the bare pgx
		// baselines (benchPool): with more than the cores can serve,
		// backends only take turns on them.
		"BCRYPT_COST=10", "POOL_SIZE="+strconv.Itoa(benchPool), "POOL_MAX_OVERFLOW=0",
		// The login scenario logs in thousands of times from one address.
		"AUTH_RATE_LIMIT_PER_MINUTE=100000000",
		// These APIs measure HTTP; the events scenario runs its own worker.
		"ENABLE_BACKGROUND_TASKS=false")
}

// startServe runs `campus serve` on the bench database with extra
// settings, its standard error going to stderr; it returns the base URL,
// the process id and a stop function.
func startServe(bin, dbURL string, stderr io.Writer, extra ...string) (string, int, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(bin, "serve", "--migrate")
	cmd.Env = append(serveEnv(dbURL), append(extra, "PORT="+strconv.Itoa(port))...)
	cmd.Stdout, cmd.Stderr = os.Stdout, stderr
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitHealthy(base+"/health", 60*time.Second); err != nil {
		stop(cmd)
		return "", 0, nil, fmt.Errorf("api: %w", err)
	}
	return base, cmd.Process.Pid, func() { stop(cmd) }, nil
}

func login(base string) (string, error) { return loadkit.Login(base, "staff1", "staff123") }

func waitHealthy(url string, limit time.Duration) error {
	return loadkit.WaitHealthy(url, limit, 100*time.Millisecond)
}

var freePort = loadkit.FreePort

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
