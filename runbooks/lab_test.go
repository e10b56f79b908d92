package runbooks_test

// End-to-end tests of the bundled runbooks against the simulated lab hosts.
// They live in package runbooks_test because remote will import runbooks.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/lab"
	"github.com/wsbbot/wsbbot/runbooks"
)

// labExecutor runs commands on lab hosts directly, building the command
// line and stdin exactly as remote's transport sends them.
type labExecutor struct {
	hosts map[string]*lab.Host

	mu   sync.Mutex
	sent []runbooks.Command // every command, in order
}

func (x *labExecutor) Open(ctx context.Context, target string) (runbooks.Session, error) {
	h, ok := x.hosts[target]
	if !ok {
		return nil, fmt.Errorf("no lab host %q", target)
	}
	return &labSession{x: x, h: h}, nil
}

func (x *labExecutor) commands() []runbooks.Command {
	x.mu.Lock()
	defer x.mu.Unlock()
	return append([]runbooks.Command(nil), x.sent...)
}

type labSession struct {
	x      *labExecutor
	h      *lab.Host
	closed bool
}

func (s *labSession) Run(ctx context.Context, c runbooks.Command) (runbooks.Output, error) {
	if s.closed {
		return runbooks.Output{}, errors.New("session closed")
	}
	s.x.mu.Lock()
	s.x.sent = append(s.x.sent, c)
	s.x.mu.Unlock()
	line, stdin := c.Script, []byte(nil)
	switch c.Shell {
	case runbooks.ShellPowerShell:
		var err error
		line, stdin, err = remote.EncodePowerShell(c.Script, c.Params)
		if err != nil {
			return runbooks.Output{}, err
		}
	case runbooks.ShellCmd:
	default:
		return runbooks.Output{}, fmt.Errorf("unknown shell %q", c.Shell)
	}
	var out, errb bytes.Buffer
	start := time.Now()
	code := s.h.Run(ctx, line, "wsbadmin", bytes.NewReader(stdin), &out, &errb)
	if err := ctx.Err(); err != nil {
		return runbooks.Output{}, err
	}
	return runbooks.Output{Stdout: out.String(), Stderr: errb.String(), ExitCode: code, Duration: time.Since(start)}, nil
}

func (s *labSession) Close() error { s.closed = true; return nil }

// gate allows or denies every change and remembers what it was asked.
type gate struct {
	allow bool
	mu    sync.Mutex
	asked []runbooks.RenderedStep
}

func (g *gate) Allow(ctx context.Context, p *runbooks.Plan, st runbooks.RenderedStep) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.asked = append(g.asked, st)
	return g.allow, nil
}

// observer counts the events of a run.
type observer struct {
	mu       sync.Mutex
	started  []string
	finished []runbooks.StepResult
}

func (o *observer) StepStarted(ctx context.Context, st runbooks.RenderedStep) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.started = append(o.started, st.ID)
}

func (o *observer) StepFinished(ctx context.Context, r runbooks.StepResult) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.finished = append(o.finished, r)
}

func bundledRunbook(t *testing.T, id string) *runbooks.Runbook {
	t.Helper()
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatalf("LoadBundled: %v", err)
	}
	rb, ok := set.Runbook(id)
	if !ok {
		t.Fatalf("bundled runbook %q missing; have %v", id, set.RunbookIDs())
	}
	return rb
}

