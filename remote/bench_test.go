package remote

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/masterzen/winrm"

	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// BenchmarkFanOut runs one PowerShell command on each of 1,000 fake hosts
// (one winrmtest server per host, each on its own port) with 20 ms of
// latency injected into every request, at concurrency 100 (internal/fanout
// over the client, as the auditor runs). It reports the
// wall time of a fan-out, the protocol lower bound
// ceil(hosts/concurrency) × round trips per host × latency, their ratio,
// the round trips per host counted by the servers, and peak heap and RSS
// (VmHWM, which includes the 1,000 in-process servers), plus the CPU time
// the process spent per fan-out.
func BenchmarkFanOut(b *testing.B) {
	const (
		hosts       = 1000
		concurrency = 100
		latency     = 20 * time.Millisecond
	)
	servers := make([]*winrmtest.Server, hosts)
	targets := make([]Target, hosts)
	for i := range servers {
		srv := winrmtest.New(winrmtest.Options{User: testUser, Password: testPassword, MaxLogEntries: -1,
			Handler: psHandler(func(_ context.Context, c psCall, stdout, _ io.Writer) int {
				_, _ = fmt.Fprintf(stdout, "%v\r\n", c.Params["Host"])
				return 0
			})})
		if err := srv.Start("127.0.0.1:0"); err != nil {
			b.Fatalf("server %d: %v", i, err)
		}
		servers[i] = srv
		targets[i] = targetOf(srv, fmt.Sprintf("host%04d", i), false)
	}
	b.Cleanup(func() {
		var wg sync.WaitGroup
		for _, s := range servers {
			wg.Add(1)
			go func() { defer wg.Done(); _ = s.Close() }()
		}
		wg.Wait()
	})
	c, err := New(Options{Concurrency: concurrency})
	if err != nil {
		b.Fatal(err)
	}
	// latency=20ms is the measurement; latency=0 shows the CPU cost of the
	// same fan-out (client and 1,000 servers share this machine's cores).
	for _, lat := range []time.Duration{latency, 0} {
		b.Run("latency="+lat.String(), func(b *testing.B) {
			for _, s := range servers {
				s.ClearFaults()
				if lat > 0 {
					s.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Delay: lat})
				}
			}
			runFanOut(b, c, servers, targets, concurrency, lat)
		})
	}
}

func runFanOut(b *testing.B, c *Client, servers []*winrmtest.Server, targets []Target, concurrency int, latency time.Duration) {
	hosts := len(targets)
	peak := &heapPeak{}
	stop := peak.sample(5 * time.Millisecond)
	defer stop()
	var wall, cpu time.Duration
	var requests, closeErrs int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for _, s := range servers {
			s.ResetLog()
		}
		cpu0 := cpuTime()
		b.StartTimer()
		start := time.Now()
		n := 0
		for r := range fanOut(context.Background(), c, targets, concurrency, func(ctx context.Context, s *Session) error {
			res, err := s.Run(ctx, Command{Script: "hostname", Params: map[string]any{"Host": s.Name()}})
			if err != nil {
				return err
			}
			if res.Stdout != s.Name()+"\n" {
				return fmt.Errorf("%s answered %q", s.Name(), res.Stdout)
			}
			return nil
		}) {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.Target, r.Err)
			}
			if r.CloseErr != nil {
				// Only seen on an overloaded machine: a Delete slower than
				// the 5 s close deadline. Counted, not fatal.
				closeErrs++
				b.Logf("%s: %v", r.Target, r.CloseErr)
			}
			n++
		}
		wall += time.Since(start)
		b.StopTimer()
		cpu += cpuTime() - cpu0
		if n != hosts {
			b.Fatalf("%d results, want %d", n, hosts)
		}
		requests = 0
		for _, s := range servers {
			requests += s.Count("")
		}
		b.StartTimer()
	}
	b.StopTimer()
	rtPerHost := float64(requests) / float64(hosts)
	batches := math.Ceil(float64(hosts) / float64(concurrency))
	wallS := wall.Seconds() / float64(b.N)
	b.ReportMetric(wallS, "wall-s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s")
	b.ReportMetric(rtPerHost, "rt/host")
	b.ReportMetric(float64(closeErrs)/float64(b.N), "close-errors")
	if latency > 0 {
		bound := batches * rtPerHost * latency.Seconds()
		b.ReportMetric(bound, "bound-s")
		b.ReportMetric(wallS/bound, "wall/bound")
	}
	b.ReportMetric(float64(peak.max())/(1<<20), "peak-heap-MB")
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

// heapPeak samples the live heap.
type heapPeak struct {
	mu   sync.Mutex
	peak uint64
}

func (h *heapPeak) sample(every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			metrics.Read(s)
			h.mu.Lock()
			h.peak = max(h.peak, s[0].Value.Uint64())
			h.mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (h *heapPeak) max() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.peak
}

// vmHWM reads the peak resident set size from /proc/self/status.
func vmHWM() (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// BenchmarkRequest prints the five messages of an audit's session
// (Create, Command, Send with the collection script's stdin, Receive,
// Delete): remote's templates against masterzen's builders.
func BenchmarkRequest(b *testing.B) {
	p := *winrm.DefaultParameters
	p.Timeout, p.Locale, p.EnvelopeSize = isoDuration(60*time.Second), "en-US", envelopeSize
	line, stdin, err := EncodePowerShell(strings.Repeat("Get-WBPolicy | ConvertTo-Json\n", 100), nil)
	if err != nil {
		b.Fatal(err)
	}
	f := requestFields{url: "http://127.0.0.1:5985/wsman", shellID: "2A1E5D3C-8F2B-4B52-9D0E-6E3A1B7C9D10",
		commandID: "7F3C2B1A-0E9D-4C8B-A7F6-5E4D3C2B1A09", command: line, input: stdin}
	kinds := []requestKind{reqCreate, reqCommand, reqSendEnd, reqReceive, reqDelete}
	b.Run("template", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, k := range kinds {
				_ = newRequest(k, f, &p).body
			}
		}
	})
	b.Run("masterzen", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, k := range kinds {
				_ = masterzenRequest(k, f, &p).String()
			}
		}
	})
}
