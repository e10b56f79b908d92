package archtest

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/wsbbot/wsbbot"

// rules says, for each package of the module (by path below the module
// root), which packages of the module it may import, and which
// technology-specific third-party modules. Data flows one way: chat ->
// bot -> runbooks engine -> remote, with every arrow pointing inward; only
// cmd/wsbbot wires everything together. A package missing from this table
// fails the test, so a new package must declare its place.
var rules = map[string]struct {
	internal   []string // module packages it may import (prefix match on path)
	thirdParty []string // restricted third-party modules it may import
}{
	"cmd/wsbbot":         {internal: []string{""}, thirdParty: []string{"*"}},
	"config":             {internal: []string{"internal/suggest", "internal/secret", "internal/schedule"}, thirdParty: []string{"github.com/spf13/viper", "gopkg.in/yaml.v3"}},
	"runbooks":           {internal: []string{"internal/hresult", "internal/strictyaml", "internal/winout", "internal/textdecode"}, thirdParty: []string{"gopkg.in/yaml.v3"}},
	"checklists":         {internal: []string{"runbooks", "internal/"}, thirdParty: []string{"gopkg.in/yaml.v3"}},
	"remote":             {internal: []string{"runbooks", "internal/"}, thirdParty: []string{"github.com/masterzen/winrm"}},
	"remote/winrmtest":   {internal: []string{"internal/"}},
	"remote/conformance": {},
	"lab":                {internal: []string{"lab/ps", "remote/winrmtest", "internal/"}, thirdParty: []string{"gopkg.in/yaml.v3"}},
	"lab/ps":             {},
	// Test support: the use cases' dependencies over a running lab.
	"lab/labtest": {internal: []string{"lab", "remote", "oncall", "runbooks", "checklists"}},
	"oncall":      {internal: []string{"runbooks", "checklists", "internal/store", "internal/hresult", "internal/fanout"}},
	"render":      {internal: []string{"oncall", "runbooks", "checklists", "internal/store", "internal/report"}},
	"bot":         {internal: []string{"oncall", "runbooks", "checklists", "internal/"}},
	"duty":        {internal: []string{"bot", "oncall", "internal/"}},
	"bot/console": {internal: []string{"bot", "runbooks"}},
	"bot/slack":   {internal: []string{"bot", "runbooks"}, thirdParty: []string{"github.com/slack-go/slack"}},
	// The fake Slack imports no Slack client library: its tests drive
	// slack-go against it, two independent readings of the protocol.
	"bot/slack/slacktest":      {},
	"internal/archtest":        {},
	"internal/hresult":         {},
	"internal/winout":          {},
	"internal/textdecode":      {},
	"internal/langcheck":       {},
	"internal/strictyaml":      {internal: []string{"internal/suggest"}, thirdParty: []string{"gopkg.in/yaml.v3"}},
	"internal/suggest":         {},
	"internal/secret":          {},
	"internal/fanout":          {},
	"internal/store":           {},
	"internal/report":          {internal: []string{"oncall", "runbooks", "checklists"}},
	"internal/schedule":        {internal: []string{"internal/store"}, thirdParty: []string{"github.com/robfig/cron/v3"}},
	"internal/hostlock":        {},
	"internal/netdelay":        {},
	"internal/store/storetest": {internal: []string{"internal/store"}},
}

// importedOnlyBy lists the adapters that only the wiring may import: a
// chat adapter is started by cmd, never reached from another package.
var importedOnlyBy = map[string][]string{
	"bot/console": {"cmd/wsbbot"},
	"bot/slack":   {"cmd/wsbbot"},
}

// restricted lists third-party modules that belong to one layer only.
var restricted = []string{
	"github.com/spf13/viper",
	"github.com/spf13/cobra",
	"github.com/masterzen/winrm",
	"github.com/slack-go/slack",
	"gopkg.in/yaml.v3",
	"github.com/robfig/cron/v3",
}

type pkgInfo struct {
	imports map[string]bool
	doc     bool
}

