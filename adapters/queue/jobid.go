package queue

import (
	"context"

	"github.com/hibiken/asynq"
)

type jobIDKey struct{}

func withJobID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, jobIDKey{}, id)
}

// JobID is the id of the job a handler is running, on either backend.
func JobID(ctx context.Context) string {
	if id, ok := ctx.Value(jobIDKey{}).(string); ok {
		return id
	}
	id, _ := asynq.GetTaskID(ctx)
	return id
}
