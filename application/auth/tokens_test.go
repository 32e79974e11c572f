package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

func refreshClaims() identity.Claims {
	return identity.Claims{TokenID: "jti-old", SessionID: "sess-1", UserID: 10, Username: "alice",
		Role: identity.RoleStudent, Type: identity.RefreshToken, IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Hour)}
}

func activeSession() identity.Session {
	return identity.Session{ID: "sess-1", UserID: 10, RefreshJTI: "jti-old", PrevJTI: "jti-older",
		RotatedAt: now.Add(-time.Hour), CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(24 * time.Hour)}
}

func TestRefreshRejections(t *testing.T) {
	revokedAt := now.Add(-time.Minute)
	tests := []struct {
		name    string
		claims  identity.Claims
		parse   error
		sess    *identity.Session
		getErr  error
		wantMsg string
		wantErr error
	}{
		{name: "unparseable token", parse: fault.New(fault.Unauthenticated, "Token has expired"), wantMsg: "Token has expired"},
		{name: "access token used at refresh", claims: func() identity.Claims {
			c := refreshClaims()
			c.Type = identity.AccessToken
			return c
		}(), wantMsg: "Invalid token"},
		{name: "unknown session", claims: refreshClaims(), getErr: fault.New(fault.NotFound, "no session"), wantMsg: "Invalid token"},
		{name: "session of another user", claims: refreshClaims(), sess: func() *identity.Session {
			s := activeSession()
			s.UserID = 11
			return &s
		}(), wantMsg: "Invalid token"},
		{name: "revoked session", claims: refreshClaims(), sess: func() *identity.Session {
			s := activeSession()
			s.RevokedAt = &revokedAt
			return &s
		}(), wantMsg: "Token has been revoked"},
		{name: "expired session", claims: refreshClaims(), sess: func() *identity.Session {
			s := activeSession()
			s.ExpiresAt = now
			return &s
		}(), wantMsg: "Token has been revoked"},
		{name: "store failure", claims: refreshClaims(), getErr: errDB, wantErr: errDB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.tokens.EXPECT().Parse("tok").Return(tt.claims, tt.parse)
			if tt.sess != nil || tt.getErr != nil {
				s := identity.Session{}
				if tt.sess != nil {
					s = *tt.sess
				}
				f.sessions.EXPECT().Get(anyArg, "sess-1").Return(s, tt.getErr)
			}

			_, err := f.svc.Refresh(ctx, "tok", origin)

			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "load session")
				return
			}
			assertFault(t, err, fault.Unauthenticated, tt.wantMsg)
		})
	}
}

func TestRefreshRotationWon(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
	f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil).Once()
	u := alice()
	u.Role = identity.RoleStaff // the role is read fresh from the store
	getUser := f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil).Once()
	var newJTI string
	f.sessions.EXPECT().Rotate(anyArg, "sess-1", "jti-old", anyArg, now).RunAndReturn(
		func(_ context.Context, _, _, next string, _ time.Time) (bool, error) {
			newJTI = next
			return true, nil
		}).Once().NotBefore(getUser)
	f.sign()

	pair, err := f.svc.Refresh(ctx, "tok", origin)

	require.NoError(t, err)
	require.NotEmpty(t, newJTI)
	assert.NotEqual(t, "jti-old", newJTI)
	assert.Equal(t, "refresh:"+newJTI, pair.RefreshToken, "the new refresh token carries the rotated jti")
	require.Len(t, f.signed, 2)
	assert.Equal(t, identity.AccessToken, f.signed[0].Type)
	assert.Equal(t, "access:"+f.signed[0].TokenID, pair.AccessToken)
	assert.NotEqual(t, newJTI, f.signed[0].TokenID)
	for _, c := range f.signed {
		assert.Equal(t, "sess-1", c.SessionID)
		assert.Equal(t, identity.RoleStaff, c.Role)
	}
	assert.Equal(t, identity.RoleStaff, pair.Role)
	assert.Equal(t, cfg.AccessTTL, pair.ExpiresIn)
}

// TestRefreshDeactivatedUserIsRefusedBeforeRotation: the user is loaded
// and checked before Rotate, so a refused refresh leaves the session as it
// was.
func TestRefreshDeactivatedUserIsRefusedBeforeRotation(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
	f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil)
	u := alice()
	u.IsActive = false
	f.users.EXPECT().Get(anyArg, int64(10)).Return(u, nil)
	// No Rotate expectation: the strict mock fails the test if it is called.

	_, err := f.svc.Refresh(ctx, "tok", origin)
	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
	f.sessions.AssertNotCalled(t, "Rotate", anyArg, anyArg, anyArg, anyArg, anyArg)
}

