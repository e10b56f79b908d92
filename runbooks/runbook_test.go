package runbooks

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fullRunbook uses every feature of the runbook format.
const fullRunbook = `kind: runbook
id: usn-demo
version: 2
category: fix
title: {en: "T", ja: "表題"}
description: {en: "D", ja: "説明"}
codes: ["0x80780119"]
params:
  - {name: drive, type: drive-letter, default: ""}
  - {name: folder, type: path, default: ""}
preconditions:
  - id: no-backup
    shell: powershell
    script: "Get-WBJob | ConvertTo-Json"
    parse: json
    expect: [{that: "result == null || result.JobState != 2", message: {en: "idle", ja: "待機"}}]
steps:
  - id: volumes
    title: {en: "V", ja: "ボリューム"}
    mode: read-only
    shell: cmd
    timeout: 30s
    script: "mountvol"
    parse: mountvol
    report: {letters: "count(result.volumes)"}
  - id: assign
    mode: change
    shell: cmd
    script: "mountvol {{drive}}: /S"
    with: {drive: "free_letter(['C'])"}
    when: "count(steps.volumes.result.volumes) >= 0"
  - id: each
    mode: read-only
    shell: powershell
    foreach: {in: "[1, 2]", where: "n > 1", as: n}
    when: "item == n"
    script: "Write-Output $P.folder"
verify:
  - {id: check, shell: cmd, script: "fsutil usn queryjournal {{drive}}:", parse: usn-journal}
cleanup:
  - {id: remove-letter, mode: change, shell: cmd, script: "mountvol {{drive}}: /D", when: "steps.assign.ran"}
`

