package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fakeExec answers commands from a table keyed by the script's first word;
// a handler may block until its context ends.
type fakeExec struct {
	mu       sync.Mutex
	sent     []Command
	handlers map[string]func(ctx context.Context, c Command) (Output, error)
	openErr  error
	closed   int
}

func (f *fakeExec) Open(ctx context.Context, target string) (Session, error) {
	if f.openErr != nil {
		return nil, f.openErr
	}
	return fakeSession{f}, nil
}

type fakeSession struct{ f *fakeExec }

func (s fakeSession) Run(ctx context.Context, c Command) (Output, error) {
	s.f.mu.Lock()
	s.f.sent = append(s.f.sent, c)
	h := s.f.handlers[c.Name]
	s.f.mu.Unlock()
	if h == nil {
		return Output{Stdout: "ok"}, nil
	}
	return h(ctx, c)
}

func (s fakeSession) Close() error {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	s.f.closed++
	return nil
}

func (f *fakeExec) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.sent {
		out = append(out, c.Name)
	}
	return out
}

type fixedGate bool

func (g fixedGate) Allow(ctx context.Context, p *Plan, s RenderedStep) (bool, error) {
	return bool(g), nil
}

// engineRunbook assigns a letter, works, and always removes the letter.
const engineRunbook = `kind: runbook
id: engine-demo
version: 1
category: fix
title: {en: "T", ja: "表題"}
description: {en: "D", ja: "説明"}
params:
  - {name: drive, type: drive-letter, default: ""}
  - {name: service, type: service, allow: [VSS, SQLWriter, CryptSvc], default: ""}
steps:
  - {id: volumes, mode: read-only, shell: powershell, script: "Get-Volume | ConvertTo-Json", parse: json}
  - id: assign
    mode: change
    shell: cmd
    with: {drive: "free_letter(map(steps.volumes.result, item.DriveLetter))"}
    script: "mountvol {{drive}}: /S"
  - id: work
    mode: read-only
    shell: cmd
    timeout: 1s
    with: {drive: "free_letter(map(steps.volumes.result, item.DriveLetter))"}
    script: "fsutil usn queryjournal {{drive}}:"
  - id: restart
    mode: change
    shell: powershell
    foreach: {in: "steps.volumes.result", where: "item.Writer != null", as: vol}
    with: {service: "service_for('', vol.Writer)"}
    script: "Restart-Service -Name $P.service"
verify:
  - {id: check, shell: cmd, script: "vssadmin list writers", expect: [{that: "exit_code == 0", message: {en: "ok", ja: "可"}}]}
cleanup:
  - id: remove-letter
    mode: change
    shell: cmd
    when: "steps.assign.ran"
    with: {drive: "free_letter(map(steps.volumes.result, item.DriveLetter))"}
    script: "mountvol {{drive}}: /D"
`

func volumesJSON(writers ...string) func(ctx context.Context, c Command) (Output, error) {
	return func(ctx context.Context, c Command) (Output, error) {
		vols := []map[string]any{{"DriveLetter": "C"}, {"DriveLetter": "Z"}}
		for _, w := range writers {
			vols = append(vols, map[string]any{"DriveLetter": nil, "Writer": w})
		}
		b, _ := json.Marshal(vols)
		return Output{Stdout: string(b)}, nil
	}
}

func block(ctx context.Context, c Command) (Output, error) {
	<-ctx.Done()
	return Output{}, ctx.Err()
}

