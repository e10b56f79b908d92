package oncall_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Deadlines of the fault test's WinRM client. They only bound the hosts
// that never finish (hang, trickle, the endless stream); nothing asserts
// how long anything took.
const (
	faultOpTimeout     = 1 * time.Second
	faultHeaderTimeout = 2 * time.Second // a host that accepts and never answers
	faultStepTimeout   = 4 * time.Second // opening a session on a trickling host
	faultRunTimeout    = 5 * time.Second // the endless stream, whatever the step's own timeout
	faultOutputCap     = 64 << 10
	gigabyte           = 1 << 30
)

// faultClass is one kind of broken WinRM host and what the user must be
// told about it.
type faultClass struct {
	name string
	// start returns the address and port of a host of the class.
	start func(t *testing.T) (string, int)
	// want is the error kind remote reports.
	want remote.Kind
}

// labServer starts a fake WinRM server running a healthy lab host, with
// faults injected, logging every request.
func labServer(t *testing.T, name string, faults ...winrmtest.Fault) *winrmtest.Server {
	t.Helper()
	h, err := lab.NewHost(name, lab.ScenarioHealthy)
	if err != nil {
		t.Fatal(err)
	}
	return startFake(t, h.Handler(), faults...)
}

func startFake(t *testing.T, h winrmtest.Handler, faults ...winrmtest.Fault) *winrmtest.Server {
	t.Helper()
	srv := winrmtest.New(winrmtest.Options{User: "wsbadmin", Password: "lab-Passw0rd", Handler: h})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	for _, f := range faults {
		srv.Inject(f)
	}
	return srv
}

// flood answers every command with a gigabyte of output (or until it is
// terminated), counting what it wrote.
type flood struct {
	mu      sync.Mutex
	written int64
}

func (f *flood) Run(ctx context.Context, _ winrmtest.Command, _ io.Reader, stdout, _ io.Writer) int {
	chunk := []byte(strings.Repeat("0123456789abcdef", 4096)) // 64 KiB
	for n := 0; n < gigabyte; n += len(chunk) {
		if ctx.Err() != nil {
			return 1
		}
		if _, err := stdout.Write(chunk); err != nil {
			return 1
		}
		f.mu.Lock()
		f.written += int64(len(chunk))
		f.mu.Unlock()
	}
	return 0
}

func (f *flood) total() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

