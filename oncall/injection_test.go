package oncall_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
	"unicode/utf16"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
	"github.com/wsbbot/wsbbot/runbooks"
)

// everyTypeYAML is an operator runbook with one parameter of every type,
// none set by a step, so that every hostile value reaches Bind and every
// value Bind accepts is sent: in $P to PowerShell steps, read-only and
// changing, and through {{placeholders}} to cmd steps (only the types that
// admit no metacharacter may appear there).
const everyTypeYAML = `kind: runbook
id: every-type
version: 1
category: fix
title: {en: "Every parameter type", ja: "すべての型"}
description: {en: "Injection test runbook.", ja: "注入試験用。"}
codes: []
params:
  - {name: srv, type: target, title: {en: "server", ja: "サーバー"}}
  - {name: letter, type: drive-letter, title: {en: "letter", ja: "文字"}}
  - {name: svc, type: service, allow: [SQLWriter, VSS], title: {en: "service", ja: "サービス"}}
  - {name: choice, type: enum, values: [quick, full], title: {en: "choice", ja: "選択"}}
  - {name: n, type: int, min: 0, max: 1000, title: {en: "number", ja: "数"}}
  - {name: dir, type: path, title: {en: "path", ja: "パス"}}
steps:
  - id: read-params
    title: {en: "Read the parameters", ja: "パラメーターの読み取り"}
    mode: read-only
    shell: powershell
    timeout: 30s
    script: "$P | ConvertTo-Json -Compress"
    parse: json
  - id: list-letter
    title: {en: "List the letter", ja: "文字の一覧"}
    mode: read-only
    shell: cmd
    timeout: 30s
    script: "mountvol {{letter}}: /L"
  - id: use-all
    title: {en: "Use every parameter", ja: "すべてのパラメーターを使う"}
    mode: change
    shell: powershell
    timeout: 30s
    script: "Write-Output $P.srv $P.letter $P.svc $P.choice $P.n $P.dir"
  - id: cmd-all
    title: {en: "Every cmd-safe parameter on a command line", ja: "コマンドラインの安全な型"}
    mode: change
    shell: cmd
    timeout: 30s
    script: "echo {{svc}} {{choice}} {{n}} {{letter}}"
`

