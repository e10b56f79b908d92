package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/runbooks"
)

// TestWriteJSONMatchesEncoder: writeJSON prints exactly what an Encoder
// with SetIndent("", "  ") and no HTML escaping prints.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	type row struct {
		Path  string         `json:"path"`
		Note  string         `json:"note,omitempty"`
		Sizes []int          `json:"sizes"`
		Extra map[string]any `json:"extra"`
	}
	values := []any{
		nil, 0, "x", []string{}, map[string]int{},
		[]row{{Path: `C:\a<b>&c`, Sizes: []int{1, 2}, Extra: map[string]any{"z": []any{}, "a": map[string]any{"k": "\u2028 \"q\""}}}, {Path: "", Note: "日本語"}},
	}
	for _, v := range values {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeJSON(&got, v); err != nil {
			t.Fatalf("writeJSON(%v): %v", v, err)
		}
		if got.String() != want.String() {
			t.Errorf("writeJSON(%#v) =\n%s\nwant\n%s", v, got.String(), want.String())
		}
	}
	if err := writeJSON(&bytes.Buffer{}, func() {}); err == nil {
		t.Error("writeJSON of a func: no error")
	}
}

// TestWriteAuditJSONMatchesWriteJSON: audit --json, printed a finding at a
// time, is byte for byte what writeJSON prints for the same output (no
// findings, nil findings, findings with characters JSON escapes or
// writeJSON leaves unescaped, a summary with counts by rule).
func TestWriteAuditJSONMatchesWriteJSON(t *testing.T) {
	f := func(target, rule string, st checklists.Status, en, ja string) checklists.Finding {
		return checklists.Finding{Target: target, Rule: rule, Status: st,
			Evidence: runbooks.Text{EN: en, JA: ja}, Fix: runbooks.Text{EN: "run <wbadmin> & \"x\"", JA: "実行\u2028", Translated: runbooks.LangJA}}
	}
	findings := []checklists.Finding{
		f("srv-1", "bmr", checklists.Pass, `C:\a<b>&c`, "日本語"),
		f("srv-1", "3-2-1", checklists.Fail, "tab\there\nnew line", ""),
		f("srv-2", "restore-test", checklists.Unknown, "", "\x01"),
	}
	outs := []auditOutput{
		{AuditID: "r00001", Findings: findings, Summary: checklists.Summarize([]checklists.Report{{Target: "srv-1", Findings: findings}})},
		{AuditID: "r00002", Findings: []checklists.Finding{}},
		{AuditID: "", Findings: nil, Summary: checklists.Summary{ByRule: map[string]checklists.Counts{}}},
		{AuditID: "r3", Findings: findings[:1]},
	}
	for i, out := range outs {
		var want, got bytes.Buffer
		if err := writeJSON(&want, out); err != nil {
			t.Fatal(err)
		}
		if err := writeAuditJSON(&got, out); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("output %d:\n%s\nwant\n%s", i, got.String(), want.String())
		}
	}
}
