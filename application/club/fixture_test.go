package club_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"

	app "github.com/campus/campus/application/club"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
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
	adminA    = actor(identity.RoleAdmin, nil)
	staffA    = actor(identity.RoleStaff, nil)
	studentA  = actor(identity.RoleStudent, ptr[int64](7))
	guestA    = actor(identity.RoleGuest, nil)
	anonymous = identity.Anonymous(identity.Origin{})
)

type fixture struct {
	clubs      *mocks.ClubRepository
	members    *mocks.ClubMemberRepository
	activities *mocks.ClubActivityRepository
	students   *mocks.StudentRepository
	audit      *mocks.AuditLog
	outbox     *mocks.Outbox
	recording  bool
	svc        *app.Service

	club      club.Club // the stored club
	entries   []audit.Entry
	published []event.Event
	saved     []club.Member
	txs       []string // "commit" or "rollback" per transaction
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{clubs: mocks.NewClubRepository(t), members: mocks.NewClubMemberRepository(t),
		activities: mocks.NewClubActivityRepository(t), students: mocks.NewStudentRepository(t),
		audit: mocks.NewAuditLog(t), outbox: mocks.NewOutbox(t)}
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
	f.svc = app.NewService(app.Deps{Clubs: f.clubs, Members: f.members, Activities: f.activities, Students: f.students,
		Audit: f.audit, Tx: tx, Clock: clock, Outbox: f.outbox, IDs: ids})
	f.club = club.Club{ID: 5, Name: "Chess", Category: "games", IsActive: true, AcceptingMembers: true, MemberCount: 2,
		CreatedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour)}
	return f
}

// lock expects the club row to be locked and fn's changes saved, as the
// store does: a failing fn leaves the stored club as it was.
func (f *fixture) lock() {
	f.clubs.EXPECT().Update(anyArg, f.club.ID, anyArg).RunAndReturn(
		func(_ context.Context, _ int64, fn func(*club.Club) error) (club.Club, error) {
			cp := f.club
			if err := fn(&cp); err != nil {
				return club.Club{}, err
			}
			f.club = cp
			return cp, nil
		})
}

// recordAudit keeps the audit entries, and the events every audited
// club write records too.
func (f *fixture) recordAudit() {
	f.recordEvents()
	f.audit.EXPECT().Record(anyArg, anyArg).RunAndReturn(func(_ context.Context, e audit.Entry) error {
		f.entries = append(f.entries, e)
		return nil
	})
}

func (f *fixture) recordEvents() {
	if f.recording {
		return
	}
	f.recording = true
	f.outbox.EXPECT().Append(anyArg, anyArg).RunAndReturn(func(_ context.Context, evs ...event.Event) error {
		f.published = append(f.published, evs...)
		return nil
	}).Maybe()
}

// saveMembers expects membership saves; a new row gets id 40.
func (f *fixture) saveMembers() {
	f.members.EXPECT().Save(anyArg, anyArg).RunAndReturn(func(_ context.Context, m *club.Member) error {
		if m.ID == 0 {
			m.ID = 40
		}
		f.saved = append(f.saved, *m)
		return nil
	})
}

func (f *fixture) noMembership(studentID int64) {
	f.members.EXPECT().Find(anyArg, f.club.ID, studentID).Return(club.Member{}, fault.New(fault.NotFound, "Member not found")).Once()
}

func notFound(thing string) error { return fault.New(fault.NotFound, thing+" not found") }
