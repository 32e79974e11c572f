package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/campus/campus/tests/loadkit"
)

var (
	rss     = loadkit.RSS
	peakRSS = loadkit.PeakRSS
)

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// benchResources reports the binary's size, the API's and the worker's
// idle and peak memory (peak: the high-water mark after every scenario
// that ran before this one) and how long the embedded mode takes from
// start to ready, on a new SQLite file (migrations included) and on an
// existing one.
func benchResources(b *bench) (string, error) {
	fi, err := os.Stat(b.bin)
	if err != nil {
		return "", err
	}
	peak, err := peakRSS(b.apiPID)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(b.tmp, "embedded")
	var fresh, again []time.Duration
	for r := 0; r < b.rounds; r++ {
		if err := os.RemoveAll(dir); err != nil {
			return "", err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", err
		}
		for _, into := range []*[]time.Duration{&fresh, &again} {
			d, err := startToReady(b.bin, dir)
			if err != nil {
				return "", err
			}
			*into = append(*into, d)
		}
		fmt.Printf("  round %d embedded start to ready: new SQLite file %s, existing %s\n", r+1, fresh[r].Round(time.Millisecond), again[r].Round(time.Millisecond))
	}
	worker := "not measured (the events scenario did not run)"
	if b.workerPeak > 0 {
		worker = fmt.Sprintf("idle %s, peak %s (events scenario)", mib(b.workerIdle), mib(b.workerPeak))
	}
	return fmt.Sprintf("## Resources\n\n| what | figure |\n|---|---|\n"+
		"| binary size (`task build`: CGO_ENABLED=0, -trimpath, -s -w) | %s |\n"+
		"| `campus serve` RSS (PostgreSQL, in-memory cache) | idle %s, peak %s (after the scenarios above) |\n"+
		"| `campus worker` RSS | %s |\n"+
		"| embedded `campus serve` start to ready, new SQLite file (migrations) | %s |\n"+
		"| embedded `campus serve` start to ready, existing SQLite file | %s |\n",
		mib(uint64(fi.Size())), mib(b.idleRSS), mib(peak), worker, medianDuration(fresh), medianDuration(again)), nil
}

// startToReady starts the embedded mode in dir (no DATABASE_URL or
// REDIS_URL: the SQLite file campus.db there) and times it until /health
// answers 200.
func startToReady(bin, dir string) (time.Duration, error) {
	port, err := freePort()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "ENV=development", "DATABASE_URL=sqlite:///./campus.db", "REDIS_URL=", "HOST=127.0.0.1", "PORT="+strconv.Itoa(port),
		"LOG_LEVEL=ERROR", "LOG_FILE=", "BCRYPT_COST=10")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer stop(cmd)
	if err := loadkit.WaitHealthy(fmt.Sprintf("http://127.0.0.1:%d/health", port), 60*time.Second, 2*time.Millisecond); err != nil {
		return 0, err
	}
	return time.Since(start).Round(time.Millisecond), nil
}

func medianDuration(ds []time.Duration) time.Duration {
	ds = append([]time.Duration(nil), ds...)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}
