package checklists

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/runbooks"
)

// fakeExec answers CollectScript with canned output per target, after an
// optional delay, and counts sessions and commands.
type fakeExec struct {
	out   map[string]string
	delay map[string]time.Duration
	fail  map[string]error
	// closeErr fails the Close of a target's session, after its command.
	closeErr map[string]error
	// closeGate, when set, holds every Close until it is closed.
	closeGate chan struct{}

	mu       sync.Mutex
	opened   map[string]int
	commands map[string]int
	closed   map[string]int
	scripts  []string
	loud     int // commands not marked Quiet
}

func (x *fakeExec) Open(ctx context.Context, target string) (runbooks.Session, error) {
	if err := x.fail[target]; err != nil {
		return nil, err
	}
	x.mu.Lock()
	x.opened[target]++
	x.mu.Unlock()
	return &fakeSession{x: x, target: target}, nil
}

type fakeSession struct {
	x      *fakeExec
	target string
}

func (s *fakeSession) Run(ctx context.Context, c runbooks.Command) (runbooks.Output, error) {
	s.x.mu.Lock()
	s.x.commands[s.target]++
	s.x.scripts = append(s.x.scripts, string(c.Shell)+":"+c.Script)
	if !c.Quiet {
		s.x.loud++
	}
	s.x.mu.Unlock()
	select {
	case <-time.After(s.x.delay[s.target]):
	case <-ctx.Done():
		return runbooks.Output{ExitCode: -1}, ctx.Err()
	}
	return runbooks.Output{Stdout: s.x.out[s.target]}, nil
}

func (s *fakeSession) Close() error {
	if s.x.closeGate != nil {
		<-s.x.closeGate
	}
	s.x.mu.Lock()
	s.x.closed[s.target]++
	s.x.mu.Unlock()
	return s.x.closeErr[s.target]
}

// TestCloseFailureKeepsTheFacts: a session whose close fails after the
// facts were read (a delete-shell lost on a lossy network) still gives
// the findings, with the close as a warning; before, the host's five
// rules were all unknown.
func TestCloseFailureKeepsTheFacts(t *testing.T) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		t.Fatal(err)
	}
	x := &fakeExec{
		out:      map[string]string{"lossy": string(b), "fine": string(b)},
		closeErr: map[string]error{"lossy": errors.New("delete-shell: the close deadline of 5s passed")},
		opened:   map[string]int{}, commands: map[string]int{}, closed: map[string]int{},
	}
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	a := &Auditor{Checklist: cl, Now: func() time.Time { return now }}
	var all []Report
	for r := range a.Audit(context.Background(), x, []Subject{{Name: "lossy"}, {Name: "fine"}}, 1) {
		all = append(all, r)
	}
	// Each target's report first, then the failed close's warning.
	if len(all) != 3 || all[0].Warning != nil || all[1].Warning != nil {
		t.Fatalf("reports %+v: want one per target, then a warning", all)
	}
	reps := map[string]Report{all[0].Target: all[0], all[1].Target: all[1]}
	r, w := reps["lossy"], all[2]
	if r.Err != nil || w.Target != "lossy" || w.Findings != nil || w.Warning == nil || !strings.Contains(w.Warning.Error(), "close lossy: delete-shell") {
		t.Errorf("report err %v, then %+v; want no error, then the close as a warning", r.Err, w)
	}
	lossy, fine := Summarize([]Report{r}), Summarize([]Report{reps["fine"]})
	if lossy.Total != fine.Total || lossy.Errors != 0 {
		t.Errorf("summary with a failed close %+v, without %+v: want the same findings", lossy, fine)
	}
}

// TestCollectionIsQuiet: the collection, run on every server at once,
// asks the executor to log its success at debug level (Command.Quiet), so
// that an audit of 1,000 servers does not write 1,000 info lines.
func TestCollectionIsQuiet(t *testing.T) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		t.Fatal(err)
	}
	x := &fakeExec{out: map[string]string{"fs01": string(b), "fs02": string(b)},
		opened: map[string]int{}, commands: map[string]int{}, closed: map[string]int{}}
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	a := &Auditor{Checklist: cl, Now: func() time.Time { return now }}
	for r := range a.Audit(context.Background(), x, []Subject{{Name: "fs01"}, {Name: "fs02"}}, 2) {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	if x.commands["fs01"] != 1 || x.commands["fs02"] != 1 || x.loud != 0 {
		t.Errorf("commands %v, %d of them not quiet: want one quiet collection per server", x.commands, x.loud)
	}
}

