package club_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/fault"
)

func validActivity() club.ActivityFields {
	return club.ActivityFields{Title: "Blitz night", ActivityType: "Tournament", StartsAt: now}
}

func TestNewActivity(t *testing.T) {
	tests := []struct {
		name       string
		mod        func(f *club.ActivityFields)
		wantFields []string
		check      func(t *testing.T, a club.Activity)
	}{
		{name: "defaults", check: func(t *testing.T, a club.Activity) {
			assert.Equal(t, club.Planned, a.Status)
			assert.Equal(t, "tournament", a.ActivityType)
			assert.Equal(t, int64(5), a.ClubID)
			assert.Nil(t, a.EndsAt)
			assert.Nil(t, a.Capacity)
		}},
		{name: "any status and case", mod: func(f *club.ActivityFields) { f.Status = "OnGoing" },
			check: func(t *testing.T, a club.Activity) { assert.Equal(t, club.Ongoing, a.Status) }},
		{name: "times in UTC", mod: func(f *club.ActivityFields) {
			f.StartsAt = time.Date(2026, 11, 27, 12, 0, 0, 0, time.FixedZone("IST", 19800))
			f.EndsAt = ptr(f.StartsAt.Add(time.Hour))
		}, check: func(t *testing.T, a club.Activity) {
			assert.Equal(t, time.UTC, a.StartsAt.Location())
			assert.Equal(t, time.Date(2026, 11, 27, 6, 30, 0, 0, time.UTC), a.StartsAt)
			assert.Equal(t, time.UTC, a.EndsAt.Location())
		}},
		{name: "blank location is none", mod: func(f *club.ActivityFields) { f.Location = ptr("  ") },
			check: func(t *testing.T, a club.Activity) { assert.Nil(t, a.Location) }},
		{name: "capacity 1 and max", mod: func(f *club.ActivityFields) { f.Capacity = ptr(club.MaxCapacity) }},
		{name: "ends at starts", mod: func(f *club.ActivityFields) { f.EndsAt = ptr(now) }, wantFields: []string{"ends_at"}},
		{name: "ends before starts", mod: func(f *club.ActivityFields) { f.EndsAt = ptr(now.Add(-time.Minute)) },
			wantFields: []string{"ends_at"}},
		{name: "capacity zero", mod: func(f *club.ActivityFields) { f.Capacity = ptr(0) }, wantFields: []string{"capacity"}},
		{name: "capacity too large", mod: func(f *club.ActivityFields) { f.Capacity = ptr(club.MaxCapacity + 1) },
			wantFields: []string{"capacity"}},
		{name: "everything missing", mod: func(f *club.ActivityFields) { *f = club.ActivityFields{Status: "done"} },
			wantFields: []string{"title", "activity_type", "starts_at", "status"}},
		{name: "long title and location", mod: func(f *club.ActivityFields) {
			f.Title = strings.Repeat("t", 201)
			f.Location = ptr(strings.Repeat("l", 201))
		}, wantFields: []string{"title", "location"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validActivity()
			if tt.mod != nil {
				tt.mod(&f)
			}
			a, err := club.NewActivity(5, f)
			if tt.wantFields != nil {
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}
}

func TestCanMove(t *testing.T) {
	allowed := map[[2]club.Status]bool{
		{club.Planned, club.Ongoing}: true, {club.Planned, club.Completed}: true, {club.Planned, club.Cancelled}: true,
		{club.Ongoing, club.Completed}: true, {club.Ongoing, club.Cancelled}: true,
	}
	for _, from := range club.Statuses {
		for _, to := range club.Statuses {
			want := from == to || allowed[[2]club.Status{from, to}]
			assert.Equal(t, want, club.CanMove(from, to), "%s -> %s", from, to)
		}
	}
}

func TestActivityApply(t *testing.T) {
	base := func() club.Activity {
		a, err := club.NewActivity(5, validActivity())
		require.NoError(t, err)
		a.Capacity = ptr(10)
		return a
	}
	t.Run("status moves forward", func(t *testing.T) {
		a := base()
		require.NoError(t, a.Apply(club.ActivityPatch{Status: ptr("ONGOING")}, 0))
		assert.Equal(t, club.Ongoing, a.Status)
		require.NoError(t, a.Apply(club.ActivityPatch{Status: ptr("completed")}, 0))
		err := a.Apply(club.ActivityPatch{Status: ptr("planned")}, 0)
		assert.Equal(t, fault.Conflict, fault.KindOf(err))
		assert.EqualError(t, err, "An activity cannot move from completed to planned")
		assert.Equal(t, club.Completed, a.Status)
	})
	t.Run("clear and set optional fields", func(t *testing.T) {
		a := base()
		end := now.Add(2 * time.Hour)
		endp := &end
		loc := ptr("Hall B")
		require.NoError(t, a.Apply(club.ActivityPatch{EndsAt: &endp, Location: &loc}, 0))
		assert.Equal(t, end, *a.EndsAt)
		assert.Equal(t, "Hall B", *a.Location)
		var noCap *int
		var noEnd *time.Time
		require.NoError(t, a.Apply(club.ActivityPatch{Capacity: &noCap, EndsAt: &noEnd}, 3))
		assert.Nil(t, a.Capacity, "unlimited")
		assert.Nil(t, a.EndsAt)
		assert.Equal(t, "Hall B", *a.Location)
	})
	t.Run("moving starts_at past ends_at", func(t *testing.T) {
		a := base()
		end := now.Add(time.Hour)
		a.EndsAt = &end
		later := now.Add(2 * time.Hour)
		err := a.Apply(club.ActivityPatch{StartsAt: &later}, 0)
		assert.Equal(t, []string{"ends_at"}, fieldsOf(t, err))
		assert.Equal(t, now, a.StartsAt)
	})
	t.Run("capacity below those present", func(t *testing.T) {
		a := base()
		four := ptr(4)
		err := a.Apply(club.ActivityPatch{Capacity: &four}, 5)
		assert.Equal(t, []string{"capacity"}, fieldsOf(t, err))
		assert.Equal(t, 10, *a.Capacity)
		five := ptr(5)
		require.NoError(t, a.Apply(club.ActivityPatch{Capacity: &five}, 5), "exactly full is fine")
	})
}

func TestRecord(t *testing.T) {
	members := map[int64]bool{1: true, 2: true, 3: true, 4: true}
	act := func(capacity *int, st club.Status) club.Activity {
		return club.Activity{ID: 8, ClubID: 5, Status: st, Capacity: capacity}
	}
	existing := []club.Attendance{{ActivityID: 8, StudentID: 1, Present: true}, {ActivityID: 8, StudentID: 2, Present: false}}
	tests := []struct {
		name       string
		a          club.Activity
		marks      []club.Mark
		kind       fault.Kind
		wantFields []string
		want       club.Recording
	}{
		{name: "upsert counts created and updated", a: act(nil, club.Completed),
			marks: []club.Mark{{StudentID: 2, Present: true}, {StudentID: 3, Present: false}},
			want:  club.Recording{Created: 1, Updated: 1, Present: 2, Absent: 1, Previous: map[int64]bool{2: false}}},
		{name: "exactly at capacity", a: act(ptr(3), club.Ongoing),
			marks: []club.Mark{{StudentID: 2, Present: true}, {StudentID: 3, Present: true}},
			want:  club.Recording{Created: 1, Updated: 1, Present: 3, Previous: map[int64]bool{2: false}}},
		{name: "over capacity counts those already present", a: act(ptr(2), club.Ongoing),
			marks: []club.Mark{{StudentID: 2, Present: true}, {StudentID: 3, Present: true}}, wantFields: []string{"records"}},
		{name: "marking someone absent makes room", a: act(ptr(2), club.Ongoing),
			marks: []club.Mark{{StudentID: 1, Present: false}, {StudentID: 3, Present: true}, {StudentID: 4, Present: true}},
			want:  club.Recording{Created: 2, Updated: 1, Present: 2, Absent: 2, Previous: map[int64]bool{1: true}}},
		{name: "non-member named", a: act(nil, club.Planned),
			marks: []club.Mark{{StudentID: 1, Present: true}, {StudentID: 99, Present: true}}, wantFields: []string{"records[1].student_id"}},
		{name: "duplicate and invalid ids", a: act(nil, club.Planned),
			marks:      []club.Mark{{StudentID: 3}, {StudentID: 3}, {StudentID: 0}},
			wantFields: []string{"records[1].student_id", "records[2].student_id"}},
		{name: "empty list", a: act(nil, club.Planned), wantFields: []string{"records"}},
		{name: "cancelled activity", a: act(nil, club.Cancelled), marks: []club.Mark{{StudentID: 1}}, kind: fault.BadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := tt.a.Record(tt.marks, existing, members, now)
			switch {
			case tt.kind != 0:
				assert.Equal(t, tt.kind, fault.KindOf(err))
			case tt.wantFields != nil:
				assert.Equal(t, tt.wantFields, fieldsOf(t, err))
			default:
				require.NoError(t, err)
				require.Len(t, r.Rows, len(tt.marks))
				for i, row := range r.Rows {
					assert.Equal(t, club.Attendance{ActivityID: 8, StudentID: tt.marks[i].StudentID, Present: tt.marks[i].Present, RecordedAt: now}, row)
				}
				r.Rows = nil
				assert.Equal(t, tt.want, r)
			}
		})
	}
	t.Run("the error names the non-member", func(t *testing.T) {
		_, err := act(nil, club.Planned).Record([]club.Mark{{StudentID: 99, Present: true}}, nil, members, now)
		assert.EqualError(t, err, "records[0].student_id: student 99 is not a member of this club")
	})
}

func TestSummarize(t *testing.T) {
	c := club.Club{ID: 5, MemberCount: 3}
	s := club.Summarize(c, club.Counts{
		Members: []club.RoleCount{{Role: club.RoleMember, Active: true, N: 2}, {Role: club.RolePresident, Active: true, N: 1},
			{Role: club.RoleMember, Active: false, N: 4}, {Role: club.RoleTreasurer, Active: false, N: 1}},
		Activities: map[club.Status]int{club.Completed: 3, club.Planned: 1},
		Completed: []club.Turnout{{ActivityID: 1, Present: 1, Recorded: 2}, {ActivityID: 2, Present: 3, Recorded: 3},
			{ActivityID: 3, Present: 0, Recorded: 3}, {ActivityID: 4, Present: 0, Recorded: 0}},
	})
	assert.Equal(t, 3, s.ActiveMembers)
	assert.Equal(t, 5, s.InactiveMembers)
	assert.Equal(t, map[club.Role]int{club.RoleMember: 2, club.RolePresident: 1, club.RoleVicePresident: 0,
		club.RoleSecretary: 0, club.RoleTreasurer: 0}, s.ByRole, "roles count active members; every role is listed")
	assert.Equal(t, map[club.Status]int{club.Planned: 1, club.Ongoing: 0, club.Completed: 3, club.Cancelled: 0}, s.ByStatus)
	assert.Equal(t, 4, s.TotalActivities)
	require.NotNil(t, s.AttendanceRate)
	assert.Equal(t, 0.5, *s.AttendanceRate, "(0.5 + 1 + 0) / 3: each activity weighs the same")
	assert.Equal(t, 3, s.RatedActivities)

	empty := club.Summarize(c, club.Counts{})
	assert.Nil(t, empty.AttendanceRate, "no completed activity with attendance: no rate")
	assert.Zero(t, empty.RatedActivities)
	assert.Equal(t, 3, empty.MemberCount)

	third := club.Summarize(c, club.Counts{Completed: []club.Turnout{{Present: 1, Recorded: 3}}})
	assert.Equal(t, 0.3333, *third.AttendanceRate, "rounded to 4 decimals")
}
