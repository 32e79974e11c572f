package password

import (
	"context"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The lanes come on top of the Ps the process had: while every lane is in
// bcrypt, the rest of the process still has as many Ps as before.
func TestLanesHavePsOfTheirOwn(t *testing.T) {
	l := processLanes()
	if l.size < 1 {
		t.Fatalf("%d lanes", l.size)
	}
	if got, want := runtime.GOMAXPROCS(0), 2*l.size; got != want {
		t.Fatalf("GOMAXPROCS = %d with %d lanes, want %d", got, l.size, want)
	}
	// Building more hashers does not add lanes or Ps.
	newHasher(t, testCost)
	newHasher(t, testCost)
	if processLanes() != l || runtime.GOMAXPROCS(0) != 2*l.size {
		t.Fatalf("a second hasher changed the lanes (%d Ps)", runtime.GOMAXPROCS(0))
	}
}

// Each lane keeps its own thread: jobs run on exactly l.size threads, none
// of them the caller's.
func TestLanesRunOnThreadsOfTheirOwn(t *testing.T) {
	l := processLanes()
	caller := unix.Gettid()
	tids := map[int]bool{}
	for range 20 * l.size {
		if err := l.do(context.Background(), func() { tids[unix.Gettid()] = true }); err != nil {
			t.Fatal(err)
		}
	}
	if tids[caller] {
		t.Fatal("a job ran on the caller's thread")
	}
	if len(tids) > l.size {
		t.Fatalf("jobs ran on %d threads, more than the %d lanes", len(tids), l.size)
	}
}
