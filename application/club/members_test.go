package club_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	app "github.com/campus/campus/application/club"
	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
)

func TestJoin(t *testing.T) {
	t.Run("a first join saves a member, counts it and tells", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.noMembership(7)
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()

		m, err := f.svc.Join(ctx, studentA, 5)

		require.NoError(t, err)
		assert.Equal(t, club.Member{ID: 40, ClubID: 5, StudentID: 7, Role: club.RoleMember, IsActive: true, JoinedAt: now, UpdatedAt: now}, m)
		assert.Equal(t, 3, f.club.MemberCount, "the count is saved with the club, in the same transaction")
		assert.Equal(t, []string{"commit"}, f.txs)
		require.Len(t, f.published, 1)
		ev := f.published[0]
		assert.Equal(t, event.ClubMembershipChanged, ev.Type)
		assert.Equal(t, "club", ev.Aggregate)
		assert.Equal(t, "5", ev.AggregateID)
		assert.Equal(t, now, ev.OccurredAt)
		assert.Equal(t, map[string]any{"club_id": int64(5), "student_id": int64(7), "member_id": int64(40), "action": "joined",
			"role": "member", "is_active": true, "member_count": 3, "joined_at": "2026-11-27T09:30:00Z",
			"previous_role": nil, "previous_is_active": false}, ev.Payload)
		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionCreate, e.Action)
		assert.Equal(t, "club_member", e.Resource)
		assert.Equal(t, "40", e.ResourceID)
		assert.Nil(t, e.Before)
		assert.Equal(t, app.MemberSnapshot(m), e.After)
	})
	t.Run("rejoining reactivates the row", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		old := club.Member{ID: 12, ClubID: 5, StudentID: 7, Role: club.RoleSecretary, JoinedAt: now.AddDate(0, -3, 0)}
		f.members.EXPECT().Find(anyArg, int64(5), int64(7)).Return(old, nil)
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()
		m, err := f.svc.Join(ctx, studentA, 5)
		require.NoError(t, err)
		assert.Equal(t, int64(12), m.ID)
		assert.Equal(t, club.RoleMember, m.Role)
		assert.Equal(t, "secretary", f.published[0].Payload["previous_role"])
		assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
		assert.Equal(t, false, f.entries[0].Before["is_active"])
		assert.Equal(t, true, f.entries[0].After["is_active"])
	})
	t.Run("joining twice is a conflict and writes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Find(anyArg, int64(5), int64(7)).Return(club.Member{ID: 12, ClubID: 5, StudentID: 7, Role: club.RoleMember, IsActive: true}, nil)
		_, err := f.svc.Join(ctx, studentA, 5)
		assert.ErrorIs(t, err, club.ErrAlreadyMember)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.Equal(t, 2, f.club.MemberCount)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("a closed club is a bad request", func(t *testing.T) {
		f := newFixture(t)
		f.club.AcceptingMembers = false
		f.lock()
		f.noMembership(7)
		_, err := f.svc.Join(ctx, studentA, 5)
		assert.Equal(t, fault.BadRequest, fault.KindOf(err))
	})
	t.Run("unknown club", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Update(anyArg, int64(9), anyArg).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.Join(ctx, studentA, 9)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("only student users join in person", func(t *testing.T) {
		f := newFixture(t)
		for _, a := range []identity.Actor{adminA, staffA, guestA} {
			_, err := f.svc.Join(ctx, a, 5)
			assert.ErrorIs(t, err, identity.ErrDenied, a.Role)
		}
		_, err := f.svc.Join(ctx, anonymous, 5)
		assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
		_, err = f.svc.Join(ctx, actor(identity.RoleStudent, nil), 5)
		assert.Equal(t, fault.BadRequest, fault.KindOf(err), "an account without a student record")
	})
	t.Run("a failed event write rolls the join back", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.noMembership(7)
		f.saveMembers()
		f.outbox.EXPECT().Append(anyArg, anyArg).Return(errDB)
		_, err := f.svc.Join(ctx, studentA, 5)
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("a failed save leaves the count", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.noMembership(7)
		f.members.EXPECT().Save(anyArg, anyArg).Return(errDB)
		_, err := f.svc.Join(ctx, studentA, 5)
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, 2, f.club.MemberCount)
	})
}

