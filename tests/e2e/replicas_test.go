package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/tests/testenv"
)

// TestReplicasShareRevocationsAndLimits runs two APIs over one PostgreSQL
// database and one Redis: a logout on one is honoured by the other at once,
// and the per-IP auth limit is counted across both.
func TestReplicasShareRevocationsAndLimits(t *testing.T) {
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	cfg := map[string]string{"REDIS_URL": redisURL, "AUTH_RATE_LIMIT_PER_MINUTE": "4", "CACHE_PREFIX": testenv.KeyPrefix(t)}
	a := newHarness(t, dbURL, cfg)
	b := newHarness(t, dbURL, cfg)

	access, refresh := a.login("staff1", "staff123") // 1 on A
	expectStatus(t, b.do("GET", "/api/v1/auth/profile", access, nil), http.StatusOK)
	expectStatus(t, a.do("POST", "/api/v1/auth/logout", access, nil), http.StatusOK)
	expectProblem(t, b.do("GET", "/api/v1/auth/profile", access, nil), 401, "Token has been revoked")
	expectProblem(t, b.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}), 401, "Token has been revoked") // 2 on B

	adminB := b.token("admin", "admin123") // 3 on B
	adminA := a.token("admin", "admin123") // 4 on A
	r := b.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"})
	expectProblem(t, r, 429, "")

	// A read cached on A is never served stale after a write on B.
	for i := 0; i < 2; i++ {
		expectStatus(t, a.do("GET", "/api/v1/students/1", adminA, nil), http.StatusOK)
	}
	expectStatus(t, b.do("PATCH", "/api/v1/students/1", adminB, map[string]any{"section": "Z"}), http.StatusOK)
	if got := a.do("GET", "/api/v1/students/1", adminA, nil).json(t)["section"]; got != "Z" {
		t.Fatalf("replica A served section %v after B changed it to Z", got)
	}
}

// TestReplicasNeverServeAStaleProfile: a profile (cached 600 s) edited on
// one replica by its owner, or changed by an admin there, is what the
// other replica answers next.
func TestReplicasNeverServeAStaleProfile(t *testing.T) {
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	cfg := map[string]string{"REDIS_URL": redisURL, "CACHE_PREFIX": testenv.KeyPrefix(t)}
	a := newHarness(t, dbURL, cfg)
	b := newHarness(t, dbURL, cfg)
	adminA, adminB := a.token("admin", "admin123"), b.token("admin", "admin123")
	staffA := a.token("staff1", "staff123")
	for i := 0; i < 2; i++ {
		expectStatus(t, a.do("GET", "/api/v1/auth/profile", staffA, nil), http.StatusOK)
	}
	expectStatus(t, b.do("PUT", "/api/v1/auth/profile", staffA, map[string]any{"full_name": "Renamed On B"}), http.StatusOK)
	if got := a.do("GET", "/api/v1/auth/profile", staffA, nil).json(t)["full_name"]; got != "Renamed On B" {
		t.Fatalf("replica A served full_name %v after B renamed it", got)
	}
	staffID := a.do("GET", "/api/v1/auth/profile", staffA, nil).json(t)["user_id"].(float64)
	expectStatus(t, b.do("PATCH", "/api/v1/users/"+strconv.Itoa(int(staffID)), adminB, map[string]any{"is_active": false}), http.StatusOK)
	expectProblem(t, a.do("GET", "/api/v1/auth/profile", staffA, nil), 401, "")
	if got := a.do("GET", "/api/v1/users/"+strconv.Itoa(int(staffID)), adminA, nil).json(t)["is_active"]; got != false {
		t.Fatalf("replica A shows is_active %v after B deactivated the user", got)
	}
}

// TestBcryptCostUpgradeAndKeyRotation restarts the API over the same
// database with a higher BCRYPT_COST and a new SECRET_KEY (the old one as
// SECRET_KEY_PREVIOUS): old tokens still verify, and the next login
// upgrades the stored hash.
func TestBcryptCostUpgradeAndKeyRotation(t *testing.T) {
	eachStoreURL(t, func(t *testing.T, dbURL string) {
		oldKey := "first-signing-key-of-at-least-32-bytes!!"
		a := newHarness(t, dbURL, map[string]string{"SECRET_KEY": oldKey, "BCRYPT_COST": "4"})
		access, _ := a.login("staff1", "staff123")

		b := newHarness(t, dbURL, map[string]string{"SECRET_KEY": "second-signing-key-of-at-least-32-bytes!",
			"SECRET_KEY_PREVIOUS": oldKey, "BCRYPT_COST": "5"})
		expectStatus(t, b.do("GET", "/api/v1/auth/profile", access, nil), http.StatusOK)
		c := newHarness(t, dbURL, map[string]string{"SECRET_KEY": "third-signing-key-of-at-least-32-bytes!!", "BCRYPT_COST": "5"})
		expectProblem(t, c.do("GET", "/api/v1/auth/profile", access, nil), 401, "Invalid token")

		users := store.NewUserRepository(b.app.DB)
		before, err := users.GetByUsername(context.Background(), "staff1")
		if err != nil {
			t.Fatal(err)
		}
		if cost, _ := bcrypt.Cost([]byte(before.PasswordHash)); cost != 4 {
			t.Fatalf("seeded cost %d", cost)
		}
		b.login("staff1", "staff123")
		after, err := users.GetByUsername(context.Background(), "staff1")
		if err != nil {
			t.Fatal(err)
		}
		if cost, _ := bcrypt.Cost([]byte(after.PasswordHash)); cost != 5 {
			t.Fatalf("cost after login %d, want 5", cost)
		}
		b.login("staff1", "staff123") // the upgraded hash still verifies
	})
}

