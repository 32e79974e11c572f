package auth_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/tests/mocks"
)

// maxPrincipalTTL is the longest a principal may be served from the cache.
const maxPrincipalTTL = 30 * time.Second

func principalJSON(t *testing.T, p identity.Principal) []byte {
	t.Helper()
	b, err := json.Marshal(p)
	require.NoError(t, err)
	return b
}

// cacheFixture is a SessionCache over strict mocks.
type cacheFixture struct {
	cache    *mocks.Cache
	sessions *mocks.SessionRepository
	sc       *auth.SessionCache
}

func newCacheFixture(t *testing.T) *cacheFixture {
	f := &cacheFixture{cache: mocks.NewCache(t), sessions: mocks.NewSessionRepository(t)}
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	f.sc = auth.NewSessionCache(mocks.ValuesThroughBytes(f.cache), f.sessions, clock, cfg)
	return f
}

// miss makes both cache reads of sid miss.
func (f *cacheFixture) miss(sid string) {
	f.cache.EXPECT().Get(anyArg, tombKey(sid)).Return(nil, false, nil).Once()
	f.cache.EXPECT().Get(anyArg, principalKey(sid)).Return(nil, false, nil).Once()
}

func TestSessionCacheTombstoneWinsOverACachedPrincipal(t *testing.T) {
	f := newCacheFixture(t)
	f.cache.EXPECT().Get(anyArg, tombKey("s1")).Return([]byte{1}, true, nil).Once()
	// A principal is cached too, but must not even be read; nor the store.
	f.cache.EXPECT().Get(anyArg, principalKey("s1")).Return(principalJSON(t, principal()), true, nil).Maybe()

	p, err := f.sc.Principal(ctx, "s1")

	require.NoError(t, err)
	assert.True(t, p.Revoked)
	assert.False(t, p.IsActive)
	f.cache.AssertNotCalled(t, "Get", anyArg, principalKey("s1"))
}

func TestSessionCacheServesACachedPrincipalWithoutTheStore(t *testing.T) {
	f := newCacheFixture(t)
	want := principal()
	f.cache.EXPECT().Get(anyArg, tombKey("s1")).Return(nil, false, nil).Once()
	f.cache.EXPECT().Get(anyArg, principalKey("s1")).Return(principalJSON(t, want), true, nil).Once()
	// No Sessions.Principal and no Set expectation.

	p, err := f.sc.Principal(ctx, "s1")

	require.NoError(t, err)
	assert.Equal(t, want, p)
}

func TestSessionCacheMissReadsTheStoreAndCaches(t *testing.T) {
	tests := []struct {
		name    string
		expires time.Time
		wantTTL time.Duration
	}{
		{"far expiry: the principal TTL", now.Add(time.Hour), maxPrincipalTTL},
		{"expiry just past the TTL", now.Add(maxPrincipalTTL + time.Nanosecond), maxPrincipalTTL},
		{"expiry sooner: capped at the time left", now.Add(10 * time.Second), 10 * time.Second},
		{"one nanosecond left", now.Add(time.Nanosecond), time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t)
			want := principal()
			want.ExpiresAt = tt.expires
			f.miss("s1")
			f.sessions.EXPECT().Principal(anyArg, "s1").Return(want, nil).Once()
			var stored []byte
			var ttl time.Duration
			f.cache.EXPECT().Set(anyArg, principalKey("s1"), anyArg, anyArg).RunAndReturn(
				func(_ context.Context, _ string, v []byte, d time.Duration) error {
					stored, ttl = v, d
					return nil
				}).Once()

			p, err := f.sc.Principal(ctx, "s1")

			require.NoError(t, err)
			assert.Equal(t, want, p)
			assert.Equal(t, tt.wantTTL, ttl)
			assert.LessOrEqual(t, ttl, maxPrincipalTTL)
			assert.LessOrEqual(t, ttl, tt.expires.Sub(now), "never cached past the session's expiry")
			var got identity.Principal
			require.NoError(t, json.Unmarshal(stored, &got))
			assert.Equal(t, want, got, "what is cached decodes to what the store said")
		})
	}
}

func TestSessionCacheDoesNotCacheADeadPrincipal(t *testing.T) {
	tests := []struct {
		name   string
		change func(p *identity.Principal)
	}{
		{"revoked session", func(p *identity.Principal) { p.Revoked = true }},
		{"inactive user", func(p *identity.Principal) { p.IsActive = false }},
		{"expired session", func(p *identity.Principal) { p.ExpiresAt = now }},
		{"long expired session", func(p *identity.Principal) { p.ExpiresAt = now.Add(-time.Hour) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t)
			want := principal()
			tt.change(&want)
			f.miss("s1")
			f.sessions.EXPECT().Principal(anyArg, "s1").Return(want, nil).Once()
			// No Set expectation: the strict mock fails on one.

			p, err := f.sc.Principal(ctx, "s1")

			require.NoError(t, err)
			assert.Equal(t, want, p, "the store's answer is returned as is")
		})
	}
}

