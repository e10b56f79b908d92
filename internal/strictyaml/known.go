package strictyaml

import (
	"encoding/base64"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Unknown keys are found by walking the node tree alongside the Go type, the
// way yaml.v3's Decoder does with KnownFields(true). Doing it here lets Decode
// use the tree Parse already built (yaml.Node.Decode ignores KnownFields)
// instead of parsing every file a second time. FuzzKnownFields checks that the
// walk and yaml.v3 agree.

// maxWalkSteps bounds the walk; yaml.v3 refuses documents with excessive
// aliasing before the walk runs, so real files stay far below it.
const maxWalkSteps = 1 << 22

type keyWalker struct {
	found  []unknownKey
	done   map[walkKey]bool
	active map[*yaml.Node]bool
	steps  int
	infos  map[reflect.Type]*structInfo
	custom map[reflect.Type]bool
}

// unknownKey is a key that names no field: its line, the key, and the keys
// its struct knows.
type unknownKey struct {
	line  int
	key   string
	known []string
}

type walkKey struct {
	n *yaml.Node
	t reflect.Type
}

// structInfo is what the walk needs to know about a struct type: the type of
// the field behind each key, and whether an inline map takes the other keys.
type structInfo struct {
	fields    map[string]reflect.Type
	inlineMap reflect.Type // element type of the ",inline" map, or nil
	known     []string
}

// unknownKeys reports every mapping key that decoding into v would meet with
// no field to go to.
func (d *Doc) unknownKeys(v any) Problems {
	var ps Problems
	for _, u := range d.findUnknownKeys(v) {
		ps = append(ps, Problem{File: d.File, Line: u.line, Severity: Error,
			Msg: d.unknownKeyMsg(u.line, u.key, u.known)})
	}
	return ps
}

func (d *Doc) findUnknownKeys(v any) []unknownKey {
	t := reflect.TypeOf(v)
	if t == nil || d.Root == nil {
		return nil
	}
	w := &keyWalker{
		done:   map[walkKey]bool{},
		active: map[*yaml.Node]bool{},
		infos:  map[reflect.Type]*structInfo{},
		custom: map[reflect.Type]bool{},
	}
	for t.Kind() == reflect.Pointer && !custom(t) {
		t = t.Elem()
	}
	w.walk(d.Root, t, nil)
	return w.found
}

// isCustom is custom, remembered per type.
func (w *keyWalker) isCustom(t reflect.Type) bool {
	c, ok := w.custom[t]
	if !ok {
		c = custom(t)
		w.custom[t] = c
	}
	return c
}

// custom reports whether yaml.v3 hands nodes for t to the type itself.
func custom(t reflect.Type) bool {
	if t == reflect.TypeFor[yaml.Node]() {
		return true
	}
	for _, c := range []reflect.Type{t, reflect.PointerTo(t)} {
		if c.Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
			return true
		}
		// yaml.v3's obsolete interface: UnmarshalYAML(func(any) error) error.
		if m, ok := c.MethodByName("UnmarshalYAML"); ok && m.Type.NumIn() == 2 && m.Type.In(1).Kind() == reflect.Func {
			return true
		}
	}
	return false
}

// walk visits node n decoded into type t. skip, when not nil, holds the keys
// already taken by the mapping a merge ("<<") belongs to.
func (w *keyWalker) walk(n *yaml.Node, t reflect.Type, skip map[string]bool) {
	if n == nil || t == nil || w.steps > maxWalkSteps {
		return
	}
	w.steps++
	if n.Kind == yaml.AliasNode {
		// Only an alias makes the walk meet a node twice; walk each target
		// once per type (merges excepted: their skip sets differ).
		k := walkKey{n.Alias, t}
		if n.Alias == nil || w.active[n] || (skip == nil && w.done[k]) {
			return
		}
		if skip == nil {
			w.done[k] = true
		}
		w.active[n] = true
		w.walk(n.Alias, t, skip)
		delete(w.active, n)
		return
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 1 {
			w.walk(n.Content[0], t, skip)
		}
		return
	}
	if n.ShortTag() == "!!null" {
		return
	}
	for {
		if w.isCustom(t) {
			return
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, c := range n.Content {
				w.walk(c, t.Elem(), nil)
			}
		}
	case yaml.MappingNode:
		switch t.Kind() {
		case reflect.Struct:
			w.mappingStruct(n, t, skip)
		case reflect.Map:
			var merge *yaml.Node
			for i := 0; i+1 < len(n.Content); i += 2 {
				if isMergeKey(n.Content[i]) {
					merge = n.Content[i+1]
					continue
				}
				w.walk(n.Content[i+1], t.Elem(), nil)
			}
			if merge != nil {
				w.merge(merge, t, nil)
			}
		}
	}
}

