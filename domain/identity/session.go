package identity

import "time"

// Session is one login: a chain of refresh tokens of which only the newest
// is valid. Revoking it ends every token issued for it.
type Session struct {
	ID         string
	UserID     int64
	RefreshJTI string // the only refresh token that may be used next
	PrevJTI    string // the token it replaced, for telling a race from reuse
	RotatedAt  time.Time
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
	RevokedAt  *time.Time
	UserAgent  string
	IP         string
}

// Active reports whether the session can still be used at now.
func (s Session) Active(now time.Time) bool {
	return s.RevokedAt == nil && now.Before(s.ExpiresAt)
}

// Principal is what an access-token check learns about its bearer from the
// store: the session's state and the user's current role and links.
type Principal struct {
	UserID    int64
	Username  string
	Role      Role
	StudentID *int64
	IsActive  bool
	Revoked   bool
	ExpiresAt time.Time
}

// Claims are the verified contents of a token.
type Claims struct {
	TokenID   string // jti
	SessionID string // sid
	UserID    int64
	Username  string
	Role      Role
	Type      TokenType
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// TokenType tells access tokens from refresh tokens.
type TokenType string

// The two token types.
const (
	AccessToken  TokenType = "access"
	RefreshToken TokenType = "refresh"
)

// TokenPair is what login and refresh hand out.
type TokenPair struct {
	AccessToken  string
	RefreshToken string
	ExpiresIn    time.Duration
	UserID       int64
	Role         Role
}
