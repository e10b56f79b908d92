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
	"testing/fstest"
	"time"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote"
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
		rec := &memRecorder{sent: func() int { return len(x.commands()) }}
		e := runbooks.NewEngine(x, g, rec, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), obs)
		if err != nil {
			t.Fatal(err)
		}
		// The changing step was recorded as started before its command
		// went out (two read-only commands had been sent), and only it.
		if want := []string{"restart-service sent=2"}; fmt.Sprint(rec.started) != fmt.Sprint(want) {
			t.Errorf("recorded as started: %v, want %v", rec.started, want)
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

	t.Run("a change that cannot be recorded first is not sent", func(t *testing.T) {
		h := newHost(t, lab.ScenarioWriterFailed)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		rec := &memRecorder{failStart: errors.New("disk full")}
		res, err := runbooks.NewEngine(x, &gate{allow: true}, rec, nil).Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunFailed || h.WriterState("SqlServerWriter") == 1 {
			t.Fatalf("status %s, writer state %d: want failed with nothing restarted", res.Status, h.WriterState("SqlServerWriter"))
		}
		for _, c := range x.commands() {
			if strings.Contains(c.Script, "Restart-Service") {
				t.Errorf("a change that was not recorded was sent: %+v", c)
			}
		}
		var found bool
		for _, sr := range res.Steps {
			found = found || sr.ID == "restart-service" && sr.Status == runbooks.StepError && strings.Contains(sr.Error, "disk full")
		}
		if !found {
			t.Errorf("no error result naming the record's failure: %+v", res.Steps)
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
	started  []string // "step-id sent=N": the step and how many commands the server had seen
	steps    []runbooks.StepResult
	finished *runbooks.Result
	// sent counts the commands the server saw; failStart refuses every
	// StepStarted.
	sent      func() int
	failStart error
}

func (m *memRecorder) StepStarted(ctx context.Context, id string, st runbooks.RenderedStep) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failStart != nil {
		return m.failStart
	}
	n := -1
	if m.sent != nil {
		n = m.sent()
	}
	m.started = append(m.started, fmt.Sprintf("%s sent=%d", st.ID, n))
	return nil
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

// sysReservedThreshold is the guide's minimum free space for the lab's
// 500 MiB System Reserved volume (320 MB: it is not under 500 MB).
const sysReservedThreshold = 320 << 20

func TestLabUSNJournalCleanup(t *testing.T) {
	rb := bundledRunbook(t, "usn-journal-cleanup")
	ctx := t.Context()

	// takeZ gives the recovery partition the letter Z:, so that a fixed Z:
	// would collide and the runbook must pick another letter.
	takeZ := func(t *testing.T, h *lab.Host) {
		t.Helper()
		if _, stderr, code := h.Exec(ctx, `mountvol Z: `+h.VolumeGUIDPath(lab.RoleRecovery)); code != 0 {
			t.Fatalf("mountvol Z: on the recovery partition: exit %d: %s", code, stderr)
		}
		if got := h.DriveLetter(lab.RoleRecovery); got != "Z" {
			t.Fatalf("recovery letter %q, want Z", got)
		}
	}

	t.Run("dry run renders a free letter", func(t *testing.T) {
		h := newHost(t, lab.ScenarioReservedFull)
		takeZ(t, h)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		e := runbooks.NewEngine(x, &gate{allow: true}, nil, nil)
		plan, err := e.DryRun(ctx, rb, "srv1", bind(t, rb))
		if err != nil {
			t.Fatal(err)
		}
		if plan.Refused {
			t.Fatalf("plan refused: %+v", plan.Findings)
		}
		scripts := map[string]runbooks.RenderedStep{}
		for _, s := range plan.Steps {
			scripts[s.ID] = s
		}
		if s := scripts["assign-letter"]; s.Mode != runbooks.ModeChange || s.Skipped ||
			s.Params != `{"disk":0,"letter":"Y","partition":1}` || !strings.Contains(s.Script, `mountvol "$($P.letter):" $vol`) {
			t.Errorf("assign-letter = %+v, want mountvol of letter Y on disk 0 partition 1", s)
		}
		if s := scripts["delete-journal"]; s.Script != "fsutil usn deletejournal /N /D Y:" || s.Mode != runbooks.ModeChange {
			t.Errorf("delete-journal = %+v", s)
		}
		if s := scripts["remove-letter"]; s.Script != "mountvol Y: /D" || s.Phase != runbooks.PhaseCleanup {
			t.Errorf("remove-letter = %+v", s)
		}
		for _, c := range x.commands() {
			if strings.Contains(c.Script, "fsutil") || strings.Contains(c.Script, "mountvol") {
				t.Errorf("dry run sent a changing command: %+v", c)
			}
		}
		var free string
		for _, f := range plan.Findings {
			if f.ID == "volumes" {
				free = fmt.Sprint(f.Report["free_before"])
			}
		}
		if free != "35.0 MB" {
			t.Errorf("free_before = %q, want 35.0 MB", free)
		}
		if h.DriveLetter(lab.RoleSystemReserved) != "" || h.USNJournalBytes(lab.RoleSystemReserved) == 0 {
			t.Errorf("the dry run changed the System Reserved partition")
		}
	})

	t.Run("allowed run frees space and removes the letter", func(t *testing.T) {
		h := newHost(t, lab.ScenarioReservedFull)
		before := h.FreeBytes(lab.RoleSystemReserved)
		if before >= sysReservedThreshold {
			t.Fatalf("reserved-full host already has %d bytes free", before)
		}
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		g := &gate{allow: true}
		e := runbooks.NewEngine(x, g, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunSucceeded || !res.Verified {
			t.Fatalf("status %s verified %v: %+v", res.Status, res.Verified, res.Steps)
		}
		if after := h.FreeBytes(lab.RoleSystemReserved); after <= before || after < sysReservedThreshold {
			t.Errorf("free space %d -> %d, want above %d", before, after, sysReservedThreshold)
		}
		if got := h.DriveLetter(lab.RoleSystemReserved); got != "" {
			t.Errorf("System Reserved still has the letter %s", got)
		}
		var asked []string
		for _, s := range g.asked {
			asked = append(asked, s.ID+": "+s.Script)
		}
		if len(asked) != 3 || asked[1] != "delete-journal: fsutil usn deletejournal /N /D Z:" || asked[2] != "remove-letter: mountvol Z: /D" {
			t.Errorf("gate asked %q", asked)
		}
		var report string
		for _, s := range res.Steps {
			if s.ID == "measure-after" {
				report = fmt.Sprint(s.Report["free"])
			}
		}
		if report != "35.0 MB → 463.0 MB" {
			t.Errorf("free report %q, want 35.0 MB → 463.0 MB", report)
		}
		// After the fix the shadow-storage diagnosis passes.
		diag := bundledRunbook(t, "diag-shadow-storage")
		dres, err := e.Run(ctx, diag, "srv1", bind(t, diag), nil)
		if err != nil {
			t.Fatal(err)
		}
		if dres.Status != runbooks.RunSucceeded {
			t.Errorf("diag-shadow-storage after the fix: %s: %+v", dres.Status, failedVerdicts(dres))
		}
	})

	t.Run("a refused fsutil still removes the letter", func(t *testing.T) {
		h := newHost(t, lab.ScenarioReservedFull)
		takeZ(t, h)
		before := h.FreeBytes(lab.RoleSystemReserved)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		var mu sync.Mutex
		var refused []string
		g := runbooks.GateFunc(func(ctx context.Context, p *runbooks.Plan, st runbooks.RenderedStep) (bool, error) {
			if strings.HasPrefix(st.Script, "fsutil") {
				mu.Lock()
				refused = append(refused, st.Script)
				mu.Unlock()
				return false, nil
			}
			return strings.Contains(st.Script, "mountvol"), nil
		})
		e := runbooks.NewEngine(x, g, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunRefused || res.Verified {
			t.Fatalf("status %s verified %v, want refused", res.Status, res.Verified)
		}
		if len(refused) != 1 || refused[0] != "fsutil usn deletejournal /N /D Y:" {
			t.Errorf("refused %q", refused)
		}
		if got := h.DriveLetter(lab.RoleSystemReserved); got != "" {
			t.Errorf("System Reserved kept the temporary letter %s after a refused step", got)
		}
		if got := h.DriveLetter(lab.RoleRecovery); got != "Z" {
			t.Errorf("cleanup touched the recovery partition's Z: (now %q)", got)
		}
		if after := h.FreeBytes(lab.RoleSystemReserved); after != before {
			t.Errorf("free space changed %d -> %d although fsutil was refused", before, after)
		}
		var cleaned bool
		for _, s := range res.Steps {
			if s.ID == "remove-letter" && s.Status == runbooks.StepPassed && s.Script == "mountvol Y: /D" {
				cleaned = true
			}
		}
		if !cleaned {
			t.Errorf("no passing remove-letter step: %+v", res.Steps)
		}
	})

	t.Run("the approved plan runs to the end", func(t *testing.T) {
		h := newHost(t, lab.ScenarioReservedFull)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		plan, err := runbooks.NewEngine(x, nil, nil, nil).DryRun(ctx, rb, "srv1", bind(t, rb))
		if err != nil {
			t.Fatal(err)
		}
		e := runbooks.NewEngine(x, runbooks.ApprovedPlanGate(plan), nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunSucceeded || !res.Verified {
			t.Fatalf("status %s verified %v: %q", res.Status, res.Verified, failedVerdicts(res))
		}
		if h.FreeBytes(lab.RoleSystemReserved) < sysReservedThreshold || h.DriveLetter(lab.RoleSystemReserved) != "" {
			t.Errorf("free %d, letter %q after the approved run", h.FreeBytes(lab.RoleSystemReserved), h.DriveLetter(lab.RoleSystemReserved))
		}
	})

	t.Run("healthy host changes nothing", func(t *testing.T) {
		h := newHost(t, lab.ScenarioHealthy)
		x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
		g := &gate{allow: true}
		e := runbooks.NewEngine(x, g, nil, nil)
		res, err := e.Run(ctx, rb, "srv1", bind(t, rb), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != runbooks.RunSucceeded || !res.Verified {
			t.Fatalf("status %s verified %v: %+v", res.Status, res.Verified, res.Steps)
		}
		if len(g.asked) != 0 {
			t.Errorf("gate asked %d times on a healthy host", len(g.asked))
		}
	})
}

// failedVerdicts lists the failed expectations of a result.
func failedVerdicts(res *runbooks.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.Error != "" {
			out = append(out, s.ID+": "+s.Error)
		}
		for _, v := range s.Expectations {
			if !v.OK {
				out = append(out, s.ID+": "+v.Message.EN+": "+v.Detail)
			}
		}
	}
	return out
}

// TestLabDiagnostics runs every diagnostic on the healthy and Japanese hosts
// (where it passes) and on the scenario it is for (where it fails, saying
// why).
func TestLabDiagnostics(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		runbook, scenario string
		// failing names the failed expectation (its English message) and
		// what its detail must say.
		failing, detail []string
		// report holds step id/report name -> the value printed.
		report map[string]string
	}{
		{runbook: "diag-shadow-storage", scenario: lab.ScenarioHealthy},
		{runbook: "diag-shadow-storage", scenario: lab.ScenarioJapanese},
		{runbook: "diag-shadow-storage", scenario: lab.ScenarioReservedFull,
			failing: []string{"every source volume has the free space shadow copies need (50 MB on volumes under 500 MB, 320 MB on larger ones)"},
			detail:  []string{"0x80780119", "System Reserved", "35.0 MB free of 500.0 MB", "usn-journal-cleanup"},
			report:  map[string]string{"sources/short": "[ System Reserved {2fe2b3aa-c39e-5673-aee1-b9830ff51e79}]"}},
		{runbook: "diag-wsb-summary", scenario: lab.ScenarioHealthy,
			report: map[string]string{"summary/last_result_hr": "0x00000000", "summary/catalogue_code": "<nil>"}},
		{runbook: "diag-wsb-summary", scenario: lab.ScenarioJapanese},
		{runbook: "diag-wsb-summary", scenario: lab.ScenarioWriterFailed,
			failing: []string{"the last backup succeeded"},
			detail:  []string{"0x807800A1", "detailed error 0x800423F4", "look up 0x800423F4 in the catalogue"},
			report: map[string]string{"summary/last_result_hr": "0x807800A1", "summary/last_result_detailed_hr": "0x800423F4",
				"summary/catalogue_code": "0x800423F4"}},
		{runbook: "diag-target-disk", scenario: lab.ScenarioHealthy},
		{runbook: "diag-target-disk", scenario: lab.ScenarioJapanese},
		{runbook: "diag-target-disk", scenario: lab.ScenarioTargetMissing,
			failing: []string{"the disk the last successful backup went to is connected"},
			detail:  []string{"DISK_01", "no longer sees", "0x80780166", "0x800701B1"},
			report:  map[string]string{"last-target/last_result_hr": "0x80780166"}},
		{runbook: "diag-share-access", scenario: lab.ScenarioHealthy,
			report: map[string]string{"open-share/dialects": "[backup on nas01: SMB 3.1.1]"}},
		{runbook: "diag-share-access", scenario: lab.ScenarioJapanese},
		{runbook: "diag-share-access", scenario: lab.ScenarioShareUnreachable,
			failing: []string{"the share can be opened", "the SMB connections to the file server use dialect 3.0 or later"},
			detail:  []string{`\\nas01\backup cannot be opened`, "nas01: IPC$ SMB 2.0.2"}},
		{runbook: "diag-event-log", scenario: lab.ScenarioHealthy},
		{runbook: "diag-event-log", scenario: lab.ScenarioJapanese},
		{runbook: "diag-event-log", scenario: lab.ScenarioWriterFailed,
			failing: []string{"none of the latest backup events is a failure"},
			detail:  []string{"event 5 0x807800A1 (detailed 0x800423F4)"},
			report:  map[string]string{"events/codes": "[0x800423F4]"}},
	} {
		t.Run(tc.runbook+"/"+tc.scenario, func(t *testing.T) {
			rb, ok := set.Runbook(tc.runbook)
			if !ok {
				t.Fatalf("no runbook %s", tc.runbook)
			}
			if rb.Category != runbooks.CategoryDiagnose {
				t.Errorf("category %s", rb.Category)
			}
			h := newHost(t, tc.scenario)
			x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
			e := runbooks.NewEngine(x, &gate{}, nil, nil)
			res, err := e.Run(t.Context(), rb, "srv1", bind(t, rb), nil)
			if err != nil {
				t.Fatal(err)
			}
			failed := failedVerdicts(res)
			if len(tc.failing) == 0 {
				if res.Status != runbooks.RunSucceeded || len(failed) > 0 {
					t.Fatalf("status %s, failed: %q", res.Status, failed)
				}
			} else {
				if res.Status != runbooks.RunFailed {
					t.Fatalf("status %s, want failed", res.Status)
				}
				var got []string
				var details string
				for _, s := range res.Steps {
					for _, v := range s.Expectations {
						if !v.OK {
							got = append(got, v.Message.EN)
							details += v.Detail + "\n"
							if v.Message.JA == "" {
								t.Errorf("verdict %q has no Japanese message", v.Message.EN)
							}
						}
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.failing) {
					t.Errorf("failed expectations %q, want %q (all: %q)", got, tc.failing, failed)
				}
				for _, d := range tc.detail {
					if !strings.Contains(details, d) {
						t.Errorf("details %q do not say %q", details, d)
					}
				}
			}
			for _, s := range res.Steps {
				if code, ok := s.Report["catalogue_code"].(string); ok {
					c, err := hresult.Parse(code)
					if _, known := set.Catalogue.Lookup(c); err != nil || !known {
						t.Errorf("catalogue_code %q is not in the catalogue (%v)", code, err)
					}
				}
			}
			for key, want := range tc.report {
				step, name, _ := strings.Cut(key, "/")
				var got any = "<step not run>"
				for _, s := range res.Steps {
					if s.ID == step {
						got = s.Report[name]
					}
				}
				if fmt.Sprint(got) != want {
					t.Errorf("report %s = %v, want %s", key, got, want)
				}
			}
			for _, c := range x.commands() {
				if strings.Contains(c.Script, "mountvol") || strings.Contains(c.Script, "fsutil") || strings.Contains(c.Script, "Restart-Service") {
					t.Errorf("a diagnostic sent %q", c.Script)
				}
			}
		})
	}
}

// TestBundledRunbooksComplete checks the bundled runbooks as a whole: they
// load with no problem at all (no error, no warning), every runbook the
// catalogue references exists with the category the reference implies,
// every text is bilingual, and each guide holds the guide's exact commands.
func TestBundledRunbooksComplete(t *testing.T) {
	set, ps := runbooks.Load(runbooks.Source{Name: "bundled", FS: runbooks.Bundled()})
	for _, p := range ps {
		t.Errorf("bundled problem: %v", p)
	}
	if set == nil {
		t.Fatal("no set")
	}
	byID := map[string]*runbooks.Runbook{}
	for _, rb := range set.Runbooks() {
		byID[rb.ID] = rb
	}
	for _, e := range set.Catalogue.Entries() {
		for cat, ids := range map[runbooks.Category][]string{
			runbooks.CategoryDiagnose: e.Runbooks.Diagnose, runbooks.CategoryFix: e.Runbooks.Fix, runbooks.CategoryGuide: e.Runbooks.Guide,
		} {
			for _, id := range ids {
				rb, ok := byID[id]
				switch {
				case !ok:
					t.Errorf("%s references runbook %s, which does not exist", e.Code, id)
				case rb.Category != cat:
					t.Errorf("%s lists %s as %s, but it is a %s runbook", e.Code, id, cat, rb.Category)
				}
			}
		}
	}
	want := []string{"diag-event-log", "diag-shadow-storage", "diag-share-access", "diag-target-disk", "diag-vss-writers",
		"diag-wsb-summary", "guide-3-2-1", "guide-ad-restore", "guide-bmr", "guide-dism-driver", "guide-shadow-storage",
		"usn-journal-cleanup", "vss-writer-restart", "guide-vss", "guide-block-level"}
	for _, id := range want {
		if byID[id] == nil {
			t.Errorf("runbook %s missing", id)
		}
	}
	bilingual := func(where string, tx runbooks.Text) {
		if strings.TrimSpace(tx.EN) == "" || strings.TrimSpace(tx.JA) == "" {
			t.Errorf("%s is not bilingual: %+v", where, tx)
		}
	}
	for _, rb := range set.Runbooks() {
		bilingual(rb.ID+" title", rb.Title)
		bilingual(rb.ID+" description", rb.Description)
		for _, sec := range [][]runbooks.Step{rb.Preconditions, rb.Steps, rb.Verify, rb.Cleanup} {
			for _, st := range sec {
				bilingual(rb.ID+"/"+st.ID+" title", st.Title)
				for _, x := range st.Expect {
					bilingual(rb.ID+"/"+st.ID+" expectation", x.Message)
				}
			}
		}
		if rb.Category == runbooks.CategoryGuide {
			bilingual(rb.ID+" body", rb.Body)
		} else if rb.Body != (runbooks.Text{}) {
			t.Errorf("%s: a %s runbook has a body", rb.ID, rb.Category)
		}
	}
	if rb := byID["guide-bmr"]; rb != nil {
		for _, ui := range []string{"コンピューターを修復する", "イメージでシステムを回復"} {
			if !strings.Contains(rb.Body.JA, ui) {
				t.Errorf("guide-bmr body (ja) lacks %q", ui)
			}
		}
	}
	// The exact commands each guide must give, in both languages.
	for id, cmds := range map[string][]string{
		"guide-bmr":            {"drvload", "Repair your computer", "System Image Recovery", "guide-dism-driver", "list volume"},
		"guide-dism-driver":    {`dism /Image:C:\ /Add-Driver /Driver:D:\Drivers /Recurse`, "0x0000007B", "list volume"},
		"guide-ad-restore":     {"ntdsutil", "authoritative restore", "wbadmin start systemstaterecovery", "VM-Generation ID", "bcdedit /set safeboot dsrepair"},
		"guide-shadow-storage": {"vssadmin list shadowstorage", "vssadmin add shadowstorage /for=S: /on=E: /maxsize=1GB", "vssadmin resize shadowstorage", "usn-journal-cleanup"},
		"guide-3-2-1":          {"3-2-1", "Get-WBBackupTarget", "restore-test done", "22,500", "Azure Backup"},
		"guide-bmr#cli":        {"netsh interface ipv4 set address", "net use", "wbadmin start sysrecovery", "0x8007001F", "drvload D:\\Drivers\\Storage"},
		"guide-ad-restore#v2":  {"restore subtree", "ldifde -i -k -f", "-authsysvol", "tombstoneLifetime", "Restore-ADObject", "2095", "DISABLE_INBOUND_REPL"},
		"guide-vss":            {"vssadmin list writers", "vssadmin list providers", "vssadmin list shadowstorage", "0x800423F4", "0x80042316", "swprv"},
		"guide-block-level":    {"Set-WBPerformanceConfiguration", "wbadmin get versions", "0x80070070"},
	} {
		id, _, _ = strings.Cut(id, "#")
		rb := byID[id]
		if rb == nil {
			t.Errorf("guide %s missing", id)
			continue
		}
		for _, c := range cmds {
			for lang, body := range map[string]string{"en": rb.Body.EN, "ja": rb.Body.JA} {
				if lang == "ja" && (c == "Repair your computer" || c == "System Image Recovery") {
					continue // the Japanese text names the Japanese UI (checked below)
				}
				if !strings.Contains(body, c) {
					t.Errorf("%s body (%s) lacks %q", id, lang, c)
				}
			}
		}
	}
}

// TestGuideFormat checks the body rules: required for a guide, which may
// have no steps or parameters, and unknown to other runbooks.
func TestGuideFormat(t *testing.T) {
	const head = "kind: runbook\nid: g\nversion: 1\ntitle: {en: T, ja: T}\ndescription: {en: D, ja: D}\n"
	const step = "steps:\n  - id: s\n    mode: read-only\n    shell: cmd\n    script: hostname\n"
	for _, tc := range []struct {
		name, yaml string
		want       string // a problem's text, "" for none
	}{
		{"guide with body", head + "category: guide\nbody: {en: 'Run dism', ja: 'dism を実行'}\n", ""},
		{"guide without body", head + "category: guide\n", "body is required"},
		{"guide with half a body", head + "category: guide\nbody: {en: 'Run dism'}\n", "body.ja is required"},
		{"guide with steps", head + "category: guide\nbody: {en: a, ja: b}\n" + step, "a guide runbook is text only (body); it may not have steps"},
		{"guide with params", head + "category: guide\nbody: {en: a, ja: b}\nparams:\n  - {name: x, type: int}\n", "may not have params"},
		{"diagnose with body", head + "category: diagnose\nbody: {en: a, ja: b}\n" + step, `unknown key "body"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, ps := runbooks.Load(runbooks.Source{Name: "t", FS: fstest.MapFS{"g.yaml": {Data: []byte(tc.yaml)}}})
			var msgs []string
			for _, p := range ps.Errors() {
				msgs = append(msgs, p.String())
			}
			if tc.want == "" {
				if len(msgs) > 0 {
					t.Fatalf("problems: %q", msgs)
				}
				rb, ok := set.Runbook("g")
				if !ok || rb.Body.EN != "Run dism" || rb.Body.JA != "dism を実行" || len(rb.Steps) != 0 {
					t.Fatalf("runbook %+v", rb)
				}
				return
			}
			if !strings.Contains(strings.Join(msgs, "\n"), tc.want) {
				t.Errorf("problems %q do not say %q", msgs, tc.want)
			}
			if _, ok := set.Runbook("g"); ok {
				t.Errorf("an invalid runbook was loaded")
			}
		})
	}
}

// TestExprBytesAndHRESULT checks the bytes and hresult functions the
// runbooks report with.
func TestExprBytesAndHRESULT(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want any
		err  string
	}{
		{"bytes(0)", "0 bytes", ""},
		{"bytes(1023)", "1023 bytes", ""},
		{"bytes(1024)", "1.0 KB", ""},
		{"bytes(36700160)", "35.0 MB", ""},
		{"bytes(429916160)", "410.0 MB", ""},
		{"bytes(1073741823)", "1.0 GB", ""},
		{"bytes(135284129792)", "126.0 GB", ""},
		{"bytes(-1)", nil, "needs a byte count"},
		{"bytes('12')", nil, "needs a byte count"},
		{"hresult(2155348326)", "0x80780166", ""},
		{"hresult(-2139619167)", "0x807800A1", ""},
		{"hresult(0)", "0x00000000", ""},
		{"hresult('800423f4')", "0x800423F4", ""},
		{"hresult(null)", nil, ""},
		{"hresult(4294967296)", nil, "not a 32-bit error code"},
		{"hresult(1.5)", nil, "not a 32-bit error code"},
		{"hresult([1])", nil, "needs a number or a string"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := runbooks.ParseExpr(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Eval(map[string]any{})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// TestShareWriteTestWritesOnlyWithApproval: the share write test, which
// used to run unasked inside diag-share-access as "read-only", is its own
// runbook whose writing steps are changes: a dry run shows them without
// running them, a run without approval refuses them, and an approved run
// writes the file, removes it and says so.
func TestShareWriteTestWritesOnlyWithApproval(t *testing.T) {
	rb := bundledRunbook(t, "share-write-test")
	h := newHost(t, lab.ScenarioHealthy)
	x := &labExecutor{hosts: map[string]*lab.Host{"srv1": h}}
	plan, err := runbooks.NewEngine(x, nil, nil, nil).DryRun(t.Context(), rb, "srv1", bind(t, rb))
	if err != nil {
		t.Fatal(err)
	}
	changes := 0
	for _, st := range plan.Steps {
		if st.Mode == runbooks.ModeChange && !st.Skipped {
			changes++
			if !strings.Contains(st.Script, "Set-Content") && !strings.Contains(st.Script, "Remove-Item") {
				t.Errorf("change step %s does not show what it sends: %q", st.ID, st.Script)
			}
		}
	}
	if changes == 0 {
		t.Fatalf("the dry run shows no change step: %+v", plan.Steps)
	}
	for _, f := range plan.Findings {
		if f.ID == "write-test" || f.ID == "remove-test-file" {
			t.Errorf("the dry run ran %s", f.ID)
		}
	}
	res, err := runbooks.NewEngine(x, nil, nil, nil).Run(t.Context(), rb, "srv1", bind(t, rb), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		if s.ID == "write-test" && s.Status != runbooks.StepRefused {
			t.Errorf("without approval the write test %s", s.Status)
		}
	}
	res, err = runbooks.NewEngine(x, runbooks.ApprovedPlanGate(plan), nil, nil).Run(t.Context(), rb, "srv1", bind(t, rb), nil)
	if err != nil || res.Status != runbooks.RunSucceeded {
		t.Fatalf("approved run: %v, %+v", err, res)
	}
	got := map[string]string{}
	for _, s := range res.Steps {
		for k, v := range s.Report {
			got[s.ID+"/"+k] = fmt.Sprint(v)
		}
	}
	for k, want := range map[string]string{"write-test/written": "true", "write-test/left": "false", "remove-test-file/left": "false"} {
		if got[k] != want {
			t.Errorf("report %s = %q, want %s (all %v)", k, got[k], want, got)
		}
	}
}
