package runbooks

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/internal/strictyaml"
	"github.com/wsbbot/wsbbot/internal/winout"
)

// The runbook file format (kind: runbook) is read strictly from the node
// tree: unknown keys, wrong types and bad values are problems at their line.
// Expressions (see expr.go) may read, depending on where they stand:
//
//   - params.<name> and target everywhere;
//   - steps.<id>.{ran, status, passed, result, results, exit_code, report}
//     of any earlier step (every step reads as not run until it runs; ran
//     means its command was sent);
//   - item and the foreach variable inside a foreach step (where, when,
//     with, expect, report);
//   - result, exit_code and stdout of the step itself in expect and report.
//
// A guide (category guide) is text only: a body {en, ja}, shown as written,
// and no params, preconditions, steps, verify or cleanup.
//
// Scripts: a cmd step is one command line whose only substitutions are
// {{name}} of drive-letter, int, enum or service parameters; a PowerShell
// step reads parameters only as $P.name (remote sends them as data).

// Category says what a runbook is for.
type Category string

// The runbook categories.
const (
	CategoryDiagnose Category = "diagnose"
	CategoryFix      Category = "fix"
	CategoryGuide    Category = "guide"
)

// Mode says whether a step changes the server.
type Mode string

// The step modes. A changing step runs only when the Gate allows it.
const (
	ModeReadOnly Mode = "read-only"
	ModeChange   Mode = "change"
)

// Shell is the interpreter a step runs in, as a runbook names it.
type Shell string

// The shells a step runs in. remote's executor sends ShellPowerShell scripts
// through its $P transport and ShellCmd lines as they are.
const (
	ShellCmd        Shell = "cmd"
	ShellPowerShell Shell = "powershell"
)

// The parsers a step may apply besides the winout kinds.
const (
	ParseJSON  = "json"
	ParseLines = "lines"
	ParseNone  = "none"
)

// Phase is the section of a runbook a step belongs to, in running order.
type Phase string

// The phases.
const (
	PhasePrecondition Phase = "precondition"
	PhaseStep         Phase = "step"
	PhaseVerify       Phase = "verify"
	PhaseCleanup      Phase = "cleanup"
)

// Step timeouts.
const (
	defaultStepTimeout = 60 * time.Second
	maxStepTimeout     = time.Hour
)

// Runbook is one loaded, validated runbook. It never changes after Load.
type Runbook struct {
	ID          string
	Version     int
	Category    Category
	Title       Text
	Description Text
	// Body is a guide's text (category guide only, where it is required),
	// shown as written: procedures that cannot run over WinRM.
	Body          Text
	Codes         []hresult.Code
	Params        []Param
	Preconditions []Step
	Steps         []Step
	Verify        []Step
	Cleanup       []Step
	// File and Line locate the runbook ("bundled/runbooks/x.yaml", 1).
	File string
	Line int
	// Digest is the hex SHA-256 of the file the runbook was read from: a
	// plan carries it, so an approval is void once the file changes, even
	// where what the plan renders does not.
	Digest string
}

// Step is one command of a runbook.
type Step struct {
	ID          string
	Phase       Phase
	Title       Text
	Description Text
	Mode        Mode
	Shell       Shell
	Timeout     time.Duration
	// Script is the cmd command line (with {{param}} placeholders) or the
	// PowerShell script text (reading parameters as $P.name).
	Script  string
	Parse   string
	Expect  []Expectation
	Report  []Report
	Foreach *Foreach
	When    *Expr
	With    []With
	Line    int
	// whenReads and dataReads are the step ids that when, and foreach and
	// with, read: when a dry run did not run one of them, it cannot decide
	// the step, and renders it as conditional.
	whenReads, dataReads []string
}

// Expectation is one verdict over a step's parsed result.
type Expectation struct {
	That    *Expr
	Message Text
	// Detail, when set, is evaluated when the expectation fails and says
	// what was found instead (e.g. the writers that are not stable). A
	// detail with words in it is written per language (detail: {en: ...,
	// ja: ...}): Detail is then the English one and DetailJA the Japanese;
	// a detail that only shows data is one expression for both.
	Detail, DetailJA *Expr
}

