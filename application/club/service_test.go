package club_test

import (
	"context"
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
)

func TestReadsAreForEverySignedInUser(t *testing.T) {
	p := page.Request{Limit: 50}
	for _, a := range []identity.Actor{adminA, staffA, studentA, guestA} {
		t.Run(string(a.Role), func(t *testing.T) {
			f := newFixture(t)
			filter := club.Filter{Category: "games"}
			f.clubs.EXPECT().List(anyArg, filter, p).Return(page.Result[club.Club]{Items: []club.Club{f.club}, Total: 1, Request: p}, nil).Once()
			f.clubs.EXPECT().Get(anyArg, int64(5)).Return(f.club, nil).Once()
			res, err := f.svc.List(ctx, a, filter, p)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Total)
			c, err := f.svc.Get(ctx, a, 5)
			require.NoError(t, err)
			assert.Equal(t, f.club, c)
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.List(ctx, anonymous, club.Filter{}, p)
		assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
		_, err = f.svc.Get(ctx, anonymous, 5)
		assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
		_, err = f.svc.Statistics(ctx, anonymous, 5)
		assert.Equal(t, fault.Unauthenticated, fault.KindOf(err))
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(9)).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.Get(ctx, guestA, 9)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
}

func TestCreate(t *testing.T) {
	t.Run("success audits the new club", func(t *testing.T) {
		f := newFixture(t)
		var saved club.Club
		f.clubs.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, c *club.Club) error {
			c.ID = 11
			saved = *c
			return nil
		}).Once()
		f.recordAudit()
		c, err := f.svc.Create(ctx, staffA, club.Fields{Name: " Robotics ", Category: "tech"})
		require.NoError(t, err)
		assert.Equal(t, int64(11), c.ID)
		assert.Equal(t, "Robotics", saved.Name)
		assert.Equal(t, now, saved.CreatedAt)
		assert.Zero(t, saved.MemberCount)
		assert.True(t, saved.IsActive && saved.AcceptingMembers)
		require.Len(t, f.published, 1, "a club.changed event tells what reads clubs (the summary's figures)")
		assert.Equal(t, event.ClubChanged, f.published[0].Type)
		assert.Equal(t, "create", f.published[0].Payload["action"])
		require.Len(t, f.entries, 1)
		e := f.entries[0]
		assert.Equal(t, audit.ActionCreate, e.Action)
		assert.Equal(t, "club", e.Resource)
		assert.Equal(t, "11", e.ResourceID)
		assert.Nil(t, e.Before)
		assert.Equal(t, app.Snapshot(c), e.After)
	})
	for _, a := range []identity.Actor{studentA, guestA} {
		t.Run(string(a.Role)+" denied", func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Create(ctx, a, club.Fields{Name: "X"})
			assert.ErrorIs(t, err, identity.ErrDenied)
		})
	}
	t.Run("validation touches no store", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Create(ctx, adminA, club.Fields{Name: ""})
		assert.ErrorIs(t, err, fault.ErrInvalid)
	})
	t.Run("duplicate name", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Create(anyArg, anyArg).Return(fault.Wrap(fault.Conflict, "Club with this name already exists", errDB))
		_, err := f.svc.Create(ctx, adminA, club.Fields{Name: "chess"})
		assert.EqualError(t, err, "A club with this name already exists")
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
	})
	t.Run("audit failure rolls back", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Create(anyArg, anyArg).Return(nil)
		f.recordEvents()
		f.audit.EXPECT().Record(anyArg, anyArg).Return(errDB)
		_, err := f.svc.Create(ctx, adminA, club.Fields{Name: "chess"})
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
}

