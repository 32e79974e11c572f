package cache

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewRefusesABadRedisURL(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:6379", "redis://127.0.0.1:6379/notanumber", "::"} {
		c, cleanup, err := New(Config{Enabled: true, RedisURL: url})
		assert.Error(t, err, url)
		assert.Contains(t, err.Error(), "REDIS_URL", url)
		assert.Nil(t, c)
		assert.Nil(t, cleanup)
	}
}

func TestNewChoosesTheBackend(t *testing.T) {
	tests := []struct {
		cfg     Config
		backend string
		enabled bool
	}{
		{Config{}, BackendDisabled, false},
		{Config{RedisURL: "not even a URL"}, BackendDisabled, false}, // disabled ignores the URL
		{Config{Enabled: true}, BackendMemory, true},
		{Config{Enabled: true, RedisURL: "redis://127.0.0.1:1/0"}, BackendRedis, true}, // connected lazily
	}
	for _, tt := range tests {
		t.Run(tt.backend, func(t *testing.T) {
			c, cleanup, err := New(tt.cfg)
			require.NoError(t, err)
			require.NotNil(t, cleanup)
			defer cleanup()
			assert.Equal(t, tt.backend, c.Backend())
			assert.Equal(t, tt.enabled, c.Enabled())
		})
	}
}

// TestCollectorsCanBeRegisteredTogether: /metrics registers all three.
func TestCollectorsCanBeRegisteredTogether(t *testing.T) {
	c, cleanup, err := New(Config{})
	require.NoError(t, err)
	defer cleanup()
	reg := prometheus.NewPedanticRegistry()
	for _, col := range c.Collectors() {
		require.NoError(t, reg.Register(col))
	}
	families, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	assert.ElementsMatch(t, []string{"campus_cache_hits_total", "campus_cache_misses_total", "campus_cache_errors_total"}, names)
}