func TestLeave(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Find(anyArg, int64(5), int64(7)).Return(club.Member{ID: 12, ClubID: 5, StudentID: 7, Role: club.RoleTreasurer, IsActive: true, JoinedAt: now}, nil)
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()
		m, err := f.svc.Leave(ctx, studentA, 5)
		require.NoError(t, err)
		assert.False(t, m.IsActive)
		assert.Equal(t, 1, f.club.MemberCount)
		p := f.published[0].Payload
		assert.Equal(t, "left", p["action"])
		assert.Equal(t, false, p["is_active"])
		assert.Equal(t, true, p["previous_is_active"])
		assert.Equal(t, 1, p["member_count"])
		assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
	})
	t.Run("not a member", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.noMembership(7)
		_, err := f.svc.Leave(ctx, studentA, 5)
		assert.ErrorIs(t, err, fault.ErrNotFound)
		assert.EqualError(t, err, "You are not a member of this club")
	})
	t.Run("find fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Find(anyArg, int64(5), int64(7)).Return(club.Member{}, errDB)
		_, err := f.svc.Leave(ctx, studentA, 5)
		assert.ErrorIs(t, err, errDB)
	})
}

func TestMembers(t *testing.T) {
	p := page.Request{Limit: 50}
	t.Run("managers list a club's members", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(5)).Return(f.club, nil)
		f.members.EXPECT().List(anyArg, club.MemberFilter{ClubID: 5, Role: club.RolePresident}, p).Return(page.Result[club.Member]{Total: 1}, nil)
		res, err := f.svc.Members(ctx, staffA, 5, club.MemberFilter{ClubID: 99, Role: club.RolePresident}, p)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Total)
	})
	for _, a := range []identity.Actor{studentA, guestA} {
		t.Run(string(a.Role)+" denied", func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Members(ctx, a, 5, club.MemberFilter{}, p)
			assert.ErrorIs(t, err, identity.ErrDenied)
		})
	}
	t.Run("unknown club", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(9)).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.Members(ctx, adminA, 9, club.MemberFilter{}, p)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
}

func TestAddMember(t *testing.T) {
	t.Run("success with an office", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{ID: 8}, nil)
		f.noMembership(8)
		f.members.EXPECT().Holder(anyArg, int64(5), club.RolePresident).Return(club.Member{}, notFound("Member"))
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()
		m, err := f.svc.AddMember(ctx, staffA, 5, 8, club.RolePresident)
		require.NoError(t, err)
		assert.Equal(t, club.RolePresident, m.Role)
		assert.Equal(t, 3, f.club.MemberCount)
		assert.Equal(t, "added", f.published[0].Payload["action"])
		assert.Equal(t, "president", f.published[0].Payload["role"])
		assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
	})
	t.Run("a plain member needs no holder lookup", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{ID: 8}, nil)
		f.noMembership(8)
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()
		_, err := f.svc.AddMember(ctx, adminA, 5, 8, club.RoleMember)
		require.NoError(t, err)
	})
	t.Run("unknown student is a field error", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{}, notFound("Student"))
		_, err := f.svc.AddMember(ctx, staffA, 5, 8, club.RoleMember)
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, fault.Invalid, fe.Kind)
		assert.Equal(t, "student_id", fe.Fields[0].Field)
	})
	t.Run("office taken", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{ID: 8}, nil)
		f.noMembership(8)
		f.members.EXPECT().Holder(anyArg, int64(5), club.RolePresident).Return(club.Member{ID: 3, Role: club.RolePresident, IsActive: true}, nil)
		_, err := f.svc.AddMember(ctx, staffA, 5, 8, club.RolePresident)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.Equal(t, 2, f.club.MemberCount)
	})
	t.Run("student lookup fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.students.EXPECT().Get(anyArg, int64(8)).Return(student.Student{}, errDB)
		_, err := f.svc.AddMember(ctx, staffA, 5, 8, club.RoleMember)
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.AddMember(ctx, studentA, 5, 8, club.RoleMember)
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
}

