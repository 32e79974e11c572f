// Package queue implements the queue port twice: InProcess, a bounded
// worker pool for the embedded single-process mode (no Redis), and asynq
// over Redis for replicas and a separate worker process. Both run
// application handlers through the same Runner interface, so the worker
// registers its handlers once whichever backend the config picks.
package queue

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/ports"
)

// Handler processes one job's payload. Returning an error that matches
// fault.ErrInvalid makes the failure final (the job is archived at once):
// a payload that does not decode or a rule the job breaks will not get
// better on a retry. Any other error is retried with backoff until the
// job's MaxRetry is spent.
type Handler func(ctx context.Context, payload []byte) error

// Runner executes jobs with the handlers registered for their types.
// Register every handler before Start; a job whose type has no handler is
// archived with a "no handler" error rather than retried.
type Runner interface {
	// Handle registers h for jobs of exactly jobType. Registering a type
	// twice panics, as http.ServeMux does: it is a wiring mistake.
	Handle(jobType string, h Handler)
	Start() error
	// Shutdown stops taking jobs and waits, at most until ctx is done, for
	// the running ones to finish.
	Shutdown(ctx context.Context) error
}

// Defaults shared by both backends; asynq uses the same figures.
const (
	DefaultMaxRetry  = 25
	DefaultTimeout   = 30 * time.Minute
	DefaultRetention = 7 * 24 * time.Hour
)

// priorities are asynq's customary weights, used by both backends.
var priorities = map[string]int{ports.QueueCritical: 6, ports.QueueDefault: 3, ports.QueueLow: 1}

// queueNames in priority order.
var queueNames = []string{ports.QueueCritical, ports.QueueDefault, ports.QueueLow}

// errNoHandler is the archived error of a job whose type nobody handles.
var errNoHandler = errors.New("no handler")

func noHandler(jobType string) error {
	return fmt.Errorf("%w for job type %q", errNoHandler, jobType)
}

// queueName checks a requested queue name; empty means default.
func queueName(name string) (string, error) {
	if name == "" {
		return ports.QueueDefault, nil
	}
	if _, ok := priorities[name]; !ok {
		return "", fault.Newf(fault.Invalid, "unknown queue %q", name)
	}
	return name, nil
}

// maxRetry resolves EnqueueOptions.MaxRetry: zero is the default, a
// negative value means no retry at all.
func maxRetry(n, def int) int {
	switch {
	case n == 0:
		return def
	case n < 0:
		return 0
	default:
		return n
	}
}

// backoff is the delay before retry n+1 (n retries done so far): base·2ⁿ,
// capped at maxBackoff so a long MaxRetry does not push a job into next week.
func backoff(base time.Duration, n int) time.Duration {
	d := base
	for range n {
		if d >= maxBackoff/2 {
			return max(maxBackoff, base)
		}
		d *= 2
	}
	return d
}

const maxBackoff = time.Hour

// final reports whether a handler error must not be retried.
func final(err error) bool { return errors.Is(err, fault.ErrInvalid) }