func TestLoadRunbook(t *testing.T) {
	set, ps := Load(Source{Name: "ops", FS: fstest.MapFS{"rb/usn.yaml": {Data: []byte(fullRunbook)}}})
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	rb, ok := set.Runbook("usn-demo")
	if !ok {
		t.Fatal("runbook not loaded")
	}
	if !set.RunbookIDs()["usn-demo"] || rb.File != "ops/rb/usn.yaml" || rb.Version != 2 || rb.Category != CategoryFix {
		t.Errorf("runbook header: %+v", rb)
	}
	var ids []string
	for _, sec := range rb.phases() {
		for _, s := range sec {
			ids = append(ids, string(s.Phase)+":"+s.ID+":"+string(s.Mode))
		}
	}
	want := []string{"precondition:no-backup:read-only", "step:volumes:read-only", "step:assign:change", "step:each:read-only",
		"verify:check:read-only", "cleanup:remove-letter:change"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if s := rb.Steps[0]; s.Timeout != 30*time.Second || s.Line != 18 || s.Parse != "mountvol" || len(s.Report) != 1 {
		t.Errorf("step volumes: %+v", s)
	}
	if s := rb.Steps[2]; s.Foreach == nil || s.Foreach.As != "n" || s.Timeout != defaultStepTimeout {
		t.Errorf("step each: %+v", s)
	}
	if c := rb.Cleanup[0]; !slices.Equal(c.whenReads, []string{"assign"}) || len(c.dataReads) != 0 {
		t.Errorf("cleanup reads %v / %v", c.whenReads, c.dataReads)
	}
}

// TestLoadRunbookProblems checks that every problem is reported with its
// file and line, all at once.
func TestLoadRunbookProblems(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"unknown keys", "version: 2\n", "version: 2\nowner: me\n", []string{
			`r.yaml:4: unknown key "owner" in top level (allowed: kind, id, version, category, title, description, codes, params, preconditions, steps, verify, cleanup)`}},
		{"unknown step key", "    timeout: 30s\n", "    timeout: 30s\n    retries: 3\n", []string{
			`r.yaml:23: unknown key "retries" in steps[0] (allowed: id, title, description, mode, shell, timeout, script, parse, expect, report, foreach, when, with)`}},
		{"header", "id: usn-demo\nversion: 2\ncategory: fix\n", "id: USN_demo\nversion: two\ncategory: repair\n", []string{
			`r.yaml:2: id "USN_demo" is not kebab-case (lower-case letters and digits joined by single hyphens)`,
			`r.yaml:3: version must be a whole number`,
			`r.yaml:4: category "repair" is not one of diagnose, fix, guide`}},
		{"missing translation", `title: {en: "T", ja: "表題"}`, `title: {en: "T"}`, []string{`r.yaml:5: title.ja is required`}},
		{"bad code", `codes: ["0x80780119"]`, `codes: ["banana"]`, []string{`r.yaml:7: code "banana" is not an error code`}},
		{"path in cmd", `script: "mountvol {{drive}}: /S"`, `script: "mountvol {{folder}}: /S"`, []string{
			`r.yaml:29: {{folder}} is a path parameter, which may not be spliced into a cmd line (only drive-letter, int, enum and service are); use a powershell step and $P.folder`}},
		{"undeclared placeholder", `script: "mountvol {{drive}}: /S"`, `script: "mountvol {{letter}}: /S {{"`, []string{
			`r.yaml:29: malformed placeholder: write {{name}}`, `r.yaml:29: {{letter}} is not a declared parameter`}},
		{"placeholder in powershell", `script: "Write-Output $P.folder"`, `script: "Write-Output {{folder}} $P.nope"`, []string{
			`r.yaml:37: $P.nope is not a declared parameter`,
			`r.yaml:37: a PowerShell script reads parameters as $P.name, never as {{name}} (values are passed as data)`,
			`r.yaml:37: step "each" is read-only, but its script runs what may change the server: folder is not on the read-only allow-list (Get-, Test-, Measure-, Select-, Where-, Sort-, ConvertTo-, Format- cmdlets; vssadmin list, wbadmin get, fsutil ... query, mountvol /L ...): mark the step ` + "`mode: change`" + ` if it changes the server`}},
		{"bad mode and shell", "    mode: change\n    shell: cmd\n    script: \"mountvol", "    mode: write\n    shell: bash\n    script: \"mountvol", []string{
			`r.yaml:27: mode "write" is not read-only or change`, `r.yaml:28: shell "bash" is not cmd or powershell`}},
		{"dynamic code", `script: "Write-Output $P.folder"`, `script: "iex $P.folder"`, []string{
			`r.yaml:37: a runbook script may not build and run code at run time (iex)`,
			`r.yaml:37: step "each" is read-only, but its script runs what may change the server: iex is not on the read-only allow-list (Get-, Test-, Measure-, Select-, Where-, Sort-, ConvertTo-, Format- cmdlets; vssadmin list, wbadmin get, fsutil ... query, mountvol /L ...): mark the step ` + "`mode: change`" + ` if it changes the server`}},
		{"change in diagnose", "category: fix\n", "category: diagnose\n", []string{
			`r.yaml:27: a diagnose runbook must be read-only; this step changes the server`,
			`r.yaml:41: a diagnose runbook must be read-only; this step changes the server`}},
		{"change in verify", `{id: check, shell: cmd`, `{id: check, mode: change, shell: cmd`, []string{`r.yaml:39: a verify step must be read-only`}},
		{"later step referenced", `when: "steps.assign.ran"}`, `when: "steps.nosuch.ran && steps.assign.bogus"}`, []string{
			`r.yaml:41: steps.assign.bogus: a step has ran, status, passed, result, results, exit_code, report`,
			`r.yaml:41: steps.nosuch is not an earlier step`}},
		{"expression syntax", `when: "count(steps.volumes.result.volumes) >= 0"`, `when: "count(steps.volumes.result.volumes) >= "`, []string{
			`r.yaml:31: steps[1].when: at 40: unexpected end of expression`}},
		{"names out of scope", `when: "item == n"`, `when: "result == x && params.nope"`, []string{
			`r.yaml:36: params.nope is not a declared parameter`,
			`r.yaml:36: result is defined only in expect and report`,
			`r.yaml:36: unknown name "x" (use params, steps, target, result, item or the foreach variable)`}},
		{"with undeclared", `with: {drive: "free_letter(['C'])"}`, `with: {letter: "'Z'"}`, []string{
			`r.yaml:30: with sets "letter", which is not a declared parameter (declare it in params so its value is validated)`}},
		{"bad default and types", `{name: drive, type: drive-letter, default: ""}`, `{name: drive, type: drive-letter, default: "ZZ", min: 1}`, []string{
			`r.yaml:9: default: parameter "drive": "ZZ" is not a drive letter (A-Z)`,
			`r.yaml:9: min applies only to parameters of type int`}},
		{"duplicate step id", "  - id: each\n", "  - id: volumes\n", []string{`r.yaml:32: step id "volumes" is used twice (first at line 18)`}},
		{"bad parse and timeout", "    timeout: 30s\n    script: \"mountvol\"\n    parse: mountvol", "    timeout: 2h\n    script: \"mountvol\"\n    parse: xml", []string{
			`r.yaml:22: timeout 2h0m0s is outside 1s..1h`,
			`r.yaml:24: parse "xml" is not json, lines, none or one of vss-writers, shadowstorage, wbadmin-versions, wbsummary, usn-journal, mountvol`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(fullRunbook, tc.old) {
				t.Fatalf("fullRunbook lacks %q", tc.old)
			}
			file := strings.Replace(fullRunbook, tc.old, tc.new, 1)
			set, ps := Load(Source{FS: fstest.MapFS{"r.yaml": {Data: []byte(file)}}})
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got problems\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("problem %d:\n got %s\nwant %s", i, got[i], tc.want[i])
				}
			}
			if len(set.RunbookIDs()) != 0 {
				t.Errorf("an invalid runbook was loaded")
			}
		})
	}
}

