//go:build !linux

package password

// lowerThreadPriority does nothing where a thread has no priority of its
// own; the lanes still have Ps of their own.
func lowerThreadPriority(int) bool { return true }
