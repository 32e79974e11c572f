package contract_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/adapters/system"
	appclub "github.com/campus/campus/application/club"
	"github.com/campus/campus/domain/club"
	"github.com/campus/campus/domain/event"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// clubRepos are the club ports over one fresh database.
type clubRepos struct {
	*repos
	clubs      ports.ClubRepository
	members    ports.ClubMemberRepository
	activities ports.ClubActivityRepository
}

func setupClubs(t *testing.T, url string) *clubRepos {
	r := setup(t, url)
	return &clubRepos{repos: r, clubs: store.NewClubRepository(r.db), members: store.NewClubMemberRepository(r.db),
		activities: store.NewClubActivityRepository(r.db)}
}

// TestClubStore runs every club case on every database, each on a fresh one.
func TestClubStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *clubRepos)
	}{
		{"ClubCRUD", testClubCRUD},
		{"ClubNameUniqueIgnoringCase", testClubNameUnique},
		{"ClubList", testClubList},
		{"ClubUpdateAbort", testClubUpdateAbort},
		{"ClubReferencedAndDelete", testClubReferenced},
		{"Members", testClubMembers},
		{"MemberConstraints", testClubMemberConstraints},
		{"Activities", testClubActivities},
		{"Attendance", testClubAttendance},
		{"Counts", testClubCounts},
		{"ConcurrentJoins", testClubConcurrentJoins},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setupClubs(t, s.URL(t))
					require.Equal(t, s.Name, r.db.Dialect())
					c.run(t, r)
				})
			}
		})
	}
}

func newClub(t *testing.T, r *clubRepos, name string) club.Club {
	t.Helper()
	c, err := club.New(club.Fields{Name: name, Category: "Games", Description: "About " + name, Advisor: "Dr. K"})
	require.NoError(t, err)
	c.CreatedAt, c.UpdatedAt = base, base
	require.NoError(t, r.clubs.Create(context.Background(), &c))
	require.NotZero(t, c.ID)
	return c
}

func newMember(t *testing.T, r *clubRepos, clubID, studentID int64, role club.Role, active bool) club.Member {
	t.Helper()
	m := club.Member{ClubID: clubID, StudentID: studentID, Role: role, IsActive: active, JoinedAt: at(time.Hour), UpdatedAt: at(time.Hour)}
	require.NoError(t, r.members.Save(context.Background(), &m))
	require.NotZero(t, m.ID)
	return m
}

func newActivity(t *testing.T, r *clubRepos, clubID int64, title string, mod func(*club.ActivityFields)) club.Activity {
	t.Helper()
	f := club.ActivityFields{Title: title, ActivityType: "meeting", StartsAt: at(24 * time.Hour)}
	if mod != nil {
		mod(&f)
	}
	a, err := club.NewActivity(clubID, f)
	require.NoError(t, err)
	a.CreatedAt, a.UpdatedAt = base, base
	require.NoError(t, r.activities.Create(context.Background(), &a))
	require.NotZero(t, a.ID)
	return a
}

func testClubCRUD(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	got, err := r.clubs.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got, "what is written is read back, times in UTC at microseconds")
	assert.Equal(t, time.UTC, got.CreatedAt.Location())

	later := at(time.Hour)
	got, err = r.clubs.Update(ctx, c.ID, func(x *club.Club) error {
		x.Advisor, x.MemberCount, x.AcceptingMembers, x.UpdatedAt = "Dr. Q", 4, false, later
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "Dr. Q", got.Advisor)
	again, err := r.clubs.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, got, again)
	assert.Equal(t, 4, again.MemberCount)
	assert.False(t, again.AcceptingMembers)
	assert.Equal(t, later, again.UpdatedAt)
	assert.Equal(t, c.CreatedAt, again.CreatedAt)

	_, err = r.clubs.Get(ctx, 999999)
	assertKind(t, err, fault.NotFound)
	_, err = r.clubs.Update(ctx, 999999, func(*club.Club) error { return nil })
	assertKind(t, err, fault.NotFound)
	assertKind(t, r.clubs.Delete(ctx, 999999), fault.NotFound)
}

