// Package httpapi is the HTTP edge: the Fiber app, its middleware, the route
// table with each route's guard, the DTOs, the one error handler, health,
// metrics and the OpenAPI document generated from the same route table.
package httpapi

import (
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"

	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/analytics"
	"github.com/campus/campus/application/attendance"
	appaudit "github.com/campus/campus/application/audit"
	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/application/club"
	"github.com/campus/campus/application/complaint"
	"github.com/campus/campus/application/export"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/application/reports"
	"github.com/campus/campus/application/risk"
	"github.com/campus/campus/application/schedule"
	"github.com/campus/campus/application/student"
	"github.com/campus/campus/application/user"

	gojson "github.com/goccy/go-json"
)

// Config holds the settings of the HTTP edge.
type Config struct {
	BodyLimit         int
	CORSOrigins       []string
	SlowRequest       time.Duration
	AuthRatePerMinute int
	KeyPrefix         string // namespaces the rate-limit counters in a shared store
	Version           string
	Environment       string
	ProxyHeader       string // e.g. X-Forwarded-For when behind a trusted proxy
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	ShutdownTimeout   time.Duration
	// Pprof serves Go's profiler under /debug/pprof to admins.
	Pprof bool
}

// Database is what health checks read from the store.
type Database interface {
	Ping(ctx context.Context) error
	Dialect() string
	Stats() sql.DBStats
}

// Cache is what health checks and metrics read from the cache.
type Cache interface {
	Enabled() bool
	Backend() string
	Ping(ctx context.Context) error
	Collectors() []prometheus.Collector
}

// TaskFigures are the background queue's live figures.
type TaskFigures struct {
	QueueSize, Workers, Pending, Running, Completed, Failed int
}

// SchedulerFigures describe the periodic-job schedulers.
type SchedulerFigures struct {
	Running    bool
	TasksCount int
}

// Tasks is what health checks read from the background queue.
type Tasks interface {
	Enabled() bool
	Backend() string
	Figures(ctx context.Context) (TaskFigures, error)
	Scheduler(ctx context.Context) (SchedulerFigures, error)
}

// Deps are the use cases and probes the edge calls.
type Deps struct {
	Auth     *auth.Service
	Users    *user.Service
	Students *student.Service
	Audit    *appaudit.Service

	Attendance *attendance.Service
	Complaints *complaint.Service
	Schedules  *schedule.Service
	Clubs      *club.Service
	Risks      *risk.Service
	Agents     *appagent.Service

	Notifications *appnotification.Service
	Analytics     *analytics.Service
	Reports       *reports.Service
	Exports       *export.Service

	DB     Database
	Cache  Cache
	Tasks  Tasks
	Logger *slog.Logger
	// LimiterStorage shares the per-IP auth limit across replicas; nil keeps
	// it in memory.
	LimiterStorage fiber.Storage
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	d       Deps
	app     *fiber.App
	metrics *Metrics
	routes  []Route
	started time.Time
	// openAPIDoc is the rendered document, built on first request from
	// this server's route table.
	openAPIDoc struct {
		sync.Once
		body []byte
		err  error
	}
}

// NewServer builds the app and registers every route.
func NewServer(cfg Config, d Deps) *Server {
	s := &Server{cfg: cfg, d: d, metrics: NewMetrics(d.Cache.Collectors()...), started: time.Now()}
	s.app = fiber.New(fiber.Config{
		AppName:               "campus",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          errorHandler(d.Logger),
		DisableStartupMessage: true,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		ProxyHeader:           cfg.ProxyHeader,
		// Responses through goccy/go-json (same output as encoding/json,
		// about twice as fast); request bodies keep encoding/json's errors.
		JSONEncoder: gojson.Marshal,
		JSONDecoder: json.Unmarshal,
	})
	s.app.Use(requestIDMiddleware)
	s.app.Use(observe(d.Logger, s.metrics, cfg.SlowRequest))
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		d.Logger.Error("panic", "panic", e, "request_id", requestID(c), "path", c.Path())
	}}))
	s.app.Use(securityHeaders)
	// No CORS_ORIGINS means no cross-origin access (fiber's default is "*").
	if len(cfg.CORSOrigins) > 0 {
		s.app.Use(cors.New(cors.Config{
			AllowOrigins:  strings.Join(cfg.CORSOrigins, ","),
			AllowHeaders:  "Authorization, Content-Type, X-Request-ID, If-Match",
			AllowMethods:  "GET,POST,PUT,PATCH,DELETE,OPTIONS",
			ExposeHeaders: "X-Request-ID, X-Total-Count, Link, Location, Retry-After, ETag",
			MaxAge:        600,
		}))
	}
	s.registerRoutes()
	s.app.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return s
}

// App exposes the Fiber app (for tests and the listener).
func (s *Server) App() *fiber.App { return s.app }

// Routes lists every registered route with its guard.
func (s *Server) Routes() []Route { return s.routes }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Shutdown lets in-flight requests finish, up to the configured timeout.
func (s *Server) Shutdown() error { return s.app.ShutdownWithTimeout(s.cfg.ShutdownTimeout) }

func (s *Server) authLimiter() fiber.Handler {
	max := s.cfg.AuthRatePerMinute
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:          max,
		Expiration:   time.Minute,
		KeyGenerator: func(c *fiber.Ctx) string { return s.cfg.KeyPrefix + "authrl:" + c.IP() },
		LimitReached: authLimitReached,
		Storage:      s.d.LimiterStorage,
	})
}
