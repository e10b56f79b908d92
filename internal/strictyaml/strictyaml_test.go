package strictyaml

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type testText struct {
	EN string `yaml:"en"`
	JA string `yaml:"ja"`
}

type testEntry struct {
	Code     string   `yaml:"code"`
	Title    testText `yaml:"title"`
	Verified *bool    `yaml:"verified"`
	Count    int      `yaml:"count"`
	Tags     []string `yaml:"tags"`
}

type testFile struct {
	Kind  string      `yaml:"kind"`
	Codes []testEntry `yaml:"codes"`
}

func strs(ps Problems) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.String())
	}
	return out
}

func TestDecodeProblems(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{
			name: "clean",
			in:   "kind: catalogue\ncodes:\n  - code: a\n    title: {en: x, ja: y}\n",
			want: []string{},
		},
		{
			name: "unknown keys at every depth in one call",
			in: `kind: catalogue
colour: red
codes:
  - code: a
    titel: x
    title:
      en: x
      jp: y
  - code: b
    title: {en: x, fr: z}
    extra: 1
`,
			want: []string{
				`f.yaml:2: unknown key "colour" at top level (known keys: codes, kind)`,
				`f.yaml:5: unknown key "titel" in codes[0]; did you mean "title"?`,
				`f.yaml:8: unknown key "jp" in codes[0].title; did you mean "ja"?`,
				`f.yaml:10: unknown key "fr" in codes[1].title (known keys: en, ja)`,
				`f.yaml:11: unknown key "extra" in codes[1] (known keys: code, count, tags, title, verified)`,
			},
		},
		{
			name: "type mismatches",
			in: `codes:
  - code: a
    verified: maybe
    count: twelve-and-a-half
    tags: {a: 1}
  - title: [x]
    count: 3
`,
			want: []string{
				`f.yaml:3: codes[0].verified: expected a boolean (true or false), got string "maybe"`,
				`f.yaml:4: codes[0].count: expected an integer, got string "twelve-and-a-half"`,
				`f.yaml:5: codes[0].tags: expected a list, got a mapping`,
				`f.yaml:6: codes[1].title: expected a mapping, got a list`,
			},
		},
		{
			name: "top level of the wrong type",
			in:   "- a\n- b\n",
			want: []string{`f.yaml:1: top level: expected a mapping, got a list`},
		},
		{
			name: "syntax error gives its line",
			in:   "kind: catalogue\ncodes:\n  - code: a\n    title: {en: x\n",
			want: []string{`f.yaml:4: did not find expected ',' or '}'`},
		},
		{
			name: "mapping value in wrong place",
			in:   "kind: catalogue\ncodes: a: b\n",
			want: []string{`f.yaml:2: mapping values are not allowed in this context`},
		},
		{
			name: "tab indentation",
			in:   "kind: catalogue\ncodes:\n\t- code: a\n",
			want: []string{`f.yaml:3: found character that cannot start any token (the line is indented with a tab; YAML allows only spaces for indentation)`},
		},
		{
			name: "duplicate keys everywhere, even in mappings yaml.v3 stops at",
			in:   "kind: a\nkind: b\ncodes:\n  - code: x\n    code: y\n    title: {en: a, en: b}\n",
			want: []string{
				`f.yaml:2: duplicate key "kind" at top level (first defined at line 1)`,
				`f.yaml:5: duplicate key "code" in codes[0] (first defined at line 4)`,
				`f.yaml:6: duplicate key "en" in codes[0].title (first defined at line 6)`,
			},
		},
		{
			name: "empty file",
			in:   "",
			want: []string{`f.yaml: file is empty: it holds no YAML document`},
		},
		{
			name: "only comments",
			in:   "# nothing here\n\n",
			want: []string{`f.yaml: file is empty: it holds no YAML document`},
		},
		{
			name: "null document",
			in:   "---\n~\n",
			want: []string{`f.yaml:1: document is empty`},
		},
		{
			name: "two documents",
			in:   "kind: catalogue\n---\nkind: other\n",
			want: []string{`f.yaml:2: a second YAML document starts here; a file must hold exactly one document`},
		},
		{
			name: "broken second document",
			in:   "kind: catalogue\n---\nkind: [\n",
			want: []string{`f.yaml:4: did not find expected node content`}, // end of input
		},
		{
			name: "unknown anchor",
			in:   "kind: catalogue\ncodes: *nope\n",
			want: []string{`f.yaml:2: unknown anchor 'nope' referenced`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v testFile
			d, ps := Decode("f.yaml", []byte(tt.in), &v)
			if d == nil {
				t.Fatal("Decode returned a nil Doc")
			}
			if diff := cmp.Diff(tt.want, strs(ps)); diff != "" {
				t.Errorf("problems (-want +got):\n%s", diff)
			}
			for _, p := range ps {
				if p.Severity != Error {
					t.Errorf("problem %q has severity %v, want error", p, p.Severity)
				}
			}
		})
	}
}

