package schedule_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/campus/campus/domain/schedule"
)

func entryAt(id int64, typ schedule.EventType, from, to time.Duration, loc, inst string) schedule.Entry {
	return schedule.Entry{ID: id, Title: "E", EventType: typ, StartsAt: nine.Add(from), EndsAt: nine.Add(to),
		Location: loc, Instructor: inst, IsActive: true}
}

func TestPairsWith(t *testing.T) {
	e := entryAt(5, schedule.Class, 0, time.Hour, "Hall A", "Rao")
	others := []schedule.Entry{
		e, // itself: skipped
		entryAt(9, schedule.Exam, 30*time.Minute, 90*time.Minute, "hall a ", ""),
		entryAt(2, schedule.Class, 45*time.Minute, 2*time.Hour, "Lab", "RAO"),
		entryAt(3, schedule.Class, time.Hour, 2*time.Hour, "Hall A", "Rao"), // touching: no clash
		entryAt(4, schedule.Class, 0, time.Hour, "Lab", "Iyer"),             // nothing shared
	}
	pairs := schedule.PairsWith(e, others)
	require.Len(t, pairs, 2)
	assert.Equal(t, int64(2), pairs[0].A.ID, "the lower id comes first")
	assert.Equal(t, int64(5), pairs[0].B.ID)
	assert.Equal(t, []schedule.Reason{schedule.SameInstructor}, pairs[0].Reasons)
	assert.Equal(t, "schedule:2:5", pairs[0].SubjectKey())
	assert.Equal(t, int64(5), pairs[1].A.ID)
	assert.Equal(t, int64(9), pairs[1].B.ID)
	assert.Equal(t, "schedule:5:9", pairs[1].SubjectKey())
	assert.True(t, pairs[1].Involves(schedule.Exam))
	assert.False(t, pairs[0].Involves(schedule.Exam))

	start, end := pairs[1].Overlap()
	assert.Equal(t, nine.Add(30*time.Minute), start)
	assert.Equal(t, nine.Add(time.Hour), end)
	assert.Equal(t, "Hall A", pairs[1].Shared(schedule.SameLocation))

	assert.Empty(t, schedule.PairsWith(schedule.Entry{ID: 1, StartsAt: nine, EndsAt: nine.Add(time.Hour), Location: "Hall A"}, others),
		"an inactive entry clashes with nothing")
	// PairsWith agrees with the sweep over all entries.
	var mine []schedule.Pair
	for _, p := range schedule.Pairs(others) {
		if p.A.ID == 5 || p.B.ID == 5 {
			mine = append(mine, p)
		}
	}
	assert.Equal(t, mine, pairs)
}

func TestPairDescribes(t *testing.T) {
	a := entryAt(1, schedule.Class, 0, time.Hour, "", "")
	a.Department, a.Semester, a.Section = "CSE", ptr(3), "A"
	b := entryAt(2, schedule.Class, 0, time.Hour, "", "")
	b.Department, b.Semester, b.Section = "cse", ptr(3), "a"
	p := schedule.Pair{A: a, B: b, Reasons: schedule.ClashReasons(a, b)}
	assert.Equal(t, "audience", p.ReasonList())
	assert.Equal(t, "CSE, semester 3, section A", p.Shared(schedule.SameAudience))
	assert.Equal(t, "", p.Shared(schedule.SameLocation))
	p.Reasons = []schedule.Reason{schedule.SameLocation, schedule.SameInstructor}
	assert.Equal(t, "location, instructor", p.ReasonList())
	// The key is the same whichever way round the pair is held.
	assert.Equal(t, "schedule:1:2", schedule.Pair{A: b, B: a}.SubjectKey())
}