func eachStoreURL(t *testing.T, fn func(t *testing.T, url string)) {
	for _, st := range testenv.Stores() {
		t.Run(st.Name, func(t *testing.T) { fn(t, st.URL(t)) })
	}
}

// TestRedisDownDegradesNotFails runs the API with a Redis that is not
// there: reads, writes, logins and revocations still work from the
// database, and /health/full says degraded rather than unhealthy.
func TestRedisDownDegradesNotFails(t *testing.T) {
	h := newHarness(t, sqliteURL(t), map[string]string{"REDIS_URL": "redis://127.0.0.1:1/0"})
	access, _ := h.login("staff1", "staff123")
	expectStatus(t, h.do("GET", "/api/v1/students/1", access, nil), http.StatusOK)
	expectStatus(t, h.do("PATCH", "/api/v1/students/1", access, map[string]any{"section": "Q"}), http.StatusOK)
	if got := h.do("GET", "/api/v1/students/1", access, nil).json(t)["section"]; got != "Q" {
		t.Fatalf("section %v after PATCH", got)
	}
	expectStatus(t, h.do("POST", "/api/v1/auth/logout", access, nil), http.StatusOK)
	expectProblem(t, h.do("GET", "/api/v1/auth/profile", access, nil), 401, "Token has been revoked")
	r := h.do("GET", "/health/full", "", nil)
	expectStatus(t, r, http.StatusOK)
	m := r.json(t)
	if m["status"] != "degraded" || m["components"].(map[string]any)["cache"].(map[string]any)["status"] != "unhealthy" {
		t.Fatalf("health/full with Redis down: %s", r.Body)
	}
	expectStatus(t, h.do("GET", "/health", "", nil), http.StatusOK)
}

// TestReplicasServeFreshFigures: reports and analytics are cached for an
// hour, yet a change committed on one replica shows in the other's next
// answer (the change's event starts a new generation of its area).
func TestReplicasServeFreshFigures(t *testing.T) {
	dbURL, redisURL := testenv.PostgresURL(t), testenv.RedisURL(t)
	cfg := map[string]string{"REDIS_URL": redisURL, "CACHE_PREFIX": testenv.KeyPrefix(t)}
	a := newHarness(t, dbURL, cfg)
	b := newHarness(t, dbURL, cfg)
	staffA, staffB := a.token("staff1", "staff123"), b.token("staff1", "staff123")
	total := func() float64 {
		t.Helper()
		r := a.do("GET", "/api/v1/reports/summary", staffA, nil)
		expectStatus(t, r, http.StatusOK)
		return r.json(t)["total_students"].(float64)
	}
	before := total()
	if again := total(); again != before {
		t.Fatalf("no change, yet %v then %v", before, again)
	}
	r := b.do("POST", "/api/v1/students", staffB, map[string]any{"name": "Fresh Figures", "roll_no": "FRESH-1", "department": "CS", "semester": 1})
	expectStatus(t, r, http.StatusCreated)
	if got := total(); got != before+1 {
		t.Fatalf("after a student was added on B, A says %v students (was %v)", got, before)
	}
	id := int(r.json(t)["id"].(float64))
	expectStatus(t, b.do("PATCH", "/api/v1/students/"+strconv.Itoa(id), staffB, map[string]any{"status": "inactive"}), http.StatusOK)
	if got := total(); got != before {
		t.Fatalf("after the student was made inactive on B, A says %v students (want %v)", got, before)
	}

	// The summary's attendance figures follow a mark made on the other replica.
	summary := func() map[string]any {
		t.Helper()
		r := a.do("GET", "/api/v1/analytics/summary", staffA, nil)
		expectStatus(t, r, http.StatusOK)
		return r.json(t)
	}
	s1 := fmt.Sprint(summary())
	expectStatus(t, b.do("POST", "/api/v1/attendance", staffB, map[string]any{"student_id": 1,
		"date": time.Now().UTC().Format(time.DateOnly), "status": "present"}), http.StatusCreated)
	if s2 := fmt.Sprint(summary()); s2 == s1 {
		t.Fatalf("the summary did not change after a mark: %s", s2)
	}
}
