package runbooks

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/internal/hresult"
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

// TestCatalogueHonesty pins the verified marks the sources support: codes
// whose meaning or WSB cause no source confirms must not claim otherwise.
func TestCatalogueHonesty(t *testing.T) {
	set, err := LoadBundled()
	if err != nil {
		t.Fatalf("LoadBundled: %v", err)
	}
	notVerified := []hresult.Code{
		0x80070057, 0x80070001, 0x80070539, // their notes say the cause is unverified
		0x807800C5, 0x80780166, 0x80780021, // WSB codes without a Microsoft text
	}
	for _, c := range notVerified {
		e, ok := set.Catalogue.Lookup(c)
		switch {
		case !ok:
			t.Errorf("%s missing from the bundled catalogue", c)
		case e.Verified:
			t.Errorf("%s is marked verified; its sources do not verify it (%s)", c, e.Verification)
		}
	}
	// Titles of codes Microsoft has not explained say so, in both languages.
	for _, c := range []hresult.Code{0x807800C5, 0x80780021} {
		e, _ := set.Catalogue.Lookup(c)
		if !strings.Contains(e.Title.EN, "not confirmed by Microsoft") || !strings.Contains(e.Title.JA, "Microsoft による意味の確認はない") {
			t.Errorf("%s title does not say its meaning is unconfirmed: %+v", c, e.Title)
		}
	}
	// 0x80070001 names both documented cases, and no longer heads with one.
	e, _ := set.Catalogue.Lookup(0x80070001)
	for _, s := range []string{"FAT", "110 characters"} {
		if !strings.Contains(e.Cause.EN, s) {
			t.Errorf("0x80070001 cause lacks %q", s)
		}
	}
	if strings.Contains(e.Title.EN, "long network path") {
		t.Errorf("0x80070001 title still presents one blog's cause: %q", e.Title.EN)
	}
	if e.Message.JA != "ファンクションが間違っています。" {
		t.Errorf("0x80070001 ja message = %q", e.Message.JA)
	}
	// Every entry that gives a message says where it comes from.
	for _, e := range set.Catalogue.Entries() {
		if len(e.Sources) == 0 || strings.TrimSpace(e.Verification) == "" {
			t.Errorf("%s has no sources or verification", e.Code)
		}
	}
}

// TestBundledCatalogueIncidentCodes checks that the codes real incidents
// showed and the catalogue once lacked are known.
func TestBundledCatalogueIncidentCodes(t *testing.T) {
	set, err := LoadBundled()
	if err != nil {
		t.Fatalf("LoadBundled: %v", err)
	}
	for _, c := range []hresult.Code{0x80780021, 0x8007001F, 0xC03A0005, 0x80070070, 0x80070002, 0} {
		if _, ok := set.Catalogue.Lookup(c); !ok {
			t.Errorf("%s missing from the bundled catalogue", c)
		}
	}
}