func (w *keyWalker) mappingStruct(n *yaml.Node, t reflect.Type, skip map[string]bool) {
	info := w.info(t)
	var merge *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merge = v
			continue
		}
		// yaml.v3 decodes the key into a string first; keys that cannot be
		// one are type errors (or, for null, silently skipped).
		name, ok := keyString(k)
		if !ok {
			continue
		}
		if skip != nil {
			if skip[name] {
				continue
			}
			skip[name] = true
		}
		switch ft, known := info.fields[name]; {
		case known:
			w.walk(v, ft, nil)
		case info.inlineMap != nil:
			w.walk(v, info.inlineMap, nil)
		default:
			w.found = append(w.found, unknownKey{line: k.Line, key: name, known: info.knownKeys()})
		}
	}
	if merge == nil {
		return
	}
	if skip == nil {
		// Keys of the mapping itself win over merged ones; yaml.v3 records
		// them as decoded into interface{}, so only string keys count.
		skip = map[string]bool{}
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.ShortTag() == "!!str" {
				skip[k.Value] = true
			}
		}
	}
	w.merge(merge, t, skip)
}

// merge walks the mapping(s) a merge key brings into a mapping of type t.
func (w *keyWalker) merge(m *yaml.Node, t reflect.Type, skip map[string]bool) {
	switch m.Kind {
	case yaml.MappingNode, yaml.AliasNode:
		w.walk(m, t, skip)
	case yaml.SequenceNode:
		for _, c := range m.Content {
			w.walk(c, t, skip)
		}
	}
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// keyString returns the string yaml.v3 decodes key k into.
func keyString(k *yaml.Node) (string, bool) {
	if k.Kind == yaml.AliasNode {
		if k.Alias == nil {
			return "", false
		}
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	switch k.ShortTag() {
	case "!!null":
		return "", false
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(k.Value)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return k.Value, true
}

func (w *keyWalker) info(t reflect.Type) *structInfo {
	if si, ok := w.infos[t]; ok {
		return si
	}
	si := &structInfo{fields: make(map[string]reflect.Type, t.NumField())}
	w.infos[t] = si
	collectFields(t, si, 0)
	return si
}

// knownKeys returns the keys of si, sorted (built when a message needs it).
func (si *structInfo) knownKeys() []string {
	if si.known == nil {
		si.known = make([]string, 0, len(si.fields))
		for k := range si.fields {
			si.known = append(si.known, k)
		}
		slices.Sort(si.known)
	}
	return si.known
}

// collectFields mirrors yaml.v3's getStructInfo: the keys of t's exported
// (and embedded) fields, with ",inline" structs flattened in and an ",inline"
// map of t itself taking the remaining keys.
func collectFields(t reflect.Type, si *structInfo, depth int) {
	if depth > 10 {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue // unexported
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if hasFlag(opts, "inline") {
			ft := f.Type
			if ft.Kind() == reflect.Map {
				if depth == 0 {
					si.inlineMap = ft.Elem()
				}
				continue
			}
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !reflect.PointerTo(ft).Implements(reflect.TypeFor[yaml.Unmarshaler]()) {
				collectFields(ft, si, depth+1)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := si.fields[name]; !dup {
			si.fields[name] = f.Type
		}
	}
}

// hasFlag reports whether the comma-separated opts hold flag.
func hasFlag(opts, flag string) bool {
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		if o == flag {
			return true
		}
	}
	return false
}
