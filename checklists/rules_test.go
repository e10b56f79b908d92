package checklists

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/runbooks"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func bp(b bool) *bool { return &b }

// declared321 is the healthy lab host's declaration.
func declared321() Declarations {
	return Declarations{Copies: 3, Media: 2, Offsite: bp(true)}
}

type ruleCase struct {
	name     string
	facts    func(*Facts)
	declared func(*Declarations)
	recorded time.Time
	want     Status
	evidence []string // substrings of the English evidence
	ja       string   // a substring of the Japanese evidence
}

func runRule(t *testing.T, fn evalFunc, tests []ruleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, d := healthyFacts(), declared321()
			if tt.facts != nil {
				tt.facts(&f)
			}
			if tt.declared != nil {
				tt.declared(&d)
			}
			got := fn(Input{Facts: f, Declared: d, RecordedRestoreTest: tt.recorded, Now: now})
			if got.status != tt.want {
				t.Errorf("status %s, want %s (evidence %q)", got.status, tt.want, got.evidence.EN)
			}
			for _, w := range tt.evidence {
				if !strings.Contains(got.evidence.EN, w) {
					t.Errorf("evidence %q lacks %q", got.evidence.EN, w)
				}
			}
			if got.evidence.JA == "" || !strings.Contains(got.evidence.JA, tt.ja) {
				t.Errorf("Japanese evidence %q lacks %q", got.evidence.JA, tt.ja)
			}
		})
	}
}

func TestEvalBMR(t *testing.T) {
	runRule(t, evalBMR, []ruleCase{
		{name: "included", want: Pass, evidence: []string{"BMR: True"}, ja: "含まれています"},
		{name: "not included", facts: func(f *Facts) { f.BMR = false }, want: Fail, evidence: []string{"BMR: False"}, ja: "含まれていません"},
		{name: "no policy", facts: func(f *Facts) { *f = Facts{} }, want: Fail, evidence: []string{"no Windows Server Backup policy"}, ja: "ポリシー"},
	})
}

func TestEvalSeparateDisk(t *testing.T) {
	runRule(t, evalSeparateDisk, []ruleCase{
		{name: "dedicated disk and share", want: Pass, evidence: []string{"(disk 2)", "network share", "[0 1]"}, ja: "別です"},
		{
			name: "volume target on a source disk (lab same-disk)",
			facts: func(f *Facts) {
				f.Targets[0] = BackupTarget{Label: "Backup", Path: "E:", Type: "Volume", VolumeID: "{6456A96F-2012-5CE8-9D02-7DF014FBD306}"}
				f.Partitions[4].DiskNumber = 1
			},
			want: Fail, evidence: []string{"Backup is on disk 1", "D:"}, ja: "同じ物理ディスク",
		},
		{
			name:  "disk target numbered like the system disk",
			facts: func(f *Facts) { f.Targets[0].DiskNumber = ip(0) },
			want:  Fail, evidence: []string{"disk 0", "C:"}, ja: "ディスク 0",
		},
		{
			name:  "target found by drive letter only",
			facts: func(f *Facts) { f.Targets[0] = BackupTarget{Label: "E", Path: `E:`, Type: "Volume"} },
			want:  Pass, evidence: []string{"E (disk 2)"}, ja: "別です",
		},
		{
			name: "target disk cannot be resolved",
			facts: func(f *Facts) {
				f.Targets[0] = BackupTarget{Label: "X", Path: `\\?\Volume{00000000-0000-0000-0000-000000000000}`, Type: "Disk"}
			},
			want: Unknown, evidence: []string{"backup target X"}, ja: "判別できません",
		},
		{
			name:  "source disk cannot be resolved",
			facts: func(f *Facts) { f.Partitions = f.Partitions[2:] },
			want:  Unknown, evidence: []string{"source volume {44194c95"}, ja: "判別できません",
		},
		{name: "no targets", facts: func(f *Facts) { f.Targets = nil }, want: Unknown, evidence: []string{"no reachable backup target"}, ja: "保存先"},
		{name: "no policy", facts: func(f *Facts) { *f = Facts{} }, want: Unknown, evidence: []string{"no backup policy"}, ja: "ポリシー"},
		{name: "share only", facts: func(f *Facts) { f.Targets = f.Targets[1:] }, want: Pass, evidence: []string{`\\nas01\backup (network share)`}, ja: "別です"},
	})
}

