//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/lab"
)

// The network the audit benchmarks model: every packet delayed 10 ms each
// way (20 ms round trip, TCP handshakes included) and the product's default
// fan-out.
const (
	netOneWay      = 10 * time.Millisecond
	netConcurrency = 100 // remote.concurrency's default
)

// BenchmarkAuditNetwork1 measures the audit's fixed cost (process start,
// configuration, record, output) with one host.
func BenchmarkAuditNetwork1(b *testing.B)    { benchmarkAuditNetwork(b, 1) }
func BenchmarkAuditNetwork100(b *testing.B)  { benchmarkAuditNetwork(b, 100) }
func BenchmarkAuditNetwork1000(b *testing.B) { benchmarkAuditNetwork(b, 1000) }

// benchmarkAuditNetwork runs `wsbbot audit` as its own process against
// hosts lab hosts behind delaying proxies (internal/netdelay: the delay is
// on the network path, so connection set-up pays it too), after one audit
// not timed (each timed audit, like every scheduled audit but the first,
// reads the previous one from the record), and reports:
//
//   - wall-s: the audit's wall time, record included;
//   - floor-s: the latency floor, ceil(hosts/concurrency) batches x round
//     trips per host x 20 ms, the round trips counted (requests the servers
//     saw plus TCP handshakes the proxies saw), and wall/floor;
//   - cpu-ms/host: the wsbbot process's user+system CPU per host;
//   - maxrss-MB: its peak resident memory (VmHWM, which it reports itself);
//   - lab-cpu-ms/host: the CPU this process (the lab's servers and delaying
//     proxies) spent meanwhile, per host: they share the machine's cores
//     with wsbbot, unlike a real fleet;
//   - where the wall time went beyond the floor (see auditTimeline; means
//     over the runs): startup-ms, from the process's start to the first
//     connection a proxy accepted; tail-ms, from the last answer delivered
//     to the process's exit (the record, the output); started-ms, from the
//     start to wsbbot's "audit started" log line, and finished-ms, from the
//     last answer to its "audit finished" line (the findings recorded);
//     and per host, the time on top of its round trips that wsbbot took
//     between an answer and its next request (wsbbot-ms/host), the lab's
//     servers took to answer (server-ms/host) and the proxies delivered
//     late (late-ms/host). With -v, the breakdown per exchange of the last
//     run;
//   - with Debian's python3-winrm installed, pywinrm-s: the same collection
//     by pywinrm in a thread pool of the same size, and pywinrm/wsbbot.
func benchmarkAuditNetwork(b *testing.B, hosts int) {
	if testing.Short() {
		b.Skip("starts hundreds of servers")
	}
	const password = "bench-Passw0rd"
	// The lab stands in for a fleet whose CPU is not ours: it should take
	// as little of the shared cores as it can (labGCPercent; the wsbbot
	// process keeps its own pacing).
	defer debug.SetGCPercent(debug.SetGCPercent(labGCPercent))
	dir := b.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	l, err := lab.Start(context.Background(), lab.Options{Hosts: hosts, Password: password, Inventory: inv, Latency: netOneWay})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var wall, cpu, labCPU time.Duration
	var maxRSS int64
	var roundTrips int
	var startup, tail, started, finished time.Duration
	logged := true
	var excess exchangeTime
	var report string
	// Every audit but a fleet's first compares itself with the previous
	// one, read from the record: one audit, not timed, records it first.
	state := filepath.Join(dir, "state")
	runAudit(b, l, inv, password, state, dir)
	for i := 0; i < b.N; i++ {
		accepted0 := 0
		for _, h := range l.Hosts() {
			accepted0 += h.Proxy.Accepted()
		}
		traceProxies(l, true)
		r := runAudit(b, l, inv, password, state, dir)
		if r.out.Summary.Total.Unknown != 0 {
			b.Fatalf("%d unknown findings: some host was not reached\n%s", r.out.Summary.Total.Unknown, r.stderr)
		}
		tl, err := timelineOf(l, r, netOneWay)
		traceProxies(l, false)
		if err != nil {
			b.Fatal(err)
		}
		startup += tl.startup
		tail += tl.tail
		started += tl.started
		finished += tl.finished
		logged = logged && tl.started > 0 && tl.finished != 0
		m := tl.means()
		excess.client += m.client
		excess.server += m.server
		excess.late += m.late
		report = tl.report()
		wall += r.wall
		cpu += r.cpu
		labCPU += r.labCPU
		maxRSS = max(maxRSS, r.maxRSS)
		roundTrips = r.requests
		for _, h := range l.Hosts() {
			roundTrips += h.Proxy.Accepted()
		}
		roundTrips -= accepted0
	}
	n := float64(b.N)
	wallS := reportAudit(b, hosts, roundTrips, wall, cpu, labCPU)
	b.ReportMetric(float64(maxRSS)/(1<<20), "maxrss-MB")
	b.ReportMetric(ms(startup)/n, "startup-ms")
	b.ReportMetric(ms(tail)/n, "tail-ms")
	if logged {
		b.ReportMetric(ms(started)/n, "started-ms")
		b.ReportMetric(ms(finished)/n, "finished-ms")
	}
	b.ReportMetric(ms(excess.client)/n, "wsbbot-ms/host")
	b.ReportMetric(ms(excess.server)/n, "server-ms/host")
	b.ReportMetric(ms(excess.late)/n, "late-ms/host")
	if testing.Verbose() {
		b.Logf("where the last run's wall time went:\n%s", report)
	}
	if py, ok := pywinrmAudit(b, l, password, dir); ok {
		b.ReportMetric(py, "pywinrm-s")
		b.ReportMetric(py/wallS, "pywinrm/wsbbot")
	}
	b.ReportMetric(0, "ns/op")
}

