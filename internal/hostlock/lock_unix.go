//go:build unix

package hostlock

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

func defaultDir() string {
	if fi, err := os.Stat("/run/lock"); err == nil && fi.IsDir() {
		return "/run/lock/wsbbot"
	}
	return filepath.Join(os.TempDir(), "wsbbot-locks")
}

func makeSharedDir(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return errors.New("not a folder")
		}
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Like /run/lock: everyone may add a lock, nobody may remove another's.
	return os.Chmod(dir, 0o777|os.ModeSticky)
}

// tryLock opens (creating) path without following a symbolic link and
// takes an exclusive flock without waiting.
func tryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o666)
	if errors.Is(err, os.ErrPermission) {
		// Created by another user with a narrower mode: a read-only
		// descriptor still takes the lock (the holder details are then
		// not written).
		f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	}
	if err != nil {
		return nil, err
	}
	_ = f.Chmod(0o666) // let other users' processes write their details; fails harmlessly when not ours
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, err
	}
	return &Lock{f: f}, nil
}

func unlock(f *os.File) error {
	return syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
}
