package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/cache"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

var _ ports.Cache = (*cache.Cache)(nil)

// cacheBackend opens a fresh, empty cache of one kind for one test.
type cacheBackend struct {
	name    string
	backend string // what Backend() reports
	open    func(t *testing.T) *cache.Cache
}

func cacheBackends() []cacheBackend {
	return []cacheBackend{
		{name: "memory", backend: cache.BackendMemory, open: func(t *testing.T) *cache.Cache {
			return openCache(t, cache.Config{Enabled: true})
		}},
		{name: "redis", backend: cache.BackendRedis, open: func(t *testing.T) *cache.Cache {
			return openRedisCache(t, testenv.RedisURL(t), testenv.KeyPrefix(t))
		}},
	}
}

func openCache(t *testing.T, cfg cache.Config) *cache.Cache {
	t.Helper()
	c, cleanup, err := cache.New(cfg)
	require.NoError(t, err)
	t.Cleanup(cleanup)
	return c
}

// openRedisCache opens a cache namespaced by prefix and removes every key
// under the prefix when t ends.
func openRedisCache(t *testing.T, url, prefix string) *cache.Cache {
	t.Helper()
	c := openCache(t, cache.Config{Enabled: true, RedisURL: url, Prefix: prefix})
	t.Cleanup(func() {
		for _, k := range redisKeys(t, url, prefix) {
			_ = rawRedis(t, url).Del(context.Background(), k).Err()
		}
	})
	return c
}

func rawRedis(t *testing.T, url string) *redis.Client {
	t.Helper()
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	return client
}

// redisKeys lists the keys stored under prefix.
func redisKeys(t *testing.T, url, prefix string) []string {
	t.Helper()
	var out []string
	iter := rawRedis(t, url).Scan(context.Background(), 0, redisPattern(prefix)+"*", 100).Iterator()
	for iter.Next(context.Background()) {
		out = append(out, iter.Val())
	}
	require.NoError(t, iter.Err())
	return out
}

// redisPattern escapes the glob characters a test name may carry.
func redisPattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}

// counter reads one of the cache's counters by metric name, like
// prometheus/testutil.ToFloat64 (whose diff dependency is not in go.sum).
func counter(t *testing.T, c *cache.Cache, name string) float64 {
	t.Helper()
	for _, col := range c.Collectors() {
		ch := make(chan prometheus.Metric, 8)
		col.Collect(ch)
		close(ch)
		for m := range ch {
			if !strings.Contains(m.Desc().String(), fmt.Sprintf("fqName: %q", name)) {
				continue
			}
			var pb dto.Metric
			require.NoError(t, m.Write(&pb))
			require.NotNil(t, pb.Counter, "%s is a counter", name)
			return pb.Counter.GetValue()
		}
	}
	t.Fatalf("no counter %s among the cache's collectors", name)
	return 0
}

const (
	hitsTotal   = "campus_cache_hits_total"
	missesTotal = "campus_cache_misses_total"
	errorsTotal = "campus_cache_errors_total"
)

// allBytes is every byte value once: not valid UTF-8, with NUL and CR LF.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// TestCache runs every case on every enabled backend, each case on a fresh
// cache (a fresh key prefix on Redis). Cases run in parallel so that the
// TTL waits overlap.
func TestCache(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, c *cache.Cache)
	}{
		{"RoundTrip", testCacheRoundTrip},
		{"Overwrite", testCacheOverwrite},
		{"KeepsACopy", testCacheKeepsACopy},
		{"Miss", testCacheMiss},
		{"Delete", testCacheDelete},
		{"DeleteMissing", testCacheDeleteMissing},
		{"TTL", testCacheTTL},
		{"Counters", testCacheCounters},
		{"Values", testCacheValues},
	}
	for _, b := range cacheBackends() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			t.Run("Backend", func(t *testing.T) {
				t.Parallel()
				c := b.open(t)
				assert.Equal(t, b.backend, c.Backend())
				assert.True(t, c.Enabled())
				assert.NoError(t, c.Ping(context.Background()))
			})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.run(t, b.open(t))
				})
			}
		})
	}
}