func testClubNameUnique(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	newClub(t, r, "Chess")
	other := newClub(t, r, "Drama")
	dup, err := club.New(club.Fields{Name: "CHESS"})
	require.NoError(t, err)
	assertKind(t, r.clubs.Create(ctx, &dup), fault.Conflict)
	_, err = r.clubs.Update(ctx, other.ID, func(x *club.Club) error { x.Name = "chess"; return nil })
	assertKind(t, err, fault.Conflict)
	// Renaming a club to another case of its own name is fine.
	got, err := r.clubs.Update(ctx, other.ID, func(x *club.Club) error { x.Name = "DRAMA"; return nil })
	require.NoError(t, err)
	assert.Equal(t, "DRAMA", got.Name)
}

func testClubList(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	var ids []int64
	for i, name := range []string{"Chess", "Go 100%", "Drama", "Robotics", "Debate"} {
		c := newClub(t, r, name)
		ids = append(ids, c.ID)
		if i%2 == 1 {
			_, err := r.clubs.Update(ctx, c.ID, func(x *club.Club) error { x.Category, x.IsActive = "arts", false; return nil })
			require.NoError(t, err)
		}
	}
	all, err := r.clubs.List(ctx, club.Filter{}, page.Request{Limit: 2, Offset: 1})
	require.NoError(t, err)
	assert.Equal(t, 5, all.Total)
	require.Len(t, all.Items, 2)
	assert.Equal(t, []int64{ids[1], ids[2]}, []int64{all.Items[0].ID, all.Items[1].ID}, "ordered by id")

	arts, err := r.clubs.List(ctx, club.Filter{Category: "ARTS"}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 2, arts.Total)
	inactive, err := r.clubs.List(ctx, club.Filter{IsActive: ptr(false)}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 2, inactive.Total)
	accepting, err := r.clubs.List(ctx, club.Filter{AcceptingMembers: ptr(true), IsActive: ptr(true)}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 3, accepting.Total)
	q, err := r.clubs.List(ctx, club.Filter{Query: "DEB"}, page.Request{})
	require.NoError(t, err)
	require.Equal(t, 1, q.Total)
	assert.Equal(t, "Debate", q.Items[0].Name)
	pct, err := r.clubs.List(ctx, club.Filter{Query: "100%"}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 1, pct.Total, "%% is taken literally")
	desc, err := r.clubs.List(ctx, club.Filter{Query: "about robo"}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 1, desc.Total, "q searches the description too")
}

func testClubUpdateAbort(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	boom := fault.New(fault.BadRequest, "no")
	_, err := r.clubs.Update(ctx, c.ID, func(x *club.Club) error { x.MemberCount = 9; return boom })
	require.ErrorIs(t, err, boom)
	got, err := r.clubs.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Zero(t, got.MemberCount)
}

func testClubReferenced(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	empty := newClub(t, r, "Empty")
	withMember := newClub(t, r, "Members")
	withActivity := newClub(t, r, "Activities")
	s := newStudent(t, r.repos, "CS-1", nil)
	newMember(t, r, withMember.ID, s.ID, club.RoleMember, false)
	newActivity(t, r, withActivity.ID, "Kick-off", nil)
	for c, want := range map[int64]bool{empty.ID: false, withMember.ID: true, withActivity.ID: true} {
		got, err := r.clubs.Referenced(ctx, c)
		require.NoError(t, err)
		assert.Equal(t, want, got, "club %d", c)
	}
	require.NoError(t, r.clubs.Delete(ctx, empty.ID))
	_, err := r.clubs.Get(ctx, empty.ID)
	assertKind(t, err, fault.NotFound)

	// A student with a membership is not deleted under it.
	assertKind(t, r.students.Delete(ctx, s.ID), fault.Invalid)
}

