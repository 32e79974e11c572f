// Package complaint holds the complaint use cases: filing (a student for
// their own record, staff for any student), listing and reading with the
// own-record rule, the staff's changes along the lifecycle, and the history
// of every change; and the complaint agents: triage of a filed complaint
// and escalation of overdue ones.
package complaint

import (
	"context"
	"errors"
	"fmt"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

const resource = "complaint"

// Deps are the ports the service uses.
type Deps struct {
	Repo     ports.ComplaintRepository
	Students ports.StudentRepository
	Users    ports.UserRepository
	Audit    ports.AuditLog
	Tx       ports.TxRunner
	Clock    ports.Clock
	Outbox   ports.Outbox
	IDs      ports.IDGenerator
}

// Service implements the complaint use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }

var (
	errNotFound = fault.New(fault.NotFound, "Complaint not found")
	// errUnlinked: a student account without a student record has nothing
	// it could file for.
	errUnlinked = fault.New(fault.Forbidden, "Your account is not linked to a student record")
)

func fieldError(field, message string) error {
	var v fault.Validation
	v.Add(field, message)
	return v.Err()
}

// File records a new complaint. A student user files for their own record:
// student_id is taken from their account, and naming another student is
// answered as that student not being found (404), so records of others do
// not leak. Staff and admins must name an existing student (422 otherwise).
// The complaint.filed event says whether category and priority were left
// to their defaults (category_defaulted, priority_defaulted).
func (s *Service) File(ctx context.Context, a identity.Actor, f complaint.Fields) (complaint.Complaint, error) {
	scope, err := identity.Can(a, identity.FileComplaint)
	if err != nil {
		return complaint.Complaint{}, err
	}
	if scope == identity.Own {
		if a.StudentID == nil {
			return complaint.Complaint{}, errUnlinked
		}
		if f.StudentID != 0 && f.StudentID != *a.StudentID {
			return complaint.Complaint{}, fault.New(fault.NotFound, "Student not found")
		}
		f.StudentID = *a.StudentID
	}
	now := s.d.Clock.Now()
	c, err := complaint.New(f, a.UserID, now)
	if err != nil {
		return complaint.Complaint{}, err
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.d.Students.Get(ctx, c.StudentID); err != nil {
			if errors.Is(err, fault.ErrNotFound) {
				return fieldError("student_id", "no student has this id")
			}
			return err
		}
		if err := s.d.Repo.Create(ctx, &c); err != nil {
			return err
		}
		snap := complaint.Snapshot(c)
		h := complaint.HistoryEntry{ComplaintID: c.ID, At: now, By: a.UserID, Action: complaint.ActionFiled,
			Changes: []complaint.FieldChange{
				{Field: "status", To: snap["status"]}, {Field: "priority", To: snap["priority"]}, {Field: "due_at", To: snap["due_at"]},
			}}
		if err := s.d.Repo.AppendHistory(ctx, &h); err != nil {
			return err
		}
		payload := map[string]any{"id": c.ID, "student_id": c.StudentID, "title": c.Title, "description": c.Description,
			"category": snap["category"], "priority": snap["priority"], "status": snap["status"], "due_at": snap["due_at"],
			"filed_by": c.FiledBy, "category_defaulted": c.CategoryDefaulted, "priority_defaulted": c.PriorityDefaulted}
		id := fmt.Sprint(c.ID)
		if err := s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.ComplaintFiled, resource, id, now, payload)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resource, id).Change(nil, snap))
	})
	if err != nil {
		return complaint.Complaint{}, err
	}
	return c, nil
}

// List pages through complaints; a student user sees only their own.
func (s *Service) List(ctx context.Context, a identity.Actor, f complaint.Filter, p page.Request) (page.Result[complaint.Complaint], error) {
	scope, err := identity.Can(a, identity.ViewComplaint)
	if err != nil {
		return page.Result[complaint.Complaint]{}, err
	}
	if scope == identity.Own {
		if a.StudentID == nil {
			return page.Result[complaint.Complaint]{Items: []complaint.Complaint{}, Request: p}, nil
		}
		f.OnlyStudent = a.StudentID
	}
	if f.Overdue != nil {
		f.OverdueAt = s.d.Clock.Now()
	}
	return s.d.Repo.List(ctx, f, p)
}

