// Package attendance holds the attendance use cases: marking one record or
// a whole class in one transaction, listing with the own-record rule,
// editing and deleting with the previous values kept, the attendance-rate
// summary, and the QR check-in sessions students mark themselves through.
package attendance

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
)

// Audit resources of this module.
const (
	resource        = "attendance"
	resourceSession = "attendance_session"
	resourceAttempt = "attendance_attempt"
)

// Config holds the module's settings.
type Config struct {
	// Location is the campus calendar's zone: "today" and the day of a
	// session are taken there.
	Location *time.Location
	// Secret is SECRET_KEY; the check-in code key is derived from it.
	Secret []byte
	// QRRotate is how often a session's check-in code changes.
	QRRotate time.Duration
	// LateAfter is the grace after a session starts within which a
	// check-in is present rather than late.
	LateAfter time.Duration
}

// Deps are the ports the service uses.
type Deps struct {
	Repo     ports.AttendanceRepository
	CheckIns ports.CheckInRepository
	Roster   ports.Roster
	Students ports.StudentRepository
	Audit    ports.AuditLog
	Tx       ports.TxRunner
	Clock    ports.Clock
	Outbox   ports.Outbox
	IDs      ports.IDGenerator
}

// Service implements the attendance use cases.
type Service struct {
	d       Deps
	cfg     Config
	codeKey attendance.Signer
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service {
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.QRRotate <= 0 {
		cfg.QRRotate = 30 * time.Second
	}
	return &Service{d: d, cfg: cfg, codeKey: CodeSigner(cfg.Secret)}
}

// Day is the campus calendar day t falls on.
func (s *Service) Day(t time.Time) attendance.Date { return attendance.DateOf(t, s.cfg.Location) }

var (
	errDuplicate = fault.New(fault.Conflict, "Attendance for this student, date and session is already marked")
	errNotFound  = fault.New(fault.NotFound, "Attendance record not found")
)

// unknownStudent names the field of a student id that matches no student.
func unknownStudent(id int64) error {
	var v fault.Validation
	v.Add("student_id", fmt.Sprintf("no student with id %d", id))
	return v.Err()
}

// requireStudent refuses a student id that names no student.
func (s *Service) requireStudent(ctx context.Context, id int64) error {
	missing, err := s.d.Roster.Missing(ctx, []int64{id})
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return unknownStudent(id)
	}
	return nil
}

// Mark records one student's attendance (POST); a record for the same
// student, date and session already existing is a conflict.
func (s *Service) Mark(ctx context.Context, a identity.Actor, f attendance.Fields) (attendance.Record, error) {
	if _, err := identity.Can(a, identity.MarkAttendance); err != nil {
		return attendance.Record{}, err
	}
	now := s.d.Clock.Now()
	r, err := attendance.New(f, s.Day(now))
	if err != nil {
		return attendance.Record{}, err
	}
	r.MarkedBy, r.CreatedAt, r.UpdatedAt = userID(a), now, now
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.requireStudent(ctx, r.StudentID); err != nil {
			return err
		}
		if err := s.d.Repo.Create(ctx, &r); err != nil {
			return err
		}
		if err := s.d.Outbox.Append(ctx, s.marked(now, attendance.Upserted{Record: r, Created: true})); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resource, fmt.Sprint(r.ID)).Change(nil, Snapshot(r)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return attendance.Record{}, errDuplicate
	}
	if err != nil {
		return attendance.Record{}, err
	}
	return r, nil
}

// List pages through records; a student user sees only their own.
func (s *Service) List(ctx context.Context, a identity.Actor, f attendance.Filter, p page.Request) (page.Result[attendance.Record], error) {
	f, ok, err := s.scope(a, f)
	if err != nil {
		return page.Result[attendance.Record]{}, err
	}
	if !ok {
		return page.Result[attendance.Record]{Items: []attendance.Record{}, Request: p}, nil
	}
	return s.d.Repo.List(ctx, f, p)
}

// scope narrows f to what a may see; ok is false when that is nothing (a
// student user without a linked record, or asking for another student).
func (s *Service) scope(a identity.Actor, f attendance.Filter) (attendance.Filter, bool, error) {
	sc, err := identity.Can(a, identity.ViewAttendance)
	if err != nil {
		return f, false, err
	}
	if sc == identity.Own {
		if a.StudentID == nil || (f.StudentID != nil && *f.StudentID != *a.StudentID) {
			return f, false, nil
		}
		own := *a.StudentID
		f.StudentID = &own
	}
	return f, true, nil
}

// Get returns one record; another student's record is not found.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (attendance.Record, error) {
	sc, err := identity.Can(a, identity.ViewAttendance)
	if err != nil {
		return attendance.Record{}, err
	}
	r, err := s.d.Repo.Get(ctx, id)
	if errors.Is(err, fault.ErrNotFound) {
		return attendance.Record{}, errNotFound
	}
	if err != nil {
		return attendance.Record{}, err
	}
	if sc == identity.Own && !a.OwnsStudent(r.StudentID) {
		return attendance.Record{}, errNotFound
	}
	return r, nil
}

