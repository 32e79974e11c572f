package queue

import (
	"context"
	"errors"

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

type resultKey struct{}

// resultSink keeps what a handler reports as its job's result.
type resultSink func(b []byte) error

func withResult(ctx context.Context, sink resultSink) context.Context {
	return context.WithValue(ctx, resultKey{}, sink)
}

// WriteResult stores b as the result of the job the handler is running,
// on either backend; Job reports it once the job completes. Outside a
// job it is an error.
func WriteResult(ctx context.Context, b []byte) error {
	sink, ok := ctx.Value(resultKey{}).(resultSink)
	if !ok {
		return errors.New("write result: not running a job")
	}
	return sink(b)
}