// TestRefreshUserLoadFailureKeepsTheTokenUsable: a failed user load happens
// before Rotate, so the client's refresh token is still current and a retry
// can succeed.
func TestRefreshUserLoadFailureKeepsTheTokenUsable(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
	f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil).Times(2)
	f.users.EXPECT().Get(anyArg, int64(10)).Return(identity.User{}, errDB).Once()

	_, err := f.svc.Refresh(ctx, "tok", origin)

	assert.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), "load user")
	f.sessions.AssertNotCalled(t, "Rotate", anyArg, anyArg, anyArg, anyArg, anyArg)

	// The retry: the same token still rotates.
	f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil).Once()
	f.sessions.EXPECT().Rotate(anyArg, "sess-1", "jti-old", anyArg, now).Return(true, nil).Once()
	f.sign()
	pair, err := f.svc.Refresh(ctx, "tok", origin)
	require.NoError(t, err)
	assert.NotEmpty(t, pair.RefreshToken)
}

func TestRefreshPortErrors(t *testing.T) {
	t.Run("rotate", func(t *testing.T) {
		f := newFixture(t)
		f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
		f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil)
		f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
		f.sessions.EXPECT().Rotate(anyArg, anyArg, anyArg, anyArg, anyArg).Return(false, errDB)
		_, err := f.svc.Refresh(ctx, "tok", origin)
		assert.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "rotate session")
	})
	t.Run("load user", func(t *testing.T) {
		f := newFixture(t)
		f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
		f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil)
		f.users.EXPECT().Get(anyArg, int64(10)).Return(identity.User{}, errDB)
		// No Rotate expectation: the user is loaded first.
		_, err := f.svc.Refresh(ctx, "tok", origin)
		assert.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "load user")
	})
	t.Run("reload after lost rotation", func(t *testing.T) {
		f := newFixture(t)
		f.tokens.EXPECT().Parse("tok").Return(refreshClaims(), nil)
		f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil).Once()
		f.users.EXPECT().Get(anyArg, int64(10)).Return(alice(), nil)
		f.sessions.EXPECT().Rotate(anyArg, anyArg, anyArg, anyArg, anyArg).Return(false, nil)
		f.sessions.EXPECT().Get(anyArg, "sess-1").Return(identity.Session{}, errDB).Once()
		_, err := f.svc.Refresh(ctx, "tok", origin)
		assert.ErrorIs(t, err, errDB)
		assert.Contains(t, err.Error(), "reload session")
	})
}

// lostRotation sets up a refresh whose Rotate loses; after is the session as
// reloaded afterwards.
func lostRotation(f *fixture, c identity.Claims, after identity.Session) {
	f.tokens.EXPECT().Parse("tok").Return(c, nil)
	f.sessions.EXPECT().Get(anyArg, "sess-1").Return(activeSession(), nil).Once()
	f.users.EXPECT().Get(anyArg, c.UserID).Return(alice(), nil).Once()
	f.sessions.EXPECT().Rotate(anyArg, "sess-1", c.TokenID, anyArg, now).Return(false, nil).Once()
	f.sessions.EXPECT().Get(anyArg, "sess-1").Return(after, nil).Once()
}

func TestRefreshLostRaceWithinGraceKeepsSession(t *testing.T) {
	f := newFixture(t)
	c := refreshClaims()
	after := activeSession()
	after.PrevJTI, after.RefreshJTI, after.RotatedAt = c.TokenID, "jti-winner", now.Add(-2*time.Second)
	lostRotation(f, c, after)
	// No Revoke and no audit expectation: a lost race must not end the session.

	_, err := f.svc.Refresh(ctx, "tok", origin)

	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
	f.sessions.AssertNotCalled(t, "Revoke")
}

func TestRefreshLostRaceExactlyAtGraceKeepsSession(t *testing.T) {
	f := newFixture(t)
	c := refreshClaims()
	after := activeSession()
	after.PrevJTI, after.RotatedAt = c.TokenID, now.Add(-cfg.ReuseGrace)
	lostRotation(f, c, after)
	_, err := f.svc.Refresh(ctx, "tok", origin)
	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
}

