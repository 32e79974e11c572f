package ports

import (
	"context"
	"time"
)

// Cache holds derived copies of data for fast reads; it is never the source
// of truth. Callers treat an error like a miss and go to the database, so
// an outage of the cache degrades speed, never answers.
type Cache interface {
	// Get returns the value and true, or false on a miss.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, keys ...string) error
	// GetValue decodes the value stored as JSON into v and reports true,
	// or false on a miss; a value that does not decode into v is an error.
	GetValue(ctx context.Context, key string, v any) (bool, error)
	// SetValue stores v as JSON.
	SetValue(ctx context.Context, key string, v any, ttl time.Duration) error
}