// Get returns one complaint; another student's complaint is not found.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (complaint.Complaint, error) {
	scope, err := identity.Can(a, identity.ViewComplaint)
	if err != nil {
		return complaint.Complaint{}, err
	}
	c, err := s.d.Repo.Get(ctx, id)
	if err != nil {
		return complaint.Complaint{}, err
	}
	if scope == identity.Own && !a.OwnsStudent(c.StudentID) {
		return complaint.Complaint{}, errNotFound
	}
	return c, nil
}

// History pages through every change of a complaint, oldest first, to
// whoever may see the complaint.
func (s *Service) History(ctx context.Context, a identity.Actor, id int64, p page.Request) (page.Result[complaint.HistoryEntry], error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return page.Result[complaint.HistoryEntry]{}, err
	}
	return s.d.Repo.History(ctx, id, p)
}

// Change applies a staff member's edit (status move, priority, assignment,
// resolution). An edit that changes nothing writes nothing. A new assignee
// must be an active staff or admin account (422 otherwise).
func (s *Service) Change(ctx context.Context, a identity.Actor, id int64, ch complaint.Change) (complaint.Complaint, error) {
	if _, err := identity.Can(a, identity.ResolveComplaint); err != nil {
		return complaint.Complaint{}, err
	}
	if err := ch.Validate(); err != nil {
		return complaint.Complaint{}, err
	}
	now := s.d.Clock.Now()
	var out complaint.Complaint
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		var changes []complaint.FieldChange
		c, err := s.d.Repo.Update(ctx, id, func(c *complaint.Complaint) error {
			if ch.AssignedTo != nil && *ch.AssignedTo != nil && !sameID(c.AssignedTo, *ch.AssignedTo) {
				if err := s.checkAssignee(ctx, **ch.AssignedTo); err != nil {
					return err
				}
			}
			before = complaint.Snapshot(*c)
			var err error
			changes, err = c.Apply(ch, a.UserID, now)
			return err
		})
		if err != nil {
			return err
		}
		out = c
		if len(changes) == 0 {
			return nil
		}
		note := ""
		if ch.Note != nil {
			note = *ch.Note
		}
		h := complaint.HistoryEntry{ComplaintID: id, At: now, By: a.UserID, Action: complaint.ActionChanged, Changes: changes, Note: note}
		if err := s.d.Repo.AppendHistory(ctx, &h); err != nil {
			return err
		}
		diff := make(map[string]any, len(changes))
		for _, fc := range changes {
			diff[fc.Field] = map[string]any{"from": fc.From, "to": fc.To}
		}
		payload := map[string]any{"id": id, "student_id": c.StudentID, "changes": diff, "by": a.UserID, "note": note}
		rid := fmt.Sprint(id)
		if err := s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.ComplaintChanged, resource, rid, now, payload)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resource, rid).Change(before, complaint.Snapshot(c)))
	})
	if err != nil {
		return complaint.Complaint{}, err
	}
	return out, nil
}

func sameID(a, b *int64) bool { return (a == nil && b == nil) || (a != nil && b != nil && *a == *b) }

const msgAssignee = "must be an active staff or admin account"

// checkAssignee admits only accounts that can act on complaints: an
// inactive account or a student would never see the assignment.
func (s *Service) checkAssignee(ctx context.Context, userID int64) error {
	u, err := s.d.Users.Get(ctx, userID)
	if errors.Is(err, fault.ErrNotFound) {
		return fieldError("assigned_to", msgAssignee)
	}
	if err != nil {
		return err
	}
	if !u.IsActive || (u.Role != identity.RoleStaff && u.Role != identity.RoleAdmin) {
		return fieldError("assigned_to", msgAssignee)
	}
	return nil
}
