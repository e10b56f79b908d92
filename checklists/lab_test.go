package checklists_test

// End-to-end tests of the audit against the simulated lab over real WinRM:
// lab.Start writes an inventory, config.Load reads it (with its declared:
// blocks), remote.Executor reaches the hosts.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// labEstate is a running lab, its inventory as config loaded it and an
// executor for it.
type labEstate struct {
	lab  *lab.Lab
	cfg  config.Config
	exec *remote.Executor
	// extra are targets outside the inventory (a dead port).
	extra map[string]remote.Target
}

func startLab(tb testing.TB, hosts, concurrency int) *labEstate {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	inv := filepath.Join(tb.TempDir(), "lab.yaml")
	l, err := lab.Start(ctx, lab.Options{Hosts: hosts, Inventory: inv})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := l.Close(); err != nil {
			tb.Errorf("close lab: %v", err)
		}
	})
	env := []string{lab.PasswordEnv + "=" + l.Password()}
	cfg, err := config.Load(inv, env)
	if err != nil {
		tb.Fatalf("config.Load(lab inventory): %v", err)
	}
	c, err := remote.New(remote.Options{Concurrency: concurrency})
	if err != nil {
		tb.Fatal(err)
	}
	e := &labEstate{lab: l, cfg: cfg, extra: map[string]remote.Target{}}
	e.exec = &remote.Executor{Client: c, Resolve: func(name string) (remote.Target, error) {
		if t, ok := e.extra[name]; ok {
			return t, nil
		}
		t, ok := cfg.Target(name)
		if !ok {
			return remote.Target{}, fmt.Errorf("no target %q in the inventory", name)
		}
		pw, err := t.Password(env, nil)
		if err != nil {
			return remote.Target{}, err
		}
		return remote.Target{Name: t.Name, Address: t.Address, Port: t.Port(), HTTPS: t.HTTPS(),
			Auth: remote.Auth(t.Auth), User: t.User, Password: remote.Password(pw)}, nil
	}}
	return e
}

// subjects turns the loaded inventory into audit subjects.
func (e *labEstate) subjects() []checklists.Subject {
	out := make([]checklists.Subject, 0, len(e.cfg.Targets))
	for _, t := range e.cfg.Targets {
		out = append(out, checklists.Subject{Name: t.Name, Declared: checklists.Declarations{
			Copies: t.Declared.Copies, Media: t.Declared.Media, Offsite: t.Declared.Offsite,
			AVProduct: t.Declared.AVProduct, AVExclusions: t.Declared.AVExclusions, RestoreTest: t.Declared.RestoreTest,
		}})
	}
	return out
}

func newAuditor(tb testing.TB) *checklists.Auditor {
	tb.Helper()
	cl, err := checklists.Bundled()
	if err != nil {
		tb.Fatal(err)
	}
	return &checklists.Auditor{Checklist: cl, Timeout: time.Minute}
}

// closedPort returns a loopback address with nothing listening.
func closedPort(tb testing.TB) (string, int) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr)
	if err := ln.Close(); err != nil {
		tb.Fatal(err)
	}
	return a.IP.String(), a.Port
}

// blackHole accepts connections and never answers.
func blackHole(tb testing.TB) (string, int) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan struct{})
	var conns []net.Conn
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

const (
	P = checklists.Pass
	F = checklists.Fail
	U = checklists.Unknown
)

// row is a host's statuses in checklist order: bmr, separate-disk, 3-2-1,
// av-exclusion, restore-test.
type row [5]checklists.Status

// wantMatrix is the lab's five-rule matrix. Each checklist scenario fails
// exactly its own rule. The four error scenarios and japanese pass every
// rule: their problems (a failed writer, a full System Reserved volume,
// an unreachable share, a missing target disk) are backup failures, not
// checklist configuration. target-missing honestly passes separate-disk
// because its missing USB disk drops out of the policy's targets, leaving
// only \\nas01\backup, which shares no disk with the sources.
var wantMatrix = map[string]row{
	lab.ScenarioHealthy:          {P, P, P, P, P},
	lab.ScenarioWriterFailed:     {P, P, P, P, P},
	lab.ScenarioReservedFull:     {P, P, P, P, P},
	lab.ScenarioShareUnreachable: {P, P, P, P, P},
	lab.ScenarioTargetMissing:    {P, P, P, P, P},
	lab.ScenarioNoBMR:            {F, P, P, P, P},
	lab.ScenarioSameDisk:         {P, F, P, P, P},
	lab.ScenarioNoOffsite:        {P, P, F, P, P},
	lab.ScenarioNoAVExclusion:    {P, P, P, F, P},
	lab.ScenarioNoRestoreTest:    {P, P, P, P, F},
	lab.ScenarioJapanese:         {P, P, P, P, P},
	"dead":                       {U, U, U, U, U},
}

func statuses(r checklists.Report) row {
	var got row
	for i, f := range r.Findings {
		if i < len(got) {
			got[i] = f.Status
		}
	}
	return got
}

