package checklists

import (
	"embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/internal/strictyaml"
	"github.com/wsbbot/wsbbot/runbooks"
)

//go:embed bundled/five-rules.yaml
var bundled embed.FS

// BundledFile is the embedded checklist's path.
const BundledFile = "bundled/five-rules.yaml"

// Kind is the kind of a checklist file.
const Kind = "checklist"

// Rule is one rule of a checklist: its texts (from YAML) and its logic
// (from Go, found by id).
type Rule struct {
	ID          string
	Title       runbooks.Text
	Fix         runbooks.Text
	Description string
	// Runbook is the runbook that fixes a failure of the rule, or guides
	// through fixing it ("" for none); the chat offers it with the failure.
	Runbook string
	eval    evalFunc
}

// Rule returns the rule with the given id.
func (c *Checklist) Rule(id string) (Rule, bool) {
	for _, r := range c.Rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Checklist is a loaded, validated checklist.
type Checklist struct {
	ID    string
	Title runbooks.Text
	Rules []Rule
}

// RuleIDs returns the rule ids in checklist order.
func (c *Checklist) RuleIDs() []string {
	ids := make([]string, len(c.Rules))
	for i, r := range c.Rules {
		ids[i] = r.ID
	}
	return ids
}

type yamlText struct {
	EN string `yaml:"en"`
	JA string `yaml:"ja"`
}

func (t yamlText) text() runbooks.Text { return runbooks.Text{EN: t.EN, JA: t.JA} }

type yamlRule struct {
	ID          string   `yaml:"id"`
	Title       yamlText `yaml:"title"`
	Fix         yamlText `yaml:"fix"`
	Description string   `yaml:"description"`
	Runbook     string   `yaml:"runbook"`
}

type yamlChecklist struct {
	Kind  string     `yaml:"kind"`
	ID    string     `yaml:"id"`
	Title yamlText   `yaml:"title"`
	Rules []yamlRule `yaml:"rules"`
}

// Bundled loads the embedded five-rule checklist.
func Bundled() (*Checklist, error) {
	data, err := bundled.ReadFile(BundledFile)
	if err != nil {
		return nil, fmt.Errorf("load checklist %s: %w", BundledFile, err)
	}
	return Load(BundledFile, data)
}

// Load parses and validates a checklist file strictly: unknown keys, a
// wrong kind, a missing text, a duplicate rule, a rule without Go logic and
// Go logic without a rule are errors, all reported at once.
func Load(file string, data []byte) (*Checklist, error) {
	var y yamlChecklist
	_, ps := strictyaml.Decode(file, data, &y)
	if err := ps.Errors().Err(); err != nil {
		return nil, fmt.Errorf("load checklist %s: %w", file, err)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if y.Kind != Kind {
		bad("kind is %q, want %q", y.Kind, Kind)
	}
	if strings.TrimSpace(y.ID) == "" {
		bad("id is required")
	}
	if y.Title.EN == "" || y.Title.JA == "" {
		bad("title needs both en and ja")
	}
	logic := ruleLogic()
	c := &Checklist{ID: y.ID, Title: y.Title.text()}
	seen := map[string]bool{}
	for i, r := range y.Rules {
		where := fmt.Sprintf("rules[%d] (%s)", i, r.ID)
		switch {
		case r.ID == "":
			bad("rules[%d]: id is required", i)
			continue
		case seen[r.ID]:
			bad("%s: duplicate rule id", where)
			continue
		}
		seen[r.ID] = true
		if r.Title.EN == "" || r.Title.JA == "" {
			bad("%s: title needs both en and ja", where)
		}
		if r.Fix.EN == "" || r.Fix.JA == "" {
			bad("%s: fix needs both en and ja", where)
		}
		fn, ok := logic[r.ID]
		if !ok {
			bad("%s: no Go logic for this rule (known: %s)", where, strings.Join(knownRules(), ", "))
			continue
		}
		c.Rules = append(c.Rules, Rule{ID: r.ID, Title: r.Title.text(), Fix: r.Fix.text(), Description: r.Description, Runbook: r.Runbook, eval: fn})
	}
	for _, id := range knownRules() {
		if !seen[id] {
			bad("rule %q has Go logic but is missing from the checklist", id)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("load checklist %s: %w", file, errors.Join(errs...))
	}
	return c, nil
}

func knownRules() []string {
	ids := make([]string, 0, 5)
	for id := range ruleLogic() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
