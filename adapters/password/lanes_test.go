package password

import (
	"context"
	"runtime"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// While lanes work, the process has one extra P per working lane, so the
// rest of it keeps as many Ps as before; with none at work it is back to
// its own number.
func TestLanesHavePsOfTheirOwn(t *testing.T) {
	l := processLanes()
	base := runtime.GOMAXPROCS(0)
	if l.size < 1 || base != l.size {
		t.Fatalf("%d lanes, GOMAXPROCS %d with none at work; want as many lanes as Ps", l.size, base)
	}
	release := occupyLanes(t, l)
	if got, want := runtime.GOMAXPROCS(0), base+l.size; got != want {
		release()
		t.Fatalf("GOMAXPROCS = %d with all %d lanes at work, want %d", got, l.size, want)
	}
	// Building more hashers does not add lanes or Ps.
	newHasher(t, testCost)
	if processLanes() != l || runtime.GOMAXPROCS(0) != base+l.size {
		release()
		t.Fatalf("a second hasher changed the lanes (%d Ps)", runtime.GOMAXPROCS(0))
	}
	release()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.GOMAXPROCS(0) != base {
		if time.Now().After(deadline) {
			t.Fatalf("GOMAXPROCS = %d after the lanes stopped, want %d", runtime.GOMAXPROCS(0), base)
		}
		time.Sleep(time.Millisecond)
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

// A job that panics panics in its caller, and the lane goes on serving.
func TestLanePanicReachesTheCaller(t *testing.T) {
	l := processLanes()
	func() {
		defer func() {
			if p := recover(); p != "bcrypt exploded" {
				t.Fatalf("recovered %v, want the job's panic", p)
			}
		}()
		_ = l.do(context.Background(), func() { panic("bcrypt exploded") })
		t.Fatal("do returned after its job panicked")
	}()
	for range 2 * l.size {
		ran := false
		if err := l.do(context.Background(), func() { ran = true }); err != nil || !ran {
			t.Fatalf("after a panic: do = %v, ran = %v", err, ran)
		}
	}
}
