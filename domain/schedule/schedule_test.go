package schedule_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/fault"
	"github.com/campus/campus/domain/schedule"
)

var nine = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func fieldsOf(err error) []string {
	var fe *fault.Error
	if !errors.As(err, &fe) {
		return nil
	}
	out := make([]string, len(fe.Fields))
	for i, f := range fe.Fields {
		out[i] = f.Field
	}
	return out
}

func validFields() schedule.Fields {
	return schedule.Fields{Title: "Algebra", EventType: "class", StartsAt: nine, EndsAt: nine.Add(time.Hour)}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*schedule.Fields)
		fields []string
		check  func(t *testing.T, e schedule.Entry)
	}{
		{name: "defaults to active", check: func(t *testing.T, e schedule.Entry) {
			assert.True(t, e.IsActive)
			assert.Equal(t, schedule.Class, e.EventType)
		}},
		{name: "inactive when told", mod: func(f *schedule.Fields) { f.IsActive = ptr(false) }, check: func(t *testing.T, e schedule.Entry) {
			assert.False(t, e.IsActive)
		}},
		{name: "any case type, trimmed text", mod: func(f *schedule.Fields) { f.EventType, f.Location = "EXAM", "  Hall A " },
			check: func(t *testing.T, e schedule.Entry) {
				assert.Equal(t, schedule.Exam, e.EventType)
				assert.Equal(t, "Hall A", e.Location)
			}},
		{name: "times in UTC", mod: func(f *schedule.Fields) {
			f.StartsAt = nine.In(time.FixedZone("IST", 19800))
		}, check: func(t *testing.T, e schedule.Entry) { assert.Equal(t, time.UTC, e.StartsAt.Location()) }},
		{name: "ends equal starts", mod: func(f *schedule.Fields) { f.EndsAt = f.StartsAt }, fields: []string{"ends_at"}},
		{name: "ends before starts", mod: func(f *schedule.Fields) { f.EndsAt = f.StartsAt.Add(-time.Minute) }, fields: []string{"ends_at"}},
		{name: "missing times", mod: func(f *schedule.Fields) { f.StartsAt, f.EndsAt = time.Time{}, time.Time{} }, fields: []string{"starts_at", "ends_at"}},
		{name: "bad type and empty title", mod: func(f *schedule.Fields) { f.EventType, f.Title = "party", " " }, fields: []string{"title", "event_type"}},
		{name: "semester range", mod: func(f *schedule.Fields) { f.Semester = ptr(13) }, fields: []string{"semester"}},
		{name: "semester zero", mod: func(f *schedule.Fields) { f.Semester = ptr(0) }, fields: []string{"semester"}},
		{name: "long section", mod: func(f *schedule.Fields) { f.Section = strings.Repeat("s", 21) }, fields: []string{"section"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := validFields()
			if tt.mod != nil {
				tt.mod(&f)
			}
			e, err := schedule.New(f)
			if tt.fields != nil {
				assert.Equal(t, fault.Invalid, fault.KindOf(err))
				assert.Equal(t, tt.fields, fieldsOf(err))
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
}

func TestApplyPatch(t *testing.T) {
	e, err := schedule.New(schedule.Fields{Title: "Algebra", EventType: "class", StartsAt: nine, EndsAt: nine.Add(time.Hour),
		Location: "R1", Department: "CSE", Semester: ptr(3), Section: "A"})
	require.NoError(t, err)
	require.NoError(t, e.Apply(schedule.Patch{Location: ptr(""), Semester: ptr((*int)(nil)), Title: ptr("Geometry")}))
	assert.Equal(t, "", e.Location)
	assert.Nil(t, e.Semester)
	assert.Equal(t, "Geometry", e.Title)
	assert.Equal(t, "CSE", e.Department, "unsent fields stay")

	before := e
	err = e.Apply(schedule.Patch{EndsAt: ptr(nine)})
	assert.Equal(t, []string{"ends_at"}, fieldsOf(err))
	assert.Equal(t, before, e, "a refused patch changes nothing")
}

func entry(id int64, from, to time.Duration, mod func(*schedule.Entry)) schedule.Entry {
	e := schedule.Entry{ID: id, Title: "E", EventType: schedule.Class, StartsAt: nine.Add(from), EndsAt: nine.Add(to), IsActive: true}
	if mod != nil {
		mod(&e)
	}
	return e
}

func TestClashReasons(t *testing.T) {
	room := func(l string) func(*schedule.Entry) { return func(e *schedule.Entry) { e.Location = l } }
	teacher := func(i string) func(*schedule.Entry) { return func(e *schedule.Entry) { e.Instructor = i } }
	class := func(d string, s int, sec string) func(*schedule.Entry) {
		return func(e *schedule.Entry) { e.Department, e.Semester, e.Section = d, &s, sec }
	}
	h := time.Hour
	tests := []struct {
		name string
		a, b schedule.Entry
		want []schedule.Reason
	}{
		{"same room overlapping", entry(1, 0, h, room("R1")), entry(2, h/2, 2*h, room("R1")), []schedule.Reason{schedule.SameLocation}},
		{"same room, case and spaces differ", entry(1, 0, h, room("Hall A")), entry(2, 0, h, room(" hall a ")), []schedule.Reason{schedule.SameLocation}},
		{"touching ends do not clash", entry(1, 0, h, room("R1")), entry(2, h, 2*h, room("R1")), nil},
		{"touching starts do not clash", entry(1, h, 2*h, room("R1")), entry(2, 0, h, room("R1")), nil},
		{"one inside the other", entry(1, 0, 3*h, room("R1")), entry(2, h, 2*h, room("R1")), []schedule.Reason{schedule.SameLocation}},
		{"a minute of overlap", entry(1, 0, h, room("R1")), entry(2, h-time.Minute, 2*h, room("R1")), []schedule.Reason{schedule.SameLocation}},
		{"different rooms", entry(1, 0, h, room("R1")), entry(2, 0, h, room("R2")), nil},
		{"both without a room", entry(1, 0, h, nil), entry(2, 0, h, nil), nil},
		{"blank room is no room", entry(1, 0, h, room("  ")), entry(2, 0, h, room("")), nil},
		{"same instructor", entry(1, 0, h, teacher("Dr. Rao")), entry(2, 0, h, teacher("dr. rao")), []schedule.Reason{schedule.SameInstructor}},
		{"same audience", entry(1, 0, h, class("CSE", 3, "A")), entry(2, 0, h, class("cse", 3, "a")), []schedule.Reason{schedule.SameAudience}},
		{"audience needs the section", entry(1, 0, h, class("CSE", 3, "")), entry(2, 0, h, class("CSE", 3, "")), nil},
		{"audience needs the semester", entry(1, 0, h, func(e *schedule.Entry) { e.Department, e.Section = "CSE", "A" }),
			entry(2, 0, h, func(e *schedule.Entry) { e.Department, e.Section = "CSE", "A" }), nil},
		{"other section", entry(1, 0, h, class("CSE", 3, "A")), entry(2, 0, h, class("CSE", 3, "B")), nil},
		{"other semester", entry(1, 0, h, class("CSE", 3, "A")), entry(2, 0, h, class("CSE", 4, "A")), nil},
		{"semester 1 and 11 differ", entry(1, 0, h, class("CSE", 1, "1")), entry(2, 0, h, class("CSE", 11, "")), nil},
		{"inactive never clashes", entry(1, 0, h, room("R1")), entry(2, 0, h, func(e *schedule.Entry) { e.Location, e.IsActive = "R1", false }), nil},
		{"an entry does not clash with itself", entry(1, 0, h, room("R1")), entry(1, 0, h, room("R1")), nil},
		{"every reason", entry(1, 0, h, func(e *schedule.Entry) {
			room("R1")(e)
			teacher("Rao")(e)
			class("CSE", 3, "A")(e)
		}), entry(2, 0, h, func(e *schedule.Entry) {
			room("r1")(e)
			teacher("RAO")(e)
			class("CSE", 3, "A")(e)
		}), []schedule.Reason{schedule.SameLocation, schedule.SameInstructor, schedule.SameAudience}},
		{"a new entry (id 0) against stored ones", entry(0, 0, h, room("R1")), entry(5, 0, h, room("R1")), []schedule.Reason{schedule.SameLocation}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, schedule.ClashReasons(tt.a, tt.b))
			assert.Equal(t, tt.want, schedule.ClashReasons(tt.b, tt.a), "symmetric")
		})
	}
}

func TestClashes(t *testing.T) {
	h := time.Hour
	e := entry(0, 0, 2*h, func(e *schedule.Entry) { e.Location, e.Instructor = "R1", "Rao" })
	others := []schedule.Entry{
		entry(9, h, 3*h, func(e *schedule.Entry) { e.Instructor = "Rao" }),
		entry(4, 0, h, func(e *schedule.Entry) { e.Location = "R1" }),
		entry(5, 2*h, 3*h, func(e *schedule.Entry) { e.Location = "R1" }), // touching
		entry(6, 0, h, func(e *schedule.Entry) { e.Location = "R2" }),
	}
	got := schedule.Clashes(e, others)
	require.Len(t, got, 2)
	assert.Equal(t, int64(4), got[0].With.ID)
	assert.Equal(t, []schedule.Reason{schedule.SameLocation}, got[0].Reasons)
	assert.Equal(t, int64(9), got[1].With.ID)
	assert.Equal(t, []schedule.Reason{schedule.SameInstructor}, got[1].Reasons)
}

func TestPairs(t *testing.T) {
	h := time.Hour
	room := func(l string) func(*schedule.Entry) { return func(e *schedule.Entry) { e.Location = l } }
	entries := []schedule.Entry{
		entry(3, 0, 4*h, room("R1")), // long: overlaps 1 and 2
		entry(1, h, 2*h, room("R1")),
		entry(2, 2*h, 3*h, room("R1")), // touches 1, inside 3
		entry(4, 5*h, 6*h, room("R1")), // alone
		entry(5, 0, h, room("R9")),
		entry(6, 5*h, 6*h, func(e *schedule.Entry) { e.Location, e.IsActive = "R1", false }),
	}
	got := schedule.Pairs(entries)
	var ids [][2]int64
	for _, p := range got {
		ids = append(ids, [2]int64{p.A.ID, p.B.ID})
		assert.Equal(t, []schedule.Reason{schedule.SameLocation}, p.Reasons)
	}
	assert.Equal(t, [][2]int64{{1, 3}, {2, 3}}, ids)
	assert.Empty(t, schedule.Pairs(nil))
}

// TestPairsMatchesBruteForce compares the sweep with checking every pair.
func TestPairsMatchesBruteForce(t *testing.T) {
	var entries []schedule.Entry
	rooms := []string{"R1", "R2", ""}
	for i := 0; i < 60; i++ {
		start := time.Duration((i*37)%23) * 15 * time.Minute
		length := time.Duration(1+(i*11)%5) * 15 * time.Minute
		entries = append(entries, entry(int64(i+1), start, start+length, func(e *schedule.Entry) {
			e.Location = rooms[i%3]
			if i%4 == 0 {
				e.Instructor = "Rao"
			}
			e.IsActive = i%7 != 0
		}))
	}
	want := 0
	for i := range entries {
		for j := i + 1; j < len(entries); j++ {
			if len(schedule.ClashReasons(entries[i], entries[j])) > 0 {
				want++
			}
		}
	}
	got := schedule.Pairs(entries)
	assert.Equal(t, want, len(got))
	assert.NotZero(t, want)
}

func TestSnapshot(t *testing.T) {
	e := entry(3, 0, time.Hour, func(e *schedule.Entry) { e.Location = "R1" })
	s := schedule.Snapshot(e)
	assert.Equal(t, "2026-11-27T09:00:00Z", s["starts_at"])
	assert.Equal(t, "R1", s["location"])
	assert.Nil(t, s["instructor"])
	assert.Nil(t, s["semester"])
	assert.Equal(t, true, s["is_active"])
}
