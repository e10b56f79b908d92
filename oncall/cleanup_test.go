package oncall_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// holdAt is an Observer that holds the run when step id is about to be
// sent (after the record took it), until release is closed.
type holdAt struct {
	id      string
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (h *holdAt) StepStarted(_ context.Context, st runbooks.RenderedStep) {
	if st.ID == h.id {
		h.once.Do(func() { close(h.reached) })
		<-h.release
	}
}

func (h *holdAt) StepFinished(context.Context, runbooks.StepResult) {}

// copyRecord copies the events of src into a new in-memory record and ends
// the running runs there as interrupted: the record a wsbbot finds after
// the process that held src was killed at this moment.
func copyRecord(t *testing.T, src store.Store) *store.Memory {
	t.Helper()
	ctx := context.Background()
	events, err := src.Events(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		events[i].Seq, events[i].PrevHash, events[i].Hash = 0, "", ""
	}
	dst := store.NewMemory(nil)
	if _, err := dst.AppendMany(ctx, events); err != nil {
		t.Fatal(err)
	}
	runs, err := dst.Runs(ctx, store.RunFilter{Status: store.StatusRunning})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		if _, err := dst.Append(ctx, store.RunInterrupted{Reason: "wsbbot stopped while the run was in progress"}.Event(r.ID, r.Target, "wsbbot")); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestLeftoversAndCleanupOfAnInterruptedRun: usn-journal-cleanup is held
// while it deletes the journal, the temporary letter assigned. The record
// then has the letter's step finished and the journal's step in flight;
// Leftovers names both and renders the cleanup (mountvol LETTER: /D) from
// the recorded parameters; Cleanup, approved, removes the letter on the
// server and is recorded as a run of its own.
func TestLeftoversAndCleanupOfAnInterruptedRun(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	host := e.hosts["reserved-full"]
	plan, err := e.svc.Plan(ctx, oncall.RunRequest{Runbook: "usn-journal-cleanup", Server: "reserved-full", Actor: "U_ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	hold := &holdAt{id: "delete-journal", reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan *runbooks.Result, 1)
	go func() {
		res, err := e.svc.Apply(ctx, plan, oncall.Approval{By: []string{"U_BOB"}, PlanHash: plan.Hash(), How: "test"}, hold)
		if err != nil {
			t.Errorf("apply: %v", err)
		}
		done <- res
	}()
	released := sync.OnceFunc(func() { close(hold.release); <-done })
	t.Cleanup(released)
	<-hold.reached
	letter := host.DriveLetter(lab.RoleSystemReserved)
	if letter == "" {
		t.Fatal("the System Reserved partition has no letter while the journal step is held")
	}

	crashed := copyRecord(t, e.st)
	d := e.deps
	d.Store = crashed
	// The next wsbbot process has its own WinRM client (the held run
	// keeps this one's session to the server).
	ex := *d.Executor.(*remote.Executor)
	if ex.Client, err = remote.New(remote.Options{Concurrency: 16}); err != nil {
		t.Fatal(err)
	}
	d.Executor = &ex
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := crashed.Runs(ctx, store.RunFilter{Status: store.StatusInterrupted})
	if len(runs) != 1 {
		t.Fatalf("interrupted runs %+v, want the held run", runs)
	}
	id := runs[0].ID
	l, err := svc.Leftovers(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.InFlight) != 1 || l.InFlight[0].Step != "delete-journal" || l.InFlight[0].Script != "fsutil usn deletejournal /N /D "+letter+":" {
		t.Errorf("in flight = %+v, want delete-journal on %s:", l.InFlight, letter)
	}
	if len(l.Changed) != 1 || l.Changed[0].Step != "assign-letter" || l.Changed[0].Status != "passed" || !strings.Contains(l.Changed[0].Params, `"letter":"`+letter+`"`) {
		t.Errorf("changed = %+v, want assign-letter passed with letter %s", l.Changed, letter)
	}
	if len(l.Cleanup) != 2 || l.Cleanup[0].ID != "remove-letter" || l.Cleanup[0].Script != "mountvol "+letter+": /D" || l.Cleanup[1].ID != "check-letter-removed" {
		t.Fatalf("cleanup = %+v, want mountvol %s: /D then the check", l.Cleanup, letter)
	}
	if l.Problem != "" {
		t.Errorf("problem %q", l.Problem)
	}

	// Without an approver nothing runs.
	if _, err := svc.Cleanup(ctx, id, oncall.Approval{}, nil); oncall.Code(err) != oncall.Refused {
		t.Errorf("cleanup without approval: %v, want refused", err)
	}
	res, err := svc.Cleanup(ctx, id, oncall.Approval{By: []string{"cli:alice"}, How: "--yes on the command line"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbooks.RunSucceeded || host.DriveLetter(lab.RoleSystemReserved) != "" {
		t.Fatalf("cleanup: %s %+v; letter now %q", res.Status, res.Steps, host.DriveLetter(lab.RoleSystemReserved))
	}
	_, p := (&estate{st: crashed}).started(t, res.RunID)
	if p.Runbook != "usn-journal-cleanup" || !strings.Contains(p.Approval, "cleanup of interrupted run "+id) || p.Approvers[0] != "cli:alice" || p.CleanupOf != id {
		t.Errorf("cleanup run recorded as %+v", p)
	}
	// The cleanup run changed something too: its own step was recorded
	// before it was sent.
	evs, _ := crashed.Events(ctx, store.Filter{RunID: res.RunID, Kinds: []store.Kind{store.KindStepStarted}})
	if len(evs) != 1 || !strings.Contains(string(evs[0].Data), "mountvol "+letter+": /D") {
		t.Errorf("cleanup run's step.started events: %+v", evs)
	}
	// Once cleaned up, the interrupted run's cleanup is not run again.
	if _, err := svc.Cleanup(ctx, id, oncall.Approval{By: []string{"cli:alice"}}, nil); oncall.Code(err) != oncall.Refused || !strings.Contains(err.Error(), "cleaned up already, by run "+res.RunID) {
		t.Errorf("a second cleanup of %s: %v, want refused as cleaned up by %s", id, err, res.RunID)
	}
	// A finished run has no cleanup to run.
	if _, err := svc.Cleanup(ctx, res.RunID, oncall.Approval{By: []string{"cli:alice"}}, nil); oncall.Code(err) != oncall.Refused {
		t.Errorf("cleanup of a finished run: %v, want refused", err)
	}
	released()
}

// TestLeftoversOfARunThatChangedNothing: a run refused before any change
// left nothing, and Cleanup says so.
func TestLeftoversOfARunThatChangedNothing(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	res, err := e.svc.Run(ctx, oncall.RunRequest{Runbook: "usn-journal-cleanup", Server: "reserved-full", Actor: "U_ALICE"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := e.svc.Leftovers(ctx, res.RunID)
	if err != nil || !l.Nothing() || len(l.Cleanup) != 0 {
		t.Errorf("leftovers of a refused run = %+v, %v; want nothing", l, err)
	}
	if _, err := e.svc.Leftovers(ctx, "r99999"); oncall.Code(err) != oncall.NotFound {
		t.Errorf("leftovers of an unknown run: %v", err)
	}
}
