package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// attendanceRiskRepos is a fresh database seen through the attendance-risk
// agent's port and the repositories that fill it.
type attendanceRiskRepos struct {
	*repos
	stats   ports.AttendanceStats
	records ports.AttendanceRepository
	risks   ports.RiskRepository
}

// TestAttendanceStats runs the attendance-risk agent's store contract, and
// the users' department, on every database, each case on a fresh one.
func TestAttendanceStats(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *attendanceRiskRepos)
	}{
		{"StudentFigures", testStudentFigures},
		{"StudentFiguresWithoutAttendance", testStudentFiguresStreakWithoutAttendance},
		{"FiguresPage", testFiguresPage},
		{"OpenAttendanceRisks", testOpenAttendanceRisks},
		{"LatestResolved", testLatestResolved},
		{"Audience", testAudience},
		{"UserDepartment", testUserDepartment},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, &attendanceRiskRepos{repos: r, stats: store.NewAttendanceStats(r.db),
						records: store.NewAttendanceRepository(r.db), risks: store.NewRiskRepository(r.db)})
				})
			}
		})
	}
}

// window is 2026-10-29 to 2026-11-27, the recent half from 2026-11-13.
var window = risk.AttendanceWindowEnding(day("2026-11-27"))

func markFor(t *testing.T, r *attendanceRiskRepos, studentID int64, date, session string, status attendance.Status) {
	t.Helper()
	rec := attendance.Record{StudentID: studentID, Date: day(date), Session: session, Status: status}
	require.NoError(t, r.records.Create(context.Background(), &rec))
}

func openAttendanceRisk(t *testing.T, r *attendanceRiskRepos, studentID int64) risk.Risk {
	t.Helper()
	a := risk.AssessAttendance(risk.AttendanceFigures{Absent: 6, ConsecutiveAbsences: 6}, risk.AttendanceThresholds{Warn: 0.75, High: 0.6})
	x, err := risk.NewAttendanceRisk(a, studentID, "attendance-risk", base)
	require.NoError(t, err)
	require.NoError(t, r.risks.Create(context.Background(), &x))
	return x
}

