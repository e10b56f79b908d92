package runbooks

import (
	"io/fs"
	"strings"
	"testing"
)

// TestBundledCatalogue checks the catalogue shipped in the binary: it loads
// without errors, is large enough, is bilingual, and holds the guide's codes.
func TestBundledCatalogue(t *testing.T) {
	set, err := LoadBundled()
	if err != nil {
		t.Fatalf("LoadBundled: %v", err)
	}
	_, ps := Load(Source{Name: "bundled", FS: Bundled()})
	for _, p := range ps.Warnings() {
		if !strings.Contains(p.Msg, "is not written yet") {
			t.Errorf("unexpected warning in bundled YAML: %v", p)
		}
	}
	c := set.Catalogue
	if c.Len() < 25 {
		t.Errorf("bundled catalogue has %d codes, want at least 25", c.Len())
	}
	for _, e := range c.Entries() {
		for name, tx := range map[string]Text{"title": e.Title, "cause": e.Cause, "first_action": e.FirstAction} {
			if strings.TrimSpace(tx.In(LangEN)) == "" || strings.TrimSpace(tx.In(LangJA)) == "" {
				t.Errorf("%s (%s:%d): %s lacks a language: %+v", e.Code, e.File, e.Line, name, tx)
			}
		}
		if len(e.Runbooks.Diagnose) == 0 {
			t.Errorf("%s: no diagnose runbook", e.Code)
		}
		if !strings.HasPrefix(e.File, "bundled/") {
			t.Errorf("%s: file %q does not name the bundled source", e.Code, e.File)
		}
	}
	for _, s := range []string{"0x800423F4", "0x80780119", "0x807800C5", "0x80780166"} {
		e, ok := c.Lookup(mustCode(t, s))
		switch {
		case !ok:
			t.Errorf("guide code %s missing from the bundled catalogue", s)
		case !e.InGuide:
			t.Errorf("guide code %s has in_guide false", s)
		}
	}
}

func TestBundledFSLayout(t *testing.T) {
	matches, err := fs.Glob(Bundled(), "catalogue/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(matches) == 0 {
		t.Fatal("no catalogue/*.yaml in the embedded bundled directory")
	}
}
