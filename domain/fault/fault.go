// Package fault defines the few error kinds the core speaks in. Adapters
// translate driver errors into them and the HTTP edge maps each kind to a
// status code exactly once, so no layer needs to know another's errors.
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds. Unknown is the zero value: an internal error whose text must
// never reach a client.
const (
	Unknown Kind = iota
	Invalid
	NotFound
	Conflict
	Forbidden
	Unauthenticated
	Throttled
	Unavailable
	BadRequest
	TooLarge
)

func (k Kind) String() string {
	switch k {
	case Invalid:
		return "invalid"
	case NotFound:
		return "not_found"
	case Conflict:
		return "conflict"
	case Forbidden:
		return "forbidden"
	case Unauthenticated:
		return "unauthenticated"
	case Throttled:
		return "throttled"
	case Unavailable:
		return "unavailable"
	case BadRequest:
		return "bad_request"
	case TooLarge:
		return "too_large"
	default:
		return "unknown"
	}
}

// FieldError names one input field that failed validation and why.
type FieldError struct {
	Field   string
	Message string
}

// Error is a classified error with a message that is safe to show a client.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	// RetryAfter tells a throttled caller when to come back.
	RetryAfter time.Duration
	// Detail carries extra structured data for the client (e.g. the entries
	// that clash with a schedule); nil when there is none.
	Detail any
	cause  error
}

func (e *Error) Error() string {
	if e.cause != nil {
		return fmt.Sprintf("%s: %v", e.Message, e.cause)
	}
	return e.Message
}

// Unwrap exposes the underlying cause, if any.
func (e *Error) Unwrap() error { return e.cause }

// Is lets errors.Is match on kind: errors.Is(err, fault.ErrNotFound).
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) && t.Message == "" && t.Fields == nil {
		return t.Kind == e.Kind
	}
	return false
}

// Sentinels for matching by kind with errors.Is.
var (
	ErrInvalid         = &Error{Kind: Invalid}
	ErrNotFound        = &Error{Kind: NotFound}
	ErrConflict        = &Error{Kind: Conflict}
	ErrForbidden       = &Error{Kind: Forbidden}
	ErrUnauthenticated = &Error{Kind: Unauthenticated}
	ErrThrottled       = &Error{Kind: Throttled}
	ErrUnavailable     = &Error{Kind: Unavailable}
)

// New builds an error of kind k with a client-safe message.
func New(k Kind, msg string) *Error { return &Error{Kind: k, Message: msg} }

// Newf is New with formatting.
func Newf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// Wrap classifies cause as kind k with a client-safe message.
func Wrap(k Kind, msg string, cause error) *Error {
	return &Error{Kind: k, Message: msg, cause: cause}
}

// KindOf returns the kind of the first *Error in err's chain, or Unknown.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unknown
}

// Validation collects field errors and turns them into one Invalid error.
type Validation struct {
	fields []FieldError
}

// Add records that field failed with message.
func (v *Validation) Add(field, message string) {
	v.fields = append(v.fields, FieldError{Field: field, Message: message})
}

// Check records the failure when ok is false.
func (v *Validation) Check(ok bool, field, message string) {
	if !ok {
		v.Add(field, message)
	}
}

// Err returns nil when nothing failed, else an Invalid error listing fields.
func (v *Validation) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	msg := "Validation failed"
	if len(v.fields) == 1 {
		msg = v.fields[0].Field + ": " + v.fields[0].Message
	}
	return &Error{Kind: Invalid, Message: msg, Fields: append([]FieldError(nil), v.fields...)}
}