// auditFloor is the latency floor of one audit of hosts servers that
// made roundTrips round trips in all (WinRM requests plus TCP handshakes):
// ceil(hosts/concurrency) batches x round trips per host x 20 ms.
func auditFloor(hosts, roundTrips int) time.Duration {
	batches := math.Ceil(float64(hosts) / netConcurrency)
	return time.Duration(batches * float64(roundTrips) / float64(hosts) * float64(2*netOneWay))
}

// reportAudit reports what every audit benchmark measures, as means over
// b.N audits of hosts servers that took wall, cpu (wsbbot's) and labCPU
// in all, each making roundTrips round trips: wall-s, floor-s,
// wall/floor, rt/host, cpu-ms/host and lab-cpu-ms/host. It returns
// wall-s.
func reportAudit(b *testing.B, hosts, roundTrips int, wall, cpu, labCPU time.Duration) float64 {
	n := float64(b.N)
	floor := auditFloor(hosts, roundTrips).Seconds()
	wallS := wall.Seconds() / n
	b.ReportMetric(wallS, "wall-s")
	b.ReportMetric(floor, "floor-s")
	b.ReportMetric(wallS/floor, "wall/floor")
	b.ReportMetric(float64(roundTrips)/float64(hosts), "rt/host")
	b.ReportMetric(cpu.Seconds()*1000/n/float64(hosts), "cpu-ms/host")
	b.ReportMetric(labCPU.Seconds()*1000/n/float64(hosts), "lab-cpu-ms/host")
	return wallS
}

// auditRun is what one `wsbbot audit --json` process over a lab did.
type auditRun struct {
	out      auditOutput
	stderr   string
	start    time.Time     // when the process was started
	wall     time.Duration // the process's wall time, record included
	cpu      time.Duration // its user+system CPU
	maxRSS   int64         // its peak resident memory, bytes
	labCPU   time.Duration // the CPU this process (the lab) used meanwhile
	requests int           // WinRM requests the lab's servers saw
}

// runAudit runs `wsbbot audit --json` as its own process over every host
// of l (inventory inv, its record under stateDir, change locks in
// lockDir) and checks that it reported every rule of every host; exit 1
// (a failing rule) is expected, the lab having failing scenarios.
func runAudit(tb testing.TB, l *lab.Lab, inv, password, stateDir, lockDir string) auditRun {
	tb.Helper()
	for _, h := range l.Hosts() {
		h.Server.ResetLog()
	}
	cmd := exec.Command(os.Args[0], "audit", "--config", inv, "--json")
	peakFile := filepath.Join(stateDir, "peak")
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		tb.Fatal(err)
	}
	cmd.Env = append(os.Environ(), asWsbbot+"=1", peakFileEnv+"="+peakFile, lab.PasswordEnv+"="+password,
		"XDG_STATE_HOME="+stateDir, "WSBBOT_REMOTE_LOCK_DIR="+lockDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	self0 := selfCPU()
	start := time.Now()
	err := cmd.Run()
	r := auditRun{start: start, wall: time.Since(start), stderr: stderr.String(), labCPU: selfCPU() - self0}
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != exitFailed) {
		tb.Fatalf("wsbbot audit: %v\n%s", err, r.stderr)
	}
	if err := json.Unmarshal(stdout.Bytes(), &r.out); err != nil {
		tb.Fatalf("audit output: %v\n%s", err, r.stderr)
	}
	if got, want := len(r.out.Findings), len(l.Hosts())*5; got != want {
		tb.Fatalf("%d findings, want %d\n%s", got, want, r.stderr)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	// Not ru.Maxrss: a vforked child's includes this process's peak.
	peak, err := os.ReadFile(peakFile)
	if err != nil {
		tb.Fatalf("peak memory: %v", err)
	}
	kb, err := strconv.ParseInt(string(peak), 10, 64)
	if err != nil {
		tb.Fatalf("peak memory %q: %v", peak, err)
	}
	r.maxRSS = kb << 10
	for _, h := range l.Hosts() {
		r.requests += h.Server.Count("")
	}
	return r
}

// pywinrmAudit runs testdata/pywinrm_audit.py (the same collection script,
// pywinrm in a pool of netConcurrency threads) once, when /usr/bin/python3
// has Debian's python3-winrm.
func pywinrmAudit(b *testing.B, l *lab.Lab, password, dir string) (float64, bool) {
	const python = "/usr/bin/python3"
	if exec.Command(python, "-c", "import winrm").Run() != nil {
		b.Logf("pywinrm comparison skipped: %s has no winrm module (apt-get install python3-winrm)", python)
		return 0, false
	}
	var urls []string
	for _, h := range l.Hosts() {
		urls = append(urls, fmt.Sprintf("http://%s:%d/wsman", h.Address, h.Port))
	}
	inv, _ := json.Marshal(urls)
	invFile, scriptFile := filepath.Join(dir, "pywinrm-hosts.json"), filepath.Join(dir, "collect.ps1")
	if err := os.WriteFile(invFile, inv, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(scriptFile, []byte(checklists.CollectScript), 0o600); err != nil {
		b.Fatal(err)
	}
	out, err := exec.Command(python, "testdata/pywinrm_audit.py", invFile, scriptFile, l.User(), password, fmt.Sprint(netConcurrency)).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			b.Fatalf("pywinrm: %v\n%s", err, ee.Stderr)
		}
		b.Fatal(err)
	}
	var r struct {
		Wall      float64 `json:"wall_s"`
		OK, Hosts int
	}
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("pywinrm output %q: %v", out, err)
	}
	if r.OK != r.Hosts {
		b.Fatalf("pywinrm: %d of %d hosts answered the collection", r.OK, r.Hosts)
	}
	return r.Wall, true
}

// selfCPU is this process's user+system CPU time so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
