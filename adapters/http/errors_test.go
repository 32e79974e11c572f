package httpapi

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/campus/campus/domain/fault"
)

// testApp is a Fiber app with this package's error handler and request-id
// middleware, serving one handler at GET /x.
func testApp(h fiber.Handler) *fiber.App {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(log), DisableStartupMessage: true, JSONEncoder: json.Marshal})
	app.Use(requestIDMiddleware, observe(log, NewMetrics(), time.Second), recover.New())
	app.Get("/x", h)
	return app
}

func call(t *testing.T, app *fiber.App, headers ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("GET", "/x", nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, resp.Header, body
}

func TestErrorKindsMapToStatuses(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{fault.New(fault.Invalid, "bad"), 422},
		{fault.New(fault.NotFound, "gone"), 404},
		{fault.New(fault.Conflict, "dup"), 409},
		{fault.New(fault.Forbidden, "no"), 403},
		{fault.New(fault.Unauthenticated, "who"), 401},
		{&fault.Error{Kind: fault.Throttled, Message: "slow", RetryAfter: 1500 * time.Millisecond}, 429},
		{fault.Wrap(fault.Unavailable, "Database unavailable", errors.New("dial tcp: refused")), 503},
		{fault.New(fault.BadRequest, "rule"), 400},
		{fault.New(fault.TooLarge, "big"), 413},
		{fiber.ErrUnsupportedMediaType, 415},
		{errors.New("pq: secret internal detail"), 500},
	}
	for _, tc := range cases {
		status, hdr, body := call(t, testApp(func(*fiber.Ctx) error { return tc.err }))
		if status != tc.status {
			t.Errorf("%v: status %d, want %d", tc.err, status, tc.status)
		}
		if ct := hdr.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%v: content type %q", tc.err, ct)
		}
		if body["status"].(float64) != float64(tc.status) || body["title"] != http.StatusText(tc.status) || body["detail"] == "" {
			t.Errorf("%v: problem %v", tc.err, body)
		}
		if strings.Contains(body["detail"].(string), "internal detail") || strings.Contains(body["detail"].(string), "refused") {
			t.Errorf("%v: cause leaked to the client: %v", tc.err, body["detail"])
		}
		_, hasID := body["request_id"]
		if hasID != (tc.status >= 500) {
			t.Errorf("%v: request_id present=%v, want only on 5xx", tc.err, hasID)
		}
		if tc.status == 429 && hdr.Get("Retry-After") != "2" {
			t.Errorf("Retry-After %q, want 2 (rounded up)", hdr.Get("Retry-After"))
		}
	}
}

func TestValidationErrorsListFields(t *testing.T) {
	var v fault.Validation
	v.Add("semester", "must be between 1 and 12")
	v.Add("email", "must be a valid email address")
	_, _, body := call(t, testApp(func(*fiber.Ctx) error { return v.Err() }))
	errs, _ := body["errors"].([]any)
	if len(errs) != 2 || errs[0].(map[string]any)["field"] != "semester" {
		t.Fatalf("errors: %v", body)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	status, hdr, body := call(t, testApp(func(*fiber.Ctx) error { panic("boom") }))
	if status != 500 || body["request_id"] != hdr.Get("X-Request-ID") || strings.Contains(body["detail"].(string), "boom") {
		t.Fatalf("panic answered %d %v", status, body)
	}
}

func TestRequestID(t *testing.T) {
	ok := func(*fiber.Ctx) error { return nil }
	_, hdr, _ := call(t, testApp(ok), "X-Request-ID", "abc-123_x.y:z")
	if hdr.Get("X-Request-ID") != "abc-123_x.y:z" {
		t.Fatalf("valid id not echoed: %q", hdr.Get("X-Request-ID"))
	}
	for _, bad := range []string{"has space", strings.Repeat("a", 129), "semi;colon", "new\\nline"} {
		_, hdr, _ = call(t, testApp(ok), "X-Request-ID", bad)
		if got := hdr.Get("X-Request-ID"); got == bad || len(got) != 32 {
			t.Errorf("invalid id %q: answered %q", bad, got)
		}
	}
}

func TestGuardAdmitsByMatrix(t *testing.T) {
	g := RequirePermission("DELETE_STUDENT")
	if !g.Admits("admin") || g.Admits("staff") || g.Admits("student") || g.Admits("guest") {
		t.Fatal("DELETE_STUDENT guard does not follow the matrix")
	}
	r := RequireRole("staff")
	if !r.Admits("admin") || !r.Admits("staff") || r.Admits("student") || r.Admits("nobody") {
		t.Fatal("role guard does not follow the levels")
	}
	if Public().NeedsToken() || Optional().NeedsToken() || !Authenticated().NeedsToken() {
		t.Fatal("token needs wrong")
	}
}

func TestOpenAPIPath(t *testing.T) {
	if got := OpenAPIPath("/api/v1/clubs/:id/members/:member_id"); got != "/api/v1/clubs/{id}/members/{member_id}" {
		t.Fatal(got)
	}
}

func TestSlowRequestsLoggedAtWarn(t *testing.T) {
	var buf strings.Builder
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	app := fiber.New(fiber.Config{ErrorHandler: errorHandler(log), DisableStartupMessage: true})
	app.Use(requestIDMiddleware, observe(log, NewMetrics(), 20*time.Millisecond))
	app.Get("/fast", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Get("/slow", func(c *fiber.Ctx) error { time.Sleep(30 * time.Millisecond); return c.SendString("ok") })
	for _, p := range []string{"/fast", "/slow"} {
		resp, err := app.Test(httptest.NewRequest("GET", p+"?token=abc", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.Contains(out, `"msg":"slow request"`) || !strings.Contains(out, `"route":"/slow"`) || !strings.Contains(out, `"duration_ms"`) {
		t.Fatalf("want exactly the slow request at WARN with its duration, got:\n%s", out)
	}
	if strings.Contains(out, "abc") {
		t.Fatal("query string (which may carry a token) reached the log")
	}
}
