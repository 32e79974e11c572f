package e2e

import (
	"testing"

	"github.com/campus/campus/tests/testenv"
)

// FuzzJSONBodies throws arbitrary bodies at the JSON routes: no input may
// produce a 5xx or a panic.
func FuzzJSONBodies(f *testing.F) {
	for _, seed := range []string{`{}`, `{"username":"admin","password":"admin123"}`, `{"semester":"x"}`, `[]`, `null`,
		`{"name":1e400}`, `{"email":{"a":1}}`, "\xff\xfe", `{"refresh_token":"a.b.c"}`, `{"student_id":null}`,
		`{"name":"A","roll_no":"Z-1","department":"D","semester":1}`, `{"role":"ADMIN","is_active":"yes"}`,
		`{"name":"A\u0000B","roll_no":"Z-2","department":"D","semester":1}`, `{"full_name":"\ud800"}`} {
		f.Add(seed)
	}
	// PostgreSQL is the stricter store (it refuses NUL and bad UTF-8 in text).
	h := newHarness(f, testenv.PostgresURL(f), map[string]string{"LOGIN_MAX_FAILURES": "1000000"})
	admin := h.token("admin", "admin123")
	routes := []struct{ method, path, token string }{
		{"POST", "/api/v1/auth/login", ""},
		{"POST", "/api/v1/auth/register", ""},
		{"POST", "/api/v1/auth/refresh", ""},
		{"POST", "/api/v1/students", admin},
		{"PUT", "/api/v1/students/1", admin},
		{"PATCH", "/api/v1/students/1", admin},
		{"PATCH", "/api/v1/users/2", admin},
		{"PUT", "/api/v1/auth/profile", admin},
	}
	f.Fuzz(func(t *testing.T, body string) {
		view := *h
		view.t = t
		for _, rt := range routes {
			r := view.do(rt.method, rt.path, rt.token, body)
			if r.Status >= 500 {
				t.Fatalf("%s %s with %q: %d %s", rt.method, rt.path, body, r.Status, r.Body)
			}
		}
	})
}
