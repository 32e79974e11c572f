package identity

import "time"

// LoginAttempts tracks consecutive failures for one username, known or not,
// so that a lockout does not reveal whether an account exists.
type LoginAttempts struct {
	Username    string
	Failures    int
	Lockouts    int
	LockedUntil *time.Time
}

// LockoutPolicy locks a username after MaxFailures consecutive failures for
// Base, doubling on every further lockout up to Max.
type LockoutPolicy struct {
	MaxFailures int
	Base        time.Duration
	Max         time.Duration
}

// Locked reports whether the username is locked at now and for how long.
func (a LoginAttempts) Locked(now time.Time) (bool, time.Duration) {
	if a.LockedUntil == nil || !now.Before(*a.LockedUntil) {
		return false, 0
	}
	return true, a.LockedUntil.Sub(now)
}

// Fail records one failure at now and reports whether it started a lockout.
func (p LockoutPolicy) Fail(a *LoginAttempts, now time.Time) (lockedNow bool) {
	a.Failures++
	if a.Failures < p.MaxFailures {
		return false
	}
	d := p.Base
	for i := 0; i < a.Lockouts && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	until := now.Add(d)
	a.LockedUntil = &until
	a.Lockouts++
	a.Failures = 0
	return true
}

// Succeed clears the record after a successful login.
func (p LockoutPolicy) Succeed(a *LoginAttempts) {
	a.Failures, a.Lockouts, a.LockedUntil = 0, 0, nil
}
