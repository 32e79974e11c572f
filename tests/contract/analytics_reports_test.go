package contract_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/adapters/store"
	"github.com/campus/campus/application/reports"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/testenv"
)

// reportRepos is a fresh database seen through the report store and the
// ports that put its fixtures in.
type reportRepos struct {
	*repos
	reports    ports.ReportStore
	complaints ports.ComplaintRepository
	risks      ports.RiskRepository
	records    ports.AttendanceRepository
}

// TestReportStore runs the analytics and report figures on every
// database, each case on a fresh one, against hand-computed values.
func TestReportStore(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, r *reportRepos)
	}{
		{"HeatmapAcrossDSTChange", testHeatmapDST},
		{"HeatmapHalfHourZone", testHeatmapHalfHour},
		{"HeatmapEmpty", testHeatmapEmpty},
		{"CategoriesWindow", testCategoriesWindow},
		{"WeeksISOWeek53AndNewYear", testWeeksWeek53},
		{"WeeksEmpty", testWeeksEmpty},
		{"RiskDistributionAndTies", testRiskDistribution},
		{"SummaryAndReport", testSummaryAndReport},
		{"SummaryEmpty", testSummaryEmpty},
	}
	for _, s := range testenv.Stores() {
		t.Run(s.Name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					r := setup(t, s.URL(t))
					c.run(t, &reportRepos{repos: r, reports: store.NewReportStore(r.db), complaints: store.NewComplaintRepository(r.db),
						risks: store.NewRiskRepository(r.db), records: store.NewAttendanceRepository(r.db)})
				})
			}
		})
	}
}

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// fileAt files a complaint created at the instant at.
func fileAt(t *testing.T, r *reportRepos, studentID int64, at time.Time, category, priority string) {
	t.Helper()
	c, err := complaint.New(complaint.Fields{StudentID: studentID, Title: "Broken heater", Description: "Room 12 is freezing cold.",
		Category: category, Priority: priority}, 1, at)
	require.NoError(t, err)
	require.NoError(t, r.complaints.Create(context.Background(), &c))
	got, err := r.complaints.Get(context.Background(), c.ID)
	require.NoError(t, err)
	require.True(t, got.CreatedAt.Equal(at.UTC().Truncate(time.Microsecond)), "the store keeps the given created_at: %v", got.CreatedAt)
}