func TestRefreshReuseRevokesSessionAndAudits(t *testing.T) {
	tests := []struct {
		name  string
		after func(c identity.Claims) identity.Session
	}{
		{"previous token outside grace", func(c identity.Claims) identity.Session {
			s := activeSession()
			s.PrevJTI, s.RotatedAt = c.TokenID, now.Add(-cfg.ReuseGrace-time.Second)
			return s
		}},
		{"older token inside grace", func(identity.Claims) identity.Session {
			s := activeSession()
			s.PrevJTI, s.RotatedAt = "jti-newer", now.Add(-time.Second)
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			c := refreshClaims()
			lostRotation(f, c, tt.after(c))
			f.recordAudit(nil)
			f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{SessionID: "sess-1", At: now}).RunAndReturn(
				func(context.Context, ports.Revocation) ([]string, error) {
					assert.Equal(t, []string{audit.ActionRefreshReuse}, f.actions(), "audited before the revocation")
					return []string{"sess-1"}, nil
				}).Once()
			f.expectForget("sess-1")

			_, err := f.svc.Refresh(ctx, "tok", origin)

			assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
			require.Equal(t, []string{audit.ActionRefreshReuse}, f.actions())
			e := f.entries[0]
			assert.Equal(t, "session", e.Resource)
			assert.Equal(t, "sess-1", e.ResourceID)
			require.NotNil(t, e.ActorID)
			assert.Equal(t, int64(10), *e.ActorID)
			assert.Equal(t, origin.IP, e.IP)
			assert.Equal(t, committedThenForgot("sess-1"), f.events, "the reused session's tokens die in the cache too")
		})
	}
}

func TestRefreshReuseRevokeFailure(t *testing.T) {
	f := newFixture(t)
	c := refreshClaims()
	after := activeSession()
	after.PrevJTI, after.RotatedAt = c.TokenID, now.Add(-time.Hour)
	lostRotation(f, c, after)
	f.recordAudit(nil) // the audit runs first, and rolls back with the revocation
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return(nil, errDB)
	// No cache expectation: nothing was revoked.
	_, err := f.svc.Refresh(ctx, "tok", origin)
	assert.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), "revoke reused session")
	assert.Equal(t, []string{"rollback"}, f.events)
}

// TestRefreshReuseAuditFailureRevokesNothing: the audit runs before the
// revocation in the same transaction, so its failure means Revoke is never
// called.
func TestRefreshReuseAuditFailureRevokesNothing(t *testing.T) {
	f := newFixture(t)
	c := refreshClaims()
	after := activeSession()
	after.PrevJTI, after.RotatedAt = c.TokenID, now.Add(-time.Hour)
	lostRotation(f, c, after)
	f.recordAudit(errDB)
	// No Revoke and no cache expectation: the strict mocks fail on either.
	_, err := f.svc.Refresh(ctx, "tok", origin)
	assert.ErrorIs(t, err, errDB)
	assert.Contains(t, err.Error(), "revoke reused session")
	assert.Equal(t, []string{audit.ActionRefreshReuse}, f.actions())
	assert.Equal(t, []string{"rollback"}, f.events)
}

func TestRefreshLostToRevocation(t *testing.T) {
	f := newFixture(t)
	c := refreshClaims()
	after := activeSession()
	after.RevokedAt = ptr(now)
	lostRotation(f, c, after)
	_, err := f.svc.Refresh(ctx, "tok", origin)
	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
}

func accessClaims() identity.Claims {
	return identity.Claims{TokenID: "jti-a", SessionID: "sess-1", UserID: 10, Username: "alice",
		Role: identity.RoleStudent, Type: identity.AccessToken, IssuedAt: now.Add(-time.Minute), ExpiresAt: now.Add(time.Minute)}
}

func principal() identity.Principal {
	return identity.Principal{UserID: 10, Username: "alice", Role: identity.RoleStudent, StudentID: ptr[int64](3),
		IsActive: true, ExpiresAt: now.Add(time.Hour)}
}

