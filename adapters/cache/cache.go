// Package cache implements the cache port with gocache: an in-process
// store for the embedded mode, Redis when REDIS_URL is set (shared by every
// replica; one server, Sentinel or Cluster, see adapters/redisconn), or
// nothing at all when ENABLE_CACHING=false.
package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	gocachelib "github.com/eko/gocache/lib/v4/cache"
	gocachestore "github.com/eko/gocache/lib/v4/store"
	gocachemem "github.com/eko/gocache/store/go_cache/v4"
	gocacheredis "github.com/eko/gocache/store/redis/v4"
	gocache "github.com/patrickmn/go-cache"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/campus/campus/adapters/redisconn"
	"github.com/campus/campus/ports"

	json "github.com/goccy/go-json"
)

// Config chooses the backend.
type Config struct {
	Enabled  bool
	RedisURL string // empty: in-process memory; see redisconn.Parse for the forms
	Prefix   string // namespaces keys in a shared Redis
}

// Backends as reported by health checks.
const (
	BackendDisabled = "disabled"
	BackendMemory   = "memory"
	BackendRedis    = "redis"
)

// Cache is the port's implementation.
type Cache struct {
	c       *gocachelib.Cache[string]
	redis   redis.UniversalClient
	backend string
	prefix  string
	hits    prometheus.Counter
	misses  prometheus.Counter
	errs    prometheus.Counter
}

var _ ports.Cache = (*Cache)(nil)

// New builds the cache. Redis is connected lazily, with short timeouts, so
// a Redis outage at start or later only slows reads down to the database.
func New(cfg Config) (*Cache, func(), error) {
	c := &Cache{prefix: cfg.Prefix, backend: BackendDisabled,
		hits:   prometheus.NewCounter(prometheus.CounterOpts{Name: "campus_cache_hits_total", Help: "Cache hits."}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{Name: "campus_cache_misses_total", Help: "Cache misses."}),
		errs:   prometheus.NewCounter(prometheus.CounterOpts{Name: "campus_cache_errors_total", Help: "Cache operations that failed (served from the database instead)."}),
	}
	cleanup := func() {}
	switch {
	case !cfg.Enabled:
		return c, cleanup, nil
	case cfg.RedisURL == "":
		c.backend = BackendMemory
		c.c = gocachelib.New[string](gocachemem.NewGoCache(gocache.New(5*time.Minute, 10*time.Minute)))
	default:
		rdb, err := OpenRedis(cfg.RedisURL)
		if err != nil {
			return nil, nil, err
		}
		c.redis = rdb
		c.backend = BackendRedis
		c.c = gocachelib.New[string](gocacheredis.NewRedis(c.redis))
		cleanup = func() { _ = c.redis.Close() }
	}
	return c, cleanup, nil
}

// OpenRedis opens a client for the cache or the rate limits: short
// timeouts and no retries (redisconn turns them off), so that when Redis
// is down callers fall back to the database without waiting. It connects
// lazily; the caller closes it.
func OpenRedis(url string) (redis.UniversalClient, error) {
	return redisconn.Open(url, redisconn.Timeouts{Dial: 500 * time.Millisecond, Read: 500 * time.Millisecond, Write: 500 * time.Millisecond, Pool: time.Second})
}

// Backend names the store in use.
func (c *Cache) Backend() string { return c.backend }

// Enabled reports whether values are kept at all.
func (c *Cache) Enabled() bool { return c.c != nil }

// Collectors are the hit, miss and error counters for /metrics.
func (c *Cache) Collectors() []prometheus.Collector {
	return []prometheus.Collector{c.hits, c.misses, c.errs}
}

// Ping checks the backend (always fine for memory or disabled).
func (c *Cache) Ping(ctx context.Context) error {
	if c.redis == nil {
		return nil
	}
	return c.redis.Ping(ctx).Err()
}

// Get implements ports.Cache.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if c.c == nil {
		return nil, false, nil
	}
	v, err := c.c.Get(ctx, c.prefix+key)
	if err != nil {
		if errors.Is(err, gocachestore.NotFound{}) {
			c.misses.Inc()
			return nil, false, nil
		}
		c.errs.Inc()
		return nil, false, fmt.Errorf("cache get: %w", err)
	}
	c.hits.Inc()
	return []byte(v), true, nil
}

// Set implements ports.Cache.
func (c *Cache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if c.c == nil {
		return nil
	}
	if err := c.c.Set(ctx, c.prefix+key, string(value), gocachestore.WithExpiration(ttl)); err != nil {
		c.errs.Inc()
		return fmt.Errorf("cache set: %w", err)
	}
	return nil
}

// GetValue implements ports.Cache: values are JSON, decoded with
// goccy/go-json (the same results as encoding/json, two to three times
// faster: decoding cached principals and students was a fifth of a cached
// request's CPU).
func (c *Cache) GetValue(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := c.Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("cache value %s: %w", key, err)
	}
	return true, nil
}

// SetValue implements ports.Cache.
func (c *Cache) SetValue(ctx context.Context, key string, v any, ttl time.Duration) error {
	if c.c == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("cache value %s: %w", key, err)
	}
	return c.Set(ctx, key, b, ttl)
}

// Delete implements ports.Cache.
func (c *Cache) Delete(ctx context.Context, keys ...string) error {
	if c.c == nil {
		return nil
	}
	if c.redis != nil && len(keys) > 1 {
		// One round trip for all keys, so an outage costs one timeout: a
		// pipeline of one DEL per key, because on a Cluster the keys sit
		// in different slots, which one DEL refuses (CROSSSLOT); go-redis
		// sends each master its part of the pipeline at once.
		_, err := c.redis.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, k := range keys {
				p.Del(ctx, c.prefix+k)
			}
			return nil
		})
		if err != nil {
			c.errs.Inc()
			return fmt.Errorf("cache delete: %w", err)
		}
		return nil
	}
	var errs []error
	for _, k := range keys {
		if err := c.c.Delete(ctx, c.prefix+k); err != nil && !errors.Is(err, gocachestore.NotFound{}) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.errs.Inc()
		return fmt.Errorf("cache delete: %w", err)
	}
	return nil
}