func TestEval321(t *testing.T) {
	runRule(t, eval321, []ruleCase{
		{name: "declared 3-2-1", want: Pass, evidence: []string{"copies 3 (declared)", "media 2 (declared)", "off-site true (declared)"}, ja: "設定で申告"},
		{
			name: "off-site not declared", declared: func(d *Declarations) { d.Offsite = nil },
			want: Unknown, evidence: []string{"off-site not declared", "declare declared.offsite"}, ja: "未申告",
		},
		{
			name: "detected copies and media, off-site declared", declared: func(d *Declarations) { d.Copies, d.Media = 0, 0 },
			want: Pass, evidence: []string{"copies 3 (detected)", "media 2 (detected)"}, ja: "検出",
		},
		{
			name: "one local target detected (lab no-offsite, nothing declared)", facts: func(f *Facts) { f.Targets = f.Targets[:1] },
			declared: func(d *Declarations) { *d = Declarations{} },
			want:     Fail, evidence: []string{"copies 2 (detected)", "media 1 (detected)"}, ja: "検出",
		},
		{
			name: "declared not off-site", declared: func(d *Declarations) { d.Offsite = bp(false) },
			want: Fail, evidence: []string{"off-site false (declared)"}, ja: "false",
		},
		{
			name: "declared two copies", declared: func(d *Declarations) { d.Copies = 2 },
			want: Fail, evidence: []string{"copies 2 (declared)"}, ja: "コピー 2",
		},
	})
}

