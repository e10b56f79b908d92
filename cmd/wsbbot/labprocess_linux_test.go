//go:build linux

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/lab"
)

// labProcessEnv makes this test binary a lab process (see TestMain): a
// lab of simulated hosts behind delaying proxies, in a process of its own,
// so that a benchmark can run wsbbot's audit in the benchmark's process,
// as `serve` runs it, and measure that process's CPU alone. Its value is
// the labSpec as JSON. The lab answers on its stdin, a line each:
// "counts" (labCounts, a line of three numbers) and "reset" (clears the
// servers' request logs, answers "ok"); at the end of stdin it closes.
const labProcessEnv = "WSBBOT_TEST_LAB_PROCESS"

// labCPUProfileEnv names a file to which a lab process writes its CPU
// profile (the benchmark's own -cpuprofile profiles the audit).
const labCPUProfileEnv = "WSBBOT_TEST_LAB_CPUPROFILE"

type labSpec struct {
	Hosts     int           `json:"hosts"`
	Password  string        `json:"password"`
	Inventory string        `json:"inventory"`
	OneWay    time.Duration `json:"one_way"`
}

// labCounts is what a lab process has done: the WinRM requests its servers
// saw since the last reset, the TCP connections its proxies accepted (each
// paid a handshake), and its own CPU time.
type labCounts struct {
	requests, accepted int
	cpu                time.Duration
}

// asLabProcess runs this test binary as a lab process when labProcessEnv
// is set (see TestMain), and returns its exit code.
func asLabProcess() (code int, ok bool) {
	spec := os.Getenv(labProcessEnv)
	if spec == "" {
		return 0, false
	}
	return labProcess(spec, os.Stdin, os.Stdout), true
}

func labProcess(spec string, in io.Reader, out io.Writer) int {
	var s labSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintf(os.Stderr, "lab process: %s: %v\n", labProcessEnv, err)
		return 2
	}
	debug.SetGCPercent(labGCPercent)
	if path := os.Getenv(labCPUProfileEnv); path != "" {
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lab process: %v\n", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(os.Stderr, "lab process: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	l, err := lab.Start(context.Background(), lab.Options{Hosts: s.Hosts, Password: s.Password, Inventory: s.Inventory, Latency: s.OneWay})
	if err != nil {
		fmt.Fprintf(os.Stderr, "lab process: %v\n", err)
		return 1
	}
	defer l.Close()
	fmt.Fprintln(out, "ready")
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		switch sc.Text() {
		case "counts":
			var c labCounts
			for _, h := range l.Hosts() {
				c.requests += h.Server.Count("")
				c.accepted += h.Proxy.Accepted()
			}
			fmt.Fprintln(out, c.requests, c.accepted, int64(selfCPU()))
		case "reset":
			for _, h := range l.Hosts() {
				h.Server.ResetLog()
			}
			fmt.Fprintln(out, "ok")
		default:
			fmt.Fprintf(out, "unknown command %q\n", sc.Text())
		}
	}
	return 0
}

// labGCPercent is the lab's collector target in every audit benchmark:
// the lab stands in for a fleet whose CPU is not ours, and collects a
// quarter as often as by default. Not less: with the collector off, every
// audit's garbage is new memory, and the page faults cost the lab more CPU
// than collecting (150-170 ms per 100-host audit, against 65-80 ms once
// its heap has grown at 400).
const labGCPercent = 400

// labProc is a lab process started by startLabProcess.
type labProc struct {
	tb  testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

// startLabProcess starts a lab process of hosts hosts, its inventory
// written to inv, and stops it when tb ends.
func startLabProcess(tb testing.TB, hosts int, password, inv string, oneWay time.Duration) *labProc {
	tb.Helper()
	spec, err := json.Marshal(labSpec{Hosts: hosts, Password: password, Inventory: inv, OneWay: oneWay})
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), labProcessEnv+"="+string(spec))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &labProc{tb: tb, cmd: cmd, in: in, out: bufio.NewScanner(outPipe)}
	tb.Cleanup(func() {
		_ = in.Close()
		if err := cmd.Wait(); err != nil {
			tb.Errorf("lab process: %v", err)
		}
	})
	if line := p.line(); line != "ready" {
		tb.Fatalf("lab process said %q, want ready", line)
	}
	return p
}

func (p *labProc) line() string {
	p.tb.Helper()
	if !p.out.Scan() {
		p.tb.Fatalf("lab process: no answer (%v)", p.out.Err())
	}
	return p.out.Text()
}

func (p *labProc) ask(cmd string) string {
	p.tb.Helper()
	if _, err := fmt.Fprintln(p.in, cmd); err != nil {
		p.tb.Fatalf("lab process: %v", err)
	}
	return p.line()
}

func (p *labProc) counts() labCounts {
	p.tb.Helper()
	line := p.ask("counts")
	var c labCounts
	var cpu int64
	if _, err := fmt.Sscan(line, &c.requests, &c.accepted, &cpu); err != nil {
		p.tb.Fatalf("lab process counts %q: %v", line, err)
	}
	c.cpu = time.Duration(cpu)
	return c
}

func (p *labProc) reset() {
	p.tb.Helper()
	if line := p.ask("reset"); strings.TrimSpace(line) != "ok" {
		p.tb.Fatalf("lab process reset: %q", line)
	}
}
