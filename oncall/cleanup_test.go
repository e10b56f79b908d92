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

// interruptUSNCleanup holds usn-journal-cleanup on reserved-full while it
// deletes the journal (the temporary letter assigned) and returns the
// service of the next wsbbot process (its own WinRM client, the change
// lock lock, which may be nil) over the record the held one would leave
// if killed now, the interrupted run's id and the letter, and release,
// which lets the held run end (called at the latest when the test ends).
func interruptUSNCleanup(t *testing.T, e *estate, lock runbooks.ChangeLock) (svc *oncall.Service, crashed *store.Memory, id, letter string, release func()) {
	t.Helper()
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
	release = sync.OnceFunc(func() { close(hold.release); <-done })
	t.Cleanup(release)
	<-hold.reached
	letter = host.DriveLetter(lab.RoleSystemReserved)
	if letter == "" {
		t.Fatal("the System Reserved partition has no letter while the journal step is held")
	}

	crashed = copyRecord(t, e.st)
	svc = nextProcess(t, e, crashed, lock)
	runs, _ := crashed.Runs(ctx, store.RunFilter{Status: store.StatusInterrupted})
	if len(runs) != 1 {
		t.Fatalf("interrupted runs %+v, want the held run", runs)
	}
	id = runs[0].ID
	return svc, crashed, id, letter, release
}

// nextProcess returns the service of another wsbbot process over record
// st and change lock lock (nil: none): its own WinRM client (a held run
// keeps the first one's session to the server).
func nextProcess(t *testing.T, e *estate, st store.Store, lock runbooks.ChangeLock) *oncall.Service {
	t.Helper()
	d := e.deps
	d.Store = st
	ex := *d.Executor.(*remote.Executor)
	var err error
	if ex.Client, err = remote.New(remote.Options{Concurrency: 16}); err != nil {
		t.Fatal(err)
	}
	d.Executor = &ex
	d.ChangeLock = lock
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return svc
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
	svc, crashed, id, letter, release := interruptUSNCleanup(t, e, nil)
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
	release()
}

// waitLock is a ChangeLock that keeps one run per server at a time in
// this process, the second waiting, and tells waiting when a run starts
// to wait.
type waitLock struct {
	mu      sync.Mutex
	held    map[string]chan struct{}
	waiting chan string
}

func (l *waitLock) LockChanges(ctx context.Context, target, runID string, _ runbooks.RunStart) (func(), error) {
	for {
		l.mu.Lock()
		busy, ok := l.held[target]
		if !ok {
			free := make(chan struct{})
			l.held[target] = free
			l.mu.Unlock()
			return func() { l.mu.Lock(); delete(l.held, target); l.mu.Unlock(); close(free) }, nil
		}
		l.mu.Unlock()
		l.waiting <- runID
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// TestSecondCleanupApprovedMeanwhileIsNotSent: two cleanups of one
// interrupted run are approved, the second while the first is removing
// the letter, in another process. The second waits for the server's
// change lock, then finds the run cleaned up, is refused and sends
// nothing.
func TestSecondCleanupApprovedMeanwhileIsNotSent(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	lock := &waitLock{held: map[string]chan struct{}{}, waiting: make(chan string, 1)}
	svc, crashed, id, letter, release := interruptUSNCleanup(t, e, lock)
	defer release()

	holdFirst := &holdAt{id: "remove-letter", reached: make(chan struct{}), release: make(chan struct{})}
	first := make(chan *runbooks.Result, 1)
	go func() {
		res, err := svc.Cleanup(ctx, id, oncall.Approval{By: []string{"cli:alice"}}, holdFirst)
		if err != nil {
			t.Errorf("first cleanup: %v", err)
		}
		first <- res
	}()
	<-holdFirst.reached
	second := make(chan *runbooks.Result, 1)
	// Approved in another process (the bot, say, while the first is a
	// CLI run): same record, same server lock, its own WinRM client.
	other := nextProcess(t, e, crashed, lock)
	go func() {
		res, err := other.Cleanup(ctx, id, oncall.Approval{By: []string{"cli:bob"}}, nil)
		if err != nil {
			t.Errorf("second cleanup: %v", err)
		}
		second <- res
	}()
	<-lock.waiting // the second passed its checks and waits for the server
	close(holdFirst.release)
	a, b := <-first, <-second
	if a == nil || b == nil {
		t.Fatal("a cleanup failed")
	}
	if a.Status != runbooks.RunSucceeded || e.hosts["reserved-full"].DriveLetter(lab.RoleSystemReserved) != "" {
		t.Fatalf("first cleanup: %s %+v", a.Status, a.Steps)
	}
	if b.Status != runbooks.RunRefused {
		t.Errorf("second cleanup: %s %+v, want refused", b.Status, b.Steps)
	}
	if len(b.Steps) != 0 || !strings.Contains(b.Error, "cleaned up meanwhile, by run "+a.RunID) {
		t.Errorf("second cleanup: steps %+v, error %q: want nothing sent, refused as cleaned up by %s", b.Steps, b.Error, a.RunID)
	}
	sent, _ := crashed.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindStepStarted}})
	n := 0
	for _, ev := range sent {
		if strings.Contains(string(ev.Data), "mountvol "+letter+": /D") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("mountvol %s: /D was sent %d times, want once", letter, n)
	}
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
