package config

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// The targets fast path.
//
// Load's general path hands the whole file to viper, which copies and
// lower-cases it, and mapstructure then decodes every key of every target
// through its generic, weakly typed decoder; with a thousand targets that
// was most of Load's time. splitPlainTargets is a fast path for the common
// case, a targets section written plainly: it builds the []Target straight
// from yaml.v3's node tree with a field table per struct type (fieldTable,
// built once from the mapstructure tags), and Load gives viper the rest of
// the file.
//
// The fast path decodes only what it decodes exactly as the general path
// would, and gives up (ok false) on anything else: anchors, aliases, merge
// keys, explicit tags, duplicate keys, keys that are unknown or not written
// exactly as their tag (other case), values that would need one of
// mapstructure's weak conversions ("yes", "0x10", a quoted number), and
// values that do not parse. Load then decodes the whole file the general
// way, so every problem, its message and its line, comes from one
// implementation, and exotic YAML behaves exactly as it always did.
// FuzzDecodeTargets and TestPlainTargetsValues check that both paths agree;
// TestTargetTableComplete that a new Target field does not silently send
// every file that sets it down the general path.

// YAML tags the fast path meets, as yaml.v3 resolves them at parse time.
const (
	strTag       = "!!str"
	intTag       = "!!int"
	boolTag      = "!!bool"
	nullTag      = "!!null"
	timestampTag = "!!timestamp"
)

// splitPlainTargets returns the targets of the document root and a shallow
// copy of root without the targets key, when the targets section is plain
// (see above) and the rest of the document cannot behave differently
// without it (no aliases, no merge key at the top level). ok is false
// otherwise, and when the document has no targets key.
func splitPlainTargets(root *yaml.Node) (rest *yaml.Node, targets []Target, ok bool) {
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, nil, false
	}
	top := root.Content[0]
	if top.Kind != yaml.MappingNode || !plainNode(top) {
		return nil, nil, false
	}
	at := -1
	for i := 0; i+1 < len(top.Content); i += 2 {
		k := top.Content[i]
		// A merge key could bring in another targets; a key of another
		// kind, or spelled "Targets", is decoded by viper's rules.
		if k.Kind != yaml.ScalarNode || !plainNode(k) || k.Tag != strTag {
			return nil, nil, false
		}
		if strings.EqualFold(k.Value, "targets") {
			if at >= 0 || k.Value != "targets" {
				return nil, nil, false
			}
			at = i
		}
	}
	if at < 0 {
		return nil, nil, false
	}
	// yaml.v3 refuses a document whose share of nodes decoded through
	// aliases is too high; without the targets that share would differ.
	for i, n := range top.Content {
		if i != at+1 && hasAlias(n, 0) {
			return nil, nil, false
		}
	}
	if targets, ok = decodeTargets(top.Content[at+1]); !ok {
		return nil, nil, false
	}
	restTop := *top
	restTop.Content = slices.Concat(top.Content[:at], top.Content[at+2:])
	restDoc := *root
	restDoc.Content = []*yaml.Node{&restTop}
	return &restDoc, targets, true
}

// hasAlias reports whether the tree under n holds an alias (or is too
// deep to tell).
func hasAlias(n *yaml.Node, depth int) bool {
	if n.Kind == yaml.AliasNode || depth > 1000 {
		return true
	}
	for _, c := range n.Content {
		if hasAlias(c, depth+1) {
			return true
		}
	}
	return false
}

// decodeTargets decodes the targets sequence seq, or returns ok false when
// it is not plain.
func decodeTargets(seq *yaml.Node) ([]Target, bool) {
	if seq.Kind != yaml.SequenceNode || !plainNode(seq) {
		return nil, false
	}
	table := targetTable()
	ts := make([]Target, len(seq.Content))
	for i, item := range seq.Content {
		if !table.decode(item, reflect.ValueOf(&ts[i]).Elem()) {
			return nil, false
		}
	}
	return ts, true
}

// plainNode reports whether n has neither an anchor nor an explicit tag.
func plainNode(n *yaml.Node) bool {
	return n.Anchor == "" && n.Style&yaml.TaggedStyle == 0
}

// fieldKind is how the fast path decodes a field; kindOther fields make it
// give up whenever the file sets them.
type fieldKind uint8

const (
	kindOther    fieldKind = iota
	kindString             // any string type
	kindInt                // int
	kindBool               // bool
	kindBoolPtr            // *bool
	kindStrings            // []string
	kindDuration           // Duration
	kindStruct             // a struct, through its own table
)

// fieldTable maps the keys of a struct type (its fields' mapstructure tag
// names, as written in the file) to its fields.
type fieldTable struct {
	fields map[string]tableField
}

type tableField struct {
	index int // in the struct, below 64
	kind  fieldKind
	sub   *fieldTable // kindStruct
}

// targetTable is Target's field table, built on first use.
var targetTable = sync.OnceValue(func() *fieldTable { return newFieldTable(reflect.TypeFor[Target]()) })

func newFieldTable(t reflect.Type) *fieldTable {
	fs := taggedFields(t)
	ft := &fieldTable{fields: make(map[string]tableField, len(fs))}
	for i, f := range fs {
		tf := tableField{index: i, kind: kindOf(f.Type)}
		if i >= 64 || !f.IsExported() {
			tf.kind = kindOther
		}
		if tf.kind == kindStruct {
			tf.sub = newFieldTable(f.Type)
		}
		if _, dup := ft.fields[f.name]; !dup {
			ft.fields[f.name] = tf
		}
	}
	return ft
}