func testStudentFigures(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	a, b := newStudent(t, r.repos, "CS-001", nil), newStudent(t, r.repos, "CS-002", nil)
	for _, m := range []struct {
		date, session string
		status        attendance.Status
	}{
		{"2026-10-28", "daily", attendance.Absent}, // the day before the window
		{"2026-10-29", "daily", attendance.Present},
		{"2026-11-01", "daily", attendance.Late},
		{"2026-11-05", "daily", attendance.Absent},
		{"2026-11-12", "daily", attendance.Excused},
		{"2026-11-13", "daily", attendance.Present}, // the recent half starts
		{"2026-11-13", "afternoon", attendance.Absent},
		{"2026-11-20", "daily", attendance.Late}, // the latest attendance
		{"2026-11-20", "afternoon", attendance.Absent},
		{"2026-11-22", "daily", attendance.Absent},
		{"2026-11-23", "daily", attendance.Excused}, // neither counts nor ends the run
		{"2026-11-25", "daily", attendance.Absent},
		{"2026-11-25", "afternoon", attendance.Absent},
		{"2026-11-28", "daily", attendance.Absent}, // after today
	} {
		markFor(t, r, a.ID, m.date, m.session, m.status)
	}
	markFor(t, r, b.ID, "2026-11-26", "daily", attendance.Present)

	f, err := r.stats.StudentFigures(ctx, a.ID, window)
	require.NoError(t, err)
	assert.Equal(t, risk.AttendanceFigures{StudentID: a.ID, Present: 2, Late: 2, Absent: 6, Excused: 2,
		RecentAttended: 2, RecentDue: 7, ConsecutiveAbsences: 3}, f)

	// Another window: the run ends at the latest attendance inside it.
	f, err = r.stats.StudentFigures(ctx, a.ID, risk.AttendanceWindowEnding(day("2026-11-21")))
	require.NoError(t, err)
	assert.Zero(t, f.ConsecutiveAbsences, "the 2026-11-20 afternoon absence is on the day of the latest attendance; 2026-11-22 is after the window")
	assert.Equal(t, 2, f.Present)

	f, err = r.stats.StudentFigures(ctx, b.ID, window)
	require.NoError(t, err)
	assert.Equal(t, risk.AttendanceFigures{StudentID: b.ID, Present: 1, RecentAttended: 1, RecentDue: 1}, f)

	// No records (or no such student): zero figures.
	f, err = r.stats.StudentFigures(ctx, 999, window)
	require.NoError(t, err)
	assert.Equal(t, risk.AttendanceFigures{StudentID: 999}, f)

	// Several students in one statement: the same figures, by ascending
	// id, each once, zero for those without records.
	one := func(id int64) risk.AttendanceFigures {
		f, err := r.stats.StudentFigures(ctx, id, window)
		require.NoError(t, err)
		return f
	}
	all, err := r.stats.StudentsFigures(ctx, []int64{999, b.ID, a.ID, b.ID}, window)
	require.NoError(t, err)
	assert.Equal(t, []risk.AttendanceFigures{one(min(a.ID, b.ID)), one(max(a.ID, b.ID)), {StudentID: 999}}, all)
	none, err := r.stats.StudentsFigures(ctx, nil, window)
	require.NoError(t, err)
	assert.Empty(t, none)

	// Inside a transaction the figures see its uncommitted marks.
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		rec := attendance.Record{StudentID: b.ID, Date: day("2026-11-27"), Session: "daily", Status: attendance.Absent}
		require.NoError(t, r.records.Create(ctx, &rec))
		f, err := r.stats.StudentFigures(ctx, b.ID, window)
		require.NoError(t, err)
		assert.Equal(t, 1, f.Absent)
		return fault.New(fault.Conflict, "roll back")
	})
	assertKind(t, err, fault.Conflict)
	f, err = r.stats.StudentFigures(ctx, b.ID, window)
	require.NoError(t, err)
	assert.Zero(t, f.Absent)
}

func testStudentFiguresStreakWithoutAttendance(t *testing.T, r *attendanceRiskRepos) {
	s := newStudent(t, r.repos, "CS-001", nil)
	markFor(t, r, s.ID, "2026-10-01", "daily", attendance.Present) // before the window: does not end the run
	for _, d := range []string{"2026-11-02", "2026-11-14", "2026-11-27"} {
		markFor(t, r, s.ID, d, "daily", attendance.Absent)
	}
	markFor(t, r, s.ID, "2026-11-15", "daily", attendance.Excused)
	f, err := r.stats.StudentFigures(context.Background(), s.ID, window)
	require.NoError(t, err)
	assert.Equal(t, risk.AttendanceFigures{StudentID: s.ID, Absent: 3, Excused: 1, RecentDue: 2, ConsecutiveAbsences: 3}, f)
}

