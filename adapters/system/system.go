// Package system plugs the real clock and identifier generator into the
// core's ports, so that use cases stay free of time.Now and randomness and
// their tests can substitute mocks.
package system

import (
	"time"

	"github.com/google/uuid"
)

// Clock is the wall clock in UTC; UTC so that stored and compared times
// never depend on the host's zone.
type Clock struct{}

// NewClock returns the wall clock.
func NewClock() *Clock { return &Clock{} }

// Now returns the current time in UTC.
func (*Clock) Now() time.Time { return time.Now().UTC() }

// IDs makes UUID version 7 strings: random enough to be unguessable as
// token and session ids, and time-ordered so that they index well.
type IDs struct{}

// NewIDs returns the generator.
func NewIDs() *IDs { return &IDs{} }

// NewID returns a new UUIDv7 in its canonical 36-character form.
func (*IDs) NewID() string {
	// uuid.NewV7 fails only when crypto/rand fails, which since Go 1.24
	// crashes the process instead of returning an error, so Must never fires.
	return uuid.Must(uuid.NewV7()).String()
}
