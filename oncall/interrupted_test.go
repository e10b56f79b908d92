package oncall_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// TestInterruptedApprovedFix: a fix approved through a request is killed
// mid-step (held at delete-journal, the record copied as the next process
// finds it). The run names its request, so UnreportedInterruptions gives
// it with the request's place, once reported no more; its cleanup is
// requested and approved like any plan (not by its requester), runs once,
// is recorded as the cleanup of that run, and is refused the second time.
func TestInterruptedApprovedFix(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	host := e.hosts["reserved-full"]
	policy := oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Hour}
	where := map[string]string{"channel": "C1", "thread": "100.1"}
	plan, err := e.svc.Plan(ctx, oncall.RunRequest{Runbook: "usn-journal-cleanup", Server: "reserved-full", Actor: "U_ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := e.svc.RequestApproval(ctx, plan, "U_ALICE", policy, where)
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Approve(ctx, ar.ID, "U_BOB")
	if err != nil || !d.Ready {
		t.Fatalf("approve: %+v, %v", d, err)
	}
	hold := &holdAt{id: "delete-journal", reached: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := e.svc.ApplyApproved(ctx, d, hold); err != nil {
			t.Errorf("apply: %v", err)
		}
	}()
	released := sync.OnceFunc(func() { close(hold.release); <-done })
	t.Cleanup(released)
	<-hold.reached
	letter := host.DriveLetter(lab.RoleSystemReserved)

	crashed := copyRecord(t, e.st)
	deps := e.deps
	deps.Store = crashed
	ex := *deps.Executor.(*remote.Executor)
	if ex.Client, err = remote.New(remote.Options{Concurrency: 16}); err != nil {
		t.Fatal(err)
	}
	deps.Executor = &ex
	svc, err := oncall.New(deps)
	if err != nil {
		t.Fatal(err)
	}

	fixes, err := svc.UnreportedInterruptions(ctx)
	if err != nil || len(fixes) != 1 {
		t.Fatalf("unreported interruptions: %+v, %v; want the held run", fixes, err)
	}
	f := fixes[0]
	id := f.Leftovers.Run.ID
	if f.Request.ID != ar.ID || f.Leftovers.Request != ar.ID || f.Request.Where["channel"] != "C1" || f.Request.Where["thread"] != "100.1" {
		t.Errorf("interrupted fix %s names request %q (%v), want %s in C1/100.1", id, f.Request.ID, f.Request.Where, ar.ID)
	}
	if len(f.Leftovers.InFlight) != 1 || f.Leftovers.InFlight[0].Step != "delete-journal" {
		t.Errorf("in flight = %+v, want delete-journal", f.Leftovers.InFlight)
	}
	for range 2 {
		if err := svc.InterruptionReported(ctx, id, "reserved-full", where); err != nil {
			t.Fatal(err)
		}
	}
	if fixes, err := svc.UnreportedInterruptions(ctx); err != nil || len(fixes) != 0 {
		t.Fatalf("after the report: %+v, %v; want none", fixes, err)
	}

	cleanPlan, err := svc.PlanCleanup(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	car, err := svc.RequestCleanupApproval(ctx, id, cleanPlan, "U_ALICE", policy, where)
	if err != nil || car.Cleanup != id {
		t.Fatalf("cleanup request: %+v, %v", car, err)
	}
	if _, err := svc.Approve(ctx, car.ID, "U_ALICE"); oncall.Code(err) != oncall.Refused {
		t.Errorf("the requester approving her cleanup: %v, want refused", err)
	}
	cd, err := svc.Approve(ctx, car.ID, "U_BOB")
	if err != nil || !cd.Ready {
		t.Fatalf("approve the cleanup: %+v, %v", cd, err)
	}
	res, err := svc.ApplyApproved(ctx, cd, nil)
	if err != nil || res.Status != runbooks.RunSucceeded || host.DriveLetter(lab.RoleSystemReserved) != "" {
		t.Fatalf("the approved cleanup: %+v, %v; letter %q (was %q)", res, err, host.DriveLetter(lab.RoleSystemReserved), letter)
	}
	_, p := (&estate{st: crashed}).started(t, res.RunID)
	if p.CleanupOf != id || p.Request != car.ID || p.Approvers[0] != "U_BOB" {
		t.Errorf("the cleanup run was recorded as %+v", p)
	}
	if _, err := svc.PlanCleanup(ctx, id); oncall.Code(err) != oncall.Refused || !strings.Contains(err.Error(), "cleaned up already, by run "+res.RunID) {
		t.Errorf("a second cleanup: %v, want refused as done by %s", err, res.RunID)
	}
	released()
}