func kindOf(t reflect.Type) fieldKind {
	switch {
	case t == durationType:
		return kindDuration
	case t == byteSizeType:
		return kindOther
	case t.Kind() == reflect.String:
		return kindString
	case t == reflect.TypeFor[int]():
		return kindInt
	case t == reflect.TypeFor[bool]():
		return kindBool
	case t == reflect.TypeFor[*bool]():
		return kindBoolPtr
	case t == reflect.TypeFor[[]string]():
		return kindStrings
	case t.Kind() == reflect.Struct:
		return kindStruct
	}
	return kindOther
}

// decode fills the struct v from the mapping n, or returns false when n is
// not plain.
func (ft *fieldTable) decode(n *yaml.Node, v reflect.Value) bool {
	if n.Kind != yaml.MappingNode || !plainNode(n) {
		return false
	}
	var seen uint64
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if k.Kind != yaml.ScalarNode || !plainNode(k) || k.Tag != strTag {
			return false
		}
		f, ok := ft.fields[k.Value]
		if !ok || seen&(1<<f.index) != 0 {
			return false // unknown or duplicate
		}
		seen |= 1 << f.index
		if !f.decode(n.Content[i+1], v.Field(f.index)) {
			return false
		}
	}
	return true
}

// decode sets v from n as mapstructure (weakly typed, with decodeHook)
// sets it from the value yaml.v3 decodes n into, or returns false. A null
// leaves v as it is, as mapstructure does.
func (f tableField) decode(n *yaml.Node, v reflect.Value) bool {
	if n.Kind == yaml.ScalarNode && plainNode(n) && n.Tag == nullTag {
		return true
	}
	switch f.kind {
	case kindString:
		s, ok := plainString(n)
		if ok {
			v.SetString(s)
		}
		return ok
	case kindInt:
		i, ok := plainInt(n)
		if ok {
			v.SetInt(int64(i))
		}
		return ok
	case kindBool, kindBoolPtr:
		if n.Kind != yaml.ScalarNode || !plainNode(n) || n.Tag != boolTag {
			return false
		}
		// yaml.v3 resolves true, True, TRUE, false, False and FALSE.
		b := n.Value[0] == 't' || n.Value[0] == 'T'
		if f.kind == kindBool {
			v.SetBool(b)
		} else {
			v.Set(reflect.ValueOf(&b))
		}
		return true
	case kindStrings:
		if n.Kind == yaml.ScalarNode {
			// mapstructure lifts a single value into a list.
			s, ok := plainString(n)
			if ok {
				v.Set(reflect.ValueOf([]string{s}))
			}
			return ok
		}
		if n.Kind != yaml.SequenceNode || !plainNode(n) {
			return false
		}
		list := make([]string, len(n.Content))
		for i, c := range n.Content {
			s, ok := plainString(c)
			if !ok {
				return false
			}
			list[i] = s
		}
		v.Set(reflect.ValueOf(list))
		return true
	case kindDuration:
		if n.Kind != yaml.ScalarNode || !plainNode(n) {
			return false
		}
		switch n.Tag {
		case strTag:
			d, err := ParseDuration(n.Value)
			if err != nil {
				return false
			}
			v.SetInt(int64(d))
			return true
		case intTag:
			// toDuration takes a bare number only when it is 0.
			i, ok := plainInt(n)
			return ok && i == 0 // v is 0 already
		}
		return false
	case kindStruct:
		return f.sub.decode(n, v)
	}
	return false
}

// plainString returns the string a string field gets from the scalar n: a
// string, or a date, which yaml.v3 reads as a time and decodeHook writes
// back as YYYY-MM-DD.
func plainString(n *yaml.Node) (string, bool) {
	if n.Kind != yaml.ScalarNode || !plainNode(n) {
		return "", false
	}
	switch n.Tag {
	case strTag:
		return n.Value, true
	case timestampTag:
		// yaml.v3 also reads 2025-1-2 and times of day, which
		// decodeHook writes differently.
		return n.Value, isDate(n.Value)
	}
	return "", false
}

// isDate reports whether s is written YYYY-MM-DD (a timestamp's tag says
// it is a valid date).
func isDate(s string) bool {
	if len(s) != len("2006-01-02") || s[4] != '-' || s[7] != '-' {
		return false
	}
	return digits(s[:4]) && digits(s[5:7]) && digits(s[8:])
}

// plainInt returns the int the scalar n is when written in plain decimal
// (-?(0|[1-9][0-9]*), at most 18 digits), which yaml.v3 and strconv.Atoi
// read alike; yaml.v3 also reads 0x10, 0o17, 017 (octal), 1_000 and +5.
func plainInt(n *yaml.Node) (int, bool) {
	if n.Kind != yaml.ScalarNode || !plainNode(n) || n.Tag != intTag {
		return 0, false
	}
	d := strings.TrimPrefix(n.Value, "-")
	if d == "" || len(d) > 18 || (d[0] == '0' && len(d) > 1) || !digits(d) {
		return 0, false
	}
	i, err := strconv.Atoi(n.Value)
	return i, err == nil
}

// digits reports whether s is made of ASCII digits only.
func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