// Report is a named value a step computes from its result, shown in the
// result (e.g. the services of the writers that are not stable).
type Report struct {
	Name string
	Expr *Expr
}

// Foreach repeats a step over a list from earlier steps.
type Foreach struct {
	In    *Expr
	Where *Expr
	As    string
}

// With sets a parameter for one run of a step from an expression; the value
// is validated by the parameter's type.
type With struct {
	Param string
	Expr  *Expr
}

// phases returns the step lists in running order.
func (rb *Runbook) phases() [][]Step {
	return [][]Step{rb.Preconditions, rb.Steps, rb.Verify, rb.Cleanup}
}

// firstStepTimeout returns the timeout of the step a run starts with, the
// default step timeout when there is none.
func (rb *Runbook) firstStepTimeout() time.Duration {
	for _, sec := range rb.phases() {
		if len(sec) > 0 && sec[0].Timeout > 0 {
			return sec[0].Timeout
		}
		if len(sec) > 0 {
			break
		}
	}
	return defaultStepTimeout
}

// ---- YAML ----

var (
	placeholderRE = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)
	psParamRE     = regexp.MustCompile(`(?i)\$P\.([A-Za-z_][A-Za-z0-9_]*)`)
)

// The names and values below are checked by loops, not regexps: a bounded
// repetition such as {0,40} compiles into a program that long, and the four
// that were package variables cost every wsbbot process, whatever its
// command, about 1.5 ms of start-up and 3,000 allocations.

// isIdent reports whether s is a parameter or variable name,
// ^[a-z][a-z0-9_]{0,40}$.
func isIdent(s string) bool {
	if len(s) == 0 || len(s) > 41 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// isServiceName reports whether s is a Windows service name as runbooks
// may give one, ^[A-Za-z0-9_.$-]{1,80}$.
func isServiceName(s string) bool { return isToken(s, "_.$-") }

// isEnumValue reports whether s may be an enum parameter's value,
// ^[A-Za-z0-9_.-]{1,80}$.
func isEnumValue(s string) bool { return isToken(s, "_.-") }

// isToken reports whether s is 1 to 80 ASCII letters, digits and bytes of
// extra.
func isToken(s, extra string) bool {
	if len(s) == 0 || len(s) > 80 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

// rbParser reads one runbook file from its node tree, reporting every
// problem at its line.
type rbParser struct {
	d  *strictyaml.Doc
	ps strictyaml.Problems
}

func (p *rbParser) errorf(path []any, format string, args ...any) {
	p.ps = append(p.ps, p.d.Problem(strictyaml.Error, fmt.Sprintf(format, args...), path...))
}

func at(path []any, more ...any) []any {
	out := make([]any, 0, len(path)+len(more))
	return append(append(out, path...), more...)
}

// mapping checks that the node at path is a mapping with only the allowed
// keys. It returns false when the node is not a mapping.
func (p *rbParser) mapping(path []any, allowed ...string) bool {
	n := p.d.Node(path...)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errorf(path, "%s must be a mapping", strictyaml.FormatPath(path...))
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(allowed, k.Value) {
			p.ps = append(p.ps, strictyaml.Problem{File: p.d.File, Line: k.Line, Severity: strictyaml.Error,
				Msg: fmt.Sprintf("unknown key %q in %s (allowed: %s)", k.Value, strictyaml.FormatPath(path...), strings.Join(allowed, ", "))})
		}
	}
	return true
}

func (p *rbParser) has(path ...any) bool {
	n := p.d.Node(path...)
	return n != nil && n.ShortTag() != "!!null"
}

// str reads a string scalar; "" when absent (reported when required).
func (p *rbParser) str(path []any, required bool) string {
	n := p.d.Node(path...)
	switch {
	case n == nil || n.ShortTag() == "!!null":
		if required {
			p.errorf(path, "%s is required", strictyaml.FormatPath(path...))
		}
		return ""
	case n.Kind != yaml.ScalarNode || n.ShortTag() != "!!str":
		p.errorf(path, "%s must be a string", strictyaml.FormatPath(path...))
		return ""
	}
	if required && strings.TrimSpace(n.Value) == "" {
		p.errorf(path, "%s is empty", strictyaml.FormatPath(path...))
	}
	return n.Value
}

// scalar reads any scalar (string, number, boolean) as text.
func (p *rbParser) scalar(path []any) (string, bool) {
	n := p.d.Node(path...)
	if n == nil {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
		p.errorf(path, "%s must be a single value", strictyaml.FormatPath(path...))
		return "", false
	}
	return n.Value, true
}

func (p *rbParser) integer(path []any) (int, bool) {
	n := p.d.Node(path...)
	if n == nil {
		return 0, false
	}
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		p.errorf(path, "%s must be a whole number", strictyaml.FormatPath(path...))
		return 0, false
	}
	v, err := strconv.Atoi(n.Value)
	if err != nil {
		p.errorf(path, "%s: %q is not a whole number", strictyaml.FormatPath(path...), n.Value)
		return 0, false
	}
	return v, true
}