// hostile returns the values tried for a parameter type: the same attacks
// on PowerShell, cmd.exe and the $P channel for every type, and values
// that come close to what the type admits.
func hostile(typ runbooks.ParamType) []string {
	common := []string{
		`'; Remove-Item C:\ -Recurse -Force; '`, `"; Stop-Computer -Force; "`, "`whoami`", "a`nStop-Computer",
		"$(Stop-Computer -Force)", "${env:COMPUTERNAME}", "$env:USERNAME", "$P.x", "$($P.dir)", "@(Stop-Computer)",
		"$ExecutionContext.InvokeCommand.InvokeScript('Stop-Computer')", "& (gcm I*-Ex*n) 'Stop-Computer'",
		"[ScriptBlock]::Create('Stop-Computer').Invoke()", "iex 'Stop-Computer'", ". C:\\evil.ps1",
		"'+(Stop-Computer)+'", `"+$(Stop-Computer)+"`, "')) | iex #", "<# #> Stop-Computer", "# rest",
		"@'\nStop-Computer\n'@", "x; format D: /q /y", "x & calc.exe", "x && del /q C:\\*", "x | Out-File C:\\pwn.txt",
		"x || shutdown /s", "x > C:\\pwn", "x < C:\\Windows\\win.ini", "x\nStop-Computer", "x\r\nshutdown /s /t 0",
		"%COMSPEC% /c calc", "%PATH%", "^&calc", "x^|y", "cmd.exe /c calc", "powershell -enc UwB0AG8AcAAtAEMAbwBtAHAAdQB0AGUAcgA=",
		"x’; Stop-Computer; ’", "“; Stop-Computer; ”", "x＆calc", "x；calc", "‐Force", "—Recurse", "x\x00y", "\x00",
		strings.Repeat("A", 10000), strings.Repeat("'", 300), "\u202e;retupmoC-potS", "x\u200by", "\u2028Stop-Computer",
		"\ufeffx", "}}; Stop-Computer; {{", "{{letter}}", "-Force", "*", `..\..\Windows`, `\\evil\share\x`,
		`C:\a" & calc & "`, "", " ",
	}
	near := map[runbooks.ParamType][]string{
		runbooks.TypeTarget:      {" healthy ", "HEALTHY", "healthy;calc", "healthy\n", "healthy & calc", "ｈｅａｌｔｈｙ", "healthy\x00"},
		runbooks.TypeDriveLetter: {"z", " Z: ", `z:\`, "Ｚ", "Z:;", "Z: & calc", "ZZ", "1", "Z\x00", "Z:\\..", "Z`"},
		runbooks.TypeService:     {"sqlwriter", " VSS ", "VSS;calc", "VSS & net stop VSS", "ＶＳＳ", "VSS\x00", "VSS`n", "VSS'"},
		runbooks.TypeEnum:        {"QUICK", " full ", "full;calc", "full & calc", "ｆｕｌｌ", "full\x00"},
		runbooks.TypeInt:         {" 7 ", "+7", "007", "-0", "1e3", "0x10", "7;calc", "2147483648", "99999999999999", "7\n", "٧", "1_000", "7 & calc"},
		runbooks.TypePath: {`C:\Program Files (x86)\a`, `C:\a’+(Stop-Computer)+’`, `C:\a+(Stop-Computer)+b`, `C:\a)(b`,
			`C:\a[1]`, `C:\a{b}`, `C:\a,b`, `C:\a=b`, `C:\a@b`, `C:\a#b`, `C:\a!b`, `C:\a~1`, `\\srv\share\a b`,
			`C:\ａ`, `C:\a－Force`, `C:\a–b`, `C:\` + strings.Repeat("a", 255), `C:\aʼb`, `C:\a‘b’`, `C:\{{letter}}`,
			`\\srv\share\-Recurse`, `C:\a@(Stop-Computer)`, `C:\a (Stop-Computer)`, `C:\a“+(Stop-Computer)+”`,
			`C:\a/../../Windows`, `\\.\pipe\x`, `C:\CON`, "C:\\a\u202eb", `C:\a'`, `C:\$(x)`},
	}
	return append(slices.Clone(common), near[typ]...)
}

// injectionLab is one lab host behind a fake WinRM server that logs every
// request, with a service over it whose runbooks are the bundled ones plus
// everyTypeYAML.
type injectionLab struct {
	svc *oncall.Service
	srv *winrmtest.Server
	set *runbooks.Set
	st  *store.Memory
}

func startInjectionLab(t *testing.T) *injectionLab {
	t.Helper()
	h, err := lab.NewHost("healthy", lab.ScenarioHealthy)
	if err != nil {
		t.Fatal(err)
	}
	return startInjectionLabWith(t, h.Handler())
}

// startInjectionLabWith is startInjectionLab with the host's handler given.
func startInjectionLabWith(t *testing.T, h winrmtest.Handler) *injectionLab {
	t.Helper()
	srv := winrmtest.New(winrmtest.Options{User: "wsbadmin", Password: "lab-Passw0rd", Handler: h,
		DefaultCodepage: winrmtest.CodepageCP437})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	client, err := remote.New(remote.Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	target := remote.Target{Name: "healthy", Address: srv.Host(), Port: srv.Port(), Auth: remote.AuthBasic,
		User: "wsbadmin", Password: remote.Password("lab-Passw0rd")}
	exec := &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		if !strings.EqualFold(name, target.Name) {
			return remote.Target{}, fmt.Errorf("no host %q", name)
		}
		return target, nil
	}}
	set, ps := runbooks.Load(runbooks.Source{Name: "bundled", FS: runbooks.Bundled()},
		runbooks.Source{Name: "test", FS: fstest.MapFS{"every-type.yaml": {Data: []byte(everyTypeYAML)}}})
	if err := ps.Err(); err != nil {
		t.Fatalf("load runbooks: %v", err)
	}
	cl, err := checklists.Bundled()
	if err != nil {
		t.Fatal(err)
	}
	st := store.NewMemory(nil)
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Checklist: cl, Executor: exec, Store: st,
		Inventory: oncall.Inventory{{Name: "healthy"}}, Clock: func() time.Time { return fixedNow }})
	if err != nil {
		t.Fatal(err)
	}
	return &injectionLab{svc: svc, srv: srv, set: set, st: st}
}

