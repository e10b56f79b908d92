package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// TestSIGKILLMidRunThenRestart: a real wsbbot process runs
// usn-journal-cleanup against the lab and is killed with SIGKILL after it
// gave the System Reserved partition its temporary letter. While it runs,
// `history` in another process reads the record (exit 0, the run shown
// running). On the next start, the notice names the interrupted run, the
// step that was in flight, the letter it left and the exact cleanup
// (mountvol LETTER: /D, `wsbbot cleanup RUN --yes`); `cleanup RUN` shows it
// and runs nothing; `cleanup RUN --yes` removes the letter and is recorded.
func TestSIGKILLMidRunThenRestart(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Scenario: lab.ScenarioReservedFull})
	cfg := withStore(t, inv)
	var info lab.HostInfo
	for _, h := range l.Hosts() {
		if h.Scenario == lab.ScenarioReservedFull {
			info = h
		}
	}
	if info.Host == nil {
		t.Fatal("no reserved-full host in the lab")
	}
	// Every command waits, so the run is still going when it is killed.
	info.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Action: "Command", Delay: 700 * time.Millisecond})
	lockDir := t.TempDir()
	vars = append(vars, "WSBBOT_REMOTE_LOCK_DIR="+lockDir)
	child := exec.Command(os.Args[0], "run", "usn-journal-cleanup", "--config", cfg, "--target", info.Name, "--yes")
	child.Env = append(os.Environ(), append(vars, asWsbbot+"=1", "XDG_STATE_HOME="+t.TempDir())...)
	var childOut strings.Builder
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	defer func() {
		if !killed {
			child.Process.Kill()
			child.Wait()
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	letter := ""
	for letter == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the child never assigned the letter:\n%s", childOut.String())
		}
		time.Sleep(10 * time.Millisecond)
		letter = info.Host.DriveLetter(lab.RoleSystemReserved)
	}
	// From now on every command waits long: the run cannot reach its own
	// cleanup before it is killed, however slow this machine is.
	info.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Action: "Command", Delay: 2 * time.Minute})

	// The record is readable beside the running process.
	code, out, stderr := wsbbot(t, vars, "", "history", "--config", cfg, "--json")
	var runs []struct{ ID, Runbook, Status string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 {
		t.Fatalf("history beside the running wsbbot: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if len(runs) != 1 || runs[0].Status != "running" || strings.Contains(stderr, "interrupted") {
		t.Fatalf("history beside the running wsbbot: %+v\n%s", runs, stderr)
	}
	id := runs[0].ID

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	killed = true
	info.Server.ClearFaults()
	if got := info.Host.DriveLetter(lab.RoleSystemReserved); got != letter {
		t.Fatalf("after the kill the letter is %q, want %q left behind", got, letter)
	}

	// The next start tells what the run left and how to clean it up.
	code, _, stderr = wsbbot(t, vars, "", "history", "--config", cfg)
	if code != 0 {
		t.Fatalf("history after the crash: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"run " + id + " was interrupted",
		"in flight when it stopped (may or may not have run): delete-journal: fsutil usn deletejournal /N /D " + letter + ":",
		"changed (passed): assign-letter",
		"remove-letter (Remove the temporary drive letter): mountvol " + letter + ": /D",
		"wsbbot cleanup " + id + " --yes",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the notice lacks %q:\n%s", want, stderr)
		}
	}
	// Said once: the next start finds nothing new.
	if _, _, stderr := wsbbot(t, vars, "", "history", "--config", cfg); strings.Contains(stderr, "interrupted") {
		t.Errorf("the notice came again:\n%s", stderr)
	}

	code, out, _ = wsbbot(t, vars, "", "cleanup", id, "--config", cfg)
	if code != 0 || !strings.Contains(out, "mountvol "+letter+": /D") || !strings.Contains(out, "Nothing was run") || info.Host.DriveLetter(lab.RoleSystemReserved) != letter {
		t.Fatalf("cleanup without --yes: exit %d, letter %q\n%s", code, info.Host.DriveLetter(lab.RoleSystemReserved), out)
	}
	code, out, stderr = wsbbot(t, vars, "", "cleanup", id, "--config", cfg, "--yes")
	if code != 0 || info.Host.DriveLetter(lab.RoleSystemReserved) != "" {
		t.Fatalf("cleanup --yes: exit %d, letter %q\n%s%s", code, info.Host.DriveLetter(lab.RoleSystemReserved), out, stderr)
	}
	code, out, _ = wsbbot(t, vars, "", "history", "--config", cfg, "--json")
	runs = nil
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 || len(runs) != 2 || runs[0].Status != "succeeded" || runs[1].Status != "interrupted" {
		t.Errorf("history after the cleanup: exit %d, %v: %+v", code, err, runs)
	}
	if code, _, _ := wsbbot(t, vars, "", "cleanup", runs[0].ID, "--config", cfg, "--yes"); code != exitRefused {
		t.Errorf("cleanup of a finished run: exit %d, want %d", code, exitRefused)
	}
}