func TestAuditLabMatrix(t *testing.T) {
	e := startLab(t, 0, 4)
	host, port := closedPort(t)
	e.extra["dead"] = remote.Target{Name: "dead", Address: host, Port: port, Auth: remote.AuthBasic, User: "u", Password: "p"}
	subjects := append(e.subjects(), checklists.Subject{Name: "dead"})
	if len(subjects) != 12 {
		t.Fatalf("%d subjects, want 11 lab hosts and dead", len(subjects))
	}
	a := newAuditor(t)
	wantRules := a.Checklist.RuleIDs()
	var reports []checklists.Report
	for r := range a.Audit(context.Background(), e.exec, subjects, 4) {
		reports = append(reports, r)
	}
	if len(reports) != len(subjects) {
		t.Fatalf("%d reports, want %d", len(reports), len(subjects))
	}
	seen := map[string]bool{}
	for _, r := range reports {
		if seen[r.Target] {
			t.Errorf("%s reported twice", r.Target)
		}
		seen[r.Target] = true
		want, ok := wantMatrix[r.Target]
		if !ok {
			t.Errorf("unexpected target %s", r.Target)
			continue
		}
		if got := statuses(r); got != want || len(r.Findings) != 5 {
			t.Errorf("%s: statuses %v, want %v", r.Target, got, want)
			for _, f := range r.Findings {
				t.Logf("  %s %s: %s", f.Rule, f.Status, f.Evidence.EN)
			}
		}
		for i, f := range r.Findings {
			if f.Target != r.Target || f.Rule != wantRules[i] {
				t.Errorf("%s finding %d = %s/%s, want %s/%s", r.Target, i, f.Target, f.Rule, r.Target, wantRules[i])
			}
			if f.Evidence.EN == "" || f.Evidence.JA == "" {
				t.Errorf("%s %s: evidence missing a language: %+v", r.Target, f.Rule, f.Evidence)
			}
			// The error names the server once ("open dead: create-shell: ..."),
			// not once per wrapping ("open dead: dead: create-shell: ...").
			if n := strings.Count(f.Evidence.EN, r.Target+":"); r.Err != nil && n != 1 {
				t.Errorf("%s %s: evidence names the server %d times: %s", r.Target, f.Rule, n, f.Evidence.EN)
			}
			if (f.Status == checklists.Pass) != (f.Fix.EN == "") {
				t.Errorf("%s %s: status %s with fix %q", r.Target, f.Rule, f.Status, f.Fix.EN)
			}
		}
		if testing.Verbose() {
			for _, f := range r.Findings {
				t.Logf("%-17s %-13s %-7s %s", r.Target, f.Rule, f.Status, f.Evidence.EN)
			}
		}
		if (r.Target == "dead") != (r.Err != nil) {
			t.Errorf("%s: Err = %v", r.Target, r.Err)
		}
	}
	// The evidence says where 3-2-1 and restore-test came from.
	byTarget := map[string]checklists.Report{}
	for _, r := range reports {
		byTarget[r.Target] = r
	}
	for target, wants := range map[string][]string{
		lab.ScenarioHealthy:       {"copies 3 (declared)", "off-site true (declared)", "Microsoft-Windows-Backup event log", "Microsoft Defender excludes every backup target"},
		lab.ScenarioNoOffsite:     {"off-site false (declared)"},
		lab.ScenarioSameDisk:      {"same physical disk", "disk 1"},
		lab.ScenarioNoAVExclusion: {"does not exclude backup target"},
		lab.ScenarioNoBMR:         {"BMR: False"},
		lab.ScenarioNoRestoreTest: {"no restore test recorded"},
		"dead":                    {"could not collect facts", "open dead"},
	} {
		var all strings.Builder
		for _, f := range byTarget[target].Findings {
			all.WriteString(f.Evidence.EN + "\n")
		}
		for _, w := range wants {
			if !strings.Contains(all.String(), w) {
				t.Errorf("%s evidence lacks %q:\n%s", target, w, all.String())
			}
		}
	}
	// One session, one command per host: Create, Command (the script,
	// which has no parameters, on its command line: no Send), Receive,
	// Delete.
	for _, h := range e.lab.Hosts() {
		s := h.Server
		c, cmd, snd, rcv, del := s.Count(winrmtest.ActionCreate), s.Count(winrmtest.ActionCommand), s.Count(winrmtest.ActionSend), s.Count(winrmtest.ActionReceive), s.Count(winrmtest.ActionDelete)
		if c != 1 || cmd != 1 || snd != 0 || rcv != 1 || del != 1 || s.Count("") != 4 {
			t.Errorf("%s: Create %d, Command %d, Send %d, Receive %d, Delete %d, all %d; want no Send, 1 of each other, 4 in all", h.Name, c, cmd, snd, rcv, del, s.Count(""))
		}
	}
	sum := checklists.Summarize(reports)
	if sum.Targets != 12 || sum.Errors != 1 || sum.Total != (checklists.Counts{Pass: 50, Fail: 5, Unknown: 5}) {
		t.Errorf("Summarize = %+v", sum)
	}
	if sum.ByRule[checklists.RuleBMR] != (checklists.Counts{Pass: 10, Fail: 1, Unknown: 1}) {
		t.Errorf("Summarize bmr = %+v", sum.ByRule[checklists.RuleBMR])
	}
}