// sentCommand is one command as the fake server received it: its command
// line, and for PowerShell the script and the $P JSON decoded from stdin.
type sentCommand struct {
	line   string
	ps     bool   // the line is remote's PowerShell line
	script string // PowerShell only
	params string // PowerShell only: the JSON object $P is made from
}

// psPrologue is the first line remote puts before every PowerShell script.
var psPrologue = regexp.MustCompile(`^\$P = \[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\) \| ConvertFrom-Json$`)

// psInline is the program remote encodes on the command line of a
// PowerShell step without parameters: the script's base64 as a literal.
var psInline = regexp.MustCompile(`^\$ProgressPreference='SilentlyContinue';& \(\[ScriptBlock\]::Create\(\[Text\.Encoding\]::UTF8\.GetString\(\[Convert\]::FromBase64String\('([A-Za-z0-9+/=]*)'\)\)\)\)$`)

// inlineScript returns the base64 literal of line when line is remote's
// PowerShell command line with the script inline.
func inlineScript(line string) (string, bool) {
	enc, ok := strings.CutPrefix(line, "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ")
	if !ok {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	m := psInline.FindStringSubmatch(string(utf16.Decode(u)))
	if m == nil {
		return "", false
	}
	return m[1], true
}

// commandsSent rebuilds the commands of the request log: each Command's
// text, and for PowerShell the script, decoded as remote encodes it
// (base64 of the prologue, a newline and the script) from the stdin its
// Sends carried after the constant line psLine, or from the literal of an
// inline command line. An inline line must carry no parameters ($P is
// {}): a parameter on a command line fails the test.
func commandsSent(t *testing.T, reqs []winrmtest.Request, psLine string) []sentCommand {
	t.Helper()
	stdin := map[string][]byte{}
	for _, r := range reqs {
		if r.Action == winrmtest.ActionSend {
			stdin[r.CommandID] = append(stdin[r.CommandID], r.Stdin...)
		}
	}
	var out []sentCommand
	for _, r := range reqs {
		if r.Action != winrmtest.ActionCommand {
			continue
		}
		c := sentCommand{line: r.Command}
		b64, inline := inlineScript(r.Command)
		if r.Command == psLine || inline {
			if !inline {
				b64 = strings.TrimSpace(string(stdin[r.CommandID]))
			}
			text, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				t.Fatalf("script of %s is not base64: %v", r.CommandID, err)
			}
			prologue, script, _ := strings.Cut(string(text), "\n")
			m := psPrologue.FindStringSubmatch(prologue)
			if m == nil {
				t.Fatalf("script of %s does not start with the $P prologue: %.200q", r.CommandID, prologue)
			}
			js, err := base64.StdEncoding.DecodeString(m[1])
			if err != nil {
				t.Fatalf("$P of %s: %v", r.CommandID, err)
			}
			if inline && string(js) != "{}" {
				t.Errorf("parameters %.200s on the command line of %s", js, r.CommandID)
			}
			c.ps, c.script, c.params = true, script, string(js)
		}
		out = append(out, c)
	}
	return out
}

// templates are what a runbook's steps may send: every PowerShell script
// verbatim, and every cmd line with each {{placeholder}} standing for a
// token of letters and digits (what the cmd-safe types bind to).
type templates struct {
	ps  map[string]bool
	cmd []*regexp.Regexp
}

var placeholder = regexp.MustCompile(`\\\{\\\{([a-z][a-z0-9_]*)\\\}\\\}`)

