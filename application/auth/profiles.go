package auth

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/ports"
)

// ProfileTTL is how long a user's profile stays cached (the contract's
// cache strategy).
const ProfileTTL = 600 * time.Second

// StoredUsers is the user repository of the database, which Profiles wraps.
type StoredUsers interface{ ports.UserRepository }

// Profiles is the user repository every use case goes through. It keeps
// users' profiles (the account without its password hash) in the cache
// for ProfileTTL, and after a write to a user commits it drops that user's
// profile, so no replica (they share the cache with Redis) serves a
// profile older than the last successful write. A cache that fails is a
// miss; the database answers.
type Profiles struct {
	StoredUsers
	cache ports.Cache
	tx    ports.TxRunner
}

// NewProfiles wraps users.
func NewProfiles(users StoredUsers, cache ports.Cache, tx ports.TxRunner) *Profiles {
	return &Profiles{StoredUsers: users, cache: cache, tx: tx}
}

func profileKey(id int64) string { return "profile:v1:" + strconv.FormatInt(id, 10) }

// Profile returns the user without their password hash, from the cache
// when it holds it.
func (p *Profiles) Profile(ctx context.Context, id int64) (identity.User, error) {
	if b, ok, err := p.cache.Get(ctx, profileKey(id)); err == nil && ok {
		var u identity.User
		if json.Unmarshal(b, &u) == nil && u.ID == id {
			return u, nil
		}
	}
	u, err := p.Get(ctx, id)
	if err != nil {
		return identity.User{}, err
	}
	u.PasswordHash = ""
	if b, err := json.Marshal(u); err == nil {
		_ = p.cache.Set(ctx, profileKey(id), b, ProfileTTL)
	}
	return u, nil
}

// Update writes through to the database, then forgets the cached profile:
// at once, and again when the transaction commits (a reader that refilled
// the cache in between read the row as it was before the commit).
func (p *Profiles) Update(ctx context.Context, id int64, fn func(*identity.User) error) (identity.User, error) {
	u, err := p.StoredUsers.Update(ctx, id, fn)
	if err != nil {
		return u, err
	}
	key := profileKey(id)
	_ = p.cache.Delete(ctx, key)
	p.tx.AfterCommit(ctx, func() { _ = p.cache.Delete(context.WithoutCancel(ctx), key) })
	return u, nil
}
