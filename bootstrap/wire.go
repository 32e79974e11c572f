//go:build wireinject

package bootstrap

import (
	"context"
	"log/slog"

	"github.com/google/wire"

	"github.com/campus/campus/adapters/cache"
	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/adapters/password"
	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/system"
	"github.com/campus/campus/adapters/token"
	appagent "github.com/campus/campus/application/agent"
	"github.com/campus/campus/application/analytics"
	appanomaly "github.com/campus/campus/application/anomaly"
	"github.com/campus/campus/application/attendance"
	"github.com/campus/campus/application/attendancerisk"
	appaudit "github.com/campus/campus/application/audit"
	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/application/club"
	"github.com/campus/campus/application/complaint"
	"github.com/campus/campus/application/conflictscan"
	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/application/maintenance"
	appnotification "github.com/campus/campus/application/notification"
	"github.com/campus/campus/application/relay"
	"github.com/campus/campus/application/reports"
	"github.com/campus/campus/application/risk"
	"github.com/campus/campus/application/schedule"
	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/application/student"
	"github.com/campus/campus/application/user"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/ports"
)

// InitializeAPI assembles the API process.
func InitializeAPI(ctx context.Context, cfg config.Config, v Version, log *slog.Logger, o ServeOptions) (*API, func(), error) {
	wire.Build(store.ProviderSet, userSet, outboxSet, system.ProviderSet, token.ProviderSet, password.ProviderSet, cache.ProviderSet, httpapi.ProviderSet, appSet,
		wire.Bind(new(httpapi.Database), new(*store.DB)), wire.Bind(new(httpapi.Cache), new(*cache.Cache)),
		background, queuePort, relay.NewService, tasksForHealth, embeddedWorker, agentSet)
	return nil, nil, nil
}

// InitializeWorker assembles `campus worker`: the relay and the job handlers.
func InitializeWorker(ctx context.Context, cfg config.Config, log *slog.Logger) (*WorkerProcess, func(), error) {
	wire.Build(storeConfig, store.ProviderSet, userSet, outboxSet, system.ProviderSet, agentSet,
		cacheConfig, cache.ProviderSet, studentConfig, student.NewService, wire.Struct(new(student.Deps), "*"),
		background, queuePort, relay.NewService, newWorker, wire.Struct(new(WorkerProcess), "*"), exportSet)
	return nil, nil, nil
}

// InitializeScheduler assembles `campus scheduler`.
func InitializeScheduler(ctx context.Context, cfg config.Config, log *slog.Logger) (*queue.AsynqScheduler, func(), error) {
	wire.Build(asynqScheduler)
	return nil, nil, nil
}

// InitializeStore assembles just the database, for migrations.
func InitializeStore(ctx context.Context, cfg config.Config) (*store.DB, func(), error) {
	wire.Build(storeConfig, store.Open)
	return nil, nil, nil
}

// appSet is what every process kind shares: config mapping and use cases.
var appSet = wire.NewSet(
	storeConfig, tokenKeys, bcryptCost, authConfig, httpConfig, limiterStorage, studentConfig, cacheConfig,
	auth.NewSessionCache,
	wire.Struct(new(auth.Deps), "*"), wire.Struct(new(student.Deps), "*"),
	auth.NewService, user.NewService, student.NewService, appaudit.NewService, seed.NewService,
	// One line per campus module.
	attendanceConfig, attendance.NewService, wire.Struct(new(attendance.Deps), "*"),
	complaint.NewService, wire.Struct(new(complaint.Deps), "*"),
	schedule.NewService, wire.Struct(new(schedule.Deps), "*"),
	club.NewService, wire.Struct(new(club.Deps), "*"),
	risk.NewService, wire.Struct(new(risk.Deps), "*"),
	exportSet,
	analyticsConfig, analytics.NewService, wire.Struct(new(analytics.Deps), "*"),
	reportsConfig, reports.NewService, wire.Struct(new(reports.Deps), "*"),
	wire.Struct(new(API), "*"),
)

// agentSet assembles the agents (for the API process's embedded worker and
// for `campus worker`).
var agentSet = wire.NewSet(wire.Struct(new(Agents), "*"),
	agentDefinitions, appagent.NewService, wire.Struct(new(appagent.Deps), "*"), appnotification.NewService,
	maintenanceConfig, maintenance.NewService,
	wire.Struct(new(complaint.AgentDeps), "*"), complaint.DefaultRules, complaint.NewTriage, complaint.NewEscalation,
	attendanceRiskConfig, wire.Struct(new(attendancerisk.Deps), "*"), attendancerisk.NewService,
	conflictScanConfig, conflictscan.NewService, wire.Struct(new(conflictscan.Deps), "*"),
	anomalyConfig, appanomaly.NewService, wire.Struct(new(appanomaly.Deps), "*"),
)

// userSet is the users port every use case goes through: the profile
// cache over the database's repository, so every write to a user drops
// the cached profile.
var userSet = wire.NewSet(store.NewUserRepository, wire.Bind(new(auth.StoredUsers), new(*store.UserRepository)), auth.NewProfiles,
	wire.Bind(new(ports.UserRepository), new(*auth.Profiles)))

// outboxSet is the outbox port every use case appends to: the database's
// outbox, wrapped so that a committed event starts a new generation of
// the cached figures computed from its area.
var outboxSet = wire.NewSet(store.NewOutbox, freshness.New, wire.Bind(new(freshness.StoredOutbox), new(*store.Outbox)), freshness.NewOutbox,
	wire.Bind(new(ports.Outbox), new(*freshness.Outbox)))