func newHost(t *testing.T, scenario string) *lab.Host {
	t.Helper()
	h, err := lab.NewHost("srv1", scenario)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func bind(t *testing.T, rb *runbooks.Runbook) runbooks.Params {
	t.Helper()
	p, err := rb.Bind(nil, nil)
	if err != nil {
		t.Fatalf("Bind: %v", err)
	}
	return p
}

func TestLabDiagVSSWriters(t *testing.T) {
	rb := bundledRunbook(t, "diag-vss-writers")
	for _, tc := range []struct {
		scenario string
		status   runbooks.RunStatus
		services []any
		detail   string
	}{
		{lab.ScenarioHealthy, runbooks.RunSucceeded, []any{}, ""},
		{lab.ScenarioWriterFailed, runbooks.RunFailed, []any{"SQLWriter"}, "SqlServerWriter [8]"},
		{lab.ScenarioJapanese, runbooks.RunSucceeded, []any{}, ""},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			h := newHost(t, tc.scenario)
			x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
			e := runbooks.NewEngine(x, &gate{}, nil, nil)
			res, err := e.Run(t.Context(), rb, "srv1", bind(t, rb), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %s, want %s: %+v", res.Status, tc.status, res.Steps)
			}
			st := res.Steps[0]
			if got := st.Report["services"]; fmt.Sprint(got) != fmt.Sprint(tc.services) {
				t.Errorf("report services = %v, want %v", got, tc.services)
			}
			if tc.detail != "" {
				last := st.Expectations[len(st.Expectations)-1]
				if last.OK || !strings.Contains(last.Detail, tc.detail) || !strings.Contains(last.Detail, "SQLWriter") {
					t.Errorf("verdict %+v does not name %q and SQLWriter", last, tc.detail)
				}
			}
		})
	}
}

