package password

import (
	"context"
	"runtime"
	"sync"
)

// bcrypt is a tight loop of about a quarter of a second. Run on the
// process's ordinary goroutines, a burst of logins holds every P of the Go
// scheduler, and a request that wakes up (a read whose database answer has
// come) waits for the next preemption, up to 10 ms at each of its steps:
// with logins at half the machine's bcrypt capacity, the p99 of cached reads
// went from 2 to 60 ms on two cores.
//
// So bcrypt runs on lanes of its own: as many goroutines as the process had
// Ps when the first hasher was built, each locked to its own OS thread, and
// while k lanes are in bcrypt the process has k extra Ps, so that a lane in
// bcrypt never keeps another goroutine from a P. Between the lanes and the
// rest of the process (and the database, on the same machine) the kernel
// decides, and on Linux the lanes' threads run at a lower priority (nice
// +lanePriority): when the machine is busy, a woken request runs at once and
// bcrypt takes what is left; when it is not, bcrypt has every core, as
// before. The extra Ps exist only while lanes work: more Ps than cores all
// the time made the process's own goroutines take turns on the cores (cached
// reads -15 %, uncached -20 % of req/s), and changing GOMAXPROCS stops the
// world for some microseconds, so a lane that finds more work waiting keeps
// its P. The lanes are shared by all hashers of the process, since threads
// and Ps are the process's.

// lanePriority is how much nicer than the process the lanes' threads are.
// 10 gives them a tenth of the weight of an ordinary thread when both want
// a core (Linux's weights: 1024 at nice 0, 110 at nice 10).
const lanePriority = 10

var (
	lanesOnce   sync.Once
	sharedLanes *lanes
)

// processLanes returns the process's lanes, starting them on first use.
func processLanes() *lanes {
	lanesOnce.Do(func() { sharedLanes = startLanes(runtime.GOMAXPROCS(0)) })
	return sharedLanes
}

// lanes is a fixed set of goroutines, each on its own OS thread, that run
// the functions handed to them one at a time.
type lanes struct {
	jobs chan job
	size int

	mu sync.Mutex
	// busy is the number of lanes at work, base the process's GOMAXPROCS
	// when the first of them started.
	busy, base int
}

type job struct {
	run func()
	// done receives what run panicked with (nil if it returned).
	done chan any
}

func startLanes(n int) *lanes {
	l := &lanes{jobs: make(chan job), size: n}
	for range n {
		go l.serve()
	}
	return l
}

// serve runs jobs on a thread of its own, for the life of the process (a
// locked goroutine that returned would take its thread with it).
func (l *lanes) serve() {
	runtime.LockOSThread()
	if !lowerThreadPriority(lanePriority) {
		// The process's main thread, whose priority ps and top show as
		// the process's: it stays as it is, idle, and another serves.
		go l.serve()
		select {}
	}
	for j := range l.jobs {
		l.working(+1)
		for {
			j.done <- runRecovering(j.run)
			var more bool
			select {
			case j, more = <-l.jobs:
			default:
			}
			if !more {
				break
			}
		}
		l.working(-1)
	}
}

// runRecovering runs f and returns what it panicked with, if it did: the
// panic belongs to the caller waiting in do, not to the lane (an unrecovered
// panic on a lane would end the process).
func runRecovering(f func()) (panicked any) {
	defer func() { panicked = recover() }()
	f()
	return nil
}

// working counts a lane starting (+1) or stopping (-1) work and gives the
// process one P per working lane on top of its own. With none at work the
// runtime's default comes back (which follows a container's CPU limit).
func (l *lanes) working(delta int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy == 0 {
		l.base = runtime.GOMAXPROCS(0)
	}
	l.busy += delta
	if l.busy == 0 {
		runtime.SetDefaultGOMAXPROCS()
		return
	}
	runtime.GOMAXPROCS(l.base + l.busy)
}

// do runs f on a lane and returns when it has run. A caller whose ctx ends
// while every lane is busy stops waiting and gets ctx's error; once a lane
// has taken f, it runs to the end (bcrypt cannot be interrupted) and do
// waits for it. If f panics, do panics with the same value in the caller's
// goroutine, where the HTTP layer's recovery answers 500.
func (l *lanes) do(ctx context.Context, f func()) error {
	j := job{run: f, done: make(chan any, 1)}
	select {
	case l.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	}
	if p := <-j.done; p != nil {
		panic(p)
	}
	return nil
}
