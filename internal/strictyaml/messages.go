package strictyaml

import (
	"bytes"
	"encoding"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/suggest"
)

// syntaxProblem turns an error from the YAML parser ("yaml: line 3: ...") into
// a Problem at that line.
func (d *Doc) syntaxProblem(err error) Problem {
	line, msg := splitLine(strings.TrimPrefix(err.Error(), "yaml: "))
	switch {
	case isParserProblem(msg):
		// yaml.v3 prints the parser's 0-based line, and no line for line 0.
		line++
	case isScannerProblem(msg) || strings.HasPrefix(msg, "exceeded max depth of "):
		// Scanner lines are 1-based, but yaml.v3 omits the first line.
		line = max(line, 1)
	case isReaderProblem(msg):
		line = badCharLine(d.data)
	case line == 0:
		if name, ok := cutQuoted(msg, "unknown anchor '", "' referenced"); ok {
			line = lineContaining(d.data, "*"+name)
		}
	}
	if line > 0 && !strings.Contains(msg, "tab") && lineIndentHasTab(d.data, line) {
		msg += " (the line is indented with a tab; YAML allows only spaces for indentation)"
	}
	return Problem{File: d.File, Line: line, Severity: Error, Msg: msg}
}

// yaml.v3 (v3.0.1) reports problems from its parser, scanner and reader; each
// needs a different line correction.

// isParserProblem reports whether msg comes from the YAML parser.
func isParserProblem(msg string) bool {
	switch msg {
	case "did not find expected ',' or ']'",
		"did not find expected ',' or '}'",
		"did not find expected '-' indicator",
		"did not find expected <document start>",
		"did not find expected <stream-start>",
		"did not find expected key",
		"did not find expected node content",
		"found duplicate %TAG directive",
		"found duplicate %YAML directive",
		"found incompatible YAML document",
		"found undefined tag handle":
		return true
	}
	return false
}

// isScannerProblem reports whether msg comes from the YAML scanner.
func isScannerProblem(msg string) bool {
	switch msg {
	case "block sequence entries are not allowed in this context",
		"could not find expected ':'",
		"could not find expected directive name",
		"did not find expected alphabetic or numeric character",
		"did not find expected comment or line break",
		"did not find expected digit or '.' character",
		"did not find expected hexdecimal number",
		"did not find expected version number",
		"did not find expected whitespace or line break",
		"did not find expected whitespace",
		"did not find the expected '>'",
		"found a tab character that violates indentation",
		"found a tab character where an indentation space is expected",
		"found an indentation indicator equal to 0",
		"found character that cannot start any token",
		"found extremely long version number",
		"found invalid Unicode character escape code",
		"found unexpected document indicator",
		"found unexpected end of stream",
		"found unexpected non-alphabetical character",
		"found unknown directive name",
		"found unknown escape character",
		"mapping keys are not allowed in this context",
		"mapping values are not allowed in this context":
		return true
	}
	return false
}

// isReaderProblem reports whether msg comes from the YAML reader (bad bytes).
func isReaderProblem(msg string) bool {
	switch msg {
	case "invalid leading UTF-8 octet",
		"incomplete UTF-8 octet sequence",
		"invalid trailing UTF-8 octet",
		"invalid length of a UTF-8 sequence",
		"invalid Unicode character",
		"control characters are not allowed":
		return true
	}
	return false
}

// badCharLine returns the line of the first byte YAML does not accept in a
// UTF-8 stream (invalid UTF-8 or a control character), or 0.
func badCharLine(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return line
		case r == '\n':
			line++
		case r == '\t' || r == '\r' || r == 0x85 || r == 0xFEFF:
		case r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == 0xFFFE || r == 0xFFFF:
			return line
		}
		i += size
	}
	return 0
}

func cutQuoted(s, prefix, suffix string) (string, bool) {
	s, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	return strings.CutSuffix(s, suffix)
}

