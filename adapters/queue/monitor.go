package queue

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// MonitorHandler serves asynqmon (queues, tasks, schedulers, servers) over
// the Redis the workers use. Payloads are JSON and shown as they are.
// readOnly hides the buttons that delete, run or archive tasks.
func MonitorHandler(redisURL string, readOnly bool) (http.Handler, func(), error) {
	if redisURL == "" {
		return nil, nil, errors.New("REDIS_URL is required: the monitor inspects the asynq queues in Redis")
	}
	opt, err := asynq.ParseRedisURI(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	h := asynqmon.New(asynqmon.Options{RootPath: "/", RedisConnOpt: opt, ReadOnly: readOnly})
	return h, func() { _ = h.Close() }, nil
}