// scan parses every non-test Go file of the module and returns, per package
// directory (relative to the module root), its imports and whether some
// file carries a package doc comment.
func scan(t *testing.T) map[string]*pkgInfo {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	pkgs := map[string]*pkgInfo{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		p := pkgs[rel]
		if p == nil {
			p = &pkgInfo{imports: map[string]bool{}}
			pkgs[rel] = p
		}
		if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
			p.doc = true
		}
		for _, imp := range f.Imports {
			p.imports[strings.Trim(imp.Path.Value, `"`)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func TestImportDirections(t *testing.T) {
	pkgs := scan(t)
	dirs := make([]string, 0, len(pkgs))
	for d := range pkgs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		rule, ok := rules[dir]
		if !ok {
			t.Errorf("package %s has no import rule: add it to rules in %s", dir, "internal/archtest/imports_test.go")
			continue
		}
		for imp := range pkgs[dir].imports {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				target := strings.TrimPrefix(strings.TrimPrefix(imp, module), "/")
				if !allowed(target, rule.internal) {
					t.Errorf("%s imports %s, which it must not (allowed: %q)", dir, target, rule.internal)
				}
				if err := importerAllowed(dir, target); err != "" {
					t.Error(err)
				}
			default:
				for _, r := range restricted {
					if (imp == r || strings.HasPrefix(imp, r+"/")) && !allowed(r, rule.thirdParty) {
						t.Errorf("%s imports %s, which belongs to another layer", dir, imp)
					}
				}
			}
		}
	}
}

// stdlibOnly lists packages that may import nothing but the standard
// library: the lab's PowerShell interpreter is a language, not a simulator,
// and knows the simulated host only through its ps.Host interface; the
// secret type and the fan-out sit under config, remote and checklists and
// must pull nothing in.
var stdlibOnly = []string{"lab/ps", "internal/secret", "internal/fanout", "internal/netdelay"}

func TestStdlibOnly(t *testing.T) {
	pkgs := scan(t)
	for _, dir := range stdlibOnly {
		p, ok := pkgs[dir]
		if !ok {
			t.Errorf("package %s not found", dir)
			continue
		}
		for imp := range p.imports {
			if !isStdlib(imp) {
				t.Errorf("%s imports %s; it may import only the standard library", dir, imp)
			}
		}
	}
}

// isStdlib reports whether an import path is the standard library's: its
// first element has no dot.
func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// labImporters says which packages' non-test files may import the
// simulated lab. The lab is a test and demo fixture: tests anywhere may use
// it (runbooks, checklists and cmd/wsbbot prove fix-then-verify on it, and
// remote/conformance, which holds only tests, drives it with pywinrm), and
// cmd/wsbbot wires it into `wsbbot lab` and the console; no product package
// (runbooks, checklists, remote, config, bot, internal/...) may depend on it.
var labImporters = map[string][]string{
	"lab":    {"cmd/wsbbot", "lab/labtest"},
	"lab/ps": {"lab"},
}

func TestLabStaysOutOfTheProduct(t *testing.T) {
	pkgs := scan(t)
	for dir, p := range pkgs {
		for imp := range p.imports {
			target := strings.TrimPrefix(imp, module+"/")
			may, ok := labImporters[target]
			if !ok || target == imp {
				continue
			}
			if !slices.Contains(may, dir) {
				t.Errorf("%s imports %s: only %q (and tests) may", dir, target, may)
			}
		}
	}
}

// importerAllowed returns a complaint when dir imports an adapter that
// only the wiring may import ("" when it may).
func importerAllowed(dir, target string) string {
	for adapter, importers := range importedOnlyBy {
		if target == adapter || strings.HasPrefix(target, adapter+"/") {
			if !slices.Contains(importers, dir) {
				return fmt.Sprintf("%s imports %s, which only %v may import", dir, target, importers)
			}
		}
	}
	return ""
}

func allowed(target string, list []string) bool {
	for _, a := range list {
		if a == "*" || a == "" || target == a || strings.HasPrefix(target, a) && (strings.HasSuffix(a, "/") || strings.HasPrefix(target, a+"/")) {
			return true
		}
	}
	return false
}

func TestEveryPackageHasDocComment(t *testing.T) {
	for dir, p := range scan(t) {
		if !p.doc {
			t.Errorf("package %s has no package doc comment saying what it owns", dir)
		}
	}
}

// TestRulesCatchViolations checks the checker itself on made-up imports, so
// the real test cannot pass by accident.
func TestRulesCatchViolations(t *testing.T) {
	if allowed("bot", rules["runbooks"].internal) {
		t.Error("runbooks may import bot: rule table broken")
	}
	if allowed("config", rules["remote"].internal) {
		t.Error("remote may import config: rule table broken")
	}
	if !allowed("internal/hresult", rules["runbooks"].internal) {
		t.Error("runbooks may not import internal/hresult: rule table broken")
	}
	if allowed("internal/hresultx", []string{"internal/hresult"}) {
		t.Error("prefix match crosses a path element")
	}
	for _, product := range []string{"runbooks", "checklists", "remote", "config", "bot", "internal/store"} {
		if allowed("lab", rules[product].internal) {
			t.Errorf("%s may import lab: rule table broken", product)
		}
	}
	if slices.Contains(labImporters["lab"], "remote") {
		t.Error("remote may import lab: labImporters broken")
	}
	if isStdlib("github.com/wsbbot/wsbbot/lab") || isStdlib("gopkg.in/yaml.v3") || !isStdlib("net/http") {
		t.Error("isStdlib misjudges a path")
	}
	if allowed("github.com/slack-go/slack", rules["runbooks"].thirdParty) {
		t.Error("runbooks may import slack-go: rule table broken")
	}
	// The use cases import no adapter.
	for _, adapter := range []string{"bot", "bot/console", "bot/slack", "cmd/wsbbot", "render", "remote", "config"} {
		if allowed(adapter, rules["oncall"].internal) {
			t.Errorf("oncall may import %s: rule table broken", adapter)
		}
	}
	if allowed("github.com/slack-go/slack", rules["oncall"].thirdParty) {
		t.Error("oncall may import slack-go: rule table broken")
	}
	if allowed("remote", rules["render"].internal) || allowed("remote/lab", rules["render"].internal) {
		t.Error("render may import remote: rule table broken")
	}
	if importerAllowed("bot", "bot/console") == "" || importerAllowed("oncall", "bot/slack") == "" {
		t.Error("a package other than cmd may import a chat adapter: rule table broken")
	}
	// The conversation core is platform-neutral: no Slack, no adapter, no
	// terminal rendering.
	if allowed("github.com/slack-go/slack", rules["bot"].thirdParty) {
		t.Error("bot may import slack-go: rule table broken")
	}
	for _, pkg := range []string{"bot/console", "bot/slack", "render", "remote", "config", "lab", "cmd/wsbbot"} {
		if allowed(pkg, rules["bot"].internal) {
			t.Errorf("bot may import %s: rule table broken", pkg)
		}
	}
	if importerAllowed("bot", "bot/slack/slacktest") == "" {
		t.Error("bot may import the fake Slack: rule table broken")
	}
	if allowed("github.com/slack-go/slack", rules["bot/slack/slacktest"].thirdParty) {
		t.Error("the fake Slack may import slack-go: rule table broken")
	}
	if importerAllowed("cmd/wsbbot", "bot/console") != "" {
		t.Error("cmd may not import the console adapter: rule table broken")
	}
}