// lineContaining returns the 1-based number of the first line holding sub, or 0.
func lineContaining(data []byte, sub string) int {
	i := bytes.Index(data, []byte(sub))
	if i < 0 || sub == "" {
		return 0
	}
	return bytes.Count(data[:i], []byte("\n")) + 1
}

// splitLine splits "line N: rest" into N and rest; other text gives 0 and the
// text unchanged.
func splitLine(s string) (int, string) {
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s
	}
	num, msg, ok := strings.Cut(rest, ": ")
	if !ok {
		return 0, s
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 {
		return 0, s
	}
	return n, msg
}

func lineIndentHasTab(data []byte, line int) bool {
	for i := 1; i < line; i++ {
		j := slices.Index(data, '\n')
		if j < 0 {
			return false
		}
		data = data[j+1:]
	}
	for _, c := range data {
		switch c {
		case '\t':
			return true
		case ' ':
			continue
		}
		return false
	}
	return false
}

// typeProblem turns one entry of a *yaml.TypeError ("line N: ...") into a
// Problem with a message naming the key path.
func (d *Doc) typeProblem(s string, types typeIndex) Problem {
	line, rest := splitLine(s)
	p := Problem{File: d.File, Line: line, Severity: Error, Msg: rest}
	if line == 0 {
		return p
	}
	if key, _, ok := cutOuter(rest, "field ", " already set in type "); ok {
		p.Msg = "duplicate key " + strconv.Quote(key) + d.keyContext(line, key)
		return p
	}
	if q, first, ok := cutOuter(rest, "mapping key ", " already defined at line "); ok {
		key, err := strconv.Unquote(q)
		if err != nil {
			key = q
		}
		p.Msg = "duplicate key " + strconv.Quote(key) + d.keyContext(line, key) + " (first defined at line " + first + ")"
		return p
	}
	if rest, ok := strings.CutPrefix(rest, "cannot unmarshal "); ok {
		if m, ok := d.mismatchMsg(line, rest, types); ok {
			p.Msg = m
		}
	}
	return p
}

// cutOuter splits "<prefix>A<sep>B" into A and B, splitting at the last sep.
func cutOuter(s, prefix, sep string) (a, b string, ok bool) {
	s, ok = strings.CutPrefix(s, prefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return "", "", false
	}
	return s[:i], s[i+len(sep):], true
}

func (d *Doc) unknownKeyMsg(line int, key string, known []string) string {
	msg := "unknown key " + strconv.Quote(key) + d.keyContext(line, key)
	switch best, ok := closest(key, known); {
	case ok:
		msg += "; did you mean " + strconv.Quote(best) + "?"
	case len(known) > 0 && len(known) <= 20:
		msg += " (known keys: " + strings.Join(known, ", ") + ")"
	}
	return msg
}

// keyContext returns " in <path>" for the mapping holding key at line, when
// exactly one such mapping exists.
func (d *Doc) keyContext(line int, key string) string {
	var paths [][]any
	d.visit(func(n *yaml.Node, path []any, isKey bool) {
		if isKey && n.Line == line && n.Value == key {
			paths = append(paths, slices.Clone(path))
		}
	})
	switch {
	case len(paths) != 1:
		return ""
	case len(paths[0]) == 0:
		return " at top level"
	}
	return " in " + FormatPath(paths[0]...)
}

