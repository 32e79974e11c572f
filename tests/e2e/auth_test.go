package e2e

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestLoginAndTokenRules(t *testing.T) {
	eachStore(t, map[string]string{"REFRESH_REUSE_GRACE_SECONDS": "0"}, func(t *testing.T, h *harness) {
		r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"})
		expectStatus(t, r, http.StatusOK)
		m := r.json(t)
		if m["token_type"] != "bearer" || m["expires_in"].(float64) != 1800 || m["role"] != "admin" || m["user_id"].(float64) == 0 {
			t.Fatalf("login body: %s", r.Body)
		}
		access, refresh := m["access_token"].(string), m["refresh_token"].(string)

		expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-pass"}),
			401, "Invalid username or password")
		expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "nobody", "password": "whatever1"}),
			401, "Invalid username or password")
		p := expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "12345"}), 422, "")
		if errs, _ := p["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "password" {
			t.Fatalf("validation errors: %v", p["errors"])
		}

		// verify and permissions reflect the token.
		v := h.do("GET", "/api/v1/auth/verify", access, nil)
		expectStatus(t, v, 200)
		if vm := v.json(t); vm["valid"] != true || vm["username"] != "admin" || vm["expires_at"] == "" {
			t.Fatalf("verify: %s", v.Body)
		}
		perms := h.do("GET", "/api/v1/auth/permissions", h.token("student1", "student123"), nil).json(t)
		if perms["role"] != "student" || len(perms["permissions"].([]any)) != 5 {
			t.Fatalf("student permissions: %v", perms)
		}

		// A refresh token is not an access token and vice versa.
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", refresh, nil), 401, "Invalid token")
		expectProblem(t, h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": access}), 401, "Invalid token")
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", "garbage.token.here", nil), 401, "Invalid token")
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", "", nil), 401, "Not authenticated")
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", algNone(access), nil), 401, "Invalid token")

		// Rotation: the new pair works, the old refresh token is retired,
		// and presenting it again revokes the whole session.
		r2 := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
		expectStatus(t, r2, 200)
		access2, refresh2 := r2.str(t, "access_token"), r2.str(t, "refresh_token")
		if refresh2 == refresh || access2 == access {
			t.Fatal("refresh did not issue new tokens")
		}
		expectStatus(t, h.do("GET", "/api/v1/auth/profile", access2, nil), 200)
		expectProblem(t, h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh}), 401, "Token has been revoked")
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", access2, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh2}), 401, "Token has been revoked")

		admin := h.token("admin", "admin123")
		audit := h.do("GET", "/api/v1/audit-logs?action=auth.refresh_reuse", admin, nil).json(t)
		if audit["total"].(float64) != 1 {
			t.Fatalf("refresh reuse audited %v times", audit["total"])
		}
		if strings.Contains(string(h.do("GET", "/api/v1/audit-logs?limit=200", admin, nil).Body), "admin123") {
			t.Fatal("a password reached the audit trail")
		}
	})
}

// algNone rewrites a token's header to alg "none" and drops the signature.
func algNone(tok string) string {
	parts := strings.Split(tok, ".")
	hdr := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return hdr + "." + parts[1] + "."
}

func TestLogoutSessionsAndPasswordChange(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		a1, r1 := h.login("staff1", "staff123")
		a2, _ := h.login("staff1", "staff123")

		list := h.do("GET", "/api/v1/auth/sessions", a1, nil)
		expectStatus(t, list, 200)
		var sessions []map[string]any
		mustJSON(t, list.Body, &sessions)
		if len(sessions) != 2 {
			t.Fatalf("%d sessions, want 2", len(sessions))
		}
		var other string
		for _, s := range sessions {
			if s["current"] != true {
				other = s["id"].(string)
			}
		}
		// Deleting the other session ends its tokens at once.
		expectStatus(t, h.do("DELETE", "/api/v1/auth/sessions/"+other, a1, nil), 204)
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", a2, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("DELETE", "/api/v1/auth/sessions/"+other, a1, nil), 404, "")

		// Someone else's refresh token cannot be used to log out.
		_, adminRefresh := h.login("admin", "admin123")
		expectProblem(t, h.do("POST", "/api/v1/auth/logout", a1, map[string]string{"token": adminRefresh}), 403, "")
		expectStatus(t, h.do("POST", "/api/v1/auth/logout", a1, map[string]string{"token": r1}), 200)
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", a1, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": r1}), 401, "Token has been revoked")

		// Password change: old password checked, policy applied, other sessions revoked.
		cur, _ := h.login("staff1", "staff123")
		keep, _ := h.login("staff1", "staff123")
		body := func(old, nw, confirm string) map[string]string {
			return map[string]string{"old_password": old, "new_password": nw, "confirm_password": confirm}
		}
		expectProblem(t, h.do("POST", "/api/v1/auth/change-password", cur, body("wrong-old", "a-Better-passphrase", "a-Better-passphrase")), 400, "")
		expectProblem(t, h.do("POST", "/api/v1/auth/change-password", cur, body("staff123", "a-Better-passphrase", "different")), 422, "")
		expectProblem(t, h.do("POST", "/api/v1/auth/change-password", cur, body("staff123", "password", "password")), 422, "")
		long := strings.Repeat("é", 37) // 74 bytes
		expectProblem(t, h.do("POST", "/api/v1/auth/change-password", cur, body("staff123", long, long)), 422, "")
		expectStatus(t, h.do("POST", "/api/v1/auth/change-password", cur, body("staff123", "a-Better-passphrase", "a-Better-passphrase")), 200)
		expectStatus(t, h.do("GET", "/api/v1/auth/profile", cur, nil), 200)
		expectProblem(t, h.do("GET", "/api/v1/auth/profile", keep, nil), 401, "Token has been revoked")
		expectProblem(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "staff1", "password": "staff123"}), 401, "")
		h.login("staff1", "a-Better-passphrase")
	})
}

