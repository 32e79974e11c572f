package schedule_test

import (
	"testing"
	"time"

	"github.com/campus/campus/domain/schedule"
)

// FuzzClashReasons checks the invariants of the clash rule on arbitrary
// pairs: it is symmetric, entries that do not overlap (touching included)
// never clash, and a reported clash always names a shared key.
func FuzzClashReasons(f *testing.F) {
	f.Add(int64(0), int64(60), int64(30), int64(90), "Hall A", "hall a ", "Rao", "", "CSE", "cse", 3, 3, "A", "a", true, true)
	f.Add(int64(0), int64(60), int64(60), int64(120), "R1", "R1", "", "", "", "", 0, 0, "", "", true, true)
	f.Fuzz(func(t *testing.T, s1, e1, s2, e2 int64, l1, l2, i1, i2, d1, d2 string, sem1, sem2 int, sec1, sec2 string, act1, act2 bool) {
		mk := func(id, s, e int64, l, i, d string, sem int, sec string, act bool) schedule.Entry {
			x := schedule.Entry{ID: id, StartsAt: nine.Add(time.Duration(s%100000) * time.Minute), Location: l, Instructor: i,
				Department: d, Section: sec, IsActive: act}
			x.EndsAt = x.StartsAt.Add(time.Duration(1+uint64(e)%100000) * time.Minute)
			if sem != 0 {
				x.Semester = &sem
			}
			return x
		}
		a := mk(1, s1, e1, l1, i1, d1, sem1, sec1, act1)
		b := mk(2, s2, e2, l2, i2, d2, sem2, sec2, act2)
		ab, ba := schedule.ClashReasons(a, b), schedule.ClashReasons(b, a)
		if len(ab) != len(ba) {
			t.Fatalf("asymmetric: %v vs %v", ab, ba)
		}
		if !schedule.Overlaps(a, b) && len(ab) > 0 {
			t.Fatalf("entries that do not overlap clash: %v", ab)
		}
		if (!a.IsActive || !b.IsActive) && len(ab) > 0 {
			t.Fatalf("an inactive entry clashes: %v", ab)
		}
		if !a.EndsAt.After(b.StartsAt) || !b.EndsAt.After(a.StartsAt) {
			if schedule.Overlaps(a, b) {
				t.Fatal("touching or disjoint entries overlap")
			}
		}
	})
}
