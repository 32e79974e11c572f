package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/application/analytics"
	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/identity"
	"github.com/campus/campus/domain/page"
	"github.com/campus/campus/domain/student"
	"github.com/campus/campus/ports"
	"github.com/campus/campus/tests/mocks"
)

var staff = identity.Actor{UserID: 2, Role: identity.RoleStaff}

func date(s string) attendance.Date {
	d, err := attendance.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

type fixture struct {
	svc      *analytics.Service
	store    *mocks.AttendanceAnalytics
	students *mocks.StudentRepository
}

// newFixture: the clock says 2026-03-01 20:30 UTC, already 2026-03-02 in
// Kolkata (UTC+05:30).
func newFixture(t *testing.T) fixture {
	loc, err := time.LoadLocation("Asia/Kolkata")
	require.NoError(t, err)
	clock := mocks.NewClock(t)
	clock.EXPECT().Now().Return(time.Date(2026, 3, 1, 20, 30, 0, 0, time.UTC)).Maybe()
	f := fixture{store: mocks.NewAttendanceAnalytics(t), students: mocks.NewStudentRepository(t)}
	f.svc = analytics.NewService(analytics.Config{Location: loc}, analytics.Deps{Attendance: f.store, Students: f.students, Clock: clock})
	return f
}

func TestTrendsWindowEndsTodayInTimezone(t *testing.T) {
	f := newFixture(t)
	slope := -0.02
	f.students.EXPECT().Get(mock.Anything, int64(7)).Return(student.Student{ID: 7}, nil)
	f.store.EXPECT().Trend(mock.Anything, ports.AttendanceScope{StudentID: 7}, date("2026-02-26"), date("2026-03-02"), 7).
		Return(ports.AttendanceTrend{Slope: &slope}, nil)
	got, err := f.svc.Trends(context.Background(), staff, analytics.TrendsQuery{StudentID: 7, Days: 5})
	require.NoError(t, err)
	assert.Equal(t, "student", got.Scope)
	assert.Equal(t, date("2026-02-26"), got.From)
	assert.Equal(t, date("2026-03-02"), got.To)
	assert.Equal(t, analytics.Declining, got.Direction)
}

func TestTrendsRules(t *testing.T) {
	ctx := context.Background()
	t.Run("student and guest are denied", func(t *testing.T) {
		f := newFixture(t)
		for _, r := range []identity.Role{identity.RoleStudent, identity.RoleGuest} {
			_, err := f.svc.Trends(ctx, identity.Actor{UserID: 3, Role: r}, analytics.TrendsQuery{Days: 30})
			require.ErrorIs(t, err, fault.ErrForbidden)
			_, err = f.svc.Low(ctx, identity.Actor{UserID: 3, Role: r}, analytics.LowQuery{Days: 30, Threshold: 0.75})
			require.ErrorIs(t, err, fault.ErrForbidden)
		}
	})
	t.Run("student and department together", func(t *testing.T) {
		_, err := newFixture(t).svc.Trends(ctx, staff, analytics.TrendsQuery{StudentID: 1, Department: "Physics", Days: 30})
		require.ErrorIs(t, err, fault.ErrInvalid)
	})
	t.Run("days out of range", func(t *testing.T) {
		for _, d := range []int{0, -1, 367} {
			_, err := newFixture(t).svc.Trends(ctx, staff, analytics.TrendsQuery{Days: d})
			require.ErrorIs(t, err, fault.ErrInvalid, "days %d", d)
		}
	})
	t.Run("unknown student", func(t *testing.T) {
		f := newFixture(t)
		f.students.EXPECT().Get(mock.Anything, int64(9)).Return(student.Student{}, fault.New(fault.NotFound, "Student not found"))
		_, err := f.svc.Trends(ctx, staff, analytics.TrendsQuery{StudentID: 9, Days: 30})
		require.ErrorIs(t, err, fault.ErrNotFound)
	})
	t.Run("threshold out of range", func(t *testing.T) {
		for _, th := range []float64{0, -0.1, 1.01} {
			_, err := newFixture(t).svc.Low(ctx, staff, analytics.LowQuery{Days: 30, Threshold: th})
			require.ErrorIs(t, err, fault.ErrInvalid, "threshold %v", th)
		}
	})
}

func TestLowPassesTheWindow(t *testing.T) {
	f := newFixture(t)
	p := page.Request{Limit: 10}
	f.store.EXPECT().Low(mock.Anything, ports.LowAttendanceFilter{From: date("2026-03-02"), To: date("2026-03-02"), Threshold: 1, Department: "Music"}, p).
		Return(page.Result[ports.LowAttendance]{Total: 0, Request: p}, nil)
	got, err := f.svc.Low(context.Background(), staff, analytics.LowQuery{Days: 1, Threshold: 1, Department: "Music", Page: p})
	require.NoError(t, err)
	assert.Equal(t, date("2026-03-02"), got.To)
}

func TestDirectionOf(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	for _, tt := range []struct {
		slope *float64
		want  analytics.Direction
	}{
		{nil, analytics.Stable}, {v(0), analytics.Stable}, {v(0.01), analytics.Stable}, {v(-0.01), analytics.Stable},
		{v(0.0101), analytics.Improving}, {v(-0.0101), analytics.Declining},
	} {
		assert.Equal(t, tt.want, analytics.DirectionOf(tt.slope), "slope %v", tt.slope)
	}
}
