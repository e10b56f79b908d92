package runbooks

import (
	"testing"

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
