package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"

	"github.com/wsbbot/wsbbot/internal/secret"
	"github.com/wsbbot/wsbbot/internal/suggest"
)

// envPrefix starts every variable bound to a configuration key.
const envPrefix = "WSBBOT_"

// leaf is one key of the configuration that has a default and may come
// from the environment: every scalar key, and the lists of strings.
type leaf struct {
	key  string // "slack.bot_token"
	env  string // "WSBBOT_SLACK_BOT_TOKEN"
	list bool   // a []string, comma-separated in the environment
	def  any    // the default value
}

// leaves walks cfg with reflection, using the mapstructure tags, and
// returns its leaves in declaration order. Lists of structs (targets) are
// not leaves: they come only from the file.
func leaves(v reflect.Value, prefix string, out []leaf) []leaf {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key := joinKey(prefix, tagName(f))
		switch {
		case f.Type.Kind() == reflect.Struct:
			out = leaves(v.Field(i), key, out)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			// file only
		default:
			out = append(out, leaf{
				key:  key,
				env:  envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_")),
				list: f.Type.Kind() == reflect.Slice,
				def:  v.Field(i).Interface(),
			})
		}
	}
	return out
}

func tagName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
	return name
}

func joinKey(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// EnvVars returns the environment variable bound to each configuration
// key ("language" -> "WSBBOT_LANGUAGE"), for help texts and docs.
// Lists (runbooks.dirs, slack.approvers) take comma-separated values.
func EnvVars() map[string]string {
	m := map[string]string{}
	for _, l := range leaves(reflect.ValueOf(Default()), "", nil) {
		m[l.key] = l.env
	}
	return m
}

// Load reads the configuration: Default, overridden by the YAML file (when
// file is not ""), overridden by the WSBBOT_* variables found in env (an
// os.Environ()-style list; the process environment is never read). It
// returns every problem at once, joined: YAML syntax errors (file:line),
// unknown keys, values of the wrong type, and Validate's findings. On
// error the returned Config is a best effort and must not be run with.
//
// A plain targets section is decoded by a fast path (targets.go) that
// gives the same result; anything else in it takes the general path.
func Load(file string, env []string) (Config, error) {
	return load(file, env, true)
}

// load is Load; plainTargets enables the targets fast path (targets.go),
// which FuzzDecodeTargets turns off to compare it with the general path.
func load(file string, env []string, plainTargets bool) (Config, error) {
	// One private instance, never the global one. The capture keeps the
	// file's map as parsed: viper's own views (AllKeys, AllSettings) drop
	// keys whose value is empty ("bogus:" or "slak: {}"), and lets
	// defaults shadow a section given as a scalar ("remote: 5"), so typos
	// of that kind are found on the raw map.
	capture := &rawCapture{base: viper.NewCodecRegistry(), plainTargets: plainTargets}
	v := viper.NewWithOptions(viper.WithDecoderRegistry(capture))
	v.SetConfigType("yaml")

	var data []byte
	if file != "" {
		var err error
		if data, err = readConfigFile(file); err != nil {
			return Config{}, err
		}
		if err := v.ReadConfig(bytes.NewReader(data)); err != nil {
			return Config{}, joinProblems(syntaxProblems(file, err))
		}
	}
	problems := rawProblems(capture.raw, reflect.TypeFor[Config](), "", file)

	ls := leaves(reflect.ValueOf(Default()), "", nil)
	for _, l := range ls {
		v.SetDefault(l.key, l.def)
	}

	vars := envMap(env)
	fromEnv := map[string]string{} // key -> variable
	for _, l := range ls {
		val := vars[l.env]
		if val == "" {
			continue // unset or empty: the file or the default stands
		}
		if l.list {
			v.Set(l.key, splitList(val))
		} else {
			v.Set(l.key, val)
		}
		fromEnv[l.key] = l.env
	}

	cfg := Default()
	if err := v.UnmarshalExact(&cfg, viper.DecodeHook(decodeHook)); err != nil {
		for _, p := range decodeProblems(err, file) {
			if !coveredBy(p.key, problems) && !reported(p.key, problems) {
				problems = append(problems, p)
			}
		}
	}
	if capture.targetsDone {
		cfg.Targets = capture.targets
	}
	for i := range cfg.Targets {
		cfg.Targets[i].applyDefaults()
	}
	_, storeFromEnv := fromEnv["store.path"]
	cfg.Store.Path = resolveStorePath(cfg.Store.Path, file, !storeFromEnv, env)

	for _, p := range cfg.problems() {
		if !coveredBy(p.key, problems) {
			problems = append(problems, p)
		}
	}
	locateKeys(problems, file, &capture.root)
	for _, p := range problems {
		key, _, _ := strings.Cut(p.key, "[") // slack.approvers[1] came from slack.approvers
		if name, ok := fromEnv[key]; ok {
			p.env = name
		}
	}
	return cfg, joinProblems(problems)
}

// MaxFileSize is the largest configuration file Load reads. The YAML
// parsers take about 40 times a file's size in memory (a 50 MiB file took
// 2.4 GB), and a real configuration, even with a thousand targets, is far
// below this.
const MaxFileSize = 1 * MiB

// readConfigFile reads file, refusing it before parsing when it is larger
// than MaxFileSize. It reads at most MaxFileSize+1 bytes, so a file that
// grows (or a device that never ends) is refused too.
func readConfigFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, int64(MaxFileSize)+1))
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	if len(data) > int(MaxFileSize) {
		return nil, fmt.Errorf("read config: %s is larger than %s, the most a configuration file may be; "+
			"is it the right file?", file, MaxFileSize)
	}
	return data, nil
}

