// Package risk holds the risk use cases: recording, listing, reading and
// resolving risk records (RISK_ASSESSMENT), and a student's current risk
// view, derived from their open records, which the student may read too.
package risk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/ports"
)

const resource = "risk"

// Deps are the ports the service uses.
type Deps struct {
	Risks    ports.RiskRepository
	Students ports.StudentRepository
	Audit    ports.AuditLog
	Tx       ports.TxRunner
	Clock    ports.Clock
	Outbox   ports.Outbox
	IDs      ports.IDGenerator
}

// Service implements the risk use cases.
type Service struct{ d Deps }

// NewService builds the service.
func NewService(d Deps) *Service { return &Service{d: d} }

var errNoStudent = &fault.Error{Kind: fault.Invalid, Message: "student_id: no student has this id",
	Fields: []fault.FieldError{{Field: "student_id", Message: "no student has this id"}}}

// Create records a risk by hand (source "manual").
func (s *Service) Create(ctx context.Context, a identity.Actor, f risk.Fields) (risk.Risk, error) {
	if _, err := identity.Can(a, identity.RiskAssessment); err != nil {
		return risk.Risk{}, err
	}
	now := s.d.Clock.Now()
	r, err := risk.New(f, risk.SourceManual, now)
	if err != nil {
		return risk.Risk{}, err
	}
	err = s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		if r.StudentID != nil {
			if _, err := s.d.Students.Get(ctx, *r.StudentID); err != nil {
				if errors.Is(err, fault.ErrNotFound) {
					return errNoStudent
				}
				return err
			}
		}
		if err := s.d.Risks.Create(ctx, &r); err != nil {
			return err
		}
		id := fmt.Sprint(r.ID)
		if err := s.d.Outbox.Append(ctx, event.New(s.d.IDs.NewID(), event.RiskCreated, resource, id, now, Snapshot(r))); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resource, id).Change(nil, Snapshot(r)))
	})
	if err != nil {
		return risk.Risk{}, err
	}
	return r, nil
}

// Get returns one record.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (risk.Risk, error) {
	if _, err := identity.Can(a, identity.RiskAssessment); err != nil {
		return risk.Risk{}, err
	}
	return s.d.Risks.Get(ctx, id)
}

// List pages through records, ordered by id.
func (s *Service) List(ctx context.Context, a identity.Actor, f risk.Filter, p page.Request) (page.Result[risk.Risk], error) {
	if _, err := identity.Can(a, identity.RiskAssessment); err != nil {
		return page.Result[risk.Risk]{}, err
	}
	return s.d.Risks.List(ctx, f, p)
}

// errUnchanged aborts a save that would change nothing.
var errUnchanged = errors.New("risk unchanged")

// Update resolves or reopens a record, grades it, or records the action
// taken. A change that changes nothing writes nothing (no audit, no event).
func (s *Service) Update(ctx context.Context, a identity.Actor, id int64, c risk.Change) (risk.Risk, error) {
	if _, err := identity.Can(a, identity.RiskAssessment); err != nil {
		return risk.Risk{}, err
	}
	now := s.d.Clock.Now()
	var out risk.Risk
	err := s.d.Tx.InTx(ctx, func(ctx context.Context) error {
		var before risk.Risk
		after, err := s.d.Risks.Update(ctx, id, func(r *risk.Risk) error {
			before = *r
			if err := r.Apply(c, a.UserID, now); err != nil {
				return err
			}
			if len(changes(Snapshot(before), Snapshot(*r))) == 0 {
				return errUnchanged
			}
			return nil
		})
		if errors.Is(err, errUnchanged) {
			out = before
			return nil
		}
		if err != nil {
			return err
		}
		out = after
		prev, next := Snapshot(before), Snapshot(after)
		payload := Snapshot(after)
		payload["previous"] = changes(prev, next)
		ev := event.New(s.d.IDs.NewID(), event.RiskChanged, resource, fmt.Sprint(id), now, payload)
		if err := s.d.Outbox.Append(ctx, ev); err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resource, fmt.Sprint(id)).Change(prev, next))
	})
	if err != nil {
		return risk.Risk{}, err
	}
	return out, nil
}

// StudentView is a student's current risk: the score derived from their
// open records, with those records.
type StudentView struct {
	StudentID  int64
	Assessment risk.Assessment
	Open       []risk.Risk
	AssessedAt time.Time
}

var errStudentNotFound = fault.New(fault.NotFound, "Student not found")

// StudentRisk derives a student's current risk. Staff and admins read any
// student's (RISK_ASSESSMENT); a student user reads only their own record,
// and another student's answers 404 so its existence does not leak.
func (s *Service) StudentRisk(ctx context.Context, a identity.Actor, studentID int64) (StudentView, error) {
	if _, err := identity.Can(a, identity.RiskAssessment); err != nil {
		if a.Role != identity.RoleStudent || !a.Authenticated() {
			return StudentView{}, err
		}
		if !a.OwnsStudent(studentID) {
			return StudentView{}, errStudentNotFound
		}
	}
	if _, err := s.d.Students.Get(ctx, studentID); err != nil {
		return StudentView{}, err
	}
	open, err := s.d.Risks.OpenForStudent(ctx, studentID)
	if err != nil {
		return StudentView{}, err
	}
	if open == nil {
		open = []risk.Risk{}
	}
	return StudentView{StudentID: studentID, Assessment: risk.Assess(open), Open: open, AssessedAt: s.d.Clock.Now()}, nil
}

// Snapshot is the audit and event view of a record.
func Snapshot(r risk.Risk) map[string]any {
	factors := make([]any, len(r.Factors))
	for i, f := range r.Factors {
		factors[i] = map[string]any{"name": f.Name, "value": f.Value, "weight": f.Weight, "contribution": f.Contribution}
	}
	m := map[string]any{"id": r.ID, "student_id": nil, "risk_type": string(r.Type), "severity": string(r.Severity),
		"score": nil, "factors": factors, "description": r.Description, "source": r.Source, "status": string(r.Status),
		"action_taken": nil, "resolved_at": nil, "resolved_by": nil}
	if r.StudentID != nil {
		m["student_id"] = *r.StudentID
	}
	if r.Score != nil {
		m["score"] = *r.Score
	}
	if r.ActionTaken != nil {
		m["action_taken"] = *r.ActionTaken
	}
	if r.ResolvedAt != nil {
		m["resolved_at"] = r.ResolvedAt.UTC().Format(time.RFC3339)
	}
	if r.ResolvedBy != nil {
		m["resolved_by"] = *r.ResolvedBy
	}
	return m
}

// changes maps each field whose value differs to its value before, so a
// consumer of risk.changed sees what it was without re-reading anything.
func changes(before, after map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range before {
		if k == "factors" {
			continue // never changed by Update
		}
		if fmt.Sprint(v) != fmt.Sprint(after[k]) {
			out[k] = v
		}
	}
	return out
}
