package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/campus/campus/tests/testenv"
)

func TestStudents(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		staff := h.token("staff1", "staff123")
		admin := h.token("admin", "admin123")
		student := h.token("student1", "student123")

		ids := make([]int, 0, 5)
		for i := 0; i < 5; i++ {
			dept := "Physics"
			if i%2 == 0 {
				dept = "Chemistry"
			}
			r := h.do("POST", "/api/v1/students", staff, map[string]any{"name": fmt.Sprintf("Pupil %d", i), "roll_no": fmt.Sprintf("PH-%03d", i),
				"department": dept, "semester": 3, "section": "C"})
			expectStatus(t, r, 201)
			m := r.json(t)
			if m["status"] != "active" || r.Header.Get("Location") != fmt.Sprintf("/api/v1/students/%v", m["id"]) {
				t.Fatalf("created: %s %v", r.Body, r.Header.Get("Location"))
			}
			ids = append(ids, int(m["id"].(float64)))
		}
		expectProblem(t, h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Dup", "roll_no": "PH-000", "department": "X", "semester": 1}), 409, "")
		p := expectProblem(t, h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Bad", "roll_no": "B-1", "department": "X", "semester": 13, "status": "expelled"}), 422, "")
		if len(p["errors"].([]any)) != 2 {
			t.Fatalf("want semester and status errors: %v", p["errors"])
		}
		expectProblem(t, h.do("POST", "/api/v1/students", staff, map[string]any{"name": "Bad", "roll_no": "B-1", "department": "X", "semester": "three"}), 422, "")

		// Filters, paging, envelope and headers.
		r := h.do("GET", "/api/v1/students?department=Chemistry&limit=2", staff, nil)
		expectStatus(t, r, 200)
		m := r.json(t)
		if m["total"].(float64) != 3 || len(m["items"].([]any)) != 2 || m["limit"].(float64) != 2 || r.Header.Get("X-Total-Count") != "3" {
			t.Fatalf("page: %s", r.Body)
		}
		if link := r.Header.Get("Link"); !strings.Contains(link, `rel="next"`) || !strings.Contains(link, "department=Chemistry") || !strings.Contains(link, "offset=2") {
			t.Fatalf("Link: %q", link)
		}
		r = h.do("GET", "/api/v1/students?department=Chemistry&limit=2&offset=2", staff, nil)
		if link := r.Header.Get("Link"); !strings.Contains(link, `rel="prev"`) || strings.Contains(link, `rel="next"`) {
			t.Fatalf("Link on last page: %q", link)
		}
		if got := h.do("GET", "/api/v1/students?q=ph-00&status=active", staff, nil).json(t)["total"].(float64); got != 5 {
			t.Fatalf("q search found %v", got)
		}
		expectProblem(t, h.do("GET", "/api/v1/students?semester=x&limit=500", staff, nil), 422, "")

		// A student user sees only their own record.
		own := h.do("GET", "/api/v1/students", student, nil).json(t)
		if own["total"].(float64) != 1 {
			t.Fatalf("student sees %v records", own["total"])
		}
		expectStatus(t, h.do("GET", "/api/v1/students/1", student, nil), 200)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", ids[0]), student, nil), 404, "")

		// PATCH changes only what is sent; PUT replaces everything. Reads
		// before and after each write show the write (no stale cache).
		id := ids[0]
		expectStatus(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), staff, nil), 200)
		r = h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", id), staff, map[string]any{"semester": 4, "email": "p0@campus.edu"})
		expectStatus(t, r, 200)
		if m := r.json(t); m["semester"].(float64) != 4 || m["name"] != "Pupil 0" || m["email"] != "p0@campus.edu" {
			t.Fatalf("patched: %s", r.Body)
		}
		if m := h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), staff, nil).json(t); m["semester"].(float64) != 4 {
			t.Fatalf("read after PATCH: %v", m)
		}
		r = h.do("PUT", fmt.Sprintf("/api/v1/students/%d", id), staff, map[string]any{"name": "Renamed", "roll_no": "PH-000", "department": "Physics", "semester": 5})
		expectStatus(t, r, 200)
		if m := r.json(t); m["email"] != nil || m["section"] != "" || m["name"] != "Renamed" {
			t.Fatalf("replaced: %s", r.Body)
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", id), staff, map[string]any{"roll_no": "PH-001"}), 409, "")

		// Optimistic concurrency: the ETag of a read makes a write conditional.
		etag := h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), staff, nil).Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag on GET")
		}
		r = h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", id), staff, map[string]any{"section": "D"}, "If-Match", etag)
		expectStatus(t, r, 200)
		if r.Header.Get("ETag") == etag {
			t.Fatal("ETag did not change with the write")
		}
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/students/%d", id), staff, map[string]any{"section": "E"}, "If-Match", etag), 409, "")
		if got := h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), staff, nil).json(t)["section"]; got != "D" {
			t.Fatalf("a stale If-Match changed the record: section %v", got)
		}
		expectProblem(t, h.do("PATCH", "/api/v1/students/999999", staff, map[string]any{"semester": 2}), 404, "")

		// Delete: unreferenced rows go; a student a user links to is archived.
		expectProblem(t, h.do("DELETE", fmt.Sprintf("/api/v1/students/%d", id), staff, nil), 403, "Insufficient permissions")
		expectStatus(t, h.do("DELETE", fmt.Sprintf("/api/v1/students/%d", id), admin, nil), 204)
		expectProblem(t, h.do("GET", fmt.Sprintf("/api/v1/students/%d", id), admin, nil), 404, "")
		expectStatus(t, h.do("DELETE", "/api/v1/students/1", admin, nil), 204)
		if st := h.do("GET", "/api/v1/students/1", admin, nil).json(t)["status"]; st != "inactive" {
			t.Fatalf("linked student not archived: %v", st)
		}

		// Every write is in the audit trail with before and after.
		a := h.do("GET", "/api/v1/audit-logs?resource=student&action=update", admin, nil)
		expectStatus(t, a, 200)
		items := a.json(t)["items"].([]any)
		if len(items) != 3 { // PATCH, PUT and the conditional PATCH; not the refused one
			t.Fatalf("%d student updates audited, want 3", len(items))
		}
		first := items[0].(map[string]any)
		if first["before"].(map[string]any)["semester"].(float64) != 3 || first["after"].(map[string]any)["semester"].(float64) != 4 || first["request_id"] == "" {
			t.Fatalf("audit entry: %v", first)
		}
		for _, action := range []string{"create", "delete", "archive"} {
			if n := h.do("GET", "/api/v1/audit-logs?resource=student&action="+action, admin, nil).json(t)["total"].(float64); n == 0 {
				t.Fatalf("no %s audited", action)
			}
		}
	})
}

