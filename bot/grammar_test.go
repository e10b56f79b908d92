package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	tests := []struct {
		text string
		want Command
	}{
		{"0x800423f4 on writer-failed", Command{Verb: VerbLookup, Text: "0x800423f4 on writer-failed"}},
		{"<@U0BOT> 0x80780119", Command{Verb: VerbLookup, Text: "0x80780119"}},
		{"<@U0BOT|wsbbot>   ０ｘ８０７８０１１９", Command{Verb: VerbLookup, Text: "0x80780119"}},
		{"Diagnose fs01", Command{Verb: VerbDiagnose, Server: "fs01"}},
		{"diagnose", Command{Verb: VerbDiagnose}},
		{"diagnose 0x800423F4", Command{Verb: VerbDiagnose, Code: "0x800423F4"}},
		{"diagnose fs01 800423f4", Command{Verb: VerbDiagnose, Server: "fs01", Code: "800423f4"}},
		{"diagnose 2155348249 fs01", Command{Verb: VerbDiagnose, Server: "fs01", Code: "2155348249"}},
		{"診断 writer-failed", Command{Verb: VerbDiagnose, Server: "writer-failed"}},
		{"ｄｉａｇｎｏｓｅ　ｗｒｉｔｅｒ－ｆａｉｌｅｄ", Command{Verb: VerbDiagnose, Server: "writer-failed"}},
		{"diagnose a b c", Command{Verb: VerbUsage, Usage: usageDiagnose}},
		{"fix", Command{Verb: VerbFix}},
		{"修復 fs01", Command{Verb: VerbFix, Server: "fs01"}},
		{"run usn-journal-cleanup ON fs01 min_free_percent=20", Command{Verb: VerbRun, Runbook: "usn-journal-cleanup", Server: "fs01",
			Params: map[string]string{"min_free_percent": "20"}}},
		{"実行 vss-writer-restart で fs01", Command{Verb: VerbRun, Runbook: "vss-writer-restart", Server: "fs01", Params: map[string]string{}}},
		{"run x on", Command{Verb: VerbUsage, Usage: usageRun}},
		{"run x on fs01 novalue", Command{Verb: VerbUsage, Usage: usageRun}},
		{"audit", Command{Verb: VerbAudit}},
		{"監査 prod", Command{Verb: VerbAudit, Topic: "prod"}},
		{"history fs01", Command{Verb: VerbHistory, Server: "fs01"}},
		{"履歴", Command{Verb: VerbHistory}},
		{"restore-test done fs01 --date 2026-01-15", Command{Verb: VerbRestoreTest, Server: "fs01", Date: "2026-01-15"}},
		{"restore test done fs01 2026-01-15", Command{Verb: VerbRestoreTest, Server: "fs01", Date: "2026-01-15"}},
		{"復元テスト 完了 fs01", Command{Verb: VerbRestoreTest, Server: "fs01"}},
		{"restore-test fs01", Command{Verb: VerbUsage, Usage: usageRestoreTest}},
		{"guide bmr", Command{Verb: VerbGuide, Topic: "bmr"}},
		{"ガイド ad-restore", Command{Verb: VerbGuide, Topic: "ad-restore"}},
		{"status r00001", Command{Verb: VerbStatus, Topic: "r00001"}},
		{"cancel t3", Command{Verb: VerbCancel, Topic: "t3"}},
		{"サーバー", Command{Verb: VerbServers}},
		{"ヘルプ", Command{Verb: VerbHelp}},
		{"runbooks", Command{Verb: VerbRunbooks}},
		{"diagnoze fs01", Command{Verb: VerbUnknown, Text: "diagnoze fs01", Suggest: "diagnose"}},
		{"histroy", Command{Verb: VerbUnknown, Text: "histroy", Suggest: "history"}},
		{"hello there", Command{Verb: VerbUnknown, Text: "hello there", Suggest: "help"}},
		{"the backup failed", Command{Verb: VerbUnknown, Text: "the backup failed"}},
		{"the backup failed with 0x80780119", Command{Verb: VerbLookup, Text: "the backup failed with 0x80780119"}},
		{"", Command{Verb: VerbUnknown}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Parse(tt.text), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.text, diff)
		}
	}
}

// FuzzParse: any text parses to a known verb without panicking, the same
// as its normalised form, and a usage or suggestion only where one is due.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0x800423f4 on writer-failed", "<@U1> diagnose fs01", "ｄｉａｇｎｏｓｅ", "run a on b k=v", "restore test done x 2026-01-01",
		"診断", "復元テスト完了 fs01", "<@U1|x>", "run a で b =", "\u3000\u3000help", "diagnose 0x0 0x1"} {
		f.Add(s)
	}
	known := map[Verb]bool{VerbLookup: true, VerbDiagnose: true, VerbRun: true, VerbFix: true, VerbAudit: true, VerbRestoreTest: true,
		VerbRunbooks: true, VerbGuide: true, VerbHistory: true, VerbStatus: true, VerbCancel: true, VerbServers: true, VerbHelp: true,
		VerbUsage: true, VerbUnknown: true}
	f.Fuzz(func(t *testing.T, text string) {
		c := Parse(text)
		if !known[c.Verb] {
			t.Fatalf("Parse(%q) verb %q", text, c.Verb)
		}
		if (c.Verb == VerbUsage) != (c.Usage != "") {
			t.Fatalf("Parse(%q) = %+v: usage without VerbUsage or the reverse", text, c)
		}
		if c.Suggest != "" && c.Verb != VerbUnknown {
			t.Fatalf("Parse(%q) = %+v: a suggestion for a known command", text, c)
		}
		if utf8.ValidString(text) {
			if diff := cmp.Diff(c, Parse(Normalize(text)), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Parse(%q) differs from Parse(Normalize(...)):\n%s", text, diff)
			}
		}
		if c.Verb == VerbRun && strings.ContainsAny(c.Runbook+c.Server, " \t\n") {
			t.Fatalf("Parse(%q): run names with spaces %+v", text, c)
		}
	})
}