// rawCapture is a viper.DecoderRegistry that parses YAML once, keeping
// the node tree (for the lines of problems, locateKeys) and the map it
// decoded from it (viper lower-cases the map's keys in place afterwards).
// Other formats go to viper's own codecs.
//
// With plainTargets, a plain targets section is decoded from the node
// tree by splitPlainTargets (targetsDone) and left out of the map, so
// neither viper nor mapstructure sees it; otherwise it stays in the map
// and takes the general path with the rest of the file.
type rawCapture struct {
	base viper.DecoderRegistry
	raw  map[string]any
	root yaml.Node

	plainTargets bool
	targetsDone  bool
	targets      []Target
}

func (r *rawCapture) Decoder(format string) (viper.Decoder, error) {
	if format != "yaml" {
		return r.base.Decoder(format)
	}
	return decoderFunc(func(b []byte, m map[string]any) error {
		r.raw = m
		if err := yaml.Unmarshal(b, &r.root); err != nil {
			return err
		}
		if r.root.Kind == 0 {
			return nil // an empty document: no keys
		}
		doc := &r.root
		if r.plainTargets {
			if rest, ts, ok := splitPlainTargets(&r.root); ok {
				doc, r.targets, r.targetsDone = rest, ts, true
			}
		}
		return doc.Decode(&m)
	}), nil
}

type decoderFunc func([]byte, map[string]any) error

func (f decoderFunc) Decode(b []byte, m map[string]any) error { return f(b, m) }

// rawProblems walks the file's map against the Config type and reports
// unknown keys (including those with an empty value, which viper would
// drop silently), inline passwords, and sections that are not mappings.
func rawProblems(m map[string]any, t reflect.Type, prefix, file string) []*problem {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var ps []*problem
	for _, k := range keys {
		val := m[k]
		f, ok := fieldByTag(t, k)
		if !ok {
			ps = append(ps, unknownKey(prefix, strings.ToLower(k), file))
			continue
		}
		key := joinKey(prefix, f.name)
		switch {
		case f.Type.Kind() == reflect.Struct:
			if val == nil {
				continue
			}
			sub, ok := val.(map[string]any)
			if !ok {
				ps = append(ps, &problem{key: key, msg: showValue(val) + " is not a mapping"})
				continue
			}
			ps = append(ps, rawProblems(sub, f.Type, key, file)...)
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.Struct:
			items, _ := val.([]any)
			for i, item := range items {
				if sub, ok := item.(map[string]any); ok {
					ps = append(ps, rawProblems(sub, f.Type.Elem(), fmt.Sprintf("%s[%d]", key, i), file)...)
				}
			}
		}
	}
	return ps
}

// taggedField is a struct field and its mapstructure tag name, the key
// that names it in the file.
type taggedField struct {
	name string
	reflect.StructField
}