func TestUserAdministration(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		admin := h.token("admin", "admin123")
		staffTok := h.token("staff1", "staff123")

		r := h.do("GET", "/api/v1/users?role=staff", admin, nil)
		expectStatus(t, r, 200)
		items := r.json(t)["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["username"] != "staff1" {
			t.Fatalf("staff users: %s", r.Body)
		}
		staffID := int(items[0].(map[string]any)["id"].(float64))
		if strings.Contains(string(r.Body), "password") {
			t.Fatal("user listing exposes a password field")
		}
		if n := h.do("GET", "/api/v1/users?q=STUDENT", admin, nil).json(t)["total"].(float64); n != 1 {
			t.Fatalf("q=STUDENT found %v", n)
		}

		// A role change revokes the user's sessions.
		r = h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"role": "student", "student_id": nil})
		expectStatus(t, r, 200)
		if r.json(t)["role"] != "student" {
			t.Fatalf("patched: %s", r.Body)
		}
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", staffTok, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"student_id": 999999}), 422, "")
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"role": "wizard"}), 422, "")

		// Deactivation signs out and blocks login.
		tok := h.token("staff1", "staff123")
		expectStatus(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", staffID), admin, map[string]any{"is_active": false}), 200)
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", tok, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "staff1", "password": "staff123"}), 403, "")

		// An admin cannot demote themself.
		me := h.do("GET", "/api/v1/auth/profile", admin, nil).json(t)["user_id"].(float64)
		expectProblem(t, h.do("PATCH", fmt.Sprintf("/api/v1/users/%d", int(me)), admin, map[string]any{"role": "staff"}), 400, "")

		// Forced sign-out everywhere.
		s1 := h.token("student1", "student123")
		sid := h.do("GET", "/api/v1/auth/profile", s1, nil).json(t)["user_id"].(float64)
		r = h.do("POST", fmt.Sprintf("/api/v1/users/%d/revoke-sessions", int(sid)), admin, nil)
		expectStatus(t, r, 200)
		if r.json(t)["sessions_revoked"].(float64) < 1 {
			t.Fatalf("revoke: %s", r.Body)
		}
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", s1, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("GET", "/api/v1/users/999999", admin, nil), 404, "")

		// Profile edits.
		r = h.do("PUT", "/api/v1/auth/profile", admin, map[string]any{"full_name": "Head Admin"})
		expectStatus(t, r, 200)
		if r.json(t)["full_name"] != "Head Admin" {
			t.Fatalf("profile: %s", r.Body)
		}
		expectProblem(t, h.do("PUT", "/api/v1/auth/profile", admin, map[string]any{"email": "student1@campus.edu"}), 409, "")
		expectProblem(t, h.do("PUT", "/api/v1/auth/profile", admin, map[string]any{"email": "nope"}), 422, "")

		roles := h.do("GET", "/api/v1/rbac/roles", admin, nil)
		expectStatus(t, roles, 200)
		if n := len(roles.json(t)["permissions"].([]any)); n != 19 {
			t.Fatalf("%d permissions in the matrix, want 19", n)
		}
	})
}

