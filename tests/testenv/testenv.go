// Package testenv finds the external services integration tests run
// against and gives each test its own private piece of them: a fresh
// PostgreSQL database, a Redis database, a SQLite file. Everything it
// creates is removed by t.Cleanup.
//
// A service that cannot be reached skips the test with a message saying
// which one and how to point at it, unless CAMPUS_TEST_REQUIRE_SERVICES=1
// (set in CI), in which case the test fails: CI must never go green by
// skipping.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

// Environment variables and their defaults.
const (
	EnvDatabaseURL     = "CAMPUS_TEST_DATABASE_URL"
	EnvRedisURL        = "CAMPUS_TEST_REDIS_URL"
	EnvRequireServices = "CAMPUS_TEST_REQUIRE_SERVICES"

	DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	DefaultRedisURL    = "redis://127.0.0.1:6379/15"
)

// dialTimeout bounds how long a missing service can delay a test run.
const dialTimeout = 5 * time.Second

// Store is one database backend a contract suite runs against. URL is
// called inside the subtest, so an unreachable PostgreSQL skips (or fails)
// only that subtest.
type Store struct {
	Name string
	URL  func(t testing.TB) string
}

// Stores lists the database backends, SQLite first: table-driven suites
// range over it and run each case on every backend.
func Stores() []Store {
	return []Store{
		{Name: "sqlite", URL: SQLiteURL},
		{Name: "postgres", URL: PostgresURL},
	}
}

// RequireServices reports whether unreachable services fail tests instead
// of skipping them.
func RequireServices() bool { return os.Getenv(EnvRequireServices) == "1" }

// down remembers services found unreachable in this process, so that a
// suite of many tests waits for a dead (or black-holed) server only once.
var down sync.Map // service URL -> message

func wentDown(service string) (string, bool) {
	v, ok := down.Load(service)
	if !ok {
		return "", false
	}
	msg, ok := v.(string)
	return msg, ok
}

// report skips or fails t because a service is down; it does not return.
func report(t testing.TB, msg string) {
	t.Helper()
	if RequireServices() {
		t.Fatalf("%s (%s=1, so this is a failure)", msg, EnvRequireServices)
	}
	t.Skipf("%s; skipping (set %s=1 to fail instead)", msg, EnvRequireServices)
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// SQLiteURL returns a sqlite:// URL for a new database file in t.TempDir().
func SQLiteURL(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "campus.db")
	// sqlite:////abs/path: a fourth slash before an absolute path.
	return "sqlite:///" + filepath.ToSlash(path)
}

// PostgresURL creates an empty database campus_test_<random> on the server
// at CAMPUS_TEST_DATABASE_URL, drops it (forcing out open connections) when
// t finishes, and returns its URL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := env(EnvDatabaseURL, DefaultDatabaseURL)
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s=%q is not a postgres:// URL", EnvDatabaseURL, admin)
	}

	if msg, ok := wentDown(admin); ok {
		report(t, msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL unreachable at %s (%v)", u.Redacted(), err)
		down.Store(admin, msg)
		report(t, msg)
	}
	defer conn.Close(context.Background())

	name := "campus_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create test database %s: %v", name, err)
	}
	t.Cleanup(func() { dropDatabase(t, admin, name) })

	u.Path = "/" + name
	return u.String()
}

func dropDatabase(t testing.TB, admin, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Errorf("drop test database %s: connect: %v", name, err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Errorf("drop test database %s: %v", name, err)
	}
}

// RedisURL returns CAMPUS_TEST_REDIS_URL after checking the server answers
// PING. Tests share the database it names, so they should namespace their
// keys (see KeyPrefix).
func RedisURL(t testing.TB) string {
	t.Helper()
	raw := env(EnvRedisURL, DefaultRedisURL)
	opts, err := redis.ParseURL(raw)
	if err != nil {
		t.Fatalf("%s=%q: %v", EnvRedisURL, raw, err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = dialTimeout, dialTimeout, dialTimeout
	opts.MaxRetries = -1
	if msg, ok := wentDown(raw); ok {
		report(t, msg)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		msg := fmt.Sprintf("Redis unreachable at %s (%v)", redact(raw), err)
		down.Store(raw, msg)
		report(t, msg)
	}
	return raw
}

// KeyPrefix returns a prefix unique to this test, for namespacing keys in
// a shared Redis database.
func KeyPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
	return "campus_test:" + name + ":" + randomHex(4) + ":"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// DropQueues removes what asynq stored in Redis for the queues named with
// prefix: their keys and their names in asynq's set of queues.
func DropQueues(t testing.TB, redisURL, prefix string) {
	t.Helper()
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		t.Errorf("drop queues: %v", err)
		return
	}
	c := redis.NewClient(opts)
	defer c.Close()
	ctx := context.Background()
	var keys []string
	iter := c.Scan(ctx, 0, "asynq:{"+globEscape(prefix)+"*", 200).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Errorf("drop queues: %v", err)
		return
	}
	for _, k := range keys {
		if err := c.Del(ctx, k).Err(); err != nil {
			t.Errorf("drop queues: %v", err)
		}
	}
	for _, name := range []string{"critical", "default", "low"} {
		if err := c.SRem(ctx, "asynq:queues", prefix+name).Err(); err != nil {
			t.Errorf("drop queues: %v", err)
		}
	}
}

func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