func templatesOf(rb *runbooks.Runbook) templates {
	tp := templates{ps: map[string]bool{}}
	for _, sec := range [][]runbooks.Step{rb.Preconditions, rb.Steps, rb.Verify, rb.Cleanup} {
		for _, st := range sec {
			if st.Shell == runbooks.ShellCmd {
				re := placeholder.ReplaceAllString(regexp.QuoteMeta(st.Script), `(?P<$1>[A-Za-z0-9]+)`)
				tp.cmd = append(tp.cmd, regexp.MustCompile(`^`+re+`$`))
			} else {
				tp.ps[st.Script] = true
			}
		}
	}
	return tp
}

// spliced returns why a sent command shows that a value reached command
// text, or "": a PowerShell script must be a step's script verbatim (its
// command line is remote's constant, checked by commandsSent), and a cmd
// line must be a step's line whose placeholders hold exactly the bound
// values of their parameters (bound), which the cmd-safe types keep to
// letters and digits.
func (tp templates) spliced(c sentCommand, bound map[string]any) string {
	if c.ps {
		if !tp.ps[c.script] {
			return fmt.Sprintf("PowerShell script is not a step's script: %.200q", c.script)
		}
		return ""
	}
	for _, re := range tp.cmd {
		m := re.FindStringSubmatch(c.line)
		if m == nil {
			continue
		}
		for i, name := range re.SubexpNames() {
			if v, ok := bound[name]; ok && i > 0 && fmt.Sprint(v) != "" && m[i] != fmt.Sprint(v) {
				return fmt.Sprintf("{{%s}} holds %q, not the bound value %q: %.200q", name, m[i], fmt.Sprint(v), c.line)
			}
		}
		return ""
	}
	return fmt.Sprintf("command line is not a step's line: %.200q", c.line)
}

// injectionTally counts, per parameter type, what became of the values.
type injectionTally struct {
	values, bound, refused, spliced int
}

