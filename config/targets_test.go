package config

import (
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// FuzzDecodeTargets loads every input with the targets fast path and
// without it (the general path, viper and mapstructure), and requires the
// same Config and the same error text.
func FuzzDecodeTargets(f *testing.F) {
	for _, s := range seedConfigs(f) {
		f.Add(s)
	}
	// One file per fuzzing process: the engine calls the function
	// sequentially, and the file's name is part of the messages.
	path := filepath.Join(f.TempDir(), "wsbbot.yaml")
	env := []string{"HOME=/home/wsb", "WSBBOT_LAB_PASSWORD=x"}
	f.Fuzz(func(t *testing.T, content string) {
		writeFile(t, path, content)
		general, generalErr := load(path, env, false)
		fast, fastErr := load(path, env, true)
		if g, f := errText(generalErr), errText(fastErr); g != f {
			t.Fatalf("errors differ:\ngeneral: %s\nfast:    %s", g, f)
		}
		if diff := cmp.Diff(general, fast); diff != "" {
			t.Fatalf("configs differ (-general +fast):\n%s", diff)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// seedConfigs returns the package's example file, a few targets in every
// form the fast path takes or refuses, and every string constant of the
// tests of this package and of cmd/wsbbot that looks like YAML.
func seedConfigs(tb testing.TB) []string {
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		tb.Fatal(err)
	}
	seeds := []string{
		string(example),
		"targets:\n  - name: a\n    address: 127.0.0.1\n    port: 5985\n    scheme: http\n    auth: basic\n    user: u\n" +
			"    password_env: P\n    tags: [x, y]\n    declared: {copies: 3, media: 2, offsite: true, restore_test: 2025-01-20}\n",
		"targets: [{name: a, address: a, user: u, password_file: /p, operation_timeout: 10s, step_timeout: 0, insecure_skip_verify: True}]\n",
		"targets: [{name: a, address: a, user: u, password_env: P, tags: x, language: ja, declared: {av_exclusions: FALSE, av_product: 'X'}}]\n",
		"targets: []\nlanguage: en\n",
		"targets: [{name: a, port: 0x10, tags: [1], declared: {restore_test: 2025-1-2}}]\n",
		"targets: [{name: a, Address: b, step_timeout: 5, insecure_skip_verify: yes}]\n",
		"base: &b {name: a}\ntargets: [*b, {<<: *b, address: c}]\n",
		"targets: [{name: !!str 1, user: &u u, password_env: *u}]\n",
		"targets: [{name: a, name: b}]\ntargets: []\n",
		"Targets: [{name: a}]\n",
		"<<: {targets: [{name: a}]}\ntargets: [{name: b}]\n",
	}
	seeds = append(seeds, oddSections...)
	keys := targetKeys()
	for i, val := range oddValues {
		seeds = append(seeds, oddTarget(keys[i%len(keys)], val))
	}
	files, _ := filepath.Glob("*_test.go")
	more, _ := filepath.Glob("../cmd/wsbbot/*_test.go")
	for _, file := range append(files, more...) {
		seeds = append(seeds, yamlConstants(tb, file)...)
	}
	return seeds
}

// yamlConstants returns the string constants of a Go file (literals and
// concatenations of them) that hold a "key: value" line.
func yamlConstants(tb testing.TB, file string) []string {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		e, ok := n.(ast.Expr)
		if !ok {
			return true
		}
		tv, err := types.Eval(fset, nil, token.NoPos, types.ExprString(e))
		if err != nil || tv.Value == nil || tv.Value.Kind() != constant.String {
			return true
		}
		if s := constant.StringVal(tv.Value); strings.Contains(s, ":") && strings.Contains(s, "\n") {
			out = append(out, s)
		}
		return false // not the parts of a concatenation
	})
	return out
}

// TestPlainTargetsTaken checks that the fast path takes plain targets
// sections, here the example file's and the benchmark's, and that it
// builds what the general path builds.
func TestPlainTargetsTaken(t *testing.T) {
	example, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{
		"example": string(example),
		"inventory": "targets:\n  - name: srv-0001\n    address: 127.0.0.1\n    port: 20001\n    scheme: http\n    auth: basic\n" +
			"    user: wsbadmin\n    password_env: WSBBOT_LAB_PASSWORD\n    tags: [healthy]\n" +
			"    declared:\n      copies: 3\n      media: 2\n      offsite: true\n      restore_test: 2025-01-20\n",
	} {
		var root yaml.Node
		if err := yaml.Unmarshal([]byte(content), &root); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := splitPlainTargets(&root); !ok {
			t.Errorf("%s: the fast path refused the targets", name)
		}
		path := tempConfig(t, content)
		general, generalErr := load(path, nil, false)
		fast, fastErr := load(path, nil, true)
		if errText(generalErr) != errText(fastErr) {
			t.Errorf("%s: errors differ:\ngeneral: %v\nfast:    %v", name, generalErr, fastErr)
		}
		if diff := cmp.Diff(general, fast); diff != "" {
			t.Errorf("%s: configs differ (-general +fast):\n%s", name, diff)
		}
	}
}

// TestTargetTableComplete checks that the fast path decodes every field of
// Target: a field it cannot decode would send every file that sets it
// down the general path, silently.
func TestTargetTableComplete(t *testing.T) {
	var check func(ft *fieldTable, typ reflect.Type, prefix string)
	check = func(ft *fieldTable, typ reflect.Type, prefix string) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			tf, ok := ft.fields[tagName(f)]
			switch {
			case !ok:
				t.Errorf("%s%s: not in the field table", prefix, f.Name)
			case tf.kind == kindOther:
				t.Errorf("%s%s: the fast path does not decode a %s", prefix, f.Name, f.Type)
			case tf.kind == kindStruct:
				check(tf.sub, f.Type, prefix+f.Name+".")
			}
		}
	}
	check(targetTable(), reflect.TypeFor[Target](), "Target.")
}