func TestLabWriterRestart(t *testing.T) {
	rb := bundledRunbook(t, "vss-writer-restart")
	ctx := t.Context()

	t.Run("dry run names the service", func(t *testing.T) {
		h := newHost(t, lab.ScenarioWriterFailed)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		e := runbooks.NewEngine(x, &gate{allow: true}, nil, nil)
		plan, err := e.DryRun(ctx, rb, "srv1", bind(t, rb))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Refused {
			t.Fatalf("plan refused: %+v", plan.Findings)
		}
		var restarts []runbooks.RenderedStep
		for _, s := range plan.Steps {
			if s.ID == "restart-service" {
				restarts = append(restarts, s)
			}
		}
		if len(restarts) != 1 || restarts[0].Params != `{"service":"SQLWriter"}` ||
			restarts[0].Script != "Restart-Service -Name $P.service -Force" || restarts[0].Mode != runbooks.ModeChange {
			t.Fatalf("restart steps in the plan = %+v, want one restarting SQLWriter", restarts)
		}
		for _, c := range x.commands() {
			if strings.Contains(c.Script, "Restart-Service") {
				t.Errorf("dry run sent a changing command: %+v", c)
			}
		}
		var named bool
		for _, f := range plan.Findings {
			if f.ID == "list-writers" && fmt.Sprint(f.Report["not_stable"]) == "[SqlServerWriter [8] Failed]" &&
				fmt.Sprint(f.Report["services"]) == "[SQLWriter]" {
				named = true
			}
		}
		if !named {
			t.Errorf("the plan's findings do not name SqlServerWriter -> SQLWriter: %+v", plan.Findings)
		}
		if got := h.WriterState("SqlServerWriter"); got == 1 {
			t.Errorf("dry run changed the writer: state %d", got)
		}
		// The plan binds: the same dry run gives the same hash.
		again, err := e.DryRun(ctx, rb, "srv1", bind(t, rb))
		if err != nil {
			t.Fatal(err)
		}
		if again.Hash() != plan.Hash() {
			t.Errorf("hash changed between identical dry runs")
		}
	})

	t.Run("allowed run restarts and verifies", func(t *testing.T) {
		h := newHost(t, lab.ScenarioWriterFailed)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		g := &gate{allow: true}
		obs := &observer{}
		rec := &memRecorder{}
		e := runbooks.NewEngine(x, g, rec, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), obs)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunSucceeded || !res.Verified {
			t.Fatalf("status %s verified %v: %+v", res.Status, res.Verified, res.Steps)
		}
		if got := h.WriterState("SqlServerWriter"); got != 1 {
			t.Errorf("SqlServerWriter state %d after the fix, want 1", got)
		}
		if len(g.asked) != 1 || g.asked[0].Params != `{"service":"SQLWriter"}` {
			t.Errorf("gate asked %+v, want one SQLWriter restart", g.asked)
		}
		if want := []string{"no-backup-running", "list-writers", "restart-service", "relist-writers"}; fmt.Sprint(obs.started) != fmt.Sprint(want) {
			t.Errorf("observer saw %v, want %v", obs.started, want)
		}
		if len(rec.steps) != len(res.Steps) || rec.finished == nil || rec.finished.Status != runbooks.RunSucceeded {
			t.Errorf("recorder: %d steps, finished %+v", len(rec.steps), rec.finished)
		}
		if !strings.Contains(res.Summary.EN, "verified") || res.Summary.JA == "" {
			t.Errorf("summary %+v", res.Summary)
		}
	})

	t.Run("denied run is refused", func(t *testing.T) {
		h := newHost(t, lab.ScenarioWriterFailed)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		e := runbooks.NewEngine(x, &gate{allow: false}, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunRefused || res.Verified {
			t.Fatalf("status %s verified %v, want refused", res.Status, res.Verified)
		}
		if got := h.WriterState("SqlServerWriter"); got == 1 {
			t.Errorf("writer became stable although the gate denied the restart")
		}
		for _, c := range x.commands() {
			if strings.Contains(c.Script, "Restart-Service") {
				t.Errorf("a denied change was sent: %+v", c)
			}
		}
	})

	t.Run("healthy host restarts nothing", func(t *testing.T) {
		h := newHost(t, lab.ScenarioHealthy)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		g := &gate{allow: true}
		e := runbooks.NewEngine(x, g, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunSucceeded || !res.Verified {
			t.Fatalf("status %s verified %v", res.Status, res.Verified)
		}
		if len(g.asked) != 0 {
			t.Errorf("gate asked %d times on a healthy host", len(g.asked))
		}
		for _, s := range res.Steps {
			if s.ID == "restart-service" && s.Status != runbooks.StepSkipped {
				t.Errorf("restart step %s on a healthy host", s.Status)
			}
		}
	})

	t.Run("running backup refuses", func(t *testing.T) {
		h := newHost(t, lab.ScenarioWriterFailed)
		h.SetBackupDuration(time.Hour)
		if err := h.StartBackup(); err != nil {
			t.Fatal(err)
		}
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		g := &gate{allow: true}
		e := runbooks.NewEngine(x, g, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunRefused {
			t.Fatalf("status %s, want refused", res.Status)
		}
		if len(g.asked) != 0 || len(x.commands()) != 1 {
			t.Errorf("after a failed precondition: gate asked %d, %d commands sent", len(g.asked), len(x.commands()))
		}
		v := res.Steps[0].Expectations[0]
		if v.OK || !strings.Contains(v.Detail, "a backup job is running") {
			t.Errorf("precondition verdict %+v", v)
		}
		plan, err := e.DryRun(ctx, rb, "srv1", bind(t, rb))
		if err != nil {
			t.Fatal(err)
		}
		if !plan.Refused {
			t.Errorf("dry run plan not marked refused while a backup runs")
		}
	})
}

// memRecorder is an in-memory Recorder.
type memRecorder struct {
	mu       sync.Mutex
	starts   []runbooks.RunStart
	steps    []runbooks.StepResult
	finished *runbooks.Result
}

func (m *memRecorder) RunStarted(ctx context.Context, r runbooks.RunStart) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.starts = append(m.starts, r)
	return fmt.Sprint(len(m.starts)), nil
}

func (m *memRecorder) StepFinished(ctx context.Context, id string, r runbooks.StepResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.steps = append(m.steps, r)
	return nil
}

func (m *memRecorder) RunFinished(ctx context.Context, id string, r runbooks.Result) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.finished = &r
	return nil
}