// mismatchMsg rewrites yaml.v3's "cannot unmarshal !!str `abc` into bool"
// (already without "cannot unmarshal ") as
// "codes[0].verified: expected a boolean (true or false), got string "abc"".
func (d *Doc) mismatchMsg(line int, s string, types typeIndex) (string, bool) {
	tag, rest, ok := strings.Cut(s, " ")
	if !ok {
		return "", false
	}
	var shown string
	if strings.HasPrefix(rest, "`") {
		end := strings.LastIndex(rest, "` into ")
		if end < 1 {
			return "", false
		}
		shown, rest = rest[1:end], rest[end+2:]
	}
	typ, ok := strings.CutPrefix(rest, "into ")
	if !ok {
		return "", false
	}
	var found []*yaml.Node
	var paths [][]any
	d.visit(func(n *yaml.Node, path []any, isKey bool) {
		if isKey || n.Line != line || n.ShortTag() != tag || !matchesShown(n.Value, shown, n.Kind) {
			return
		}
		found = append(found, n)
		paths = append(paths, slices.Clone(path))
	})
	got := tagWord(tag)
	if tag != "!!seq" && tag != "!!map" && tag != "!!null" {
		v := shown
		if len(found) == 1 {
			v = found[0].Value
		}
		got += " " + strconv.Quote(truncate(v, 60))
	}
	msg := "expected " + types.describe(typ) + ", got " + got
	if len(paths) == 1 {
		msg = FormatPath(paths[0]...) + ": " + msg
	}
	return msg, true
}

// matchesShown reports whether value is what yaml.v3 printed: the value
// itself, or its first 7 bytes and "..." when longer than 10 bytes.
func matchesShown(value, shown string, kind yaml.Kind) bool {
	if kind != yaml.ScalarNode {
		return true
	}
	if len(value) > 10 {
		return shown == value[:7]+"..."
	}
	return shown == value
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "..."
}

func tagWord(tag string) string {
	switch tag {
	case "!!str":
		return "string"
	case "!!int":
		return "integer"
	case "!!float":
		return "number"
	case "!!bool":
		return "boolean"
	case "!!null":
		return "null"
	case "!!seq":
		return "a list"
	case "!!map":
		return "a mapping"
	case "!!timestamp":
		return "timestamp"
	case "!!binary":
		return "binary"
	default:
		return tag
	}
}

// visit calls fn for every node of the document with its path; mapping keys
// are visited with isKey set and the path of their mapping. Aliases are not
// followed, so every node is visited once.
func (d *Doc) visit(fn func(n *yaml.Node, path []any, isKey bool)) {
	var walk func(n *yaml.Node, path []any)
	walk = func(n *yaml.Node, path []any) {
		if n == nil {
			return
		}
		fn(n, path, false)
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, append(path, i))
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				fn(k, path, true)
				walk(n.Content[i+1], append(path, k.Value))
			}
		}
	}
	if d != nil && d.Root != nil {
		if d.Root.Kind == yaml.DocumentNode {
			for _, c := range d.Root.Content {
				walk(c, nil)
			}
			return
		}
		walk(d.Root, nil)
	}
}

// typeIndex maps the names yaml.v3 prints for Go types (reflect.Type.String)
// to the types reachable from the value being decoded.
type typeIndex map[string]reflect.Type

func newTypeIndex(v any) typeIndex {
	idx := typeIndex{}
	if v != nil {
		idx.add(reflect.TypeOf(v))
	}
	return idx
}

func (idx typeIndex) add(t reflect.Type) {
	if _, seen := idx[t.String()]; seen {
		return
	}
	idx[t.String()] = t
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		idx.add(t.Elem())
	case reflect.Map:
		idx.add(t.Key())
		idx.add(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				idx.add(f.Type)
			}
		}
	}
}

// describe says in words what a YAML value decoding into the Go type named
// name must look like.
func (idx typeIndex) describe(name string) string {
	t, ok := idx[name]
	if !ok {
		switch {
		case strings.HasPrefix(name, "[]"):
			return "a list"
		case strings.HasPrefix(name, "map["):
			return "a mapping"
		}
		return name
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "a non-negative integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return name
}

// closest returns the known key key is likely a typo of: within two edits,
// or one for keys of four bytes or fewer.
func closest(key string, known []string) (string, bool) {
	maxDist := 2
	if len(key) <= 4 {
		maxDist = 1
	}
	return suggest.Closest(key, known, maxDist)
}