func TestLoadRunbookAcrossSources(t *testing.T) {
	rbFile := func(id string, version int) []byte {
		return []byte(strings.Replace(strings.Replace(fullRunbook, "id: usn-demo", "id: "+id, 1), "version: 2", fmt.Sprintf("version: %d", version), 1))
	}
	bundled := fstest.MapFS{"a.yaml": {Data: rbFile("one", 1)}, "b.yaml": {Data: rbFile("two", 1)}}
	ops := fstest.MapFS{"x.yaml": {Data: rbFile("two", 5)}, "y.yaml": {Data: rbFile("three", 1)}, "z.yaml": {Data: rbFile("three", 2)}}
	set, ps := Load(Source{Name: "bundled", FS: bundled}, Source{Name: "ops", FS: ops})
	want := []string{
		`ops/y.yaml:1: runbook "three" is defined more than once in this source; also at ops/z.yaml:1`,
		`ops/z.yaml:1: runbook "three" is defined more than once in this source; also at ops/y.yaml:1`,
	}
	var got []string
	for _, p := range ps {
		got = append(got, p.String())
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	if rb, _ := set.Runbook("two"); rb == nil || rb.Version != 5 || rb.File != "ops/x.yaml" {
		t.Errorf("override: %+v", rb)
	}
	if rb, _ := set.Runbook("three"); rb == nil || rb.Version != 1 {
		t.Errorf("duplicate keeps the first: %+v", rb)
	}
}

func TestRunbookCodesAgainstCatalogue(t *testing.T) {
	cat := catalogueYAML(entryYAML("0x80070005", "win32"))
	set, ps := Load(Source{Name: "b", FS: fstest.MapFS{"c.yaml": {Data: []byte(cat)}, "r.yaml": {Data: []byte(fullRunbook)}}})
	if err := ps.Err(); err == nil || !strings.Contains(err.Error(), `b/r.yaml:1: runbook "usn-demo" addresses code 0x80780119, which is not in the catalogue`) {
		t.Errorf("Err = %v", err)
	}
	if len(set.RunbookIDs()) != 0 {
		t.Errorf("runbook with an unknown code was loaded")
	}
}

func TestBundledRunbooks(t *testing.T) {
	set, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"diag-vss-writers", "vss-writer-restart"} {
		rb, ok := set.Runbook(id)
		if !ok {
			t.Fatalf("bundled runbook %s missing", id)
		}
		for _, sec := range rb.phases() {
			for _, s := range sec {
				if s.Title.EN == "" || s.Title.JA == "" {
					t.Errorf("%s/%s: title not bilingual", id, s.ID)
				}
				for _, x := range s.Expect {
					if x.Message.EN == "" || x.Message.JA == "" {
						t.Errorf("%s/%s: expectation message not bilingual", id, s.ID)
					}
				}
			}
		}
	}
	for _, p := range set.CheckRefs() {
		if strings.Contains(p.Msg, `"diag-vss-writers"`) || strings.Contains(p.Msg, `"vss-writer-restart"`) {
			t.Errorf("CheckRefs still warns about a written runbook: %v", p)
		}
	}
}

// FuzzLoadRunbook checks that no file crashes the loader and that a loaded
// runbook always binds its defaults or reports why not.
func FuzzLoadRunbook(f *testing.F) {
	f.Add([]byte(fullRunbook))
	for _, name := range []string{"runbooks/diag-vss-writers.yaml", "runbooks/vss-writer-restart.yaml"} {
		data, err := fs.ReadFile(Bundled(), name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(paramsRunbook))
	f.Add([]byte("kind: runbook\nid: x\nsteps: [{id: a, mode: change, shell: cmd, script: '{{a}}'}]\n"))
	f.Add([]byte("kind: runbook\n<<: *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, ps := Load(Source{Name: "f", FS: fstest.MapFS{"r.yaml": {Data: data}}})
		for _, p := range ps {
			if p.File != "f/r.yaml" {
				t.Fatalf("problem without the file: %v", p)
			}
		}
		for _, rb := range set.Runbooks() {
			if rb.File != "f/r.yaml" || !isRunbookID(rb.ID) {
				t.Fatalf("runbook %q from %q", rb.ID, rb.File)
			}
			// Whatever loads keeps the safety rules.
			for _, sec := range rb.phases() {
				for _, st := range sec {
					if st.Mode != ModeReadOnly && (st.Mode != ModeChange || st.Phase == PhasePrecondition || st.Phase == PhaseVerify) {
						t.Fatalf("step %q: mode %q in %s", st.ID, st.Mode, st.Phase)
					}
					if st.Shell == ShellCmd {
						for _, m := range placeholderRE.FindAllStringSubmatch(st.Script, -1) {
							if p, ok := rb.param(m[1]); !ok || !p.Type.cmdSafe() {
								t.Fatalf("step %q splices %q into cmd", st.ID, m[1])
							}
						}
					} else if st.Shell != ShellPowerShell || strings.Contains(st.Script, "{{") {
						t.Fatalf("step %q: shell %q script %q", st.ID, st.Shell, st.Script)
					}
				}
			}
			if p, err := rb.Bind(nil, nil); err == nil {
				for _, name := range p.Names() {
					if _, ok := rb.param(name); !ok {
						t.Fatalf("Bind made undeclared parameter %q", name)
					}
				}
			}
		}
	})
}
