package club_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/audit"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
)

func activityFields() club.ActivityFields {
	return club.ActivityFields{Title: "Blitz", ActivityType: "tournament", StartsAt: now.Add(24 * time.Hour)}
}

func storedActivity() club.Activity {
	return club.Activity{ID: 8, ClubID: 5, Title: "Blitz", ActivityType: "tournament", StartsAt: now, Capacity: ptr(3), Status: club.Ongoing}
}

func TestActivities(t *testing.T) {
	p := page.Request{Limit: 50}
	for _, a := range []identity.Actor{guestA, studentA} {
		f := newFixture(t)
		f.clubs.EXPECT().Get(anyArg, int64(5)).Return(f.club, nil)
		f.activities.EXPECT().List(anyArg, club.ActivityFilter{ClubID: 5, Status: club.Planned}, p).Return(page.Result[club.Activity]{Total: 2}, nil)
		res, err := f.svc.Activities(ctx, a, 5, club.ActivityFilter{Status: club.Planned}, p)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Total)
	}
	f := newFixture(t)
	f.clubs.EXPECT().Get(anyArg, int64(9)).Return(club.Club{}, notFound("Club"))
	_, err := f.svc.Activities(ctx, staffA, 9, club.ActivityFilter{}, p)
	assert.ErrorIs(t, err, fault.ErrNotFound)
}

func TestCreateActivity(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Create(anyArg, anyArg).RunAndReturn(func(_ context.Context, a *club.Activity) error {
			a.ID = 8
			return nil
		})
		f.recordAudit()
		a, err := f.svc.CreateActivity(ctx, staffA, 5, activityFields())
		require.NoError(t, err)
		assert.Equal(t, int64(8), a.ID)
		assert.Equal(t, int64(5), a.ClubID)
		assert.Equal(t, club.Planned, a.Status)
		assert.Equal(t, now, a.CreatedAt)
		assert.Equal(t, audit.ActionCreate, f.entries[0].Action)
		assert.Equal(t, "club_activity", f.entries[0].Resource)
		assert.Equal(t, "8", f.entries[0].ResourceID)
	})
	t.Run("archived club", func(t *testing.T) {
		f := newFixture(t)
		f.club.IsActive = false
		f.lock()
		_, err := f.svc.CreateActivity(ctx, staffA, 5, activityFields())
		assert.ErrorIs(t, err, club.ErrArchived)
	})
	t.Run("validation touches no store", func(t *testing.T) {
		f := newFixture(t)
		fl := activityFields()
		fl.EndsAt = ptr(fl.StartsAt)
		_, err := f.svc.CreateActivity(ctx, staffA, 5, fl)
		assert.ErrorIs(t, err, fault.ErrInvalid)
	})
	t.Run("unknown club", func(t *testing.T) {
		f := newFixture(t)
		f.clubs.EXPECT().Update(anyArg, int64(9), anyArg).Return(club.Club{}, notFound("Club"))
		_, err := f.svc.CreateActivity(ctx, staffA, 9, activityFields())
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.CreateActivity(ctx, studentA, 5, activityFields())
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
}

func TestPatchActivity(t *testing.T) {
	t.Run("status change is saved and audited", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		var saved club.Activity
		f.activities.EXPECT().Save(anyArg, anyArg).RunAndReturn(func(_ context.Context, a club.Activity) error {
			saved = a
			return nil
		})
		f.recordAudit()
		a, err := f.svc.PatchActivity(ctx, staffA, 5, 8, club.ActivityPatch{Status: ptr("Completed")})
		require.NoError(t, err)
		assert.Equal(t, club.Completed, a.Status)
		assert.Equal(t, a, saved)
		assert.Equal(t, now, saved.UpdatedAt)
		assert.Equal(t, "ongoing", f.entries[0].Before["status"])
		assert.Equal(t, "completed", f.entries[0].After["status"])
	})
	t.Run("capacity below those present", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Attendance(anyArg, int64(8)).Return([]club.Attendance{{StudentID: 1, Present: true},
			{StudentID: 2, Present: true}, {StudentID: 3, Present: false}}, nil)
		one := ptr(1)
		_, err := f.svc.PatchActivity(ctx, staffA, 5, 8, club.ActivityPatch{Capacity: &one})
		var fe *fault.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, "capacity", fe.Fields[0].Field)
		assert.Contains(t, fe.Fields[0].Message, "2")
	})
	t.Run("backwards move", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		_, err := f.svc.PatchActivity(ctx, staffA, 5, 8, club.ActivityPatch{Status: ptr("planned")})
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
	})
	t.Run("activity of another club", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(club.Activity{}, notFound("Activity"))
		_, err := f.svc.PatchActivity(ctx, staffA, 5, 8, club.ActivityPatch{})
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("guest denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.PatchActivity(ctx, guestA, 5, 8, club.ActivityPatch{})
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
}

func TestDeleteActivity(t *testing.T) {
	t.Run("success", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Delete(anyArg, int64(5), int64(8)).Return(nil).Once()
		f.recordAudit()
		require.NoError(t, f.svc.DeleteActivity(ctx, adminA, 5, 8))
		assert.Equal(t, audit.ActionDelete, f.entries[0].Action)
		assert.Equal(t, "Blitz", f.entries[0].Before["title"])
		assert.Nil(t, f.entries[0].After)
	})
	t.Run("unknown", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(club.Activity{}, notFound("Activity"))
		assert.ErrorIs(t, f.svc.DeleteActivity(ctx, adminA, 5, 8), fault.ErrNotFound)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		assert.ErrorIs(t, f.svc.DeleteActivity(ctx, studentA, 5, 8), identity.ErrDenied)
	})
}

