// Package token signs and verifies the service's JWTs. It pins HS256, names
// the signing key in the kid header so that SECRET_KEY can be rotated
// without logging everybody out, and turns every failure into one of the two
// client-facing 401 faults of the contract.
package token

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

const (
	// Issuer is stamped into every token and demanded back, so a token
	// minted by another service sharing the secret is refused.
	Issuer = "campus"
	// Audience names this API as the token's intended recipient.
	Audience = "campus-api"

	// leeway absorbs clock skew between replicas.
	leeway = 5 * time.Second
	// maxTokenBytes bounds the work an attacker can make Parse do; real
	// tokens are a few hundred bytes.
	maxTokenBytes = 8 << 10
)

// The two faults of the contract; nothing more specific is told to a client.
var (
	errExpired = fault.New(fault.Unauthenticated, "Token has expired")
	errInvalid = fault.New(fault.Unauthenticated, "Invalid token")
)

// errBadClaims marks a token whose signature and times are fine but whose
// service-specific claims are missing or unknown.
var errBadClaims = errors.New("token: missing or unknown claim")

// Keys are the HMAC secrets. Current signs and verifies; Previous, when set,
// only verifies, so that tokens issued before a rotation stay valid until
// they expire.
type Keys struct {
	Current  []byte
	Previous []byte
}

// Codec implements ports.TokenCodec with HS256 JWTs.
type Codec struct {
	current    []byte
	currentKID string
	byKID      map[string][]byte
	parser     *jwt.Parser
	now        func() time.Time
	// memo spares a bearer sent again the decoding of a full parse.
	memo verified
}

// NewCodec builds a codec that checks times against the wall clock.
func NewCodec(keys Keys) (*Codec, error) {
	return newCodec(keys, time.Now)
}

// NewCodecWithClock builds a codec that checks expiry against clock, the
// same clock the use cases stamp tokens with, so that a test running on a
// fixed clock gets tokens that are valid on that clock.
func NewCodecWithClock(keys Keys, clock ports.Clock) (*Codec, error) {
	return newCodec(keys, clock.Now)
}

func newCodec(keys Keys, now func() time.Time) (*Codec, error) {
	if len(keys.Current) == 0 {
		return nil, errors.New("token: the current signing key is empty")
	}
	c := &Codec{
		current:    clone(keys.Current),
		currentKID: KeyID(keys.Current),
		byKID:      make(map[string][]byte, 2),
		now:        now,
	}
	if len(keys.Previous) > 0 {
		c.byKID[KeyID(keys.Previous)] = clone(keys.Previous)
	}
	// Set last so that the current key wins if both are the same.
	c.byKID[c.currentKID] = c.current
	c.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(now),
		jwt.WithStrictDecoding(),
	)
	return c, nil
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// KeyID names a key without revealing it: the first 16 hex characters of
// its SHA-256.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:16]
}

// claims is the wire form of identity.Claims.
type claims struct {
	jwt.RegisteredClaims
	UserID    int64  `json:"user_id"`
	Role      string `json:"role"`
	Type      string `json:"typ"`
	SessionID string `json:"sid"`
}

// Validate is called by the parser after the signature and the registered
// claims are checked; it refuses tokens this service could not have issued.
func (c claims) Validate() error {
	switch {
	case c.ID == "", c.SessionID == "", c.Subject == "", c.UserID <= 0, c.IssuedAt == nil:
		return errBadClaims
	case !identity.Role(c.Role).Valid():
		return errBadClaims
	case identity.TokenType(c.Type) != identity.AccessToken && identity.TokenType(c.Type) != identity.RefreshToken:
		return errBadClaims
	}
	return nil
}

// Sign issues a token for c with the current key. It refuses claims that
// Parse would refuse, so every token it issues can be read back.
func (c *Codec) Sign(in identity.Claims) (string, error) {
	if in.IssuedAt.IsZero() || !in.ExpiresAt.After(in.IssuedAt) {
		return "", errors.New("token: sign: expiry must be after issue time")
	}
	wire := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   in.Username,
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(in.ExpiresAt),
			NotBefore: jwt.NewNumericDate(in.IssuedAt),
			IssuedAt:  jwt.NewNumericDate(in.IssuedAt),
			ID:        in.TokenID,
		},
		UserID:    in.UserID,
		Role:      string(in.Role),
		Type:      string(in.Type),
		SessionID: in.SessionID,
	}
	if err := wire.Validate(); err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, wire)
	t.Header["kid"] = c.currentKID
	s, err := t.SignedString(c.current)
	if err != nil {
		return "", fmt.Errorf("token: sign: %w", err)
	}
	return s, nil
}

// Parse verifies s and returns its claims. It fails only with
// fault.Unauthenticated: "Token has expired" for a genuine token past its
// expiry, "Invalid token" for anything else.
func (c *Codec) Parse(s string) (identity.Claims, error) {
	if len(s) > maxTokenBytes {
		return identity.Claims{}, errInvalid
	}
	now := c.now()
	got, ok, stale := c.memo.get(s, now)
	if ok {
		return got, nil
	}
	if stale {
		c.memo.drop(s)
	}
	var wire claims
	_, err := c.parser.ParseWithClaims(s, &wire, c.key)
	if err != nil {
		if onlyExpired(err) {
			return identity.Claims{}, errExpired
		}
		return identity.Claims{}, errInvalid
	}
	got = identity.Claims{
		TokenID:   wire.ID,
		SessionID: wire.SessionID,
		UserID:    wire.UserID,
		Username:  wire.Subject,
		Role:      identity.Role(wire.Role),
		Type:      identity.TokenType(wire.Type),
		IssuedAt:  wire.IssuedAt.UTC(),
		ExpiresAt: wire.ExpiresAt.UTC(),
	}
	// Refresh tokens are used once; only access tokens come back.
	if got.Type == identity.AccessToken {
		t := verifiedToken{claims: got}
		if wire.NotBefore != nil {
			t.notBefore = wire.NotBefore.Time
		}
		c.memo.put(s, t, now)
	}
	return got, nil
}

// key picks the verification key named by the kid header; a token without
// a kid, or naming a key we do not hold, cannot be verified.
func (c *Codec) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := c.byKID[kid]
	if !ok {
		return nil, errors.New("token: unknown key id")
	}
	return k, nil
}

// onlyExpired reports whether the token is genuine (its signature checked
// out) and its sole fault is being past its expiry: only then may the client
// be told "expired" and invited to refresh.
func onlyExpired(err error) bool {
	if !errors.Is(err, jwt.ErrTokenExpired) || !errors.Is(err, jwt.ErrTokenInvalidClaims) {
		return false
	}
	for _, other := range []error{
		errBadClaims,
		jwt.ErrTokenNotValidYet,
		jwt.ErrTokenUsedBeforeIssued,
		jwt.ErrTokenInvalidIssuer,
		jwt.ErrTokenInvalidAudience,
		jwt.ErrTokenRequiredClaimMissing,
		jwt.ErrInvalidType,
	} {
		if errors.Is(err, other) {
			return false
		}
	}
	return true
}