// hangListener accepts connections and never answers.
func hangListener(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// refusedPort is a loopback port nothing listens on.
func refusedPort(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().(*net.TCPAddr)
	_ = ln.Close()
	return a.IP.String(), a.Port
}

// TestFaultyHosts audits, and runs a diagnostic runbook on, a mix of
// healthy lab hosts and hosts that fail every way a WinRM host fails:
// refusing connections, accepting them and never answering, resetting the
// connection mid-Receive, answering 401, a 500 fault, the shell quota
// fault, or garbage, trickling bytes, and streaming a gigabyte. For every
// one: the healthy hosts' work finishes as if nothing were wrong; each
// faulty host gets a classified error (its kind's words) with the usual
// fix, not a raw one; the heap stays bounded (the stream is capped at
// OutputCap); and the record holds every run, finished, with a chain that
// verifies.
func TestFaultyHosts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts many fake hosts and waits out their deadlines")
	}
	fl := &flood{}
	var floodSrv *winrmtest.Server
	classes := []faultClass{
		{name: "refused", want: remote.KindConnectionRefused, start: refusedPort},
		{name: "hang", want: remote.KindHeaderTimeout, start: hangListener},
		{name: "reset-mid-receive", want: remote.KindConnectionDropped, start: func(t *testing.T) (string, int) {
			s := labServer(t, "reset", winrmtest.Fault{Kind: winrmtest.FaultDropMidBody, Action: winrmtest.ActionReceive})
			return s.Host(), s.Port()
		}},
		{name: "401", want: remote.KindUnauthorized, start: func(t *testing.T) (string, int) {
			s := labServer(t, "unauthorized", winrmtest.Fault{Kind: winrmtest.FaultUnauthorized})
			return s.Host(), s.Port()
		}},
		{name: "500", want: remote.KindFault, start: func(t *testing.T) (string, int) {
			s := labServer(t, "internal", winrmtest.Fault{Kind: winrmtest.FaultInternalError})
			return s.Host(), s.Port()
		}},
		{name: "quota", want: remote.KindQuota, start: func(t *testing.T) (string, int) {
			s := labServer(t, "quota", winrmtest.Fault{Kind: winrmtest.FaultQuota, Action: winrmtest.ActionCreate})
			return s.Host(), s.Port()
		}},
		{name: "garbage", want: remote.KindBadResponse, start: func(t *testing.T) (string, int) {
			s := labServer(t, "garbage", winrmtest.Fault{Kind: winrmtest.FaultGarbage})
			return s.Host(), s.Port()
		}},
		{name: "trickle", want: remote.KindTimeout, start: func(t *testing.T) (string, int) {
			s := labServer(t, "trickle", winrmtest.Fault{Kind: winrmtest.FaultTrickle, Delay: 20 * time.Millisecond})
			return s.Host(), s.Port()
		}},
		{name: "gigabyte", want: remote.KindTimeout, start: func(t *testing.T) (string, int) {
			floodSrv = startFake(t, fl)
			return floodSrv.Host(), floodSrv.Port()
		}},
	}
	targets := map[string]remote.Target{}
	want := map[string]remote.Kind{}
	var inv oncall.Inventory
	add := func(name, addr string, port int) {
		targets[name] = remote.Target{Name: name, Address: addr, Port: port, Auth: remote.AuthBasic,
			User: "wsbadmin", Password: remote.Password("lab-Passw0rd")}
		inv = append(inv, oncall.Server{Name: name, Declared: checklists.Declarations{Copies: 3, Media: 2, Offsite: ptr(true)}})
	}
	for i := range 3 {
		s := labServer(t, fmt.Sprintf("good-%d", i+1))
		add(fmt.Sprintf("good-%d", i+1), s.Host(), s.Port())
	}
	for _, c := range classes {
		addr, port := c.start(t)
		add(c.name, addr, port)
		want[c.name] = c.want
	}
	// The faulty hosts' client has short deadlines, which end their hangs;
	// the healthy hosts' has the defaults, so that however loaded the
	// machine, their work is never cut short by a deadline meant for the
	// others. Both keep OutputCap bytes per stream.
	resolve := func(name string) (remote.Target, error) {
		t, ok := targets[name]
		if !ok {
			return remote.Target{}, fmt.Errorf("no host %q", name)
		}
		return t, nil
	}
	faultClient, err := remote.New(remote.Options{Concurrency: 32, OperationTimeout: faultOpTimeout, HeaderTimeout: faultHeaderTimeout,
		StepTimeout: faultStepTimeout, RunTimeout: faultRunTimeout, OutputCap: faultOutputCap})
	if err != nil {
		t.Fatal(err)
	}
	goodClient, err := remote.New(remote.Options{Concurrency: 32, OutputCap: faultOutputCap})
	if err != nil {
		t.Fatal(err)
	}
	exec := routed{good: &remote.Executor{Client: goodClient, Resolve: resolve},
		faulty: &remote.Executor{Client: faultClient, Resolve: resolve}, isFaulty: func(name string) bool { _, ok := want[name]; return ok }}
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	cl, err := checklists.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Checklist: cl, Executor: exec, Store: st, Inventory: inv,
		AuditConcurrency: len(inv), Clock: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounds a hang only
	defer cancel()

	mem := startHeapWatch()

	// The audit over every host.
	rep, err := svc.Audit(ctx, oncall.AuditRequest{Actor: "test:alice"})
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if len(rep.Reports) != len(inv) {
		t.Fatalf("%d reports for %d hosts", len(rep.Reports), len(inv))
	}
	observed := map[string]string{}
	for _, r := range rep.Reports {
		k, ok := want[r.Target]
		if !ok { // a good host
			if r.Err != nil {
				t.Errorf("audit of good host %s: %v", r.Target, r.Err)
			}
			for _, f := range r.Findings {
				if f.Status == checklists.Unknown && strings.Contains(f.Evidence.EN, "could not collect") {
					t.Errorf("audit of good host %s: %s %s", r.Target, f.Rule, f.Evidence.EN)
				}
			}
			continue
		}
		var re *remote.Error
		if !errors.As(r.Err, &re) {
			t.Errorf("audit of %s: error %v is not a classified remote error", r.Target, r.Err)
			continue
		}
		if re.Kind != k || re.Explain() == "" {
			t.Errorf("audit of %s: kind %q (hint %q), want %q with a hint", r.Target, re.Kind, re.Explain(), k)
		}
		for _, f := range r.Findings {
			if f.Status != checklists.Unknown || !strings.Contains(f.Evidence.EN, summaryOf(k)) || !strings.Contains(f.Fix.EN, re.Explain()) {
				t.Errorf("audit of %s: finding %s %s %q (fix %q), want unknown naming %q, with the error's fix", r.Target, f.Rule, f.Status, f.Evidence.EN, f.Fix.EN, summaryOf(k))
			}
		}
		observed[r.Target] = fmt.Sprintf("audit: %s, hint %.60q", re.Kind, re.Explain())
	}
	findings, err := st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindAuditFinding}})
	if err != nil {
		t.Fatal(err)
	}
	if got, wantN := len(findings), len(inv)*len(cl.Rules); got != wantN {
		t.Errorf("%d audit findings recorded, want %d (every rule of every host)", got, wantN)
	}

	// A diagnostic runbook on every host at once.
	results := make([]*runbooks.Result, len(inv))
	errs := make([]error, len(inv))
	var wg sync.WaitGroup
	for i, s := range inv {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = svc.Run(ctx, oncall.RunRequest{Runbook: "diag-vss-writers", Server: s.Name, Actor: "test:alice"}, nil)
		}()
	}
	wg.Wait()
	for i, s := range inv {
		res, err := results[i], errs[i]
		if err != nil {
			t.Errorf("run on %s: %v", s.Name, err)
			continue
		}
		k, faulty := want[s.Name]
		if !faulty {
			if res.Status != runbooks.RunSucceeded {
				t.Errorf("run on good host %s: %s %s", s.Name, res.Status, res.Error)
			}
			continue
		}
		msg, hint := res.Error, res.Hint
		for _, sr := range res.Steps {
			if sr.Error != "" && msg == "" {
				msg, hint = sr.Error, sr.Hint
			}
		}
		if res.Status != runbooks.RunFailed || !strings.Contains(msg, summaryOf(k)) || hint == "" {
			t.Errorf("run on %s: %s, error %q, hint %q; want failed naming %q with a hint", s.Name, res.Status, msg, hint, summaryOf(k))
		}
		observed[s.Name] += fmt.Sprintf("; run: %s, %.90q", res.Status, msg)
	}

	heap := mem.stop()
	streamed := int64(0)
	for _, r := range floodSrv.Requests() {
		streamed += int64(r.ResponseBytes)
	}
	for _, c := range classes {
		t.Logf("%-18s %s", c.name, observed[c.name])
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	t.Logf("gigabyte host: %.1f MiB written by its handler, %.1f MiB of responses sent, %d KiB kept per stream; heap growth: peak in use %+.1f MiB, peak live %+.1f MiB, retained %+.1f MiB",
		mib(fl.total()), mib(streamed), faultOutputCap>>10, mib(heap.peak), mib(heap.peakLive), mib(heap.retained))
	// Generous bounds, for the whole test and not only the stream.
	if heap.peak > 256<<20 || heap.peakLive > 32<<20 || heap.retained > 16<<20 {
		t.Errorf("heap grew by %.1f MiB in use, %.1f MiB live, and kept %.1f MiB: not bounded", mib(heap.peak), mib(heap.peakLive), mib(heap.retained))
	}

	// The record: every run finished (failed or succeeded), chain intact.
	runs, err := st.Runs(ctx, store.RunFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != len(inv) {
		t.Errorf("%d runs recorded, want %d", len(runs), len(inv))
	}
	for _, r := range runs {
		if r.Finished.IsZero() || (r.Status != string(runbooks.RunSucceeded) && r.Status != string(runbooks.RunFailed)) {
			t.Errorf("run %s on %s recorded as %q, finished %v", r.ID, r.Target, r.Status, r.Finished)
		}
	}
	if v, err := st.Verify(ctx); err != nil || !v.OK {
		t.Errorf("record does not verify: %v %v", v, err)
	}
}

// routed sends the faulty hosts' sessions to one executor and the others'
// to another.
type routed struct {
	good, faulty runbooks.Executor
	isFaulty     func(name string) bool
}

func (r routed) Open(ctx context.Context, name string) (runbooks.Session, error) {
	if r.isFaulty(name) {
		return r.faulty.Open(ctx, name)
	}
	return r.good.Open(ctx, name)
}

// summaryOf is the words remote's error of kind k starts with.
func summaryOf(k remote.Kind) string {
	s := (&remote.Error{Kind: k, HTTPStatus: 401}).Error() // 401: the unauthorized kind's words for a 401
	if i := strings.Index(s, " within "); i > 0 {          // the header timeout names its duration
		s = s[:i]
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// heapWatch samples the heap while a test runs: HeapInuse often (the
// peak, garbage included), and the live heap after a forced collection
// less often (what is really kept: an uncapped client would keep every
// byte streamed to it).
type heapWatch struct {
	base, baseLive uint64
	peak, peakLive uint64
	stopc, done    chan struct{}
}

// startHeapWatch records the heap after a collection and samples it until
// stop.
func startHeapWatch() *heapWatch {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	w := &heapWatch{base: ms.HeapInuse, baseLive: ms.HeapAlloc, peak: ms.HeapInuse, peakLive: ms.HeapAlloc,
		stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for i := 1; ; i++ {
			select {
			case <-w.stopc:
				return
			case <-tick.C:
				if i%10 == 0 {
					runtime.GC()
				}
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				w.peak = max(w.peak, ms.HeapInuse)
				if i%10 == 0 {
					w.peakLive = max(w.peakLive, ms.HeapAlloc)
				}
			}
		}
	}()
	return w
}

// heapGrowth is what a heapWatch saw, in bytes above the start.
type heapGrowth struct {
	peak     int64 // HeapInuse, garbage included
	peakLive int64 // live heap right after a collection
	retained int64 // live heap after stop
}

// stop ends the sampling and returns the growth.
func (w *heapWatch) stop() heapGrowth {
	close(w.stopc)
	<-w.done
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heapGrowth{peak: int64(w.peak) - int64(w.base), peakLive: int64(w.peakLive) - int64(w.baseLive),
		retained: int64(ms.HeapAlloc) - int64(w.baseLive)}
}
