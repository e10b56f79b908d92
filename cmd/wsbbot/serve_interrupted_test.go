package main

import (
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// An approved fix interrupted by a crash (issue #10; issue #11 defect 4):
// serve, in a process of its own, runs an approved usn-journal-cleanup and
// is killed with SIGKILL after the run gave the System Reserved partition
// its temporary letter. The next start says so in the request's thread
// (the step in flight, what it left, the exact cleanup) once, re-runs
// nothing, and offers Request cleanup, which goes through the approvals:
// the requester cannot approve it, another approver's click runs it once.
func TestServeInterruptedFixReportedInThread(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	s := startApprovals(t)
	var info lab.HostInfo
	for _, h := range s.lab.Hosts() {
		if h.Scenario == lab.ScenarioReservedFull {
			info = h
		}
	}
	if code := s.shutdown(); code != 0 { // the in-process serve gives way to a process that can be killed
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	kill := s.startChild()
	thread, plan := s.requestRun("C05", userAlice, "usn-journal-cleanup", info.Name, "assign-letter", "Approve", "Deny")

	// Every command waits, so the run is still going when it is killed.
	info.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Action: "Command", Delay: 700 * time.Millisecond})
	if _, err := s.slack.Click("C05", plan.TS, userBob.ID, "Approve"); err != nil {
		t.Fatal(err)
	}
	var letter string
	s.waitFor("the temporary letter", func() bool {
		letter = info.Host.DriveLetter(lab.RoleSystemReserved)
		return letter != ""
	})
	// From now on every command waits long: the run cannot reach its own
	// cleanup before it is killed.
	info.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Action: "Command", Delay: 2 * time.Minute})
	kill()
	info.Server.ClearFaults()
	// `history` beside it opens the record first and marks the run
	// interrupted: serve still reports it at its start.
	runs := s.runsOf("usn-journal-cleanup", info.Name)
	if len(runs) != 1 || runs[0].Status != "interrupted" {
		t.Fatalf("after the kill: %+v, want the one run, interrupted", runs)
	}
	id := runs[0].ID

	interrupted := func() []slacktest.Message {
		var out []slacktest.Message
		for _, m := range s.botReplies("C05", thread) {
			if strings.Contains(m.Text, "was interrupted") {
				out = append(out, m)
			}
		}
		return out
	}
	s.start()
	s.waitThread("the report of the interrupted run", "C05", thread, containsAll(
		"Run "+id+" was interrupted", "It was *not* re-run",
		"In flight when it stopped", "delete-journal: fsutil usn deletejournal /N /D "+letter+":",
		"assign-letter (passed)", "remove-letter (Remove the temporary drive letter): mountvol "+letter+": /D",
		"wsbbot cleanup "+id+" --yes", `"Request cleanup"`))
	if runs := s.runsOf("usn-journal-cleanup", info.Name); len(runs) != 1 || runs[0].Status != "interrupted" {
		t.Fatalf("after the restart: %+v, want the one run, interrupted, and nothing re-run", runs)
	}
	if got := info.Host.DriveLetter(lab.RoleSystemReserved); got != letter {
		t.Fatalf("the letter is %q after the restart, want %q left as it was", got, letter)
	}
	// Reported once: the next start says nothing again.
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
	}
	s.start()
	report := interrupted()
	if len(report) != 1 {
		t.Fatalf("%d reports of the interrupted run after two starts, want 1:\n%s", len(report), shown(report...))
	}

	// Request cleanup: planned and put to the approvers like any fix.
	if _, err := s.slack.Click("C05", report[0].TS, userAlice.ID, "Request cleanup"); err != nil {
		t.Fatal(err)
	}
	cleanup := s.planIn("C05", thread, userAlice, "Cleanup of interrupted run "+id, "Approve", "Deny")
	if !strings.Contains(shown(cleanup), "mountvol "+letter+": /D") {
		t.Errorf("the cleanup's plan lacks the command:\n%s", shown(cleanup))
	}
	if got := s.clickRefused("C05", cleanup, userAlice, "Approve"); !strings.Contains(got, "you requested this change") {
		t.Errorf("the requester approving her cleanup request: %q", got)
	}
	if got := info.Host.DriveLetter(lab.RoleSystemReserved); got != letter {
		t.Fatalf("a refused approval ran the cleanup: the letter is %q", got)
	}
	for range 2 {
		if _, err := s.slack.Click("C05", cleanup.TS, userBob.ID, "Approve"); err != nil {
			t.Fatal(err)
		}
	}
	s.waitThread("the cleanup's result", "C05", thread, containsAll("usn-journal-cleanup / "+info.Name+" — succeeded"))
	if got := info.Host.DriveLetter(lab.RoleSystemReserved); got != "" {
		t.Errorf("after the approved cleanup the letter is %q", got)
	}
	runs = s.runsOf("usn-journal-cleanup", info.Name)
	if len(runs) != 2 || runs[0].Status != "succeeded" || runs[1].ID != id || runs[1].Status != "interrupted" {
		t.Fatalf("after the cleanup: %+v, want the cleanup run once, succeeded, and the interrupted run", runs)
	}
	// A second request of the same cleanup is refused: it was done.
	if _, err := s.slack.Click("C05", report[0].TS, userAlice.ID, "Request cleanup"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the refusal of a second cleanup", "C05", thread, containsAll("was cleaned up already, by run "+runs[0].ID))
	s.writeSlackTranscript("interrupted-fix", "C05", thread)
	for _, n := range s.slack.Unexpected() {
		t.Errorf("fake Slack saw: %s", n)
	}
}
