package runbooks

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestRefsAllAndTexts(t *testing.T) {
	r := Refs{Diagnose: []string{"a", "b"}, Fix: []string{"c", "a"}, Guide: []string{"d"}}
	if diff := cmp.Diff([]string{"a", "b", "c", "d"}, r.All()); diff != "" {
		t.Errorf("All (-want +got):\n%s", diff)
	}
	if got := (Refs{}).All(); len(got) != 0 {
		t.Errorf("empty All = %v", got)
	}
	tx := Text{EN: "en text"}
	if tx.In(LangEN) != "en text" || tx.In(LangJA) != "" || tx.In("fr") != "" {
		t.Errorf("Text.In falls back or misses: %q %q", tx.In(LangEN), tx.In(LangJA))
	}
	m := Message{JA: "日本語"}
	if s, ok := m.In(LangJA); !ok || s != "日本語" {
		t.Errorf("Message.In(ja) = %q, %v", s, ok)
	}
	if s, ok := m.In(LangEN); ok || s != "" {
		t.Errorf("Message.In(en) = %q, %v; want none", s, ok)
	}
}

func TestNilCatalogue(t *testing.T) {
	var c *Catalogue
	if _, ok := c.Lookup(1); ok || c.Len() != 0 || c.Entries() != nil {
		t.Error("nil catalogue is not empty")
	}
}

// TestUnknownCodeDiagnosticsComeFromTheCatalogue: an unknown code gets the
// diagnostics the catalogue links to most codes of its family, so an
// operator's entries change the suggestion (no runbook id is written in Go).
func TestUnknownCodeDiagnosticsComeFromTheCatalogue(t *testing.T) {
	withDiag := func(code, family, diag string) string {
		id := strings.ToLower(strings.TrimPrefix(code, "0x"))
		return strings.Replace(entryYAML(code, family), "diagnose: [diag-"+id+"]", "diagnose: ["+diag+"]", 1)
	}
	fsys := fstest.MapFS{"c.yaml": {Data: []byte(catalogueYAML(
		withDiag("0x80780001", "wsb", "diag-a, diag-b"),
		withDiag("0x80780002", "wsb", "diag-b"),
		withDiag("0x80780003", "wsb", "diag-b, diag-c"),
		withDiag("0x80042301", "vss", "diag-v"),
	))}}
	set, probs := Load(Source{Name: "ops", FS: fsys})
	if errs := probs.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	bundled, err := LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cat  *Catalogue
		code string
		want []string
	}{
		{"wsb: named by half or more, most named first", set.Catalogue, "0x80789999", []string{"diag-b"}},
		{"vss family", set.Catalogue, "0x800423FE", []string{"diag-v"}},
		{"family without entries: the whole catalogue", set.Catalogue, "0x80070005", []string{"diag-b"}},
		{"bundled wsb", bundled.Catalogue, "0x80789999", []string{"diag-wsb-summary", "diag-event-log", "diag-shadow-storage", "diag-vss-writers"}},
		{"bundled vss", bundled.Catalogue, "0x800423FE", []string{"diag-event-log", "diag-vss-writers"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := tt.cat.Explain(mustCode(t, tt.code), LangEN)
			if x.Known {
				t.Fatalf("%s is in the catalogue; the test needs an unknown code", tt.code)
			}
			if diff := cmp.Diff(tt.want, x.Runbooks.Diagnose); diff != "" {
				t.Errorf("diagnose runbooks (-want +got):\n%s", diff)
			}
		})
	}
}