// Replace overwrites every field of a record (PUT).
func (s *Service) Replace(ctx context.Context, a identity.Actor, id int64, f attendance.Fields) (attendance.Record, error) {
	return s.edit(ctx, a, id, func(r *attendance.Record) error { return r.Replace(f) })
}

// Patch changes the given fields of a record (PATCH).
func (s *Service) Patch(ctx context.Context, a identity.Actor, id int64, p attendance.Patch) (attendance.Record, error) {
	return s.edit(ctx, a, id, func(r *attendance.Record) error { return r.Apply(p) })
}

// edit applies change to a record, stamps the editor as marked_by and
// keeps the previous values in the audit entry and the event.
func (s *Service) edit(ctx context.Context, a identity.Actor, id int64, change func(*attendance.Record) error) (attendance.Record, error) {
	if _, err := identity.Can(a, identity.EditAttendance); err != nil {
		return attendance.Record{}, err
	}
	now := s.d.Clock.Now()
	var out attendance.Record
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before attendance.Record
		r, err := s.d.Repo.Update(ctx, id, func(r *attendance.Record) error {
			before = *r
			if err := change(r); err != nil {
				return err
			}
			if r.StudentID != before.StudentID {
				if err := s.requireStudent(ctx, r.StudentID); err != nil {
					return err
				}
			}
			r.MarkedBy, r.UpdatedAt = userID(a), now
			return nil
		})
		if err != nil {
			return err
		}
		out = r
		if err := s.d.Outbox.Append(ctx, s.changed(a, now, audit.ActionUpdate, before, &r)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resource, fmt.Sprint(id)).Change(Snapshot(before), Snapshot(r)))
	})
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return attendance.Record{}, errNotFound
	case errors.Is(err, fault.ErrConflict):
		return attendance.Record{}, errDuplicate
	case err != nil:
		return attendance.Record{}, err
	}
	return out, nil
}

// Delete removes a record, keeping its values in the audit trail and the
// event.
func (s *Service) Delete(ctx context.Context, a identity.Actor, id int64) error {
	if _, err := identity.Can(a, identity.EditAttendance); err != nil {
		return err
	}
	now := s.d.Clock.Now()
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		r, err := s.d.Repo.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := s.d.Repo.Delete(ctx, id); err != nil {
			return err
		}
		if err := s.d.Outbox.Append(ctx, s.changed(a, now, audit.ActionDelete, r, nil)); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionDelete, resource, fmt.Sprint(id)).Change(Snapshot(r), nil))
	})
	if errors.Is(err, fault.ErrNotFound) {
		return errNotFound
	}
	return err
}

// Summary counts a period's records per status and computes the rate; a
// student user gets their own, and another student's is not found.
func (s *Service) Summary(ctx context.Context, a identity.Actor, f attendance.Filter) (attendance.Summary, error) {
	if f.StudentID != nil {
		if err := identity.CanSeeStudent(a, identity.ViewAttendance, *f.StudentID); err != nil {
			return attendance.Summary{}, err
		}
	}
	f, ok, err := s.scope(a, f)
	if err != nil {
		return attendance.Summary{}, err
	}
	if !ok {
		return attendance.Summarize(nil), nil
	}
	c, err := s.d.Repo.Count(ctx, f)
	if err != nil {
		return attendance.Summary{}, err
	}
	return attendance.Summarize(c), nil
}

func userID(a identity.Actor) *int64 {
	if a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// marked is the attendance.marked event of a created or changed record:
// complete enough for a consumer (alerts, risk) to act without a read.
func (s *Service) marked(at time.Time, u attendance.Upserted) event.Event {
	r := u.Record
	p := map[string]any{"id": r.ID, "student_id": r.StudentID, "date": r.Date.String(), "session": r.Session,
		"status": string(r.Status), "remarks": r.Remarks, "marked_by": nullable(r.MarkedBy), "created": u.Created}
	if u.Previous != nil && u.Previous.Status != r.Status {
		p["previous_status"] = string(u.Previous.Status)
	}
	return event.New(s.d.IDs.NewID(), event.AttendanceMarked, resource, strconv.FormatInt(r.ID, 10), at, p)
}

// changed is the attendance.changed event of an edit (after set) or a
// deletion (after nil).
func (s *Service) changed(a identity.Actor, at time.Time, action string, before attendance.Record, after *attendance.Record) event.Event {
	p := map[string]any{"id": before.ID, "action": action, "changed_by": nullable(userID(a)),
		"before": Snapshot(before), "after": nil, "student_id": before.StudentID}
	if after != nil {
		p["after"] = Snapshot(*after)
		p["student_id"] = after.StudentID
	}
	return event.New(s.d.IDs.NewID(), event.AttendanceChanged, resource, fmt.Sprint(before.ID), at, p)
}

func nullable(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// Snapshot is the audit and event view of a record.
func Snapshot(r attendance.Record) map[string]any {
	return map[string]any{"id": r.ID, "student_id": r.StudentID, "date": r.Date.String(), "session": r.Session,
		"status": string(r.Status), "remarks": r.Remarks, "marked_by": nullable(r.MarkedBy)}
}