func testFiguresPage(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	s := make([]student.Student, 5)
	for i := range s {
		s[i] = newStudent(t, r.repos, "CS-00"+string(rune('1'+i)), nil)
	}
	markFor(t, r, s[0].ID, "2026-11-20", "daily", attendance.Absent)
	markFor(t, r, s[0].ID, "2026-11-21", "daily", attendance.Present)
	markFor(t, r, s[1].ID, "2026-09-01", "daily", attendance.Absent) // s[1]: nothing in the window
	markFor(t, r, s[2].ID, "2026-11-01", "daily", attendance.Late)
	openAttendanceRisk(t, r, s[3].ID) // s[3]: an open record, no attendance
	markFor(t, r, s[4].ID, "2026-11-27", "daily", attendance.Absent)
	// Neither a resolved attendance record nor another open record brings s[1] in.
	old := openAttendanceRisk(t, r, s[1].ID)
	_, err := r.risks.Update(ctx, old.ID, func(x *risk.Risk) error {
		return x.Apply(risk.Change{Status: ptr("resolved")}, 1, base)
	})
	require.NoError(t, err)
	newRiskRecord(t, &riskRepos{repos: r.repos, risks: r.risks}, &s[1].ID, "academic", "high")

	type pageOut struct {
		ids  []int64
		next int64
	}
	var pages []pageOut
	var all []risk.AttendanceFigures
	after := int64(0)
	for i := 0; i < 10; i++ {
		page, next, err := r.stats.FiguresPage(ctx, window, after, 2)
		require.NoError(t, err)
		var ids []int64
		for _, f := range page {
			ids = append(ids, f.StudentID)
		}
		pages = append(pages, pageOut{ids: ids, next: next})
		all = append(all, page...)
		if next == 0 {
			break
		}
		after = next
	}
	assert.Equal(t, []pageOut{
		{ids: []int64{s[0].ID}, next: s[1].ID},
		{ids: []int64{s[2].ID, s[3].ID}, next: s[3].ID},
		{ids: []int64{s[4].ID}, next: s[4].ID},
		{ids: nil, next: 0},
	}, pages)
	assert.Equal(t, []risk.AttendanceFigures{
		{StudentID: s[0].ID, Present: 1, Absent: 1, RecentAttended: 1, RecentDue: 2},
		{StudentID: s[2].ID, Late: 1},
		{StudentID: s[3].ID},
		{StudentID: s[4].ID, Absent: 1, RecentDue: 1, ConsecutiveAbsences: 1},
	}, all)

	// One page for everyone.
	page, next, err := r.stats.FiguresPage(ctx, window, 0, 1000)
	require.NoError(t, err)
	assert.Len(t, page, 4)
	assert.Equal(t, s[4].ID, next)
}

