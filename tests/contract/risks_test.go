package contract_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// riskRepos is a fresh database seen through the risk slice's ports.
type riskRepos struct {
	*repos
	risks  ports.RiskRepository
	lookup ports.StudentLookup
}

// TestRiskStore runs the risk repository and student lookup contract on
// every database, each case on a fresh one.
func TestRiskStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *riskRepos)
	}{
		{"CRUD", testRiskCRUD},
		{"UnknownStudent", testRiskUnknownStudent},
		{"List", testRiskList},
		{"OpenForStudent", testRiskOpenForStudent},
		{"UpdateAbortAndRollback", testRiskUpdateAbort},
		{"ConcurrentResolve", testRiskConcurrentResolve},
		{"UpdateMany", testRiskUpdateMany},
		{"CreateMany", testRiskCreateMany},
		{"UpdateManyConcurrent", testRiskUpdateManyConcurrent},
		{"StudentDeleteUnlinks", testRiskStudentDelete},
		{"StudentLookup", testStudentLookup},
		{"Subject", testRiskSubject},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, &riskRepos{repos: r, risks: store.NewRiskRepository(r.db), lookup: store.NewStudentLookup(r.db)})
				})
			}
		})
	}
}

func newRiskRecord(t *testing.T, r *riskRepos, studentID *int64, typ, sev string) risk.Risk {
	t.Helper()
	x, err := risk.New(risk.Fields{StudentID: studentID, Type: typ, Severity: sev, Description: "Concern " + typ}, risk.SourceManual, base)
	require.NoError(t, err)
	require.NoError(t, r.risks.Create(context.Background(), &x))
	require.NotZero(t, x.ID)
	return x
}

func testRiskCRUD(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	s := newStudent(t, r.repos, "CS-001", nil)
	x, err := risk.New(risk.Fields{StudentID: &s.ID, Type: "attendance", Severity: "high", Score: ptr(62.5),
		Description: "Absent 6 of the last 10 days", ActionTaken: ptr("Emailed"),
		Factors: []risk.Factor{{Name: "absence_rate", Value: 0.6, Weight: 0.7, Contribution: 42},
			{Name: "trend", Value: "worsening", Weight: 0.3, Contribution: 20.5}, {Name: "excused", Value: false}, {Name: "note", Value: nil}},
	}, "attendance_agent", base)
	require.NoError(t, err)
	require.NoError(t, r.risks.Create(ctx, &x))
	assert.Equal(t, at(0), x.CreatedAt, "timestamps are normalised to microseconds in UTC")

	got, err := r.risks.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, x, got, "every field round-trips, factor values keep their JSON kinds")
	assert.Equal(t, time.UTC, got.CreatedAt.Location())

	resolved, err := r.risks.Update(ctx, x.ID, func(y *risk.Risk) error {
		return y.Apply(risk.Change{Status: ptr("resolved"), ActionTaken: ptr(ptr("Met the student"))}, 42, at(time.Hour))
	})
	require.NoError(t, err)
	assert.Equal(t, risk.Resolved, resolved.Status)
	assert.Equal(t, at(time.Hour), *resolved.ResolvedAt)
	assert.Equal(t, int64(42), *resolved.ResolvedBy)
	got, err = r.risks.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, resolved, got)
	assert.Equal(t, x.CreatedAt, got.CreatedAt)

	reopened, err := r.risks.Update(ctx, x.ID, func(y *risk.Risk) error {
		return y.Apply(risk.Change{Status: ptr("open")}, 42, at(2*time.Hour))
	})
	require.NoError(t, err)
	assert.Nil(t, reopened.ResolvedAt)
	assert.Nil(t, reopened.ResolvedBy)

	_, err = r.risks.Get(ctx, 999999)
	assertKind(t, err, fault.NotFound)
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Risk not found", fe.Message)
	_, err = r.risks.Update(ctx, 999999, func(*risk.Risk) error { return nil })
	assertKind(t, err, fault.NotFound)

	none := newRiskRecord(t, r, nil, "other", "low")
	got, err = r.risks.Get(ctx, none.ID)
	require.NoError(t, err)
	assert.Nil(t, got.StudentID)
	assert.Nil(t, got.Score)
	assert.NotNil(t, got.Factors)
	assert.Empty(t, got.Factors)
}

