package queue

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hibiken/asynqmon"

	"github.com/campus/campus/adapters/redisconn"
)

// MonitorHandler serves asynqmon (queues, tasks, schedulers, servers) over
// the Redis the workers use, whatever its layout: one server, Sentinel or
// Cluster. Payloads are JSON and shown as they are. readOnly hides the
// buttons that delete, run or archive tasks.
func MonitorHandler(redisURL string, readOnly bool) (http.Handler, func(), error) {
	if redisURL == "" {
		return nil, nil, errors.New("REDIS_URL is required: the monitor inspects the asynq queues in Redis")
	}
	t, err := redisconn.Parse(redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	h := asynqmon.New(asynqmon.Options{RootPath: "/", RedisConnOpt: monitorConn{t}, ReadOnly: readOnly})
	return h, func() { _ = h.Close() }, nil
}

// monitorConn gives asynqmon clients from redisconn, so it reads REDIS_URL
// as every other user of Redis does (asynq.ParseRedisURI knows no Cluster
// form and reads a Sentinel URL's password differently). asynqmon makes
// two clients, one for its inspector and one for the Redis info page (a
// *redis.ClusterClient gets the Cluster's page), and closes both.
type monitorConn struct{ t redisconn.Target }

// MakeRedisClient implements asynq.RedisConnOpt, with go-redis's default
// timeouts (a page over long queues may take a while; nobody falls back).
func (m monitorConn) MakeRedisClient() any {
	return m.t.Client(redisconn.Timeouts{Dial: 5 * time.Second, Read: 3 * time.Second, Write: 3 * time.Second, Pool: 4 * time.Second})
}
