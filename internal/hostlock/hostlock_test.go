package hostlock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func newLocker(t *testing.T) *Locker {
	t.Helper()
	l, err := New(filepath.Join(t.TempDir(), "locks"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestSecondLockIsRefusedNamingTheRun(t *testing.T) {
	l := newLocker(t)
	started := time.Date(2026, 12, 5, 3, 4, 5, 0, time.UTC)
	first, err := l.Lock(t.Context(), "FS01", Holder{Run: "r-17", Runbook: "usn-journal-cleanup", User: "alice", PID: 4242, Started: started}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Names are compared case-insensitively, as the inventory does.
	_, err = l.Lock(t.Context(), "fs01", Holder{Run: "r-18"}, 0)
	var busy *BusyError
	if !errors.As(err, &busy) {
		t.Fatalf("second lock: %v, want a *BusyError", err)
	}
	if busy.Holder.Run != "r-17" || busy.Holder.Target != "FS01" {
		t.Errorf("holder %+v", busy.Holder)
	}
	for _, want := range []string{"fs01 is being changed by run r-17 (usn-journal-cleanup by alice", "process 4242", "one change per server"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// Another server is not affected.
	other, err := l.Lock(t.Context(), "fs02", Holder{Run: "r-19"}, 0)
	if err != nil {
		t.Fatalf("another server: %v", err)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := l.Lock(t.Context(), "fs01", Holder{Run: "r-20"}, 0)
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	_ = again.Unlock()
	if err := again.Unlock(); err != nil {
		t.Errorf("second Unlock: %v", err)
	}
}

func TestWaiterGetsTheLockWhenReleased(t *testing.T) {
	l := newLocker(t)
	first, err := l.Lock(t.Context(), "fs01", Holder{Run: "r-1"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		lk, err := l.Lock(t.Context(), "fs01", Holder{Run: "r-2"}, time.Minute) // bounds a hang only
		if err == nil {
			err = lk.Unlock()
		}
		got <- err
	}()
	// Release once the waiter has had a chance to find the lock held.
	time.Sleep(2 * l.poll)
	if err := first.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("waiter: %v", err)
	}
}

func TestWaitEndsWithContext(t *testing.T) {
	l := newLocker(t)
	first, err := l.Lock(t.Context(), "fs01", Holder{Run: "r-1", Runbook: "vss-writer-restart"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = l.Lock(ctx, "fs01", Holder{Run: "r-2"}, time.Hour)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "r-1") {
		t.Fatalf("got %v", err)
	}
}

func TestFileNamesStayInTheFolder(t *testing.T) {
	for _, name := range []string{"../../etc/passwd", "..", ".", "", "a/b", `c:\x`, "fs01\x00", "ＦＳ０１"} {
		f := fileName(name)
		if strings.ContainsAny(f, `/\`+"\x00") || f == "..lock" || filepath.Base(f) != f || strings.HasPrefix(f, ".") {
			t.Errorf("fileName(%q) = %q", name, f)
		}
	}
	if fileName("FS01.corp") != fileName("fs01.corp") {
		t.Error("case matters")
	}
}

// TestAcrossProcesses holds a lock in a child process (this test binary
// re-executed), checks that this process is refused with the child's
// details, then kills the child with SIGKILL: the kernel releases the lock.
func TestAcrossProcesses(t *testing.T) {
	if os.Getenv("HOSTLOCK_CHILD_DIR") != "" {
		t.Skip("child")
	}
	dir := filepath.Join(t.TempDir(), "locks")
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildHoldsLock$", "-test.v")
	cmd.Env = append(os.Environ(), "HOSTLOCK_CHILD_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	locked := false
	for sc.Scan() {
		if sc.Text() == "LOCKED" {
			locked = true
			break
		}
	}
	if !locked {
		t.Fatal("child did not take the lock")
	}
	l, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.Lock(t.Context(), "fs01", Holder{Run: "r-parent"}, 0)
	var busy *BusyError
	if !errors.As(err, &busy) || busy.Holder.PID != cmd.Process.Pid || busy.Holder.Run != "r-child" {
		t.Fatalf("parent: %v (holder %+v), want busy with the child's pid %d", err, busy, cmd.Process.Pid)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no chance to unlock
		t.Fatal(err)
	}
	_ = cmd.Wait()
	lk, err := l.Lock(t.Context(), "fs01", Holder{Run: "r-parent"}, time.Minute) // bounds a hang only
	if err != nil {
		t.Fatalf("after the holder was killed: %v", err)
	}
	_ = lk.Unlock()
}

// TestChildHoldsLock is the child of TestAcrossProcesses.
func TestChildHoldsLock(t *testing.T) {
	dir := os.Getenv("HOSTLOCK_CHILD_DIR")
	if dir == "" {
		t.Skip("run by TestAcrossProcesses")
	}
	l, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Lock(context.Background(), "fs01", Holder{Run: "r-child", Runbook: "usn-journal-cleanup", PID: os.Getpid()}, 0); err != nil {
		t.Fatal(err)
	}
	fmt.Println("LOCKED")
	// Hold until killed (or the parent goes away and stdin closes).
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}
