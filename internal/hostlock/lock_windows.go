//go:build windows

package hostlock

import (
	"errors"
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

func defaultDir() string {
	base := os.Getenv("ProgramData")
	if base == "" {
		base = `C:\ProgramData`
	}
	return filepath.Join(base, "wsbbot", "locks")
}

func makeSharedDir(dir string) error {
	return os.MkdirAll(dir, 0o755)
}

func tryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return nil, err
	}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
	if err != nil {
		_ = f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
			return nil, errBusy
		}
		return nil, err
	}
	return &Lock{f: f}, nil
}

func unlock(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}

// lockRange is the one byte locked, at 4 GiB: Windows locks are mandatory,
// so locking the holder details themselves would keep waiters from reading
// them.
func lockRange() *windows.Overlapped {
	return &windows.Overlapped{OffsetHigh: 1}
}
