package oncall_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// clock is a settable clock for approval expiry.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

// approvalService is a service over e's lab and record with its own clock
// (and, when set is not nil, its own runbooks).
func approvalService(t *testing.T, e *estate, c *clock, set *runbooks.Set) *oncall.Service {
	t.Helper()
	d := e.deps
	d.Clock = c.Now
	if set != nil {
		d.Runbooks = set
	}
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func requestRestart(t *testing.T, svc *oncall.Service, requester string, pol oncall.ApprovalPolicy) *oncall.ApprovalRequest {
	t.Helper()
	plan, err := svc.Plan(t.Context(), oncall.RunRequest{Runbook: "vss-writer-restart", Server: "writer-failed", Actor: requester})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.RequestApproval(t.Context(), plan, requester, pol, map[string]string{"channel": "C1", "thread": "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != oncall.ApprovalPending || r.PlanHash != plan.Hash() || r.Needed() != pol.Quorum {
		t.Fatalf("new request: %+v", r)
	}
	return r
}

func refusedWith(t *testing.T, err error, want string) {
	t.Helper()
	if oncall.Code(err) != oncall.Refused || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want a refusal containing %q", err, want)
	}
}

// The contract's points 1-5 and 7, on the use cases: self-approval and a
// non-approver are refused, a repeated click and racing approvers run the
// fix exactly once, a deny ends the request, and a request survives a
// restart of the service.
func TestApprovalOneRunForManyClicks(t *testing.T) {
	e := startLab(t)
	c := &clock{now: fixedNow}
	svc := approvalService(t, e, c, nil)
	pol := oncall.ApprovalPolicy{Approvers: []string{"U_BOB", "U_ALICE"}, Quorum: 1, TTL: 30 * time.Minute}
	r := requestRestart(t, svc, "U_ALICE", pol)
	if got := strings.Join(r.Eligible(), ","); got != "U_BOB" {
		t.Errorf("eligible approvers %q, want only U_BOB (the requester never counts)", got)
	}

	_, err := svc.Approve(t.Context(), r.ID, "U_ALICE")
	refusedWith(t, err, "you requested this change")
	_, err = svc.Approve(t.Context(), r.ID, "U_CAROL")
	refusedWith(t, err, "not an approver")

	// A restart: a new service over the same record finds the request.
	svc = approvalService(t, e, c, nil)
	pending, err := svc.PendingApprovals(t.Context())
	if err != nil || len(pending) != 1 || pending[0].ID != r.ID || pending[0].Where["thread"] != "1.2" {
		t.Fatalf("pending after restart: %v %+v", err, pending)
	}

	// The same click four times at once, and another service (a second
	// delivery handled elsewhere) too: exactly one decision is Ready.
	var ready atomic.Int32
	var wg sync.WaitGroup
	var results []*oncall.ApprovalDecision
	var mu sync.Mutex
	for i := range 5 {
		s := svc
		if i == 4 {
			s = approvalService(t, e, c, nil)
		}
		wg.Go(func() {
			d, err := s.Approve(t.Context(), r.ID, "U_BOB")
			if err != nil {
				// A click that lost the race sees the request closed.
				refusedWith(t, err, "already approved")
				return
			}
			if d.Ready {
				ready.Add(1)
			}
			mu.Lock()
			results = append(results, d)
			mu.Unlock()
		})
	}
	wg.Wait()
	if ready.Load() != 1 {
		t.Fatalf("%d decisions ready, want exactly 1", ready.Load())
	}
	var d *oncall.ApprovalDecision
	for _, x := range results {
		if x.Ready {
			d = x
		}
	}
	res, err := svc.ApplyApproved(t.Context(), d, nil)
	if err != nil || res.Status != runbooks.RunSucceeded || !res.Verified {
		t.Fatalf("apply: %v %+v", err, res)
	}
	if e.hosts["writer-failed"].WriterState("SqlServerWriter") != 1 {
		t.Error("SqlServerWriter is not stable after the approved run")
	}
	runs, err := e.st.Runs(t.Context(), store.RunFilter{Runbook: "vss-writer-restart", Target: "writer-failed"})
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs: %v %+v, want exactly one", err, runs)
	}
	_, started := e.started(t, runs[0].ID)
	if started.PlanHash != r.PlanHash || strings.Join(started.Approvers, ",") != "U_BOB" || !strings.Contains(started.Approval, r.ID) {
		t.Errorf("run.started: %+v", started)
	}
	// After the run a late click is refused: the request is closed.
	_, err = svc.Approve(t.Context(), r.ID, "U_BOB")
	refusedWith(t, err, "already approved")
	if _, err := svc.ApplyApproved(t.Context(), &oncall.ApprovalDecision{Request: d.Request}, nil); err == nil {
		t.Error("a decision that is not ready was applied")
	}
}

