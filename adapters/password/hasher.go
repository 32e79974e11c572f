// Package password hashes and checks passwords with bcrypt. bcrypt is slow
// on purpose, so every hash and comparison runs on lanes of its own (see
// lanes.go): as many as the number of CPUs, on threads of a lower priority,
// so that a burst of logins queues up instead of starving every other
// request of CPU, and a caller that gives up stops waiting.
package password

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

// Hasher implements ports.PasswordHasher with bcrypt at a fixed cost.
type Hasher struct {
	cost  int
	lanes *lanes
	// dummy is a hash of a random password at cost, compared against when
	// there is no stored hash so that an unknown username takes as long as a
	// known one with a wrong password.
	dummy []byte
}

// NewHasher builds a hasher for cost (bcrypt.MinCost to bcrypt.MaxCost).
// It computes the dummy hash once, which takes one hash's time.
func NewHasher(cost int) (*Hasher, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("password: bcrypt cost %d out of range %d..%d", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, fmt.Errorf("password: dummy hash: %w", err)
	}
	return &Hasher{
		cost:  cost,
		lanes: processLanes(),
		dummy: dummy,
	}, nil
}

// Hash returns the bcrypt hash of password. A password over 72 bytes is
// refused with fault.Invalid: bcrypt would silently ignore the rest, and a
// user must never believe a longer password protects them than does.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > identity.MaxPasswordBytes {
		return "", fault.New(fault.Invalid, "password: must be at most 72 bytes")
	}
	var b []byte
	var err error
	if werr := h.lanes.do(ctx, func() { b, err = bcrypt.GenerateFromPassword([]byte(password), h.cost) }); werr != nil {
		return "", fmt.Errorf("password: wait for hasher: %w", werr)
	}
	if err != nil {
		return "", fmt.Errorf("password: hash: %w", err)
	}
	return string(b), nil
}

// Compare reports whether password matches hash. An empty hash never
// matches, after costing the same time as a real comparison. A password too
// long to have been hashed never matches either.
func (h *Hasher) Compare(ctx context.Context, hash, password string) (bool, error) {
	if len(password) > identity.MaxPasswordBytes {
		// Hash refuses such passwords, so no stored hash can match; the
		// early answer depends only on the input, not on the account.
		return false, nil
	}
	target := []byte(hash)
	if hash == "" {
		target = h.dummy
	}
	var err error
	if werr := h.lanes.do(ctx, func() { err = bcrypt.CompareHashAndPassword(target, []byte(password)) }); werr != nil {
		return false, fmt.Errorf("password: wait for hasher: %w", werr)
	}
	switch {
	case hash == "":
		return false, nil
	case err == nil:
		return true, nil
	case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return false, nil
	default:
		// A stored hash bcrypt cannot read is corrupt data, worth an alarm.
		return false, fmt.Errorf("password: compare: %w", err)
	}
}

// NeedsRehash reports whether hash was made at a lower cost than the
// configured one, so that a successful login can upgrade it. An unreadable
// hash reports false: it cannot have matched, so there is nothing to upgrade.
func (h *Hasher) NeedsRehash(hash string) bool {
	cost, err := bcrypt.Cost([]byte(hash))
	return err == nil && cost < h.cost
}