func testRiskUnknownStudent(t *testing.T, r *riskRepos) {
	x, err := risk.New(risk.Fields{StudentID: ptr[int64](424242), Type: "health", Severity: "low", Description: "x"}, risk.SourceManual, base)
	require.NoError(t, err)
	assertKind(t, r.risks.Create(context.Background(), &x), fault.Invalid)
}

func testRiskList(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	a := newStudent(t, r.repos, "CS-001", nil)
	b := newStudent(t, r.repos, "CS-002", nil)
	var ids []int64
	for i, spec := range [][2]string{{"attendance", "high"}, {"academic", "low"}, {"attendance", "critical"}, {"health", "high"}, {"attendance", "high"}} {
		sid := &a.ID
		if i%2 == 1 {
			sid = &b.ID
		}
		ids = append(ids, newRiskRecord(t, r, sid, spec[0], spec[1]).ID)
	}
	_, err := r.risks.Update(ctx, ids[4], func(x *risk.Risk) error { return x.Apply(risk.Change{Status: ptr("resolved")}, 1, base) })
	require.NoError(t, err)

	idsOf := func(res page.Result[risk.Risk]) []int64 {
		out := []int64{}
		for _, x := range res.Items {
			out = append(out, x.ID)
		}
		return out
	}
	tests := []struct {
		name  string
		f     risk.Filter
		p     page.Request
		want  []int64
		total int
	}{
		{"all by id", risk.Filter{}, page.Request{}, ids, 5},
		{"student", risk.Filter{StudentID: &a.ID}, page.Request{}, []int64{ids[0], ids[2], ids[4]}, 3},
		{"status", risk.Filter{Status: risk.Open}, page.Request{}, ids[:4], 4},
		{"severity", risk.Filter{Severity: risk.High}, page.Request{}, []int64{ids[0], ids[3], ids[4]}, 3},
		{"type", risk.Filter{Type: risk.Attendance}, page.Request{}, []int64{ids[0], ids[2], ids[4]}, 3},
		{"combined", risk.Filter{StudentID: &a.ID, Status: risk.Open, Severity: risk.High, Type: risk.Attendance}, page.Request{}, []int64{ids[0]}, 1},
		{"nothing", risk.Filter{Type: risk.Schedule}, page.Request{}, []int64{}, 0},
		{"page", risk.Filter{}, page.Request{Limit: 2, Offset: 2}, ids[2:4], 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.risks.List(ctx, tt.f, tt.p)
			require.NoError(t, err)
			assert.Equal(t, tt.want, idsOf(res))
			assert.Equal(t, tt.total, res.Total)
		})
	}
}

func testRiskOpenForStudent(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	a := newStudent(t, r.repos, "CS-001", nil)
	b := newStudent(t, r.repos, "CS-002", nil)
	first := newRiskRecord(t, r, &a.ID, "academic", "medium")
	done := newRiskRecord(t, r, &a.ID, "health", "critical")
	newRiskRecord(t, r, &b.ID, "health", "critical")
	newRiskRecord(t, r, nil, "other", "low")
	third := newRiskRecord(t, r, &a.ID, "attendance", "low")
	_, err := r.risks.Update(ctx, done.ID, func(x *risk.Risk) error { return x.Apply(risk.Change{Status: ptr("resolved")}, 1, base) })
	require.NoError(t, err)

	open, err := r.risks.OpenForStudent(ctx, a.ID)
	require.NoError(t, err)
	require.Len(t, open, 2)
	assert.Equal(t, first.ID, open[0].ID)
	assert.Equal(t, third.ID, open[1].ID)

	none, err := r.risks.OpenForStudent(ctx, 999999)
	require.NoError(t, err)
	assert.Empty(t, none)
}