func TestEngineRun(t *testing.T) {
	rb := mustRunbook(t, engineRunbook)
	params, err := rb.Bind(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		status   RunStatus
		verified bool
		sent     []string
		statuses []string
	}
	for _, tc := range []struct {
		name     string
		gate     Gate
		handlers map[string]func(ctx context.Context, c Command) (Output, error)
		cancelAt string // cancel the run when this command is sent
		want     want
	}{
		{"success with foreach", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON("System Writer", "SqlServerWriter"),
		}, "", want{RunSucceeded, true,
			[]string{"volumes", "assign", "work", "restart", "restart#1", "check", "remove-letter"},
			[]string{"volumes:passed", "assign:passed", "work:passed", "restart:passed", "restart:passed", "check:passed", "remove-letter:passed"}}},
		{"failure still cleans up", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(),
			"work":    func(context.Context, Command) (Output, error) { return Output{ExitCode: 2}, nil },
		}, "", want{RunFailed, false,
			[]string{"volumes", "assign", "work", "remove-letter"},
			[]string{"volumes:passed", "assign:passed", "work:failed", "remove-letter:passed"}}},
		{"timeout still cleans up", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(), "work": block,
		}, "", want{RunFailed, false,
			[]string{"volumes", "assign", "work", "remove-letter"},
			[]string{"volumes:passed", "assign:passed", "work:error", "remove-letter:passed"}}},
		{"cancellation still cleans up", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(), "work": block,
			"remove-letter": func(ctx context.Context, c Command) (Output, error) {
				if ctx.Err() != nil {
					return Output{}, errors.New("cleanup got a cancelled context")
				}
				return Output{}, nil
			},
		}, "work", want{RunCancelled, false,
			[]string{"volumes", "assign", "work", "remove-letter"},
			[]string{"volumes:passed", "assign:passed", "work:error", "remove-letter:passed"}}},
		{"denied gate", fixedGate(false), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(),
		}, "", want{RunRefused, false,
			[]string{"volumes"},
			[]string{"volumes:passed", "assign:refused", "remove-letter:skipped"}}},
		{"nil gate refuses", nil, map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(),
		}, "", want{RunRefused, false,
			[]string{"volumes"},
			[]string{"volumes:passed", "assign:refused", "remove-letter:skipped"}}},
		{"with value fails validation", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON("Unknown Writer"),
		}, "", want{RunFailed, false,
			[]string{"volumes", "assign", "work", "remove-letter"},
			[]string{"volumes:passed", "assign:passed", "work:passed", "restart:error", "remove-letter:passed"}}},
		{"cancelled before the start", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": volumesJSON(),
		}, "-", want{RunCancelled, false,
			nil,
			[]string{"remove-letter:skipped"}}},
		{"unparsable output", fixedGate(true), map[string]func(context.Context, Command) (Output, error){
			"volumes": func(context.Context, Command) (Output, error) { return Output{Stdout: "{not json"}, nil },
		}, "", want{RunFailed, false,
			[]string{"volumes"},
			[]string{"volumes:failed", "remove-letter:skipped"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			f := &fakeExec{handlers: tc.handlers}
			if tc.cancelAt == "-" {
				cancel()
			} else if tc.cancelAt != "" {
				h := f.handlers[tc.cancelAt]
				f.handlers[tc.cancelAt] = func(c context.Context, cmd Command) (Output, error) {
					cancel()
					return h(c, cmd)
				}
			}
			e := NewEngine(f, tc.gate, nil, nil)
			res, err := e.Run(ctx, rb, "fs01", params, nil)
			if err != nil {
				t.Fatal(err)
			}
			var statuses []string
			for _, s := range res.Steps {
				statuses = append(statuses, s.ID+":"+string(s.Status))
				if s.Expectations == nil || s.Report == nil {
					t.Errorf("step %s has nil lists", s.ID)
				}
			}
			got := want{res.Status, res.Verified, f.names(), statuses}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("(-want +got):\n%s\nsteps: %+v", diff, res.Steps)
			}
			if f.closed != 1 {
				t.Errorf("session closed %d times", f.closed)
			}
		})
	}
}