// TestSyntaxLines checks the line corrections for yaml.v3's parser (0-based,
// omitted on line 1), scanner (omitted on line 1) and reader (no line) errors.
func TestSyntaxLines(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"a: b\n  c: d\n", "f.yaml:2: mapping values are not allowed in this context"},
		{"x: \"\\q\"\n", "f.yaml:1: found unknown escape character"},
		{"x: 1\ny: \"\\q\"\n", "f.yaml:2: found unknown escape character"},
		{"- a\nb: c\n", "f.yaml:2: did not find expected '-' indicator"},
		{"a: 1\nb: 2\n- c\n", "f.yaml:3: did not find expected key"},
		{"a:\n  b: c\n d: e\n", "f.yaml:3: did not find expected key"},
		{"x: !foo!bar x\n", "f.yaml:1: found undefined tag handle"},
		{"x: 1\ny: !foo!bar x\n", "f.yaml:2: found undefined tag handle"},
		{"x: 1\n%YAML 1.2\n", "f.yaml:2: found incompatible YAML document"},
		{"a: 1\n\n\nb: \x01\n", "f.yaml:4: control characters are not allowed"},
		{"a: 1\nb: \xff\n", "f.yaml:2: invalid leading UTF-8 octet"},
		{"a: 1\n\n\n? [a\n", "f.yaml:4: did not find expected ',' or ']'"},
	}
	for _, tt := range tests {
		_, ps := Parse("f.yaml", []byte(tt.in))
		if diff := cmp.Diff([]string{tt.want}, strs(ps)); diff != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestDecodeFillsValueDespiteUnknownKeys(t *testing.T) {
	in := "kind: catalogue\ncodes:\n  - code: a\n    bogus: 1\n    verified: true\n    title: {en: E, ja: J}\n    tags: [x, y]\n"
	var got testFile
	_, ps := Decode("f.yaml", []byte(in), &got)
	if diff := cmp.Diff([]string{`f.yaml:4: unknown key "bogus" in codes[0] (known keys: code, count, tags, title, verified)`}, strs(ps)); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
	yes := true
	want := testFile{Kind: "catalogue", Codes: []testEntry{{Code: "a", Verified: &yes, Title: testText{EN: "E", JA: "J"}, Tags: []string{"x", "y"}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded (-want +got):\n%s", diff)
	}
}

const lineDoc = `kind: catalogue
base: &base
  en: shared
codes:
  - code: "0x800423F4"
    title:
      <<: *base
      ja: 日本語
    runbooks:
      diagnose: [diag-a, diag-b]
      fix:
        - fix-a
        - fix-b
  - code: "0x80780119"
    alias: *base
`

func TestLine(t *testing.T) {
	d, ps := Parse("f.yaml", []byte(lineDoc))
	if len(ps) != 0 {
		t.Fatalf("Parse problems: %v", ps)
	}
	tests := []struct {
		path []any
		want int
	}{
		{nil, 1},
		{[]any{"kind"}, 1},
		{[]any{"codes"}, 4},
		{[]any{"codes", 0}, 5},
		{[]any{"codes", 0, "title"}, 6},
		{[]any{"codes", 0, "title", "ja"}, 8},
		{[]any{"codes", 0, "title", "en"}, 3}, // through the merge key
		{[]any{"codes", 0, "runbooks", "diagnose", 1}, 10},
		{[]any{"codes", 0, "runbooks", "fix", 0}, 12},
		{[]any{"codes", 0, "runbooks", "fix", 1}, 13},
		{[]any{"codes", 0, "runbooks", "fix", 2}, 11},  // missing index: the "fix" key
		{[]any{"codes", 0, "runbooks", "guide", 0}, 9}, // missing key: the "runbooks" key
		{[]any{"codes", 1, "alias", "en"}, 3},          // through the alias
		{[]any{"codes", 7, "title"}, 4},
		{[]any{"codes", "x"}, 4},
		{[]any{"nope"}, 1},
		{[]any{"kind", 0}, 1},
		{[]any{3.5}, 1},
	}
	for _, tt := range tests {
		if got := d.Line(tt.path...); got != tt.want {
			t.Errorf("Line(%v) = %d, want %d", tt.path, got, tt.want)
		}
	}
	if p := d.Problem(Warning, "w", "codes", 0, "runbooks", "fix", 1); p != (Problem{File: "f.yaml", Line: 13, Severity: Warning, Msg: "w"}) {
		t.Errorf("Problem = %#v", p)
	}
	if n := d.Node("codes", 0, "runbooks", "fix", 1); n == nil || n.Value != "fix-b" {
		t.Errorf("Node(fix 1) = %v, want fix-b", n)
	}
	if n := d.Node("codes", 0, "runbooks", "guide"); n != nil {
		t.Errorf("Node(missing) = %v, want nil", n)
	}
}

func TestLineWithoutDocument(t *testing.T) {
	d, ps := Parse("f.yaml", []byte("a: [\n"))
	if len(ps) != 1 {
		t.Fatalf("want one syntax problem, got %v", ps)
	}
	if got := d.Line("a"); got != 0 {
		t.Errorf("Line on unparsed doc = %d, want 0", got)
	}
	var nilDoc *Doc
	if got := nilDoc.Line("a"); got != 0 {
		t.Errorf("Line on nil doc = %d, want 0", got)
	}
	if got := nilDoc.Problem(Error, "m"); got.String() != "m" {
		t.Errorf("nil doc Problem = %q", got)
	}
	if ps := d.Decode(&testFile{}); ps != nil {
		t.Errorf("Decode of unparsed doc = %v, want nothing", ps)
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "a.yaml", Line: 3, Msg: "bad"}, "a.yaml:3: bad"},
		{Problem{File: "a.yaml", Line: 3, Severity: Warning, Msg: "meh"}, "a.yaml:3: warning: meh"},
		{Problem{File: "a.yaml", Msg: "empty"}, "a.yaml: empty"},
		{Problem{File: "a.yaml", Severity: Warning, Msg: "meh"}, "a.yaml: warning: meh"},
		{Problem{Msg: "nowhere"}, "nowhere"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	if Error.String() != "error" || Warning.String() != "warning" {
		t.Errorf("Severity strings: %v %v", Error, Warning)
	}
}

func TestProblemsErr(t *testing.T) {
	w := Problem{File: "a.yaml", Line: 1, Severity: Warning, Msg: "w"}
	e1 := Problem{File: "a.yaml", Line: 2, Msg: "e1"}
	e2 := Problem{File: "b.yaml", Line: 5, Msg: "e2"}

	if err := (Problems{w, w}).Err(); err != nil {
		t.Errorf("warnings only: Err() = %v, want nil", err)
	}
	if err := Problems(nil).Err(); err != nil {
		t.Errorf("no problems: Err() = %v, want nil", err)
	}
	ps := Problems{w, e1, e2}
	err := ps.Err()
	if err == nil {
		t.Fatal("Err() = nil with errors present")
	}
	if got, want := err.Error(), "a.yaml:2: e1\nb.yaml:5: e2"; got != want {
		t.Errorf("Err().Error() = %q, want %q", got, want)
	}
	var p Problem
	if !errors.As(err, &p) || p != e1 {
		t.Errorf("errors.As = %v, %#v; want e1", errors.As(err, &p), p)
	}
	if diff := cmp.Diff(Problems{e1, e2}, ps.Errors()); diff != "" {
		t.Errorf("Errors() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(Problems{w}, ps.Warnings()); diff != "" {
		t.Errorf("Warnings() (-want +got):\n%s", diff)
	}
}

func TestSorted(t *testing.T) {
	ps := Problems{
		{File: "b.yaml", Line: 1, Msg: "z"},
		{File: "a.yaml", Line: 10, Msg: "a"},
		{File: "a.yaml", Line: 2, Msg: "b", Severity: Warning},
		{File: "a.yaml", Line: 2, Msg: "a"},
		{File: "a.yaml", Line: 2, Msg: "b"},
		{File: "a.yaml", Msg: "whole file"},
	}
	orig := append(Problems(nil), ps...)
	want := Problems{
		{File: "a.yaml", Msg: "whole file"},
		{File: "a.yaml", Line: 2, Msg: "a"},
		{File: "a.yaml", Line: 2, Msg: "b", Severity: Warning}, // stable: keeps input order
		{File: "a.yaml", Line: 2, Msg: "b"},
		{File: "a.yaml", Line: 10, Msg: "a"},
		{File: "b.yaml", Line: 1, Msg: "z"},
	}
	if diff := cmp.Diff(want, ps.Sorted()); diff != "" {
		t.Errorf("Sorted() (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(orig, ps); diff != "" {
		t.Errorf("Sorted modified its receiver (-want +got):\n%s", diff)
	}
}

func TestFormatPath(t *testing.T) {
	tests := []struct {
		path []any
		want string
	}{
		{nil, "top level"},
		{[]any{"codes", 3, "runbooks", "fix", 0}, "codes[3].runbooks.fix[0]"},
		{[]any{"a b", 1}, `"a b"[1]`},
		{[]any{0, "x"}, "[0].x"},
	}
	for _, tt := range tests {
		if got := FormatPath(tt.path...); got != tt.want {
			t.Errorf("FormatPath(%v) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"code", "sources", "title", "ja", "en"}
	tests := []struct {
		key    string
		want   string
		wantOK bool
	}{
		{"sorces", "sources", true},
		{"titel", "title", true},  // 2 edits allowed above 4 bytes
		{"Title", "title", true},  // case-insensitive
		{"jp", "ja", true},        // 1 edit allowed up to 4 bytes
		{"cdoe", "", false},       // 2 edits, too many for 4 bytes
		{"srcs", "", false},       // 3 edits
		{"zzzzzz", "", false},     // nothing near
		{"sourcesxyz", "", false}, // 3 edits
	}
	for _, tt := range tests {
		if got, ok := closest(tt.key, known); got != tt.want || ok != tt.wantOK {
			t.Errorf("closest(%q) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.wantOK)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"", "kind: catalogue\n", lineDoc,
		"codes:\n  - code: a\n    title: {en: x, ja: y}\n    verified: true\n    count: 3\n    tags: [a]\n",
		"a: &x [*x]\n", "kind: a\nkind: b\n", "---\n---\n", "\t- x\n", "codes: [{code: [}]\n",
		"<<: {kind: x}\ncodes: !!binary aGVsbG8=\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var v testFile
		d, ps := Decode("fuzz.yaml", data, &v)
		if d == nil {
			t.Fatal("nil Doc")
		}
		for _, p := range ps {
			if p.File != "fuzz.yaml" || p.Line < 0 || p.Msg == "" {
				t.Fatalf("malformed problem %#v", p)
			}
			// YAML breaks lines at \n, \r and (libyaml) NEL, LS and PS.
			if lines := strings.Count(string(data), "\n") + strings.Count(string(data), "\r") +
				strings.Count(string(data), "\u0085") + strings.Count(string(data), "\u2028") +
				strings.Count(string(data), "\u2029") + 2; p.Line > lines {
				t.Fatalf("problem line %d beyond input (%d lines): %v", p.Line, lines, p)
			}
		}
		if len(ps) == 0 && d.Root == nil {
			t.Fatal("no problems but no document")
		}
		d.Line("codes", 0, "title", "en")
		d.Line("codes", -1)
		d.Node("kind", 0)
	})
}

func TestKeptItemsMatchesDecoding(t *testing.T) {
	in := `codes:
  - code: a
  - just a string
  - code: b
    code: dup
  - ~
  - [x]
  - code: c
    tags: [t1, {no: 1}, ~, t2, [z]]
`
	var v testFile
	d, ps := Decode("f.yaml", []byte(in), &v)
	if len(ps) == 0 {
		t.Fatal("want problems for the bad items")
	}
	kept := d.KeptItems(reflect.Struct, "codes")
	if diff := cmp.Diff([]int{0, 5}, kept); diff != "" {
		t.Fatalf("KeptItems(codes) (-want +got):\n%s", diff)
	}
	if len(v.Codes) != len(kept) {
		t.Fatalf("decoded %d codes, KeptItems says %d", len(v.Codes), len(kept))
	}
	for j, i := range kept {
		if got, want := v.Codes[j].Code, d.Node("codes", i, "code").Value; got != want {
			t.Errorf("decoded codes[%d].code = %q, item %d has %q", j, got, i, want)
		}
	}
	tags := d.KeptItems(reflect.String, "codes", 5, "tags")
	if diff := cmp.Diff([]int{0, 3}, tags); diff != "" {
		t.Errorf("KeptItems(tags) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"t1", "t2"}, v.Codes[1].Tags); diff != "" {
		t.Errorf("decoded tags (-want +got):\n%s", diff)
	}
	if got := d.KeptItems(reflect.Struct, "nope"); got != nil {
		t.Errorf("KeptItems(missing) = %v, want nil", got)
	}
}

func TestSpan(t *testing.T) {
	d, _ := Parse("f.yaml", []byte(lineDoc))
	tests := []struct {
		path        []any
		first, last int
	}{
		{[]any{"codes", 0}, 5, 13},
		{[]any{"codes", 1}, 14, 15},
		{[]any{"codes", 0, "title"}, 6, 8},
		{[]any{"kind"}, 1, 1},
		{[]any{"codes", 2}, 0, 0},
	}
	for _, tt := range tests {
		first, last := d.Span(tt.path...)
		if first != tt.first || last != tt.last {
			t.Errorf("Span(%v) = %d, %d; want %d, %d", tt.path, first, last, tt.first, tt.last)
		}
	}
}
