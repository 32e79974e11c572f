// Package student holds the student record use cases: listing with the
// own-record rule, create, replace, patch, and delete-or-archive.
package student

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

const resource = "student"

// Config holds the service's tunables.
type Config struct {
	// CacheTTL is how long a student read is served from the cache.
	CacheTTL time.Duration
}

// Deps are the ports the service uses.
type Deps struct {
	Repo   ports.StudentRepository
	Audit  ports.AuditLog
	Tx     ports.TxRunner
	Clock  ports.Clock
	Cache  ports.Cache
	Outbox ports.Outbox
	IDs    ports.IDGenerator
	// Lookup finds students by roll_no for the CSV import (import.go).
	Lookup ports.StudentLookup
	// Queue, Tasks and Users run a large import as a background task as
	// its requester; without a queue a large file is refused.
	Queue ports.Queue
	Tasks ports.TaskLedger
	Users ports.UserRepository
}

// Service implements the student use cases.
type Service struct {
	repo   ports.StudentRepository
	audit  ports.AuditLog
	tx     ports.TxRunner
	clock  ports.Clock
	cache  ports.Cache
	outbox ports.Outbox
	ids    ports.IDGenerator
	lookup ports.StudentLookup
	queue  ports.Queue
	tasks  ports.TaskLedger
	users  ports.UserRepository
	cfg    Config
}

// NewService builds the service.
func NewService(cfg Config, d Deps) *Service {
	return &Service{repo: d.Repo, audit: d.Audit, tx: d.Tx, clock: d.Clock, cache: d.Cache, outbox: d.Outbox, ids: d.IDs,
		lookup: d.Lookup, queue: d.Queue, tasks: d.Tasks, users: d.Users, cfg: cfg}
}

// cacheKey carries a version: entries are JSON of student.Student, so a
// change of its shape must move to a new key rather than misread old ones.
func cacheKey(id int64) string { return "student:v1:" + strconv.FormatInt(id, 10) }

// load reads one student through the cache (cache-aside). A cache failure
// falls through to the database.
func (s *Service) load(ctx context.Context, id int64) (student.Student, error) {
	var cached student.Student
	if ok, err := s.cache.GetValue(ctx, cacheKey(id), &cached); err == nil && ok {
		return cached, nil
	}
	st, err := s.repo.Get(ctx, id)
	if err != nil {
		return st, err
	}
	if s.cfg.CacheTTL > 0 {
		_ = s.cache.SetValue(ctx, cacheKey(id), st, s.cfg.CacheTTL)
	}
	return st, nil
}

// forget drops a student from the cache once its change has committed.
func (s *Service) forget(ctx context.Context, id int64) {
	_ = s.cache.Delete(ctx, cacheKey(id))
}

var errDuplicate = fault.New(fault.Conflict, "A student with this roll_no already exists")

// List pages through students; a student user sees only their own record.
func (s *Service) List(ctx context.Context, a identity.Actor, f student.Filter, p page.Request) (page.Result[student.Student], error) {
	scope, err := identity.Can(a, identity.ViewStudent)
	if err != nil {
		return page.Result[student.Student]{}, err
	}
	if scope == identity.Own {
		if a.StudentID == nil {
			return page.Result[student.Student]{Items: []student.Student{}, Request: p}, nil
		}
		f.OnlyID = a.StudentID
	}
	return s.repo.List(ctx, f, p)
}

// Get returns one student; another student's record is not found.
func (s *Service) Get(ctx context.Context, a identity.Actor, id int64) (student.Student, error) {
	if err := identity.CanSeeStudent(a, identity.ViewStudent, id); err != nil {
		return student.Student{}, err
	}
	return s.load(ctx, id)
}

// Create adds a student.
func (s *Service) Create(ctx context.Context, a identity.Actor, f student.Fields) (student.Student, error) {
	if _, err := identity.Can(a, identity.CreateStudent); err != nil {
		return student.Student{}, err
	}
	st, err := student.New(f)
	if err != nil {
		return student.Student{}, err
	}
	now := s.clock.Now()
	st.CreatedAt, st.UpdatedAt = now, now
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.repo.Create(ctx, &st); err != nil {
			return err
		}
		id := fmt.Sprint(st.ID)
		if err := s.outbox.Append(ctx, event.New(s.ids.NewID(), event.StudentCreated, resource, id, now, Snapshot(st))); err != nil {
			return err
		}
		return s.audit.Record(ctx, audit.By(a, now, audit.ActionCreate, resource, id).Change(nil, Snapshot(st)))
	})
	if errors.Is(err, fault.ErrConflict) {
		return student.Student{}, errDuplicate
	}
	return st, err
}

