package password

import (
	_ "embed"
	"slices"
	"strings"
	"sync"
)

// commonList holds well-known entries of public most-used-password lists
// plus the patterns those lists are full of (word+digits, keyboard walks,
// digit runs), lowercase, one per line. It is embedded so the refusal list
// ships inside the binary and cannot go missing at run time.
//
//go:embed common-passwords.txt
var commonList string

var parsedCommon = sync.OnceValue(func() []string {
	var out []string
	for line := range strings.Lines(commonList) {
		if p := strings.ToLower(strings.TrimSpace(line)); p != "" {
			out = append(out, p)
		}
	}
	return out
})

// CommonPasswords returns the passwords identity.PasswordPolicy refuses as
// too common, lowercase. The slice is the caller's to keep.
func CommonPasswords() []string { return slices.Clone(parsedCommon()) }
