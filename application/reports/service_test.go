package reports

import (
	"testing"
	"time"

	"github.com/campus/campus/domain/attendance"
	"github.com/campus/campus/ports"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestLocalSpan(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	cases := []struct {
		name     string
		loc      *time.Location
		from, to time.Time
		want     []ports.OffsetChange
	}{
		{"utc", time.UTC, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			[]ports.OffsetChange{{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Offset: 0}}},
		{"no change inside", ny, time.Date(2026, 11, 10, 5, 0, 0, 0, time.UTC), time.Date(2026, 11, 20, 5, 0, 0, 0, time.UTC),
			[]ports.OffsetChange{{At: time.Date(2026, 11, 10, 5, 0, 0, 0, time.UTC), Offset: -5 * 3600}}},
		{"fall back", ny, time.Date(2026, 10, 31, 4, 0, 0, 0, time.UTC), time.Date(2026, 11, 3, 5, 0, 0, 0, time.UTC),
			[]ports.OffsetChange{{At: time.Date(2026, 10, 31, 4, 0, 0, 0, time.UTC), Offset: -4 * 3600},
				{At: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), Offset: -5 * 3600}}},
		{"a whole year", ny, time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 5, 0, 0, 0, time.UTC),
			[]ports.OffsetChange{{At: time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC), Offset: -5 * 3600},
				{At: time.Date(2026, 3, 8, 7, 0, 0, 0, time.UTC), Offset: -4 * 3600},
				{At: time.Date(2026, 11, 1, 6, 0, 0, 0, time.UTC), Offset: -5 * 3600}}},
		{"half hour zone", mustZone(t, "Asia/Kolkata"), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC),
			[]ports.OffsetChange{{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Offset: 19800}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := LocalSpan(c.from, c.to, c.loc)
			if len(got.Offsets) != len(c.want) {
				t.Fatalf("offsets %v, want %v", got.Offsets, c.want)
			}
			for i := range c.want {
				if !got.Offsets[i].At.Equal(c.want[i].At) || got.Offsets[i].Offset != c.want[i].Offset {
					t.Fatalf("offset %d: %v, want %v", i, got.Offsets[i], c.want[i])
				}
			}
		})
	}
}

func TestCalendarHelpers(t *testing.T) {
	d := func(y int, m time.Month, dd int) attendance.Date { return attendance.Date{Year: y, Month: m, Day: dd} }
	for _, c := range []struct {
		day     attendance.Date
		week    string
		weekday int
	}{
		{d(2026, 12, 28), "2026-W53", 1},
		{d(2027, 1, 3), "2026-W53", 7},
		{d(2027, 1, 4), "2027-W01", 1},
		{d(2026, 1, 1), "2026-W01", 4},
		{d(2025, 12, 29), "2026-W01", 1},
	} {
		if got := isoWeek(c.day); got != c.week {
			t.Errorf("isoWeek(%s) = %s, want %s", c.day, got, c.week)
		}
		if got := isoWeekday(c.day); got != c.weekday {
			t.Errorf("isoWeekday(%s) = %d, want %d", c.day, got, c.weekday)
		}
	}
	if n := dayNumber(d(1970, 1, 2)); n != 1 {
		t.Errorf("dayNumber(1970-01-02) = %d", n)
	}
	if got := addDays(d(2026, 12, 28), 7); got != d(2027, 1, 4) {
		t.Errorf("addDays: %s", got)
	}
}