// oddValues are values written in every way the fast path takes or
// refuses: types yaml.v3 resolves, mapstructure's weak conversions,
// durations, dates, nulls, lists and mappings, anchors and tags.
var oddValues = []string{
	"x", "'x'", `"x"`, "''", "~", "null", "", "true", "True", "TRUE", "tRUE", "false", "yes", "no", "on",
	"0", "-0", "5", "-5", "017", "0x10", "0o17", "0b11", "1_000", "+5", "5986", "99999999999999999",
	"999999999999999999", "9999999999999999999", "18446744073709551615", "1.5", "1e3", ".inf", ".nan",
	"30s", "'30s'", "1h30m", "0s", "-1s", "5 parsecs", "2025-01-20", "2025-1-2", "2025-02-30",
	"2025-01-20T10:00:00Z", "2025-01-20 10:00:00", "'2025-01-20'", "[]", "[a]", "[a, b]", "[1, a]",
	"[~]", "[2025-01-20]", "[[a]]", "[{a: b}]", "{}", "{copies: 1}", "{a: b}", "!!str 5", "!!int 5",
	"!!bool true", "!custom x", "&a x", "*a", "<<", "|\n      multi\n      line", ">\n      folded",
}

// oddSections are targets sections, and files around them, of every shape
// the fast path takes or refuses.
var oddSections = []string{
	"targets:\n", "targets: ~\n", "targets: []\n", "targets: {}\n", "targets: x\n", "targets: [~]\n",
	"targets: [x]\n", "targets: [[]]\n", "targets: [{}]\n", "targets: [{}, {name: a}]\n",
	"targets: &t [{name: a}]\nlanguage: en\n", "targets: !!seq [{name: a}]\n", "targets: [!!map {name: a}]\n",
	"targets: [&t {name: a}]\n", "targets: [{Name: a}]\n", "targets: [{NAME: a}]\n", "targets: [{\"name\": a}]\n",
	"targets: [{'name': a}]\n", "targets: [{? name : a}]\n", "targets: [{[name]: a}]\n", "targets: [{1: a}]\n",
	"targets: [{~: a}]\n", "targets: [{name: a, name: b}]\n", "targets: [{name: a, NAME: b}]\n",
	"targets: [{name: a, password: p}]\n", "targets: [{name: a, Password: p}]\n", "targets: [{name: a, bogus: 1}]\n",
	"targets: [{declared: {bogus: 1}}]\n", "targets: [{declared: {Copies: 1}}]\n", "targets: [{declared: ~}]\n",
	"targets: [{declared: []}]\n", "targets: [{declared: x}]\n", "targets: [{name: a}]\ntargets: [{name: b}]\n",
	"targets: [{name: a}]\nTargets: [{name: b}]\n", "TARGETS: [{name: a}]\n", "targetſ: [{name: a}]\n",
	"targets: [{name: a}]\nlanguage: *x\n", "x: &x en\ntargets: [{name: a}]\nlanguage: *x\n",
	"<<: {language: ja}\ntargets: [{name: a}]\n", "targets: [{<<: {name: a}}]\n", "!!map\ntargets: [{name: a}]\n",
	"&top\ntargets: [{name: a}]\n", "targets: [{name: a}]\nlanguage: en\nlanguage: ja\n",
	"? targets\n: [{name: a}]\n", "!!str targets: [{name: a}]\n", "\"targets\": [{name: a}]\n",
	"targets: [{name: a}]\n---\nlanguage: ja\n", "- targets: [{name: a}]\n",
}