func utcAt(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func localMidnight(loc *time.Location, y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC()
}

// New York leaves daylight saving time on 2026-11-01 at 06:00 UTC (02:00
// EDT becomes 01:00 EST), so 01:30 local happens twice.
func testHeatmapDST(t *testing.T, r *reportRepos) {
	ny := zone(t, "America/New_York")
	s := newStudent(t, r.repos, "CSE-1", nil)
	for _, at := range []string{
		"2026-10-31T03:59:59Z", // Fri 23:59:59 EDT, before the window
		"2026-10-31T13:30:00Z", // Sat 09:30 EDT: (6, 9)
		"2026-11-01T05:30:00Z", // Sun 01:30 EDT: (7, 1)
		"2026-11-01T06:30:00Z", // Sun 01:30 EST: (7, 1)
		"2026-11-01T07:00:00Z", // Sun 02:00 EST: (7, 2)
		"2026-11-02T14:00:00Z", // Mon 09:00 EST: (1, 9)
		"2026-11-02T14:59:59Z", // Mon 09:59:59 EST: (1, 9)
		"2026-11-03T05:00:00Z", // Tue 00:00 EST, the window's end (excluded)
	} {
		fileAt(t, r, s.ID, utcAt(at), "", "")
	}
	span := reports.LocalSpan(localMidnight(ny, 2026, 10, 31), localMidnight(ny, 2026, 11, 3), ny)
	require.Len(t, span.Offsets, 2, "EDT then EST")
	cells, err := r.reports.ComplaintHeatmap(context.Background(), span)
	require.NoError(t, err)
	assert.Equal(t, []ports.HeatCell{
		{Weekday: 1, Hour: 9, Count: 2, Intensity: 1},
		{Weekday: 7, Hour: 1, Count: 2, Intensity: 1},
		{Weekday: 6, Hour: 9, Count: 1, Intensity: 0.5},
		{Weekday: 7, Hour: 2, Count: 1, Intensity: 0.5},
	}, cells)
}

// Kolkata is UTC+05:30: a UTC hour straddles two local hours.
func testHeatmapHalfHour(t *testing.T, r *reportRepos) {
	ist := zone(t, "Asia/Kolkata")
	s := newStudent(t, r.repos, "CSE-1", nil)
	for _, at := range []string{
		"2026-11-27T18:29:00Z", // Fri 23:59 IST: (5, 23)
		"2026-11-27T18:30:00Z", // Sat 00:00 IST: (6, 0)
		"2026-11-27T18:45:00Z", // Sat 00:15 IST: (6, 0)
		"2026-11-28T05:00:00Z", // Sat 10:30 IST: (6, 10)
	} {
		fileAt(t, r, s.ID, utcAt(at), "", "")
	}
	span := reports.LocalSpan(localMidnight(ist, 2026, 11, 27), localMidnight(ist, 2026, 11, 29), ist)
	cells, err := r.reports.ComplaintHeatmap(context.Background(), span)
	require.NoError(t, err)
	assert.Equal(t, []ports.HeatCell{
		{Weekday: 6, Hour: 0, Count: 2, Intensity: 1},
		{Weekday: 5, Hour: 23, Count: 1, Intensity: 0.5},
		{Weekday: 6, Hour: 10, Count: 1, Intensity: 0.5},
	}, cells)
}

func testHeatmapEmpty(t *testing.T, r *reportRepos) {
	span := reports.LocalSpan(localMidnight(time.UTC, 2026, 11, 1), localMidnight(time.UTC, 2026, 12, 1), time.UTC)
	cells, err := r.reports.ComplaintHeatmap(context.Background(), span)
	require.NoError(t, err)
	assert.Empty(t, cells)
	cats, err := r.reports.ComplaintCategories(context.Background(), span.From, span.To)
	require.NoError(t, err)
	assert.Empty(t, cats)
}

func testCategoriesWindow(t *testing.T, r *reportRepos) {
	s := newStudent(t, r.repos, "CSE-1", nil)
	from, to := utcAt("2026-11-01T00:00:00Z"), utcAt("2026-11-02T00:00:00Z")
	for _, c := range []struct{ at, category string }{
		{"2026-10-31T23:59:59Z", "health"}, // before
		{"2026-11-01T00:00:00Z", "health"},
		{"2026-11-01T10:00:00Z", "academic"},
		{"2026-11-01T11:00:00Z", "facilities"},
		{"2026-11-01T12:00:00Z", "facilities"},
		{"2026-11-01T23:00:00Z", "academic"},
		{"2026-11-02T00:00:00Z", "conduct"}, // the end, excluded
	} {
		fileAt(t, r, s.ID, utcAt(c.at), c.category, "")
	}
	cats, err := r.reports.ComplaintCategories(context.Background(), from, to)
	require.NoError(t, err)
	assert.Equal(t, []ports.CategoryCount{{Category: "academic", Count: 2}, {Category: "facilities", Count: 2}, {Category: "health", Count: 1}}, cats, "count desc, then name")
}

// daysSinceEpoch is the day number of a calendar date.
func daysSinceEpoch(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Weeks in Kolkata (UTC+05:30) across 2026-W53 (2026-12-28..2027-01-03)
// and the new year: shown weeks 2026-W52, 2026-W53, 2027-W01, with the
// three lead weeks from 2026-11-30 for the moving average.
func testWeeksWeek53(t *testing.T, r *reportRepos) {
	ist := zone(t, "Asia/Kolkata")
	s := newStudent(t, r.repos, "CSE-1", nil)
	for _, c := range []struct{ at, priority string }{
		{"2026-11-29T18:29:00Z", "urgent"}, // Sun 2026-11-29 23:59 IST: before the span
		{"2026-12-01T04:30:00Z", "normal"}, // lead week 0 (2026-11-30)
		{"2026-12-15T04:30:00Z", "low"},    // lead week 2 (2026-12-14)
		{"2026-12-20T18:29:59Z", "high"},   // Sun 2026-12-20 23:59:59 IST: lead week 2
		// 2026-W52 (2026-12-21): none
		{"2026-12-28T03:30:00Z", "urgent"}, // Mon 2026-12-28 09:00 IST: W53
		{"2027-01-03T18:29:00Z", "normal"}, // Sun 2027-01-03 23:59 IST: W53 (in UTC still Jan 3 too)
		{"2027-01-03T18:30:00Z", "low"},    // Mon 2027-01-04 00:00 IST: 2027-W01 (in UTC it is Jan 3, W53)
		{"2027-01-05T06:00:00Z", "low"},    // 2027-W01
		{"2027-01-10T18:30:00Z", "high"},   // Mon 2027-01-11 00:00 IST: after the span
	} {
		fileAt(t, r, s.ID, utcAt(c.at), "", c.priority)
	}
	span := reports.LocalSpan(localMidnight(ist, 2026, 11, 30), localMidnight(ist, 2027, 1, 11), ist)
	got, err := r.reports.ComplaintWeeks(context.Background(), span, daysSinceEpoch(2026, 11, 30), 3, 3)
	require.NoError(t, err)
	// Weekly totals over the six weeks: 1, 0, 2 (lead), 0, 2, 2 (shown).
	assert.Equal(t, []ports.ComplaintWeek{
		{Index: 0, MovingAverage: 0.75},                              // (1+0+2+0)/4
		{Index: 1, Normal: 1, Urgent: 1, Total: 2, MovingAverage: 1}, // (0+2+0+2)/4
		{Index: 2, Low: 2, Total: 2, MovingAverage: 1.5},             // (2+0+2+2)/4
	}, got.Weeks)
	// x = 0, 1, 2; y = 0, 2, 2: (3·6 − 3·4) / (3·5 − 3²) = 1.
	require.NotNil(t, got.Slope)
	assert.InDelta(t, 1.0, *got.Slope, 1e-9)
}

func testWeeksEmpty(t *testing.T, r *reportRepos) {
	span := reports.LocalSpan(localMidnight(time.UTC, 2026, 11, 2), localMidnight(time.UTC, 2026, 11, 30), time.UTC)
	got, err := r.reports.ComplaintWeeks(context.Background(), span, daysSinceEpoch(2026, 11, 2), 3, 1)
	require.NoError(t, err)
	assert.Equal(t, []ports.ComplaintWeek{{Index: 0}}, got.Weeks, "a week without complaints is a zero")
	assert.Nil(t, got.Slope, "one week has no slope")
}

func newRisk(t *testing.T, r *reportRepos, studentID *int64, typ, sev string, resolved bool) {
	t.Helper()
	x, err := risk.New(risk.Fields{StudentID: studentID, Type: typ, Severity: sev, Description: "Concern noted"}, risk.SourceManual, base)
	require.NoError(t, err)
	if resolved {
		x.Status = risk.Resolved
		at := base
		x.ResolvedAt = &at
	}
	require.NoError(t, r.risks.Create(context.Background(), &x))
}

func testRiskDistribution(t *testing.T, r *reportRepos) {
	a, b := newStudent(t, r.repos, "CSE-1", nil), newStudent(t, r.repos, "CSE-2", nil)
	c, d := newStudent(t, r.repos, "CSE-3", nil), newStudent(t, r.repos, "CSE-4", nil)
	e := newStudent(t, r.repos, "CSE-5", nil)
	newRisk(t, r, &a.ID, "academic", "high", false)
	newRisk(t, r, &a.ID, "attendance", "low", false)
	newRisk(t, r, &a.ID, "health", "critical", true)
	newRisk(t, r, &b.ID, "attendance", "low", false) // b has a's open records, in the other order
	newRisk(t, r, &b.ID, "academic", "high", false)
	newRisk(t, r, &c.ID, "behavioral", "critical", false)
	newRisk(t, r, &d.ID, "attendance", "medium", false)
	newRisk(t, r, &d.ID, "attendance", "medium", false)
	newRisk(t, r, nil, "other", "low", false)
	newRisk(t, r, &e.ID, "attendance", "low", true)

	cells, err := r.reports.RiskDistribution(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []ports.RiskCell{
		{Type: "academic", Severity: "high", Open: 2},
		{Type: "attendance", Severity: "low", Open: 2, Resolved: 1},
		{Type: "attendance", Severity: "medium", Open: 2},
		{Type: "behavioral", Severity: "critical", Open: 1},
		{Type: "health", Severity: "critical", Resolved: 1},
		{Type: "other", Severity: "low", Open: 1},
	}, cells)

	logs := map[string]float64{}
	for _, s := range []risk.Severity{risk.Low, risk.Medium, risk.High, risk.Critical} {
		logs[string(s)] = math.Log1p(-s.Weight() / 100)
	}
	top, err := r.reports.TopOpenRisks(context.Background(), logs, 10)
	require.NoError(t, err)
	// c 80; a and b 100·(1 − 0.5·0.9) = 55, a tie by id; d 100·(1 − 0.75²) = 43.75.
	ids := make([]int64, len(top))
	for i, x := range top {
		ids[i] = x.StudentID
	}
	assert.Equal(t, []int64{c.ID, a.ID, b.ID, d.ID}, ids)
	assert.Equal(t, ports.StudentOpenRisks{StudentID: a.ID, Name: a.Name, RollNo: "CSE-1", Department: "CSE", Low: 1, High: 1}, top[1])
	assert.Equal(t, 2, top[3].Medium)
	two, err := r.reports.TopOpenRisks(context.Background(), logs, 2)
	require.NoError(t, err)
	assert.Len(t, two, 2)
}

func markOn(t *testing.T, r *reportRepos, studentID int64, date string, st attendance.Status) {
	t.Helper()
	rec := attendance.Record{StudentID: studentID, Date: day(date), Session: "daily", Status: st}
	require.NoError(t, r.records.Create(context.Background(), &rec))
}

// The window is the 7 days 2026-11-21..2026-11-27 (since
// 2026-11-21T00:00Z); the report's attendance days 2026-10-29..2026-11-27.
func testSummaryAndReport(t *testing.T, r *reportRepos) {
	ctx := context.Background()
	a := newStudent(t, r.repos, "CSE-1", nil) // created at base (2026-11-27)
	b := newStudent(t, r.repos, "CSE-2", nil)
	old := newStudent(t, r.repos, "CSE-3", func(f *student.Fields) { f.Status = "inactive" })
	_, err := r.db.Bun().NewRaw("UPDATE students SET created_at = ? WHERE id = ?", utcAt("2026-11-20T23:59:59Z"), old.ID).Exec(ctx)
	require.NoError(t, err)

	markOn(t, r, a.ID, "2026-11-27", attendance.Present)
	markOn(t, r, a.ID, "2026-11-21", attendance.Late)
	markOn(t, r, a.ID, "2026-11-20", attendance.Absent)  // before the 7 days, in the 30
	markOn(t, r, b.ID, "2026-11-27", attendance.Excused) // left out of the rates
	markOn(t, r, b.ID, "2026-11-26", attendance.Absent)
	markOn(t, r, b.ID, "2026-10-28", attendance.Absent) // before the 30 days

	fileAt(t, r, a.ID, utcAt("2026-11-21T00:00:00Z"), "", "")
	fileAt(t, r, a.ID, utcAt("2026-11-20T23:59:59Z"), "", "")
	fileAt(t, r, b.ID, utcAt("2026-11-25T10:00:00Z"), "", "")
	_, err = r.complaints.Update(ctx, 3, func(c *complaint.Complaint) error { c.Status = complaint.InProgress; return nil })
	require.NoError(t, err)

	newRisk(t, r, &a.ID, "academic", "high", false)
	newRisk(t, r, &a.ID, "attendance", "low", false)
	newRisk(t, r, &old.ID, "attendance", "low", false) // an inactive student is not counted at risk
	newRisk(t, r, &b.ID, "attendance", "low", true)

	got, err := r.reports.Summary(ctx, ports.SummaryWindow{Since: utcAt("2026-11-21T00:00:00Z"), From: day("2026-11-21"), To: day("2026-11-27")})
	require.NoError(t, err)
	rate := 2.0 / 3 // present, late of present, late, absent
	assert.Equal(t, ports.CampusSummary{StudentsTotal: 3, StudentsActive: 2, StudentsNew: 2,
		AttendanceRecords: 4, AttendanceAttended: 2, AttendanceCounted: 3, AttendanceRate: &rate,
		ComplaintsTotal: 3, ComplaintsPending: 2, ComplaintsInProgress: 1, ComplaintsNew: 2,
		RisksOpen: 3, RisksNew: 4}, got)

	rep, err := r.reports.Report(ctx, day("2026-10-29"), day("2026-11-27"))
	require.NoError(t, err)
	rate30 := 2.0 / 4 // + the absence of 2026-11-20
	assert.Equal(t, ports.ReportSummary{TotalStudents: 2, StudentsAtRisk: 1, PendingComplaints: 2, AttendanceRate: &rate30}, rep)
}

func testSummaryEmpty(t *testing.T, r *reportRepos) {
	got, err := r.reports.Summary(context.Background(), ports.SummaryWindow{Since: base, From: day("2026-11-21"), To: day("2026-11-27")})
	require.NoError(t, err)
	assert.Equal(t, ports.CampusSummary{}, got, "all zeros, rate null")
	rep, err := r.reports.Report(context.Background(), day("2026-10-29"), day("2026-11-27"))
	require.NoError(t, err)
	assert.Equal(t, ports.ReportSummary{}, rep)
}
