package freshness_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/freshness"
	"github.com/campus/campus/domain/event"
)

// memCache is a ports.Cache in a map; down makes every call fail.
type memCache struct {
	mu   sync.Mutex
	m    map[string][]byte
	down bool
}

var errDown = errors.New("cache down")

func (c *memCache) Get(_ context.Context, k string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return nil, false, errDown
	}
	b, ok := c.m[k]
	return b, ok, nil
}

func (c *memCache) Set(_ context.Context, k string, v []byte, _ time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return errDown
	}
	c.m[k] = v
	return nil
}

func (c *memCache) Delete(_ context.Context, ks ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.down {
		return errDown
	}
	for _, k := range ks {
		delete(c.m, k)
	}
	return nil
}

func (c *memCache) GetValue(ctx context.Context, k string, v any) (bool, error) {
	b, ok, err := c.Get(ctx, k)
	if err != nil || !ok {
		return false, err
	}
	return true, json.Unmarshal(b, v)
}

func (c *memCache) SetValue(ctx context.Context, k string, v any, ttl time.Duration) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.Set(ctx, k, b, ttl)
}

// fakeTx runs after-commit hooks when its transaction commits.
type fakeTx struct{ pending []func() }

func (t *fakeTx) InTx(ctx context.Context, fn func(context.Context) error) error {
	t.pending = nil
	if err := fn(ctx); err != nil {
		t.pending = nil
		return err
	}
	for _, f := range t.pending {
		f()
	}
	t.pending = nil
	return nil
}

func (t *fakeTx) AfterCommit(_ context.Context, fn func()) { t.pending = append(t.pending, fn) }

// fakeOutbox accepts every append.
type fakeOutbox struct{ freshness.StoredOutbox }

func (fakeOutbox) Append(context.Context, ...event.Event) error { return nil }

type summary struct{ Total int }

func TestFiguresAreCachedUntilTheirAreaChanges(t *testing.T) {
	mc, tx := &memCache{m: map[string][]byte{}}, &fakeTx{}
	c := freshness.New(mc, tx)
	ob := freshness.NewOutbox(fakeOutbox{}, c)
	ctx := context.Background()
	total, computed := 10, 0
	get := func(params any) summary {
		t.Helper()
		v, err := freshness.Get(ctx, c, "summary", params, []freshness.Area{freshness.Students, freshness.Attendance},
			func(context.Context) (summary, error) { computed++; return summary{Total: total}, nil })
		require.NoError(t, err)
		return v
	}
	assert.Equal(t, 10, get(30).Total)
	total = 11
	assert.Equal(t, 10, get(30).Total, "served from the cache")
	assert.Equal(t, 1, computed)
	assert.Equal(t, 11, get(7).Total, "other parameters are another answer")

	// A committed complaint does not touch these figures; a student does.
	require.NoError(t, tx.InTx(ctx, func(ctx context.Context) error {
		return ob.Append(ctx, event.New("e1", event.ComplaintFiled, "complaint", "1", time.Now(), nil))
	}))
	assert.Equal(t, 10, get(30).Total)
	rolledBack := errors.New("rolled back")
	require.ErrorIs(t, tx.InTx(ctx, func(ctx context.Context) error {
		require.NoError(t, ob.Append(ctx, event.New("e2", event.StudentCreated, "student", "9", time.Now(), nil)))
		return rolledBack
	}), rolledBack)
	assert.Equal(t, 10, get(30).Total, "a rolled-back change changes nothing")
	require.NoError(t, tx.InTx(ctx, func(ctx context.Context) error {
		return ob.Append(ctx, event.New("e3", event.StudentCreated, "student", "9", time.Now(), nil))
	}))
	assert.Equal(t, 11, get(30).Total, "a committed change starts a new generation")
}

func TestABrokenCacheComputesEveryTime(t *testing.T) {
	mc := &memCache{m: map[string][]byte{}, down: true}
	c := freshness.New(mc, &fakeTx{})
	computed := 0
	for range 2 {
		v, err := freshness.Get(context.Background(), c, "summary", nil, []freshness.Area{freshness.Risks},
			func(context.Context) (summary, error) { computed++; return summary{Total: 3}, nil })
		require.NoError(t, err)
		assert.Equal(t, 3, v.Total)
	}
	assert.Equal(t, 2, computed)
}

func TestAnErrorIsNotCached(t *testing.T) {
	c := freshness.New(&memCache{m: map[string][]byte{}}, &fakeTx{})
	boom := errors.New("db down")
	_, err := freshness.Get(context.Background(), c, "summary", nil, nil, func(context.Context) (summary, error) { return summary{}, boom })
	require.ErrorIs(t, err, boom)
	v, err := freshness.Get(context.Background(), c, "summary", nil, nil, func(context.Context) (summary, error) { return summary{Total: 1}, nil })
	require.NoError(t, err)
	assert.Equal(t, 1, v.Total)
}

func TestAreasOf(t *testing.T) {
	evs := []event.Event{
		event.New("1", event.AttendanceMarked, "attendance", "1", time.Now(), nil),
		event.New("2", event.AttendanceChanged, "attendance", "2", time.Now(), nil),
		event.New("3", event.RiskCreated, "risk", "3", time.Now(), nil),
		event.New("4", "unknown.thing", "unknown", "4", time.Now(), nil),
	}
	assert.Equal(t, []freshness.Area{freshness.Attendance, freshness.Risks}, freshness.AreasOf(evs))
}