// fieldsCache holds taggedFields' answers, reflect.Type -> []taggedField.
var fieldsCache sync.Map

// taggedFields returns t's fields with their tag names, in declaration
// order. It reads the tags once per type: parsing them for every key was
// a tenth of the load of a file of a thousand targets.
func taggedFields(t reflect.Type) []taggedField {
	if fs, ok := fieldsCache.Load(t); ok {
		return fs.([]taggedField)
	}
	fs := make([]taggedField, t.NumField())
	for i := range fs {
		f := t.Field(i)
		fs[i] = taggedField{tagName(f), f}
	}
	fieldsCache.Store(t, fs)
	return fs
}

// fieldByTag returns the first field of t whose tag name is name, compared
// as mapstructure and viper compare keys (case-insensitively).
func fieldByTag(t reflect.Type, name string) (taggedField, bool) {
	for _, f := range taggedFields(t) {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return taggedField{}, false
}

// coveredBy reports whether a decode problem was already reported for key
// or a key containing it, so a value that failed to decode is not also
// reported as invalid.
func coveredBy(key string, ps []*problem) bool {
	for _, p := range ps {
		if p.key == "" || p.unknown {
			continue
		}
		if key == p.key || strings.HasPrefix(key, p.key+".") || strings.HasPrefix(key, p.key+"[") {
			return true
		}
	}
	return false
}

// reported reports whether a problem with exactly this key exists.
func reported(key string, ps []*problem) bool {
	for _, p := range ps {
		if p.key == key {
			return true
		}
	}
	return false
}

// envMap turns an os.Environ()-style list into a map; the last entry for a
// name wins, as with os/exec.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, envPrefix) {
			m[k] = v
		}
	}
	return m
}

// splitList splits a comma-separated value, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var (
	durationType = reflect.TypeFor[Duration]()
	byteSizeType = reflect.TypeFor[ByteSize]()
	secretType   = reflect.TypeFor[secret.Secret]()
)

// decodeHook converts file and environment values to Duration and
// ByteSize. It replaces viper's default hooks (StringToTimeDuration and
// comma-splitting of strings into slices), which do not apply to these
// types and which wsbbot does not want for lists in the file.
func decodeHook(_ reflect.Type, to reflect.Type, data any) (any, error) {
	switch to {
	case durationType:
		return toDuration(data)
	case byteSizeType:
		return toByteSize(data)
	}
	// The YAML parser reads an unquoted date (restore_test: 2025-01-20)
	// as a timestamp; a string field gets it back as written.
	if ts, ok := data.(time.Time); ok && to.Kind() == reflect.String {
		if ts.Equal(time.Date(ts.Year(), ts.Month(), ts.Day(), 0, 0, 0, 0, ts.Location())) {
			return ts.Format(time.DateOnly), nil
		}
		return ts.Format(time.RFC3339Nano), nil
	}
	return data, nil
}

func toDuration(data any) (any, error) {
	switch d := data.(type) {
	case Duration:
		return d, nil
	case time.Duration:
		return Duration(d), nil
	case string:
		return ParseDuration(d)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		if reflect.ValueOf(d).IsZero() {
			return Duration(0), nil
		}
		return nil, fmt.Errorf("%v has no unit (use a number with a unit: 30s, 5m, 1h)", d)
	}
	return data, nil
}

func toByteSize(data any) (any, error) {
	switch d := data.(type) {
	case ByteSize:
		return d, nil
	case string:
		return ParseByteSize(d)
	case int, int8, int16, int32, int64:
		n := reflect.ValueOf(d).Int()
		if n < 0 {
			return nil, fmt.Errorf("%d is negative", n)
		}
		return ByteSize(n), nil
	case uint, uint8, uint16, uint32, uint64:
		n := reflect.ValueOf(d).Uint()
		if n > math.MaxInt64 {
			return nil, fmt.Errorf("%d is too large", n)
		}
		return ByteSize(n), nil
	case float32, float64:
		f := reflect.ValueOf(d).Float()
		if f < 0 || f != math.Trunc(f) || f >= math.MaxInt64 {
			return nil, fmt.Errorf("%v is not a whole number of bytes: %w", f, errByteSize)
		}
		return ByteSize(f), nil
	}
	return data, nil
}

