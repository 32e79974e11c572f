package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
	"golang.org/x/crypto/bcrypt"
)

var mixedRate = flag.Int("mixed-rate", 0, "requests per second of the mixed scenario (0: logins at half the machine's bcrypt capacity)")

// mixedClass is one kind of request of the mixed scenario.
type mixedClass struct {
	name    string
	share   float64
	metrics vegeta.Metrics
}

// benchMixed: open-loop traffic at a constant rate, 70 % reads (GET
// /students/{id} over the whole demo campus, cached), 20 % writes (PATCH
// /students/{id}, which evicts the cache entry) and 10 % logins, on the
// cached API; the goal is the reads' p99 under 50 ms while logins run.
func benchMixed(b *bench) (string, error) {
	rate := *mixedRate
	if rate == 0 {
		hash, err := bcrypt.GenerateFromPassword([]byte("staff123"), loginCost)
		if err != nil {
			return "", err
		}
		// Logins are 10 % of the traffic and use half the bcrypt capacity.
		rate = max(10, int(0.5*bcryptRate(hash, 2*time.Second)/0.10))
	}
	classes := []*mixedClass{{name: "reads: GET /students/{id}", share: 0.7}, {name: "writes: PATCH /students/{id}", share: 0.2}, {name: "logins: POST /auth/login", share: 0.1}}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2)) //nolint:gosec // a load mix, not a secret
	auth := http.Header{"Authorization": {"Bearer " + b.token}, "Content-Type": {"application/json"}}
	plain := http.Header{"Content-Type": {"application/json"}}
	login := []byte(`{"username":"staff1","password":"staff123"}`)
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		p, id, section := rng.Float64(), 1+rng.IntN(b.students), "ABCD"[rng.IntN(4)]
		mu.Unlock()
		url := fmt.Sprintf("%s/api/v1/students/%d", b.apiBase, id)
		switch {
		case p < 0.7:
			*t = vegeta.Target{Method: "GET", URL: url, Header: auth}
		case p < 0.9:
			*t = vegeta.Target{Method: "PATCH", URL: url, Header: auth, Body: []byte(`{"section":"` + string(section) + `"}`)}
		default:
			*t = vegeta.Target{Method: "POST", URL: b.apiBase + "/api/v1/auth/login", Header: plain, Body: login}
		}
		return nil
	}
	classOf := func(r *vegeta.Result) *mixedClass {
		switch r.Method {
		case "GET":
			return classes[0]
		case "PATCH":
			return classes[1]
		default:
			return classes[2]
		}
	}
	attack := func(d time.Duration, record bool) {
		a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Connections(256), vegeta.Timeout(30*time.Second))
		for res := range a.Attack(targeter, vegeta.ConstantPacer{Freq: rate, Per: time.Second}, d, "mixed") {
			if record {
				classOf(res).metrics.Add(res)
			}
		}
	}
	fmt.Printf("  %d req/s for %s after %s warm-up\n", rate, time.Duration(b.rounds)*b.duration, b.warmup)
	attack(b.warmup, false)
	attack(time.Duration(b.rounds)*b.duration, true)
	var s strings.Builder
	fmt.Fprintf(&s, "## Mixed traffic\n\nOpen loop (vegeta) at %d req/s for %s (logins at half the bcrypt capacity measured just before): "+
		"70 %% reads over all %d students, 20 %% writes, 10 %% logins, on the cached API.\n\n"+
		"| class | requests | success | p50 | p99 | max | goal |\n|---|---|---|---|---|---|---|\n",
		rate, time.Duration(b.rounds)*b.duration, b.students)
	for i, c := range classes {
		c.metrics.Close()
		goal := "—"
		if i == 0 {
			goal = "p99 < 50ms"
		}
		fmt.Fprintf(&s, "| %s | %d | %.2f %% | %s | %s | %s | %s |\n", c.name, c.metrics.Requests, 100*c.metrics.Success,
			c.metrics.Latencies.P50.Round(time.Microsecond), c.metrics.Latencies.P99.Round(time.Microsecond), c.metrics.Latencies.Max.Round(time.Microsecond), goal)
		if c.metrics.Success < 1 {
			fmt.Fprintf(&s, "\n%s status codes: %v, errors: %v\n", c.name, c.metrics.StatusCodes, c.metrics.Errors)
		}
	}
	return s.String(), nil
}
