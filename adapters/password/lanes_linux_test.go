package password

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// threadNice reads the nice value of thread tid from /proc.
func threadNice(t *testing.T, tid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/self/task/%d/stat", tid))
	if err != nil {
		t.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	n, err := strconv.Atoi(fields[16]) // field 19 of stat: nice
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A lane's thread is lanePriority nicer than the threads of the rest of
// the process, and only the lane's.
func TestLanesRunNicer(t *testing.T) {
	l := processLanes()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	self := unix.Gettid()
	base := threadNice(t, self)
	var laneTid, laneNice int
	if err := l.do(context.Background(), func() {
		laneTid = unix.Gettid()
		laneNice = threadNice(t, laneTid)
	}); err != nil {
		t.Fatal(err)
	}
	if laneTid == unix.Getpid() || laneTid == self {
		t.Fatalf("the job ran on thread %d: the main thread or the caller's", laneTid)
	}
	if want := min(19, base+lanePriority); laneNice != want {
		t.Fatalf("lane nice = %d, want %d (process %d)", laneNice, want, base)
	}
	if now := threadNice(t, self); now != base {
		t.Fatalf("caller's thread nice went from %d to %d", base, now)
	}
	if main := threadNice(t, unix.Getpid()); main != base {
		t.Fatalf("main thread nice = %d, want the process's %d", main, base)
	}
}