// cachedValue has what cached values have: times, pointers, nesting.
type cachedValue struct {
	ID      int64             `json:"id"`
	Name    string            `json:"name"`
	Email   *string           `json:"email"`
	At      time.Time         `json:"at"`
	Tags    []string          `json:"tags"`
	Figures map[string]int    `json:"figures"`
	Inner   *cachedValue      `json:"inner,omitempty"`
	Extra   map[string]string `json:"extra,omitempty"`
}

// testCacheValues: values are stored as the JSON encoding/json writes (so
// any reader agrees on them) and read back equal; a value that does not
// decode into the target is an error, a missing one a miss.
func testCacheValues(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	email := "ada@campus.edu"
	want := cachedValue{ID: 7, Name: "Ada <Lovelace> & co", Email: &email, At: time.Date(2026, 12, 7, 9, 30, 0, 123456789, time.FixedZone("IST", 19800)),
		Tags: []string{"a", "ü"}, Figures: map[string]int{"b": 2, "a": 1}, Inner: &cachedValue{ID: 8, At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
	require.NoError(t, c.SetValue(ctx, "value", want, time.Minute))
	var got cachedValue
	ok, err := c.GetValue(ctx, "value", &got)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, want.At.UnixNano(), got.At.UnixNano())
	got.At = want.At // the same instant (checked above), maybe in another zone
	got.Inner.At = want.Inner.At
	assert.Equal(t, want, got)
	raw, ok, err := c.Get(ctx, "value")
	require.NoError(t, err)
	require.True(t, ok)
	std, err := json.Marshal(want)
	require.NoError(t, err)
	assert.JSONEq(t, string(std), string(raw))

	ok, err = c.GetValue(ctx, "missing", &got)
	require.NoError(t, err)
	assert.False(t, ok)
	require.NoError(t, c.Set(ctx, "not-json", []byte("{oops"), time.Minute))
	ok, err = c.GetValue(ctx, "not-json", &got)
	assert.Error(t, err)
	assert.False(t, ok)
	var n int
	ok, err = c.GetValue(ctx, "value", &n)
	assert.Error(t, err, "an object does not decode into an int")
	assert.False(t, ok)
}

func testCacheRoundTrip(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	values := map[string][]byte{
		"ascii":             []byte("hello"),
		"utf-8":             []byte("é€😀"),
		"json":              []byte(`{"id":7,"name":"Ada"}`),
		"every byte":        allBytes(),
		"invalid utf-8":     {0xff, 0xfe, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80},
		"lone continuation": {'a', 0x80, 'b'},
		"nul bytes":         {0, 0, 0},
		"one byte":          {1},
		"large":             bytes.Repeat(allBytes(), 256), // 64 KiB
		"empty":             {},
	}
	for name, v := range values {
		require.NoError(t, c.Set(ctx, "k:"+name, v, time.Minute), name)
	}
	for name, want := range values {
		got, ok, err := c.Get(ctx, "k:"+name)
		require.NoError(t, err, name)
		require.True(t, ok, "%s: a value just set is a hit", name)
		assert.True(t, bytes.Equal(want, got), "%s: got %x, want %x", name, truncateBytes(got), truncateBytes(want))
		assert.Len(t, got, len(want), name)
	}
	// Keys of any text.
	for _, k := range []string{"student:7", "session:a b:revoked", "ключ", "*?[]"} {
		require.NoError(t, c.Set(ctx, k, []byte(k), time.Minute))
		got, ok, err := c.Get(ctx, k)
		require.NoError(t, err)
		require.True(t, ok, k)
		assert.Equal(t, k, string(got))
	}
}

func truncateBytes(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}

func testCacheOverwrite(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", []byte("first, and longer"), time.Minute))
	require.NoError(t, c.Set(ctx, "k", []byte{0xff}, time.Minute))
	got, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, []byte{0xff}, got)
}

// testCacheKeepsACopy: the cache owns what it stores; neither the caller's
// slice nor a returned slice can change it afterwards.
func testCacheKeepsACopy(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	v := []byte("value")
	require.NoError(t, c.Set(ctx, "k", v, time.Minute))
	v[0] = 'X'
	got, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "value", string(got))
	got[0] = 'Y'
	again, _, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "value", string(again))
}

func testCacheMiss(t *testing.T, c *cache.Cache) {
	got, ok, err := c.Get(context.Background(), "never-set")
	require.NoError(t, err, "a miss is not an error")
	assert.False(t, ok)
	assert.Nil(t, got)
}