// list returns the number of items of the sequence at path (0 when absent).
func (p *rbParser) list(path []any) int {
	n := p.d.Node(path...)
	switch {
	case n == nil || n.ShortTag() == "!!null":
		return 0
	case n.Kind != yaml.SequenceNode:
		p.errorf(path, "%s must be a list", strictyaml.FormatPath(path...))
		return 0
	}
	return len(n.Content)
}

func (p *rbParser) strings(path []any) []string {
	var out []string
	for i := range p.list(path) {
		out = append(out, p.str(at(path, i), true))
	}
	return out
}

func (p *rbParser) text(path []any, required bool) Text {
	if !p.has(path...) {
		if required {
			p.errorf(path, "%s is required, in both en and ja", strictyaml.FormatPath(path...))
		}
		return Text{}
	}
	if !p.mapping(path, "en", "ja") {
		return Text{}
	}
	return Text{EN: p.str(at(path, "en"), true), JA: p.str(at(path, "ja"), true)}
}

func (p *rbParser) expr(path []any) *Expr {
	s := p.str(path, true)
	if s == "" {
		return nil
	}
	e, err := ParseExpr(s)
	if err != nil {
		p.errorf(path, "%s: %v", strictyaml.FormatPath(path...), err)
		return nil
	}
	return e
}

// parseRunbook reads and validates one runbook file.
func parseRunbook(d *strictyaml.Doc) (*Runbook, strictyaml.Problems) {
	p := &rbParser{d: d}
	rb := &Runbook{File: d.File, Line: d.Line()}
	keys := []string{"kind", "id", "version", "category", "title", "description", "codes", "params",
		"preconditions", "steps", "verify", "cleanup"}
	if n := d.Node("category"); n != nil && n.Value == string(CategoryGuide) {
		keys = append(keys, "body") // only a guide has a body
	}
	if !p.mapping(nil, keys...) {
		return nil, p.ps
	}
	rb.ID = p.str([]any{"id"}, true)
	if rb.ID != "" && !isRunbookID(rb.ID) {
		p.errorf([]any{"id"}, "id %q is not kebab-case (lower-case letters and digits joined by single hyphens)", rb.ID)
	}
	if v, ok := p.integer([]any{"version"}); ok {
		if v < 1 {
			p.errorf([]any{"version"}, "version must be 1 or more")
		}
		rb.Version = v
	} else if !p.has("version") {
		p.errorf([]any{"version"}, "version is required (a whole number; raise it when the steps change)")
	}
	switch c := Category(p.str([]any{"category"}, true)); c {
	case CategoryDiagnose, CategoryFix, CategoryGuide:
		rb.Category = c
	case "":
	default:
		p.errorf([]any{"category"}, "category %q is not one of diagnose, fix, guide", c)
	}
	rb.Title = p.text([]any{"title"}, true)
	rb.Description = p.text([]any{"description"}, true)
	p.guideBody(rb)
	for i, c := range p.strings([]any{"codes"}) {
		code, err := hresult.Parse(c)
		switch {
		case c == "":
		case err != nil:
			p.errorf([]any{"codes", i}, "code %q is not an error code: %v", c, err)
		default:
			rb.Codes = append(rb.Codes, code)
		}
	}
	p.params(rb)

	seen := map[string]int{}
	sections := []struct {
		key   string
		phase Phase
		dst   *[]Step
	}{
		{"preconditions", PhasePrecondition, &rb.Preconditions},
		{"steps", PhaseStep, &rb.Steps},
		{"verify", PhaseVerify, &rb.Verify},
		{"cleanup", PhaseCleanup, &rb.Cleanup},
	}
	known := map[string]Mode{} // step ids readable so far, with their modes
	for _, sec := range sections {
		for i := range p.list([]any{sec.key}) {
			path := []any{sec.key, i}
			st, ok := p.step(rb, path, sec.phase, known)
			if !ok {
				continue
			}
			if st.ID != "" {
				if line, dup := seen[st.ID]; dup {
					p.errorf(at(path, "id"), "step id %q is used twice (first at line %d)", st.ID, line)
				} else {
					seen[st.ID] = p.d.Line(at(path, "id")...)
				}
				known[st.ID] = st.Mode
			}
			*sec.dst = append(*sec.dst, st)
		}
	}
	if len(rb.Steps) == 0 && rb.Category != CategoryGuide && p.ps.Err() == nil {
		p.errorf([]any{"steps"}, "steps needs at least one step")
	}
	if p.ps.Err() != nil {
		return nil, p.ps
	}
	return rb, p.ps
}

