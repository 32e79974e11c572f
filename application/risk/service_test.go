package risk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/risk"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/tests/mocks"
)

var (
	now    = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)
	ctx    = context.Background()
	errDB  = errors.New("connection reset")
	anyArg = mock.Anything
)

func ptr[T any](v T) *T { return &v }

func actor(role identity.Role, studentID *int64) identity.Actor {
	return identity.Actor{UserID: 3, Username: "u", Role: role, StudentID: studentID, SessionID: "s"}
}

var (
	adminA   = actor(identity.RoleAdmin, nil)
	staffA   = actor(identity.RoleStaff, nil)
	studentA = actor(identity.RoleStudent, ptr[int64](7))
	guestA   = actor(identity.RoleGuest, nil)
	anonA    = identity.Anonymous(identity.Origin{})
)

type fixture struct {
	risks     *mocks.RiskRepository
	students  *mocks.StudentRepository
	audit     *mocks.AuditLog
	outbox    *mocks.Outbox
	svc       *app.Service
	stored    risk.Risk
	entries   []audit.Entry
	published []event.Event
	txs       []string // "commit"/"rollback" per transaction
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{risks: mocks.NewRiskRepository(t), students: mocks.NewStudentRepository(t), audit: mocks.NewAuditLog(t),
		outbox: mocks.NewOutbox(t)}
	tx := mocks.NewTxRunner(t)
	tx.EXPECT().InTx(anyArg, anyArg).RunAndReturn(func(ctx context.Context, fn func(context.Context) error) error {
		err := fn(ctx)
		f.txs = append(f.txs, map[bool]string{true: "commit", false: "rollback"}[err == nil])
		return err
	}).Maybe()
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(now).Maybe()
	ids := mocks.NewIDGenerator(t)
	ids.EXPECT().NewID().Return("event-1").Maybe()
	f.svc = app.NewService(app.Deps{Risks: f.risks, Students: f.students, Audit: f.audit, Tx: tx, Clock: clock, Outbox: f.outbox, IDs: ids})
	f.stored = risk.Risk{ID: 5, StudentID: ptr[int64](7), Type: risk.Academic, Severity: risk.Medium, Description: "Failing maths",
		Source: risk.SourceManual, Status: risk.Open, Factors: []risk.Factor{}, CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	return f
}

func (f *fixture) recordAudit() {
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	})
}

func (f *fixture) recordEvents() {
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.published = append(f.published, evs...)
		return nil
	})
}

// store serves Update from f.stored, saving what the closure leaves.
func (f *fixture) store() {
	f.risks.EXPECT().Update(anyArg, f.stored.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*risk.Risk) error) (risk.Risk, error) {
			cp := f.stored
			if err := fn(&cp); err != nil {
				return risk.Risk{}, err
			}
			f.stored = cp
			return cp, nil
		}).Once()
}

func validFields() risk.Fields {
	return risk.Fields{StudentID: ptr[int64](7), Type: "academic", Severity: "HIGH", Description: "Failing two courses",
		Factors: []risk.Factor{{Name: "gpa", Value: 1.8, Weight: 0.6, Contribution: 30}}}
}

