package console

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

func TestParse(t *testing.T) {
	tests := []struct {
		line string
		want command
	}{
		{"quit", command{verb: verbQuit}},
		{"Diagnose fs01", command{verb: verbDiagnose, server: "fs01"}},
		{"diagnose fs01 0x800423F4", command{verb: verbDiagnose, server: "fs01", code: "0x800423F4"}},
		{"run usn-journal-cleanup ON fs01 min_free_percent=20", command{verb: verbRun, target: "usn-journal-cleanup", server: "fs01",
			params: map[string]string{"min_free_percent": "20"}}},
		{"run x on", command{verb: verbBad, usage: "run RUNBOOK on SERVER [key=value ...]"}},
		{"run x on fs01 novalue", command{verb: verbBad, usage: "run RUNBOOK on SERVER [key=value ...]"}},
		{"audit", command{verb: verbAudit}},
		{"history fs01", command{verb: verbHistory, server: "fs01"}},
		{"restore-test done fs01 --date 2026-01-15", command{verb: verbRestoreTest, server: "fs01", date: "2026-01-15"}},
		{"restore-test done fs01 2026-01-15", command{verb: verbRestoreTest, server: "fs01", date: "2026-01-15"}},
		{"restore-test fs01", command{verb: verbBad, usage: "restore-test done SERVER [YYYY-MM-DD]"}},
		{"guide bmr", command{verb: verbGuide, target: "bmr"}},
		{"the backup failed with 0x80780119", command{verb: verbLookup, text: "the backup failed with 0x80780119"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, parse(tt.line), cmp.AllowUnexported(command{})); diff != "" {
			t.Errorf("parse(%q) (-want +got):\n%s", tt.line, diff)
		}
	}
}

// labService is the oncall service over a running lab (one host per
// scenario) and an in-memory record.
func labService(t *testing.T) (*oncall.Service, *store.Memory, map[string]*lab.Host) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	l, err := lab.Start(ctx, lab.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	client, err := remote.New(remote.Options{Concurrency: 8})
	if err != nil {
		t.Fatal(err)
	}
	hosts := map[string]*lab.Host{}
	targets := map[string]remote.Target{}
	var inv oncall.Inventory
	for _, h := range l.Hosts() {
		hosts[h.Name] = h.Host
		targets[h.Name] = remote.Target{Name: h.Name, Address: h.Address, Port: h.Port, Auth: remote.AuthBasic,
			User: l.User(), Password: remote.Password(l.Password())}
		d := lab.DeclaredFor(h.Scenario)
		inv = append(inv, oncall.Server{Name: h.Name, Tags: []string{h.Scenario},
			Declared: checklists.Declarations{Copies: d.Copies, Media: d.Media, Offsite: &d.Offsite}})
	}
	exec := &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		t, ok := targets[name]
		if !ok {
			return remote.Target{}, fmt.Errorf("no lab host %q", name)
		}
		return t, nil
	}}
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := checklists.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Checklist: cl, Executor: exec, Store: st, Inventory: inv, AuditConcurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, hosts
}

// session runs a console over svc with the given input lines.
func session(t *testing.T, svc *oncall.Service, lines ...string) string {
	t.Helper()
	var out bytes.Buffer
	c := New(Options{Service: svc, In: strings.NewReader(strings.Join(lines, "\n") + "\n"), Out: &out, Lang: runbooks.LangEN, User: "console:tester"})
	if err := c.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// hasLine reports whether some line of out holds the words in order, each
// a whole field, whatever the spacing.
func hasLine(out string, words ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		i := 0
		for _, w := range strings.Fields(l) {
			if i < len(words) && w == words[i] {
				i++
			}
		}
		if i == len(words) {
			return true
		}
	}
	return false
}

// TestRunAppliesTheShownPlan: "yes" applies exactly the plan the console
// showed; the record carries its hash and the console user as approver.
func TestRunAppliesTheShownPlan(t *testing.T) {
	svc, st, hosts := labService(t)
	out := session(t, svc, "run vss-writer-restart on writer-failed", "yes", "quit")
	m := regexp.MustCompile(`(?m)^hash ([0-9a-f]{64})$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no plan hash shown:\n%s", out)
	}
	if !hasLine(out, "vss-writer-restart", "v1", "on", "writer-failed", "—", "succeeded,", "verified") || hosts["writer-failed"].WriterState("SqlServerWriter") != 1 {
		t.Fatalf("not applied and verified:\n%s", out)
	}
	evs, err := st.Events(t.Context(), store.Filter{Kinds: []store.Kind{store.KindRunStarted}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("%d runs recorded (%v), want 1: the dry run is not a run", len(evs), err)
	}
	p, err := store.Decode[store.RunStarted](evs[0])
	if err != nil {
		t.Fatal(err)
	}
	want := store.RunStarted{Runbook: "vss-writer-restart", Params: map[string]string{"service": ""}, PlanHash: m[1],
		Approvers: []string{"console:tester"}, Approval: "confirmed in the console"}
	if diff := cmp.Diff(want, p); diff != "" || evs[0].Actor != "console:tester" {
		t.Errorf("run.started by %s (-want +got):\n%s", evs[0].Actor, diff)
	}
}

func TestRunNotConfirmedChangesNothing(t *testing.T) {
	svc, st, hosts := labService(t)
	out := session(t, svc, "run vss-writer-restart on writer-failed", "no", "run no-such on writer-failed", "quit")
	if !hasLine(out, "Not", "applied.") || hosts["writer-failed"].WriterState("SqlServerWriter") == 1 {
		t.Errorf("applied without yes:\n%s", out)
	}
	if !strings.Contains(out, `no runbook "no-such"`) {
		t.Errorf("the rejection is not shown:\n%s", out)
	}
	runs, err := st.Runs(t.Context(), store.RunFilter{})
	if err != nil || len(runs) != 1 || runs[0].Runbook != "no-such" || runs[0].Status != store.StatusRefused {
		t.Errorf("record = %+v, %v; want only the rejected request", runs, err)
	}
}

// TestDiagnoseUsesTheCode: diagnose takes the code named, or the last one
// looked up, and runs what its catalogue entry names.
func TestDiagnoseUsesTheCode(t *testing.T) {
	svc, st, _ := labService(t)
	out := session(t, svc, "the backup failed: 0x800423F4", "diagnose writer-failed", "diagnose healthy 0x80780119", "quit")
	for _, want := range [][]string{
		{"0x800423F4", "VSS_E_WRITERERROR_NONRETRYABLE"},
		{"diag-vss-writers", "v1", "on", "writer-failed", "—", "failed"},
		{"diag-shadow-storage", "v1", "on", "healthy"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("no line with %q:\n%s", want, out)
		}
	}
	runs, err := st.Runs(t.Context(), store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(runs) - 1; i >= 0; i-- {
		got = append(got, runs[i].Target+" "+runs[i].Runbook)
	}
	want := []string{
		"writer-failed diag-vss-writers", "writer-failed diag-event-log", "writer-failed diag-wsb-summary",
		"healthy diag-shadow-storage", "healthy diag-wsb-summary",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("recorded diagnostics (-want +got):\n%s", diff)
	}
}

func TestWithoutServers(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		t.Fatal(err)
	}
	out := session(t, svc, "help", "servers", "diagnose fs01", "guide bmr", "nothing here", "quit")
	for _, want := range []string{"diagnose SERVER [CODE]", "No servers", "give wsbbot an inventory", "guide-bmr", "No error code or command found"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