// TestReportBeforeClose: a target's report comes as soon as its facts
// are read, while its session is still closing (the shell's Delete is a
// round trip the caller records during), and the channel ends only when
// every session is closed.
func TestReportBeforeClose(t *testing.T) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		t.Fatal(err)
	}
	x := &fakeExec{out: map[string]string{"fs01": string(b), "fs02": string(b)}, closeGate: make(chan struct{}),
		opened: map[string]int{}, commands: map[string]int{}, closed: map[string]int{}}
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	a := &Auditor{Checklist: cl, Now: func() time.Time { return now }}
	ch := a.Audit(context.Background(), x, []Subject{{Name: "fs01"}, {Name: "fs02"}}, 2)
	for range 2 {
		select {
		case r := <-ch:
			if r.Err != nil || len(r.Findings) != 5 {
				t.Fatalf("report %+v", r)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no report while the sessions are closing: the audit waits for the close")
		}
	}
	select {
	case r, ok := <-ch:
		t.Fatalf("the channel gave %+v (open %v) before the sessions were closed", r, ok)
	case <-time.After(50 * time.Millisecond):
	}
	close(x.closeGate)
	if r, ok := <-ch; ok {
		t.Fatalf("after the closes: %+v, want the channel's end", r)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.closed["fs01"] != 1 || x.closed["fs02"] != 1 {
		t.Errorf("closed %v, want each session once", x.closed)
	}
}

func TestAuditFake(t *testing.T) {
	b, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		t.Fatal(err)
	}
	x := &fakeExec{
		out:      map[string]string{"fast": string(b), "slow": string(b), "garbage": "oops"},
		delay:    map[string]time.Duration{"slow": time.Hour},
		fail:     map[string]error{"dead": errors.New("connection refused")},
		opened:   map[string]int{},
		commands: map[string]int{},
		closed:   map[string]int{},
	}
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	a := &Auditor{Checklist: cl, Now: func() time.Time { return now }, Timeout: 200 * time.Millisecond}
	subjects := []Subject{{Name: "slow"}, {Name: "dead"}, {Name: "garbage"}, {Name: "fast", Declared: declared321()}}
	var order []string
	reports := map[string]Report{}
	var all []Report
	for r := range a.Audit(context.Background(), x, subjects, 2) {
		order = append(order, r.Target)
		reports[r.Target] = r
		all = append(all, r)
	}
	if len(order) != 4 || order[3] != "slow" {
		t.Errorf("order %v: want all four, the slow one (timed out) last", order)
	}
	if got := statusesOf(reports["fast"]); got != [5]Status{Pass, Pass, Pass, Pass, Pass} || reports["fast"].Err != nil {
		t.Errorf("fast: %v %v", got, reports["fast"].Err)
	}
	for _, name := range []string{"slow", "dead", "garbage"} {
		if got := statusesOf(reports[name]); got != [5]Status{Unknown, Unknown, Unknown, Unknown, Unknown} || reports[name].Err == nil {
			t.Errorf("%s: %v %v", name, got, reports[name].Err)
		}
	}
	if !errors.Is(reports["slow"].Err, context.DeadlineExceeded) || !errors.Is(reports["garbage"].Err, ErrNoFacts) {
		t.Errorf("errors: slow %v, garbage %v", reports["slow"].Err, reports["garbage"].Err)
	}
	for _, name := range []string{"slow", "garbage", "fast"} {
		if x.opened[name] != 1 || x.commands[name] != 1 || x.closed[name] != 1 {
			t.Errorf("%s: %d sessions, %d commands, %d closes; want 1 each", name, x.opened[name], x.commands[name], x.closed[name])
		}
	}
	for _, s := range x.scripts {
		if s != string(runbooks.ShellPowerShell)+":"+CollectScript {
			t.Errorf("sent %q", s)
		}
	}
	sum := Summarize(all)
	if sum.Targets != 4 || sum.Errors != 3 || sum.Total != (Counts{Pass: 5, Unknown: 15}) || sum.ByRule[Rule321] != (Counts{Pass: 1, Unknown: 3}) {
		t.Errorf("Summarize = %+v", sum)
	}
}

func TestAuditCancelled(t *testing.T) {
	x := &fakeExec{delay: map[string]time.Duration{"a": time.Hour, "b": time.Hour, "c": time.Hour},
		opened: map[string]int{}, commands: map[string]int{}, closed: map[string]int{}}
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &Auditor{Checklist: cl}
	ch := a.Audit(ctx, x, []Subject{{Name: "a"}, {Name: "b"}, {Name: "c"}}, 1)
	time.AfterFunc(50*time.Millisecond, cancel)
	n := 0
	for r := range ch {
		n++
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: %v", r.Target, r.Err)
		}
	}
	if n != 3 {
		t.Errorf("%d reports, want 3", n)
	}
}

func statusesOf(r Report) (out [5]Status) {
	for i, f := range r.Findings {
		if i < 5 {
			out[i] = f.Status
		}
	}
	return out
}