func TestCreate(t *testing.T) {
	t.Run("records the risk with its event and audit in one transaction", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
		f.risks.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, r *risk.Risk) error {
			assert.Equal(t, risk.SourceManual, r.Source)
			assert.Equal(t, risk.Open, r.Status)
			assert.Equal(t, now, r.CreatedAt)
			r.ID = 21
			return nil
		}).Once()
		f.recordEvents()
		f.recordAudit()
		r, err := f.svc.Create(ctx, staffA, validFields())
		require.NoError(t, err)
		assert.Equal(t, int64(21), r.ID)
		assert.Equal(t, risk.High, r.Severity)
		assert.Equal(t, []string{"commit"}, f.txs)

		require.Len(t, f.published, 1)
		ev := f.published[0]
		assert.Equal(t, event.RiskCreated, ev.Type)
		assert.Equal(t, "risk", ev.Aggregate)
		assert.Equal(t, "21", ev.AggregateID)
		assert.Equal(t, now, ev.OccurredAt)
		assert.Equal(t, int64(21), ev.Payload["id"])
		assert.Equal(t, int64(7), ev.Payload["student_id"])
		assert.Equal(t, "high", ev.Payload["severity"])
		assert.Equal(t, "academic", ev.Payload["risk_type"])
		assert.Equal(t, "open", ev.Payload["status"])
		assert.Len(t, ev.Payload["factors"], 1)

		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionCreate, e.Action)
		assert.Equal(t, "risk", e.Resource)
		assert.Equal(t, "21", e.ResourceID)
		assert.Nil(t, e.Before)
		assert.Equal(t, "Failing two courses", e.After["description"])
		assert.Equal(t, int64(3), *e.ActorID)
	})
	t.Run("without a student", func(t *testing.T) {
		f := newFixture(t)
		fl := validFields()
		fl.StudentID = nil
		f.risks.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
		f.recordEvents()
		f.recordAudit()
		r, err := f.svc.Create(ctx, adminA, fl)
		require.NoError(t, err)
		assert.Nil(t, r.StudentID)
		assert.Nil(t, f.published[0].Payload["student_id"])
	})
	t.Run("unknown student is a field error", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found")).Once()
		_, err := f.svc.Create(ctx, staffA, validFields())
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, fault.Invalid, fe.Kind)
		assert.Equal(t, "student_id", fe.Fields[0].Field)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("invalid fields touch nothing", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Create(ctx, staffA, risk.Fields{})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
		assert.Empty(t, f.txs)
	})
	for _, tt := range []struct {
		name string
		a    identity.Actor
		kind fault.Kind
	}{{"student denied", studentA, fault.Forbidden}, {"guest denied", guestA, fault.Forbidden}, {"anonymous", anonA, fault.Unauthenticated}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Create(ctx, tt.a, validFields())
			assert.Equal(t, tt.kind, fault.KindOf(err))
		})
	}
	failures := []struct {
		name  string
		setup func(f *fixture)
	}{
		{"student read fails", func(f *fixture) {
			f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{}, errDB).Once()
		}},
		{"insert fails", func(f *fixture) {
			f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
			f.risks.EXPECT().Create(anyArg, anyArg).Return(errDB).Once()
		}},
		{"outbox fails", func(f *fixture) {
			f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
			f.risks.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
			f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
		}},
		{"audit fails", func(f *fixture) {
			f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
			f.risks.EXPECT().Create(anyArg, anyArg).Return(nil).Once()
			f.recordEvents()
			f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
		}},
	}
	for _, tt := range failures {
		t.Run(tt.name+" rolls back", func(t *testing.T) {
			f := newFixture(t)
			tt.setup(f)
			_, err := f.svc.Create(ctx, staffA, validFields())
			require.ErrorIs(t, err, errDB)
			assert.Equal(t, []string{"rollback"}, f.txs)
		})
	}
}

func TestGetAndList(t *testing.T) {
	p := page.Request{Limit: 50}
	for _, tt := range []struct {
		name string
		a    identity.Actor
		kind fault.Kind
	}{{"staff", staffA, 0}, {"admin", adminA, 0}, {"student", studentA, fault.Forbidden}, {"guest", guestA, fault.Forbidden},
		{"anonymous", anonA, fault.Unauthenticated}} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			filter := risk.Filter{StudentID: ptr[int64](7), Status: risk.Open, Severity: risk.High, Type: risk.Health}
			if tt.kind == 0 {
				f.risks.EXPECT().Get(anyArg, int64(5)).Return(f.stored, nil).Once()
				f.risks.EXPECT().List(anyArg, filter, p).Return(page.Result[risk.Risk]{Items: []risk.Risk{f.stored}, Total: 1, Request: p}, nil).Once()
			}
			r, err := f.svc.Get(ctx, tt.a, 5)
			l, lerr := f.svc.List(ctx, tt.a, filter, p)
			if tt.kind != 0 {
				assert.Equal(t, tt.kind, fault.KindOf(err))
				assert.Equal(t, tt.kind, fault.KindOf(lerr))
				return
			}
			require.NoError(t, err)
			require.NoError(t, lerr)
			assert.Equal(t, f.stored, r)
			assert.Equal(t, 1, l.Total)
		})
	}
	t.Run("missing is not found", func(t *testing.T) {
		f := newFixture(t)
		f.risks.EXPECT().Get(anyArg, int64(9)).Return(risk.Risk{}, fault.New(fault.NotFound, "Risk not found")).Once()
		_, err := f.svc.Get(ctx, staffA, 9)
		assert.Equal(t, fault.NotFound, fault.KindOf(err))
	})
}

