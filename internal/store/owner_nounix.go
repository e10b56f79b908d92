//go:build !unix && !windows

package store

// processExists cannot tell on this system: every owner counts as alive,
// so no run of another process is ever marked interrupted by mistake.
func processExists(int) bool { return true }