func TestAuthenticate(t *testing.T) {
	tests := []struct {
		name     string
		claims   identity.Claims
		parseErr error
		p        *identity.Principal
		pErr     error
		cached   bool // the store's answer goes into the cache
		wantMsg  string
		wantErr  error
	}{
		{name: "parse error passes through", parseErr: fault.New(fault.Unauthenticated, "Invalid token"), wantMsg: "Invalid token"},
		{name: "refresh token refused", claims: refreshClaims(), wantMsg: "Invalid token"},
		{name: "session not found", claims: accessClaims(), pErr: fault.New(fault.NotFound, "x"), wantMsg: "Invalid token"},
		{name: "store failure", claims: accessClaims(), pErr: errDB, wantErr: errDB},
		{name: "user mismatch", claims: accessClaims(), p: func() *identity.Principal {
			p := principal()
			p.UserID = 11
			return &p
		}(), cached: true, wantMsg: "Invalid token"},
		{name: "revoked session", claims: accessClaims(), p: func() *identity.Principal {
			p := principal()
			p.Revoked = true
			return &p
		}(), wantMsg: "Token has been revoked"},
		{name: "inactive user", claims: accessClaims(), p: func() *identity.Principal {
			p := principal()
			p.IsActive = false
			return &p
		}(), wantMsg: "Token has been revoked"},
		{name: "expired session", claims: accessClaims(), p: func() *identity.Principal {
			p := principal()
			p.ExpiresAt = now
			return &p
		}(), wantMsg: "Token has been revoked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.tokens.EXPECT().Parse("tok").Return(tt.claims, tt.parseErr)
			if tt.p != nil || tt.pErr != nil {
				p := identity.Principal{}
				if tt.p != nil {
					p = *tt.p
				}
				f.principalFromStore("sess-1", p, tt.pErr, tt.cached)
			}
			a, _, err := f.svc.Authenticate(ctx, "tok", origin)
			assert.Equal(t, identity.Actor{}, a)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				assert.Contains(t, err.Error(), "check session")
				return
			}
			assertFault(t, err, fault.Unauthenticated, tt.wantMsg)
		})
	}
}

func TestAuthenticateBuildsActorFromPrincipal(t *testing.T) {
	f := newFixture(t)
	c := accessClaims()
	f.tokens.EXPECT().Parse("tok").Return(c, nil)
	p := principal()
	p.Role = identity.RoleStaff // changed since the token was signed
	f.principalFromStore("sess-1", p, nil, true)

	a, claims, err := f.svc.Authenticate(ctx, "tok", origin)

	require.NoError(t, err)
	assert.Equal(t, c, claims)
	assert.Equal(t, identity.Actor{UserID: 10, Username: "alice", Role: identity.RoleStaff, StudentID: p.StudentID,
		SessionID: "sess-1", Origin: origin}, a)
}

// TestAuthenticateTombstoneIsRevoked: a revoked session's tombstone answers
// "revoked" (not "invalid": it is checked before the user id, which the
// tombstone does not carry), with no repository call even when a principal
// is still cached.
func TestAuthenticateTombstoneIsRevoked(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(accessClaims(), nil)
	f.cache.EXPECT().Get(anyArg, tombKey("sess-1")).Return([]byte{1}, true, nil).Once()
	// No expectation on the principal key or on Sessions.Principal.

	a, _, err := f.svc.Authenticate(ctx, "tok", origin)

	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
	assert.Equal(t, identity.Actor{}, a)
}

func TestAuthenticateServesACachedPrincipal(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(accessClaims(), nil)
	p := principal()
	p.Role = identity.RoleStaff
	f.cache.EXPECT().Get(anyArg, tombKey("sess-1")).Return(nil, false, nil).Once()
	f.cache.EXPECT().Get(anyArg, principalKey("sess-1")).Return(principalJSON(t, p), true, nil).Once()
	// No Sessions.Principal expectation: the cache answers.

	a, _, err := f.svc.Authenticate(ctx, "tok", origin)

	require.NoError(t, err)
	assert.Equal(t, identity.Actor{UserID: 10, Username: "alice", Role: identity.RoleStaff, StudentID: p.StudentID,
		SessionID: "sess-1", Origin: origin}, a)
}

// TestAuthenticateChecksACachedPrincipalsExpiry: a cached principal is
// still checked against the clock.
func TestAuthenticateChecksACachedPrincipalsExpiry(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("tok").Return(accessClaims(), nil)
	p := principal()
	p.ExpiresAt = now
	f.cache.EXPECT().Get(anyArg, tombKey("sess-1")).Return(nil, false, nil).Once()
	f.cache.EXPECT().Get(anyArg, principalKey("sess-1")).Return(principalJSON(t, p), true, nil).Once()

	_, _, err := f.svc.Authenticate(ctx, "tok", origin)

	assertFault(t, err, fault.Unauthenticated, "Token has been revoked")
}

