package fault_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
)

func TestKindString(t *testing.T) {
	tests := []struct {
		kind fault.Kind
		want string
	}{
		{fault.Unknown, "unknown"},
		{fault.Invalid, "invalid"},
		{fault.NotFound, "not_found"},
		{fault.Conflict, "conflict"},
		{fault.Forbidden, "forbidden"},
		{fault.Unauthenticated, "unauthenticated"},
		{fault.Throttled, "throttled"},
		{fault.Unavailable, "unavailable"},
		{fault.BadRequest, "bad_request"},
		{fault.TooLarge, "too_large"},
		{fault.Kind(99), "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.kind.String())
		})
	}
}

func TestErrorsIsMatchesSentinelsByKind(t *testing.T) {
	sentinels := map[fault.Kind]error{
		fault.Invalid:         fault.ErrInvalid,
		fault.NotFound:        fault.ErrNotFound,
		fault.Conflict:        fault.ErrConflict,
		fault.Forbidden:       fault.ErrForbidden,
		fault.Unauthenticated: fault.ErrUnauthenticated,
		fault.Throttled:       fault.ErrThrottled,
		fault.Unavailable:     fault.ErrUnavailable,
	}
	for kind, sentinel := range sentinels {
		t.Run(kind.String(), func(t *testing.T) {
			err := fault.New(kind, "some message")
			assert.ErrorIs(t, err, sentinel, "direct")
			wrapped := fmt.Errorf("layer two: %w", fmt.Errorf("layer one: %w", err))
			assert.ErrorIs(t, wrapped, sentinel, "wrapped twice")
			assert.Equal(t, kind, fault.KindOf(wrapped))
			for other, s := range sentinels {
				if other != kind {
					assert.NotErrorIs(t, wrapped, s, "must not match %s", other)
				}
			}
		})
	}
}

func TestIsDoesNotMatchErrorsWithMessageAsTarget(t *testing.T) {
	a := fault.New(fault.Conflict, "a")
	b := fault.New(fault.Conflict, "b")
	assert.NotErrorIs(t, a, b, "a target with a message is not a kind sentinel")
	assert.ErrorIs(t, a, a, "identity still matches")
	assert.NotErrorIs(t, a, errors.New("plain"))
}

func TestNewfAndWrap(t *testing.T) {
	err := fault.Newf(fault.NotFound, "student %d not found", 7)
	assert.Equal(t, "student 7 not found", err.Error())
	assert.Equal(t, fault.NotFound, err.Kind)
	assert.NoError(t, err.Unwrap())

	cause := errors.New("pq: duplicate key")
	w := fault.Wrap(fault.Conflict, "roll_no taken", cause)
	assert.Equal(t, "roll_no taken: pq: duplicate key", w.Error())
	assert.ErrorIs(t, w, cause, "the cause stays reachable")
	assert.ErrorIs(t, w, fault.ErrConflict)
	assert.Equal(t, "roll_no taken", w.Message, "the client-safe message leaves the cause out")
}

func TestKindOf(t *testing.T) {
	assert.Equal(t, fault.Unknown, fault.KindOf(nil))
	assert.Equal(t, fault.Unknown, fault.KindOf(errors.New("boom")))
	assert.Equal(t, fault.Throttled, fault.KindOf(fmt.Errorf("x: %w", &fault.Error{Kind: fault.Throttled, RetryAfter: time.Second})))

	var fe *fault.Error
	err := fmt.Errorf("x: %w", &fault.Error{Kind: fault.Throttled, RetryAfter: 3 * time.Second})
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, 3*time.Second, fe.RetryAfter)
}

func TestValidation(t *testing.T) {
	tests := []struct {
		name    string
		build   func(v *fault.Validation)
		wantMsg string
		fields  []fault.FieldError
	}{
		{name: "nothing failed", build: func(v *fault.Validation) {
			v.Check(true, "name", "required")
		}},
		{name: "one field", build: func(v *fault.Validation) {
			v.Check(false, "name", "is required")
			v.Check(true, "email", "bad")
		}, wantMsg: "name: is required", fields: []fault.FieldError{{Field: "name", Message: "is required"}}},
		{name: "several fields", build: func(v *fault.Validation) {
			v.Add("name", "is required")
			v.Check(false, "email", "must be valid")
		}, wantMsg: "Validation failed", fields: []fault.FieldError{
			{Field: "name", Message: "is required"}, {Field: "email", Message: "must be valid"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v fault.Validation
			tt.build(&v)
			err := v.Err()
			if tt.fields == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, fault.ErrInvalid)
			var fe *fault.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tt.wantMsg, fe.Message)
			assert.Equal(t, tt.fields, fe.Fields)
		})
	}
}

func TestValidationErrIsASnapshot(t *testing.T) {
	var v fault.Validation
	v.Add("a", "x")
	err := v.Err()
	v.Add("b", "y")
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Len(t, fe.Fields, 1, "later additions must not leak into an error already returned")
}