func TestChangeMember(t *testing.T) {
	member := club.Member{ID: 12, ClubID: 5, StudentID: 7, Role: club.RoleMember, IsActive: true, JoinedAt: now}
	t.Run("role change and deactivation raise one event each", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		f.members.EXPECT().Holder(anyArg, int64(5), club.RoleTreasurer).Return(club.Member{}, notFound("Member"))
		f.saveMembers()
		f.recordEvents()
		f.recordAudit()
		m, err := f.svc.ChangeMember(ctx, staffA, 5, 12, club.MemberPatch{Role: ptr(club.RoleTreasurer), IsActive: ptr(false)})
		require.NoError(t, err)
		assert.Equal(t, club.RoleTreasurer, m.Role)
		assert.False(t, m.IsActive)
		assert.Equal(t, 1, f.club.MemberCount)
		require.Len(t, f.saved, 1, "one save for the whole patch")
		require.Len(t, f.published, 2)
		assert.Equal(t, "role_changed", f.published[0].Payload["action"])
		assert.Equal(t, "deactivated", f.published[1].Payload["action"])
		for _, ev := range f.published {
			assert.Equal(t, "member", ev.Payload["previous_role"])
			assert.Equal(t, 1, ev.Payload["member_count"])
			assert.Equal(t, int64(12), ev.Payload["member_id"])
		}
		require.Len(t, f.entries, 1, "one audit entry per call")
		assert.Equal(t, "member", f.entries[0].Before["role"])
		assert.Equal(t, "treasurer", f.entries[0].After["role"])
	})
	t.Run("a patch that changes nothing writes nothing", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		m, err := f.svc.ChangeMember(ctx, staffA, 5, 12, club.MemberPatch{IsActive: ptr(true)})
		require.NoError(t, err)
		assert.Equal(t, member, m)
	})
	t.Run("unknown member", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(99)).Return(club.Member{}, notFound("Member"))
		_, err := f.svc.ChangeMember(ctx, staffA, 5, 99, club.MemberPatch{IsActive: ptr(false)})
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("office taken", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		f.members.EXPECT().Holder(anyArg, int64(5), club.RoleSecretary).Return(club.Member{ID: 2, Role: club.RoleSecretary, IsActive: true}, nil)
		_, err := f.svc.ChangeMember(ctx, staffA, 5, 12, club.MemberPatch{Role: ptr(club.RoleSecretary)})
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
	})
	t.Run("holder lookup fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		f.members.EXPECT().Holder(anyArg, int64(5), club.RoleSecretary).Return(club.Member{}, errDB)
		_, err := f.svc.ChangeMember(ctx, staffA, 5, 12, club.MemberPatch{Role: ptr(club.RoleSecretary)})
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("guest denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.ChangeMember(ctx, guestA, 5, 12, club.MemberPatch{})
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
}

func TestRemoveMember(t *testing.T) {
	member := club.Member{ID: 12, ClubID: 5, StudentID: 7, Role: club.RoleSecretary, IsActive: true, JoinedAt: now}
	t.Run("success", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		f.members.EXPECT().Delete(anyArg, int64(5), int64(12)).Return(nil).Once()
		f.recordEvents()
		f.recordAudit()
		require.NoError(t, f.svc.RemoveMember(ctx, adminA, 5, 12))
		assert.Equal(t, 1, f.club.MemberCount)
		p := f.published[0].Payload
		assert.Equal(t, "removed", p["action"])
		assert.Equal(t, "secretary", p["role"])
		assert.Equal(t, false, p["is_active"])
		assert.Equal(t, true, p["previous_is_active"])
		assert.Equal(t, int64(12), p["member_id"])
		e := f.entries[0]
		assert.Equal(t, audit.ActionDelete, e.Action)
		assert.Equal(t, "12", e.ResourceID)
		assert.Equal(t, app.MemberSnapshot(member), e.Before)
		assert.Nil(t, e.After)
	})
	t.Run("delete fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(member, nil)
		f.members.EXPECT().Delete(anyArg, int64(5), int64(12)).Return(errDB)
		assert.ErrorIs(t, f.svc.RemoveMember(ctx, adminA, 5, 12), errDB)
		assert.Equal(t, 2, f.club.MemberCount)
	})
	t.Run("unknown member", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.members.EXPECT().Get(anyArg, int64(5), int64(12)).Return(club.Member{}, notFound("Member"))
		assert.ErrorIs(t, f.svc.RemoveMember(ctx, adminA, 5, 12), fault.ErrNotFound)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		assert.ErrorIs(t, f.svc.RemoveMember(ctx, studentA, 5, 12), identity.ErrDenied)
	})
}
