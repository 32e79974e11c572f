// Package bootstrap is the composition root: it reads the configuration,
// assembles each process kind with Wire and runs the command line.
package bootstrap

import (
	"time"

	"github.com/gofiber/fiber/v2"
	redisstorage "github.com/gofiber/storage/redis/v3"

	"github.com/campus/campus/adapters/cache"
	httpapi "github.com/campus/campus/adapters/http"
	"github.com/campus/campus/adapters/password"
	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/token"
	"github.com/campus/campus/adapters/worker"
	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/application/seed"
	"github.com/campus/campus/application/student"
	"github.com/campus/campus/bootstrap/config"
	"github.com/campus/campus/domain/identity"
)

// Version is the build's version, set by the CLI.
type Version string

// API is an assembled API process; Worker is nil when this process runs
// no background work.
type API struct {
	Server *httpapi.Server
	DB     *store.DB
	Seeder *seed.Service
	Worker *worker.Worker
}

// WorkerProcess is an assembled `campus worker`.
type WorkerProcess struct {
	Worker *worker.Worker
	DB     *store.DB
}

func storeConfig(c config.Config) store.Config {
	return store.Config{URL: c.Database.URL, PoolSize: c.Database.PoolSize, MaxOverflow: c.Database.PoolMaxOverflow, Echo: c.Database.Echo}
}

func tokenKeys(c config.Config) token.Keys {
	return token.Keys{Current: c.Auth.SigningKey(), Previous: c.Auth.PreviousKey()}
}

func bcryptCost(c config.Config) password.Cost { return password.Cost(c.Auth.BcryptCost) }

func authConfig(c config.Config) auth.Config {
	return auth.Config{
		AccessTTL:  c.Auth.AccessTTL(),
		RefreshTTL: c.Auth.RefreshTTL(),
		ReuseGrace: c.Auth.ReuseGrace(),
		Lockout:    identity.LockoutPolicy{MaxFailures: c.Auth.LoginMaxFailures, Base: c.Auth.LockoutBase(), Max: 15 * time.Minute},
		Passwords:  identity.NewPasswordPolicy(c.Auth.PasswordMinLength, password.CommonPasswords()),
	}
}

func studentConfig(c config.Config) student.Config { return student.Config{CacheTTL: c.Cache.TTL()} }

func cacheConfig(c config.Config) cache.Config {
	return cache.Config{Enabled: c.Cache.Enabled, RedisURL: c.Redis.URL, Prefix: c.Cache.Prefix}
}

func httpConfig(c config.Config, v Version) httpapi.Config {
	return httpapi.Config{
		BodyLimit:         c.Server.MaxBodyBytes,
		CORSOrigins:       c.Server.CORSOrigins,
		SlowRequest:       c.Server.SlowRequest(),
		AuthRatePerMinute: c.Auth.RateLimitPerMinute,
		KeyPrefix:         c.Cache.Prefix,
		Version:           string(v),
		Environment:       string(c.Env),
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ShutdownTimeout:   20 * time.Second,
		Pprof:             c.Server.Pprof,
	}
}

// limiterStorage shares the per-IP auth limit across replicas through Redis
// when REDIS_URL is set (one server, Sentinel or Cluster: the storage takes
// any go-redis client, and a counter is one key), and keeps it in this
// process otherwise. The client connects lazily: a Redis outage makes the
// limiter fail open, never the API.
func limiterStorage(c config.Config) (fiber.Storage, func(), error) {
	if !c.Redis.Enabled() {
		return nil, func() {}, nil
	}
	client, err := cache.OpenRedis(c.Redis.URL)
	if err != nil {
		return nil, nil, err
	}
	return redisstorage.NewFromConnection(client), func() { _ = client.Close() }, nil
}
