package mocks

import (
	"context"
	"encoding/json"
	"time"

	"github.com/campus/campus/ports"
)

// ValuesThroughBytes is the mock as a ports.Cache whose GetValue and
// SetValue go through its Get and Set with encoding/json, so that tests
// expect (and inspect) the bytes a value is stored as. A value that does
// not decode is an error, as in the adapter. (Written by hand: mockery
// regenerates only the mock_*.go files.)
func ValuesThroughBytes(c *Cache) ports.Cache { return valuesThroughBytes{c} }

type valuesThroughBytes struct{ *Cache }

func (c valuesThroughBytes) GetValue(ctx context.Context, key string, v any) (bool, error) {
	b, ok, err := c.Get(ctx, key)
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, err
	}
	return true, nil
}

func (c valuesThroughBytes) SetValue(ctx context.Context, key string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Set(ctx, key, b, ttl)
}
