// Package seed creates the accounts a fresh campus needs: the test accounts
// outside production, or one admin in production when an operator asks.
// Every step is idempotent, so it runs at each start.
package seed

import (
	"context"
	"errors"
	"fmt"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

// Account is one account to ensure.
type Account struct {
	Username, Password, FullName string
	Role                         identity.Role
	Student                      *student.Fields // a record to link, created if missing
}

// TestAccounts are the documented accounts of every non-production campus.
func TestAccounts() []Account {
	email := "student1@campus.edu"
	return []Account{
		{Username: "admin", Password: "admin123", FullName: "Campus Administrator", Role: identity.RoleAdmin},
		{Username: "staff1", Password: "staff123", FullName: "Staff Member", Role: identity.RoleStaff},
		{Username: "student1", Password: "student123", FullName: "Student One", Role: identity.RoleStudent,
			Student: &student.Fields{Name: "Student One", RollNo: "CS2026001", Department: "Computer Science",
				Semester: 1, Section: "A", Email: &email}},
	}
}

// Service ensures accounts exist.
type Service struct {
	users    ports.UserRepository
	students ports.StudentRepository
	hasher   ports.PasswordHasher
	tx       ports.TxRunner
	clock    ports.Clock
}

// NewService builds the service.
func NewService(users ports.UserRepository, students ports.StudentRepository, hasher ports.PasswordHasher,
	tx ports.TxRunner, clock ports.Clock) *Service {
	return &Service{users: users, students: students, hasher: hasher, tx: tx, clock: clock}
}

// Ensure creates each account that does not exist yet, leaving existing
// ones (and their passwords) untouched, and reports how many it created.
// Test passwords bypass the password policy on purpose: they are documented.
func (s *Service) Ensure(ctx context.Context, accounts []Account) (int, error) {
	created := 0
	for _, a := range accounts {
		_, err := s.users.GetByUsername(ctx, a.Username)
		if err == nil {
			continue
		}
		if !errors.Is(err, fault.ErrNotFound) {
			return created, fmt.Errorf("look up %s: %w", a.Username, err)
		}
		u, err := identity.NewUser(a.Username, a.Username+"@campus.edu", a.FullName, a.Role)
		if err != nil {
			return created, fmt.Errorf("seed %s: %w", a.Username, err)
		}
		if u.PasswordHash, err = s.hasher.Hash(ctx, a.Password); err != nil {
			return created, fmt.Errorf("hash %s: %w", a.Username, err)
		}
		now := s.clock.Now()
		u.CreatedAt, u.UpdatedAt = now, now
		err = s.tx.InTx(ctx, func(ctx context.Context) error {
			if a.Student != nil {
				id, err := s.ensureStudent(ctx, *a.Student)
				if err != nil {
					return err
				}
				u.StudentID = &id
			}
			return s.users.Create(ctx, &u)
		})
		if errors.Is(err, fault.ErrConflict) {
			continue // another process seeded it first
		}
		if err != nil {
			return created, fmt.Errorf("seed %s: %w", a.Username, err)
		}
		created++
	}
	return created, nil
}

func (s *Service) ensureStudent(ctx context.Context, f student.Fields) (int64, error) {
	existing, err := s.students.List(ctx, student.Filter{Query: f.RollNo}, page.Request{Limit: page.MaxLimit})
	if err != nil {
		return 0, err
	}
	for _, st := range existing.Items {
		if st.RollNo == f.RollNo {
			return st.ID, nil
		}
	}
	st, err := student.New(f)
	if err != nil {
		return 0, err
	}
	now := s.clock.Now()
	st.CreatedAt, st.UpdatedAt = now, now
	if err := s.students.Create(ctx, &st); err != nil {
		return 0, err
	}
	return st.ID, nil
}
