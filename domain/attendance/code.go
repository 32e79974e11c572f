package attendance

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/campus/campus/domain/fault"
)

// A check-in code is "c1.<session id>.<time step>.<mac>": the session it
// admits to, the QR_ROTATE_SECONDS step it was issued in, and a truncated
// HMAC-SHA256 of both under a key derived from SECRET_KEY. Everything a
// verifier needs is in the code and the key, so checking a scan needs no
// database read and works on every replica; a code cannot be forged for
// another session or moved to another step without the key.

const (
	codeVersion = "c1"
	macBytes    = 16 // 128 bits: far beyond guessing within one step
	// maxCodeLength bounds the input before any parsing work.
	maxCodeLength = 100
)

var macEncoding = base64.RawURLEncoding.Strict()

// Signer authenticates a code's content. The application supplies an
// HMAC-SHA256 under a key derived from SECRET_KEY, which keeps the
// cryptography (and its key) out of the domain; the rules of the code —
// what is signed, the window, the single spelling — stay here.
type Signer func(msg []byte) []byte

// Code is a parsed check-in code.
type Code struct {
	SessionID int64
	Step      int64
	MAC       [macBytes]byte
}

// String renders the code's one canonical text form.
func (c Code) String() string {
	return codeVersion + "." + strconv.FormatInt(c.SessionID, 10) + "." + strconv.FormatInt(c.Step, 10) + "." +
		macEncoding.EncodeToString(c.MAC[:])
}

// StepOf is the number of the rotation step now falls in.
func StepOf(now time.Time, every time.Duration) int64 {
	n, d := now.UnixNano(), int64(every)
	q := n / d
	if n%d < 0 { // floor, also before 1970
		q--
	}
	return q
}

// stepStart is when step begins.
func stepStart(step int64, every time.Duration) time.Time {
	return time.Unix(0, step*int64(every)).UTC()
}

func sign(signer Signer, sessionID, step int64) [macBytes]byte {
	var out [macBytes]byte
	copy(out[:], signer([]byte(codeVersion+"|"+strconv.FormatInt(sessionID, 10)+"|"+strconv.FormatInt(step, 10))))
	return out
}

// equalMAC compares in constant time, so a timing side channel cannot
// reveal how much of a forged MAC was right.
func equalMAC(a, b [macBytes]byte) bool {
	var diff byte
	for i := range a {
		diff |= a[i] ^ b[i]
	}
	return diff == 0
}

// IssueCode returns the code of session for the step now falls in, and
// when it is replaced by the next one. A scan of it is still accepted
// during the following step, so a student who scanned just before the
// rotation is not refused.
func IssueCode(key Signer, sessionID int64, now time.Time, every time.Duration) (string, time.Time) {
	step := StepOf(now, every)
	c := Code{SessionID: sessionID, Step: step, MAC: sign(key, sessionID, step)}
	return c.String(), stepStart(step+1, every)
}

// errBadCode refuses a code that is malformed, forged or not yet valid.
func errBadCode() error { return Reject(ReasonInvalidCode, fault.BadRequest, "Invalid check-in code") }

// ParseCode reads a code in its canonical form only: anything else (extra
// parts, signs, leading zeros, padding, other alphabets) is refused, so one
// code has exactly one spelling.
func ParseCode(s string) (Code, error) {
	if len(s) > maxCodeLength {
		return Code{}, errBadCode()
	}
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != codeVersion {
		return Code{}, errBadCode()
	}
	sid, ok := canonicalInt(parts[1])
	if !ok || sid <= 0 {
		return Code{}, errBadCode()
	}
	step, ok := canonicalInt(parts[2])
	if !ok {
		return Code{}, errBadCode()
	}
	c := Code{SessionID: sid, Step: step}
	if macEncoding.EncodedLen(macBytes) != len(parts[3]) {
		return Code{}, errBadCode()
	}
	n, err := macEncoding.Decode(c.MAC[:], []byte(parts[3]))
	if err != nil || n != macBytes {
		return Code{}, errBadCode()
	}
	return c, nil
}

// canonicalInt parses a non-negative decimal without sign or leading zeros.
func canonicalInt(s string) (int64, bool) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// VerifyCode accepts c at now when its MAC is right and it was issued in
// the current or the previous step. A forged code and one from a future
// step are invalid; one from two or more steps back has expired.
func VerifyCode(key Signer, c Code, now time.Time, every time.Duration) error {
	if !equalMAC(sign(key, c.SessionID, c.Step), c.MAC) {
		return errBadCode()
	}
	cur := StepOf(now, every)
	switch {
	case c.Step > cur:
		return errBadCode()
	case c.Step < cur-1:
		return Reject(ReasonExpiredCode, fault.BadRequest, "This check-in code has expired; scan the current one")
	}
	return nil
}