func TestApprovalDenyQuorumExpiry(t *testing.T) {
	e := startLab(t)
	c := &clock{now: fixedNow}
	svc := approvalService(t, e, c, nil)
	ctx := t.Context()

	t.Run("deny ends the request", func(t *testing.T) {
		r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB", "U_DAVE"}, Quorum: 1, TTL: time.Hour})
		if _, err := svc.Deny(ctx, r.ID, "U_CAROL", "no"); err == nil {
			t.Error("a non-approver denied")
		}
		got, err := svc.Deny(ctx, r.ID, "U_DAVE", "not during business hours")
		if err != nil || got.State != oncall.ApprovalDenied || got.ClosedBy != "U_DAVE" {
			t.Fatalf("deny: %v %+v", err, got)
		}
		_, err = svc.Approve(ctx, r.ID, "U_BOB")
		refusedWith(t, err, "denied by U_DAVE (not during business hours)")
	})

	t.Run("quorum 2", func(t *testing.T) {
		r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB", "U_DAVE"}, Quorum: 2, TTL: time.Hour})
		d, err := svc.Approve(ctx, r.ID, "U_BOB")
		if err != nil || d.Ready || d.Request.Needed() != 1 {
			t.Fatalf("first of two: %v %+v", err, d)
		}
		if d, err = svc.Approve(ctx, r.ID, "U_BOB"); err != nil || !d.Already || d.Ready || d.Request.Needed() != 1 {
			t.Fatalf("the same approver twice: %v %+v", err, d)
		}
		if d, err = svc.Approve(ctx, r.ID, "U_DAVE"); err != nil || !d.Ready || d.Request.State != oncall.ApprovalApproved {
			t.Fatalf("second of two: %v %+v", err, d)
		}
	})

	t.Run("expired", func(t *testing.T) {
		r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: 8 * time.Second})
		c.Advance(10 * time.Second)
		_, err := svc.Approve(ctx, r.ID, "U_BOB")
		refusedWith(t, err, "expired")
		got, _ := svc.Approval(ctx, r.ID)
		if got.State != oncall.ApprovalExpired {
			t.Errorf("state %s after a late click", got.State)
		}
		// ExpireApprovals finds nothing more to expire.
		if ex, err := svc.ExpireApprovals(ctx); err != nil || len(ex) != 0 {
			t.Errorf("expire again: %v %d", err, len(ex))
		}
	})

	t.Run("expired by the sweep", func(t *testing.T) {
		r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Minute})
		c.Advance(2 * time.Minute)
		ex, err := svc.ExpireApprovals(ctx)
		if err != nil || len(ex) != 1 || ex[0].ID != r.ID || ex[0].State != oncall.ApprovalExpired {
			t.Fatalf("sweep: %v %+v", err, ex)
		}
	})

	t.Run("no possible approver", func(t *testing.T) {
		plan, err := svc.Plan(ctx, oncall.RunRequest{Runbook: "vss-writer-restart", Server: "writer-failed", Actor: "U_BOB"})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.RequestApproval(ctx, plan, "U_BOB", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Hour}, nil)
		refusedWith(t, err, "0 approver(s) other than the requester, 1 needed")
	})
	if runs := e.runs(t); len(runs) != 0 {
		t.Errorf("%d runs recorded; nothing was applied", len(runs))
	}
}

