package render

import (
	"bytes"
	"testing"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/langcheck"
	"github.com/wsbbot/wsbbot/runbooks"
)

// TestJapaneseHasNoEnglish: a Japanese reader never reads an English
// sentence: not in the lookup of any catalogue code or sign, not for an
// unknown code of any family, not in any guide or runbook description.
func TestJapaneseHasNoEnglish(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	check := func(what, text string) {
		t.Helper()
		for _, s := range langcheck.EnglishSentences(text) {
			t.Errorf("%s: English in the Japanese reply: %q", what, s)
		}
	}
	for _, e := range set.Catalogue.Entries() {
		var b bytes.Buffer
		Explanation(&b, set.Catalogue.Explain(e.Code, runbooks.LangJA))
		check(e.Code.String(), b.String())
	}
	for _, s := range set.Catalogue.Signs() {
		var b bytes.Buffer
		Explanations(&b, set.Catalogue.ExplainText(s.Event.Provider+" Event ID: 50 "+firstMatch(s), runbooks.LangJA), runbooks.LangJA)
		check(s.ID, b.String())
	}
	for _, c := range []hresult.Code{0x80780999, 0x80042999, 0x80079999, 0x80009999, 0x81009999, 0x000000AB, 0xC03A9999, 0xDEADBEEF, 0} {
		var b bytes.Buffer
		Explanations(&b, set.Catalogue.ExplainText("WinRE "+c.String(), runbooks.LangJA), runbooks.LangJA)
		Explanation(&b, set.Catalogue.Explain(c, runbooks.LangJA))
		check("unknown "+c.String(), b.String())
	}
	for _, rb := range set.Runbooks() {
		var b bytes.Buffer
		Guide(&b, rb, runbooks.LangJA)
		check(rb.ID, b.String())
	}
	var b bytes.Buffer
	if err := Runbooks(&b, set.Runbooks(), runbooks.LangJA); err != nil {
		t.Fatal(err)
	}
	check("runbooks list", b.String())
}

func firstMatch(s *runbooks.Sign) string {
	if len(s.Match.EN) > 0 {
		return s.Match.EN[0]
	}
	if len(s.Match.JA) > 0 {
		return s.Match.JA[0]
	}
	return ""
}