func TestSessionCacheFallsBackToTheStore(t *testing.T) {
	cacheDown := fault.New(fault.Unavailable, "cache down")
	tests := []struct {
		name  string
		reads func(f *cacheFixture)
	}{
		{"both reads fail", func(f *cacheFixture) {
			f.cache.EXPECT().Get(anyArg, tombKey("s1")).Return(nil, false, cacheDown).Once()
			f.cache.EXPECT().Get(anyArg, principalKey("s1")).Return(nil, false, cacheDown).Once()
		}},
		{"principal read fails", func(f *cacheFixture) {
			f.cache.EXPECT().Get(anyArg, tombKey("s1")).Return(nil, false, nil).Once()
			f.cache.EXPECT().Get(anyArg, principalKey("s1")).Return(nil, false, cacheDown).Once()
		}},
		{"undecodable cached principal", func(f *cacheFixture) {
			f.cache.EXPECT().Get(anyArg, tombKey("s1")).Return(nil, false, nil).Once()
			f.cache.EXPECT().Get(anyArg, principalKey("s1")).Return([]byte("\xff{not json"), true, nil).Once()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t)
			tt.reads(f)
			want := principal()
			f.sessions.EXPECT().Principal(anyArg, "s1").Return(want, nil).Once()
			f.cache.EXPECT().Set(anyArg, principalKey("s1"), anyArg, maxPrincipalTTL).Return(cacheDown).Once()

			p, err := f.sc.Principal(ctx, "s1")

			require.NoError(t, err, "a cache failure only costs speed")
			assert.Equal(t, want, p)
		})
	}
}

func TestSessionCacheStoreErrorsPassThroughUncached(t *testing.T) {
	for _, storeErr := range []error{fault.New(fault.NotFound, "Session not found"), errDB} {
		t.Run(storeErr.Error(), func(t *testing.T) {
			f := newCacheFixture(t)
			f.miss("s1")
			f.sessions.EXPECT().Principal(anyArg, "s1").Return(identity.Principal{}, storeErr).Once()
			// No Set expectation.

			_, err := f.sc.Principal(ctx, "s1")

			assert.ErrorIs(t, err, storeErr)
		})
	}
}

func TestSessionCacheForget(t *testing.T) {
	f := newCacheFixture(t)
	var order []string
	for _, id := range []string{"s1", "s2"} {
		f.cache.EXPECT().Set(anyArg, tombKey(id), []byte{1}, cfg.RefreshTTL).
			RunAndReturn(func(context.Context, string, []byte, time.Duration) error {
				order = append(order, "tombstone:"+id)
				return nil
			}).Once()
		f.cache.EXPECT().Delete(anyArg, principalKey(id)).RunAndReturn(func(context.Context, ...string) error {
			order = append(order, "drop:"+id)
			return nil
		}).Once()
	}

	f.sc.Forget(ctx, []string{"s1", "s2"})

	assert.Equal(t, []string{"tombstone:s1", "drop:s1", "tombstone:s2", "drop:s2"}, order,
		"the tombstone is written before the principal is dropped, so no reader can re-cache it in between")
}

func TestSessionCacheForgetCarriesOnPastCacheErrors(t *testing.T) {
	f := newCacheFixture(t)
	cacheDown := fault.New(fault.Unavailable, "cache down")
	for _, id := range []string{"s1", "s2"} {
		f.cache.EXPECT().Set(anyArg, tombKey(id), []byte{1}, cfg.RefreshTTL).Return(cacheDown).Once()
		f.cache.EXPECT().Delete(anyArg, principalKey(id)).Return(cacheDown).Once()
	}

	assert.NotPanics(t, func() { f.sc.Forget(ctx, []string{"s1", "s2"}) })
}

func TestSessionCacheForgetNothing(t *testing.T) {
	f := newCacheFixture(t)
	// No expectation: neither nil nor empty touches the cache.
	f.sc.Forget(ctx, nil)
	f.sc.Forget(ctx, []string{})
}

// TestSessionCacheForgetThenPrincipal wires Forget and Principal to one
// in-memory map: once a session is forgotten, its check answers revoked
// even though its principal had been cached.
func TestSessionCacheForgetThenPrincipal(t *testing.T) {
	f := newCacheFixture(t)
	kv := map[string][]byte{}
	f.cache.EXPECT().Get(anyArg, anyArg).RunAndReturn(func(_ context.Context, k string) ([]byte, bool, error) {
		v, ok := kv[k]
		return v, ok, nil
	})
	f.cache.EXPECT().Set(anyArg, anyArg, anyArg, anyArg).RunAndReturn(func(_ context.Context, k string, v []byte, _ time.Duration) error {
		kv[k] = v
		return nil
	})
	f.cache.EXPECT().Delete(anyArg, anyArg).RunAndReturn(func(_ context.Context, keys ...string) error {
		for _, k := range keys {
			delete(kv, k)
		}
		return nil
	})
	f.sessions.EXPECT().Principal(anyArg, "s1").Return(principal(), nil).Once()

	p, err := f.sc.Principal(ctx, "s1") // from the store, then cached
	require.NoError(t, err)
	assert.False(t, p.Revoked)
	p, err = f.sc.Principal(ctx, "s1") // from the cache (Principal is .Once())
	require.NoError(t, err)
	assert.False(t, p.Revoked)

	f.sc.Forget(ctx, []string{"s1"})

	p, err = f.sc.Principal(ctx, "s1")
	require.NoError(t, err)
	assert.True(t, p.Revoked)
	assert.NotContains(t, kv, principalKey("s1"))
}