// guideBody reads body: a guide runbook must have one and may have no
// parameters or steps (it is text to read, never run). Other runbooks may
// not have one: parseRunbook reports body there as an unknown key.
func (p *rbParser) guideBody(rb *Runbook) {
	if rb.Category != CategoryGuide {
		return
	}
	rb.Body = p.text([]any{"body"}, true)
	for _, key := range []string{"params", "preconditions", "steps", "verify", "cleanup"} {
		if p.has(key) {
			p.errorf([]any{key}, "a guide runbook is text only (body); it may not have %s", key)
		}
	}
}

func (p *rbParser) params(rb *Runbook) {
	names := map[string]bool{}
	for i := range p.list([]any{"params"}) {
		path := []any{"params", i}
		if !p.mapping(path, "name", "type", "default", "allow", "values", "min", "max", "title") {
			continue
		}
		pr := Param{Name: p.str(at(path, "name"), true), Type: ParamType(p.str(at(path, "type"), true))}
		switch {
		case pr.Name == "":
		case !isIdent(pr.Name):
			p.errorf(at(path, "name"), "parameter name %q must be lower-case letters, digits and _ (starting with a letter)", pr.Name)
		case names[pr.Name]:
			p.errorf(at(path, "name"), "parameter %q is declared twice", pr.Name)
		}
		names[pr.Name] = true
		pr.Title = p.text(at(path, "title"), false)
		pr.Allow = p.strings(at(path, "allow"))
		pr.Values = p.strings(at(path, "values"))
		if v, ok := p.integer(at(path, "min")); ok {
			pr.Min = &v
		}
		if v, ok := p.integer(at(path, "max")); ok {
			pr.Max = &v
		}
		onlyFor := func(key string, t ParamType, set bool) {
			if set && pr.Type != t {
				p.errorf(at(path, key), "%s applies only to parameters of type %s", key, t)
			}
		}
		onlyFor("allow", TypeService, p.has(at(path, "allow")...))
		onlyFor("values", TypeEnum, p.has(at(path, "values")...))
		onlyFor("min", TypeInt, pr.Min != nil)
		onlyFor("max", TypeInt, pr.Max != nil)
		switch pr.Type {
		case TypeService:
			if len(pr.Allow) == 0 {
				p.errorf(at(path, "type"), "a service parameter needs an allow list of service names")
			}
			for j, s := range pr.Allow {
				if s != "" && !isServiceName(s) {
					p.errorf(at(path, "allow", j), "%q is not a service name (letters, digits, _ . $ -)", s)
				}
			}
		case TypeEnum:
			if len(pr.Values) == 0 {
				p.errorf(at(path, "type"), "an enum parameter needs values")
			}
			for j, s := range pr.Values {
				if s != "" && !isEnumValue(s) {
					p.errorf(at(path, "values", j), "enum value %q may hold only letters, digits, _ . -", s)
				}
			}
		case TypeInt:
			if pr.Min != nil && pr.Max != nil && *pr.Min > *pr.Max {
				p.errorf(at(path, "min"), "min %d is above max %d", *pr.Min, *pr.Max)
			}
		case TypeTarget, TypeDriveLetter, TypePath, "":
		default:
			p.errorf(at(path, "type"), "parameter type %q is not one of %s", pr.Type, paramTypes)
		}
		if def, ok := p.scalar(at(path, "default")); ok {
			pr.Default = &def
			if pr.Type != "" && pr.Type != TypeTarget {
				if _, err := pr.validate(def, nil, def != ""); err != nil {
					p.errorf(at(path, "default"), "default: %v", err)
				}
			} else if pr.Type == TypeTarget {
				p.errorf(at(path, "default"), "a target parameter has no default")
			}
		}
		rb.Params = append(rb.Params, pr)
	}
}

