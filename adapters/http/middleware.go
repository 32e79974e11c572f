package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/identity"
)

const (
	headerRequestID = "X-Request-ID"
	localState      = "campus.request"
)

// requestState is what the middleware learn about a request: its id and,
// once the guard has checked the bearer, the caller. It is one local, so a
// request pays one allocation for all of it rather than one per value.
type requestState struct {
	id            string
	authenticated bool
	actor         identity.Actor
	claims        identity.Claims
}

// stateOf returns the request's state, creating it on first use.
func stateOf(c *fiber.Ctx) *requestState {
	if st, ok := c.Locals(localState).(*requestState); ok {
		return st
	}
	st := &requestState{}
	c.Locals(localState, st)
	return st
}

// requestIDMiddleware echoes a well-formed incoming X-Request-ID or makes one.
func requestIDMiddleware(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !validRequestID(id) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	stateOf(c).id = id
	c.Set(headerRequestID, id)
	return c.Next()
}

func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		ok := ch == '-' || ch == '_' || ch == '.' || ch == ':' || (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
		if !ok {
			return false
		}
	}
	return true
}

func requestID(c *fiber.Ctx) string {
	if st, ok := c.Locals(localState).(*requestState); ok {
		return st.id
	}
	return ""
}

// securityHeaders sets the headers an API should always send.
func securityHeaders(c *fiber.Ctx) error {
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if c.Path() != "/docs" {
		c.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	}
	c.Set("Cache-Control", "no-store")
	return c.Next()
}

// observe logs each request and records its metrics; it runs the error
// handler itself so the status it records is the one the client sees.
func observe(log *slog.Logger, m *Metrics, slow time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		d := time.Since(start)
		status := c.Response().StatusCode()
		// fasthttp reuses its buffers: what outlives the request (a metric's
		// labels) must not view them.
		method := methodName(c.Method())
		route := routePath(c)
		if status == fiber.StatusNotFound && route == "/" {
			route = "unmatched"
		}
		m.observe(method, route, status, d)
		level := slog.LevelInfo
		if d >= slow {
			level = slog.LevelWarn
		}
		if !log.Enabled(c.UserContext(), level) {
			return nil
		}
		attrs := []slog.Attr{
			slog.String("method", method), slog.String("path", strings.Clone(c.Path())), slog.String("route", route),
			slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
			slog.String("request_id", requestID(c)), slog.String("ip", c.IP()),
		}
		if a, ok := actorOf(c); ok {
			attrs = append(attrs, slog.Int64("user_id", a.UserID))
		}
		msg := "request"
		if level == slog.LevelWarn {
			msg = "slow request"
		}
		log.LogAttrs(c.UserContext(), level, msg, attrs...)
		return nil
	}
}

// methodName returns m as a constant when it is a standard method, so that
// it can outlive the request without a copy (Fiber's is a view of
// fasthttp's reused buffer); any other method is copied.
func methodName(m string) string {
	for _, k := range standardMethods {
		if m == k {
			return k
		}
	}
	return strings.Clone(m)
}

var standardMethods = []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch,
	fiber.MethodDelete, fiber.MethodOptions}

// routePath is the matched route's pattern. A registered route's pattern
// belongs to the app; only Fiber's stand-in for a request that matched no
// route (it has no handlers) views the request's path, and is copied.
func routePath(c *fiber.Ctx) string {
	r := c.Route()
	if len(r.Handlers) == 0 {
		return strings.Clone(r.Path)
	}
	return r.Path
}
