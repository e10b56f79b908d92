package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/runbooks"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/lookup")

// lookupCase is one file of testdata/lookup: a text from a public source
// (cited on its source: line), what must be recognised in it (expect:
// lines, "CODE-or-SIGN how"; "none" for nothing), then after "---" the
// text as pasted.
type lookupCase struct {
	name, source, text string
	expect             []string
}

func readLookupCases(t *testing.T) []lookupCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "lookup", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no lookup cases: %v", err)
	}
	var out []lookupCase
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		head, text, ok := strings.Cut(string(b), "\n---\n")
		if !ok {
			t.Fatalf("%s: no --- line between the header and the text", f)
		}
		c := lookupCase{name: strings.TrimSuffix(filepath.Base(f), ".txt"), text: strings.TrimRight(text, "\n")}
		for _, line := range strings.Split(head, "\n") {
			k, v, _ := strings.Cut(line, ":")
			switch strings.TrimSpace(k) {
			case "source":
				c.source = strings.TrimSpace(v)
			case "expect":
				if v = strings.TrimSpace(v); v != "none" {
					c.expect = append(c.expect, v)
				}
			}
		}
		if c.source == "" {
			t.Fatalf("%s: every case cites its source", f)
		}
		out = append(out, c)
	}
	return out
}

// TestLookupGolden answers real pasted texts in both languages: what is
// recognised and how (the expect: lines), and the whole reply against its
// golden file (go test ./render -run LookupGolden -update rewrites them;
// review the diff).
func TestLookupGolden(t *testing.T) {
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range readLookupCases(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, lang := range []runbooks.Lang{runbooks.LangEN, runbooks.LangJA} {
				xs := set.Catalogue.ExplainText(c.text, lang)
				var got []string
				for _, x := range xs {
					id := x.Code
					if id == "" {
						id = x.Sign
					}
					got = append(got, id+" "+x.MatchedBy)
				}
				if strings.Join(got, "; ") != strings.Join(c.expect, "; ") {
					t.Errorf("%s: recognised %q, want %q", lang, got, c.expect)
				}
				var b bytes.Buffer
				Explanations(&b, xs, lang)
				golden := filepath.Join("testdata", "lookup", c.name+"."+string(lang)+".golden")
				if *update {
					if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run with -update to write it)", err)
				}
				if b.String() != string(want) {
					t.Errorf("%s reply differs from %s:\n--- got\n%s\n--- want\n%s", lang, golden, b.String(), want)
				}
			}
		})
	}
}
