package strictyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

type fzInner struct {
	A string    `yaml:"a"`
	B []int     `yaml:"b"`
	P *fzInner  `yaml:"p"`
	L []fzInner `yaml:"l"`
}

type fzEmbed struct {
	E1 string `yaml:"e1"`
}

type fzExtra struct {
	X    int               `yaml:"x"`
	Rest map[string]string `yaml:",inline"`
}

type fzRich struct {
	Name    string             `yaml:"name"`
	In      fzInner            `yaml:"in"`
	List    []fzInner          `yaml:"list"`
	Map     map[string]fzInner `yaml:"map"`
	Ptr     *fzInner           `yaml:"ptr"`
	Any     any                `yaml:"any"`
	Node    yaml.Node          `yaml:"node"`
	fzEmbed `yaml:",inline"`
	Extra   fzExtra `yaml:"extra"`
	Arr     [2]fzInner
	Plain   int
	Skip    int `yaml:"-"`
}

// knownFieldsReport returns yaml.v3's own KnownFields findings as
// "line:key", or ok false when yaml.v3 stopped at a fatal error.
func knownFieldsReport(data []byte) (set []string, ok bool) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var v fzRich
	err := safeDecode(dec, &v)
	var te *yaml.TypeError
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return []string{}, true
	case !errors.As(err, &te):
		return nil, false
	}
	set = []string{}
	for _, s := range te.Errors {
		line, rest := splitLine(s)
		if key, _, ok := cutOuter(rest, "field ", " not found in type "); ok {
			set = append(set, fmt.Sprintf("%d:%s", line, key))
		}
	}
	slices.Sort(set)
	return slices.Compact(set), true
}

func walkReport(d *Doc) []string {
	set := []string{}
	for _, u := range d.findUnknownKeys(&fzRich{}) {
		set = append(set, fmt.Sprintf("%d:%s", u.line, u.key))
	}
	slices.Sort(set)
	return slices.Compact(set)
}

var knownFieldsSeeds = []string{
	"name: x\nnope: 1\n",
	"in: {a: x, zz: 1, p: {a: y, qq: 2, l: [{a: 1, w: 2}]}}\n",
	"list:\n  - a: 1\n    bad: 2\n  - [x]\n  - {b: [1], c: 3}\n",
	"map: {k1: {a: 1, u: 2}, k2: ~}\n",
	"ptr: {p: {p: {deep: 1}}}\n",
	"any: {whatever: 1}\nnode: {anything: 2}\n",
	"e1: x\nextra: {x: 1, free: y}\narr: [{a: 1, m: 2}, {n: 3}]\nplain: 3\nskip: 4\n",
	"base: &b {a: 1, bad1: 2}\nin:\n  <<: *b\n  bad1: 3\n  ok2: 4\n",
	"in:\n  <<: [{a: 1, m1: 2}, {a: 2, m1: 3, m2: 4}]\n  a: 3\n",
	"x: &x {a: 1, y: 2}\nlist: [*x, *x]\nin: *x\n",
	"map:\n  <<: {k: {a: 1, z: 1}}\n  j: {q: 1}\n",
	"? [a, b]\n: 1\n~: 2\n1: 3\nname: 4\n",
	"in: {a: !!binary aGk=, !!binary Yg==: 1}\n",
}

func TestKnownFieldsMatchesYAMLv3(t *testing.T) {
	for _, s := range knownFieldsSeeds {
		want, ok := knownFieldsReport([]byte(s))
		if !ok {
			t.Fatalf("yaml.v3 failed on seed %q", s)
		}
		d, ps := Parse("f.yaml", []byte(s))
		if len(ps) != 0 {
			t.Fatalf("Parse(%q): %v", s, ps)
		}
		if diff := cmp.Diff(want, walkReport(d)); diff != "" {
			t.Errorf("unknown keys of %q (-yaml.v3 +walk):\n%s", s, diff)
		}
	}
}

// FuzzKnownFields checks that Decode's own unknown-key walk finds exactly
// what yaml.v3's Decoder with KnownFields(true) finds, on a struct using
// nesting, pointers, slices, arrays, maps, inline structs and maps, interface
// and yaml.Node fields, merges and aliases.
func FuzzKnownFields(f *testing.F) {
	for _, s := range knownFieldsSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, ps := Parse("f.yaml", data)
		if d.Root == nil {
			return
		}
		for _, p := range ps {
			if strings.Contains(p.Msg, "duplicate key") {
				return // yaml.v3 skips such mappings; the walk checks them
			}
		}
		want, ok := knownFieldsReport(data)
		if !ok {
			return
		}
		if err := safeNodeDecode(d.Root, &fzRich{}); err != nil {
			var te *yaml.TypeError
			if !errors.As(err, &te) {
				return // Decode stops before walking
			}
		}
		if diff := cmp.Diff(want, walkReport(d)); diff != "" {
			t.Errorf("unknown keys (-yaml.v3 +walk):\n%s", diff)
		}
	})
}