func TestReplaceAndPatch(t *testing.T) {
	replace := func(f *fixture, a identity.Actor) (club.Club, error) {
		return f.svc.Replace(ctx, a, 5, club.Fields{Name: "Chess", Category: "board games", AcceptingMembers: ptr(false)})
	}
	patch := func(f *fixture, a identity.Actor) (club.Club, error) {
		return f.svc.Patch(ctx, a, 5, club.Patch{Category: ptr("board games"), AcceptingMembers: ptr(false)})
	}
	for name, do := range map[string]func(*fixture, identity.Actor) (club.Club, error){"replace": replace, "patch": patch} {
		t.Run(name+"/success audits before and after", func(t *testing.T) {
			f := newFixture(t)
			f.lock()
			f.recordAudit()
			c, err := do(f, staffA)
			require.NoError(t, err)
			assert.Equal(t, "board games", c.Category)
			assert.False(t, c.AcceptingMembers)
			assert.Equal(t, 2, c.MemberCount, "the count is not writable")
			assert.Equal(t, now, c.UpdatedAt)
			require.Len(t, f.entries, 1)
			assert.Equal(t, audit.ActionUpdate, f.entries[0].Action)
			assert.Equal(t, "games", f.entries[0].Before["category"])
			assert.Equal(t, "board games", f.entries[0].After["category"])
		})
		t.Run(name+"/student denied", func(t *testing.T) {
			f := newFixture(t)
			_, err := do(f, studentA)
			assert.ErrorIs(t, err, identity.ErrDenied)
		})
		t.Run(name+"/duplicate name", func(t *testing.T) {
			f := newFixture(t)
			f.clubs.EXPECT().Update(anyArg, int64(5), anyArg).Return(club.Club{}, fault.New(fault.Conflict, "unique"))
			_, err := do(f, staffA)
			assert.EqualError(t, err, "A club with this name already exists")
		})
		t.Run(name+"/not found", func(t *testing.T) {
			f := newFixture(t)
			f.clubs.EXPECT().Update(anyArg, int64(5), anyArg).Return(club.Club{}, notFound("Club"))
			_, err := do(f, staffA)
			assert.ErrorIs(t, err, fault.ErrNotFound)
		})
	}
	t.Run("invalid patch is not saved", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		before := f.club
		_, err := f.svc.Patch(ctx, staffA, 5, club.Patch{Name: ptr(" ")})
		assert.ErrorIs(t, err, fault.ErrInvalid)
		assert.Equal(t, before, f.club)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
}

func TestDelete(t *testing.T) {
	t.Run("a club without history is deleted", func(t *testing.T) {
		f := newFixture(t)
		f.club.MemberCount = 0
		f.lock()
		f.clubs.EXPECT().Referenced(anyArg, int64(5)).Return(false, nil).Once()
		f.clubs.EXPECT().Delete(anyArg, int64(5)).Return(nil).Once()
		f.recordAudit()
		archived, err := f.svc.Delete(ctx, staffA, 5)
		require.NoError(t, err)
		assert.False(t, archived)
		require.Len(t, f.entries, 1)
		assert.Equal(t, audit.ActionDelete, f.entries[0].Action)
		assert.Equal(t, "Chess", f.entries[0].Before["name"])
		assert.Nil(t, f.entries[0].After)
	})
	t.Run("a club with members or activities is archived", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.clubs.EXPECT().Referenced(anyArg, int64(5)).Return(true, nil).Once()
		f.recordAudit()
		archived, err := f.svc.Delete(ctx, adminA, 5)
		require.NoError(t, err)
		assert.True(t, archived)
		assert.False(t, f.club.IsActive)
		assert.False(t, f.club.AcceptingMembers)
		assert.Equal(t, 2, f.club.MemberCount)
		require.Len(t, f.entries, 1)
		assert.Equal(t, audit.ActionArchive, f.entries[0].Action)
		assert.Equal(t, true, f.entries[0].Before["is_active"])
		assert.Equal(t, false, f.entries[0].After["is_active"])
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.Delete(ctx, studentA, 5)
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
	t.Run("not found", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Update(anyArg, int64(5), anyArg).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.Delete(ctx, adminA, 5)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("referenced check fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.clubs.EXPECT().Referenced(anyArg, int64(5)).Return(false, errDB)
		_, err := f.svc.Delete(ctx, adminA, 5)
		assert.ErrorIs(t, err, errDB)
		assert.True(t, f.club.IsActive)
	})
	t.Run("delete fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.clubs.EXPECT().Referenced(anyArg, int64(5)).Return(false, nil)
		f.clubs.EXPECT().Delete(anyArg, int64(5)).Return(errDB)
		_, err := f.svc.Delete(ctx, adminA, 5)
		assert.ErrorIs(t, err, errDB)
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
}

func TestStatistics(t *testing.T) {
	f := newFixture(t)
	f.clubs.EXPECT().Get(anyArg, int64(5)).Return(f.club, nil).Once()
	f.clubs.EXPECT().Counts(anyArg, int64(5)).Return(club.Counts{
		Members:    []club.RoleCount{{Role: club.RoleMember, Active: true, N: 1}, {Role: club.RolePresident, Active: true, N: 1}},
		Activities: map[club.Status]int{club.Completed: 1},
		Completed:  []club.Turnout{{ActivityID: 1, Present: 3, Recorded: 4}},
	}, nil).Once()
	s, err := f.svc.Statistics(ctx, guestA, 5)
	require.NoError(t, err)
	assert.Equal(t, 2, s.MemberCount)
	assert.Equal(t, 2, s.ActiveMembers)
	assert.Equal(t, 0.75, *s.AttendanceRate)

	t.Run("unknown club", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(9)).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.Statistics(ctx, staffA, 9)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("counts fail", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(5)).Return(f.club, nil)
		f.clubs.EXPECT().Counts(anyArg, int64(5)).Return(club.Counts{}, errDB)
		_, err := f.svc.Statistics(ctx, staffA, 5)
		assert.ErrorIs(t, err, errDB)
	})
}
