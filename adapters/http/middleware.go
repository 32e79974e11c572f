package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

const (
	headerRequestID = "X-Request-ID"
	localRequestID  = "request_id"
)

// requestIDMiddleware echoes a well-formed incoming X-Request-ID or makes one.
func requestIDMiddleware(c *fiber.Ctx) error {
	id := c.Get(headerRequestID)
	if !validRequestID(id) {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Locals(localRequestID, id)
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
	id, _ := c.Locals(localRequestID).(string)
	return id
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
		// fasthttp reuses its buffers: copy what outlives the request.
		method := strings.Clone(c.Method())
		route := strings.Clone(c.Route().Path)
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
