// Package e2e drives the real router over real stores (SQLite and
// PostgreSQL) through HTTP: every route, every role, the error shapes.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/bootstrap"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/tests/testenv"
)

// harness is one API over one fresh database.
type harness struct {
	t      testing.TB
	app    *bootstrap.API
	server *httpapi.Server
}

// base settings: fast bcrypt, a limit high enough not to interfere.
var base = map[string]string{
	"ENV": "testing", "SECRET_KEY": "e2e-secret-key-that-is-at-least-32-bytes!", "BCRYPT_COST": "4",
	"AUTH_RATE_LIMIT_PER_MINUTE": "100000", "LOG_FILE": "", "LOG_LEVEL": "ERROR",
}

func newHarness(t testing.TB, dbURL string, overrides map[string]string) *harness {
	t.Helper()
	return newHarnessWith(t, dbURL, overrides, bootstrap.ServeOptions{})
}

// newHarnessWith is newHarness with the serve command's options.
func newHarnessWith(t testing.TB, dbURL string, overrides map[string]string, o bootstrap.ServeOptions) *harness {
	t.Helper()
	vars := map[string]string{"DATABASE_URL": dbURL}
	for k, v := range base {
		vars[k] = v
	}
	for k, v := range overrides {
		vars[k] = v
	}
	cfg, _, err := config.LoadFrom(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "")
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	app, cleanup, err := bootstrap.InitializeAPI(ctx, cfg, "e2e", log, o)
	if err != nil {
		t.Fatalf("assemble: %v", err)
	}
	t.Cleanup(cleanup)
	if err := bootstrap.Prepare(ctx, cfg, app, log, true); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	return &harness{t: t, app: app, server: app.Server}
}

// eachStore runs fn on a fresh API over SQLite and over PostgreSQL.
func eachStore(t *testing.T, overrides map[string]string, fn func(t *testing.T, h *harness)) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) {
			h := newHarness(t, st.URL(t), overrides)
			fn(t, h)
		})
	}
}

// response is a decoded answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("body is not a JSON object (%d): %s", r.Status, r.Body)
	}
	return m
}

func (r response) str(t testing.TB, key string) string {
	t.Helper()
	v, _ := r.json(t)[key].(string)
	return v
}

// do sends a request; body may be nil, a string (sent raw) or a value (JSON).
func (h *harness) do(method, path, token string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.server.App().Test(req, 60_000) // a hung route fails the test instead of the run
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// login returns an access and a refresh token, failing the test otherwise.
func (h *harness) login(username, password string) (access, refresh string) {
	h.t.Helper()
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password})
	if r.Status != http.StatusOK {
		h.t.Fatalf("login %s: %d %s", username, r.Status, r.Body)
	}
	m := r.json(h.t)
	return m["access_token"].(string), m["refresh_token"].(string)
}

func (h *harness) token(username, password string) string {
	a, _ := h.login(username, password)
	return a
}

// guest registers (once) and logs in a guest account.
func (h *harness) guestToken() string {
	h.t.Helper()
	r := h.do("POST", "/api/v1/auth/register", "", map[string]string{"username": "guest1", "email": "guest1@campus.edu",
		"password": "visiting-scholar-2026", "full_name": "Guest One", "role": "guest"})
	if r.Status != http.StatusCreated && r.Status != http.StatusConflict {
		h.t.Fatalf("register guest: %d %s", r.Status, r.Body)
	}
	return h.token("guest1", "visiting-scholar-2026")
}

func expectStatus(t *testing.T, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}

// expectProblem checks the problem document shape and its detail.
func expectProblem(t *testing.T, r response, status int, detail string) map[string]any {
	t.Helper()
	expectStatus(t, r, status)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json", ct)
	}
	m := r.json(t)
	for _, k := range []string{"type", "title", "status", "detail"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("problem lacks %q: %s", k, r.Body)
		}
	}
	if detail != "" && m["detail"] != detail {
		t.Fatalf("detail %q, want %q", m["detail"], detail)
	}
	return m
}

func mustJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

// startWorker runs the API's own background worker (the embedded mode's)
// until the test ends. Harnesses do not run it by default, so tests that
// read the outbox see every event.
func (h *harness) startWorker() {
	h.t.Helper()
	if h.app.Worker == nil {
		h.t.Fatal("this API was assembled without a worker")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.app.Worker.Run(ctx) }()
	h.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			h.t.Errorf("worker: %v", err)
		}
	})
}