// yamlLineRE finds "line N: message" in YAML parser errors.
var yamlLineRE = regexp.MustCompile(`line (\d+): (.*)`)

// syntaxProblems turns viper's parse error into "file:line: message"
// problems.
func syntaxProblems(file string, err error) []*problem {
	inner := err
	var pe viper.ConfigParseError
	if errors.As(err, &pe) && pe.Unwrap() != nil {
		inner = pe.Unwrap()
	}
	var ps []*problem
	for _, line := range strings.Split(inner.Error(), "\n") {
		m := yamlLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		msg := m[2]
		if strings.HasPrefix(msg, "cannot unmarshal !!") && strings.Contains(msg, " into map[") {
			msg = "the top level must be a mapping of configuration keys"
		}
		ps = append(ps, &problem{msg: fmt.Sprintf("%s:%s: %s", file, m[1], msg)})
	}
	if len(ps) == 0 {
		msg := strings.TrimPrefix(inner.Error(), "yaml: ")
		if isReaderError(msg) {
			// The reader reports no position.
			ps = append(ps, &problem{file: file, msg: msg + " (the file must be UTF-8 text)"})
		} else {
			// The YAML parser omits the line when it is the first one.
			ps = append(ps, &problem{msg: fmt.Sprintf("%s:1: %s", file, msg)})
		}
	}
	return ps
}

// isReaderError reports whether a YAML error comes from decoding the
// bytes (encoding, control characters) rather than from parsing.
func isReaderError(msg string) bool {
	for _, s := range []string{"UTF-8", "UTF-16", "surrogate", "Unicode character", "control characters", "input error"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// invalidKeysPrefix is how mapstructure reports keys that match no field.
const invalidKeysPrefix = "has invalid keys: "

// decodeProblems rephrases mapstructure's errors: unknown keys (with a
// suggestion), inline passwords, and values of the wrong type (naming the
// key and the value, except for secrets).
func decodeProblems(err error, file string) []*problem {
	var ps []*problem
	for _, e := range flatten(err, nil) {
		var de *mapstructure.DecodeError
		if !errors.As(e, &de) {
			ps = append(ps, &problem{msg: e.Error()})
			continue
		}
		name, inner := de.Name(), de.Unwrap()
		if keys, ok := strings.CutPrefix(inner.Error(), invalidKeysPrefix); ok {
			for _, k := range strings.Split(keys, ", ") {
				ps = append(ps, unknownKey(name, k, file))
			}
			continue
		}
		ps = append(ps, &problem{key: name, msg: typeMessage(name, inner)})
	}
	return ps
}

// flatten unwraps joined and wrapped errors down to mapstructure's
// per-key errors.
func flatten(err error, out []error) []error {
	if _, ok := err.(*mapstructure.DecodeError); ok {
		return append(out, err)
	}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = flatten(e, out)
		}
		return out
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			return flatten(inner, out)
		}
	}
	return append(out, err)
}

var targetItemRE = regexp.MustCompile(`^targets\[\d+\]$`)

// unknownKey reports key parent.k, which names no field. Its message
// names the file; locateKeys adds the line.
func unknownKey(parent, k, file string) *problem {
	key := joinKey(parent, k)
	if targetItemRE.MatchString(parent) && strings.EqualFold(k, "password") {
		in := ""
		if file != "" {
			in = inFile
		}
		return &problem{key: key, file: file, msg: "inline passwords are not allowed" + in +
			"; put the password in an environment variable and name it with password_env, " +
			"or in a file and name it with password_file"}
	}
	msg := fmt.Sprintf("unknown key %q", key)
	if s := suggestion(parent, k); s != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", joinKey(parent, s))
	}
	return &problem{key: key, file: file, msg: msg, unknown: true}
}

// inFile marks where "in file:line" goes in a message about a key.
const inFile = "\x00in\x00"

