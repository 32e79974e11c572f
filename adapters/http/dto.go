package httpapi

import (
	"encoding/json"
	"time"

	"github.com/campus/campus/application/auth"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/student"
)

// ListDTO is the envelope of every list.
type ListDTO[T any] struct {
	Items  []T `json:"items"`
	Total  int `json:"total"`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

// MessageDTO is a plain acknowledgement.
type MessageDTO struct {
	Message string `json:"message"`
}

// LoginRequest is POST /auth/login.
type LoginRequest struct {
	Username string `json:"username" validate:"required,max=100"`
	Password string `json:"password" validate:"required,min=6,max=1024"`
}

// RegisterRequest is POST /auth/register.
type RegisterRequest struct {
	Username string `json:"username" validate:"required"`
	Email    string `json:"email" validate:"required"`
	Password string `json:"password" validate:"required,max=1024"`
	FullName string `json:"full_name"`
	Role     string `json:"role"`
}

// RefreshRequest is POST /auth/refresh.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token" validate:"required"`
}

// LogoutRequest is POST /auth/logout.
type LogoutRequest struct {
	Token string `json:"token"`
}

// ChangePasswordRequest is POST /auth/change-password.
type ChangePasswordRequest struct {
	OldPassword     string `json:"old_password" validate:"required,max=1024"`
	NewPassword     string `json:"new_password" validate:"required,max=1024"`
	ConfirmPassword string `json:"confirm_password" validate:"required,max=1024"`
}

// ProfileUpdateRequest is PUT /auth/profile.
type ProfileUpdateRequest struct {
	FullName *string `json:"full_name"`
	Email    *string `json:"email"`
}

// TokenDTO is the answer of login and refresh.
type TokenDTO struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	UserID       int64  `json:"user_id"`
	Role         string `json:"role"`
}

func tokenDTO(p identity.TokenPair) TokenDTO {
	return TokenDTO{AccessToken: p.AccessToken, RefreshToken: p.RefreshToken, ExpiresIn: int(p.ExpiresIn.Seconds()),
		TokenType: "bearer", UserID: p.UserID, Role: string(p.Role)}
}

// ProfileDTO is a user's own profile.
type ProfileDTO struct {
	UserID    int64      `json:"user_id"`
	Username  string     `json:"username"`
	Email     string     `json:"email"`
	FullName  string     `json:"full_name"`
	Role      string     `json:"role"`
	StudentID *int64     `json:"student_id"`
	CreatedAt time.Time  `json:"created_at"`
	LastLogin *time.Time `json:"last_login"`
}

func profileDTO(u identity.User) ProfileDTO {
	return ProfileDTO{UserID: u.ID, Username: u.Username, Email: u.Email, FullName: u.FullName, Role: string(u.Role),
		StudentID: u.StudentID, CreatedAt: u.CreatedAt.UTC(), LastLogin: utcp(u.LastLogin)}
}

// UserDTO is an account as administrators see it.
type UserDTO struct {
	ID         int64      `json:"id"`
	Username   string     `json:"username"`
	Email      string     `json:"email"`
	FullName   string     `json:"full_name"`
	Role       string     `json:"role"`
	StudentID  *int64     `json:"student_id"`
	Department *string    `json:"department"`
	IsActive   bool       `json:"is_active"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	LastLogin  *time.Time `json:"last_login"`
}

func userDTO(u identity.User) UserDTO {
	return UserDTO{ID: u.ID, Username: u.Username, Email: u.Email, FullName: u.FullName, Role: string(u.Role),
		StudentID: u.StudentID, Department: u.Department, IsActive: u.IsActive, CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC(),
		LastLogin: utcp(u.LastLogin)}
}

// UserPatchRequest is PATCH /users/{id}. student_id may be null to unlink;
// department null (or blank) clears it.
type UserPatchRequest struct {
	Role       *string        `json:"role"`
	IsActive   *bool          `json:"is_active"`
	StudentID  Nullable       `json:"student_id"`
	Department NullableString `json:"department"`
}

// Nullable tells an absent JSON field from an explicit null.
type Nullable struct {
	Set   bool
	Value *int64
}

// UnmarshalJSON records that the field was present.
func (n *Nullable) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v int64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

// VerifyDTO is GET /auth/verify.
type VerifyDTO struct {
	Valid     bool      `json:"valid"`
	UserID    int64     `json:"user_id"`
	Username  string    `json:"username"`
	Role      string    `json:"role"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PermissionsDTO is GET /auth/permissions.
type PermissionsDTO struct {
	Role        string   `json:"role"`
	Permissions []string `json:"permissions"`
}

// SessionDTO is one of the caller's sessions.
type SessionDTO struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
	Current    bool      `json:"current"`
}

