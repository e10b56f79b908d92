package checklists

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestBundled(t *testing.T) {
	cl, err := Bundled()
	if err != nil {
		t.Fatal(err)
	}
	if cl.ID != "five-rules" || cl.Title.EN == "" || cl.Title.JA == "" {
		t.Errorf("checklist %q title %+v", cl.ID, cl.Title)
	}
	want := []string{RuleBMR, RuleSeparateDisk, Rule321, RuleAVExclusion, RuleRestoreTest}
	if diff := cmp.Diff(want, cl.RuleIDs()); diff != "" {
		t.Errorf("rule ids (-want +got):\n%s", diff)
	}
	for _, r := range cl.Rules {
		if r.Title.EN == "" || r.Title.JA == "" || r.Fix.EN == "" || r.Fix.JA == "" || r.Description == "" || r.eval == nil {
			t.Errorf("rule %s incomplete: %+v", r.ID, r)
		}
	}
}

func TestLoadProblems(t *testing.T) {
	base, err := os.ReadFile("bundled/five-rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// cut removes the rule with the given id from the bundled file.
	cut := func(id string) string {
		s := string(base)
		i := strings.Index(s, "  - id: "+id+"\n")
		j := strings.Index(s[i+1:], "  - id: ")
		if j < 0 {
			return s[:i]
		}
		return s[:i] + s[i+1+j:]
	}
	extra := string(base) + "  - id: encrypt\n    title: {en: Encrypted, ja: 暗号化}\n    fix: {en: Encrypt, ja: 暗号化する}\n"
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{name: "rule without Go logic", yaml: extra, want: []string{`rules[5] (encrypt): no Go logic for this rule`}},
		{name: "Go logic without rule", yaml: cut("av-exclusion"), want: []string{`rule "av-exclusion" has Go logic but is missing from the checklist`}},
		{name: "duplicate rule", yaml: string(base) + "  - id: bmr\n    title: {en: a, ja: b}\n    fix: {en: a, ja: b}\n", want: []string{"rules[5] (bmr): duplicate rule id"}},
		{name: "unknown key", yaml: strings.Replace(string(base), "    description:", "    descripton:", 1), want: []string{"descripton"}},
		{name: "wrong kind and no id", yaml: strings.Replace(strings.Replace(string(base), "kind: checklist", "kind: runbook", 1), "id: five-rules", "id: \"\"", 1),
			want: []string{`kind is "runbook", want "checklist"`, "id is required"}},
		{name: "missing translation", yaml: strings.Replace(string(base), "      ja: \"「ベアメタル回復」がバックアップ設定に含まれている\"\n", "", 1),
			want: []string{"rules[0] (bmr): title needs both en and ja"}},
		{name: "not YAML", yaml: "kind: [", want: []string{"test.yaml"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cl, err := Load("test.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("Load succeeded: %v", cl.RuleIDs())
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
