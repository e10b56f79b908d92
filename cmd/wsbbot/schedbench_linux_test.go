//go:build linux

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/oncall"
)

// BenchmarkScheduledAudit100 and BenchmarkScheduledAudit1000 measure the
// audit as `serve` runs it on its schedule: in a wsbbot already running
// (this process, wired as serve wires it: configuration, record,
// executor, runbooks, collector pacing), over the lab's hosts in a
// process of their own (labProcessEnv) behind the same delaying proxies
// as BenchmarkAuditNetwork. What BenchmarkAuditNetwork adds to it is the
// process: start-up, reading the configuration, opening the record, the
// output, exiting.
//
// Each timed audit follows two not timed (the record holds the previous
// one, as for every scheduled audit but a fleet's first) and
// opens its connections anew, as an audit hours after the last does
// (remote keeps no connection past its session). It reports wall-s,
// floor-s (ceil(hosts/concurrency) x round trips per host x 20 ms, the
// round trips counted: requests the servers saw plus handshakes the
// proxies saw), wall/floor, rt/host, cpu-ms/host (this process's CPU
// during the audit) and lab-cpu-ms/host (the lab process's, on the same
// cores).
func BenchmarkScheduledAudit100(b *testing.B)  { benchmarkScheduledAudit(b, 100) }
func BenchmarkScheduledAudit1000(b *testing.B) { benchmarkScheduledAudit(b, 1000) }

func benchmarkScheduledAudit(b *testing.B, hosts int) {
	if testing.Short() {
		b.Skip("starts hundreds of servers")
	}
	const password = "bench-Passw0rd"
	dir := b.TempDir()
	inv := filepath.Join(dir, "inventory.yaml")
	lab := startLabProcess(b, hosts, password, inv, netOneWay)
	m := &Main{configFile: inv, Env: env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, vars: []string{
		"WSBBOT_LAB_PASSWORD=" + password, "XDG_STATE_HOME=" + filepath.Join(dir, "state"), "WSBBOT_REMOTE_LOCK_DIR=" + dir,
	}}}
	defer m.Close()
	defer paceGC(m.Env)() // as serve does
	svc, err := m.service()
	if err != nil {
		b.Fatal(err)
	}
	req := oncall.AuditRequest{Actor: "scheduler:bench"}
	audit := func() *oncall.AuditReport {
		rep, err := svc.Audit(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		if got, want := len(rep.Findings()), hosts*5; got != want || rep.Summary.Total.Unknown != 0 {
			b.Fatalf("%d findings (%d unknown), want %d known", got, rep.Summary.Total.Unknown, want)
		}
		return rep
	}
	// Not timed: the first audit, so that the record holds a previous
	// one, and the second, as the lab's heap grows to its size (its CPU
	// for the second audit of its life is twice that of later ones).
	audit()
	audit()
	lab.reset()
	var wall, cpu, labCPU time.Duration
	var roundTrips int
	// The timer runs (and -benchmem counts allocations) during the timed
	// audits only: not while setting up, nor while asking the lab.
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c0 := lab.counts()
		b.StartTimer()
		cpu0, start := selfCPU(), time.Now()
		audit()
		w, c := time.Since(start), selfCPU()-cpu0
		b.StopTimer()
		c1 := lab.counts()
		if testing.Verbose() {
			b.Logf("audit %d: %.3f s, cpu %.1f ms, lab cpu %.1f ms", i, w.Seconds(), ms(c), ms(c1.cpu-c0.cpu))
		}
		wall, cpu, labCPU = wall+w, cpu+c, labCPU+c1.cpu-c0.cpu
		roundTrips = c1.requests - c0.requests + c1.accepted - c0.accepted
		lab.reset()
		b.StartTimer()
	}
	reportAudit(b, hosts, roundTrips, wall, cpu, labCPU)
	b.ReportMetric(0, "ns/op")
}
