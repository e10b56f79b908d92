//go:build unix

package store

import (
	"errors"
	"syscall"
)

// processExists reports whether a process with pid exists (signal 0 is
// delivered to nobody; EPERM means it exists but belongs to another user).
func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