func testRiskUpdateAbort(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	x := newRiskRecord(t, r, nil, "academic", "medium")
	boom := errors.New("boom")
	_, err := r.risks.Update(ctx, x.ID, func(y *risk.Risk) error {
		y.Severity = risk.Critical
		return boom
	})
	require.ErrorIs(t, err, boom, "the closure's error comes back as is")
	got, err := r.risks.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, risk.Medium, got.Severity, "an aborted update saves nothing")

	// In the caller's transaction, a later failure undoes the update too.
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.risks.Update(ctx, x.ID, func(y *risk.Risk) error { y.Severity = risk.High; return nil }); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err = r.risks.Get(ctx, x.ID)
	require.NoError(t, err)
	assert.Equal(t, risk.Medium, got.Severity)
}

// testRiskConcurrentResolve: of many concurrent resolutions of one record
// exactly one wins; the others see it resolved (the row lock serialises
// them) and get the conflict.
func testRiskConcurrentResolve(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	x := newRiskRecord(t, r, nil, "behavioral", "high")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, errs[i] = r.risks.Update(ctx, x.ID, func(y *risk.Risk) error {
				return y.Apply(risk.Change{Status: ptr("resolved")}, int64(i+1), base)
			})
		}(i)
	}
	wg.Wait()
	wins, conflicts := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case fault.KindOf(err) == fault.Conflict:
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	assert.Equal(t, 1, wins)
	assert.Equal(t, n-1, conflicts)
}

func testRiskStudentDelete(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	s := newStudent(t, r.repos, "CS-001", nil)
	x := newRiskRecord(t, r, &s.ID, "academic", "low")
	require.NoError(t, r.students.Delete(ctx, s.ID))
	got, err := r.risks.Get(ctx, x.ID)
	require.NoError(t, err, "the record outlives its student")
	assert.Nil(t, got.StudentID)
}