func TestRecordAttendance(t *testing.T) {
	marks := []club.Mark{{StudentID: 1, Present: true}, {StudentID: 2, Present: false}}
	t.Run("upserts and audits", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Attendance(anyArg, int64(8)).Return([]club.Attendance{{ActivityID: 8, StudentID: 2, Present: true}}, nil)
		f.members.EXPECT().Active(anyArg, int64(5), []int64{1, 2}).Return(map[int64]bool{1: true, 2: true}, nil)
		var rows []club.Attendance
		f.activities.EXPECT().SaveAttendance(anyArg, anyArg).RunAndReturn(func(_ context.Context, r []club.Attendance) error {
			rows = r
			return nil
		}).Once()
		f.recordAudit()
		r, err := f.svc.RecordAttendance(ctx, staffA, 5, 8, marks)
		require.NoError(t, err)
		assert.Equal(t, 1, r.Created)
		assert.Equal(t, 1, r.Updated)
		assert.Equal(t, 1, r.Present)
		assert.Equal(t, 1, r.Absent)
		assert.Equal(t, []club.Attendance{{ActivityID: 8, StudentID: 1, Present: true, RecordedAt: now},
			{ActivityID: 8, StudentID: 2, Present: false, RecordedAt: now}}, rows)
		e := f.entries[0]
		assert.Equal(t, "club_attendance", e.Resource)
		assert.Equal(t, "8", e.ResourceID)
		assert.Equal(t, map[string]any{"activity_id": int64(8), "present": map[string]any{"2": true}}, e.Before)
		assert.Equal(t, map[string]any{"activity_id": int64(8), "present": map[string]any{"1": true, "2": false}}, e.After)
	})
	t.Run("a non-member rejects the whole call", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Attendance(anyArg, int64(8)).Return(nil, nil)
		f.members.EXPECT().Active(anyArg, int64(5), []int64{1, 2}).Return(map[int64]bool{1: true}, nil)
		_, err := f.svc.RecordAttendance(ctx, staffA, 5, 8, marks)
		assert.EqualError(t, err, "records[1].student_id: student 2 is not a member of this club")
		assert.Equal(t, []string{"rollback"}, f.txs)
	})
	t.Run("save fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Attendance(anyArg, int64(8)).Return(nil, nil)
		f.members.EXPECT().Active(anyArg, int64(5), []int64{1, 2}).Return(map[int64]bool{1: true, 2: true}, nil)
		f.activities.EXPECT().SaveAttendance(anyArg, anyArg).Return(errDB)
		_, err := f.svc.RecordAttendance(ctx, staffA, 5, 8, marks)
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("member lookup fails", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(storedActivity(), nil)
		f.activities.EXPECT().Attendance(anyArg, int64(8)).Return(nil, nil)
		f.members.EXPECT().Active(anyArg, int64(5), []int64{1, 2}).Return(nil, errDB)
		_, err := f.svc.RecordAttendance(ctx, staffA, 5, 8, marks)
		assert.ErrorIs(t, err, errDB)
	})
	t.Run("unknown activity", func(t *testing.T) {
		f := newFixture(t)
		f.lock()
		f.activities.EXPECT().Get(anyArg, int64(5), int64(8)).Return(club.Activity{}, notFound("Activity"))
		_, err := f.svc.RecordAttendance(ctx, staffA, 5, 8, marks)
		assert.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("student denied", func(t *testing.T) {
		f := newFixture(t)
		_, err := f.svc.RecordAttendance(ctx, studentA, 5, 8, marks)
		assert.ErrorIs(t, err, identity.ErrDenied)
	})
}
