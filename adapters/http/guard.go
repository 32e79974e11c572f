package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

// guardKind says what a route demands of its caller.
type guardKind int

const (
	guardPublic        guardKind = iota // no token needed
	guardOptional                       // a token is used when present (register)
	guardAuthenticated                  // any valid access token
	guardRole                           // that role or above
	guardPermission                     // a role holding that permission
	guardOnlyRole                       // exactly that role (e.g. check-in by a student user)
)

// Guard is a route's access rule, built from the domain policy.
type Guard struct {
	Kind       guardKind
	Role       identity.Role
	Permission identity.Permission
}

// Public routes need no token.
func Public() Guard { return Guard{Kind: guardPublic} }

// Optional routes use a token when one is sent.
func Optional() Guard { return Guard{Kind: guardOptional} }

// Authenticated routes admit any valid access token.
func Authenticated() Guard { return Guard{Kind: guardAuthenticated} }

// RequireRole admits role r and above.
func RequireRole(r identity.Role) Guard { return Guard{Kind: guardRole, Role: r} }

// RequirePermission admits exactly the roles holding p.
func RequirePermission(p identity.Permission) Guard {
	return Guard{Kind: guardPermission, Permission: p}
}

// OnlyRole admits exactly role r: for acts that only make sense for that
// kind of account, such as a student checking in or joining a club.
func OnlyRole(r identity.Role) Guard { return Guard{Kind: guardOnlyRole, Role: r} }

// Admits reports whether role r passes the guard (ignoring own-record rules,
// which use cases apply to the data).
func (g Guard) Admits(r identity.Role) bool {
	switch g.Kind {
	case guardRole:
		return r.AtLeast(g.Role)
	case guardPermission:
		return identity.ScopeOf(r, g.Permission) != identity.None
	case guardOnlyRole:
		return r == g.Role
	}
	return true
}

// NeedsToken reports whether the guard rejects anonymous callers.
func (g Guard) NeedsToken() bool { return g.Kind >= guardAuthenticated }

func (g Guard) String() string {
	switch g.Kind {
	case guardPublic:
		return "public"
	case guardOptional:
		return "optional bearer"
	case guardAuthenticated:
		return "authenticated"
	case guardRole:
		return "role " + string(g.Role) + " or above"
	case guardOnlyRole:
		return "role " + string(g.Role) + " only"
	}
	return "permission " + string(g.Permission)
}

var errNotAuthenticated = fault.New(fault.Unauthenticated, "Not authenticated")

// middleware authenticates the bearer (when the guard wants one) and
// enforces the guard; a denial is written to the audit trail.
func (s *Server) guardMiddleware(g Guard, path string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if g.Kind == guardPublic {
			return c.Next()
		}
		token, present := bearer(c)
		if !present {
			if g.Kind == guardOptional {
				return c.Next()
			}
			return errNotAuthenticated
		}
		actor, claims, err := s.d.Auth.Authenticate(c.UserContext(), token, origin(c))
		if err != nil {
			return err
		}
		st := stateOf(c)
		st.actor, st.claims, st.authenticated = actor, claims, true
		if !g.Admits(actor.Role) {
			if aerr := s.d.Audit.Denied(c.UserContext(), actor, c.Method(), path); aerr != nil {
				s.d.Logger.Error("audit permission denial", "error", aerr.Error(), "request_id", requestID(c))
			}
			return identity.ErrDenied
		}
		return c.Next()
	}
}

// bearer extracts the token of an "Authorization: Bearer" header.
func bearer(c *fiber.Ctx) (string, bool) {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		return "", false
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "bearer") || strings.TrimSpace(token) == "" {
		return "", false
	}
	return strings.TrimSpace(token), true
}

func origin(c *fiber.Ctx) identity.Origin {
	return identity.Origin{IP: c.IP(), UserAgent: c.Get(fiber.HeaderUserAgent), RequestID: requestID(c)}
}

// actorOf returns the authenticated caller, if any.
func actorOf(c *fiber.Ctx) (identity.Actor, bool) {
	if st, ok := c.Locals(localState).(*requestState); ok && st.authenticated {
		return st.actor, true
	}
	return identity.Actor{}, false
}

// caller returns the authenticated caller, or an anonymous one.
func caller(c *fiber.Ctx) identity.Actor {
	if a, ok := actorOf(c); ok {
		return a
	}
	return identity.Anonymous(origin(c))
}

func claimsOf(c *fiber.Ctx) identity.Claims {
	if st, ok := c.Locals(localState).(*requestState); ok && st.authenticated {
		return st.claims
	}
	return identity.Claims{}
}
