package strictyaml

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Doc is one parsed YAML file: its name and its node tree, kept so that
// problems found after decoding can be located at the right line.
type Doc struct {
	// File is the name problems are reported under.
	File string
	// Root is the document node (Kind yaml.DocumentNode) of the file's first
	// document, or nil when the file could not be parsed or holds none.
	Root *yaml.Node

	data []byte
}

// Parse parses data as a single YAML document and returns its node tree.
// Syntax errors (with their line), an empty file and a file holding more than
// one document are reported as Error problems. The returned Doc is never nil;
// its Root is nil when there is nothing to decode.
func Parse(file string, data []byte) (*Doc, Problems) {
	d := &Doc{File: file, data: data}
	var ps Problems
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	err := safeDecode(dec, &root)
	switch {
	case errors.Is(err, io.EOF):
		return d, Problems{{File: file, Severity: Error, Msg: "file is empty: it holds no YAML document"}}
	case err != nil:
		return d, Problems{d.syntaxProblem(err)}
	}
	d.Root = &root
	ps = append(ps, d.duplicateKeys()...)
	if c := d.content(); c == nil || (c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null") {
		ps = append(ps, Problem{File: file, Line: root.Line, Severity: Error, Msg: "document is empty"})
	}
	var next yaml.Node
	switch err := safeDecode(dec, &next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		ps = append(ps, d.syntaxProblem(err))
	default:
		ps = append(ps, Problem{File: file, Line: next.Line, Severity: Error,
			Msg: "a second YAML document starts here; a file must hold exactly one document"})
	}
	return d, ps
}

// Decode strictly decodes the document into v, which must be a non-nil
// pointer. Every unknown key, type mismatch and duplicate key is reported as an
// Error problem at its line, with the path of the mapping it occurs in, in line
// order. Only the first document is decoded. Decode does nothing when d.Root is
// nil (Parse has already reported why).
//
// Types that implement yaml.Unmarshaler or encoding.TextUnmarshaler and return
// a plain error stop yaml.v3 at that error; decode such values as strings and
// check them afterwards to get every problem reported.
func (d *Doc) Decode(v any) Problems {
	if d == nil || d.Root == nil {
		return nil
	}
	// The tree is decoded as it is (yaml.Node.Decode does not reparse, and
	// ignores KnownFields); unknownKeys does what KnownFields would.
	err := safeNodeDecode(d.Root, v)
	if err != nil {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return Problems{d.syntaxProblem(err)}
		}
	}
	ps := d.unknownKeys(v)
	var te *yaml.TypeError
	if errors.As(err, &te) {
		types := newTypeIndex(v)
		for _, s := range te.Errors {
			if strings.Contains(s, " already defined at line ") {
				continue // Parse reported every duplicate key already.
			}
			ps = append(ps, d.typeProblem(s, types))
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	return ps
}

// Decode parses data as a single YAML document and strictly decodes it into v
// (a non-nil pointer), reporting every problem at once: syntax errors, an empty
// file, more than one document, unknown keys, type mismatches and duplicate
// keys. The returned Doc is never nil and locates further problems the caller
// finds while validating v.
func Decode(file string, data []byte, v any) (*Doc, Problems) {
	d, ps := Parse(file, data)
	return d, append(ps, d.Decode(v)...)
}

// duplicateKeys reports every key that repeats an earlier key of the same
// mapping, anywhere in the document. (yaml.v3 reports them too, but only in
// the mappings it decodes, and stops decoding such a mapping.)
func (d *Doc) duplicateKeys() Problems {
	var ps Problems
	d.visit(func(n *yaml.Node, path []any, isKey bool) {
		if isKey || n.Kind != yaml.MappingNode || len(n.Content) < 4 {
			return
		}
		var first map[string]*yaml.Node // only for large mappings
		if len(n.Content) > 32 {
			first = make(map[string]*yaml.Node, len(n.Content)/2)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			var f *yaml.Node
			if first != nil {
				if f = first[k.Value]; f == nil {
					first[k.Value] = k
					continue
				}
			} else {
				for j := 0; j < i && f == nil; j += 2 {
					if c := n.Content[j]; c.Kind == yaml.ScalarNode && c.Value == k.Value {
						f = c
					}
				}
				if f == nil {
					continue
				}
			}
			where := " at top level"
			if len(path) > 0 {
				where = " in " + FormatPath(path...)
			}
			ps = append(ps, Problem{File: d.File, Line: k.Line, Severity: Error,
				Msg: fmt.Sprintf("duplicate key %q%s (first defined at line %d)", k.Value, where, f.Line)})
		}
	})
	return ps
}

// safeDecode runs dec.Decode and turns a panic inside yaml.v3 into an error, so
// that no input can crash a caller loading operator-written files.
func safeDecode(dec *yaml.Decoder, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML decoder failed: %v", r)
		}
	}()
	return dec.Decode(v)
}

// safeNodeDecode is safeDecode for yaml.Node.Decode.
func safeNodeDecode(n *yaml.Node, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML decoder failed: %v", r)
		}
	}()
	return n.Decode(v)
}