// TestInjection binds at least 50 hostile values of each parameter type
// to every parameter of every bundled runbook and of everyTypeYAML (which
// has one parameter of each type). A value Bind refuses is safe. A value it
// accepts goes through the dry run and the approved run against a lab host,
// and the fake server's request log must show that it never reached
// command text: every PowerShell command line is remote's constant, every
// script is a step's script verbatim, every cmd line is a step's line with
// only cmd-safe tokens in its placeholders, and the value is found in the
// $P data the script receives.
func TestInjection(t *testing.T) {
	t.Parallel() // its own host; the fault test, which watches the heap, runs alone before
	if testing.Short() {
		t.Skip("runs against a lab host")
	}
	il := startInjectionLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounds a hang only
	defer cancel()
	psLine, _, err := remote.EncodePowerShell("", map[string]any{"x": 1}) // the constant line
	if err != nil {
		t.Fatal(err)
	}
	tally := map[runbooks.ParamType]*injectionTally{}
	var runIDs []string
	for _, rb := range il.set.Runbooks() {
		if len(rb.Params) == 0 {
			continue
		}
		tp := templatesOf(rb)
		for _, p := range rb.Params {
			values := hostile(p.Type)
			if len(values) < 50 {
				t.Fatalf("only %d hostile values for type %s", len(values), p.Type)
			}
			tl := tally[p.Type]
			if tl == nil {
				tl = &injectionTally{}
				tally[p.Type] = tl
			}
			for _, v := range values {
				tl.values++
				raw := validParams(rb)
				raw[p.Name] = v
				il.srv.ResetLog()
				plan, err := il.svc.Plan(ctx, oncall.RunRequest{Runbook: rb.ID, Server: "healthy", Params: raw, Actor: "test:mallory"})
				if err != nil {
					if oncall.Code(err) != oncall.Invalid {
						t.Fatalf("%s %s=%.40q: plan: %v", rb.ID, p.Name, v, err)
					}
					tl.refused++
					continue
				}
				tl.bound++
				res, err := il.svc.Apply(ctx, plan, oncall.Approval{By: []string{"test:bob"}, PlanHash: plan.Hash(),
					How: "injection test", RequestedBy: "test:mallory"}, nil)
				if err != nil {
					t.Fatalf("%s %s=%.40q: apply: %v", rb.ID, p.Name, v, err)
				}
				runIDs = append(runIDs, res.RunID)
				bound := plan.Params[p.Name]
				sent := commandsSent(t, il.srv.Requests(), psLine)
				if len(sent) == 0 {
					t.Fatalf("%s %s=%.40q: nothing was sent", rb.ID, p.Name, v)
				}
				inP := false
				why := ""
				for _, c := range sent {
					if w := tp.spliced(c, plan.Params); w != "" && why == "" {
						why = w
					}
					if c.params != "" {
						var ps map[string]any
						if err := json.Unmarshal([]byte(c.params), &ps); err != nil {
							t.Fatalf("$P is not a JSON object: %v", err)
						}
						if fmt.Sprint(ps[p.Name]) == fmt.Sprint(jsonNumber(bound)) {
							inP = true
						}
					}
				}
				if why != "" {
					tl.spliced++
					t.Errorf("%s %s=%.60q (bound to %.60q) reached command text: %s", rb.ID, p.Name, v, fmt.Sprint(bound), why)
				}
				if !inP {
					t.Errorf("%s %s=%.60q: the bound value %.60q is in no command's $P", rb.ID, p.Name, v, fmt.Sprint(bound))
				}
			}
		}
	}
	var types []string
	for typ, tl := range tally {
		types = append(types, string(typ))
		t.Logf("type %-12s values %4d  bound %3d  refused %4d  spliced %d", typ, tl.values, tl.bound, tl.refused, tl.spliced)
	}
	slices.Sort(types)
	if want := []string{"drive-letter", "enum", "int", "path", "service", "target"}; !slices.Equal(types, want) {
		t.Errorf("types tried %v, want every type %v", types, want)
	}
	// Every run is recorded as finished, and the chain verifies.
	for _, id := range runIDs {
		runs, err := il.st.Runs(ctx, store.RunFilter{})
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(runs, func(r store.RunSummary) bool { return r.ID == id })
		if i < 0 || runs[i].Finished.IsZero() {
			t.Errorf("run %s is not recorded as finished", id)
		}
	}
	if rep, err := il.st.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("record does not verify: %v %v", rep, err)
	}
}

// validParams gives every parameter of rb without a default a value that
// binds, so that a refusal is the hostile value's own.
func validParams(rb *runbooks.Runbook) map[string]string {
	ok := map[runbooks.ParamType]string{runbooks.TypeTarget: "healthy", runbooks.TypeDriveLetter: "Q",
		runbooks.TypeService: "VSS", runbooks.TypeEnum: "quick", runbooks.TypeInt: "5", runbooks.TypePath: `D:\Backup`}
	out := map[string]string{}
	for _, p := range rb.Params {
		if p.Default == nil {
			out[p.Name] = ok[p.Type]
		}
	}
	return out
}

// jsonNumber is v as it comes back from JSON (ints become float64).
func jsonNumber(v any) any {
	if n, ok := v.(int); ok {
		return float64(n)
	}
	return v
}

// sharesSent checks the commands of the log against the templates and
// reports whether v reached a script as $P.share, and the first splice.
func sharesSent(t *testing.T, tp templates, reqs []winrmtest.Request, psLine, v string) (bound bool, why string) {
	t.Helper()
	for _, c := range commandsSent(t, reqs, psLine) {
		if w := tp.spliced(c, nil); w != "" && why == "" {
			why = w
		}
		var ps map[string]any
		if c.params != "" {
			if err := json.Unmarshal([]byte(c.params), &ps); err != nil {
				t.Fatalf("$P is not a JSON object: %v", err)
			}
		}
		if s, ok := ps["share"].(string); ok && s == v && v != "" {
			bound = true
		}
	}
	return bound, why
}