func TestUpdate(t *testing.T) {
	t.Run("resolve records who and when, audits and emits the previous values", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		f.recordEvents()
		f.recordAudit()
		r, err := f.svc.Update(ctx, staffA, 5, risk.Change{Status: ptr("resolved"), ActionTaken: ptr(ptr("Tutoring booked"))})
		require.NoError(t, err)
		assert.Equal(t, risk.Resolved, r.Status)
		assert.Equal(t, now, *r.ResolvedAt)
		assert.Equal(t, int64(3), *r.ResolvedBy)
		assert.Equal(t, []string{"commit"}, f.txs)

		require.Len(t, f.published, 1)
		ev := f.published[0]
		assert.Equal(t, event.RiskChanged, ev.Type)
		assert.Equal(t, "5", ev.AggregateID)
		assert.Equal(t, "resolved", ev.Payload["status"])
		assert.Equal(t, int64(7), ev.Payload["student_id"])
		assert.Equal(t, "Tutoring booked", ev.Payload["action_taken"])
		assert.Equal(t, map[string]any{"status": "open", "action_taken": nil, "resolved_at": nil, "resolved_by": nil}, ev.Payload["previous"])

		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionUpdate, e.Action)
		assert.Equal(t, "open", e.Before["status"])
		assert.Equal(t, "resolved", e.After["status"])
		assert.Equal(t, "2026-11-27T09:30:00Z", e.After["resolved_at"])
	})
	t.Run("a change that changes nothing writes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		r, err := f.svc.Update(ctx, staffA, 5, risk.Change{Status: ptr("open"), Severity: ptr("medium")})
		require.NoError(t, err)
		assert.Equal(t, f.stored, r)
		assert.Equal(t, []string{"commit"}, f.txs)
	})
	t.Run("resolving a resolved risk is a conflict", func(t *testing.T) {
		f := newFixture(t)
		f.stored.Status, f.stored.ResolvedAt, f.stored.ResolvedBy = risk.Resolved, ptr(now), ptr[int64](1)
		f.store()
		_, err := f.svc.Update(ctx, staffA, 5, risk.Change{Status: ptr("resolved")})
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("invalid change", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		_, err := f.svc.Update(ctx, staffA, 5, risk.Change{Severity: ptr("extreme")})
		assert.Equal(t, fault.Invalid, fault.KindOf(err))
	})
	t.Run("missing risk", func(t *testing.T) {
		f := newFixture(t)
		f.risks.EXPECT().Update(anyArg, int64(9), anyArg).Return(risk.Risk{}, fault.New(fault.NotFound, "Risk not found")).Once()
		_, err := f.svc.Update(ctx, staffA, 9, risk.Change{Status: ptr("resolved")})
		assert.Equal(t, fault.NotFound, fault.KindOf(err))
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Update(ctx, studentA, 5, risk.Change{Status: ptr("resolved")})
		assert.Equal(t, fault.Forbidden, fault.KindOf(err))
	})
	t.Run("outbox failure rolls back", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Update(ctx, staffA, 5, risk.Change{Severity: ptr("low")})
		require.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("audit failure rolls back", func(t *testing.T) {
		f := newFixture(t)
		f.store()
		f.recordEvents()
		f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB).Once()
		_, err := f.svc.Update(ctx, staffA, 5, risk.Change{Severity: ptr("low")})
		require.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
}

func TestStudentRisk(t *testing.T) {
	open := []risk.Risk{
		{ID: 1, StudentID: ptr[int64](7), Type: risk.Attendance, Severity: risk.High, Status: risk.Open},
		{ID: 2, StudentID: ptr[int64](7), Type: risk.Academic, Severity: risk.High, Status: risk.Open},
	}
	tests := []struct {
		name  string
		a     identity.Actor
		id    int64
		reads bool
		kind  fault.Kind
	}{
		{name: "staff any student", a: staffA, id: 8, reads: true},
		{name: "admin any student", a: adminA, id: 7, reads: true},
		{name: "student their own", a: studentA, id: 7, reads: true},
		{name: "student another's is not found", a: studentA, id: 8, kind: fault.NotFound},
		{name: "unlinked student is not found", a: actor(identity.RoleStudent, nil), id: 7, kind: fault.NotFound},
		{name: "guest denied", a: guestA, id: 7, kind: fault.Forbidden},
		{name: "anonymous", a: anonA, id: 7, kind: fault.Unauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			if tt.reads {
				f.students.EXPECT().Get(anyArg, tt.id).Return(student.Student{ID: tt.id}, nil).Once()
				f.risks.EXPECT().OpenForStudent(anyArg, tt.id).Return(open, nil).Once()
			}
			v, err := f.svc.StudentRisk(ctx, tt.a, tt.id)
			if tt.kind != 0 {
				assert.Equal(t, tt.kind, fault.KindOf(err))
				if tt.kind == fault.NotFound {
					assert.EqualError(t, err, "Student not found")
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.id, v.StudentID)
			assert.Equal(t, 75.0, v.Assessment.Score)
			assert.Equal(t, risk.LevelCritical, v.Assessment.Level)
			assert.Len(t, v.Assessment.Factors, 2)
			assert.Equal(t, open, v.Open)
			assert.Equal(t, now, v.AssessedAt)
		})
	}
	t.Run("no open records is none, with empty lists", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
		f.risks.EXPECT().OpenForStudent(anyArg, int64(7)).Return(nil, nil).Once()
		v, err := f.svc.StudentRisk(ctx, staffA, 7)
		require.NoError(t, err)
		assert.Zero(t, v.Assessment.Score)
		assert.Equal(t, risk.LevelNone, v.Assessment.Level)
		assert.NotNil(t, v.Open)
		assert.NotNil(t, v.Assessment.Factors)
	})
	t.Run("missing student", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, int64(9)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found")).Once()
		_, err := f.svc.StudentRisk(ctx, staffA, 9)
		assert.Equal(t, fault.NotFound, fault.KindOf(err))
	})
	t.Run("store failure", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(anyArg, int64(7)).Return(student.Student{ID: 7}, nil).Once()
		f.risks.EXPECT().OpenForStudent(anyArg, int64(7)).Return(nil, errDB).Once()
		_, err := f.svc.StudentRisk(ctx, staffA, 7)
		require.ErrorIs(t, err, errDB)
	})
}

func TestSnapshot(t *testing.T) {
	r := risk.Risk{ID: 1, Type: risk.Other, Severity: risk.Low, Status: risk.Open, Score: ptr(12.5), Source: "attendance_agent",
		Factors: []risk.Factor{{Name: "rate", Value: 0.6, Weight: 1, Contribution: 12.5}}}
	m := app.Snapshot(r)
	assert.Nil(t, m["student_id"])
	assert.Equal(t, 12.5, m["score"])
	assert.Equal(t, "attendance_agent", m["source"])
	assert.Equal(t, []any{map[string]any{"name": "rate", "value": 0.6, "weight": 1.0, "contribution": 12.5}}, m["factors"])
	assert.NotContains(t, m, "password")
}
