package checklists

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/wsbbot/wsbbot/runbooks"
)

// BenchmarkFindingsJSON encodes one server's five findings, as an audit's
// record and its --json output do for every server.
func BenchmarkFindingsJSON(b *testing.B) {
	var findings []Finding
	for _, rule := range []string{"bmr", "separate-disk", "3-2-1", "av-exclusion", "restore-test"} {
		findings = append(findings, Finding{Target: "srv-0001", Rule: rule, Status: Fail,
			Evidence: runbooks.Text{EN: "the backup policy does not include bare-metal recovery (BMR: False)", JA: "バックアップポリシーにベアメタル回復が含まれていません(BMR: False)"},
			Fix:      runbooks.Text{EN: "wbadmin enable backup -allCritical", JA: "wbadmin enable backup -allCritical を実行します", Translated: runbooks.LangJA}})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(findings); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseFacts reads one server's collected facts (the lab's
// healthy host), as the audit does for every server.
func BenchmarkParseFacts(b *testing.B) {
	data, err := os.ReadFile("testdata/healthy-facts.json")
	if err != nil {
		b.Fatal(err)
	}
	stdout := string(data)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFacts(stdout); err != nil {
			b.Fatal(err)
		}
	}
}
