package identity_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

func TestPasswordPolicy(t *testing.T) {
	p := identity.NewPasswordPolicy(8, []string{"Password123", "qwertyuiop"})
	tests := []struct {
		name     string
		password string
		username string
		wantMsg  string // empty: accepted
	}{
		{"ok", "correct horse battery", "alice", ""},
		{"exactly min length", "abcdefgh", "alice", ""},
		{"one short", "abcdefg", "alice", "must be at least 8 characters"},
		{"empty", "", "alice", "must be at least 8 characters"},
		{"min counts characters not bytes (7 runes, 14 bytes)", strings.Repeat("é", 7), "alice", "must be at least 8 characters"},
		{"8 multibyte characters", strings.Repeat("é", 8), "alice", ""},
		{"exactly 72 bytes", strings.Repeat("a", 72), "alice", ""},
		{"73 bytes", strings.Repeat("a", 73), "alice", "must be at most 72 bytes"},
		{"72 bytes of 3-byte characters", strings.Repeat("€", 24), "alice", ""},
		{"25 characters but 75 bytes", strings.Repeat("€", 25), "alice", "must be at most 72 bytes"},
		{"emoji over 72 bytes", strings.Repeat("🔒", 19), "alice", "must be at most 72 bytes"},
		{"common, same case", "qwertyuiop", "alice", "is too common; choose a less guessable password"},
		{"common, other case", "PASSWORD123", "alice", "is too common; choose a less guessable password"},
		{"common list entry lowercased", "password123", "alice", "is too common; choose a less guessable password"},
		{"equal to username", "alicesmith", "alicesmith", "must not be the same as the username"},
		{"equal to username, other case", "AliceSmith", "aliceSMITH", "must not be the same as the username"},
		{"contains username is fine", "alicesmith!", "alicesmith", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check("new_password", tt.password, tt.username)
			if tt.wantMsg == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.ErrorIs(t, err, fault.ErrInvalid)
			var fe *fault.Error
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, []fault.FieldError{{Field: "new_password", Message: tt.wantMsg}}, fe.Fields)
		})
	}
}

func TestPasswordPolicyMinLengthIsConfigurable(t *testing.T) {
	p := identity.NewPasswordPolicy(12, nil)
	assert.Error(t, p.Check("password", "elevenchars", "u"))
	assert.NoError(t, p.Check("password", "twelve chars", "u"))
	assert.Equal(t, 72, identity.MaxPasswordBytes)
}
