package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wsbbot runs the real command wiring with the given environment and stdin
// and returns the exit code, stdout and stderr.
func wsbbot(t *testing.T, vars []string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	// The record's default place and the change locks stay inside the test.
	vars = append([]string{"XDG_STATE_HOME=" + t.TempDir(), "WSBBOT_REMOTE_LOCK_DIR=" + t.TempDir()}, vars...)
	code := run(context.Background(), args, env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, vars: vars})
	return code, out.String(), errb.String()
}

const samples = "../../testdata/samples"

func TestLookupGuideCodes(t *testing.T) {
	guide := []string{"0x800423F4", "0x80780119", "0x807800C5", "0x80780166"}
	for _, lang := range []string{"en", "ja"} {
		t.Run(lang, func(t *testing.T) {
			code, out, stderr := wsbbot(t, nil, "", "lookup", "--json", "--lang", lang, strings.Join(guide, " "))
			if code != 0 {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			if strings.Contains(out, "null") {
				t.Errorf("JSON contains null:\n%s", out)
			}
			var got []map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(guide) {
				t.Fatalf("got %d entries, want %d", len(got), len(guide))
			}
			japanese := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}\p{Han}]`)
			for i, e := range got {
				if e["code"] != guide[i] || e["known"] != true || e["in_guide"] != true {
					t.Errorf("entry %d = %v %v %v", i, e["code"], e["known"], e["in_guide"])
				}
				for _, f := range []string{"title", "cause", "first_action"} {
					s, _ := e[f].(string)
					if s == "" {
						t.Errorf("%s: empty %s", guide[i], f)
					}
					if (lang == "ja") != japanese.MatchString(s) {
						t.Errorf("%s %s in %s: %q", guide[i], f, lang, s)
					}
				}
				rb, _ := e["runbooks"].(map[string]any)
				if d, _ := rb["diagnose"].([]any); len(d) == 0 {
					t.Errorf("%s: no diagnose runbook", guide[i])
				}
			}
		})
	}
}

func TestLookupForms(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
		exit       int
	}{
		{"pasted log, all forms, once each", `LastBackupResultHR : 2155348249 / HResult="-2139619047" / ０ｘ８０７８０１１９ / 800423f4 / 0X800423F4`, []string{"0x80780119", "0x800423F4"}, 0},
		{"japanese sentence", "バックアップはエラー 0x807800C5 で失敗しました", []string{"0x807800C5"}, 0},
		{"unknown only", "error 0x80789999", []string{"0x80789999"}, 1},
		{"no code", "the backup of 2024-03-15 used 12345678 bytes {80780119-6f93-4464-a53e-1050253ae220}", []string{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := wsbbot(t, nil, "", "lookup", "--json", tt.text)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.exit, stderr)
			}
			var got []struct {
				Code   string `json:"code"`
				Known  bool   `json:"known"`
				Family string `json:"family"`
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v in %s", err, out)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Code != tt.want[i] {
					t.Errorf("code %d = %s, want %s", i, got[i].Code, tt.want[i])
				}
			}
			if tt.name == "unknown only" && (got[0].Known || got[0].Family != "wsb") {
				t.Errorf("unknown code reported as %+v", got[0])
			}
		})
	}
}

func TestLookupLanguageAndUsage(t *testing.T) {
	_, out, _ := wsbbot(t, []string{"LANG=ja_JP.UTF-8"}, "", "lookup", "0x80780119")
	if !strings.Contains(out, "原因") {
		t.Errorf("LANG=ja_JP did not answer in Japanese:\n%s", out)
	}
	_, out, _ = wsbbot(t, []string{"LANG=ja_JP.UTF-8"}, "", "lookup", "--lang", "en", "0x80780119")
	if !strings.Contains(out, "Cause:") {
		t.Errorf("--lang en did not win over LANG:\n%s", out)
	}
	// The configured language answers when neither --lang nor the locale
	// names one (a C locale names none).
	cfg := filepath.Join(t.TempDir(), "wsbbot.yaml")
	if err := os.WriteFile(cfg, []byte("language: ja\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		vars []string
		want string
	}{
		{[]string{"LANG=C.UTF-8"}, "原因"},
		{nil, "原因"},
		{[]string{"LANG=en_US.UTF-8"}, "Cause:"},
	} {
		if _, out, _ := wsbbot(t, tt.vars, "", "lookup", "--config", cfg, "0x80780119"); !strings.Contains(out, tt.want) {
			t.Errorf("language: ja with %v: want %q in\n%s", tt.vars, tt.want, out)
		}
	}
	if _, out, _ := wsbbot(t, []string{"WSBBOT_LANGUAGE=ja"}, "", "lookup", "0x80780119"); !strings.Contains(out, "原因") {
		t.Errorf("WSBBOT_LANGUAGE=ja did not answer in Japanese:\n%s", out)
	}
	for _, args := range [][]string{{"lookup"}, {"lookup", "--lang", "fr", "0x80780119"}, {"lookup", "--bogus"}, {"frobnicate"}} {
		if code, _, stderr := wsbbot(t, nil, "", args...); code != 2 || stderr == "" {
			t.Errorf("%v: exit %d (stderr %q), want 2 with a message", args, code, stderr)
		}
	}
}

func TestParseKinds(t *testing.T) {
	tests := []struct{ kind, file string }{
		{"vss-writers", "vssadmin-list-writers/en-02_natxo-nagios_exchange-state7-retryable.txt"},
		{"vss-writers", "vssadmin-list-writers/ja-01_jpwinsup-askcorejp_all-stable.txt"},
		{"shadowstorage", "other/en-01_personal-notes_console-wrap-80col.txt"},
		{"wbadmin-versions", "other/get-versions_ja-01_jpwinsup-generation-management.txt"},
		{"wbsummary", "other/get-wbsummary_frCA-01_auditwsbackup_success-ws2022.txt"},
		{"usn-journal", "other/fsutil-queryjournal_en-01_jpwinsup-16TB-usn.txt"},
		{"mountvol", "other/mountvol_ja-01_jpwinsup-D-vs-P.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.kind+"/"+filepath.Base(tt.file), func(t *testing.T) {
			path := filepath.Join(samples, tt.file)
			code, out, stderr := wsbbot(t, nil, "", "parse", tt.kind, path, "--json")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if strings.Contains(out, "null") || !json.Valid([]byte(out)) {
				t.Errorf("bad JSON:\n%s", out)
			}
			// The same input through stdin, in the human format.
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if code, out, _ := wsbbot(t, nil, string(data), "parse", tt.kind, "-"); code != 0 || out == "" {
				t.Errorf("stdin: exit %d, output %q", code, out)
			}
		})
	}
	code, _, stderr := wsbbot(t, nil, "", "parse", "vss-writers", filepath.Join(samples, "other/mountvol_en-01_msdocs-avd-msix-sample.txt"))
	if code != 1 || !strings.Contains(stderr, "not vss-writers output") {
		t.Errorf("mountvol as vss-writers: exit %d, %q", code, stderr)
	}
	code, _, stderr = wsbbot(t, nil, "Error: 0x8000FFFF\n", "parse", "vss-writers")
	if code != 1 || !strings.Contains(stderr, "0x8000FFFF") {
		t.Errorf("vssadmin error: exit %d, %q", code, stderr)
	}
	if code, _, _ := wsbbot(t, nil, "", "parse", "eventlog"); code != 2 {
		t.Errorf("unknown kind: exit %d, want 2", code)
	}
}

func TestValidate(t *testing.T) {
	code, out, stderr := wsbbot(t, nil, "", "validate", "--strict")
	if code != 0 || !strings.Contains(stderr, "0 error(s), 0 warning(s)") {
		t.Fatalf("bundled set: exit %d\n%s%s", code, out, stderr)
	}

	// A reference to a runbook that is not written is a warning, and an
	// error with --strict.
	warn := t.TempDir()
	entry := `kind: catalogue
codes:
  - code: "0x80789999"
    family: wsb
    title: {en: "T", ja: "表題"}
    cause: {en: "C", ja: "原因"}
    first_action: {en: "F", ja: "対処"}
    verified: false
    verification: "test"
    sources: ["test"]
    runbooks: {diagnose: [diag-not-written-yet]}
`
	if err := os.WriteFile(filepath.Join(warn, "ops.yaml"), []byte(entry), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = wsbbot(t, nil, "", "validate", warn)
	if code != 0 || !strings.Contains(out, `warning: runbook "diag-not-written-yet"`) {
		t.Errorf("missing runbook: exit %d, want 0 with a warning\n%s", code, out)
	}
	if code, _, _ := wsbbot(t, nil, "", "validate", "--strict", warn); code != 1 {
		t.Errorf("--strict with a warning: exit %d, want 1", code)
	}

	dir := t.TempDir()
	bad := "kind: catalogue\ncodes:\n  - code: \"0x8078abcd\"\n    titel: {en: x, ja: y}\n"
	if err := os.WriteFile(filepath.Join(dir, "ops.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "other.yml"), []byte("kind: nonsense\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = wsbbot(t, nil, "", "validate", dir)
	if code != 1 {
		t.Fatalf("broken folder: exit %d\n%s", code, out)
	}
	for _, want := range []string{"ops.yaml:3:", "ops.yaml:4:", `"titel"`, "other.yml:1:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, _, _ := wsbbot(t, nil, "", "validate", filepath.Join(dir, "missing")); code != 2 {
		t.Errorf("missing folder: exit %d, want 2", code)
	}
}

func TestConfigCheck(t *testing.T) {
	vars := []string{"WSBBOT_SLACK_BOT_TOKEN=xoxb-TOPSECRET", "WSBBOT_SLACK_APP_TOKEN=xapp-TOPSECRET"}
	code, out, stderr := wsbbot(t, vars, "", "config", "check", "--config", "../../config/wsbbot.example.yaml")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(out, "TOPSECRET") || !strings.Contains(out, "[redacted]") {
		t.Errorf("secrets not redacted:\n%s", out)
	}
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("remote:\n  concurency: 5\ntargets:\n  - name: a\n    address: h\n    port: 70000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = wsbbot(t, nil, "", "config", "check", "--config", bad)
	if code != 2 || !strings.Contains(stderr, "concurency") {
		t.Errorf("bad config: exit %d, stderr %s", code, stderr)
	}
	weak := filepath.Join(dir, "weak.yaml")
	if err := os.WriteFile(weak, []byte("targets:\n  - name: fs01\n    address: fs01.example.com\n    scheme: http\n"+
		"    auth: basic\n    user: backup\n    password_env: FS01_PW\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = wsbbot(t, nil, "", "config", "check", "--config", weak)
	if code != 0 || !strings.Contains(stderr, "warning: targets[0].auth") || !strings.Contains(stderr, "basic over http") {
		t.Errorf("basic over http: exit %d, stderr %s", code, stderr)
	}
	if code, _, _ := wsbbot(t, nil, "", "lookup", "--config", filepath.Join(dir, "nope.yaml"), "0x80780119"); code != 2 {
		t.Errorf("missing config file: exit %d, want 2", code)
	}
}

func TestConsole(t *testing.T) {
	code, out, _ := wsbbot(t, nil, "help\nsomething without a code\nfailed with 0x80780166\nquit\n", "console", "--lang", "en", "--no-lab")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"No error code or command found", "0x80780166", "First action:", "diagnose [SERVER] [CODE]"} {
		if !strings.Contains(out, want) {
			t.Errorf("console output lacks %q:\n%s", want, out)
		}
	}
}

// TestConsoleAgainstLab is `make run`: with no inventory the console starts
// the simulated lab and the chat commands reach it over WinRM, through one
// oncall service. It compares what the lines say, not their spacing.
func TestConsoleAgainstLab(t *testing.T) {
	in := "servers\n0x800423F4\ndiagnose writer-failed\nrun vss-writer-restart on writer-failed\nyes\n/as bob\nyes\naudit healthy\nhistory\nguide bmr\nquit\n"
	code, out, stderr := wsbbot(t, []string{"WSBBOT_LOG_LEVEL=error"}, in, "console", "--lang", "en")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range [][]string{
		{"Simulated", "lab:", "11", "Windows", "servers"},
		{"0x800423F4", "VSS_E_WRITERERROR_NONRETRYABLE"},       // looked up
		{"Diagnosing", "writer-failed", "(0x800423F4)"},        // the code looked up in this thread
		{"✗", "Check", "the", "VSS", "writers", "—", "failed"}, // diagnosed
		{"Approval", "needed"},
		{"⊘", "you", "requested", "this"},                                           // the requester cannot approve
		{"vss-writer-restart", "/", "writer-failed", "—", "succeeded,", "verified"}, // approved by another user, fixed and verified
		{"Audit", "of", "1", "servers:", "5", "pass,", "0", "fail,"},                // audited
		{"writer-failed", "vss-writer-restart", "succeeded"},                        // history: the run is recorded
		{"guide-bmr"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("console output has no line with %q:\n%s", want, out)
		}
	}
	// The code's catalogue entry decides the diagnostics: not every
	// diagnostic runbook runs.
	if strings.Contains(out, "diag-share-access") {
		t.Errorf("diagnose ran diag-share-access, which 0x800423F4 does not name:\n%s", out)
	}
	// Who asked and confirmed is the console user (history: RUN, date,
	// time, TARGET, RUNBOOK, STATUS, BY).
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if slices.Contains(f, "vss-writer-restart") && slices.Contains(f, "succeeded") && len(f) == 7 && !strings.HasPrefix(f[6], "console:") {
			t.Errorf("history line names %q, not the console user: %q", f[6], l)
		}
	}
}

// TestDemo is `make run` as the README shows it: a script piped into
// `wsbbot demo` prints the lookup and a diagnosis naming the failed writer
// and its service, in the language of LANG, and exits 0 at its end.
func TestDemo(t *testing.T) {
	japanese := regexp.MustCompile(`[\p{Hiragana}\p{Katakana}]`)
	for _, tt := range []struct {
		lang string
		want [][]string
	}{
		{"en_US.UTF-8", [][]string{
			{"Simulated", "lab:", "11", "Windows", "servers", "over", "WinRM", "on", "loopback:", "healthy,", "writer-failed,"},
			{"0x800423F4", "VSS_E_WRITERERROR_NONRETRYABLE"},
			{"Cause:"},
			{"[1]", "Diagnose", "[2]", "Fix", "[3]", "Guide"},
			{"writer-failed:", "SqlServerWriter", "[8]", "Failed,", "→", "fix:", "vss-writer-restart"},
			{"Next", "step:", "Fix", "shows", "the", "plan", "of", "`vss-writer-restart`", "on", "writer-failed"},
			{"Writers", "not", "stable:", "SqlServerWriter", "[8]", "Failed"},
			{"Their", "services:", "SQLWriter"},
			{"[1]", "Fix", "[2]", "Guide"},
		}},
		{"ja_JP.UTF-8", [][]string{
			{"シミュレーション", "ラボ:", "healthy,", "writer-failed,"},
			{"0x800423F4", "VSS_E_WRITERERROR_NONRETRYABLE"},
			{"原因:"},
			{"[1]", "診断", "[2]", "修復", "[3]", "ガイド"},
			{"writer-failed:", "SqlServerWriter", "[8]", "Failed、最後のエラー:", "→", "修復:", "vss-writer-restart"},
			{"次の手順:", "修復で", "writer-failed", "での", "`vss-writer-restart`", "の計画を表示します（ドライラン。承認されるまで何も変更しません）。"},
			{"安定していないライター:", "SqlServerWriter", "[8]", "Failed"},
			{"対応するサービス:", "SQLWriter"},
			{"[1]", "修復", "[2]", "ガイド"},
		}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			code, out, stderr := wsbbot(t, []string{"LANG=" + tt.lang}, "0x800423f4 on writer-failed\ndiagnose writer-failed\n", "demo")
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			for _, want := range tt.want {
				if !hasLine(out, want...) {
					t.Errorf("demo output has no line with %q:\n%s", want, out)
				}
			}
			if strings.HasPrefix(tt.lang, "ja") && strings.Contains(out, "Next step") || !strings.HasPrefix(tt.lang, "ja") && japanese.MatchString(out) {
				t.Errorf("demo in %s mixes languages:\n%s", tt.lang, out)
			}
		})
	}
}

// TestDemoFixApprovedByAnother: `wsbbot demo` with a script shows a fix
// requested by one user, refused to her as approver, and approved by
// another (`/as bob`, the choice by its number): it runs once, verified.
func TestDemoFixApprovedByAnother(t *testing.T) {
	in := "/as alice\nrun vss-writer-restart on writer-failed\napprove\n/as bob\n1\nhistory\n"
	code, out, stderr := wsbbot(t, []string{"LANG=en_US.UTF-8", "WSBBOT_LOG_LEVEL=error"}, in, "demo")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range [][]string{
		{"Approval", "needed", "(request", "by", "console:alice):", "0", "of", "1", "approval(s)", "given;"},
		{"[1]", "Approve", "[2]", "Deny"},
		{"⊘", "you", "requested", "this", "change,"},
		{"You", "are", "now", "bob."},
		{"Approved", "by", "console:bob:", "applying", "vss-writer-restart", "on", "writer-failed"},
		{"vss-writer-restart", "/", "writer-failed", "—", "succeeded,", "verified"},
		{"Writers", "not", "stable:", "SqlServerWriter", "[8]", "Failed", "→", "none"},
	} {
		if !hasLine(out, want...) {
			t.Errorf("demo output has no line with %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "Approved by console:bob: applying"); n != 1 {
		t.Errorf("the fix was applied %d times, want once:\n%s", n, out)
	}
	var runs int
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) == 7 && f[3] == "writer-failed" && f[4] == "vss-writer-restart" {
			runs++
			if f[5] != "succeeded" || f[6] != "console:alice" {
				t.Errorf("history line %q: want succeeded, requested by console:alice", l)
			}
		}
	}
	if runs != 1 {
		t.Errorf("history lists %d fix runs, want 1:\n%s", runs, out)
	}
}

// hasLine reports whether some line of out holds the words in order (each
// a whole whitespace-separated field), whatever the spacing between them.
func hasLine(out string, words ...string) bool {
	for _, l := range strings.Split(out, "\n") {
		f, i := strings.Fields(l), 0
		for _, w := range f {
			if i < len(words) && w == words[i] {
				i++
			}
		}
		if i == len(words) {
			return true
		}
	}
	return false
}

// TestReadmeRunbookExample keeps the README's runbook example true: it must
// load with no errors.
func TestReadmeRunbookExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(readme)
	i := strings.Index(s, "kind: runbook\n")
	if i < 0 {
		t.Fatal("README has no runbook example")
	}
	j := strings.Index(s[i:], "```")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "example.yaml"), []byte(s[i:i+j]), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, stderr := wsbbot(t, nil, "", "validate", dir); code != 0 || !strings.Contains(stderr, "0 error(s)") {
		t.Errorf("README example: exit %d\n%s%s", code, out, stderr)
	}
}

func TestGuideAndRunbooks(t *testing.T) {
	code, out, _ := wsbbot(t, nil, "", "guide", "dism-driver", "--lang", "en")
	if code != 0 || !strings.Contains(out, `dism /Image:C:\ /Add-Driver /Driver:D:\Drivers /Recurse`) {
		t.Errorf("guide dism-driver: exit %d\n%s", code, out)
	}
	code, out, _ = wsbbot(t, nil, "", "guide", "ad-restore", "--lang", "ja")
	if code != 0 || !strings.Contains(out, "ntdsutil") || !strings.Contains(out, "権限") {
		t.Errorf("guide ad-restore in Japanese: exit %d\n%s", code, out)
	}
	if code, _, stderr := wsbbot(t, nil, "", "guide", "nope"); code != exitUsage || !strings.Contains(stderr, "guide-bmr") {
		t.Errorf("unknown guide: exit %d, %s", code, stderr)
	}
	code, out, _ = wsbbot(t, nil, "", "runbooks")
	for _, id := range []string{"vss-writer-restart", "usn-journal-cleanup", "diag-share-access", "guide-bmr"} {
		if code != 0 || !strings.Contains(out, id) {
			t.Errorf("runbooks lacks %s (exit %d)", id, code)
		}
	}
}

// TestExitCodesDocumented: `wsbbot --help` and the README explain every
// exit code the commands use, 4 included.
func TestExitCodesDocumented(t *testing.T) {
	code, out, stderr := wsbbot(t, nil, "", "--help")
	if code != 0 {
		t.Fatalf("--help: exit %d, stderr %s", code, stderr)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []int{exitOK, exitFailed, exitUsage, exitRefused, exitInternal} {
		if !strings.Contains(out, fmt.Sprintf("\n  %d  ", c)) {
			t.Errorf("--help does not explain exit code %d:\n%s", c, out)
		}
		if !strings.Contains(string(readme), fmt.Sprintf("`%d` ", c)) {
			t.Errorf("README.md does not explain exit code %d", c)
		}
	}
}