func TestLockoutAndRateLimit(t *testing.T) {
	eachStore(t, map[string]string{"LOGIN_MAX_FAILURES": "3"}, func(t *testing.T, h *harness) {
		for i := 0; i < 3; i++ {
			expectStatus(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "staff1", "password": "wrong-pass"}), 401)
		}
		r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "staff1", "password": "staff123"})
		expectProblem(t, r, 429, "")
		if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
			t.Fatalf("Retry-After %q", ra)
		}
		// Unknown usernames lock the same way, so a lockout reveals nothing.
		for i := 0; i < 3; i++ {
			expectStatus(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "ghost", "password": "wrong-pass"}), 401)
		}
		expectStatus(t, h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "ghost", "password": "wrong-pass"}), 429)
		// Other accounts are unaffected.
		h.login("admin", "admin123")
		lock := h.do("GET", "/api/v1/audit-logs?action=auth.lockout", h.token("admin", "admin123"), nil).json(t)
		if lock["total"].(float64) != 2 {
			t.Fatalf("lockouts audited: %v", lock["total"])
		}
	})
	t.Run("per-ip", func(t *testing.T) {
		h := newHarness(t, sqliteURL(t), map[string]string{"AUTH_RATE_LIMIT_PER_MINUTE": "3"})
		for i := 0; i < 3; i++ {
			h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "wrong-pass"})
		}
		r := h.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin123"})
		expectProblem(t, r, 429, "")
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		// Routes outside the auth limit still answer.
		expectStatus(t, h.do("GET", "/health", "", nil), 200)
	})
}

func TestRegister(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		admin := h.token("admin", "admin123")
		// A student record whose email a new student account will match.
		st := h.do("POST", "/api/v1/students", admin, map[string]any{"name": "Ada L", "roll_no": "R-100", "department": "Math",
			"semester": 2, "section": "B", "email": "ada@campus.edu"})
		expectStatus(t, st, 201)
		sid := st.json(t)["id"].(float64)

		reg := func(tok string, body map[string]string) response {
			return h.do("POST", "/api/v1/auth/register", tok, body)
		}
		r := reg("", map[string]string{"username": "ada", "email": "ADA@campus.edu", "password": "correct horse battery", "full_name": "Ada"})
		expectStatus(t, r, 201)
		if m := r.json(t); m["role"] != "student" || m["student_id"].(float64) != sid || r.Header.Get("Location") == "" {
			t.Fatalf("registered: %s", r.Body)
		}
		expectProblem(t, reg("", map[string]string{"username": "ada", "email": "x@campus.edu", "password": "correct horse battery"}), 409, "")
		expectProblem(t, reg("", map[string]string{"username": "boss", "email": "boss@campus.edu", "password": "correct horse battery", "role": "staff"}),
			403, "Insufficient permissions")
		expectProblem(t, reg(h.token("staff1", "staff123"), map[string]string{"username": "boss", "email": "boss@campus.edu", "password": "correct horse battery", "role": "admin"}),
			403, "Insufficient permissions")
		expectStatus(t, reg(admin, map[string]string{"username": "boss", "email": "boss@campus.edu", "password": "correct horse battery", "role": "STAFF"}), 201)
		p := expectProblem(t, reg("", map[string]string{"username": "x", "email": "not-an-email", "password": "qwerty123"}), 422, "")
		fields := map[string]bool{}
		for _, e := range p["errors"].([]any) {
			fields[e.(map[string]any)["field"].(string)] = true
		}
		if !fields["username"] || !fields["email"] || !fields["password"] {
			t.Fatalf("want username, email and password errors: %v", p["errors"])
		}
		expectProblem(t, reg("", map[string]string{"username": "sam", "email": "sam@campus.edu", "password": "sam"}), 422, "")
		expectProblem(t, reg("", map[string]string{"username": "samuel", "email": "sam@campus.edu", "password": "samuel"}), 422, "")
		h.login("ada", "correct horse battery")
		h.login("boss", "correct horse battery")
	})
}

// TestConcurrentRefresh sends 20 refreshes of one token at once over a real
// listener: exactly one wins and the winner's tokens keep working.
func TestConcurrentRefresh(t *testing.T) {
	eachStore(t, nil, func(t *testing.T, h *harness) {
		_, refresh := h.login("student1", "student123")
		const n = 20
		var wg sync.WaitGroup
		statuses := make([]int, n)
		winners := make([]string, n)
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				r := h.do("POST", "/api/v1/auth/refresh", "", map[string]string{"refresh_token": refresh})
				statuses[i] = r.Status
				if r.Status == 200 {
					winners[i] = r.str(t, "access_token")
				}
			}(i)
		}
		close(start)
		wg.Wait()
		ok := 0
		var access string
		for i, s := range statuses {
			switch s {
			case 200:
				ok++
				access = winners[i]
			case 401:
			default:
				t.Errorf("refresh %d: status %d", i, s)
			}
		}
		if ok != 1 {
			t.Fatalf("%d refreshes succeeded, want exactly 1 (%v)", ok, fmt.Sprint(statuses))
		}
		expectStatus(t, h.do("GET", "/api/v1/auth/profile", access, nil), 200)
	})
}