func testClubMembers(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	other := newClub(t, r, "Drama")
	s1, s2, s3 := newStudent(t, r.repos, "CS-1", nil), newStudent(t, r.repos, "CS-2", nil), newStudent(t, r.repos, "CS-3", nil)
	m1 := newMember(t, r, c.ID, s1.ID, club.RolePresident, true)
	m2 := newMember(t, r, c.ID, s2.ID, club.RoleMember, false)
	m3 := newMember(t, r, c.ID, s3.ID, club.RoleMember, true)
	newMember(t, r, other.ID, s1.ID, club.RoleMember, true)

	got, err := r.members.Get(ctx, c.ID, m1.ID)
	require.NoError(t, err)
	assert.Equal(t, m1, got)
	_, err = r.members.Get(ctx, other.ID, m1.ID)
	assertKind(t, err, fault.NotFound)
	found, err := r.members.Find(ctx, c.ID, s2.ID)
	require.NoError(t, err)
	assert.Equal(t, m2, found)
	_, err = r.members.Find(ctx, other.ID, s2.ID)
	assertKind(t, err, fault.NotFound)
	holder, err := r.members.Holder(ctx, c.ID, club.RolePresident)
	require.NoError(t, err)
	assert.Equal(t, m1.ID, holder.ID)
	_, err = r.members.Holder(ctx, c.ID, club.RoleTreasurer)
	assertKind(t, err, fault.NotFound)

	list, err := r.members.List(ctx, club.MemberFilter{ClubID: c.ID}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 3, list.Total)
	assert.Equal(t, []club.Member{m1, m2, m3}, list.Items)
	active, err := r.members.List(ctx, club.MemberFilter{ClubID: c.ID, IsActive: ptr(true), Role: club.RoleMember}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, []club.Member{m3}, active.Items)
	byStudent, err := r.members.List(ctx, club.MemberFilter{ClubID: c.ID, StudentID: &s2.ID}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, 1, byStudent.Total)

	set, err := r.members.Active(ctx, c.ID, []int64{s1.ID, s2.ID, s3.ID, 999999})
	require.NoError(t, err)
	assert.Equal(t, map[int64]bool{s1.ID: true, s3.ID: true}, set)

	// Save updates in place; Delete removes.
	m2.IsActive, m2.Role, m2.JoinedAt, m2.UpdatedAt = true, club.RoleSecretary, at(2*time.Hour), at(2*time.Hour)
	require.NoError(t, r.members.Save(ctx, &m2))
	got, err = r.members.Get(ctx, c.ID, m2.ID)
	require.NoError(t, err)
	assert.Equal(t, m2, got)
	require.NoError(t, r.members.Delete(ctx, c.ID, m3.ID))
	assertKind(t, r.members.Delete(ctx, c.ID, m3.ID), fault.NotFound)
	assertKind(t, r.members.Delete(ctx, other.ID, m2.ID), fault.NotFound) // a member of another club
	ghost := club.Member{ID: 999999, ClubID: c.ID, StudentID: s3.ID, Role: club.RoleMember}
	assertKind(t, r.members.Save(ctx, &ghost), fault.NotFound)
}

func testClubMemberConstraints(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	s1, s2 := newStudent(t, r.repos, "CS-1", nil), newStudent(t, r.repos, "CS-2", nil)
	newMember(t, r, c.ID, s1.ID, club.RolePresident, true)
	dup := club.Member{ClubID: c.ID, StudentID: s1.ID, Role: club.RoleMember, IsActive: false}
	assertKind(t, r.members.Save(ctx, &dup), fault.Conflict)
	office := club.Member{ClubID: c.ID, StudentID: s2.ID, Role: club.RolePresident, IsActive: true}
	assertKind(t, r.members.Save(ctx, &office), fault.Conflict)
	office.IsActive = false
	require.NoError(t, r.members.Save(ctx, &office), "an inactive former president does not hold the office")
	ghost := club.Member{ClubID: c.ID, StudentID: 999999, Role: club.RoleMember, IsActive: true}
	assertKind(t, r.members.Save(ctx, &ghost), fault.Invalid)
}