// content returns the node the document holds, or nil.
func (d *Doc) content() *yaml.Node {
	if d == nil || d.Root == nil {
		return nil
	}
	n := d.Root
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	return n
}

// Node returns the node at path, made of string mapping keys and int sequence
// indices (aliases and merge keys are followed), or nil when there is none.
// A string key returns the key's value node.
func (d *Doc) Node(path ...any) *yaml.Node {
	n, _, depth := d.walk(path)
	if depth != len(path) {
		return nil
	}
	return n
}

// Line returns the line of the node at path (for a final string key, the
// line of the key itself). When the path does not exist it returns the line of
// the nearest existing ancestor, and 0 when there is no document.
func (d *Doc) Line(path ...any) int {
	_, line, _ := d.walk(path)
	return line
}

// Problem returns a problem of the given severity located at d.Line(path...).
func (d *Doc) Problem(sev Severity, msg string, path ...any) Problem {
	var file string
	if d != nil {
		file = d.File
	}
	return Problem{File: file, Line: d.Line(path...), Severity: sev, Msg: msg}
}

// walk follows path as far as it exists. It returns the deepest node reached,
// the line of the last path element reached (the key's line for a mapping
// key) and how many path elements were consumed.
func (d *Doc) walk(path []any) (n *yaml.Node, line, depth int) {
	n = resolveAlias(d.content())
	if n == nil {
		return nil, 0, 0
	}
	line = n.Line
	for _, step := range path {
		var next *yaml.Node
		var nextLine int
		switch s := step.(type) {
		case string:
			if k, v := lookupKey(n, s, 0); v != nil {
				next, nextLine = v, k.Line
			}
		case int:
			if n.Kind == yaml.SequenceNode && s >= 0 && s < len(n.Content) {
				next = n.Content[s]
				nextLine = next.Line
			}
		}
		if next == nil {
			return n, line, depth
		}
		n, line, depth = resolveAlias(next), nextLine, depth+1
		if n == nil {
			return nil, line, depth
		}
	}
	return n, line, depth
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// lookupKey finds key in mapping n, looking through merge keys ("<<") when the
// mapping does not hold it directly.
func lookupKey(n *yaml.Node, key string, depth int) (k, v *yaml.Node) {
	if n == nil || n.Kind != yaml.MappingNode || depth > 10 {
		return nil, nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if kn := n.Content[i]; kn.Kind == yaml.ScalarNode && kn.Value == key && kn.ShortTag() != "!!merge" {
			return kn, n.Content[i+1]
		}
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].ShortTag() != "!!merge" {
			continue
		}
		m := resolveAlias(n.Content[i+1])
		if m == nil {
			continue
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			if k, v := lookupKey(resolveAlias(src), key, depth+1); v != nil {
				return k, v
			}
		}
	}
	return nil, nil
}

// FormatPath renders a path of string keys and int indices the way problems
// show it: codes[3].runbooks.fix[0]. The empty path is "top level".
func FormatPath(path ...any) string {
	var b strings.Builder
	for _, step := range path {
		switch s := step.(type) {
		case int:
			b.WriteString("[" + strconv.Itoa(s) + "]")
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			if plainKey(s) {
				b.WriteString(s)
			} else {
				b.WriteString(strconv.Quote(s))
			}
		default:
			fmt.Fprintf(&b, "<%v>", s)
		}
	}
	if b.Len() == 0 {
		return "top level"
	}
	return b.String()
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// Span returns the first and last line of the node at path: the line Line
// gives and the highest line any node below it starts on. It returns 0, 0 when
// the path does not exist.
func (d *Doc) Span(path ...any) (first, last int) {
	n := d.Node(path...)
	if n == nil {
		return 0, 0
	}
	first = d.Line(path...)
	last = first
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 1000 {
			return
		}
		last = max(last, n.Line)
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return first, last
}

// KeptItems returns, for the sequence at path, the indices of the items that
// yaml.v3 keeps when it decodes the sequence into a slice whose elements are of
// kind into, so that element j of the decoded slice came from item
// KeptItems(...)[j]. yaml.v3 silently drops the items it cannot decode (after
// reporting them): for reflect.Struct elements every item but a mapping without
// duplicate keys, for reflect.String elements every item but a non-null scalar.
// Other kinds keep every item. It returns nil when path is not a sequence.
func (d *Doc) KeptItems(into reflect.Kind, path ...any) []int {
	seq := d.Node(path...)
	if seq == nil || seq.Kind != yaml.SequenceNode {
		return nil
	}
	kept := make([]int, 0, len(seq.Content))
	for i, item := range seq.Content {
		n := resolveAlias(item)
		if n == nil {
			continue
		}
		switch into {
		case reflect.Struct:
			if n.Kind != yaml.MappingNode || hasDuplicateKeys(n) {
				continue
			}
		case reflect.String:
			if n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" {
				continue
			}
		}
		kept = append(kept, i)
	}
	return kept
}

// hasDuplicateKeys mirrors yaml.v3's check, which makes it skip a mapping.
func hasDuplicateKeys(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			if n.Content[i].Kind == n.Content[j].Kind && n.Content[i].Value == n.Content[j].Value {
				return true
			}
		}
	}
	return false
}
