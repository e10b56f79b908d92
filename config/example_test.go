package config

import (
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

const exampleFile = "wsbbot.example.yaml"

func TestExampleLoadsAndValidates(t *testing.T) {
	c, err := Load(exampleFile, nil)
	if err != nil {
		t.Fatalf("Load(%s) = %v", exampleFile, err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	fs01, ok := c.Target("fs01")
	if !ok || fs01.Port() != 5986 || fs01.Auth != AuthNTLM || fs01.User != `CORP\svc-wsbbot` {
		t.Errorf("example fs01 = %+v, %v", fs01, ok)
	}
	if got := len(c.TargetsWithTag(c.Audit.Group)); got == 0 {
		t.Errorf("example audit.group %q matches no target", c.Audit.Group)
	}
	// The example's remote section states the defaults.
	if diff := cmp.Diff(Default().Remote, c.Remote); diff != "" {
		t.Errorf("example remote section differs from Default() (-default +example):\n%s", diff)
	}
}

// exampleKeys returns the key paths of a YAML document, with sequence
// items of mappings folded into "list[]" so all targets share one set.
func exampleKeys(n *yaml.Node, prefix string, out map[string]bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			exampleKeys(c, prefix, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := joinKey(prefix, n.Content[i].Value)
			out[key] = true
			exampleKeys(n.Content[i+1], key, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.MappingNode {
				exampleKeys(c, prefix+"[]", out)
			}
		}
	}
}

// structKeys returns every key path of t in the same notation.
func structKeys(t reflect.Type, prefix string, out map[string]bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := joinKey(prefix, tagName(f))
		out[key] = true
		switch {
		case f.Type.Kind() == reflect.Struct:
			structKeys(f.Type, key, out)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			structKeys(f.Type.Elem(), key+"[]", out)
		}
	}
}

func TestExampleHasEveryKeyAndOnlyRealKeys(t *testing.T) {
	b, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	inExample, inStruct := map[string]bool{}, map[string]bool{}
	exampleKeys(&doc, "", inExample)
	structKeys(reflect.TypeFor[Config](), "", inStruct)
	var missing, unknown []string
	for k := range inStruct {
		if !inExample[k] {
			missing = append(missing, k)
		}
	}
	for k := range inExample {
		if !inStruct[k] {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(unknown)
	if len(missing) > 0 {
		t.Errorf("%s lacks keys: %s", exampleFile, strings.Join(missing, ", "))
	}
	if len(unknown) > 0 {
		t.Errorf("%s has keys that are not fields: %s", exampleFile, strings.Join(unknown, ", "))
	}
	if len(inStruct) < 40 {
		t.Errorf("only %d struct keys found; the walk is broken", len(inStruct))
	}
	// The first occurrence of every key carries a comment, on its line or
	// above it.
	for _, k := range uncommentedKeys(&doc, "", map[string]bool{}, nil) {
		t.Errorf("%s: key without a comment: %s", exampleFile, k)
	}
}

func uncommentedKeys(n *yaml.Node, prefix string, seen map[string]bool, out []string) []string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			out = uncommentedKeys(c, prefix, seen, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			key := joinKey(prefix, k.Value)
			if !seen[key] {
				seen[key] = true
				if k.HeadComment == "" && k.LineComment == "" && v.LineComment == "" && v.HeadComment == "" {
					out = append(out, fmt.Sprintf("line %d: %s", k.Line, key))
				}
			}
			out = uncommentedKeys(v, key, seen, out)
		}
	case yaml.SequenceNode:
		for _, c := range n.Content {
			if c.Kind == yaml.MappingNode {
				out = uncommentedKeys(c, prefix+"[]", seen, out)
			}
		}
	}
	return out
}

// TestExampleEnvDoc checks that the variable names the example's header
// promises are the ones Load binds.
func TestExampleEnvDoc(t *testing.T) {
	b, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	vars := EnvVars()
	for _, key := range []string{"slack.bot_token", "remote.concurrency"} {
		if !strings.Contains(string(b), fmt.Sprintf("%s is\n# %s", key, vars[key])) &&
			!strings.Contains(string(b), fmt.Sprintf("%s is %s", key, vars[key])) {
			t.Errorf("%s does not document %s as %s", exampleFile, key, vars[key])
		}
	}
}