func testClubActivities(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	other := newClub(t, r, "Drama")
	a1 := newActivity(t, r, c.ID, "Kick-off", func(f *club.ActivityFields) {
		end := at(26 * time.Hour)
		f.EndsAt, f.Location, f.Capacity = &end, ptr("Hall A"), ptr(30)
	})
	a2 := newActivity(t, r, c.ID, "Blitz", func(f *club.ActivityFields) { f.StartsAt, f.Status = at(72*time.Hour), "completed" })
	newActivity(t, r, other.ID, "Rehearsal", nil)

	got, err := r.activities.Get(ctx, c.ID, a1.ID)
	require.NoError(t, err)
	assert.Equal(t, a1, got)
	_, err = r.activities.Get(ctx, other.ID, a1.ID)
	assertKind(t, err, fault.NotFound)

	list, err := r.activities.List(ctx, club.ActivityFilter{ClubID: c.ID}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, []club.Activity{a1, a2}, list.Items)
	done, err := r.activities.List(ctx, club.ActivityFilter{ClubID: c.ID, Status: club.Completed}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, []club.Activity{a2}, done.Items)
	from, to := at(24*time.Hour), at(48*time.Hour)
	window, err := r.activities.List(ctx, club.ActivityFilter{ClubID: c.ID, From: &from, To: &to}, page.Request{})
	require.NoError(t, err)
	assert.Equal(t, []club.Activity{a1}, window.Items, "bounds are inclusive")

	a1.Status, a1.Capacity, a1.Location, a1.UpdatedAt = club.Ongoing, nil, nil, at(time.Hour)
	require.NoError(t, r.activities.Save(ctx, a1))
	got, err = r.activities.Get(ctx, c.ID, a1.ID)
	require.NoError(t, err)
	assert.Equal(t, a1, got)
	moved := a1
	moved.ClubID = other.ID
	assertKind(t, r.activities.Save(ctx, moved), fault.NotFound) // saved only under its own club

	assertKind(t, r.activities.Delete(ctx, other.ID, a1.ID), fault.NotFound)
	require.NoError(t, r.activities.Delete(ctx, c.ID, a1.ID))
	_, err = r.activities.Get(ctx, c.ID, a1.ID)
	assertKind(t, err, fault.NotFound)
}

func testClubAttendance(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	a := newActivity(t, r, c.ID, "Blitz", nil)
	s1, s2 := newStudent(t, r.repos, "CS-1", nil), newStudent(t, r.repos, "CS-2", nil)
	require.NoError(t, r.activities.SaveAttendance(ctx, []club.Attendance{
		{ActivityID: a.ID, StudentID: s2.ID, Present: true, RecordedAt: at(0)},
		{ActivityID: a.ID, StudentID: s1.ID, Present: false, RecordedAt: at(0)}}))
	require.NoError(t, r.activities.SaveAttendance(ctx, []club.Attendance{
		{ActivityID: a.ID, StudentID: s1.ID, Present: true, RecordedAt: at(time.Minute)}}))
	rows, err := r.activities.Attendance(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, []club.Attendance{
		{ActivityID: a.ID, StudentID: s1.ID, Present: true, RecordedAt: at(time.Minute)},
		{ActivityID: a.ID, StudentID: s2.ID, Present: true, RecordedAt: at(0)}}, rows, "one row per student, upserted")

	// Deleting the activity takes its attendance along.
	require.NoError(t, r.activities.Delete(ctx, c.ID, a.ID))
	rows, err = r.activities.Attendance(ctx, a.ID)
	require.NoError(t, err)
	assert.Empty(t, rows)
}

func testClubCounts(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	c := newClub(t, r, "Chess")
	other := newClub(t, r, "Drama")
	var students []int64
	for i := 0; i < 4; i++ {
		students = append(students, newStudent(t, r.repos, fmt.Sprintf("CS-%d", i), nil).ID)
	}
	newMember(t, r, c.ID, students[0], club.RolePresident, true)
	newMember(t, r, c.ID, students[1], club.RoleMember, true)
	newMember(t, r, c.ID, students[2], club.RoleMember, false)
	newMember(t, r, other.ID, students[3], club.RoleMember, true)
	done := newActivity(t, r, c.ID, "Done", func(f *club.ActivityFields) { f.Status = "completed" })
	doneEmpty := newActivity(t, r, c.ID, "Done, no attendance", func(f *club.ActivityFields) { f.Status = "completed" })
	planned := newActivity(t, r, c.ID, "Planned", nil)
	require.NoError(t, r.activities.SaveAttendance(ctx, []club.Attendance{
		{ActivityID: done.ID, StudentID: students[0], Present: true, RecordedAt: at(0)},
		{ActivityID: done.ID, StudentID: students[1], Present: false, RecordedAt: at(0)},
		{ActivityID: done.ID, StudentID: students[2], Present: true, RecordedAt: at(0)},
		{ActivityID: planned.ID, StudentID: students[0], Present: true, RecordedAt: at(0)}}))
	_ = doneEmpty

	n, err := r.clubs.Counts(ctx, c.ID)
	require.NoError(t, err)
	assert.ElementsMatch(t, []club.RoleCount{{Role: club.RoleMember, Active: false, N: 1}, {Role: club.RoleMember, Active: true, N: 1},
		{Role: club.RolePresident, Active: true, N: 1}}, n.Members)
	assert.Equal(t, map[club.Status]int{club.Completed: 2, club.Planned: 1}, n.Activities)
	assert.Equal(t, []club.Turnout{{ActivityID: done.ID, Present: 2, Recorded: 3}}, n.Completed,
		"only completed activities with attendance")

	empty, err := r.clubs.Counts(ctx, newClub(t, r, "Empty").ID)
	require.NoError(t, err)
	assert.Empty(t, empty.Members)
	assert.Empty(t, empty.Activities)
	assert.Empty(t, empty.Completed)
}

