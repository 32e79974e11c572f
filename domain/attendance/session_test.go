package attendance_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/student"
)

var start = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func reason(t *testing.T, err error) attendance.Reason {
	t.Helper()
	var r *attendance.Rejection
	if !errors.As(err, &r) {
		t.Fatalf("want a rejection, got %v", err)
	}
	return r.Reason
}

func TestNewSession(t *testing.T) {
	ok := attendance.SessionFields{Name: "CS101", StartsAt: "2026-11-27T09:00:00Z", EndsAt: "2026-11-27T10:00:00+00:00"}
	s, err := attendance.NewSession(ok, time.UTC)
	if err != nil || s.Name != "CS101" || s.Date.String() != "2026-11-27" || !s.StartsAt.Equal(start) || s.Geofence != nil {
		t.Fatalf("%+v %v", s, err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err == nil {
		late := attendance.SessionFields{StartsAt: "2026-11-27T20:00:00Z", EndsAt: "2026-11-27T21:00:00Z"}
		if s, _ := attendance.NewSession(late, tokyo); s.Date.String() != "2026-11-28" || s.Name != "daily" {
			t.Fatalf("date in the campus zone: %v %q", s.Date, s.Name)
		}
	}
	tests := []struct {
		name   string
		mod    func(f *attendance.SessionFields)
		fields []string
	}{
		{"missing times", func(f *attendance.SessionFields) { f.StartsAt, f.EndsAt = "", "" }, []string{"starts_at", "ends_at"}},
		{"ends before it starts", func(f *attendance.SessionFields) { f.EndsAt = f.StartsAt }, []string{"ends_at"}},
		{"not RFC 3339", func(f *attendance.SessionFields) { f.StartsAt = "2026-11-27 09:00" }, []string{"starts_at"}},
		{"partial geofence", func(f *attendance.SessionFields) { f.Latitude = ptr(1.0) }, []string{"radius_m"}},
		{"geofence out of range", func(f *attendance.SessionFields) {
			f.Latitude, f.Longitude, f.RadiusM = ptr(91.0), ptr(-181.0), ptr(0.0)
		}, []string{"latitude", "longitude", "radius_m"}},
		{"semester", func(f *attendance.SessionFields) { f.Semester = ptr(13) }, []string{"semester"}},
		{"bad date", func(f *attendance.SessionFields) { f.Date = "27.11.2026" }, []string{"date"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := ok
			tt.mod(&f)
			_, err := attendance.NewSession(f, time.UTC)
			if got := fields(t, err); fmt.Sprint(got) != fmt.Sprint(tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
}

func session() attendance.Session {
	return attendance.Session{ID: 3, Name: "daily", Date: today, StartsAt: start, EndsAt: start.Add(time.Hour)}
}

func TestAdmitWindow(t *testing.T) {
	s := session()
	tests := []struct {
		name string
		at   time.Time
		want attendance.Reason
	}{
		{"a nanosecond before the start", start.Add(-time.Nanosecond), attendance.ReasonNotOpen},
		{"exactly the start", start, ""},
		{"exactly the end", s.EndsAt, ""},
		{"a nanosecond after the end", s.EndsAt.Add(time.Nanosecond), attendance.ReasonNotOpen},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Admit(tt.at)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if reason(t, err) != tt.want || fault.KindOf(err) != fault.BadRequest {
				t.Fatalf("%v", err)
			}
		})
	}
	closed := s
	if err := closed.Close(start); err != nil {
		t.Fatal(err)
	}
	if reason(t, closed.Admit(start.Add(time.Minute))) != attendance.ReasonClosed {
		t.Fatal("a closed session admits")
	}
	if err := closed.Close(start); fault.KindOf(err) != fault.Conflict {
		t.Fatalf("closing twice: %v", err)
	}
}

func TestLateBoundary(t *testing.T) {
	s := session()
	grace := 15 * time.Minute
	tests := []struct {
		name string
		at   time.Time
		want attendance.Status
	}{
		{"at the start", start, attendance.Present},
		{"a second before the grace ends", start.Add(grace - time.Second), attendance.Present},
		// The boundary instant is on time: late is strictly after.
		{"exactly starts_at + grace", start.Add(grace), attendance.Present},
		{"a nanosecond after the grace", start.Add(grace + time.Nanosecond), attendance.Late},
		{"a second after the grace", start.Add(grace + time.Second), attendance.Late},
	}
	for _, tt := range tests {
		if got := s.StatusAt(tt.at, grace); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := s.StatusAt(start.Add(time.Nanosecond), 0); got != attendance.Late {
		t.Errorf("no grace: %s", got)
	}
}

func TestDistance(t *testing.T) {
	// One degree of latitude is about 111.2 km on the mean sphere.
	if d := attendance.Distance(0, 0, 1, 0); d < 111190 || d > 111200 {
		t.Errorf("1 degree: %f m", d)
	}
	if d := attendance.Distance(12.9716, 77.5946, 12.9716, 77.5946); d != 0 {
		t.Errorf("same point: %f", d)
	}
	// Antipodes: half the circumference, without NaN from rounding.
	if d := attendance.Distance(0, 0, 0, 180); d < 20015000 || d > 20016000 {
		t.Errorf("antipodes: %f", d)
	}
}

func TestGeofenceEdge(t *testing.T) {
	s := session()
	// A circle of 100 m around a point on the equator: 1 m of latitude is
	// 1/111194.9 degrees, so 99.9 m is inside and 100.1 m outside.
	s.Geofence = &attendance.Geofence{Latitude: 0, Longitude: 0, RadiusM: 100}
	perMetre := 1 / 111194.93
	tests := []struct {
		name     string
		lat, lon *float64
		want     attendance.Reason
	}{
		{"centre", ptr(0.0), ptr(0.0), ""},
		{"just inside", ptr(99.9 * perMetre), ptr(0.0), ""},
		{"just outside", ptr(100.1 * perMetre), ptr(0.0), attendance.ReasonOutsideGeofence},
		{"just outside, east", ptr(0.0), ptr(100.1 * perMetre), attendance.ReasonOutsideGeofence},
		{"no coordinates", nil, nil, attendance.ReasonLocationRequired},
		{"half the coordinates", ptr(0.0), nil, attendance.ReasonLocationRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.CheckLocation(tt.lat, tt.lon)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if reason(t, err) != tt.want || fault.KindOf(err) != fault.BadRequest {
				t.Fatalf("%v", err)
			}
		})
	}
	if err := session().CheckLocation(nil, nil); err != nil {
		t.Fatalf("no geofence, no location needed: %v", err)
	}
}

func TestAudience(t *testing.T) {
	st := student.Student{Department: "Computer Science", Semester: 3, Section: "A", Status: student.Active}
	tests := []struct {
		name string
		a    attendance.Audience
		mod  func(*student.Student)
		want bool
	}{
		{"no filters", attendance.Audience{}, nil, true},
		{"all match, any case", attendance.Audience{Department: "computer science", Semester: ptr(3), Section: "a"}, nil, true},
		{"other department", attendance.Audience{Department: "Physics"}, nil, false},
		{"other semester", attendance.Audience{Semester: ptr(4)}, nil, false},
		{"other section", attendance.Audience{Section: "B"}, nil, false},
		{"inactive student", attendance.Audience{}, func(s *student.Student) { s.Status = student.Inactive }, false},
	}
	for _, tt := range tests {
		s := session()
		s.Audience = tt.a
		x := st
		if tt.mod != nil {
			tt.mod(&x)
		}
		if got := s.Admits(x); got != tt.want {
			t.Errorf("%s: %v", tt.name, got)
		}
	}
	if reason(t, attendance.NotInAudience()) != attendance.ReasonNotInAudience ||
		!strings.Contains(attendance.NotInAudience().Error(), "audience") {
		t.Error("NotInAudience")
	}
	if err := attendance.DuplicateCheckIn(); reason(t, err) != attendance.ReasonDuplicate || fault.KindOf(err) != fault.Conflict {
		t.Error("DuplicateCheckIn is a conflict")
	}
}
