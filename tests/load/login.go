package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// loginCost is the bcrypt cost of the bench's accounts (serveEnv).
const loginCost = 10

// benchLogin: POST /auth/login with good credentials against the machine's
// own limit, bcrypt compares per second at the same cost on every core.
func benchLogin(b *bench) (string, error) {
	script := filepath.Join(b.tmp, "login.lua")
	lua := `wrk.method = "POST"
wrk.body = '{"username":"staff1","password":"staff123"}'
wrk.headers["Content-Type"] = "application/json"
`
	if err := os.WriteFile(script, []byte(lua), 0o600); err != nil {
		return "", err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte("staff123"), loginCost)
	if err != nil {
		return "", err
	}
	t := &target{name: "POST /auth/login", url: b.apiBase + "/api/v1/auth/login", script: script, goal: "≥ 0.85"}
	// Two connections per core keep every core hashing; more would only
	// queue logins behind one another.
	conns := 2 * runtime.NumCPU()
	if _, err := wrk(*t, b.threads, conns, b.warmup); err != nil {
		return "", err
	}
	var compares []float64
	for r := 0; r < b.rounds; r++ {
		res, err := wrk(*t, b.threads, conns, b.duration)
		if err != nil {
			return "", err
		}
		if res.non2xx > 0 || res.errors > 0 {
			return "", fmt.Errorf("login: %d non-2xx answers, %d socket errors", res.non2xx, res.errors)
		}
		t.results = append(t.results, res)
		cps := bcryptRate(hash, b.duration)
		compares = append(compares, cps)
		fmt.Printf("  round %d login %8.1f req/s (p99 %s); bcrypt %8.1f compares/s on %d cores\n", r+1, res.rps, res.p99, cps, runtime.NumCPU())
	}
	sort.Float64s(compares)
	base, m := compares[len(compares)/2], t.median()
	return fmt.Sprintf("## POST /auth/login\n\nBcrypt cost %d, wrk -t%d -c%d.\n\n| scenario | per second | p50 | p99 | ratio to baseline | goal |\n|---|---|---|---|---|---|\n"+
		"| bcrypt compares, %d goroutines (baseline) | %.1f | — | — | 1.00 | — |\n| %s | %.1f | %s | %s | %.2f | %s |\n",
		loginCost, b.threads, conns, runtime.NumCPU(), base, t.name, m.rps, m.p50, m.p99, m.rps/base, t.goal), nil
}

// bcryptRate is how many compares per second NumCPU goroutines manage.
func bcryptRate(hash []byte, d time.Duration) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for range runtime.NumCPU() {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if bcrypt.CompareHashAndPassword(hash, []byte("staff123")) == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}
