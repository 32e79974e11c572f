package queue_test

import (
	"context"
	"errors"
	"testing"

	"github.com/campus/campus/adapters/queue"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

func TestDisabledRefusesEveryJob(t *testing.T) {
	var q ports.Queue = queue.Disabled{}
	_, err := q.Enqueue(context.Background(), ports.Job{Type: "export:run", Payload: []byte(`{}`)}, ports.EnqueueOptions{ID: "x"})
	if fault.KindOf(err) != fault.Unavailable || !errors.Is(err, queue.ErrDisabled) {
		t.Fatalf("enqueue: %v, want unavailable", err)
	}
	if _, err := q.Job(context.Background(), "x"); fault.KindOf(err) != fault.NotFound {
		t.Fatalf("job: %v, want not found", err)
	}
}