// TestAuditDeadTargetsDoNotHoldUpOthers puts a host that accepts and never
// answers, and a closed port, first in the list: every lab host still
// reports while the hanging one waits (the audit is given up only once
// they all have), and the hanging one ends unknown with the cancellation.
func TestAuditDeadTargetsDoNotHoldUpOthers(t *testing.T) {
	e := startLab(t, 0, 4)
	h1, p1 := blackHole(t)
	h2, p2 := closedPort(t)
	e.extra["hang"] = remote.Target{Name: "hang", Address: h1, Port: p1, Auth: remote.AuthBasic, User: "u", Password: "p"}
	e.extra["closed"] = remote.Target{Name: "closed", Address: h2, Port: p2, Auth: remote.AuthBasic, User: "u", Password: "p"}
	subjects := append([]checklists.Subject{{Name: "hang"}, {Name: "closed"}}, e.subjects()...)
	a := newAuditor(t)
	a.Timeout = time.Hour // only giving up ends the hanging host
	ctx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var order []string
	for r := range a.Audit(ctx, e.exec, subjects, 4) {
		order = append(order, r.Target)
		if len(order) == len(subjects)-1 {
			giveUp()
		}
		switch r.Target {
		case "hang", "closed":
			if r.Err == nil || statuses(r) != (row{U, U, U, U, U}) {
				t.Errorf("%s: err %v, statuses %v", r.Target, r.Err, statuses(r))
			}
			var re *remote.Error
			if r.Target == "hang" && (!errors.As(r.Err, &re) || re.Kind != remote.KindCanceled) {
				t.Errorf("hang: %v, want the cancellation", r.Err)
			}
		default:
			if r.Err != nil {
				t.Errorf("%s: %v", r.Target, r.Err)
			}
		}
	}
	if len(order) != len(subjects) || order[len(order)-1] != "hang" {
		t.Errorf("report order %v: want every target, the hanging one last", order)
	}
}

// BenchmarkAudit1000 audits 1,000 lab hosts, each WinRM request delayed
// 20 ms, at concurrency 100, and reports the wall time against the
// protocol's lower bound ceil(hosts/concurrency) x round trips per host x
// latency, the round trips per host counted by the servers, and the peak
// RSS (VmHWM, which includes the 1,000 in-process lab servers).
func BenchmarkAudit1000(b *testing.B) {
	const (
		hosts       = 1000
		concurrency = 100
		latency     = 20 * time.Millisecond
	)
	e := startLab(b, hosts, concurrency)
	if len(e.cfg.Targets) != hosts {
		b.Fatalf("%d targets in the inventory", len(e.cfg.Targets))
	}
	for _, h := range e.lab.Hosts() {
		h.Server.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Delay: latency})
	}
	a := newAuditor(b)
	subjects := e.subjects()
	var wall, cpu time.Duration
	var requests int
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, h := range e.lab.Hosts() {
			h.Server.ResetLog()
		}
		cpu0 := cpuTime()
		b.StartTimer()
		start := time.Now()
		n, fails := 0, 0
		for r := range a.Audit(context.Background(), e.exec, subjects, concurrency) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.Target, r.Err)
			}
			for _, f := range r.Findings {
				if f.Status == checklists.Fail {
					fails++
				}
			}
			n++
		}
		wall += time.Since(start)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		if n != hosts {
			b.Fatalf("%d reports, want %d", n, hosts)
		}
		// 5 of the 11 scenarios fail exactly one rule each.
		if want := 5*(hosts/11) + min(hosts%11, 10) - min(hosts%11, 5); fails != want {
			b.Fatalf("%d failed findings, want %d", fails, want)
		}
		requests = 0
		for _, h := range e.lab.Hosts() {
			requests += h.Server.Count("")
		}
		b.StartTimer()
	}
	b.StopTimer()
	rt := float64(requests) / hosts
	bound := math.Ceil(float64(hosts)/concurrency) * rt * latency.Seconds()
	wallS := wall.Seconds() / float64(b.N)
	b.ReportMetric(wallS, "wall-s")
	b.ReportMetric(bound, "bound-s")
	b.ReportMetric(wallS/bound, "wall/bound")
	b.ReportMetric(rt, "rt/host")
	// CPU of client and 1,000 in-process servers together: on a small
	// machine it, not the latency, bounds the wall time.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
	if hwm, ok := vmHWM(); ok {
		b.ReportMetric(float64(hwm)/(1<<20), "VmHWM-MB")
	}
}

// cpuTime is the user+system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM reads the peak resident set size from /proc/self/status.
func vmHWM() (uint64, bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}
