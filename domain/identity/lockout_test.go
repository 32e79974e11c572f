package identity_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/identity"
)

var (
	t0     = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	policy = identity.LockoutPolicy{MaxFailures: 5, Base: time.Minute, Max: 15 * time.Minute}
)

func TestLockoutAfterMaxFailures(t *testing.T) {
	var a identity.LoginAttempts
	for i := 1; i <= 4; i++ {
		assert.False(t, policy.Fail(&a, t0), "failure %d must not lock", i)
		assert.Equal(t, i, a.Failures)
		locked, _ := a.Locked(t0)
		assert.False(t, locked)
	}
	assert.True(t, policy.Fail(&a, t0), "the 5th failure locks")
	require.NotNil(t, a.LockedUntil)
	assert.Equal(t, t0.Add(time.Minute), *a.LockedUntil)
	assert.Equal(t, 1, a.Lockouts)
	assert.Equal(t, 0, a.Failures, "the count starts over after a lockout")

	locked, left := a.Locked(t0)
	assert.True(t, locked)
	assert.Equal(t, time.Minute, left)
}

func TestLockoutDoublesUpToMax(t *testing.T) {
	var a identity.LoginAttempts
	want := []time.Duration{1, 2, 4, 8, 15, 15, 15}
	now := t0
	for i, w := range want {
		var locked bool
		for j := 0; j < policy.MaxFailures; j++ {
			locked = policy.Fail(&a, now)
		}
		require.True(t, locked, "lockout %d", i+1)
		assert.Equal(t, w*time.Minute, a.LockedUntil.Sub(now), "lockout %d", i+1)
		assert.Equal(t, i+1, a.Lockouts)
		now = *a.LockedUntil
	}
}

func TestLockoutSuccessResets(t *testing.T) {
	var a identity.LoginAttempts
	for j := 0; j < 5; j++ {
		policy.Fail(&a, t0)
	}
	policy.Fail(&a, t0)
	policy.Succeed(&a)
	assert.Equal(t, identity.LoginAttempts{}, a)
	for j := 0; j < 4; j++ {
		policy.Fail(&a, t0)
	}
	policy.Fail(&a, t0)
	assert.Equal(t, t0.Add(time.Minute), *a.LockedUntil, "after a reset the lockout starts again from base")
}

func TestLockedBoundary(t *testing.T) {
	until := t0.Add(time.Minute)
	a := identity.LoginAttempts{LockedUntil: &until}
	tests := []struct {
		name   string
		now    time.Time
		locked bool
		left   time.Duration
	}{
		{"well before", t0, true, time.Minute},
		{"one nanosecond before", until.Add(-time.Nanosecond), true, time.Nanosecond},
		{"exactly at locked_until", until, false, 0},
		{"after", until.Add(time.Second), false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			locked, left := a.Locked(tt.now)
			assert.Equal(t, tt.locked, locked)
			assert.Equal(t, tt.left, left)
		})
	}
	locked, _ := identity.LoginAttempts{}.Locked(t0)
	assert.False(t, locked, "a record never locked is not locked")
}
