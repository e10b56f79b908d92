package oncall

import (
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/runbooks"
)

// TestConclusion: the first line says what is wrong, where, and what next,
// in each language, and never "expected X" backwards.
func TestConclusion(t *testing.T) {
	failedWriters := &runbooks.Result{Runbook: "diag-vss-writers", Status: runbooks.RunFailed, Steps: []runbooks.StepResult{{
		Expectations: []runbooks.Verdict{
			{Message: runbooks.Text{EN: "vssadmin lists at least one writer", JA: "ライターが 1 つ以上ある"}, OK: true},
			{Message: runbooks.Text{EN: "every writer is [1] Stable", JA: "すべてのライターが [1] 安定"},
				Detail: "SqlServerWriter [8] Failed, service: SQLWriter", DetailJA: "SqlServerWriter [8] Failed、サービス: SQLWriter"},
		}}}}
	ok := &runbooks.Result{Runbook: "diag-event-log", Status: runbooks.RunSucceeded}
	unreachable := &runbooks.Result{Runbook: "diag-wsb-summary", Status: runbooks.RunFailed, Error: "connection refused"}
	fix := &runbooks.Explanation{Code: "0x800423F4", Known: true, Runbooks: runbooks.RunbookRefs{Fix: []string{"vss-writer-restart"}}}
	guide := &runbooks.Explanation{Code: "0x0000007B", Known: true, Runbooks: runbooks.RunbookRefs{Guide: []string{"guide-dism-driver"}}}
	tests := []struct {
		name   string
		d      Diagnosis
		x      *runbooks.Explanation
		en, ja string
	}{
		{"fix", Diagnosis{Server: "fs01", Results: []*runbooks.Result{ok, failedWriters}}, fix,
			"fs01: SqlServerWriter [8] Failed, service: SQLWriter → fix: vss-writer-restart",
			"fs01: SqlServerWriter [8] Failed、サービス: SQLWriter → 修復: vss-writer-restart"},
		{"guide", Diagnosis{Server: "fs01", Results: []*runbooks.Result{unreachable}}, guide,
			"fs01: connection refused → guide: guide-dism-driver", "fs01: connection refused → ガイド: guide-dism-driver"},
		{"first action", Diagnosis{Server: "fs01", Results: []*runbooks.Result{failedWriters}}, &runbooks.Explanation{Code: "0x80070057", Known: true},
			"fs01: SqlServerWriter [8] Failed, service: SQLWriter → first action of 0x80070057 below",
			"fs01: SqlServerWriter [8] Failed、サービス: SQLWriter → 下の 0x80070057 の最初の対処"},
		{"healthy", Diagnosis{Server: "fs01", Results: []*runbooks.Result{ok}}, fix,
			"fs01: no problem found by 1 checks; nothing to fix now.", "fs01: 1 件の診断で問題は見つかりませんでした。いま修復するものはありません。"},
		{"nothing ran", Diagnosis{Server: "fs01"}, nil,
			"fs01: nothing was checked (no diagnostic runbook applies).", "fs01: 何も確認していません（該当する診断ランブックがありません）。"},
	}
	for _, tt := range tests {
		if got := tt.d.Conclusion(tt.x, runbooks.LangEN); got != tt.en {
			t.Errorf("%s: en %q, want %q", tt.name, got, tt.en)
		}
		if got := tt.d.Conclusion(tt.x, runbooks.LangJA); got != tt.ja {
			t.Errorf("%s: ja %q, want %q", tt.name, got, tt.ja)
		}
	}
	long := &runbooks.Result{Status: runbooks.RunFailed, Error: strings.Repeat("x", 500)}
	if got := (&Diagnosis{Server: "s", Results: []*runbooks.Result{long}}).Conclusion(fix, runbooks.LangEN); len([]rune(got)) > 150 {
		t.Errorf("conclusion of %d runes does not fit a title: %q", len([]rune(got)), got)
	}
}
