package main

import (
	"context"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
)

// asWsbbot is the variable that makes this test binary run as the wsbbot
// command (see TestMain), so a test can crash a real wsbbot process and a
// benchmark can measure one
// (its own CPU time and memory) apart from the lab it talks to.
const asWsbbot = "WSBBOT_TEST_AS_MAIN"

// cpuProfileEnv, beside asWsbbot, names a file to which that wsbbot process
// writes its CPU profile, e.g.
//
//	WSBBOT_TEST_CPUPROFILE=/tmp/audit.prof go test -run '^$' -bench AuditNetwork100 ./cmd/wsbbot
//	go tool pprof -top /tmp/audit.prof
//
// (the benchmark's own -cpuprofile would profile the lab, not wsbbot).
// memProfileEnv likewise names a file for its allocation profile
// (go tool pprof -sample_index=alloc_space).
// peakFileEnv names a file to which that process writes its peak resident
// memory in kB (VmHWM of /proc/self/status, Linux): the rusage maxrss a
// parent reads after wait is not the child's own, since a child started by
// vfork inherits the parent's high-water mark at exec.
const (
	cpuProfileEnv = "WSBBOT_TEST_CPUPROFILE"
	memProfileEnv = "WSBBOT_TEST_MEMPROFILE"
	peakFileEnv   = "WSBBOT_TEST_PEAK_FILE"
)

func TestMain(m *testing.M) {
	if code, ok := asLabProcess(); ok {
		os.Exit(code)
	}
	if os.Getenv(asWsbbot) == "1" {
		if os.Getenv(cpuProfileEnv) != "" || os.Getenv(memProfileEnv) != "" || os.Getenv(peakFileEnv) != "" {
			os.Exit(instrumented(os.Getenv(cpuProfileEnv), os.Getenv(memProfileEnv), os.Getenv(peakFileEnv)))
		}
		main()
	}
	os.Exit(m.Run())
}

// instrumented runs the command line as main does, under the CPU profiler
// (when cpuPath is set), and writes the allocation profile to memPath and
// the peak resident memory to peakPath (when set).
func instrumented(cpuPath, memPath, peakPath string) int {
	if memPath != "" {
		runtime.MemProfileRate = 1 // every allocation: a 100-host audit allocates only some 12 MB
	}
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			panic(err)
		}
		defer pprof.StopCPUProfile()
	}
	// As main does, so that a profiled serve stops on SIGTERM and writes
	// its profile.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code := run(ctx, os.Args[1:], env{stdin: strings.NewReader(""), stdout: os.Stdout, stderr: os.Stderr, vars: os.Environ()})
	if memPath != "" {
		f, err := os.Create(memPath)
		if err != nil {
			panic(err)
		}
		defer f.Close()
		// The profile is as of the last collection: an audit at the
		// collector's target of 400 may have had none since its start.
		runtime.GC()
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			panic(err)
		}
	}
	if peakPath != "" {
		status, err := os.ReadFile("/proc/self/status")
		if err != nil {
			panic(err)
		}
		for _, line := range strings.Split(string(status), "\n") {
			if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if err := os.WriteFile(peakPath, []byte(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB"))), 0o600); err != nil {
					panic(err)
				}
			}
		}
	}
	return code
}