func testStudentLookup(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	var rolls []string
	for i := 0; i < 1203; i++ { // more than two chunks of the IN list
		rolls = append(rolls, fmt.Sprintf("R-%04d", i))
	}
	err := r.tx.InTx(ctx, func(ctx context.Context) error {
		for _, roll := range rolls {
			s, err := student.New(student.Fields{Name: "S " + roll, RollNo: roll, Department: "CS", Semester: 1})
			if err != nil {
				return err
			}
			s.CreatedAt, s.UpdatedAt = base, base
			if err := r.students.Create(ctx, &s); err != nil {
				return err
			}
		}
		return nil
	})
	require.NoError(t, err)

	got, err := r.lookup.ByRollNos(ctx, append([]string{"nope", "r-0001"}, rolls...))
	require.NoError(t, err)
	assert.Len(t, got, len(rolls), "exact match only: unknown and differently cased roll numbers are left out")
	s := got["R-1202"]
	assert.Equal(t, "S R-1202", s.Name)
	direct, err := r.students.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, direct, s)

	empty, err := r.lookup.ByRollNos(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

// testRiskSubject: one open record per subject (a second is a conflict),
// found by its key; once resolved a new one may open, and EverAbout
// remembers both.
func testRiskSubject(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	key := "attendance:student:1"
	_, err := r.risks.OpenBySubject(ctx, key)
	assertKind(t, err, fault.NotFound)
	ever, err := r.risks.EverAbout(ctx, key)
	require.NoError(t, err)
	assert.False(t, ever)

	first, err := risk.New(risk.Fields{Type: "attendance", Severity: "medium", Description: "Rate 0.70"}, "attendance-risk", base)
	require.NoError(t, err)
	first.SubjectKey = key
	require.NoError(t, r.risks.Create(ctx, &first))
	got, err := r.risks.OpenBySubject(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, first.ID, got.ID)
	assert.Equal(t, key, got.SubjectKey)

	dup := first
	dup.ID = 0
	assertKind(t, r.risks.Create(ctx, &dup), fault.Conflict)

	_, err = r.risks.Update(ctx, first.ID, func(x *risk.Risk) error {
		return x.Apply(risk.Change{Status: ptr("resolved")}, 1, base.Add(time.Hour))
	})
	require.NoError(t, err)
	_, err = r.risks.OpenBySubject(ctx, key)
	assertKind(t, err, fault.NotFound)
	ever, err = r.risks.EverAbout(ctx, key)
	require.NoError(t, err)
	assert.True(t, ever)
	second := dup
	require.NoError(t, r.risks.Create(ctx, &second), "a resolved record does not block a new one")
	manual := newRiskRecord(t, r, nil, "other", "low")
	assert.Empty(t, manual.SubjectKey)
}

func testRiskUpdateMany(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	s := newStudent(t, r.repos, "CS-001", nil)
	a := newRiskRecord(t, r, &s.ID, "attendance", "high")
	b := newRiskRecord(t, r, nil, "academic", "low")
	c := newRiskRecord(t, r, nil, "other", "medium")

	var seen []int64
	saved, err := r.risks.UpdateMany(ctx, []int64{c.ID, 999999, a.ID, b.ID}, func(rs []risk.Risk) ([]risk.Risk, error) {
		for _, x := range rs {
			seen = append(seen, x.ID)
		}
		x, y := rs[0], rs[1] // a and b
		x.Severity, x.Score, x.Description = risk.Critical, ptr(80.5), "Worse"
		x.Factors = []risk.Factor{{Name: "attendance_rate", Value: 0.4, Weight: 1, Contribution: 60}, {Name: "trend", Value: nil}}
		x.UpdatedAt = at(time.Hour)
		resolvedAt := at(2 * time.Hour)
		y.Status, y.ResolvedAt, y.ActionTaken, y.UpdatedAt = risk.Resolved, &resolvedAt, ptr("Talked"), at(2*time.Hour)
		return []risk.Risk{x, y}, nil
	})
	require.NoError(t, err)
	assert.Equal(t, []int64{a.ID, b.ID, c.ID}, seen, "the records that exist, in id order")
	require.Len(t, saved, 2)
	for _, x := range saved {
		got, err := r.risks.Get(ctx, x.ID)
		require.NoError(t, err)
		assert.Equal(t, x, got, "risk %d is saved as returned", x.ID)
	}
	got, err := r.risks.Get(ctx, a.ID)
	require.NoError(t, err)
	assert.Equal(t, risk.Critical, got.Severity)
	assert.Equal(t, 80.5, *got.Score)
	assert.Equal(t, at(time.Hour), got.UpdatedAt)
	assert.Equal(t, a.CreatedAt, got.CreatedAt)
	require.Len(t, got.Factors, 2)
	assert.Nil(t, got.Factors[1].Value)
	got, err = r.risks.Get(ctx, b.ID)
	require.NoError(t, err)
	assert.Equal(t, risk.Resolved, got.Status)
	assert.Equal(t, at(2*time.Hour), *got.ResolvedAt)
	assert.Nil(t, got.ResolvedBy)
	assert.Nil(t, got.Score)
	got, err = r.risks.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got, "a record fn does not return is left as it was")

	// fn's error aborts: nothing is saved.
	boom := errors.New("boom")
	_, err = r.risks.UpdateMany(ctx, []int64{a.ID, c.ID}, func(rs []risk.Risk) ([]risk.Risk, error) {
		rs[1].Severity = risk.Low
		return nil, boom
	})
	require.ErrorIs(t, err, boom)
	// A record that was not loaded cannot be saved.
	_, err = r.risks.UpdateMany(ctx, []int64{a.ID}, func(rs []risk.Risk) ([]risk.Risk, error) {
		x := c
		x.Severity = risk.Low
		return append(rs, x), nil
	})
	require.Error(t, err)
	// Inside a transaction that rolls back, nothing stays.
	err = r.tx.InTx(ctx, func(ctx context.Context) error {
		if _, err := r.risks.UpdateMany(ctx, []int64{c.ID}, func(rs []risk.Risk) ([]risk.Risk, error) {
			rs[0].Severity = risk.Low
			return rs, nil
		}); err != nil {
			return err
		}
		return boom
	})
	require.ErrorIs(t, err, boom)
	got, err = r.risks.Get(ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)
	// Nothing to lock: fn is not called.
	saved, err = r.risks.UpdateMany(ctx, nil, func([]risk.Risk) ([]risk.Risk, error) {
		t.Error("fn called without records")
		return nil, nil
	})
	require.NoError(t, err)
	assert.Empty(t, saved)
}

