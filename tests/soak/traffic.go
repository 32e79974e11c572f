package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/campus/campus/tests/loadkit"
)

// traffic is the soak's mix: 70 % reads of a student, 25 % attendance
// marks (each a new (student, date): every one is an event), 5 % logins.
type traffic struct {
	base, token string
	students    int
	mu          sync.Mutex
	rng         *rand.Rand
	marks       int          // marks sent so far: the next one's (student, date)
	accepted    atomic.Int64 // marks answered 201
	firstDay    time.Time
}

func newTraffic(base, token string, students int) *traffic {
	return &traffic{base: base, token: token, students: students, rng: rand.New(rand.NewPCG(7, 11)), //nolint:gosec // a load mix
		firstDay: time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)}
}

func (t *traffic) targeter() vegeta.Targeter {
	auth := http.Header{"Authorization": {"Bearer " + t.token}, "Content-Type": {"application/json"}}
	plain := http.Header{"Content-Type": {"application/json"}}
	login := []byte(`{"username":"staff1","password":"staff123"}`)
	statuses := []string{"present", "present", "present", "late", "absent"}
	return func(tgt *vegeta.Target) error {
		t.mu.Lock()
		p, id, st := t.rng.Float64(), 1+t.rng.IntN(t.students), statuses[t.rng.IntN(len(statuses))]
		n := -1
		if p >= 0.70 && p < 0.95 {
			n = t.marks
			t.marks++
		}
		t.mu.Unlock()
		switch {
		case p < 0.70:
			*tgt = vegeta.Target{Method: "GET", URL: fmt.Sprintf("%s/api/v1/students/%d", t.base, id), Header: auth}
		case n >= 0:
			// Day by day back from yesterday, each student once a day.
			day := t.firstDay.AddDate(0, 0, -(n / t.students)).Format(time.DateOnly)
			body, _ := json.Marshal(map[string]any{"student_id": 1 + n%t.students, "date": day, "session": "soak", "status": st, "remarks": "soak"})
			*tgt = vegeta.Target{Method: "POST", URL: t.base + "/api/v1/attendance", Header: auth, Body: body}
		default:
			*tgt = vegeta.Target{Method: "POST", URL: t.base + "/api/v1/auth/login", Header: plain, Body: login}
		}
		return nil
	}
}

// maximum is the mix's throughput with 64 requests always in flight.
func (t *traffic) maximum(d time.Duration) float64 {
	a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Workers(64), vegeta.MaxWorkers(64), vegeta.Timeout(30*time.Second))
	var m vegeta.Metrics
	for res := range a.Attack(t.targeter(), vegeta.Rate{Freq: 0}, d, "maximum") {
		t.count(res)
		m.Add(res)
	}
	m.Close()
	return m.Throughput
}

func (t *traffic) count(res *vegeta.Result) {
	if res.Method == "POST" && strings.HasSuffix(res.URL, "/attendance") && res.Code == http.StatusCreated {
		t.accepted.Add(1)
	}
}

// attack runs the mix open-loop at rate for d and gathers its answers by
// minute from start.
func (t *traffic) attack(rate int, d time.Duration, start time.Time) *minuteStats {
	a := vegeta.NewAttacker(vegeta.KeepAlive(true), vegeta.Connections(512), vegeta.MaxWorkers(2000), vegeta.Timeout(30*time.Second))
	s := &minuteStats{byMinute: map[int]*minute{}}
	for res := range a.Attack(t.targeter(), vegeta.ConstantPacer{Freq: rate, Per: time.Second}, d, "soak") {
		t.count(res)
		s.add(res, start)
	}
	return s
}

// minute is one minute's answers.
type minute struct {
	index    int
	requests int
	ok       int
	byStatus map[string]int // non-2xx by status ("0" for no answer)
	reads    vegeta.Metrics
	all      vegeta.Metrics
}

func (m *minute) errors() string { return describeCounts(m.byStatus) }

type minuteStats struct {
	byMinute map[int]*minute
	failures []*vegeta.Result // every non-2xx answer, for the fault windows
}

func (s *minuteStats) add(res *vegeta.Result, start time.Time) {
	i := int(res.Timestamp.Sub(start) / time.Minute)
	m, ok := s.byMinute[i]
	if !ok {
		m = &minute{index: i, byStatus: map[string]int{}}
		s.byMinute[i] = m
	}
	m.requests++
	m.all.Add(res)
	if res.Method == "GET" {
		m.reads.Add(res)
	}
	if res.Code >= 200 && res.Code < 300 {
		m.ok++
		return
	}
	m.byStatus[fmt.Sprint(res.Code)]++
	s.failures = append(s.failures, &vegeta.Result{Code: res.Code, Timestamp: res.Timestamp, Latency: res.Latency, Method: res.Method,
		URL: res.URL, Body: firstBytes(res.Body, 200)})
}

func firstBytes(b []byte, n int) []byte {
	if len(b) > n {
		b = b[:n]
	}
	return bytes.Clone(b)
}

func (s *minuteStats) minutes() []*minute {
	out := make([]*minute, 0, len(s.byMinute))
	for _, m := range s.byMinute {
		m.reads.Close()
		m.all.Close()
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].index < out[j].index })
	return out
}

// tally counts non-2xx answers by status.
type tally map[string]int

func (t tally) describe() string { return describeCounts(t) }

func describeCounts(c map[string]int) string {
	if len(c) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d × %s", c[k], k)
	}
	return strings.Join(parts, ", ")
}

// pgWindow is the PostgreSQL outage with a margin for the requests that
// were in flight when it began and for the pools to reconnect after it.
func pgWindow(fs []fault) (from, to time.Time, ok bool) {
	for _, f := range fs {
		if strings.HasPrefix(f.name, "PostgreSQL") {
			return f.start.Add(-time.Second), f.end.Add(5 * time.Second), true
		}
	}
	return time.Time{}, time.Time{}, false
}

func (s *minuteStats) split(fs []fault, inside bool) tally {
	from, to, ok := pgWindow(fs)
	out := tally{}
	for _, r := range s.failures {
		end := r.Timestamp.Add(r.Latency)
		in := ok && end.After(from) && r.Timestamp.Before(to)
		if in == inside {
			out[fmt.Sprint(r.Code)]++
		}
	}
	return out
}

func (s *minuteStats) outside(fs []fault) tally { return s.split(fs, false) }
func (s *minuteStats) during(fs []fault) tally  { return s.split(fs, true) }

// login is the staff test account's access token.
func login(base string) (string, error) { return loadkit.Login(base, "staff1", "staff123") }