// locateKeys fills in the file and line of the problems about keys of the
// file (unknown keys, inline passwords): "file:3: unknown key ...".
// Keys are compared as viper does, case-insensitively.
func locateKeys(ps []*problem, file string, root *yaml.Node) {
	for _, p := range ps {
		if p.file == "" || !(p.unknown || strings.Contains(p.msg, inFile)) {
			continue
		}
		at := file
		if line := keyLine(root, p.key); line > 0 {
			at = fmt.Sprintf("%s:%d", file, line)
		}
		if p.unknown {
			p.msg = at + ": " + p.msg
		}
		p.msg = strings.Replace(p.msg, inFile, " in "+at, 1)
		p.file = ""
	}
}

// keyPartRE splits a key path ("targets[0].declared.copies") into names
// and indices.
var keyPartRE = regexp.MustCompile(`[^.\[\]]+|\[\d+\]`)

// keyLine returns the line of key path in the YAML node tree, or 0 when it
// is not there.
func keyLine(root *yaml.Node, key string) int {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	line := 0
	for _, part := range keyPartRE.FindAllString(key, -1) {
		var next *yaml.Node
		if idx, ok := strings.CutPrefix(part, "["); ok {
			i, _ := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if n.Kind == yaml.SequenceNode && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		} else if n.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(n.Content); j += 2 {
				if strings.EqualFold(n.Content[j].Value, part) {
					next, line = n.Content[j+1], n.Content[j].Line
				}
			}
		}
		if next == nil {
			return 0
		}
		n = next
	}
	return line
}

// suggestion returns the field of the struct at parent closest to k, when
// it is close enough (len(k)/3+1 edits) to be a likely typo.
func suggestion(parent, k string) string {
	t := typeAt(parent)
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	fs := taggedFields(t)
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	best, _ := suggest.Closest(k, names, len(k)/3+1)
	return best
}

// typeAt returns the Go type at a mapstructure key path ("targets[0].port",
// "slack.approvers[1]", "" for Config), or nil.
func typeAt(key string) reflect.Type {
	t := reflect.TypeFor[Config]()
	if key == "" {
		return t
	}
	for _, part := range strings.Split(key, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			if t.Kind() != reflect.Struct {
				return nil
			}
			f, ok := fieldByTag(t, name)
			if !ok {
				return nil
			}
			t = f.Type
		}
		for n := strings.Count("["+rest, "["); rest != "" && n > 0; n-- {
			if t.Kind() != reflect.Slice {
				return nil
			}
			t = t.Elem()
		}
	}
	return t
}

// typeMessage rephrases a decoding error for key: what was found and what
// was expected.
func typeMessage(key string, err error) string {
	t := typeAt(key)
	var pe *mapstructure.ParseError
	var ue *mapstructure.UnconvertibleTypeError
	var value any
	switch {
	case errors.As(err, &pe):
		value = pe.Value
	case errors.As(err, &ue):
		value = ue.Value
	default:
		msg := err.Error()
		if got, ok := strings.CutPrefix(msg, "expected a map or struct, got "); ok {
			return "is not a mapping (got " + kindWord(strings.Trim(got, `"`)) + ")"
		}
		if t == secretType {
			return "cannot be decoded as a string"
		}
		return msg
	}
	shown := showValue(value)
	if t == secretType {
		shown = "the value"
	}
	return fmt.Sprintf("%s is not %s", shown, describeType(t))
}

// kindWord names a reflect.Kind the way a YAML author would.
func kindWord(kind string) string {
	switch {
	case kind == "slice" || kind == "array":
		return "a list"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case strings.HasPrefix(kind, "int") || strings.HasPrefix(kind, "uint") || strings.HasPrefix(kind, "float"):
		return "a number"
	}
	return kind
}

func showValue(v any) string {
	switch x := v.(type) {
	case string:
		if len(x) > 60 {
			x = x[:60] + "..."
		}
		return strconv.Quote(x)
	case nil:
		return "null"
	}
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return fmt.Sprint(v)
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "of the expected type"
	}
	switch t {
	case durationType:
		return "a duration (30s, 5m, 1h)"
	case byteSizeType:
		return "a byte size (512KiB, 1MiB, 2MB)"
	}
	switch t.Kind() {
	case reflect.Pointer:
		return describeType(t.Elem())
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Struct {
			return "a list of mappings"
		}
		return "a list of " + strings.TrimPrefix(describeType(t.Elem()), "a ") + "s"
	case reflect.Struct:
		return "a mapping"
	}
	return t.String()
}