func TestEngineRendersExactly(t *testing.T) {
	rb := mustRunbook(t, engineRunbook)
	params, err := rb.Bind(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": volumesJSON("SqlServerWriter")}}
	e := NewEngine(f, fixedGate(true), nil, nil)
	if _, err := e.Run(t.Context(), rb, "fs01", params, nil); err != nil {
		t.Fatal(err)
	}
	want := []Command{
		{Shell: "powershell", Script: "Get-Volume | ConvertTo-Json", Params: map[string]any{"drive": "", "service": ""}, Timeout: time.Minute, Name: "volumes"},
		{Shell: "cmd", Script: "mountvol Y: /S", Timeout: time.Minute, Name: "assign"},
		{Shell: "cmd", Script: "fsutil usn queryjournal Y:", Timeout: time.Second, Name: "work"},
		{Shell: "powershell", Script: "Restart-Service -Name $P.service", Params: map[string]any{"drive": "", "service": "SQLWriter"}, Timeout: time.Minute, Name: "restart"},
		{Shell: "cmd", Script: "vssadmin list writers", Timeout: time.Minute, Name: "check"},
		{Shell: "cmd", Script: "mountvol Y: /D", Timeout: time.Minute, Name: "remove-letter"},
	}
	if diff := cmp.Diff(want, f.sent); diff != "" {
		t.Errorf("commands (-want +got):\n%s", diff)
	}
}

func TestDryRun(t *testing.T) {
	rb := mustRunbook(t, engineRunbook)
	params, _ := rb.Bind(nil, nil)
	f := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": volumesJSON("SqlServerWriter", "System Writer")}}
	e := NewEngine(f, fixedGate(true), nil, nil)
	plan, err := e.DryRun(t.Context(), rb, "fs01", params)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"volumes", "work"}, f.names()); diff != "" {
		t.Errorf("dry run sent (-want +got):\n%s", diff)
	}
	var got []string
	for _, s := range plan.Steps {
		line := string(s.Phase) + " " + s.ID + " " + string(s.Mode) + " " + s.Script + " " + s.Params
		if s.Conditional {
			line += " (conditional)"
		}
		got = append(got, line)
	}
	want := []string{
		`step volumes read-only Get-Volume | ConvertTo-Json {"drive":"","service":""}`,
		`step assign change mountvol Y: /S `,
		`step work read-only fsutil usn queryjournal Y: `,
		`step restart change Restart-Service -Name $P.service {"drive":"","service":"SQLWriter"}`,
		`step restart change Restart-Service -Name $P.service {"drive":"","service":"CryptSvc"}`,
		`verify check read-only vssadmin list writers `,
		`cleanup remove-letter change mountvol Y: /D  (conditional)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if len(plan.Findings) != 2 || plan.Findings[0].ID != "volumes" || plan.Findings[1].ID != "work" {
		t.Errorf("findings: %+v", plan.Findings)
	}
}

func TestEngineMisuse(t *testing.T) {
	rb := mustRunbook(t, engineRunbook)
	other := mustRunbook(t, paramsRunbook)
	otherParams, err := other.Bind(map[string]string{"target": "fs01", "service": "VSS"}, func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	e := NewEngine(&fakeExec{}, fixedGate(true), nil, nil)
	if _, err := e.Run(t.Context(), rb, "fs01", otherParams, nil); err == nil || !strings.Contains(err.Error(), "not bound for runbook engine-demo") {
		t.Errorf("params of another runbook: err = %v", err)
	}
	if _, err := e.DryRun(t.Context(), rb, "fs01", Params{}); err == nil {
		t.Errorf("zero Params accepted")
	}
	params, _ := rb.Bind(nil, nil)
	e = NewEngine(&fakeExec{openErr: errors.New("connection refused")}, fixedGate(true), nil, nil)
	res, err := e.Run(t.Context(), rb, "fs01", params, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(res)
	if res.Status != RunFailed || !strings.Contains(res.Error, "connection refused") || !strings.Contains(string(b), `"steps":[]`) {
		t.Errorf("open failure: %s", b)
	}
}

func TestPlanHash(t *testing.T) {
	base := func() *Plan {
		return &Plan{Runbook: "r", Version: 1, Digest: "d1", Target: "fs01", Params: map[string]any{"a": "1", "b": 2, "c": "x"},
			Steps: []RenderedStep{{Phase: PhaseStep, ID: "s", Mode: ModeChange, Shell: "cmd", Script: "mountvol Z: /D", Timeout: time.Minute}}}
	}
	h0 := base().Hash()
	if len(h0) != 64 {
		t.Fatalf("hash %q is not SHA-256 hex", h0)
	}
	// The canonical encoding is part of the approval contract: a change to
	// it voids every pending approval, so it must be deliberate.
	if want := "37e0e3dd8987d431f799134f05a580c78b10ea4cc49440684f1e4a2c3c228214"; h0 != want {
		t.Errorf("hash of the base plan = %s, want %s", h0, want)
	}
	for _, tc := range []struct {
		name   string
		change func(p *Plan)
	}{
		{"version", func(p *Plan) { p.Version = 2 }},
		{"runbook file", func(p *Plan) { p.Digest = "d2" }},
		{"runbook", func(p *Plan) { p.Runbook = "r2" }},
		{"target", func(p *Plan) { p.Target = "fs02" }},
		{"param value", func(p *Plan) { p.Params["a"] = "2" }},
		{"param type", func(p *Plan) { p.Params["b"] = "2" }},
		{"param added", func(p *Plan) { p.Params["d"] = "" }},
		{"script", func(p *Plan) { p.Steps[0].Script = "mountvol Y: /D" }},
		{"ps params", func(p *Plan) { p.Steps[0].Params = `{"a":"1"}` }},
		{"mode", func(p *Plan) { p.Steps[0].Mode = ModeReadOnly }},
		{"timeout", func(p *Plan) { p.Steps[0].Timeout = time.Hour }},
		{"step added", func(p *Plan) { p.Steps = append(p.Steps, p.Steps[0]) }},
		{"iteration", func(p *Plan) { p.Steps[0].Iteration = 1 }},
	} {
		p := base()
		tc.change(p)
		if p.Hash() == h0 {
			t.Errorf("%s: hash unchanged", tc.name)
		}
	}
	// A plan stored as JSON (an approval waiting in the database) and read
	// back hashes the same.
	b, err := json.Marshal(base())
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Hash() != h0 {
		t.Errorf("hash changed through JSON: %s", b)
	}
	// Map order, titles and findings do not matter.
	for range 20 {
		p := base()
		p.Params = map[string]any{}
		for _, k := range []string{"c", "b", "a"} {
			p.Params[k] = base().Params[k]
		}
		p.Title = Text{EN: "other"}
		p.Findings = []StepResult{{ID: "x"}}
		if p.Hash() != h0 {
			t.Fatalf("hash depends on map order, titles or findings")
		}
	}
}

// TestBoundParamsHash checks hashing through Bind: raw maps built in
// different orders give the same plan hash.
func TestBoundParamsHash(t *testing.T) {
	rb := mustRunbook(t, paramsRunbook)
	inv := func(string) bool { return true }
	keys := []string{"target", "drive", "service", "mode", "max"}
	vals := map[string]string{"target": "fs01", "drive": "z", "service": "vss", "mode": "full", "max": "4"}
	var first string
	for i := range keys {
		raw := map[string]string{}
		for j := range keys {
			k := keys[(i+j)%len(keys)]
			raw[k] = vals[k]
		}
		p, err := rb.Bind(raw, inv)
		if err != nil {
			t.Fatal(err)
		}
		r, err := render(&rb.Steps[0], 0, p)
		if err != nil {
			t.Fatal(err)
		}
		h := (&Plan{Runbook: rb.ID, Version: rb.Version, Target: "fs01", Params: p.Map(), Steps: []RenderedStep{r}}).Hash()
		if i == 0 {
			first = h
			if r.Script != "echo Z 4 full VSS" {
				t.Errorf("rendered %q", r.Script)
			}
		} else if h != first {
			t.Errorf("hash differs for insertion order %d", i)
		}
	}
}

// BenchmarkLoad500Runbooks loads and validates 500 runbook files (the
// product target is under 100 ms).
func BenchmarkLoad500Runbooks(b *testing.B) {
	fsys := fstest.MapFS{}
	for i := range 500 {
		id := "rb-" + strconv.Itoa(i)
		fsys["runbooks/"+id+".yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(fullRunbook, "id: usn-demo", "id: "+id, 1))}
	}
	b.ReportAllocs()
	for b.Loop() {
		set, ps := Load(Source{Name: "ops", FS: fsys})
		if len(ps) != 0 || len(set.RunbookIDs()) != 500 {
			b.Fatalf("%d problems, %d runbooks", len(ps), len(set.RunbookIDs()))
		}
	}
}

// BenchmarkLoad500BundledSize loads 500 copies of the bundled
// vss-writer-restart runbook (about 5 KB each, the size of a real fix).
func BenchmarkLoad500BundledSize(b *testing.B) {
	data, err := fs.ReadFile(Bundled(), "runbooks/vss-writer-restart.yaml")
	if err != nil {
		b.Fatal(err)
	}
	fsys := fstest.MapFS{}
	for i := range 500 {
		id := "rb-" + strconv.Itoa(i)
		fsys["runbooks/"+id+".yaml"] = &fstest.MapFile{Data: []byte(strings.Replace(string(data), "id: vss-writer-restart", "id: "+id, 1))}
	}
	b.ReportAllocs()
	for b.Loop() {
		set, ps := Load(Source{Name: "ops", FS: fsys})
		if len(ps) != 0 || len(set.RunbookIDs()) != 500 {
			b.Fatalf("%d problems, %d runbooks", len(ps), len(set.RunbookIDs()))
		}
	}
}

// A plan made from a runbook file carries the file's digest, so that
// editing the file (even a comment) gives another plan hash and voids an
// approval of the old plan.
func TestPlanCarriesRunbookDigest(t *testing.T) {
	a := mustRunbook(t, engineRunbook)
	b := mustRunbook(t, engineRunbook+"# edited\n")
	if a.Digest == "" || a.Digest == b.Digest {
		t.Fatalf("digests %q and %q", a.Digest, b.Digest)
	}
	plan := func(rb *Runbook) *Plan {
		params, err := rb.Bind(nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": volumesJSON("SqlServerWriter")}}
		p, err := NewEngine(f, nil, nil, nil).DryRun(t.Context(), rb, "fs01", params)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pa, pb := plan(a), plan(b)
	if pa.Digest != a.Digest || pa.Hash() == pb.Hash() {
		t.Errorf("plan digest %q (runbook %q); hashes equal: %v", pa.Digest, a.Digest, pa.Hash() == pb.Hash())
	}
}
