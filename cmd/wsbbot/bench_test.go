package main

import (
	"fmt"
	"io"
	"testing"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/runbooks"
)

// BenchmarkAuditJSON prints the --json output of an audit of 1,000
// servers (5,000 findings): a finding at a time (writeAuditJSON, what
// audit uses) and the whole document at once (writeJSON).
func BenchmarkAuditJSON(b *testing.B) {
	var reports []checklists.Report
	var findings []checklists.Finding
	for i := range 1000 {
		r := checklists.Report{Target: fmt.Sprintf("srv-%04d", i)}
		for _, rule := range []string{"bmr", "separate-disk", "3-2-1", "av-exclusion", "restore-test"} {
			r.Findings = append(r.Findings, checklists.Finding{Target: r.Target, Rule: rule, Status: checklists.Fail,
				Evidence: runbooks.Text{EN: "the backup policy does not include bare-metal recovery (BMR: False)", JA: "バックアップポリシーにベアメタル回復が含まれていません(BMR: False)"},
				Fix:      runbooks.Text{EN: "wbadmin enable backup -allCritical", JA: "wbadmin enable backup -allCritical を実行します"}})
		}
		reports = append(reports, r)
		findings = append(findings, r.Findings...)
	}
	out := auditOutput{AuditID: "r00001", Findings: findings, Summary: checklists.Summarize(reports)}
	for _, w := range []struct {
		name  string
		write func(io.Writer, auditOutput) error
	}{
		{"stream", writeAuditJSON},
		{"whole", func(w io.Writer, o auditOutput) error { return writeJSON(w, o) }},
	} {
		b.Run(w.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := w.write(io.Discard, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