// step reads one step. known holds the ids (and modes) of the steps before
// it, which its expressions may read.
func (p *rbParser) step(rb *Runbook, path []any, phase Phase, known map[string]Mode) (Step, bool) {
	if !p.mapping(path, "id", "title", "description", "mode", "shell", "timeout", "script", "parse",
		"expect", "report", "foreach", "when", "with") {
		return Step{}, false
	}
	st := Step{Phase: phase, Line: p.d.Line(path...), Timeout: defaultStepTimeout}
	st.ID = p.str(at(path, "id"), true)
	if st.ID != "" && !isRunbookID(st.ID) {
		p.errorf(at(path, "id"), "step id %q is not kebab-case", st.ID)
	}
	st.Title = p.text(at(path, "title"), false)
	st.Description = p.text(at(path, "description"), false)
	switch m := Mode(p.str(at(path, "mode"), false)); {
	case m == "" && (phase == PhasePrecondition || phase == PhaseVerify):
		st.Mode = ModeReadOnly
	case m == "":
		p.errorf(at(path, "mode"), "mode is required: read-only or change")
	case m != ModeReadOnly && m != ModeChange:
		p.errorf(at(path, "mode"), "mode %q is not read-only or change", m)
	case m == ModeChange && (phase == PhasePrecondition || phase == PhaseVerify):
		p.errorf(at(path, "mode"), "a %s step must be read-only", phase)
	case m == ModeChange && rb.Category == CategoryDiagnose:
		p.errorf(at(path, "mode"), "a diagnose runbook must be read-only; this step changes the server")
	default:
		st.Mode = m
	}
	switch st.Shell = Shell(p.str(at(path, "shell"), true)); st.Shell {
	case ShellCmd, ShellPowerShell, "":
	default:
		p.errorf(at(path, "shell"), "shell %q is not cmd or powershell", st.Shell)
	}
	if s := p.str(at(path, "timeout"), false); s != "" {
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			p.errorf(at(path, "timeout"), "timeout %q is not a duration such as 60s or 5m", s)
		case d < time.Second || d > maxStepTimeout:
			p.errorf(at(path, "timeout"), "timeout %s is outside 1s..1h", d)
		default:
			st.Timeout = d
		}
	}
	st.Parse = ParseNone
	if s := p.str(at(path, "parse"), false); s != "" {
		if s != ParseJSON && s != ParseLines && s != ParseNone && !slices.Contains(winout.Kinds, s) {
			p.errorf(at(path, "parse"), "parse %q is not json, lines, none or one of %s", s, strings.Join(winout.Kinds, ", "))
		}
		st.Parse = s
	}

	// Names the step's expressions may read.
	scope := exprScope{rb: rb, known: known}
	if p.has(at(path, "foreach")...) {
		fp := at(path, "foreach")
		if p.mapping(fp, "in", "where", "as") {
			st.Foreach = &Foreach{In: p.expr(at(fp, "in")), As: "item"}
			if as := p.str(at(fp, "as"), false); as != "" {
				if !isIdent(as) || slices.Contains([]string{"item", "result", "steps", "params", "target", "exit_code", "stdout", "true", "false", "null"}, as) {
					p.errorf(at(fp, "as"), "as %q must be a new lower-case name", as)
				} else {
					st.Foreach.As = as
				}
			}
			p.checkRefs(at(fp, "in"), st.Foreach.In, scope, &st.dataReads)
			if p.has(at(fp, "where")...) {
				st.Foreach.Where = p.expr(at(fp, "where"))
				p.checkRefs(at(fp, "where"), st.Foreach.Where, scope.withItem(st.Foreach.As), &st.dataReads)
			}
		}
	}
	item := scope
	if st.Foreach != nil {
		item = scope.withItem(st.Foreach.As)
	}
	if p.has(at(path, "when")...) {
		st.When = p.expr(at(path, "when"))
		p.checkRefs(at(path, "when"), st.When, item, &st.whenReads)
	}
	if p.has(at(path, "with")...) {
		wp := at(path, "with")
		if n := p.d.Node(wp...); n == nil || n.Kind != yaml.MappingNode {
			p.errorf(wp, "with must be a mapping of parameter: expression")
		} else {
			for i := 0; i+1 < len(n.Content); i += 2 {
				name := n.Content[i].Value
				if _, ok := rb.param(name); !ok {
					p.errorf(at(wp, name), "with sets %q, which is not a declared parameter (declare it in params so its value is validated)", name)
					continue
				}
				e := p.expr(at(wp, name))
				p.checkRefs(at(wp, name), e, item, &st.dataReads)
				st.With = append(st.With, With{Param: name, Expr: e})
			}
		}
	}
	st.Script = p.str(at(path, "script"), true)
	p.checkScript(rb, at(path, "script"), &st)

	after := item.withResult()
	for i := range p.list(at(path, "expect")) {
		ep := at(path, "expect", i)
		if !p.mapping(ep, "that", "message", "detail") {
			continue
		}
		x := Expectation{That: p.expr(at(ep, "that")), Message: p.text(at(ep, "message"), true)}
		p.checkRefs(at(ep, "that"), x.That, after, nil)
		if dp := at(ep, "detail"); p.has(dp...) {
			if n := p.d.Node(dp...); n != nil && n.Kind == yaml.MappingNode {
				if p.mapping(dp, "en", "ja") {
					x.Detail, x.DetailJA = p.expr(at(dp, "en")), p.expr(at(dp, "ja"))
					p.checkRefs(at(dp, "en"), x.Detail, after, nil)
					p.checkRefs(at(dp, "ja"), x.DetailJA, after, nil)
				}
			} else {
				x.Detail = p.expr(dp)
				p.checkRefs(dp, x.Detail, after, nil)
			}
		}
		st.Expect = append(st.Expect, x)
	}
	if p.has(at(path, "report")...) {
		rp := at(path, "report")
		if n := p.d.Node(rp...); n == nil || n.Kind != yaml.MappingNode {
			p.errorf(rp, "report must be a mapping of name: expression")
		} else {
			for i := 0; i+1 < len(n.Content); i += 2 {
				name := n.Content[i].Value
				if !isIdent(name) {
					p.errorf(at(rp, name), "report name %q must be lower-case letters, digits and _", name)
				}
				e := p.expr(at(rp, name))
				p.checkRefs(at(rp, name), e, after, nil)
				st.Report = append(st.Report, Report{Name: name, Expr: e})
			}
		}
	}
	return st, true
}