func testCacheDelete(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(t, c.Set(ctx, k, []byte(k), time.Minute))
	}

	require.NoError(t, c.Delete(ctx, "a"))
	assertMiss(t, c, "a")
	assertHit(t, c, "b", "b")

	require.NoError(t, c.Delete(ctx, "b", "c"))
	assertMiss(t, c, "b")
	assertMiss(t, c, "c")
	assertHit(t, c, "d", "d")

	// Set again after a delete.
	require.NoError(t, c.Set(ctx, "a", []byte("again"), time.Minute))
	assertHit(t, c, "a", "again")
}

func testCacheDeleteMissing(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	assert.NoError(t, c.Delete(ctx, "never-set"))
	assert.NoError(t, c.Delete(ctx), "no keys at all")
	require.NoError(t, c.Set(ctx, "present", []byte("x"), time.Minute))
	assert.NoError(t, c.Delete(ctx, "missing-1", "present", "missing-2"), "missing keys among present ones")
	assertMiss(t, c, "present")
	assert.NoError(t, c.Delete(ctx, "present"), "deleting twice")
	assert.Zero(t, counter(t, c, errorsTotal))
}

func testCacheTTL(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "short", []byte("v"), time.Second))
	require.NoError(t, c.Set(ctx, "long", []byte("v"), time.Minute))
	assertHit(t, c, "short", "v")

	time.Sleep(1500 * time.Millisecond)

	assertMiss(t, c, "short")
	assertHit(t, c, "long", "v")
}

func testCacheCounters(t *testing.T, c *cache.Cache) {
	ctx := context.Background()
	for _, name := range []string{hitsTotal, missesTotal, errorsTotal} {
		assert.Zero(t, counter(t, c, name), "%s starts at zero", name)
	}
	_, _, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.NoError(t, c.Set(ctx, "k", []byte("v"), time.Minute))
	for range 3 {
		_, _, err := c.Get(ctx, "k")
		require.NoError(t, err)
	}
	require.NoError(t, c.Delete(ctx, "k"))
	_, _, err = c.Get(ctx, "k")
	require.NoError(t, err)

	assert.Equal(t, 3.0, counter(t, c, hitsTotal))
	assert.Equal(t, 2.0, counter(t, c, missesTotal))
	assert.Zero(t, counter(t, c, errorsTotal))
}

func assertHit(t *testing.T, c *cache.Cache, key, want string) {
	t.Helper()
	got, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err, key)
	require.True(t, ok, "%s: want a hit", key)
	assert.Equal(t, want, string(got), key)
}

func assertMiss(t *testing.T, c *cache.Cache, key string) {
	t.Helper()
	got, ok, err := c.Get(context.Background(), key)
	require.NoError(t, err, key)
	assert.False(t, ok, "%s: want a miss, got %q", key, got)
}

// TestCacheRedisPrefixIsolation: two caches with different prefixes on the
// same Redis database never see each other's keys, and store theirs under
// their prefix.
func TestCacheRedisPrefixIsolation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.RedisURL(t)
	pa, pb := testenv.KeyPrefix(t)+"a:", testenv.KeyPrefix(t)+"b:"
	a, b := openRedisCache(t, url, pa), openRedisCache(t, url, pb)

	require.NoError(t, a.Set(ctx, "k", []byte("from a"), time.Minute))
	assertMiss(t, b, "k")
	require.NoError(t, b.Set(ctx, "k", []byte("from b"), time.Minute))
	assertHit(t, a, "k", "from a")
	assertHit(t, b, "k", "from b")

	assert.Equal(t, []string{pa + "k"}, redisKeys(t, url, pa), "a's key is stored under a's prefix")
	got, err := rawRedis(t, url).Get(ctx, pb+"k").Result()
	require.NoError(t, err)
	assert.Equal(t, "from b", got)

	require.NoError(t, a.Delete(ctx, "k"))
	assertMiss(t, a, "k")
	assertHit(t, b, "k", "from b")
}