// testClubConcurrentJoins: 20 students join one club at once through the
// real use case, a few of them twice; every student ends up a member once
// and member_count equals the active membership rows exactly.
func testClubConcurrentJoins(t *testing.T, r *clubRepos) {
	ctx := context.Background()
	svc := appclub.NewService(appclub.Deps{Clubs: r.clubs, Members: r.members, Activities: r.activities, Students: r.students,
		Audit: r.audit, Tx: r.tx, Clock: system.NewClock(), Outbox: store.NewOutbox(r.db), IDs: system.NewIDs()})
	c := newClub(t, r, "Chess")
	const n = 20
	actors := make([]identity.Actor, n)
	for i := range actors {
		s := newStudent(t, r.repos, fmt.Sprintf("CS-%02d", i), nil)
		actors[i] = identity.Actor{UserID: int64(100 + i), Role: identity.RoleStudent, StudentID: &s.ID}
	}
	// Students 0-3 try twice: each pair has one winner and one 409.
	calls := append(append([]identity.Actor{}, actors...), actors[:4]...)
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, a := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// SQLite may report busy under this burst; a client retries.
			for try := 0; try < 20; try++ {
				_, errs[i] = svc.Join(ctx, a, c.ID)
				if fault.KindOf(errs[i]) != fault.Unavailable {
					return
				}
				time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
			}
		}()
	}
	close(start)
	wg.Wait()

	joined, conflicts := 0, 0
	for i, err := range errs {
		switch fault.KindOf(err) {
		case fault.Unknown:
			require.NoError(t, err, "call %d", i)
			joined++
		case fault.Conflict:
			conflicts++
		default:
			t.Fatalf("call %d: %v", i, err)
		}
	}
	assert.Equal(t, n, joined)
	assert.Equal(t, 4, conflicts)

	got, err := r.clubs.Get(ctx, c.ID)
	require.NoError(t, err)
	rows, err := r.members.List(ctx, club.MemberFilter{ClubID: c.ID, IsActive: ptr(true)}, page.Request{Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, n, rows.Total)
	assert.Equal(t, rows.Total, got.MemberCount, "member_count equals the active rows")

	// Leaving concurrently (half of them) keeps it exact too.
	for i := 0; i < n/2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for try := 0; try < 20; try++ {
				_, err := svc.Leave(ctx, actors[i], c.ID)
				if fault.KindOf(err) != fault.Unavailable {
					assert.NoError(t, err)
					return
				}
				time.Sleep(time.Duration(try+1) * 10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	got, err = r.clubs.Get(ctx, c.ID)
	require.NoError(t, err)
	rows, err = r.members.List(ctx, club.MemberFilter{ClubID: c.ID, IsActive: ptr(true)}, page.Request{Limit: 100})
	require.NoError(t, err)
	assert.Equal(t, n/2, rows.Total)
	assert.Equal(t, rows.Total, got.MemberCount)

	// One event per successful change, with the count after it.
	events, err := store.NewOutbox(r.db).Pending(ctx, 100)
	require.NoError(t, err)
	counts := map[string][]int{}
	for _, e := range events {
		if e.Type == event.ClubMembershipChanged {
			a := e.Payload["action"].(string)
			counts[a] = append(counts[a], int(e.Payload["member_count"].(float64)))
		}
	}
	sort.Ints(counts["joined"])
	sort.Ints(counts["left"])
	want := func(from, to int) []int {
		var out []int
		for i := from; i <= to; i++ {
			out = append(out, i)
		}
		return out
	}
	assert.Equal(t, want(1, n), counts["joined"], "each join saw the count after it, serialised")
	assert.Equal(t, want(n/2, n-1), counts["left"])
}