// checkScript checks the script against its shell: a cmd line may use only
// {{param}} placeholders of types that cannot carry shell metacharacters; a
// PowerShell script reads parameters only as $P.name.
func (p *rbParser) checkScript(rb *Runbook, path []any, st *Step) {
	if st.Script == "" {
		return
	}
	if st.Mode == ModeReadOnly {
		for _, pr := range readOnlyProblems(st.Shell, st.Script) {
			prob := p.d.Problem(strictyaml.Error, fmt.Sprintf("step %q is read-only, but its script runs what may change the server: %s", st.ID, pr.Msg), path...)
			// A block scalar's first line is the line after its key.
			if n := p.d.Node(path...); n != nil && n.Style == yaml.LiteralStyle {
				prob.Line += pr.Line
			}
			p.ps = append(p.ps, prob)
		}
	}
	switch st.Shell {
	case ShellCmd:
		if strings.ContainsAny(st.Script, "\r\n") {
			p.errorf(path, "a cmd script is one command line; it holds a line break")
		}
		if !strings.Contains(st.Script, "{{") && !strings.Contains(st.Script, "}}") {
			return
		}
		for _, m := range placeholderRE.FindAllStringSubmatch(st.Script, -1) {
			pr, ok := rb.param(m[1])
			switch {
			case !ok:
				p.errorf(path, "{{%s}} is not a declared parameter", m[1])
			case !pr.Type.cmdSafe():
				p.errorf(path, "{{%s}} is a %s parameter, which may not be spliced into a cmd line (only drive-letter, int, enum and service are); use a powershell step and $P.%s", m[1], pr.Type, m[1])
			}
		}
		rest := placeholderRE.ReplaceAllString(st.Script, "")
		if strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
			p.errorf(path, "malformed placeholder: write {{name}}")
		}
	case ShellPowerShell:
		lower := strings.ToLower(st.Script)
		for _, bad := range []string{"invoke-expression", "iex ", "iex(", "[scriptblock]::create", "-encodedcommand", "start-process"} {
			if strings.Contains(lower, bad) {
				p.errorf(path, "a runbook script may not build and run code at run time (%s)", strings.TrimRight(bad, " ("))
			}
		}
		if strings.Contains(st.Script, "{{") {
			p.errorf(path, "a PowerShell script reads parameters as $P.name, never as {{name}} (values are passed as data)")
		}
		if !strings.Contains(st.Script, "$P.") && !strings.Contains(st.Script, "$p.") {
			return
		}
		for _, m := range psParamRE.FindAllStringSubmatch(st.Script, -1) {
			if !slices.ContainsFunc(rb.Params, func(pr Param) bool { return strings.EqualFold(pr.Name, m[1]) }) {
				p.errorf(path, "$P.%s is not a declared parameter", m[1])
			}
		}
	}
}