// testRiskUpdateManyConcurrent: runs over overlapping sets, named in
// opposite orders, neither deadlock nor lose an update: the locks are
// taken in id order and each run sees the one before it.
func testRiskUpdateManyConcurrent(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	var ids []int64
	for i := 0; i < 4; i++ {
		x := newRiskRecord(t, r, nil, "other", "low")
		_, err := r.risks.Update(ctx, x.ID, func(y *risk.Risk) error {
			y.Score = ptr(0.0)
			return nil
		})
		require.NoError(t, err)
		ids = append(ids, x.ID)
	}
	reversed := []int64{ids[3], ids[2], ids[1], ids[0]}
	const runs = 10
	var wg sync.WaitGroup
	errs := make([]error, 2*runs)
	for i := 0; i < 2*runs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			set := ids
			if i%2 == 1 {
				set = reversed
			}
			_, errs[i] = r.risks.UpdateMany(ctx, set, func(rs []risk.Risk) ([]risk.Risk, error) {
				for j := range rs {
					rs[j].Score = ptr(*rs[j].Score + 1)
				}
				return rs, nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "run %d", i)
	}
	for _, id := range ids {
		got, err := r.risks.Get(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, float64(2*runs), *got.Score, "risk %d: every run added one", id)
	}
}

func testRiskCreateMany(t *testing.T, r *riskRepos) {
	ctx := context.Background()
	a, b := newStudent(t, r.repos, "CS-001", nil), newStudent(t, r.repos, "CS-002", nil)
	record := func(studentID int64) risk.Risk {
		x, err := risk.NewAttendanceRisk(risk.AssessAttendance(risk.AttendanceFigures{Present: 11, Absent: 9},
			risk.AttendanceThresholds{Warn: 0.75, High: 0.6}), studentID, "attendance-risk", base)
		require.NoError(t, err)
		return x
	}
	created, err := r.risks.CreateMany(ctx, []risk.Risk{record(b.ID), record(a.ID)})
	require.NoError(t, err)
	require.Len(t, created, 2)
	assert.Equal(t, b.ID, *created[0].StudentID, "in the order given")
	assert.Equal(t, a.ID, *created[1].StudentID)
	for _, x := range created {
		require.NotZero(t, x.ID)
		got, err := r.risks.Get(ctx, x.ID)
		require.NoError(t, err)
		assert.Equal(t, x, got)
	}
	// A second open record about a subject: a conflict, and none of the
	// set is inserted.
	c := newStudent(t, r.repos, "CS-003", nil)
	_, err = r.risks.CreateMany(ctx, []risk.Risk{record(c.ID), record(a.ID)})
	assertKind(t, err, fault.Conflict)
	open, err := r.risks.OpenForStudent(ctx, c.ID)
	require.NoError(t, err)
	assert.Empty(t, open)
	none, err := r.risks.CreateMany(ctx, nil)
	require.NoError(t, err)
	assert.Empty(t, none)
}
