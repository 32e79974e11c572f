package export

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/complaint"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/risk"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe *fault.Error
	require.ErrorAs(t, err, &fe)
	require.Equal(t, fault.Invalid, fe.Kind)
	var out []string
	for _, f := range fe.Fields {
		out = append(out, f.Field)
	}
	return out
}

func TestParseFiltersPerKind(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	f, canon, err := parseFilters(KindStudents, map[string]string{"department": "CS", "semester": "3", "status": "active"}, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, ports.ExportFilter{Department: "CS", Semester: 3, Status: "active"}, f)
	assert.Equal(t, map[string]string{"department": "CS", "semester": "3", "status": "active"}, canon)

	f, _, err = parseFilters(KindAttendance, map[string]string{"student_id": "7", "from": "2026-01-01", "to": "2026-01-31", "status": "late"}, time.UTC)
	require.NoError(t, err)
	from, to := attendance.Date{Year: 2026, Month: 1, Day: 1}, attendance.Date{Year: 2026, Month: 1, Day: 31}
	sid := int64(7)
	assert.Equal(t, ports.ExportFilter{StudentID: &sid, DateFrom: &from, DateTo: &to, Status: "late"}, f)

	// Complaint days are the campus calendar's: 2026-03-01 in Kolkata
	// starts at 2026-02-28T18:30Z; "to" includes the whole day.
	f, _, err = parseFilters(KindComplaints, map[string]string{"from": "2026-03-01", "to": "2026-03-01", "category": "health",
		"priority": "urgent", "status": "pending"}, kolkata)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 2, 28, 18, 30, 0, 0, time.UTC), *f.CreatedFrom)
	assert.Equal(t, time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC), *f.CreatedBefore)
	assert.Equal(t, "health", f.Category)
	// An RFC 3339 "to" includes that instant.
	f, _, err = parseFilters(KindComplaints, map[string]string{"to": "2026-03-01T10:00:00Z"}, kolkata)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 1, 10, 0, 0, 1000, time.UTC), *f.CreatedBefore)

	f, _, err = parseFilters(KindRisks, map[string]string{"status": "open", "severity": "high", "risk_type": "health"}, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, ports.ExportFilter{Status: "open", Severity: "high", RiskType: "health"}, f)

	// Empty values do not filter.
	f, canon, err = parseFilters(KindStudents, map[string]string{"department": " "}, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, ports.ExportFilter{}, f)
	assert.Empty(t, canon)
}

func TestParseFiltersRefusesUnknownAndBadValues(t *testing.T) {
	cases := []struct {
		kind   string
		raw    map[string]string
		fields []string
	}{
		{KindStudents, map[string]string{"section": "A"}, []string{"filters.section"}},
		{KindStudents, map[string]string{"semester": "13", "status": "gone"}, []string{"filters.semester", "filters.status"}},
		{KindAttendance, map[string]string{"department": "CS"}, []string{"filters.department"}},
		{KindAttendance, map[string]string{"student_id": "x", "from": "2026-13-01"}, []string{"filters.from", "filters.student_id"}},
		{KindAttendance, map[string]string{"from": "2026-02-02", "to": "2026-02-01"}, []string{"filters.to"}},
		{KindComplaints, map[string]string{"category": "food", "priority": "p1", "from": "yesterday"},
			[]string{"filters.category", "filters.from", "filters.priority"}},
		{KindComplaints, map[string]string{"student_id": "1"}, []string{"filters.student_id"}},
		{KindRisks, map[string]string{"severity": "huge", "risk_type": "x", "status": "closed"},
			[]string{"filters.risk_type", "filters.severity", "filters.status"}},
		{KindRisks, map[string]string{"department": "CS"}, []string{"filters.department"}},
	}
	for _, c := range cases {
		_, _, err := parseFilters(c.kind, c.raw, time.UTC)
		assert.Equal(t, c.fields, fieldsOf(t, err), "%s %v", c.kind, c.raw)
	}
}

func TestColumnsFollowTheContract(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 30, 0, 500, time.FixedZone("X", 3600))
	email := "a@b.c"
	st := student.Student{ID: 1, Name: "Asha", RollNo: "R1", Department: "CS", Semester: 3, Section: "A", Email: &email,
		Status: student.Active, CreatedAt: now, UpdatedAt: now}
	assert.Equal(t, []any{int64(1), "Asha", "R1", "CS", int64(3), "A", "a@b.c", "active", "2026-11-27T08:30:00.0000005Z",
		"2026-11-27T08:30:00.0000005Z"}, studentCells(st))
	st.Email = nil
	assert.Nil(t, studentCells(st)[6], "null is an empty cell")
	assert.Len(t, Columns(KindStudents), len(studentCells(st)))

	rec := attendance.Record{ID: 2, StudentID: 1, Date: attendance.Date{Year: 2026, Month: 11, Day: 27}, Session: "daily",
		Status: attendance.Late, CreatedAt: now, UpdatedAt: now}
	cells := attendanceCells(rec)
	assert.Equal(t, []any{int64(2), int64(1), "2026-11-27", "daily", "late", "", nil}, cells[:7])
	assert.Len(t, Columns(KindAttendance), len(cells))

	c := complaint.Complaint{ID: 3, StudentID: 1, Title: "Broken fan", Description: "The fan is broken", Category: complaint.Facilities,
		Priority: complaint.Normal, Status: complaint.Pending, DueAt: now, CreatedAt: now, UpdatedAt: now}
	cells = complaintCells(c)
	assert.Equal(t, []any{int64(3), int64(1), "Broken fan", "The fan is broken", "facilities", "normal", "pending", nil, nil,
		"2026-11-27T08:30:00.0000005Z", nil, nil}, cells[:12])
	assert.Len(t, Columns(KindComplaints), len(cells))

	score := 42.5
	r := risk.Risk{ID: 4, Type: risk.Health, Severity: risk.High, Score: &score,
		Factors: []risk.Factor{{Name: "rate", Value: 0.5, Weight: 1, Contribution: 0.5}}, Description: "d", Source: "manual",
		Status: risk.Open, CreatedAt: now}
	cells = riskCells(r)
	assert.Equal(t, []any{int64(4), nil, "health", "high", 42.5, `[{"name":"rate","value":0.5,"weight":1,"contribution":0.5}]`,
		"d", "manual", "open", nil, "2026-11-27T08:30:00.0000005Z", nil, nil}, cells)
	assert.Len(t, Columns(KindRisks), len(cells))
	assert.Equal(t, []string{"id", "student_id", "risk_type", "severity", "score", "factors", "description", "source", "status",
		"action_taken", "created_at", "resolved_at", "resolved_by"}, Columns(KindRisks))
}