// rewrite runs a handler and replaces, in what it writes to stdout, every
// old with the current new: a server whose own data is hostile.
type rewrite struct {
	h   winrmtest.Handler
	old string
	mu  sync.Mutex
	new string
}

func (rw *rewrite) set(s string) {
	rw.mu.Lock()
	rw.new = s
	rw.mu.Unlock()
}

func (rw *rewrite) Run(ctx context.Context, cmd winrmtest.Command, stdin io.Reader, stdout, stderr io.Writer) int {
	var buf bytes.Buffer
	code := rw.h.Run(ctx, cmd, stdin, &buf, stderr)
	rw.mu.Lock()
	out := strings.ReplaceAll(buf.String(), rw.old, rw.new)
	rw.mu.Unlock()
	_, _ = io.WriteString(stdout, out)
	return code
}

// jsonInner is s as it reads inside a JSON string.
func jsonInner(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// TestInjectionFromServerData sends the hostile path values the other way
// in: as the network backup target a server reports, which the bundled
// share runbooks bind to their share parameter through with: (the caller
// cannot give it). The engine validates such a value by its type; a value
// that passes reaches the script only in $P, as the request log shows.
func TestInjectionFromServerData(t *testing.T) {
	t.Parallel() // its own host; the fault test, which watches the heap, runs alone before
	if testing.Short() {
		t.Skip("runs against a lab host")
	}
	h, err := lab.NewHost("healthy", lab.ScenarioHealthy)
	if err != nil {
		t.Fatal(err)
	}
	rw := &rewrite{h: h.Handler(), old: jsonInner(`\\nas01\backup`)}
	il := startInjectionLabWith(t, rw)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // bounds a hang only
	defer cancel()
	psLine, _, err := remote.EncodePowerShell("", map[string]any{"x": 1}) // the constant line
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"diag-share-access", "share-write-test"} {
		rb, ok := il.set.Runbook(id)
		if !ok {
			t.Fatalf("no runbook %s", id)
		}
		tp := templatesOf(rb)
		var tl injectionTally
		for _, v := range hostile(runbooks.TypePath) {
			tl.values++
			rw.set(jsonInner(v))
			il.srv.ResetLog()
			plan, err := il.svc.Plan(ctx, oncall.RunRequest{Runbook: id, Server: "healthy", Actor: "test:mallory"})
			if err != nil {
				t.Fatalf("%s share=%.40q: plan: %v", id, v, err)
			}
			// The dry run runs every read-only step; the approved run, where
			// the value was bound, sends the changes too.
			bound, why := sharesSent(t, tp, il.srv.Requests(), psLine, v)
			planned := slices.ContainsFunc(plan.Steps, func(r runbooks.RenderedStep) bool {
				var ps map[string]any
				return v != "" && json.Unmarshal([]byte(r.Params), &ps) == nil && ps["share"] == v
			})
			if planned {
				if _, err := il.svc.Apply(ctx, plan, oncall.Approval{By: []string{"test:bob"}, PlanHash: plan.Hash(),
					How: "injection test", RequestedBy: "test:mallory"}, nil); err != nil {
					t.Fatalf("%s share=%.40q: apply: %v", id, v, err)
				}
				sent, w := sharesSent(t, tp, il.srv.Requests(), psLine, v)
				if why == "" {
					why = w
				}
				if !sent {
					t.Errorf("%s share=%.60q: planned, but in no command's $P", id, v)
				}
				bound = true
			}
			if bound {
				tl.bound++
			} else {
				tl.refused++
			}
			if why != "" {
				tl.spliced++
				t.Errorf("%s share=%.60q from the server reached command text: %s", id, v, why)
			}
		}
		t.Logf("%s share from the server: values %d  bound %d  refused %d  spliced %d", id, tl.values, tl.bound, tl.refused, tl.spliced)
		if tl.bound == 0 {
			t.Errorf("%s: no value from the server was bound: the test tried nothing", id)
		}
	}
	if rep, err := il.st.Verify(ctx); err != nil || !rep.OK {
		t.Errorf("record does not verify: %v %v", rep, err)
	}
}