// exprScope is what an expression may read at its place in the runbook.
type exprScope struct {
	rb     *Runbook
	known  map[string]Mode
	item   string // the foreach variable, or ""
	result bool   // result, exit_code, stdout of the step itself
}

func (s exprScope) withItem(as string) exprScope { s.item = as; return s }
func (s exprScope) withResult() exprScope        { s.result = true; return s }

// checkRefs reports every name e reads that is not in scope; reads, when
// given, collects the step ids e reads.
func (p *rbParser) checkRefs(path []any, e *Expr, s exprScope, reads *[]string) {
	if e == nil {
		return
	}
	for _, r := range e.refs() {
		switch r.root {
		case "params":
			if len(r.fields) > 0 {
				if _, ok := s.rb.param(r.fields[0]); !ok {
					p.errorf(path, "params.%s is not a declared parameter", r.fields[0])
				}
			}
		case "target":
		case "steps":
			if len(r.fields) == 0 {
				continue
			}
			_, ok := s.known[r.fields[0]]
			switch {
			case !ok:
				p.errorf(path, "steps.%s is not an earlier step", r.fields[0])
			case len(r.fields) > 1 && !slices.Contains(stepFieldNames(), r.fields[1]):
				p.errorf(path, "steps.%s.%s: a step has %s", r.fields[0], r.fields[1], strings.Join(stepFieldNames(), ", "))
			case reads != nil && !slices.Contains(*reads, r.fields[0]):
				*reads = append(*reads, r.fields[0])
			}
		case "item":
			if s.item == "" {
				p.errorf(path, "item is defined only inside foreach and any/all/filter/map")
			}
		case "result", "exit_code", "stdout":
			if !s.result {
				p.errorf(path, "%s is defined only in expect and report", r.root)
			}
		default:
			if r.root != s.item || s.item == "" {
				p.errorf(path, "unknown name %q (use params, steps, target, result, item or the foreach variable)", r.root)
			}
		}
	}
}
