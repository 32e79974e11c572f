package httpapi

import (
	"context"
	"runtime"
	"time"

	"github.com/gofiber/fiber/v2"
)

// HealthDTO is GET /health.
type HealthDTO struct {
	Status string `json:"status"`
}

// FullHealthDTO is GET /health/full.
type FullHealthDTO struct {
	Timestamp   time.Time     `json:"timestamp"`
	Status      string        `json:"status"`
	Version     string        `json:"version"`
	Environment string        `json:"environment"`
	Components  ComponentsDTO `json:"components"`
}

// ComponentsDTO reports each part of the service.
type ComponentsDTO struct {
	API             APIHealthDTO      `json:"api"`
	Database        DatabaseHealthDTO `json:"database"`
	Cache           CacheHealthDTO    `json:"cache"`
	BackgroundTasks TasksHealthDTO    `json:"background_tasks"`
	Scheduler       SchedulerDTO      `json:"scheduler"`
}

// APIHealthDTO describes this process.
type APIHealthDTO struct {
	Status        string  `json:"status"`
	UptimeSeconds float64 `json:"uptime_seconds"`
	Goroutines    int     `json:"goroutines"`
}

// DatabaseHealthDTO reports the database pool, read live.
type DatabaseHealthDTO struct {
	Status          string  `json:"status"`
	Backend         string  `json:"backend"`
	LatencyMS       float64 `json:"latency_ms"`
	OpenConnections int     `json:"open_connections"`
	InUse           int     `json:"in_use"`
	Idle            int     `json:"idle"`
	MaxOpen         int     `json:"max_open"`
	WaitCount       int64   `json:"wait_count"`
	Error           string  `json:"error,omitempty"`
}

// CacheHealthDTO reports the cache.
type CacheHealthDTO struct {
	Enabled bool   `json:"enabled"`
	Backend string `json:"backend"`
	Status  string `json:"status"`
}

// TasksHealthDTO reports the background task queue.
type TasksHealthDTO struct {
	Enabled   bool   `json:"enabled"`
	Backend   string `json:"backend"`
	Status    string `json:"status"`
	QueueSize int    `json:"queue_size"`
	Workers   int    `json:"workers"`
	Pending   int    `json:"pending"`
	Running   int    `json:"running"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
}

func (s *Server) tasksHealth(ctx context.Context) TasksHealthDTO {
	h := TasksHealthDTO{Enabled: s.d.Tasks.Enabled(), Backend: s.d.Tasks.Backend(), Status: "healthy"}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	f, err := s.d.Tasks.Figures(ctx)
	if err != nil {
		h.Status = "unhealthy"
		return h
	}
	h.QueueSize, h.Workers, h.Pending, h.Running, h.Completed, h.Failed = f.QueueSize, f.Workers, f.Pending, f.Running, f.Completed, f.Failed
	return h
}

func (s *Server) schedulerHealth(ctx context.Context) SchedulerDTO {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	f, err := s.d.Tasks.Scheduler(ctx)
	if err != nil {
		return SchedulerDTO{}
	}
	return SchedulerDTO(f)
}

// SchedulerDTO reports the periodic task scheduler.
type SchedulerDTO struct {
	Running    bool `json:"running"`
	TasksCount int  `json:"tasks_count"`
}

func (s *Server) pingDB(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	start := time.Now()
	err := s.d.DB.Ping(ctx)
	return time.Since(start), err
}

func (s *Server) health(c *fiber.Ctx) error {
	if _, err := s.pingDB(c.UserContext()); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(HealthDTO{Status: "unhealthy"})
	}
	return c.JSON(HealthDTO{Status: "healthy"})
}

func (s *Server) healthFull(c *fiber.Ctx) error {
	lat, err := s.pingDB(c.UserContext())
	st := s.d.DB.Stats()
	db := DatabaseHealthDTO{Status: "healthy", Backend: s.d.DB.Dialect(), LatencyMS: float64(lat.Microseconds()) / 1000,
		OpenConnections: st.OpenConnections, InUse: st.InUse, Idle: st.Idle, MaxOpen: st.MaxOpenConnections, WaitCount: st.WaitCount}
	out := FullHealthDTO{Timestamp: time.Now().UTC(), Status: "healthy", Version: s.cfg.Version, Environment: s.cfg.Environment,
		Components: ComponentsDTO{
			API:             APIHealthDTO{Status: "healthy", UptimeSeconds: time.Since(s.started).Seconds(), Goroutines: runtime.NumGoroutine()},
			Database:        db,
			Cache:           s.cacheHealth(c.UserContext()),
			BackgroundTasks: s.tasksHealth(c.UserContext()),
			Scheduler:       s.schedulerHealth(c.UserContext()),
		}}
	if out.Components.Cache.Status != "healthy" || out.Components.BackgroundTasks.Status != "healthy" {
		out.Status = "degraded"
	}
	if err != nil {
		out.Status = "unhealthy"
		out.Components.Database.Status = "unhealthy"
		out.Components.Database.Error = "unreachable"
		return c.Status(fiber.StatusServiceUnavailable).JSON(out)
	}
	return c.JSON(out)
}

func (s *Server) cacheHealth(ctx context.Context) CacheHealthDTO {
	h := CacheHealthDTO{Enabled: s.d.Cache.Enabled(), Backend: s.d.Cache.Backend(), Status: "healthy"}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.d.Cache.Ping(ctx); err != nil {
		h.Status = "unhealthy"
	}
	return h
}

func (s *Server) docs(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set("Content-Security-Policy", "default-src 'self' https://unpkg.com; script-src 'self' 'unsafe-inline' https://unpkg.com; style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data: https:")
	return c.SendString(docsPage)
}

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>campus API</title>
<link rel="stylesheet" href="https://unpkg.com/swagger-ui-dist@5/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="https://unpkg.com/swagger-ui-dist@5/swagger-ui-bundle.js"></script>
<script>SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", persistAuthorization: true});</script>
</body></html>`
