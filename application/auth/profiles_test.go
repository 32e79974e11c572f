package auth_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/tests/mocks"
)

func TestProfilesCacheWithoutTheHash(t *testing.T) {
	users, cache, tx := mocks.NewUserRepository(t), mocks.NewCache(t), mocks.NewTxRunner(t)
	p := auth.NewProfiles(users, cache, tx)
	ctx := context.Background()
	u := identity.User{ID: 7, Username: "ada", Role: identity.RoleStaff, PasswordHash: "$2a$secret", IsActive: true}

	cache.EXPECT().Get(mock.Anything, "profile:v1:7").Return(nil, false, nil).Once()
	users.EXPECT().Get(mock.Anything, int64(7)).Return(u, nil).Once()
	var stored []byte
	cache.EXPECT().Set(mock.Anything, "profile:v1:7", mock.Anything, auth.ProfileTTL).
		RunAndReturn(func(_ context.Context, _ string, b []byte, _ time.Duration) error { stored = b; return nil }).Once()
	got, err := p.Profile(ctx, 7)
	require.NoError(t, err)
	assert.Empty(t, got.PasswordHash)
	assert.Equal(t, "ada", got.Username)
	assert.NotContains(t, string(stored), "secret", "the hash never reaches the cache")

	cache.EXPECT().Get(mock.Anything, "profile:v1:7").Return(stored, true, nil).Once()
	got, err = p.Profile(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, "ada", got.Username, "a hit does not touch the database")

	// A broken cache is a miss.
	cache.EXPECT().Get(mock.Anything, "profile:v1:7").Return(nil, false, errors.New("redis down")).Once()
	users.EXPECT().Get(mock.Anything, int64(7)).Return(u, nil).Once()
	cache.EXPECT().Set(mock.Anything, "profile:v1:7", mock.Anything, auth.ProfileTTL).Return(errors.New("redis down")).Once()
	got, err = p.Profile(ctx, 7)
	require.NoError(t, err)
	assert.Equal(t, int64(7), got.ID)
}

func TestProfilesForgetAfterTheWriteCommits(t *testing.T) {
	users, cache, tx := mocks.NewUserRepository(t), mocks.NewCache(t), mocks.NewTxRunner(t)
	p := auth.NewProfiles(users, cache, tx)
	ctx := context.Background()
	var order []string
	users.EXPECT().Update(mock.Anything, int64(7), mock.Anything).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*identity.User) error) (identity.User, error) {
			u := identity.User{ID: 7}
			order = append(order, "write")
			return u, fn(&u)
		}).Twice()
	cache.EXPECT().Delete(mock.Anything, "profile:v1:7").RunAndReturn(func(context.Context, ...string) error {
		order = append(order, "delete")
		return nil
	}).Twice()
	var afterCommit func()
	tx.EXPECT().AfterCommit(mock.Anything, mock.Anything).Run(func(_ context.Context, fn func()) { afterCommit = fn }).Once()
	_, err := p.Update(ctx, 7, func(u *identity.User) error { u.FullName = "Ada"; return nil })
	require.NoError(t, err)
	assert.Equal(t, []string{"write", "delete"}, order)
	require.NotNil(t, afterCommit)
	afterCommit()
	assert.Equal(t, []string{"write", "delete", "delete"}, order, "forgotten again once committed")

	// A write that fails forgets nothing.
	_, err = p.Update(ctx, 7, func(*identity.User) error { return errors.New("refused") })
	require.Error(t, err)
	assert.Len(t, order, 4)
	b, _ := json.Marshal(order)
	assert.Equal(t, `["write","delete","delete","write"]`, string(b))
}
