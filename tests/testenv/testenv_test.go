package testenv_test

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/tests/testenv"
)

func TestSQLiteURL(t *testing.T) {
	u := testenv.SQLiteURL(t)
	assert.True(t, strings.HasPrefix(u, "sqlite:////"), "an absolute path takes four slashes: %s", u)
}

func TestPostgresURLCreatesAndDropsDatabase(t *testing.T) {
	var name string
	t.Run("inner", func(t *testing.T) {
		raw := testenv.PostgresURL(t)
		u, err := url.Parse(raw)
		require.NoError(t, err)
		name = strings.TrimPrefix(u.Path, "/")
		assert.True(t, strings.HasPrefix(name, "campus_test_"), name)
		conn, err := pgx.Connect(context.Background(), raw)
		require.NoError(t, err)
		require.NoError(t, conn.Close(context.Background()))
	})
	if name == "" {
		t.Skip("PostgreSQL unavailable")
	}
	// Once the inner test is done its database is gone.
	conn, err := pgx.Connect(context.Background(), testenvAdminURL())
	require.NoError(t, err)
	defer conn.Close(context.Background())
	var n int
	require.NoError(t, conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	assert.Zero(t, n)
}

func TestRedisURL(t *testing.T) {
	raw := testenv.RedisURL(t)
	opts, err := redis.ParseURL(raw)
	require.NoError(t, err)
	c := redis.NewClient(opts)
	defer c.Close()
	key := testenv.KeyPrefix(t) + "k"
	require.NoError(t, c.Set(context.Background(), key, "v", 0).Err())
	require.NoError(t, c.Del(context.Background(), key).Err())
}

func testenvAdminURL() string {
	if v := os.Getenv(testenv.EnvDatabaseURL); v != "" {
		return v
	}
	return testenv.DefaultDatabaseURL
}
