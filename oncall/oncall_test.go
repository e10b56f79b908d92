package oncall_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/lab/labtest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
	"github.com/wsbbot/wsbbot/runbooks"
)

// estate is a service over a running lab and an in-memory record.
type estate struct {
	svc   *oncall.Service
	st    *store.Memory
	hosts map[string]*lab.Host
	lab   *lab.Lab    // its servers, for injecting faults
	deps  oncall.Deps // what svc was made from, for more services over the same lab and record
}

// fixedNow is the service's clock in these tests.
var fixedNow = time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)

// startLab runs one lab host per scenario and returns the service over it:
// bundled runbooks and checklist, the WinRM executor, the hosts as the
// inventory (scenario as tag, the lab's declarations).
func startLab(t *testing.T) *estate {
	t.Helper()
	return startLabWith(t, lab.Options{})
}

// startLabWith is startLab over the hosts o asks for.
func startLabWith(t *testing.T, o lab.Options) *estate {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	o.Password = "lab-Passw0rd"
	l, err := lab.Start(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := remote.New(remote.Options{Concurrency: 16})
	if err != nil {
		t.Fatal(err)
	}
	e := &estate{st: store.NewMemory(nil), lab: l}
	e.deps, e.hosts, err = labtest.Deps(l, client)
	if err != nil {
		t.Fatal(err)
	}
	e.deps.Store, e.deps.Clock = e.st, func() time.Time { return fixedNow }
	e.svc, err = oncall.New(e.deps)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// runs returns the recorded runs, newest first.
func (e *estate) runs(t *testing.T) []store.RunSummary {
	t.Helper()
	runs, err := e.st.Runs(context.Background(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// started returns the run.started payload of a run.
func (e *estate) started(t *testing.T, runID string) (store.Event, store.RunStarted) {
	t.Helper()
	evs, err := e.st.Events(context.Background(), store.Filter{RunID: runID, Kinds: []store.Kind{store.KindRunStarted}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("run.started of %s: %v, %d events", runID, err, len(evs))
	}
	p, err := store.Decode[store.RunStarted](evs[0])
	if err != nil {
		t.Fatal(err)
	}
	return evs[0], p
}

func TestExplain(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, text string
		lang       runbooks.Lang
		codes      []string
		known      []bool
		title      string // a part of the first title
	}{
		{"pasted line, every form once", `HResult="-2139619047" 2155348249 ０ｘ８０７８０１１９ 800423f4`, runbooks.LangEN,
			[]string{"0x80780119", "0x800423F4"}, []bool{true, true}, ""},
		{"japanese", "バックアップはエラー 0x800423F4 で失敗しました", runbooks.LangJA, []string{"0x800423F4"}, []bool{true}, "ライター"},
		{"unknown", "error 0x80789999", runbooks.LangEN, []string{"0x80789999"}, []bool{false}, "Unknown code"},
		{"none", "nothing to see", runbooks.LangEN, []string{}, []bool{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			xs := svc.Explain(tt.text, tt.lang)
			codes, known := []string{}, []bool{}
			for _, x := range xs {
				codes, known = append(codes, x.Code), append(known, x.Known)
			}
			if diff := cmp.Diff(tt.codes, codes); diff != "" {
				t.Errorf("codes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.known, known); diff != "" {
				t.Errorf("known (-want +got):\n%s", diff)
			}
			if tt.title != "" && !strings.Contains(xs[0].Title, tt.title) {
				t.Errorf("title %q lacks %q", xs[0].Title, tt.title)
			}
		})
	}
	// A knowledge-only service says plainly that it cannot act.
	_, err = svc.Plan(context.Background(), oncall.RunRequest{Runbook: "diag-vss-writers", Server: "fs01"})
	if oncall.Code(err) != oncall.Failed || !strings.Contains(oncall.Message(err, runbooks.LangEN), "inventory") {
		t.Errorf("Plan without store and executor: %v", err)
	}
}

// TestDiagnoseByCode: the code's catalogue entry decides which read-only
// runbooks run, and what they found names the failed writer and its
// service; every run is recorded with who asked.
func TestDiagnoseByCode(t *testing.T) {
	e := startLab(t)
	d, err := e.svc.Diagnose(t.Context(), oncall.DiagnoseRequest{Server: "writer-failed", Code: "800423f4", Actor: "U1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"diag-vss-writers", "diag-event-log", "diag-wsb-summary"}, d.Runbooks); diff != "" {
		t.Errorf("runbooks (-want +got):\n%s", diff)
	}
	if d.Code != "0x800423F4" || len(d.Results) != len(d.Runbooks) || len(d.Missing) != 0 {
		t.Fatalf("diagnosis = %+v", d)
	}
	report := fmt.Sprint(d.Results[0].Steps[0].Report)
	for _, want := range []string{"SqlServerWriter", "SQLWriter"} {
		if !strings.Contains(report, want) {
			t.Errorf("diag-vss-writers report lacks %s: %s", want, report)
		}
	}
	runs := e.runs(t)
	if len(runs) != 3 {
		t.Fatalf("%d runs recorded, want 3", len(runs))
	}
	for _, r := range runs {
		if r.Actor != "U1" || r.Target != "writer-failed" || r.Status == store.StatusRunning {
			t.Errorf("recorded run %+v", r)
		}
	}
	if e.hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Error("a diagnosis changed the writer")
	}

	// With no code: every diagnostic runbook of the set.
	d, err = e.svc.Diagnose(t.Context(), oncall.DiagnoseRequest{Server: "healthy", Actor: "U1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, rb := range e.svc.Runbooks() {
		if rb.Category == runbooks.CategoryDiagnose {
			want = append(want, rb.ID)
		}
	}
	if diff := cmp.Diff(want, d.Runbooks); diff != "" {
		t.Errorf("runbooks without a code (-want +got):\n%s", diff)
	}

	for _, req := range []oncall.DiagnoseRequest{{Server: "nope"}, {Server: "healthy", Code: "not-a-code"}} {
		if _, err := e.svc.Diagnose(t.Context(), req, nil); oncall.Code(err) != oncall.Invalid {
			t.Errorf("Diagnose(%+v) = %v, want an Invalid UserError", req, err)
		}
	}
}

// TestPlanAndApplyBoundToTheHash: only the shown plan may be applied, and
// the record says which plan ran and who approved it.
func TestPlanAndApplyBoundToTheHash(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	host := e.hosts["writer-failed"]
	plan, err := e.svc.Plan(ctx, oncall.RunRequest{Runbook: "vss-writer-restart", Server: "writer-failed", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if plan.Refused || len(e.runs(t)) != 0 {
		t.Fatalf("plan refused %v, or the dry run was recorded (%d runs)", plan.Refused, len(e.runs(t)))
	}

	refusals := []struct {
		name     string
		approval oncall.Approval
	}{
		{"wrong hash", oncall.Approval{By: []string{"U2"}, PlanHash: strings.Repeat("0", 64), How: "test"}},
		{"no approver", oncall.Approval{PlanHash: plan.Hash(), How: "test", RequestedBy: "U1"}},
	}
	for _, tt := range refusals {
		res, err := e.svc.Apply(ctx, plan, tt.approval, nil)
		if res != nil || oncall.Code(err) != oncall.Refused {
			t.Errorf("%s: Apply = %v, %v; want a Refused UserError", tt.name, res, err)
		}
		if host.WriterState("SqlServerWriter") == 1 || !strings.Contains(err.Error(), "nothing ran") {
			t.Errorf("%s: the writer changed, or the message does not say nothing ran: %v", tt.name, err)
		}
	}
	runs := e.runs(t)
	if len(runs) != 2 || runs[0].Status != store.StatusRefused || runs[1].Status != store.StatusRefused {
		t.Fatalf("refusals recorded as %+v", runs)
	}
	if _, p := e.started(t, runs[1].ID); p.PlanHash != plan.Hash() || !cmp.Equal(p.Approvers, []string{"U2"}) {
		t.Errorf("the refused apply is recorded as %+v", p)
	}

	approval := oncall.Approval{By: []string{"U2"}, PlanHash: plan.Hash(), How: "approved in the test", RequestedBy: "U1"}
	res, err := e.svc.Apply(ctx, plan, approval, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbooks.RunSucceeded || !res.Verified || host.WriterState("SqlServerWriter") != 1 {
		t.Fatalf("apply: %s verified %v, writer state %d", res.Status, res.Verified, host.WriterState("SqlServerWriter"))
	}
	ev, p := e.started(t, res.RunID)
	want := store.RunStarted{Runbook: "vss-writer-restart", Params: map[string]string{"service": ""}, PlanHash: plan.Hash(),
		Approvers: []string{"U2"}, Approval: "approved in the test", Owner: store.CurrentOwner()}
	if diff := cmp.Diff(want, p); diff != "" || ev.Actor != "U1" || ev.Target != "writer-failed" {
		t.Errorf("run.started by %s on %s (-want +got):\n%s", ev.Actor, ev.Target, diff)
	}
	if rep, err := e.svc.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("record chain: %v %v", rep, err)
	}

	// The same plan applied again finds the writer stable: a step now
	// renders differently (no writer to restart), and nothing outside the
	// plan runs.
	res, err = e.svc.Apply(ctx, plan, approval, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		if s.Mode == runbooks.ModeChange && s.Status == runbooks.StepPassed {
			t.Errorf("second apply ran change %s", s.ID)
		}
	}
}

// TestRunUnapprovedRefusesChanges: Run without approval runs read-only
// steps and refuses the first change.
func TestRunUnapprovedRefusesChanges(t *testing.T) {
	e := startLab(t)
	res, err := e.svc.Run(t.Context(), oncall.RunRequest{Runbook: "vss-writer-restart", Server: "writer-failed", Actor: "U1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbooks.RunRefused || e.hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Errorf("status %s, writer %d", res.Status, e.hosts["writer-failed"].WriterState("SqlServerWriter"))
	}
	if _, p := e.started(t, res.RunID); len(p.Approvers) != 0 || !strings.HasPrefix(p.PlanHash, "none:") {
		t.Errorf("unapproved run recorded as %+v", p)
	}
}

// TestRejectedRequestsAreRecorded: a request turned down before anything
// ran is a UserError and a refused run with the reason.
func TestRejectedRequestsAreRecorded(t *testing.T) {
	e := startLab(t)
	tests := []struct {
		name string
		req  oncall.RunRequest
		why  string
	}{
		{"unknown runbook", oncall.RunRequest{Runbook: "no-such", Server: "healthy"}, `no runbook "no-such"`},
		{"unknown server", oncall.RunRequest{Runbook: "diag-vss-writers", Server: "nope"}, `no target "nope"`},
		{"bad parameter", oncall.RunRequest{Runbook: "vss-writer-restart", Server: "healthy", Params: map[string]string{"service": "rm -rf"}}, `parameter "service"`},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Actor = "U9"
			_, err := e.svc.Plan(t.Context(), tt.req)
			var ue *oncall.UserError
			if !errors.As(err, &ue) || ue.Code != oncall.Invalid || !strings.Contains(ue.Msg.EN, tt.why) || ue.Msg.JA == "" {
				t.Fatalf("Plan = %v, want an Invalid UserError naming %s in both languages", err, tt.why)
			}
			runs := e.runs(t)
			if len(runs) != i+1 {
				t.Fatalf("%d runs recorded, want %d", len(runs), i+1)
			}
			r := runs[0]
			if r.Status != store.StatusRefused || r.Actor != "U9" || r.Runbook != tt.req.Runbook || !strings.Contains(r.Summary, tt.why) {
				t.Errorf("recorded %+v", r)
			}
		})
	}
}

// TestBrokenRunbooksStillRecord: without a runbook set the record stays
// usable and a request is rejected with the reason, recorded.
func TestBrokenRunbooksStillRecord(t *testing.T) {
	st := store.NewMemory(nil)
	svc, err := oncall.New(oncall.Deps{RunbooksErr: errors.New("ops/broken.yaml:5: unknown key"), Store: st,
		Executor: &remote.Executor{}, Inventory: oncall.Inventory{{Name: "fs01"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Plan(t.Context(), oncall.RunRequest{Runbook: "diag-vss-writers", Server: "fs01", Actor: "U1"})
	if oncall.Code(err) != oncall.Invalid || !strings.Contains(err.Error(), "broken.yaml:5") {
		t.Errorf("Plan = %v", err)
	}
	runs, err := svc.History(t.Context(), "", 0)
	if err != nil || len(runs) != 1 || !strings.Contains(runs[0].Summary, "broken.yaml:5") {
		t.Errorf("history = %+v, %v", runs, err)
	}
}

func TestAudit(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	rep, err := e.svc.Audit(ctx, oncall.AuditRequest{Server: "healthy", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Summary.Total.Pass != 5 || rep.Summary.Total.Fail != 0 || !rep.Finished.Equal(fixedNow) {
		t.Errorf("healthy: %+v at %s", rep.Summary, rep.Finished)
	}
	rep, err = e.svc.Audit(ctx, oncall.AuditRequest{Group: "no-bmr", Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]checklists.Status{}
	for _, f := range rep.Findings() {
		got[f.Rule] = f.Status
	}
	if got["bmr"] != checklists.Fail || rep.Summary.Total.Fail != 1 {
		t.Errorf("no-bmr findings %v", got)
	}
	evs, err := e.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinding, store.KindAuditFinished}})
	if err != nil || len(evs) != 2*(5+1) {
		t.Errorf("%d audit events recorded (%v), want 12", len(evs), err)
	}
	for _, req := range []oncall.AuditRequest{{Server: "nope"}, {Group: "nope"}, {Server: "healthy", Group: "no-bmr"}} {
		if _, err := e.svc.Audit(ctx, req); oncall.Code(err) != oncall.Invalid {
			t.Errorf("Audit(%+v) = %v, want Invalid", req, err)
		}
	}
	// A restore test recorded through the service turns its rule's failure
	// into a pass.
	if _, err := e.svc.RestoreTestDone(ctx, "no-restore-test", fixedNow.AddDate(0, 0, -3), "U1"); err != nil {
		t.Fatal(err)
	}
	rep, err = e.svc.Audit(ctx, oncall.AuditRequest{Server: "no-restore-test"})
	if err != nil || rep.Summary.Total.Pass != 5 {
		t.Errorf("after restore-test done: %+v, %v", rep, err)
	}
}

// TestAuditCloseFailureIsAWarning: a server whose shell cannot be
// deleted after its facts were read keeps its findings, recorded with
// the others, and its report carries the failed close as a warning; the
// other server's has none.
func TestAuditCloseFailureIsAWarning(t *testing.T) {
	e := startLabWith(t, lab.Options{Scenario: lab.ScenarioHealthy, Hosts: 2})
	ctx := t.Context()
	lossy := lab.ScenarioHealthy
	for _, h := range e.lab.Hosts() {
		if h.Name == lossy {
			h.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultInternalError, Action: winrmtest.ActionDelete})
		}
	}
	rep, err := e.svc.Audit(ctx, oncall.AuditRequest{Actor: "U1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Reports) != 2 || rep.Summary.Total.Pass != 10 {
		t.Fatalf("reports %+v, summary %+v: want both servers' findings, all passing", rep.Reports, rep.Summary)
	}
	for _, r := range rep.Reports {
		switch {
		case r.Target == lossy && (r.Warning == nil || !strings.Contains(r.Warning.Error(), "close "+lossy)):
			t.Errorf("%s: warning %v, want the failed close", r.Target, r.Warning)
		case r.Target != lossy && r.Warning != nil:
			t.Errorf("%s: warning %v, want none", r.Target, r.Warning)
		}
	}
	evs, err := e.st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinding}})
	if err != nil || len(evs) != 10 {
		t.Errorf("%d findings recorded (%v), want 10", len(evs), err)
	}
}

func TestRecordQueries(t *testing.T) {
	e := startLab(t)
	ctx := t.Context()
	res, err := e.svc.Run(ctx, oncall.RunRequest{Runbook: "diag-vss-writers", Server: "healthy", Actor: "U1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := e.svc.Timeline(ctx, res.RunID)
	if err != nil || tl.Run.ID != res.RunID || len(tl.Events) < 3 {
		t.Errorf("timeline = %+v, %v", tl, err)
	}
	if _, err := e.svc.Timeline(ctx, "r99999"); oncall.Code(err) != oncall.NotFound {
		t.Errorf("unknown run: %v", err)
	}
	if runs, err := e.svc.History(ctx, "writer-failed", 0); err != nil || len(runs) != 0 {
		t.Errorf("history of another server = %+v, %v", runs, err)
	}
	for _, c := range []struct {
		server string
		day    time.Time
	}{{"nope", time.Time{}}, {"healthy", fixedNow.AddDate(0, 0, 1)}} {
		if _, err := e.svc.RestoreTestDone(ctx, c.server, c.day, "U1"); oncall.Code(err) != oncall.Invalid {
			t.Errorf("RestoreTestDone(%s, %s) = %v, want Invalid", c.server, c.day, err)
		}
	}
	rt, err := e.svc.RestoreTestDone(ctx, "HEALTHY", time.Time{}, "U1")
	if err != nil || rt.Server != "healthy" || !rt.Date.Equal(fixedNow) {
		t.Errorf("restore test today = %+v, %v", rt, err)
	}
	if rb, err := e.svc.Guide("bmr"); err != nil || rb.ID != "guide-bmr" {
		t.Errorf("guide bmr = %v, %v", rb, err)
	}
	if _, err := e.svc.Guide("nope"); oncall.Code(err) != oncall.Invalid || !strings.Contains(err.Error(), "guide-bmr") {
		t.Errorf("unknown guide: %v", err)
	}
	if got := oncall.Message(errors.New("db: disk on fire"), runbooks.LangEN); strings.Contains(got, "fire") {
		t.Errorf("an internal cause reaches the user: %q", got)
	}
}

// TestServiceServer: Server finds a server of the inventory as
// Inventory.Server does (case-insensitively), without handing out the
// inventory; HasServers tells an empty inventory.
func TestServiceServer(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	inv := oncall.Inventory{{Name: "fs01", Tags: []string{"files"}}, {Name: "SQL-02"}}
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Inventory: inv})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"fs01", "FS01", "sql-02", "nope", ""} {
		want, wantOK := inv.Server(name)
		got, ok := svc.Server(name)
		if ok != wantOK || !cmp.Equal(got, want) {
			t.Errorf("Server(%q) = %v, %v; want %v, %v", name, got, ok, want, wantOK)
		}
	}
	if !svc.HasServers() {
		t.Error("HasServers with two servers = false")
	}
	empty, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		t.Fatal(err)
	}
	if empty.HasServers() {
		t.Error("HasServers without an inventory = true")
	}
	if _, ok := empty.Server("fs01"); ok {
		t.Error("Server without an inventory found one")
	}
}
