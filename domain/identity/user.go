package identity

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
)

// User is an account that can log in.
type User struct {
	ID           int64
	Username     string
	Email        string
	FullName     string
	Role         Role
	PasswordHash string
	StudentID    *int64
	// Department is the students.department a staff account looks after
	// (agents tell a student's department staff about the student); nil
	// for accounts of no department.
	Department *string
	IsActive   bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
	LastLogin  *time.Time
}

// NewUser validates the fields of a new account (not the password, which
// the policy checks before hashing).
func NewUser(username, email, fullName string, role Role) (User, error) {
	u := User{
		Username: strings.TrimSpace(username),
		Email:    strings.ToLower(strings.TrimSpace(email)),
		FullName: strings.TrimSpace(fullName),
		Role:     role,
		IsActive: true,
	}
	var v fault.Validation
	n := utf8.RuneCountInString(u.Username)
	v.Check(n >= 3 && n <= 50, "username", "must be 3 to 50 characters")
	v.Check(validUsername(u.Username), "username", "may contain only letters, digits, '.', '_' and '-'")
	v.Check(ValidEmail(u.Email), "email", "must be a valid email address")
	v.Check(utf8.RuneCountInString(u.FullName) <= 200, "full_name", "must be at most 200 characters")
	v.Check(role.Valid(), "role", "must be one of guest, student, staff, admin")
	return u, v.Err()
}

func validUsername(s string) bool {
	for _, r := range s {
		ok := r == '.' || r == '_' || r == '-' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')
		if !ok {
			return false
		}
	}
	return s != ""
}

// ValidEmail reports whether s is a bare address local@domain.tld: a dot-atom
// local part (RFC 5322, no quoted strings or comments) and a domain of DNS
// labels. net/mail would accept display names and pull the network stack
// into the domain.
func ValidEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || len(s) > 254 || len(local) == 0 || len(local) > 64 || !strings.Contains(domain, ".") {
		return false
	}
	for _, atom := range strings.Split(local, ".") {
		if atom == "" || strings.IndexFunc(atom, func(r rune) bool { return !atext(r) }) >= 0 {
			return false
		}
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		if strings.IndexFunc(label, func(r rune) bool { return r != '-' && !alnum(r) }) >= 0 {
			return false
		}
	}
	return true
}

// atext is RFC 5322's set of characters allowed in an atom.
func atext(r rune) bool { return alnum(r) || strings.ContainsRune("!#$%&'*+/=?^_`{|}~-", r) }

func alnum(r rune) bool { return r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// ProfileChange is a user's edit of their own profile.
type ProfileChange struct {
	FullName *string
	Email    *string
}

// Apply validates and applies the change.
func (u *User) Apply(c ProfileChange) error {
	var v fault.Validation
	if c.FullName != nil {
		name := strings.TrimSpace(*c.FullName)
		v.Check(utf8.RuneCountInString(name) <= 200, "full_name", "must be at most 200 characters")
		u.FullName = name
	}
	if c.Email != nil {
		email := strings.ToLower(strings.TrimSpace(*c.Email))
		v.Check(ValidEmail(email), "email", "must be a valid email address")
		u.Email = email
	}
	return v.Err()
}

// UserFilter narrows a user listing.
type UserFilter struct {
	Role     *Role
	Query    string
	IsActive *bool
}

// AdminChange is an administrator's edit of an account.
type AdminChange struct {
	Role      *Role
	IsActive  *bool
	StudentID **int64 // set to a nil pointer to unlink
	// Department sets the account's department; a nil or blank value
	// clears it.
	Department **string
}

// MaxDepartment is the longest department name, as for students.
const MaxDepartment = 100

// cleanDepartment trims a department name; blank means none.
func cleanDepartment(d *string) (*string, error) {
	if d == nil {
		return nil, nil
	}
	t := strings.TrimSpace(*d)
	if t == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(t) > MaxDepartment {
		return nil, &fault.Error{Kind: fault.Invalid, Message: "department: must be at most 100 characters",
			Fields: []fault.FieldError{{Field: "department", Message: "must be at most 100 characters"}}}
	}
	return &t, nil
}

// ApplyAdmin applies the change and reports whether the user's sessions
// must be revoked: the role or the student link changed (what the account
// may see changed) or the account was deactivated.
func (u *User) ApplyAdmin(c AdminChange) (revoke bool, err error) {
	var dept *string
	if c.Department != nil {
		if dept, err = cleanDepartment(*c.Department); err != nil {
			return false, err
		}
	}
	if c.Role != nil {
		if !c.Role.Valid() {
			return false, fault.New(fault.Invalid, "role: must be one of guest, student, staff, admin")
		}
		if *c.Role != u.Role {
			revoke = true
		}
		u.Role = *c.Role
	}
	if c.IsActive != nil {
		if u.IsActive && !*c.IsActive {
			revoke = true
		}
		u.IsActive = *c.IsActive
	}
	if c.StudentID != nil {
		if !sameID(u.StudentID, *c.StudentID) {
			revoke = true
		}
		u.StudentID = *c.StudentID
	}
	if c.Department != nil {
		u.Department = dept // what the account may see does not change: no revocation
	}
	return revoke, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