func sessionDTO(s auth.SessionView) SessionDTO {
	return SessionDTO{ID: s.ID, CreatedAt: s.CreatedAt.UTC(), LastUsedAt: s.LastUsedAt.UTC(), UserAgent: s.UserAgent, IP: s.IP, Current: s.Current}
}

// RoleDTO is one row of GET /rbac/roles.
type RoleDTO struct {
	Role        string     `json:"role"`
	Level       int        `json:"level"`
	Permissions []GrantDTO `json:"permissions"`
}

// GrantDTO is one permission of a role and its reach.
type GrantDTO struct {
	Permission string `json:"permission"`
	Scope      string `json:"scope"`
}

// RolesDTO is GET /rbac/roles.
type RolesDTO struct {
	Roles       []RoleDTO `json:"roles"`
	Permissions []string  `json:"permissions"`
}

// StudentDTO is a student record.
type StudentDTO struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	RollNo     string    `json:"roll_no"`
	Department string    `json:"department"`
	Semester   int       `json:"semester"`
	Section    string    `json:"section"`
	Email      *string   `json:"email"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func studentDTO(s student.Student) StudentDTO {
	return StudentDTO{ID: s.ID, Name: s.Name, RollNo: s.RollNo, Department: s.Department, Semester: s.Semester,
		Section: s.Section, Email: s.Email, Status: string(s.Status), CreatedAt: s.CreatedAt.UTC(), UpdatedAt: s.UpdatedAt.UTC()}
}

// StudentRequest is POST and PUT /students: every field.
type StudentRequest struct {
	Name       string  `json:"name" validate:"required"`
	RollNo     string  `json:"roll_no" validate:"required"`
	Department string  `json:"department" validate:"required"`
	Semester   int     `json:"semester" validate:"required"`
	Section    string  `json:"section"`
	Email      *string `json:"email"`
	Status     string  `json:"status"`
}

func (r StudentRequest) fields() student.Fields {
	return student.Fields{Name: r.Name, RollNo: r.RollNo, Department: r.Department, Semester: r.Semester,
		Section: r.Section, Email: r.Email, Status: r.Status}
}

// StudentPatchRequest is PATCH /students/{id}: only the fields sent change.
type StudentPatchRequest struct {
	Name       *string        `json:"name"`
	RollNo     *string        `json:"roll_no"`
	Department *string        `json:"department"`
	Semester   *int           `json:"semester"`
	Section    *string        `json:"section"`
	Email      NullableString `json:"email"`
	Status     *string        `json:"status"`
}

// NullableString tells an absent JSON string from an explicit null.
type NullableString struct {
	Set   bool
	Value *string
}

// UnmarshalJSON records that the field was present.
func (n *NullableString) UnmarshalJSON(b []byte) error {
	n.Set = true
	if string(b) == "null" {
		n.Value = nil
		return nil
	}
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	n.Value = &v
	return nil
}

func (r StudentPatchRequest) patch() student.Patch {
	p := student.Patch{Name: r.Name, RollNo: r.RollNo, Department: r.Department, Semester: r.Semester, Section: r.Section, Status: r.Status}
	if r.Email.Set {
		v := r.Email.Value
		p.Email = &v
	}
	return p
}

// AuditDTO is one audit trail entry.
type AuditDTO struct {
	ID         int64          `json:"id"`
	At         time.Time      `json:"at"`
	ActorID    *int64         `json:"actor_id"`
	ActorRole  string         `json:"actor_role"`
	Action     string         `json:"action"`
	Resource   string         `json:"resource"`
	ResourceID string         `json:"resource_id"`
	IP         string         `json:"ip"`
	RequestID  string         `json:"request_id"`
	Before     map[string]any `json:"before,omitempty"`
	After      map[string]any `json:"after,omitempty"`
}

func auditDTO(e audit.Entry) AuditDTO {
	return AuditDTO{ID: e.ID, At: e.At.UTC(), ActorID: e.ActorID, ActorRole: e.ActorRole, Action: e.Action, Resource: e.Resource,
		ResourceID: e.ResourceID, IP: e.IP, RequestID: e.RequestID, Before: e.Before, After: e.After}
}

// RevokedDTO answers POST /users/{id}/revoke-sessions.
type RevokedDTO struct {
	Message         string `json:"message"`
	SessionsRevoked int    `json:"sessions_revoked"`
}

func utcp(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
