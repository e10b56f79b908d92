package runbooks

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

func TestExplainOutcomes(t *testing.T) {
	set, err := LoadBundled()
	if err != nil {
		t.Fatalf("LoadBundled: %v", err)
	}
	var empty *Catalogue
	type summary struct {
		Outcome, Family  string
		Known, Verified  bool
		HasTitle, HasMsg bool
	}
	tests := []struct {
		name string
		cat  *Catalogue
		code hresult.Code
		lang Lang
		want summary
	}{
		{"known", set.Catalogue, 0x80780119, LangEN, summary{OutcomeKnown, "wsb", true, true, true, false}},
		{"unknown", set.Catalogue, 0x80789999, LangEN, summary{OutcomeUnknown, "wsb", false, false, true, false}},
		{"success from the catalogue", set.Catalogue, 0, LangEN, summary{OutcomeSuccess, "success", true, true, true, true}},
		{"success from the catalogue ja", set.Catalogue, 0, LangJA, summary{OutcomeSuccess, "success", true, true, true, true}},
		{"success without a catalogue", empty, 0, LangEN, summary{OutcomeSuccess, "success", false, false, true, false}},
		{"success without a catalogue ja", empty, 0, LangJA, summary{OutcomeSuccess, "success", false, false, true, false}},
		{"vhd family", set.Catalogue, 0xC03A0005, LangEN, summary{OutcomeKnown, "vhd", true, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.cat.Explain(tt.code, tt.lang)
			got := summary{x.Outcome, x.Family, x.Known, x.Verified, x.Title != "", x.Message != ""}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Explain(%s, %s) mismatch (-want +got):\n%s", tt.code, tt.lang, diff)
			}
			if x.Outcome == OutcomeSuccess {
				for _, s := range []string{x.Title, x.FirstAction, x.FamilyName} {
					if strings.Contains(strings.ToLower(s), "unknown") || strings.Contains(s, "未登録") {
						t.Errorf("success reported as unknown: %q", s)
					}
				}
			}
		})
	}
}
