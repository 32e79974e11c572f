package password

import "golang.org/x/sys/unix"

// lowerThreadPriority makes the calling thread nicer by delta. On Linux
// the nice value belongs to a thread, not to the process, so only the lane
// is affected; threads the Go runtime starts while a lane runs are cloned
// from its template thread, not from the lane, so they do not inherit it.
// It refuses (false) on the process's main thread. Raising one's nice value
// needs no privilege; if it fails all the same (a seccomp profile), the lane
// runs at the ordinary priority and keeps its own P, which is most of the
// gain.
func lowerThreadPriority(delta int) bool {
	tid := unix.Gettid()
	if tid == unix.Getpid() {
		return false
	}
	cur, err := unix.Getpriority(unix.PRIO_PROCESS, tid)
	if err != nil {
		return true
	}
	// The raw syscall answers 20 - nice (1..40), not the nice value.
	_ = unix.Setpriority(unix.PRIO_PROCESS, tid, min(19, 20-cur+delta))
	return true
}
