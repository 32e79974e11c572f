package auth

import (
	"context"
	"time"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// SessionCache sits in front of the session check every request makes. The
// database stays the source of truth: a cached principal lives at most
// principalTTL, and a revocation leaves a tombstone that is checked first,
// so a reader that raced the revocation cannot bring the session back, and
// a cache that lost its data (restart, outage) just falls back to the
// database.
type SessionCache struct {
	cache    ports.Cache
	sessions ports.SessionRepository
	clock    ports.Clock
	// tombstoneTTL outlives every token of a session (the refresh lifetime).
	tombstoneTTL time.Duration
}

// principalTTL bounds how long a principal is served from the cache; it is
// also the longest a revocation can go unseen while the cache itself is
// failing to accept its tombstone.
const principalTTL = 30 * time.Second

// NewSessionCache builds the cache; tombstones live as long as a session can.
func NewSessionCache(cache ports.Cache, sessions ports.SessionRepository, clock ports.Clock, cfg Config) *SessionCache {
	return &SessionCache{cache: cache, sessions: sessions, clock: clock, tombstoneTTL: cfg.RefreshTTL}
}

const tombstoneSuffix = ":revoked"

func principalKey(sid string) string { return "session:" + sid }
func tombstoneKey(sid string) string { return "session:" + sid + tombstoneSuffix }

// sessionKeys returns both keys of a session from one string: the
// principal's key is the tombstone's without its suffix (every request
// builds both).
func sessionKeys(sid string) (principal, tombstone string) {
	tombstone = tombstoneKey(sid)
	return tombstone[:len(tombstone)-len(tombstoneSuffix)], tombstone
}

// Principal returns the session's principal, from the cache when it can.
func (c *SessionCache) Principal(ctx context.Context, sid string) (identity.Principal, error) {
	pkey, tkey := sessionKeys(sid)
	if _, dead, err := c.cache.Get(ctx, tkey); err == nil && dead {
		return identity.Principal{Revoked: true}, nil
	}
	var cached identity.Principal
	if ok, err := c.cache.GetValue(ctx, pkey, &cached); err == nil && ok {
		return cached, nil
	}
	p, err := c.sessions.Principal(ctx, sid)
	if err != nil {
		return p, err
	}
	if !p.Revoked && p.IsActive {
		ttl := principalTTL
		if left := p.ExpiresAt.Sub(c.clock.Now()); left < ttl {
			ttl = left
		}
		if ttl > 0 {
			_ = c.cache.SetValue(ctx, pkey, p, ttl) // a failed set only costs speed
		}
	}
	return p, nil
}

// Forget records that the sessions were revoked; call it after the
// revocation committed.
func (c *SessionCache) Forget(ctx context.Context, ids []string) {
	for _, id := range ids {
		_ = c.cache.Set(ctx, tombstoneKey(id), []byte{1}, c.tombstoneTTL)
		_ = c.cache.Delete(ctx, principalKey(id))
	}
}
