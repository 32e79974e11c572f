package queue

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// Runs against Redis are in tests/contract/queue_test.go.

func TestAsynqRefusesABadRedisURL(t *testing.T) {
	q, cleanup, err := NewAsynqQueue(AsynqConfig{RedisURL: "http://127.0.0.1:6379"})
	require.ErrorContains(t, err, "REDIS_URL")
	assert.Nil(t, q)
	assert.Nil(t, cleanup)

	r := NewAsynqRunner(AsynqConfig{RedisURL: "::"})
	require.ErrorContains(t, r.Start(), "REDIS_URL")
	require.NoError(t, r.Shutdown(t.Context()))
}

func TestAsynqFailsFastWhenRedisIsDown(t *testing.T) {
	q, cleanup, err := NewAsynqQueue(AsynqConfig{RedisURL: "redis://127.0.0.1:1/0"})
	require.NoError(t, err, "connected lazily")
	defer cleanup()

	start := time.Now()
	_, err = q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{})
	require.ErrorIs(t, err, fault.ErrUnavailable)
	_, err = q.Job(t.Context(), "id")
	require.ErrorIs(t, err, fault.ErrUnavailable)
	assert.Less(t, time.Since(start), 3*time.Second)

	_, err = q.Enqueue(t.Context(), ports.Job{Type: "job"}, ports.EnqueueOptions{Queue: "urgent"})
	require.ErrorIs(t, err, fault.ErrInvalid, "checked before Redis is asked")
}

func TestAsynqRunnerShutdownWithoutStart(t *testing.T) {
	r := NewAsynqRunner(AsynqConfig{RedisURL: "redis://127.0.0.1:1/0", Logger: slog.New(slog.DiscardHandler)})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	require.NoError(t, r.Shutdown(ctx))
	require.NoError(t, r.Shutdown(ctx))
}

func TestAsynqJobInfo(t *testing.T) {
	created := time.Date(2025, 3, 1, 10, 0, 0, 123, time.UTC)
	next := created.Add(time.Minute)
	done := created.Add(time.Second)
	headers := map[string]string{headerCreatedAt: created.Format(time.RFC3339Nano)}
	tests := []struct {
		name     string
		task     asynq.TaskInfo
		state    ports.JobState
		attempts int
	}{
		{"pending", asynq.TaskInfo{State: asynq.TaskStatePending}, ports.JobPending, 0},
		{"scheduled", asynq.TaskInfo{State: asynq.TaskStateScheduled, NextProcessAt: next}, ports.JobScheduled, 0},
		{"running first attempt", asynq.TaskInfo{State: asynq.TaskStateActive}, ports.JobRunning, 1},
		{"running third attempt", asynq.TaskInfo{State: asynq.TaskStateActive, Retried: 2}, ports.JobRunning, 3},
		{"retry after two failures", asynq.TaskInfo{State: asynq.TaskStateRetry, Retried: 2, LastErr: "e", NextProcessAt: next}, ports.JobRetry, 2},
		{"completed after a retry", asynq.TaskInfo{State: asynq.TaskStateCompleted, Retried: 1, CompletedAt: done}, ports.JobCompleted, 2},
		{"archived, retries spent", asynq.TaskInfo{State: asynq.TaskStateArchived, Retried: 2, MaxRetry: 2, LastErr: "e"}, ports.JobArchived, 3},
		{"archived by hand, never run", asynq.TaskInfo{State: asynq.TaskStateArchived}, ports.JobArchived, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.task.ID, tt.task.Type, tt.task.Queue, tt.task.Headers = "id", "risk:assess", "p:critical", headers
			got := asynqJobInfo(&tt.task, "p:")
			assert.Equal(t, tt.state, got.State)
			assert.Equal(t, tt.attempts, got.Attempts)
			assert.Equal(t, ports.QueueCritical, got.Queue)
			assert.True(t, created.Equal(got.CreatedAt))
			assert.Equal(t, !tt.task.NextProcessAt.IsZero(), got.NextRunAt != nil)
			assert.Equal(t, !tt.task.CompletedAt.IsZero(), got.CompletedAt != nil)
		})
	}
}

func TestSkipRetryKeepsTheHandlersError(t *testing.T) {
	cause := fault.New(fault.Invalid, "bad payload")
	err := error(skipRetry{cause})
	assert.Equal(t, "bad payload", err.Error())
	assert.ErrorIs(t, err, asynq.SkipRetry)
	assert.ErrorIs(t, err, fault.ErrInvalid)
	assert.False(t, errors.Is(skipRetry{noHandler("x")}, fault.ErrInvalid))
}

func TestCeilSecond(t *testing.T) {
	assert.Equal(t, time.Second, ceilSecond(10*time.Millisecond))
	assert.Equal(t, time.Second, ceilSecond(time.Second))
	assert.Equal(t, 2*time.Second, ceilSecond(1001*time.Millisecond))
}