// TestPlainTargetsValues loads every field of a target set to every odd
// value, and every odd section, with the fast path and without it, and
// requires the same result.
func TestPlainTargetsValues(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wsbbot.yaml")
	keys := targetKeys()
	fast := 0
	for _, key := range keys {
		for _, val := range oddValues {
			content := oddTarget(key, val)
			writeFile(t, path, content)
			general, generalErr := load(path, nil, false)
			got, gotErr := load(path, nil, true)
			if errText(generalErr) != errText(gotErr) {
				t.Errorf("%s: %s: errors differ:\ngeneral: %v\nfast:    %v", key, val, generalErr, gotErr)
			}
			if diff := cmp.Diff(general, got); diff != "" {
				t.Errorf("%s: %s: configs differ (-general +fast):\n%s", key, val, diff)
			}
			var root yaml.Node
			if yaml.Unmarshal([]byte(content), &root) == nil {
				if _, _, ok := splitPlainTargets(&root); ok {
					fast++
				}
			}
		}
	}
	for _, content := range oddSections {
		writeFile(t, path, content)
		general, generalErr := load(path, nil, false)
		got, gotErr := load(path, nil, true)
		if errText(generalErr) != errText(gotErr) {
			t.Errorf("%q: errors differ:\ngeneral: %v\nfast:    %v", content, generalErr, gotErr)
		}
		if diff := cmp.Diff(general, got); diff != "" {
			t.Errorf("%q: configs differ (-general +fast):\n%s", content, diff)
		}
	}
	t.Logf("%d of %d files took the fast path", fast, len(keys)*len(oddValues))
	if fast == 0 {
		t.Error("no file took the fast path")
	}
}

// targetKeys returns the keys of a target, declared's as "declared.KEY".
func targetKeys() []string {
	var keys []string
	for _, f := range taggedFields(reflect.TypeFor[Target]()) {
		keys = append(keys, f.name)
	}
	for _, f := range taggedFields(reflect.TypeFor[Declared]()) {
		keys = append(keys, "declared."+f.name)
	}
	return keys
}

// oddTarget returns a file of one valid target whose key is set to val,
// after a top-level anchor &a that val may refer to.
func oddTarget(key, val string) string {
	item := "  - name: a\n    address: b\n    user: u\n    password_env: P\n"
	if k, ok := strings.CutPrefix(key, "declared."); ok {
		item += "    declared:\n      " + k + ": " + strings.ReplaceAll(val, "\n", "\n  ") + "\n"
	} else if key != "name" {
		item += "    " + key + ": " + val + "\n"
	} else {
		item = "  - name: " + val + "\n"
	}
	return "language: &a en\ntargets:\n" + item
}