func TestLogout(t *testing.T) {
	me := studentActor()
	tests := []struct {
		name       string
		token      string
		claims     identity.Claims
		parseErr   error
		wantRevoke []string
		wantKind   fault.Kind
	}{
		{name: "current session only", wantRevoke: []string{"sess-a"}},
		{name: "token of the same session", token: "rt", claims: identity.Claims{UserID: 10, SessionID: "sess-a", Type: identity.RefreshToken},
			wantRevoke: []string{"sess-a"}},
		{name: "token of another own session revokes it too", token: "rt", claims: identity.Claims{UserID: 10, SessionID: "sess-b", Type: identity.RefreshToken},
			wantRevoke: []string{"sess-a", "sess-b"}},
		{name: "token of another user", token: "rt", claims: identity.Claims{UserID: 11, SessionID: "sess-x", Type: identity.RefreshToken},
			wantKind: fault.Forbidden},
		{name: "invalid token", token: "rt", parseErr: fault.New(fault.Unauthenticated, "Invalid token"),
			wantKind: fault.BadRequest},
		{name: "access token in place of the refresh token", token: "at", claims: identity.Claims{UserID: 10, SessionID: "sess-b", Type: identity.AccessToken},
			wantKind: fault.BadRequest},
		{name: "token without a type", token: "rt", claims: identity.Claims{UserID: 10, SessionID: "sess-b"},
			wantKind: fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.token != "" {
				f.tokens.EXPECT().Parse(tt.token).Return(tt.claims, tt.parseErr)
			}
			var revoked []string
			if tt.wantRevoke != nil {
				f.sessions.EXPECT().Revoke(anyArg, anyArg).RunAndReturn(func(_ context.Context, r ports.Revocation) ([]string, error) {
					assert.Equal(t, now, r.At)
					assert.Zero(t, r.UserID)
					revoked = append(revoked, r.SessionID)
					return []string{r.SessionID}, nil
				})
				f.recordAudit(nil)
				f.expectForget(tt.wantRevoke...)
			}

			err := f.svc.Logout(ctx, me, tt.token)

			if tt.wantKind != 0 {
				assertFault(t, err, tt.wantKind, "")
				if tt.wantKind == fault.BadRequest {
					assert.EqualError(t, err, "token: not a valid refresh token")
				}
				f.sessions.AssertNotCalled(t, "Revoke")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantRevoke, revoked)
			assert.Equal(t, []string{audit.ActionLogout}, f.actions())
			assert.Equal(t, "sess-a", f.entries[0].ResourceID)
			assert.Equal(t, committedThenForgot(tt.wantRevoke...), f.events)
		})
	}
}

// TestLogoutForgetsOnlyWhatWasRevoked: a session that was already revoked
// (Revoke returns no id) gets no tombstone.
func TestLogoutForgetsOnlyWhatWasRevoked(t *testing.T) {
	f := newFixture(t)
	f.tokens.EXPECT().Parse("rt").Return(identity.Claims{UserID: 10, SessionID: "sess-b", Type: identity.RefreshToken}, nil)
	f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{SessionID: "sess-a", At: now}).Return([]string{"sess-a"}, nil).Once()
	f.sessions.EXPECT().Revoke(anyArg, ports.Revocation{SessionID: "sess-b", At: now}).Return([]string{}, nil).Once()
	f.recordAudit(nil)
	f.expectForget("sess-a")

	require.NoError(t, f.svc.Logout(ctx, studentActor(), "rt"))
	assert.Equal(t, committedThenForgot("sess-a"), f.events)
}

func TestLogoutRevokeFailure(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return(nil, errDB)
	// No cache expectation.
	err := f.svc.Logout(ctx, studentActor(), "")
	assert.ErrorIs(t, err, errDB)
}

func TestLogoutAuditFailureLeavesTheCacheAlone(t *testing.T) {
	f := newFixture(t)
	f.sessions.EXPECT().Revoke(anyArg, anyArg).Return([]string{"sess-a"}, nil)
	f.recordAudit(errDB)
	// No cache expectation: the revocation rolled back.
	err := f.svc.Logout(ctx, studentActor(), "")
	assert.ErrorIs(t, err, errDB)
	assert.Equal(t, []string{"rollback"}, f.events)
}
