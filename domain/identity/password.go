package identity

import (
	"strconv"
	"strings"

	"github.com/campus/campus/domain/fault"
)

// MaxPasswordBytes is bcrypt's input limit; longer passwords are refused,
// never silently cut.
const MaxPasswordBytes = 72

// PasswordPolicy is the rule set for new passwords: length bounds, no
// common passwords, not the username. No composition rules (NIST 800-63B).
type PasswordPolicy struct {
	MinLength int
	Common    map[string]struct{}
}

// NewPasswordPolicy builds a policy; common is the list of refused passwords.
func NewPasswordPolicy(minLength int, common []string) PasswordPolicy {
	set := make(map[string]struct{}, len(common))
	for _, c := range common {
		set[strings.ToLower(c)] = struct{}{}
	}
	return PasswordPolicy{MinLength: minLength, Common: set}
}

// Check validates password for username, naming field in the error.
func (p PasswordPolicy) Check(field, password, username string) error {
	var v fault.Validation
	switch {
	case len([]rune(password)) < p.MinLength:
		v.Add(field, "must be at least "+strconv.Itoa(p.MinLength)+" characters")
	case len(password) > MaxPasswordBytes:
		v.Add(field, "must be at most 72 bytes")
	case strings.EqualFold(password, username):
		v.Add(field, "must not be the same as the username")
	default:
		if _, bad := p.Common[strings.ToLower(password)]; bad {
			v.Add(field, "is too common; choose a less guessable password")
		}
	}
	return v.Err()
}
