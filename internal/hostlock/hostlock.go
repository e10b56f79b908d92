// Package hostlock keeps changes to one Windows server to one run at a
// time across every wsbbot process on a machine: the bot, and any number of
// CLI runs started by operators in any folder.
//
// A lock is an exclusive advisory lock (flock on Unix, LockFileEx on
// Windows) on one file per server in a shared folder. The kernel releases
// it when the holding process exits, however it exits (SIGKILL included),
// so a crash never leaves a server locked. The holder writes who it is
// (run id, runbook, user, host, process, start time) into the file, so the
// one who waits or is refused is told which run is in progress. Locks in
// one process conflict with each other too (each Lock opens the file
// anew), so in-process callers need no second mechanism.
package hostlock

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Holder says who holds a server's lock.
type Holder struct {
	Run     string    `json:"run"`
	Runbook string    `json:"runbook"`
	Target  string    `json:"target"`
	User    string    `json:"user"`
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

// String names the run in progress for a person.
func (h Holder) String() string {
	if h.Run == "" && h.PID == 0 {
		return "another wsbbot run (its details could not be read)"
	}
	s := fmt.Sprintf("run %s (%s", h.Run, h.Runbook)
	if h.User != "" {
		s += " by " + h.User
	}
	if !h.Started.IsZero() {
		s += ", started " + h.Started.Local().Format("2006-01-02 15:04:05 MST")
	}
	if h.PID != 0 {
		s += fmt.Sprintf(", process %d", h.PID)
		if h.Host != "" {
			s += " on " + h.Host
		}
	}
	return s + ")"
}

// BusyError is returned when another run holds the server's lock for
// longer than the caller was willing to wait.
type BusyError struct {
	Target string
	Holder Holder
	Waited time.Duration
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s is being changed by %s; waited %s: one change per server at a time, try again when it has finished",
		e.Target, e.Holder, e.Waited.Round(time.Second))
}

// Locker hands out the per-server locks of one folder.
type Locker struct {
	dir  string
	poll time.Duration
}

// DefaultDir is the folder shared by every wsbbot process of the machine:
// /run/lock/wsbbot where /run/lock exists (a tmpfs every user may write,
// and untouched by systemd's PrivateTmp), else wsbbot-locks in the
// temporary folder; %ProgramData%\wsbbot\locks on Windows.
func DefaultDir() string {
	return defaultDir()
}

// New returns a Locker on dir (DefaultDir when ""), creating the folder.
// A folder it creates is world-writable with the sticky bit on Unix, like
// /run/lock itself, so that the bot's service account and operators share
// it.
func New(dir string) (*Locker, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := makeSharedDir(dir); err != nil {
		return nil, fmt.Errorf("lock folder %s: %w", dir, err)
	}
	return &Locker{dir: dir, poll: 200 * time.Millisecond}, nil
}

// Dir is the folder the locks live in.
func (l *Locker) Dir() string { return l.dir }

// Lock takes target's lock for h (its PID and Host default to this
// process's), waiting at most wait (0: not at all)
// while another run holds it; then it fails with a *BusyError naming that
// run. ctx cancels the wait.
func (l *Locker) Lock(ctx context.Context, target string, h Holder, wait time.Duration) (*Lock, error) {
	path := filepath.Join(l.dir, fileName(target))
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	start := time.Now()
	for {
		lk, err := tryLock(path)
		if err != nil && !errors.Is(err, errBusy) {
			return nil, fmt.Errorf("lock %s: %w", target, err)
		}
		if err == nil {
			if h.Target == "" {
				h.Target = target
			}
			lk.write(h)
			return lk, nil
		}
		waited := time.Since(start)
		if waited >= wait {
			return nil, &BusyError{Target: target, Holder: readHolder(path), Waited: waited}
		}
		t := time.NewTimer(min(l.poll, wait-waited))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("waiting for %s's lock (held by %s): %w", target, readHolder(path), ctx.Err())
		case <-t.C:
		}
	}
}

// Lock is a held server lock.
type Lock struct {
	f *os.File
}

// write records the holder in the lock file; a failure only costs the
// waiting side its details.
func (lk *Lock) write(h Holder) {
	b, err := json.Marshal(h)
	if err != nil {
		return
	}
	if err := lk.f.Truncate(0); err != nil {
		return
	}
	_, _ = lk.f.WriteAt(append(b, '\n'), 0)
}

// Unlock releases the lock. The file stays: removing it would let a waiter
// lock a file that a third process has just unlinked and recreated.
func (lk *Lock) Unlock() error {
	if lk == nil || lk.f == nil {
		return nil
	}
	_ = lk.f.Truncate(0)
	err := unlock(lk.f)
	if cerr := lk.f.Close(); err == nil {
		err = cerr
	}
	lk.f = nil
	return err
}

// errBusy is tryLock's "someone else holds it".
var errBusy = errors.New("locked by another run")

// readHolder reads what the holder wrote (the zero Holder when nothing
// readable is there).
func readHolder(path string) Holder {
	f, err := os.Open(path)
	if err != nil {
		return Holder{}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return Holder{}
	}
	var h Holder
	if json.Unmarshal(b, &h) != nil {
		return Holder{}
	}
	return h
}

// fileName maps a server name to a file name: names are compared
// case-insensitively, and anything outside [a-z0-9.-_] is hex-encoded so
// that no name can reach outside the folder.
func fileName(target string) string {
	t := strings.ToLower(target)
	safe := t != "" && t != "." && t != ".."
	for _, r := range t {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			safe = false
			break
		}
	}
	if !safe {
		t = "x-" + hex.EncodeToString([]byte(t))
	}
	return t + ".lock"
}