func TestEvalAVExclusion(t *testing.T) {
	runRule(t, evalAVExclusion, []ruleCase{
		{name: "defender excludes every target", want: Pass, evidence: []string{`by E:\`, `\\nas01\backup by \\nas01\backup`, "wbengine.exe excluded"}, ja: "除外しています"},
		{
			name:  "defender excludes a parent folder",
			facts: func(f *Facts) { f.Defender.ExclusionPath = []string{`e:`, `\\NAS01`} },
			want:  Pass, evidence: []string{`by e:`, `by \\NAS01`}, ja: "除外しています",
		},
		{
			name:  "defender misses the targets (lab no-av-exclusion)",
			facts: func(f *Facts) { f.Defender.ExclusionPath, f.Defender.ExclusionProcess = []string{`D:\MSSQL\DATA`}, nil },
			want:  Fail, evidence: []string{"does not exclude", `D:\MSSQL\DATA`, "no backup process excluded"}, ja: "除外されていません",
		},
		{
			name:  "a prefix that is not a folder does not count",
			facts: func(f *Facts) { f.Defender.ExclusionPath = []string{`\\nas0`, `E:\Back`} },
			want:  Fail, evidence: []string{"does not exclude"}, ja: "除外されていません",
		},
		{
			name:  "exclusions hidden",
			facts: func(f *Facts) { f.Defender.ExclusionPath, f.Defender.Hidden = nil, true },
			want:  Unknown, evidence: []string{"administrator"}, ja: "管理者",
		},
		{
			name:  "no defender, nothing declared",
			facts: func(f *Facts) { f.Defender = Defender{} },
			want:  Unknown, evidence: []string{"declare declared.av_product"}, ja: "av_product",
		},
		{
			name:     "other product declared with exclusions",
			facts:    func(f *Facts) { f.Defender = Defender{Present: true} },
			declared: func(d *Declarations) { d.AVProduct, d.AVExclusions = "Trend Micro", bp(true) },
			want:     Pass, evidence: []string{"Trend Micro exclusions for the backup are declared as set"}, ja: "設定済み",
		},
		{
			name:     "other product declared without exclusions",
			facts:    func(f *Facts) { f.Defender = Defender{} },
			declared: func(d *Declarations) { d.AVProduct, d.AVExclusions = "Trend Micro", bp(false) },
			want:     Fail, evidence: []string{"declared as not set"}, ja: "未設定",
		},
		{
			name:     "other product, exclusions not declared",
			facts:    func(f *Facts) { f.Defender = Defender{} },
			declared: func(d *Declarations) { d.AVProduct = "Trend Micro" },
			want:     Unknown, evidence: []string{"declare declared.av_exclusions"}, ja: "av_exclusions",
		},
		{
			name:     "defender passes but the declared product fails",
			declared: func(d *Declarations) { d.AVProduct, d.AVExclusions = "Trend Micro", bp(false) },
			want:     Fail, evidence: []string{"Microsoft Defender excludes", "declared as not set"}, ja: "未設定",
		},
		{
			name:     "declaring Defender as the product does not hide the check",
			facts:    func(f *Facts) { f.Defender.ExclusionPath = nil },
			declared: func(d *Declarations) { d.AVProduct, d.AVExclusions = "Microsoft Defender", bp(true) },
			want:     Fail, evidence: []string{"does not exclude"}, ja: "除外されていません",
		},
	})
}

func TestEvalRestoreTest(t *testing.T) {
	days := func(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }
	runRule(t, evalRestoreTest, []ruleCase{
		{
			name: "event log, 62 days", facts: func(f *Facts) { f.Restores = []time.Time{days(62)} },
			want: Pass, evidence: []string{"62 days ago", "event log"}, ja: "イベントログ",
		},
		{
			name: "nothing anywhere", facts: func(f *Facts) { f.Restores = nil },
			want: Fail, evidence: []string{"no restore test"}, ja: "ありません",
		},
		{
			name: "record newer than an old event", facts: func(f *Facts) { f.Restores = []time.Time{days(400)} }, recorded: days(10),
			want: Pass, evidence: []string{"10 days ago", "restore-test done"}, ja: "restore-test done",
		},
		{
			name: "declared date", facts: func(f *Facts) { f.Restores = nil },
			declared: func(d *Declarations) { d.RestoreTest = "2026-09-01" },
			want:     Pass, evidence: []string{"2026-09-01", "declared in the configuration"}, ja: "申告",
		},
		{
			name: "exactly 183 days", facts: func(f *Facts) { f.Restores = []time.Time{days(183)} },
			want: Pass, evidence: []string{"183 days ago"}, ja: "183 日前",
		},
		{
			name: "184 days", facts: func(f *Facts) { f.Restores = nil }, recorded: days(184),
			want: Fail, evidence: []string{"184 days ago", "older than 183 days"}, ja: "183日を超え",
		},
		{
			name: "bad declared date alone", facts: func(f *Facts) { f.Restores = nil },
			declared: func(d *Declarations) { d.RestoreTest = "01/09/2026" },
			want:     Unknown, evidence: []string{`"01/09/2026" is not a date`}, ja: "日付",
		},
	})
}

func TestEvaluateAndUnknown(t *testing.T) {
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	f := healthyFacts()
	f.BMR = false
	got := cl.Evaluate("fs01", Input{Facts: f, Declared: declared321(), Now: now})
	want := []Status{Fail, Pass, Pass, Pass, Pass}
	for i, fd := range got {
		if fd.Target != "fs01" || fd.Rule != cl.Rules[i].ID || fd.Status != want[i] {
			t.Errorf("finding %d = %+v, want %s %s", i, fd, cl.Rules[i].ID, want[i])
		}
		if fd.Status == Pass && fd.Fix.EN != "" || fd.Status != Pass && fd.Fix != cl.Rules[i].Fix {
			t.Errorf("finding %d: status %s with fix %q", i, fd.Status, fd.Fix.EN)
		}
	}
	for i, fd := range cl.Unknown("fs02", errString("dial tcp: refused")) {
		if fd.Status != Unknown || fd.Rule != cl.Rules[i].ID || !strings.Contains(fd.Evidence.EN, "dial tcp: refused") || !strings.Contains(fd.Evidence.JA, "dial tcp: refused") {
			t.Errorf("Unknown finding %d = %+v", i, fd)
		}
		if fd.Fix != cl.Rules[i].Fix {
			t.Errorf("Unknown finding %d: fix %q, want the rule's", i, fd.Fix.EN)
		}
	}
	// An error that explains itself (remote's) gives its fix instead of
	// the rule's, which would be a guess about a server that did not answer.
	err = fmt.Errorf("open fs03: %w", explainedErr{})
	for i, fd := range cl.Unknown("fs03", err) {
		if fd.Status != Unknown || !strings.Contains(fd.Fix.EN, "start WinRM") || !strings.Contains(fd.Fix.JA, "start WinRM") ||
			!strings.Contains(fd.Evidence.EN, "connection refused") {
			t.Errorf("Unknown finding %d = %+v", i, fd)
		}
	}
}

type errString string

func (e errString) Error() string { return string(e) }

type explainedErr struct{}

func (explainedErr) Error() string   { return "connection refused" }
func (explainedErr) Explain() string { return "start WinRM" }

// TestCollectScriptIsReadOnly holds the audit's one command per server to
// the same read-only rule as runbook steps.
func TestCollectScriptIsReadOnly(t *testing.T) {
	if err := runbooks.CheckReadOnly(runbooks.ShellPowerShell, CollectScript); err != nil {
		t.Fatal(err)
	}
}
