// Package student holds the student record and its rules.
package student

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
)

// Status of a student record.
type Status string

// Statuses.
const (
	Active    Status = "active"
	Inactive  Status = "inactive"
	Graduated Status = "graduated"
)

// ParseStatus accepts any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	switch st {
	case Active, Inactive, Graduated:
		return st, nil
	}
	return "", fault.New(fault.Invalid, "status: must be one of active, inactive, graduated")
}

// Student is one enrolled (or former) student.
type Student struct {
	ID         int64
	Name       string
	RollNo     string
	Department string
	Semester   int
	Section    string
	Email      *string
	Status     Status
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Version identifies this state of the record for optimistic concurrency
// (the ETag clients send back in If-Match): it changes with every write.
func (s Student) Version() string { return strconv.FormatInt(s.UpdatedAt.UnixMicro(), 36) }

// Fields are the writable fields of a student, as given by a caller.
type Fields struct {
	Name       string
	RollNo     string
	Department string
	Semester   int
	Section    string
	Email      *string
	Status     string
}

// New validates f into a new active (unless told otherwise) student.
func New(f Fields) (Student, error) {
	var s Student
	return s, s.Replace(f)
}

// Replace validates f and overwrites every writable field.
func (s *Student) Replace(f Fields) error {
	var v fault.Validation
	name := strings.TrimSpace(f.Name)
	roll := strings.TrimSpace(f.RollNo)
	dept := strings.TrimSpace(f.Department)
	sec := strings.TrimSpace(f.Section)
	v.Check(name != "" && utf8.RuneCountInString(name) <= 200, "name", "must be 1 to 200 characters")
	v.Check(roll != "" && utf8.RuneCountInString(roll) <= 50, "roll_no", "must be 1 to 50 characters")
	v.Check(dept != "" && utf8.RuneCountInString(dept) <= 100, "department", "must be 1 to 100 characters")
	v.Check(f.Semester >= 1 && f.Semester <= 12, "semester", "must be between 1 and 12")
	v.Check(utf8.RuneCountInString(sec) <= 20, "section", "must be at most 20 characters")
	var email *string
	if f.Email != nil && strings.TrimSpace(*f.Email) != "" {
		e := strings.ToLower(strings.TrimSpace(*f.Email))
		v.Check(identity.ValidEmail(e), "email", "must be a valid email address")
		email = &e
	}
	status := Active
	if f.Status != "" {
		st, err := ParseStatus(f.Status)
		if err != nil {
			v.Add("status", "must be one of active, inactive, graduated")
		}
		status = st
	}
	if err := v.Err(); err != nil {
		return err
	}
	s.Name, s.RollNo, s.Department, s.Semester, s.Section, s.Email, s.Status = name, roll, dept, f.Semester, sec, email, status
	return nil
}

// Fields returns the writable fields of s, for partial updates.
func (s Student) Fields() Fields {
	return Fields{Name: s.Name, RollNo: s.RollNo, Department: s.Department, Semester: s.Semester,
		Section: s.Section, Email: s.Email, Status: string(s.Status)}
}

// Patch is a partial update: nil fields are left as they are.
type Patch struct {
	Name       *string
	RollNo     *string
	Department *string
	Semester   *int
	Section    *string
	Email      **string
	Status     *string
}

// Apply validates and applies p.
func (s *Student) Apply(p Patch) error {
	f := s.Fields()
	if p.Name != nil {
		f.Name = *p.Name
	}
	if p.RollNo != nil {
		f.RollNo = *p.RollNo
	}
	if p.Department != nil {
		f.Department = *p.Department
	}
	if p.Semester != nil {
		f.Semester = *p.Semester
	}
	if p.Section != nil {
		f.Section = *p.Section
	}
	if p.Email != nil {
		f.Email = *p.Email
	}
	if p.Status != nil {
		f.Status = *p.Status
	}
	return s.Replace(f)
}

// Filter narrows a student listing; zero values do not filter.
type Filter struct {
	Department string
	Semester   int
	Section    string
	Status     Status
	Query      string // over name and roll_no
	OnlyID     *int64 // own-record scope
}