func TestEdgeBehaviour(t *testing.T) {
	h := newHarness(t, sqliteURL(t), nil)
	staff := h.token("staff1", "staff123")

	// Over the 1 MiB limit: 413 through a real listener.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = h.server.App().Listener(ln) }()
	t.Cleanup(func() { _ = h.server.App().Shutdown() })
	// Announce a body over the limit and read the answer before sending it,
	// as a client would see it; the server must not wait for the body.
	conn, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST /api/v1/students HTTP/1.1\r\nHost: campus\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"name\":\"", staff, 2<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}
	r := h.do("POST", "/api/v1/students", staff, nil, "Content-Type", "text/plain")
	if r.Status != 400 && r.Status != 415 {
		t.Fatalf("empty text body: %d", r.Status)
	}
	expectProblem(t, h.do("POST", "/api/v1/auth/login", "", nil), 400, "")
	expectProblem(t, h.do("POST", "/api/v1/auth/login", "", `{"username": "admin", "password": `), 400, "Malformed JSON body")
	r = h.do("POST", "/api/v1/auth/login", "", nil, "Content-Type", "text/plain")
	expectProblem(t, r, 400, "")
	expectProblem(t, h.do("GET", "/api/v1/nowhere", staff, nil), 404, "No such route")
	expectProblem(t, h.do("GET", "/api/v1/students/abc", staff, nil), 404, "")

	r = h.do("GET", "/health", "", nil, "X-Request-ID", "trace-123")
	if r.Header.Get("X-Request-ID") != "trace-123" {
		t.Fatalf("request id not echoed: %q", r.Header.Get("X-Request-ID"))
	}
	r = h.do("GET", "/health", "", nil, "X-Request-ID", "bad id with spaces")
	if id := r.Header.Get("X-Request-ID"); id == "" || strings.Contains(id, " ") {
		t.Fatalf("invalid request id echoed: %q", id)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatal("security headers missing")
	}

	full := h.do("GET", "/health/full", "", nil)
	expectStatus(t, full, 200)
	fm := full.json(t)
	comp := fm["components"].(map[string]any)
	db := comp["database"].(map[string]any)
	if fm["status"] != "healthy" || db["backend"] != "sqlite" || db["max_open"].(float64) < 1 || fm["environment"] != "testing" {
		t.Fatalf("health/full: %s", full.Body)
	}
	for _, k := range []string{"api", "database", "cache", "background_tasks", "scheduler"} {
		if _, ok := comp[k]; !ok {
			t.Fatalf("component %s missing", k)
		}
	}
	m := h.do("GET", "/metrics", "", nil)
	expectStatus(t, m, 200)
	for _, want := range []string{"campus_http_requests_total", `route="/health"`, "campus_http_request_duration_seconds"} {
		if !strings.Contains(string(m.Body), want) {
			t.Fatalf("metrics lack %s", want)
		}
	}
	h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "not-it"})
	if !strings.Contains(string(h.do("GET", "/metrics", "", nil).Body), `campus_login_failures_total{reason="bad_credentials"} 1`) {
		t.Fatal("login failure not counted")
	}
	docs := h.do("GET", "/docs", "", nil)
	if docs.Status != 200 || !strings.Contains(string(docs.Body), "/openapi.json") {
		t.Fatalf("docs: %d", docs.Status)
	}
}

// TestDatabaseOutage cuts the API's PostgreSQL database off under a running
// API: health answers 503, requests that need the database get 503 (never
// 500), and once the database is back the same process recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	dbURL := testenv.PostgresURL(t)
	h := newHarness(t, dbURL, nil)
	tok := h.token("staff1", "staff123")
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	adminURL := os.Getenv(testenv.EnvDatabaseURL)
	if adminURL == "" {
		adminURL = testenv.DefaultDatabaseURL
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	exec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec(fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS false`, name))
	exec(fmt.Sprintf(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s'`, name))
	t.Cleanup(func() { _, _ = admin.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS true`, name)) })

	expectStatus(t, h.do("GET", "/health", "", nil), 503)
	expectStatus(t, h.do("GET", "/health/full", "", nil), 503)
	for i := 0; i < 3; i++ { // the first call may find a dead pooled connection
		r := h.do("GET", "/api/v1/students", tok, nil)
		if r.Status != 503 {
			t.Fatalf("students with the database down: %d %s", r.Status, r.Body)
		}
	}
	r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"})
	if r.Status != 503 {
		t.Fatalf("login with the database down: %d %s", r.Status, r.Body)
	}

	exec(fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS true`, name))
	expectStatus(t, h.do("GET", "/health", "", nil), 200)
	expectStatus(t, h.do("GET", "/api/v1/students", tok, nil), 200)
}
