package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/hostlock"
	"github.com/wsbbot/wsbbot/lab"
)

// startLab runs simulated hosts in-process and returns the inventory path
// and the environment that holds the lab password.
func startLab(t *testing.T, o lab.Options) (string, []string, *lab.Lab) {
	t.Helper()
	o.Inventory = filepath.Join(t.TempDir(), "inventory.yaml")
	o.Password = "lab-Passw0rd"
	ctx, cancel := context.WithCancel(context.Background())
	l, err := lab.Start(ctx, o)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); cancel() })
	return o.Inventory, []string{"WSBBOT_LAB_PASSWORD=lab-Passw0rd", "WSBBOT_LOG_LEVEL=warn"}, l
}

// TestLabInventoryIsConfig checks that what the lab writes is a wsbbot
// configuration the config package accepts, naming every host once with
// its scenario as a tag and no password.
func TestLabInventoryIsConfig(t *testing.T) {
	for _, tls := range []bool{false, true} {
		inv, vars, l := startLab(t, lab.Options{TLS: tls})
		cfg, err := config.Load(inv, vars)
		if err != nil {
			t.Fatalf("tls=%v: inventory does not load: %v", tls, err)
		}
		if len(cfg.Targets) != len(lab.Scenarios()) {
			t.Fatalf("%d targets, want %d", len(cfg.Targets), len(lab.Scenarios()))
		}
		for i, tg := range cfg.Targets {
			h := l.Hosts()[i]
			if tg.Name != h.Name || tg.Port() != h.Port || len(tg.Tags) != 1 || tg.Tags[0] != lab.Scenarios()[i] || tg.HTTPS() != tls {
				t.Errorf("target %d = %+v, host %+v", i, tg, h)
			}
			if tls && tg.CAFile == "" {
				t.Errorf("%s: TLS inventory without ca_file", tg.Name)
			}
			pw, err := tg.Password(vars, nil)
			if err != nil || pw.Reveal() != "lab-Passw0rd" {
				t.Errorf("%s: password via %s: %v", tg.Name, tg.PasswordEnv, err)
			}
		}
	}
}

func TestExecAgainstLab(t *testing.T) {
	inv, vars, _ := startLab(t, lab.Options{Hosts: 2, TLS: true})
	code, out, stderr := wsbbot(t, vars, "", "exec", "--config", inv, "--target", "writer-failed", "--json", "--", "vssadmin", "list", "writers")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r execOutput
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Stdout, "Writer name: 'SqlServerWriter'") || r.ExitCode == nil || *r.ExitCode != 0 || r.ErrorKind != "" {
		t.Errorf("exec = %+v", r)
	}

	// A PowerShell error: exit code 1, stderr in plain words (not CLIXML).
	code, out, _ = wsbbot(t, vars, "", "exec", "--config", inv, "--target", "healthy", "--json", "--ps", "Get-Frobnicate")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if code != 1 || strings.Contains(r.Stderr, "CLIXML") || !strings.Contains(r.Stderr, "Get-Frobnicate") {
		t.Errorf("exit %d, stderr %q", code, r.Stderr)
	}

	// Wrong password: classified, explained, exit 255.
	bad := append([]string{}, vars...)
	bad = append(bad, "WSBBOT_LAB_PASSWORD=wrong")
	code, out, _ = wsbbot(t, bad, "", "exec", "--config", inv, "--target", "healthy", "--json", "--", "hostname")
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if code != exitNotRun || r.ErrorKind != "unauthorized" || r.Explanation == "" || r.ExitCode != nil {
		t.Errorf("wrong password: exit %d, %+v", code, r)
	}

	if code, _, _ := wsbbot(t, vars, "", "exec", "--config", inv, "--target", "nope", "--", "hostname"); code != exitUsage {
		t.Errorf("unknown target: exit %d", code)
	}
	if code, _, _ := wsbbot(t, vars, "", "exec", "--config", inv, "--target", "healthy"); code != exitUsage {
		t.Errorf("no command: exit %d", code)
	}
}

func TestExecAdHocRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	code, out, _ := wsbbot(t, []string{"WSBBOT_PASSWORD=x", "WSBBOT_LOG_LEVEL=error"}, "", "exec", "--host", "127.0.0.1", "--port", strconv.Itoa(port), "--scheme", "http", "--auth", "basic", "--user", "u", "--json", "--", "hostname")
	var r execOutput
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if code != exitNotRun || r.ErrorKind != "connection-refused" || !strings.Contains(r.Explanation, "WinRM") {
		t.Errorf("exit %d, %+v", code, r)
	}
}

// withStore appends a store path to a lab inventory so runs are recorded.
func withStore(t *testing.T, inv string) string {
	t.Helper()
	data, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "wsbbot.yaml")
	db := filepath.Join(t.TempDir(), "wsbbot.db")
	if err := os.WriteFile(cfg, append(data, []byte("store:\n  path: "+db+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestRunAgainstLab drives the real wiring: runbook engine -> WinRM -> lab,
// recorded in a bbolt store; exit codes 3 (refused), 0 (fixed and verified),
// 2 (bad parameter), then the history and its hash chain.
func TestRunAgainstLab(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Hosts: 2})
	cfg := withStore(t, inv)
	var host *lab.Host
	for _, h := range l.Hosts() {
		if h.Name == "writer-failed" {
			host = h.Host
		}
	}

	code, out, stderr := wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfg, "--target", "writer-failed", "--dry-run")
	if code != 0 || !strings.Contains(out, `$P = {"service":"SQLWriter"}`) || !strings.Contains(out, "SqlServerWriter [8] Failed") {
		t.Fatalf("dry run: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfg, "--target", "writer-failed")
	if code != exitRefused || host.WriterState("SqlServerWriter") == 1 {
		t.Fatalf("without --yes: exit %d, writer state %d\n%s", code, host.WriterState("SqlServerWriter"), out)
	}
	code, out, _ = wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfg, "--target", "writer-failed", "--yes", "--json")
	var res struct {
		Status   string `json:"status"`
		Verified bool   `json:"verified"`
		RunID    string `json:"run_id"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if code != 0 || res.Status != "succeeded" || !res.Verified || host.WriterState("SqlServerWriter") != 1 {
		t.Fatalf("--yes: exit %d, %+v, writer state %d", code, res, host.WriterState("SqlServerWriter"))
	}
	if code, _, stderr := wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfg, "--target", "writer-failed", "--param", "service=rm -rf"); code != exitUsage || !strings.Contains(stderr, `parameter "service"`) {
		t.Errorf("bad parameter: exit %d, %s", code, stderr)
	}
	if code, _, _ := wsbbot(t, vars, "", "run", "no-such-runbook", "--config", cfg, "--target", "healthy"); code != exitUsage {
		t.Errorf("unknown runbook: exit %d", code)
	}

	code, out, _ = wsbbot(t, vars, "", "history", "--config", cfg, "--json")
	var runs []struct{ ID, Status, Target, Runbook, Summary string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 {
		t.Fatalf("history: exit %d, %v: %s", code, err, out)
	}
	// Newest first: the unknown runbook and the bad parameter were turned
	// down before anything ran, and are recorded as refused with the reason.
	if len(runs) != 4 ||
		runs[0].Runbook != "no-such-runbook" || runs[0].Status != "refused" || !strings.Contains(runs[0].Summary, `no runbook "no-such-runbook"`) ||
		runs[1].Status != "refused" || !strings.Contains(runs[1].Summary, `parameter "service"`) ||
		runs[2].ID != res.RunID || runs[2].Status != "succeeded" ||
		runs[3].Status != "refused" {
		t.Errorf("history = %+v", runs)
	}
	if code, out, _ := wsbbot(t, vars, "", "history", "verify", "--config", cfg); code != 0 || !strings.Contains(out, "chain OK") {
		t.Errorf("history verify: exit %d, %s", code, out)
	}

	// The postmortem timeline of the fix, in Markdown and JSON.
	code, out, _ = wsbbot(t, vars, "", "history", "export", "--config", cfg, "--run", res.RunID)
	for _, want := range []string{"# Run " + res.RunID + ": vss-writer-restart on writer-failed", "run.started", "step.started", "step.finished", "run.finished", "restart-service", "Writer name: 'SqlServerWriter'"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("export (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
	code, out, _ = wsbbot(t, vars, "", "history", "export", "--config", cfg, "--run", res.RunID, "--format", "json")
	var tl struct {
		Run    struct{ ID, Status string }
		Events []struct{ Kind string }
	}
	if err := json.Unmarshal([]byte(out), &tl); err != nil || code != 0 || tl.Run.Status != "succeeded" || len(tl.Events) != 7 || tl.Events[3].Kind != "step.started" {
		t.Errorf("export json: exit %d, %v, %+v", code, err, tl)
	}
	if code, _, _ := wsbbot(t, vars, "", "history", "export", "--config", cfg, "--run", "r99999"); code != exitFailed {
		t.Errorf("export of an unknown run: exit %d", code)
	}

	// Restore tests are recorded; bad dates and unknown servers are usage errors.
	if code, out, _ := wsbbot(t, vars, "", "restore-test", "done", "healthy", "--date", "2026-01-15", "--config", cfg); code != 0 || !strings.Contains(out, "2026-01-15") {
		t.Errorf("restore-test done: exit %d, %s", code, out)
	}
	for _, args := range [][]string{{"restore-test", "done", "healthy", "--date", "15/01/2026"}, {"restore-test", "done", "nope"}, {"restore-test", "done", "healthy", "--date", "2999-01-01"}} {
		if code, _, _ := wsbbot(t, vars, "", append(args, "--config", cfg)...); code != exitUsage {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestRunFailuresAreRecorded: an unreachable host, a refused precondition
// and a failing expectation each give a clear message, the right exit code
// and a complete record.
func TestRunFailuresAreRecorded(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Hosts: 2})
	cfg := withStore(t, inv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	f, err := os.OpenFile(cfg, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(f)
	f.Close()
	// Add a target nobody listens for, in the targets list.
	dead := "  - {name: dead01, address: 127.0.0.1, port: " + strconv.Itoa(deadPort) + ", scheme: http, auth: basic, user: u, password_env: WSBBOT_LAB_PASSWORD}\n"
	text := strings.Replace(string(data), "targets:\n", "targets:\n"+dead, 1)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, _ := wsbbot(t, vars, "", "run", "diag-vss-writers", "--config", cfg, "--target", "dead01")
	if code != exitFailed || !strings.Contains(out, "connection refused") || !strings.Contains(out, "what to do: ") {
		t.Errorf("unreachable host: exit %d\n%s", code, out)
	}

	code, out, _ = wsbbot(t, vars, "", "run", "diag-vss-writers", "--config", cfg, "--target", "writer-failed")
	if code != exitFailed || !strings.Contains(out, "✗ expected: every writer is [1] Stable → found: SqlServerWriter") {
		t.Errorf("failing expectation: exit %d\n%s", code, out)
	}

	var host *lab.Host
	for _, h := range l.Hosts() {
		if h.Name == "writer-failed" {
			host = h.Host
		}
	}
	host.SetBackupDuration(time.Hour)
	if err := host.StartBackup(); err != nil {
		t.Fatal(err)
	}
	code, out, _ = wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfg, "--target", "writer-failed", "--yes")
	if code != exitRefused || host.WriterState("SqlServerWriter") == 1 {
		t.Errorf("backup running: exit %d, writer %d\n%s", code, host.WriterState("SqlServerWriter"), out)
	}

	code, out, _ = wsbbot(t, vars, "", "history", "--config", cfg, "--json")
	var runs []struct{ Target, Runbook, Status, Summary string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 {
		t.Fatalf("history: %v\n%s", err, out)
	}
	want := []string{"vss-writer-restart writer-failed refused", "diag-vss-writers writer-failed failed", "diag-vss-writers dead01 failed"}
	if len(runs) != len(want) {
		t.Fatalf("history has %d runs, want %d: %+v", len(runs), len(want), runs)
	}
	for i, r := range runs {
		if got := r.Runbook + " " + r.Target + " " + r.Status; got != want[i] {
			t.Errorf("run %d = %q, want %q", i, got, want[i])
		}
	}
	if !strings.Contains(runs[2].Summary, "connection refused") {
		t.Errorf("the record of the unreachable host lacks the cause: %q", runs[2].Summary)
	}
}

// TestAuditAgainstLab: the five-rule matrix over real WinRM against every
// lab scenario, the JSON shape, a restore-test record turning a failure into
// a pass, and the recorded findings.
func TestAuditAgainstLab(t *testing.T) {
	inv, vars, _ := startLab(t, lab.Options{})
	cfg := withStore(t, inv)
	code, out, stderr := wsbbot(t, vars, "", "audit", "--config", cfg, "--json")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (some rules fail)\n%s", code, stderr)
	}
	var got struct {
		Findings []struct{ Target, Rule, Status string }
		Summary  struct {
			Targets int
			Total   struct{ Pass, Fail, Unknown int }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Contains(out, "null") {
		t.Fatalf("%v\n%s", err, out)
	}
	failing := map[string]string{"no-bmr": "bmr", "same-disk": "separate-disk", "no-offsite": "3-2-1", "no-av-exclusion": "av-exclusion", "no-restore-test": "restore-test"}
	for _, f := range got.Findings {
		want := "pass"
		if failing[f.Target] == f.Rule {
			want = "fail"
		}
		if f.Status != want {
			t.Errorf("%s %s = %s, want %s", f.Target, f.Rule, f.Status, want)
		}
	}
	if len(got.Findings) != 5*len(lab.Scenarios()) || got.Summary.Targets != len(lab.Scenarios()) || got.Summary.Total.Fail != 5 {
		t.Errorf("%d findings, summary %+v", len(got.Findings), got.Summary)
	}

	if code, _, _ := wsbbot(t, vars, "", "restore-test", "done", "no-restore-test", "--config", cfg); code != 0 {
		t.Fatal("restore-test done failed")
	}
	if code, out, _ := wsbbot(t, vars, "", "audit", "--target", "no-restore-test", "--config", cfg); code != 0 || !strings.Contains(out, "5 pass, 0 fail") {
		t.Errorf("after restore-test done: exit %d\n%s", code, out)
	}
	if code, out, _ := wsbbot(t, vars, "", "audit", "--group", "no-bmr", "--lang", "ja", "--config", cfg); code != exitFailed || !strings.Contains(out, "ベアメタル回復") {
		t.Errorf("group audit in Japanese: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"--target", "nope"}, {"--group", "nope"}, {"--target", "healthy", "--all"}, {"--checklist", "seven-rules"}} {
		if code, _, _ := wsbbot(t, vars, "", append(append([]string{"audit"}, args...), "--config", cfg)...); code != exitUsage {
			t.Errorf("audit %v: exit %d, want 2", args, code)
		}
	}
	// A server whose password is missing: each message names it once
	// (it said "wsbbot: healthy: open healthy: target healthy: ...").
	code, _, stderr = wsbbot(t, nil, "", "audit", "--target", "healthy", "--config", cfg)
	if code != exitFailed || !strings.Contains(stderr, "wsbbot: open healthy: password_env WSBBOT_LAB_PASSWORD is not set") {
		t.Errorf("audit without the password: exit %d\n%s", code, stderr)
	}
	for _, line := range strings.Split(stderr, "\n") {
		if _, msg, _ := strings.Cut(line, " err="); strings.HasPrefix(line, "wsbbot: ") && strings.Count(line, "healthy") > 1 || strings.Count(msg, "healthy") > 1 {
			t.Errorf("the line names healthy more than once: %s", line)
		}
	}
	// The findings were appended to the record, which is still a valid chain.
	code, out, _ = wsbbot(t, vars, "", "history", "verify", "--config", cfg)
	if code != 0 || !strings.Contains(out, "chain OK") {
		t.Errorf("history verify: exit %d %s", code, out)
	}
}

// TestRunBadRunbookFileIsRecorded: a broken runbook file in an operator
// folder stops the run with file:line, and the turned-down request is
// recorded.
func TestRunBadRunbookFileIsRecorded(t *testing.T) {
	dir := t.TempDir()
	rbdir := filepath.Join(dir, "runbooks")
	if err := os.MkdirAll(rbdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rbdir, "broken.yaml"), []byte("kind: runbook\nid: broken\nversion: 1\ncategory: fix\nstepz: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "wsbbot.yaml")
	conf := "store: {path: " + filepath.Join(dir, "w.db") + "}\nrunbooks: {dirs: [" + rbdir + "]}\n" +
		"targets:\n  - {name: fs01, address: 127.0.0.1, scheme: http, auth: basic, user: u, password_env: WSBBOT_LAB_PASSWORD}\n"
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	vars := []string{"WSBBOT_LAB_PASSWORD=x"}
	code, _, stderr := wsbbot(t, vars, "", "run", "diag-vss-writers", "--config", cfg, "--target", "fs01")
	if code != exitUsage || !strings.Contains(stderr, "broken.yaml:5:") {
		t.Errorf("exit %d, stderr %s", code, stderr)
	}
	_, out, _ := wsbbot(t, vars, "", "history", "--config", cfg, "--json")
	var runs []struct{ Status, Summary string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || len(runs) != 1 || runs[0].Status != "refused" || !strings.Contains(runs[0].Summary, "broken.yaml") {
		t.Errorf("history = %s (%v)", out, err)
	}
}

// TestRunRefusedWhileAnotherRunChangesTheServer: one change per server at a
// time across processes. The lock is held here as another wsbbot process
// would hold it (hostlock's own test proves it across real processes); a
// `run --yes` on the same server is refused, names the run in progress,
// changes nothing and is recorded; once released, the same run proceeds.
func TestRunRefusedWhileAnotherRunChangesTheServer(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Hosts: 2})
	cfgFile := withStore(t, inv)
	lockDir := t.TempDir()
	vars = append(vars, "WSBBOT_REMOTE_LOCK_DIR="+lockDir, "WSBBOT_REMOTE_LOCK_WAIT=0s")
	cfg, err := config.Load(cfgFile, vars)
	if err != nil {
		t.Fatal(err)
	}
	tg, _ := cfg.Target("writer-failed")
	var host *lab.Host
	for _, h := range l.Hosts() {
		if h.Name == "writer-failed" {
			host = h.Host
		}
	}
	locker, err := hostlock.New(lockDir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := locker.Lock(t.Context(), net.JoinHostPort(tg.Address, strconv.Itoa(tg.Port())),
		hostlock.Holder{Run: "r-other", Runbook: "usn-journal-cleanup", User: "cli:bob", PID: 99999}, 0)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfgFile, "--target", "writer-failed", "--yes")
	if code != exitRefused || host.WriterState("SqlServerWriter") == 1 {
		t.Fatalf("while locked: exit %d, writer state %d\n%s%s", code, host.WriterState("SqlServerWriter"), out, stderr)
	}
	for _, want := range []string{"writer-failed is being changed by run r-other (usn-journal-cleanup by cli:bob", "process 99999"} {
		if !strings.Contains(out+stderr, want) {
			t.Errorf("refusal lacks %q:\n%s%s", want, out, stderr)
		}
	}
	// A read-only diagnosis is not held up by the lock.
	if code, out, _ := wsbbot(t, vars, "", "run", "diag-vss-writers", "--config", cfgFile, "--target", "writer-failed"); code != exitFailed && code != 0 {
		t.Errorf("diagnosis while locked: exit %d\n%s", code, out)
	}
	if err := other.Unlock(); err != nil {
		t.Fatal(err)
	}
	code, out, _ = wsbbot(t, vars, "", "run", "vss-writer-restart", "--config", cfgFile, "--target", "writer-failed", "--yes")
	if code != 0 || host.WriterState("SqlServerWriter") != 1 {
		t.Fatalf("after release: exit %d, writer state %d\n%s", code, host.WriterState("SqlServerWriter"), out)
	}
	code, out, _ = wsbbot(t, vars, "", "history", "--config", cfgFile, "--json")
	var runs []struct{ Runbook, Status, Summary string }
	if err := json.Unmarshal([]byte(out), &runs); err != nil || code != 0 {
		t.Fatalf("history: exit %d, %v: %s", code, err, out)
	}
	refused := 0
	for _, r := range runs {
		if r.Runbook == "vss-writer-restart" && r.Status == "refused" && strings.Contains(r.Summary, "r-other") {
			refused++
		}
	}
	if refused != 1 {
		t.Errorf("the refused run is not recorded with its reason: %+v", runs)
	}
}
