package token

import (
	"strings"
	"sync"
	"time"

	"github.com/campus/campus/domain/identity"
)

// maxVerified bounds the memo of verified access tokens: an entry is the
// token and its claims, about half a kilobyte, so a few megabytes at most.
const maxVerified = 8192

// verifiedToken is what a full Parse established about an access token
// that does not depend on the time: its signature, header and claims are
// good. Only the time checks are repeated on a later request.
type verifiedToken struct {
	claims    identity.Claims
	notBefore time.Time // zero when the token has no nbf
}

// verified memoises access tokens that passed Parse. A client sends the
// same bearer with every request until it expires, and decoding it (the
// header into a map, the claims through the dates' own decoders) was most
// of the work and of the allocations of an authenticated request; the
// HMAC itself is cheap. Keys never change for the life of a Codec, and
// everything the parser checks besides the times is a function of the
// token's bytes, so a token that passed once passes again exactly when its
// times pass again. Only tokens that verified are ever stored, so an
// attacker cannot fill the memo with forged ones. Revocation is not the
// codec's business: the use case checks the session on every request.
type verified struct {
	mu sync.RWMutex
	m  map[string]verifiedToken
}

// get returns the claims of s if s verified before and its times are
// still good at now (with the parser's leeway); otherwise the caller runs
// the full Parse, which also gives the exact error. stale says that s is
// stored but its times no longer pass.
func (v *verified) get(s string, now time.Time) (c identity.Claims, ok, stale bool) {
	v.mu.RLock()
	t, found := v.m[s]
	v.mu.RUnlock()
	if !found {
		return identity.Claims{}, false, false
	}
	if !t.validAt(now) {
		return identity.Claims{}, false, true
	}
	return t.claims, true, false
}

// validAt repeats jwt.Validator's time checks: exp, nbf and iat.
func (t verifiedToken) validAt(now time.Time) bool {
	return now.Before(t.claims.ExpiresAt.Add(leeway)) &&
		(t.notBefore.IsZero() || !now.Before(t.notBefore.Add(-leeway))) &&
		!now.Before(t.claims.IssuedAt.Add(-leeway))
}

// put stores a verified token. s may point into a reused request buffer,
// so the key is a copy. A full memo first drops what has expired, and is
// emptied if that was not enough: it only costs the next requests a parse.
func (v *verified) put(s string, t verifiedToken, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = make(map[string]verifiedToken)
	}
	if len(v.m) >= maxVerified {
		for k, e := range v.m {
			if !now.Before(e.claims.ExpiresAt.Add(leeway)) {
				delete(v.m, k)
			}
		}
		if len(v.m) >= maxVerified {
			clear(v.m)
		}
	}
	v.m[strings.Clone(s)] = t
}

// drop forgets s, once its times no longer pass (a clock that went back
// may make them pass again: then Parse stores it anew).
func (v *verified) drop(s string) {
	v.mu.Lock()
	delete(v.m, s)
	v.mu.Unlock()
}