func testOpenAttendanceRisks(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	a, b, c := newStudent(t, r.repos, "CS-001", nil), newStudent(t, r.repos, "CS-002", nil), newStudent(t, r.repos, "CS-003", nil)
	ra := openAttendanceRisk(t, r, a.ID)
	rb := openAttendanceRisk(t, r, b.ID)
	_, err := r.risks.Update(ctx, rb.ID, func(x *risk.Risk) error {
		return x.Apply(risk.Change{Status: ptr("resolved")}, 1, base)
	})
	require.NoError(t, err)
	newRiskRecord(t, &riskRepos{repos: r.repos, risks: r.risks}, &c.ID, "attendance", "high") // manual: no subject key

	got, err := r.stats.OpenAttendanceRisks(ctx, []int64{a.ID, b.ID, c.ID, 999})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, ra.ID, got[a.ID].ID)
	assert.Equal(t, risk.AttendanceSubject(a.ID), got[a.ID].SubjectKey)
	assert.Equal(t, ra.Factors, got[a.ID].Factors)

	got, err = r.stats.OpenAttendanceRisks(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func testLatestResolved(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	s, other := newStudent(t, r.repos, "CS-001", nil), newStudent(t, r.repos, "CS-002", nil)
	resolve := func(id int64, at time.Time, by int64) {
		t.Helper()
		_, err := r.risks.Update(ctx, id, func(x *risk.Risk) error { return x.Apply(risk.Change{Status: ptr("resolved")}, by, at) })
		require.NoError(t, err)
	}
	first := openAttendanceRisk(t, r, s.ID)
	resolve(first.ID, base.Add(time.Hour), 3)
	second := openAttendanceRisk(t, r, s.ID)
	resolve(second.ID, base.Add(2*time.Hour), 4)
	openAttendanceRisk(t, r, s.ID) // open: not resolved
	newRiskRecord(t, &riskRepos{repos: r.repos, risks: r.risks}, &other.ID, "attendance", "high")

	third := newStudent(t, r.repos, "CS-003", nil)
	only := openAttendanceRisk(t, r, third.ID)
	resolve(only.ID, base.Add(30*time.Minute), 5)

	latest, err := r.stats.LatestResolvedOf(ctx, []int64{s.ID, other.ID, third.ID, 999})
	require.NoError(t, err)
	require.Len(t, latest, 2, "a manual record has no subject key; 999 has none")
	got := latest[s.ID]
	assert.Equal(t, second.ID, got.ID)
	assert.Equal(t, int64(4), *got.ResolvedBy)
	assert.Equal(t, at(2*time.Hour), *got.ResolvedAt)
	assert.Equal(t, only.ID, latest[third.ID].ID)

	latest, err = r.stats.LatestResolvedOf(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, latest)
}

func testAudience(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	s := newStudent(t, r.repos, "CS-001", func(f *student.Fields) { f.Name, f.Department = "Asha Rao", "Computer Science" })
	other := newStudent(t, r.repos, "CS-002", func(f *student.Fields) { f.Department = "Physics" })
	dept := func(d string) func(*identity.User) { return func(u *identity.User) { u.Department = &d } }
	inactive := func(u *identity.User) { u.IsActive = false }
	own := newUser(t, r.repos, "asha", identity.RoleStudent, func(u *identity.User) { u.StudentID = &s.ID })
	newUser(t, r.repos, "other", identity.RoleStudent, func(u *identity.User) { u.StudentID = &other.ID })
	cs1 := newUser(t, r.repos, "cs1", identity.RoleStaff, dept("Computer Science"))
	cs2 := newUser(t, r.repos, "cs2", identity.RoleStaff, dept(" computer science "))
	newUser(t, r.repos, "cs3", identity.RoleStaff, func(u *identity.User) { dept("Computer Science")(u); inactive(u) })
	newUser(t, r.repos, "phy", identity.RoleStaff, dept("Physics"))
	newUser(t, r.repos, "nodept", identity.RoleStaff, nil)
	newUser(t, r.repos, "guest", identity.RoleGuest, dept("Computer Science"))
	adm := newUser(t, r.repos, "adm", identity.RoleAdmin, nil)
	newUser(t, r.repos, "adm2", identity.RoleAdmin, inactive)

	// A student without accounts in a department without staff.
	lone := newStudent(t, r.repos, "CS-003", func(f *student.Fields) { f.Department = "Music" })
	auds, err := r.stats.Audiences(ctx, []int64{lone.ID, s.ID, 999})
	require.NoError(t, err)
	require.Len(t, auds, 2, "an unknown student is not there")
	assert.Equal(t, ports.RiskAudience{StudentName: "Asha Rao", RollNo: "CS-001", Department: "Computer Science",
		StudentUser: []int64{own.ID}, Staff: []int64{cs1.ID, cs2.ID}, Admins: []int64{adm.ID}}, auds[s.ID])
	a := auds[lone.ID]
	assert.Empty(t, a.StudentUser)
	assert.Empty(t, a.Staff)
	assert.Equal(t, []int64{adm.ID}, a.Admins)

	auds, err = r.stats.Audiences(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, auds)
}

func testUserDepartment(t *testing.T, r *attendanceRiskRepos) {
	ctx := context.Background()
	cs := "Computer Science"
	u := newUser(t, r.repos, "staff9", identity.RoleStaff, func(u *identity.User) { u.Department = &cs })
	got, err := r.users.Get(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, got.Department)
	assert.Equal(t, cs, *got.Department)

	var none *string
	_, err = r.users.Update(ctx, u.ID, func(x *identity.User) error {
		_, err := x.ApplyAdmin(identity.AdminChange{Department: &none})
		return err
	})
	require.NoError(t, err)
	got, err = r.users.GetByUsername(ctx, "staff9")
	require.NoError(t, err)
	assert.Nil(t, got.Department)

	phy := ptr("Physics")
	updated, err := r.users.Update(ctx, u.ID, func(x *identity.User) error {
		x.UpdatedAt = base.Add(time.Hour)
		_, err := x.ApplyAdmin(identity.AdminChange{Department: &phy})
		return err
	})
	require.NoError(t, err)
	assert.Equal(t, "Physics", *updated.Department)
	plain := newUser(t, r.repos, "staff10", identity.RoleStaff, nil)
	got, err = r.users.Get(ctx, plain.ID)
	require.NoError(t, err)
	assert.Nil(t, got.Department)
}
