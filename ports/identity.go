package ports

import (
	"context"
	"time"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
)

// UserRepository stores accounts. Missing rows are fault.NotFound, duplicate
// usernames or emails fault.Conflict.
type UserRepository interface {
	Create(ctx context.Context, u *identity.User) error
	Get(ctx context.Context, id int64) (identity.User, error)
	GetByUsername(ctx context.Context, username string) (identity.User, error)
	List(ctx context.Context, f identity.UserFilter, p page.Request) (page.Result[identity.User], error)
	// Update loads the user, applies fn and saves the result in one
	// transaction; fn's error aborts the update.
	Update(ctx context.Context, id int64, fn func(*identity.User) error) (identity.User, error)
}

// LoginAttemptRepository keeps failure counts per username.
type LoginAttemptRepository interface {
	// Update applies fn to the username's record (zero when there is none)
	// under a row lock and saves it.
	Update(ctx context.Context, username string, fn func(*identity.LoginAttempts) error) (identity.LoginAttempts, error)
}

// SessionRepository stores login sessions; it is the source of truth for
// revocation on every replica.
type SessionRepository interface {
	Create(ctx context.Context, s identity.Session) error
	Get(ctx context.Context, id string) (identity.Session, error)
	// Rotate replaces the current refresh token id oldJTI with newJTI; it
	// reports false when oldJTI is no longer current or the session is revoked,
	// so that of concurrent rotations exactly one wins.
	Rotate(ctx context.Context, id, oldJTI, newJTI string, now time.Time) (bool, error)
	// Revoke ends the session named, or every active session of the user
	// except Keep; it returns the ids of the sessions it ended.
	Revoke(ctx context.Context, r Revocation) ([]string, error)
	ListActive(ctx context.Context, userID int64, now time.Time) ([]identity.Session, error)
	// Principal returns the session's state with its user's current role,
	// link and activity, for the check of every access token.
	Principal(ctx context.Context, sessionID string) (identity.Principal, error)
}

// Revocation names which sessions to end.
type Revocation struct {
	SessionID string // one session; or, when empty,
	UserID    int64  // every active session of this user
	Keep      string // except this one
	At        time.Time
}

// TokenCodec signs and verifies tokens. Parse fails with fault.Unauthenticated
// ("Token has expired" or "Invalid token").
type TokenCodec interface {
	Sign(c identity.Claims) (string, error)
	Parse(token string) (identity.Claims, error)
}

// PasswordHasher hashes and checks passwords on a bounded pool so that
// logins never starve other requests.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	// Compare reports whether password matches hash. An empty hash is
	// compared against a dummy of the same cost, so an unknown user costs
	// the same time as a known one, and never matches.
	Compare(ctx context.Context, hash, password string) (bool, error)
	// NeedsRehash reports whether hash was made with a lower cost than now.
	NeedsRehash(hash string) bool
}