// Replace overwrites every field of a student (PUT). A non-empty ifMatch
// must equal the stored Version, or nothing changes (409).
func (s *Service) Replace(ctx context.Context, a identity.Actor, id int64, f student.Fields, ifMatch string) (student.Student, error) {
	return s.update(ctx, a, id, ifMatch, func(st *student.Student) error { return st.Replace(f) })
}

// Patch changes the given fields of a student (PATCH), with the same
// ifMatch rule as Replace.
func (s *Service) Patch(ctx context.Context, a identity.Actor, id int64, p student.Patch, ifMatch string) (student.Student, error) {
	return s.update(ctx, a, id, ifMatch, func(st *student.Student) error { return st.Apply(p) })
}

var errStale = fault.New(fault.Conflict, "The student was changed since you read it; reload and try again")

func (s *Service) update(ctx context.Context, a identity.Actor, id int64, ifMatch string, change func(*student.Student) error) (student.Student, error) {
	if _, err := identity.Can(a, identity.UpdateStudent); err != nil {
		return student.Student{}, err
	}
	now := s.clock.Now()
	var out student.Student
	err := s.tx.InTx(ctx, func(ctx context.Context) error {
		var before map[string]any
		st, err := s.repo.Update(ctx, id, func(st *student.Student) error {
			if ifMatch != "" && ifMatch != st.Version() {
				return errStale
			}
			before = Snapshot(*st)
			st.UpdatedAt = now
			return change(st)
		})
		if err != nil {
			return err
		}
		out = st
		if err := s.outbox.Append(ctx, event.New(s.ids.NewID(), event.StudentChanged, resource, fmt.Sprint(id), now, Snapshot(st))); err != nil {
			return err
		}
		return s.audit.Record(ctx, audit.By(a, now, audit.ActionUpdate, resource, fmt.Sprint(id)).Change(before, Snapshot(st)))
	})
	if errors.Is(err, fault.ErrConflict) && !errors.Is(err, errStale) {
		return student.Student{}, errDuplicate
	}
	if err != nil {
		return student.Student{}, err
	}
	s.forget(ctx, id)
	return out, nil
}

// Delete removes a student, or archives it (status inactive) when other
// records point at it, so nothing is ever orphaned. It reports whether the
// student was archived.
func (s *Service) Delete(ctx context.Context, a identity.Actor, id int64) (archived bool, err error) {
	if _, err := identity.Can(a, identity.DeleteStudent); err != nil {
		return false, err
	}
	now := s.clock.Now()
	err = s.tx.InTx(ctx, func(ctx context.Context) error {
		st, err := s.repo.Get(ctx, id)
		if err != nil {
			return err
		}
		if archived, err = s.repo.Referenced(ctx, id); err != nil {
			return err
		}
		if !archived {
			if err := s.repo.Delete(ctx, id); err != nil {
				return err
			}
			if err := s.outbox.Append(ctx, event.New(s.ids.NewID(), event.StudentDeleted, resource, fmt.Sprint(id), now, Snapshot(st))); err != nil {
				return err
			}
			return s.audit.Record(ctx, audit.By(a, now, audit.ActionDelete, resource, fmt.Sprint(id)).Change(Snapshot(st), nil))
		}
		after, err := s.repo.Update(ctx, id, func(x *student.Student) error {
			x.Status, x.UpdatedAt = student.Inactive, now
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.outbox.Append(ctx, event.New(s.ids.NewID(), event.StudentChanged, resource, fmt.Sprint(id), now, Snapshot(after))); err != nil {
			return err
		}
		return s.audit.Record(ctx, audit.By(a, now, audit.ActionArchive, resource, fmt.Sprint(id)).Change(Snapshot(st), Snapshot(after)))
	})
	if err != nil {
		return false, err
	}
	s.forget(ctx, id)
	return archived, nil
}

// Snapshot is the audit view of a student.
func Snapshot(s student.Student) map[string]any {
	m := map[string]any{"id": s.ID, "name": s.Name, "roll_no": s.RollNo, "department": s.Department,
		"semester": s.Semester, "section": s.Section, "status": string(s.Status), "email": nil}
	if s.Email != nil {
		m["email"] = *s.Email
	}
	return m
}
