package bootstrap

import (
	"context"
	"fmt"
	"log/slog"

	goredis "github.com/redis/go-redis/v9"
)

// redisLog sends go-redis's own messages (a failed dial per pool attempt
// while Redis is down) to the process's log at debug level: an outage is
// reported once, by /health/full, the cache metrics and our own warnings,
// not by a line per connection attempt on stderr.
type redisLog struct{}

func (redisLog) Printf(ctx context.Context, format string, v ...any) {
	slog.Default().DebugContext(ctx, fmt.Sprintf(format, v...), "component", "redis")
}

func init() { goredis.SetLogger(redisLog{}) }