// An approval is void when the plan changes before it runs: here the
// runbook file was edited (the service restarted with the new file).
func TestApprovalVoidWhenRunbookChanges(t *testing.T) {
	e := startLab(t)
	c := &clock{now: fixedNow}
	svc := approvalService(t, e, c, nil)
	r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Hour})

	edited := fstest.MapFS{}
	err := fs.WalkDir(runbooks.Bundled(), ".", func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		b, err := fs.ReadFile(runbooks.Bundled(), p)
		if strings.HasSuffix(p, "vss-writer-restart.yaml") {
			b = append(b, "# reviewed again\n"...)
		}
		edited[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set, ps := runbooks.Load(runbooks.Source{Name: "bundled", FS: edited})
	if err := ps.Err(); err != nil {
		t.Fatal(err)
	}
	svc = approvalService(t, e, c, set)
	d, err := svc.Approve(t.Context(), r.ID, "U_BOB")
	if err != nil || d.Ready || d.Request.State != oncall.ApprovalVoid || !strings.Contains(d.Request.Reason.EN, "runbook vss-writer-restart changed") ||
		!strings.Contains(d.Request.Reason.JA, "ランブック vss-writer-restart が変更されました") {
		t.Fatalf("approve after the file changed: %v %+v", err, d)
	}
	_, err = svc.Approve(t.Context(), r.ID, "U_BOB")
	refusedWith(t, err, "void because the plan changed")
	if runs := e.runs(t); len(runs) != 0 {
		t.Errorf("%d runs recorded; nothing was applied", len(runs))
	}
}

// A runbook whose steps set parameters with with: (usn-journal-cleanup
// sets disk, partition and letter) is planned again and applied from the
// parameters the requester gave, not from the values the steps computed.
func TestApprovalOfARunbookThatSetsItsParameters(t *testing.T) {
	e := startLab(t)
	c := &clock{now: fixedNow}
	svc := approvalService(t, e, c, nil)
	plan, err := svc.Plan(t.Context(), oncall.RunRequest{Runbook: "usn-journal-cleanup", Server: "reserved-full", Actor: "U_ALICE"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := svc.RequestApproval(t.Context(), plan, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := svc.Approve(t.Context(), r.ID, "U_BOB")
	if err != nil || !d.Ready {
		t.Fatalf("approve: %v %+v", err, d.Request)
	}
	res, err := svc.ApplyApproved(t.Context(), d, nil)
	if err != nil || res.Status != runbooks.RunSucceeded || !res.Verified {
		t.Fatalf("apply: %v %+v", err, res)
	}
}

// downOnce is an executor whose next Open fails while down is set.
type downOnce struct {
	runbooks.Executor
	down atomic.Bool
}

func (d *downOnce) Open(ctx context.Context, target string) (runbooks.Session, error) {
	if d.down.Load() {
		return nil, errors.New("connection refused")
	}
	return d.Executor.Open(ctx, target)
}

// When the server does not answer the dry run made at the quorum, the
// approval stays recorded and the request pending; the same approver's
// next click makes the plan again and is Ready.
func TestApprovalRetriedAfterTheServerDidNotAnswer(t *testing.T) {
	e := startLab(t)
	c := &clock{now: fixedNow}
	ex := &downOnce{Executor: e.deps.Executor}
	d := e.deps
	d.Clock, d.Executor = c.Now, ex
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	r := requestRestart(t, svc, "U_ALICE", oncall.ApprovalPolicy{Approvers: []string{"U_BOB"}, Quorum: 1, TTL: time.Hour})
	ex.down.Store(true)
	if _, err := svc.Approve(t.Context(), r.ID, "U_BOB"); err == nil || oncall.Code(err) != oncall.Failed {
		t.Fatalf("approve while the server is down: %v", err)
	}
	if got, _ := svc.Approval(t.Context(), r.ID); got.State != oncall.ApprovalPending || len(got.Granted) != 1 {
		t.Fatalf("after the failed dry run: %+v", got)
	}
	ex.down.Store(false)
	dec, err := svc.Approve(t.Context(), r.ID, "U_BOB")
	if err != nil || !dec.Ready || !dec.Already {
		t.Fatalf("retry: %v %+v", err, dec)
	}
}