// TestCacheDisabled: a disabled cache keeps nothing and never fails, so
// every read goes to the database.
func TestCacheDisabled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := openCache(t, cache.Config{Enabled: false, RedisURL: "redis://127.0.0.1:1/0"}) // the URL is ignored

	assert.Equal(t, cache.BackendDisabled, c.Backend())
	assert.False(t, c.Enabled())
	assert.NoError(t, c.Ping(ctx))

	require.NoError(t, c.Set(ctx, "k", allBytes(), time.Minute))
	got, ok, err := c.Get(ctx, "k")
	require.NoError(t, err)
	assert.False(t, ok, "a disabled cache always misses")
	require.NoError(t, c.SetValue(ctx, "v", map[string]int{"a": 1}, time.Minute))
	var m map[string]int
	ok, err = c.GetValue(ctx, "v", &m)
	require.NoError(t, err)
	assert.False(t, ok)
	assert.Nil(t, got)
	assertMiss(t, c, "never-set")
	assert.NoError(t, c.Delete(ctx, "k"))
	assert.NoError(t, c.Delete(ctx, "k", "missing"))
	assert.NoError(t, c.Delete(ctx))

	assert.Len(t, c.Collectors(), 3, "the counters exist for /metrics")
	assert.Zero(t, counter(t, c, hitsTotal))
	assert.Zero(t, counter(t, c, errorsTotal))
}

// outageBound is how long one operation may take when Redis is down: about
// 2 s, with slack for a loaded CI machine.
const outageBound = 2500 * time.Millisecond

// outageURL points at a port nothing listens on.
const outageURL = "redis://127.0.0.1:1/0"

// TestCacheRedisOutage points Redis caches at a closed port: New still
// succeeds (Redis is connected lazily), and every operation fails quickly
// with an error the callers treat as a miss, without panicking. Each
// operation gets its own cache (no warm pool state) and they run in
// parallel.
func TestCacheRedisOutage(t *testing.T) {
	t.Parallel()
	ops := []struct {
		name    string
		op      func(ctx context.Context, c *cache.Cache) error
		counted bool // adds one to the error counter
	}{
		{"Get", func(ctx context.Context, c *cache.Cache) error {
			got, ok, err := c.Get(ctx, "k")
			assert.False(t, ok)
			assert.Nil(t, got)
			return err
		}, true},
		{"Set", func(ctx context.Context, c *cache.Cache) error { return c.Set(ctx, "k", []byte("v"), time.Minute) }, true},
		{"Delete", func(ctx context.Context, c *cache.Cache) error { return c.Delete(ctx, "k") }, true},
		{"Ping", func(ctx context.Context, c *cache.Cache) error { return c.Ping(ctx) }, false},
	}
	for _, tt := range ops {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := openCache(t, cache.Config{Enabled: true, RedisURL: outageURL, Prefix: "campus_test:outage:"})
			assert.Equal(t, cache.BackendRedis, c.Backend())
			assert.True(t, c.Enabled())
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			start := time.Now()
			var err error
			require.NotPanics(t, func() { err = tt.op(ctx, c) })
			took := time.Since(start)

			require.Error(t, err)
			assert.Less(t, took, outageBound, "took %v", took)
			t.Logf("failed after %v: %v", took, err)
			assert.Equal(t, map[bool]float64{true: 1, false: 0}[tt.counted], counter(t, c, errorsTotal))
			assert.Zero(t, counter(t, c, missesTotal), "an error is not counted as a miss")
			assert.Zero(t, counter(t, c, hitsTotal))
		})
	}
}

// TestCacheRedisOutageFailsAtOnce guards against go-redis's retries: with
// its defaults (3 retries, 5 redials) every operation against a refused
// port took ~1.7 s, and an authenticated request makes two or three of
// them; Delete of several keys must cost one round trip, not one per key.
func TestCacheRedisOutageFailsAtOnce(t *testing.T) {
	t.Parallel()
	ops := map[string]func(c *cache.Cache) error{
		"Get":      func(c *cache.Cache) error { _, _, err := c.Get(context.Background(), "k"); return err },
		"Set":      func(c *cache.Cache) error { return c.Set(context.Background(), "k", []byte("v"), time.Minute) },
		"Delete 3": func(c *cache.Cache) error { return c.Delete(context.Background(), "a", "b", "c") },
		"Ping":     func(c *cache.Cache) error { return c.Ping(context.Background()) },
	}
	for name, op := range ops {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c := openCache(t, cache.Config{Enabled: true, RedisURL: outageURL})
			start := time.Now()
			require.Error(t, op(c))
			assert.Less(t, time.Since(start), 500*time.Millisecond, "a refused connection should fail at once")
		})
	}
}
