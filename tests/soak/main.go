// Command soak runs the production layout (one API, two workers, one
// scheduler) on a private PostgreSQL cluster and a private Redis for a long
// run at 70 % of the maximum it measures first; meanwhile it restarts
// Redis, then PostgreSQL, and kills a worker with SIGKILL (starting
// another). Then it checks that nothing was lost: every attendance mark the
// API accepted is stored, and the attendance-risk agent's succeeded runs
// count exactly as many events. It reports answers by status, p99 per
// minute and the processes' memory over time, as the soak section of
// tests/load/RESULTS.md.
//
//	go run ./tests/soak -duration 10m
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Minute, "length of the run at the chosen share of the maximum")
	flag.IntVar(&o.students, "students", 5000, "students of the demo campus")
	flag.Float64Var(&o.load, "load", 0.7, "share of the measured maximum to run at")
	flag.StringVar(&o.out, "out", "tests/load/RESULTS.md", "results file whose soak section is replaced (empty: none)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

type options struct {
	duration time.Duration
	students int
	load     float64
	out      string
}

// fault is one disturbance and when it happened.
type fault struct {
	name       string
	start, end time.Time
}

func run(o options) error {
	ctx := context.Background()
	c, err := newCluster()
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.boot(o.students); err != nil {
		return err
	}
	tok, err := login(c.apiBase)
	if err != nil {
		return err
	}
	t := newTraffic(c.apiBase, tok, o.students)
	fmt.Println("measuring the maximum: 15 s, closed loop, 64 connections ...")
	peak := t.maximum(15 * time.Second)
	rate := max(1, int(o.load*peak))
	fmt.Printf("maximum %.0f req/s; soaking at %d req/s (%.0f %%) for %s\n", peak, rate, 100*o.load, o.duration)

	start := time.Now()
	mem := c.sampleMemory(5 * time.Second)
	faults := make(chan fault, 3)
	go func() {
		defer close(faults)
		wait := func(share float64) { time.Sleep(time.Until(start.Add(time.Duration(share * float64(o.duration))))) }
		wait(0.25)
		faults <- c.restartRedis(5 * time.Second)
		wait(0.5)
		faults <- c.restartPostgres(8 * time.Second)
		wait(0.75)
		faults <- c.killWorker()
	}()
	stats := t.attack(rate, o.duration, start)
	var fs []fault
	for f := range faults {
		fs = append(fs, f)
	}
	samples := mem.stop()

	fmt.Println("traffic over; waiting for the workers to finish every event ...")
	if err := c.drain(ctx, 6*time.Minute); err != nil {
		return err
	}
	marks, events, err := c.counts(ctx, start)
	if err != nil {
		return err
	}
	report := render(o, peak, rate, start, stats, fs, samples, marks, events, t.accepted.Load())
	fmt.Println()
	fmt.Print(report)
	if o.out != "" {
		if err := replaceSection(o.out, report); err != nil {
			return err
		}
		fmt.Println("\nwritten to", o.out)
	}
	if marks != events || marks != t.accepted.Load() {
		return fmt.Errorf("lost work: %d marks accepted, %d stored, %d events processed", t.accepted.Load(), marks, events)
	}
	return nil
}

// counts reads what the soak's marks left: the stored marks (remarks
// "soak") and the events the attendance-risk agent's succeeded runs count.
func (c *cluster) counts(ctx context.Context, since time.Time) (marks, events int64, err error) {
	conn, err := pgx.Connect(ctx, c.pgURL)
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close(ctx)
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM attendance_records WHERE remarks = 'soak'").Scan(&marks); err != nil {
		return 0, 0, err
	}
	err = conn.QueryRow(ctx, `SELECT coalesce(sum((counts->>'events')::bigint), 0) FROM agent_runs
		WHERE agent = 'attendance-risk' AND outcome = 'succeeded' AND started_at >= $1`, since.Add(-time.Minute)).Scan(&events)
	return marks, events, err
}

func render(o options, peak float64, rate int, start time.Time, stats *minuteStats, fs []fault, samples map[string][]sample,
	marks, events, accepted int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Soak\n\n`go run ./tests/soak -duration %s` on %s: one `serve`, two `worker` (one SIGKILLed and replaced), one "+
		"`scheduler`, a private PostgreSQL 15 cluster and Redis; demo campus of %d students. Open loop (vegeta) at %d req/s = %.0f %% of "+
		"the %.0f req/s measured just before; 70 %% reads of `GET /students/{id}`, 25 %% `POST /attendance`, 5 %% logins.\n\n",
		o.duration, start.UTC().Format(time.RFC3339), o.students, rate, 100*o.load, peak)
	b.WriteString("| fault | at | back after |\n|---|---|---|\n")
	for _, f := range fs {
		fmt.Fprintf(&b, "| %s | %s | %s |\n", f.name, f.start.Sub(start).Round(time.Second), f.end.Sub(f.start).Round(100*time.Millisecond))
	}
	b.WriteString("\n| minute | requests | 2xx | non-2xx by status | reads p50 | reads p99 | all p99 | API RSS at its end |\n|---|---|---|---|---|---|---|---|\n")
	for _, m := range stats.minutes() {
		fmt.Fprintf(&b, "| %d | %d | %d | %s | %s | %s | %s | %s |\n", m.index+1, m.requests, m.ok, m.errors(), m.reads.Latencies.P50.Round(time.Microsecond),
			m.reads.Latencies.P99.Round(time.Microsecond), m.all.Latencies.P99.Round(time.Microsecond),
			rssAt(samples["api"], start.Add(time.Duration(m.index+1)*time.Minute)))
	}
	fmt.Fprintf(&b, "\nNon-2xx answers outside the PostgreSQL outage: %s; during it (503 expected): %s.\n",
		stats.outside(fs).describe(), stats.during(fs).describe())
	fmt.Fprintf(&b, "\nNothing lost: %d marks accepted (201), %d stored, %d events counted by the attendance-risk agent's succeeded runs.\n",
		accepted, marks, events)
	b.WriteString("\n| process | RSS after 1 min | RSS at the end | peak | growth |\n|---|---|---|---|---|\n")
	names := make([]string, 0, len(samples))
	for n := range samples {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s := samples[n]
		first, last, peak := s[0], s[len(s)-1], s[0]
		for _, x := range s {
			if x.at.Sub(start) <= time.Minute {
				first = x
			}
			if x.rss > peak.rss {
				peak = x
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %+.1f %% |\n", n, mib(first.rss), mib(last.rss), mib(peak.rss),
			100*(float64(last.rss)/float64(first.rss)-1))
	}
	return b.String()
}

// rssAt is the last sample taken by t.
func rssAt(s []sample, t time.Time) string {
	var last *sample
	for i := range s {
		if !s[i].at.After(t) {
			last = &s[i]
		}
	}
	if last == nil {
		return "—"
	}
	return mib(last.rss)
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

const (
	sectionStart = "<!-- soak: written by tests/soak -->"
	sectionEnd   = "<!-- end of soak -->"
)

// replaceSection puts the report between the soak markers of path (at
// its end the first time), leaving the rest as the load tool wrote it.
func replaceSection(path, report string) error {
	old, err := os.ReadFile(path) //nolint:gosec // the results file named on the command line
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	s := string(old)
	section := sectionStart + "\n" + report + sectionEnd + "\n"
	if i, j := strings.Index(s, sectionStart), strings.Index(s, sectionEnd); i >= 0 && j > i {
		s = s[:i] + section + s[j+len(sectionEnd)+1:]
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + section
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(s), 0o644) //nolint:gosec // a results file meant to be read and committed
}
