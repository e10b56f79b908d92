package runbooks

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// ParamType is the type of a runbook parameter. Every type is validated
// before anything runs.
type ParamType string

// The parameter types.
const (
	TypeTarget      ParamType = "target"       // a server of the caller's inventory
	TypeDriveLetter ParamType = "drive-letter" // one letter A-Z, normalised to upper case
	TypeService     ParamType = "service"      // a Windows service from the parameter's allow-list
	TypeEnum        ParamType = "enum"         // one of the parameter's values
	TypeInt         ParamType = "int"          // a whole number within min..max
	TypePath        ParamType = "path"         // a drive-rooted or UNC Windows path
)

const paramTypes = "target, drive-letter, service, enum, int, path"

// cmdSafe reports whether a value of the type can be spliced into a cmd.exe
// command line: its validation admits no shell metacharacter.
func (t ParamType) cmdSafe() bool {
	switch t {
	case TypeDriveLetter, TypeInt, TypeEnum, TypeService:
		return true
	}
	return false
}

// Param declares one runbook parameter.
type Param struct {
	Name string    `json:"name"`
	Type ParamType `json:"type"`
	// Default is used when the caller gives no value; nil means the
	// parameter is required. "" is a valid default for drive-letter, path
	// and service ("none given"; a step's with: may set it).
	Default *string  `json:"default,omitempty"`
	Allow   []string `json:"allow,omitempty"`  // service
	Values  []string `json:"values,omitempty"` // enum
	Min     *int     `json:"min,omitempty"`    // int
	Max     *int     `json:"max,omitempty"`    // int
	Title   Text     `json:"title"`
}

// Params are parameter values validated by Bind: only Bind (and the engine,
// for a step's with:) make them, so holding a Params means every value
// passed its type's rules. Values are strings, except int parameters (int).
type Params struct {
	runbook string // the id of the runbook they were bound for
	values  map[string]any
	given   map[string]string // the raw values the caller gave, by parameter name
}

// Given returns the values the caller gave (by parameter name, as given):
// binding them again gives the same Params. Defaults are not in it.
func (p Params) Given() map[string]string { return maps.Clone(p.given) }

// Get returns the value of a parameter.
func (p Params) Get(name string) (any, bool) {
	v, ok := p.values[name]
	return v, ok
}

// Map returns a copy of the values, as sent to PowerShell in $P.
func (p Params) Map() map[string]any {
	out := make(map[string]any, len(p.values))
	maps.Copy(out, p.values)
	return out
}

// Names returns the parameter names, sorted.
func (p Params) Names() []string { return slices.Sorted(maps.Keys(p.values)) }

// MarshalJSON encodes the values as a JSON object (sorted keys).
func (p Params) MarshalJSON() ([]byte, error) { return jsonMarshalCanonical(p.Map()) }

// with returns a copy with one value replaced.
func (p Params) with(name string, v any) Params {
	out := Params{runbook: p.runbook, values: p.Map(), given: p.given}
	out.values[name] = v
	return out
}

// BindError lists every parameter problem found by Bind.
type BindError struct {
	Problems []string
}

func (e *BindError) Error() string { return strings.Join(e.Problems, "; ") }

// Bind validates raw values (from a chat command's key=value pairs or CLI
// flags) against the runbook's parameters and returns them normalised.
// Names match case-insensitively. targets says whether a name is a server of
// the caller's inventory (nil accepts none). Every problem is reported at
// once in a *BindError, each naming the parameter and the rule it broke.
func (rb *Runbook) Bind(raw map[string]string, targets func(string) bool) (Params, error) {
	out := Params{runbook: rb.ID, values: make(map[string]any, len(rb.Params)), given: map[string]string{}}
	var probs []string
	used := map[string]bool{}
	for _, p := range rb.Params {
		var (
			val   string
			given bool
		)
		for k, v := range raw {
			if strings.EqualFold(k, p.Name) {
				if given {
					probs = append(probs, fmt.Sprintf("parameter %q is given more than once", p.Name))
				}
				val, given = v, true
				used[k] = true
			}
		}
		if given {
			if st := rb.stepSetting(p.Name); st != "" {
				probs = append(probs, fmt.Sprintf("parameter %q is set by step %q for each of its runs (with:); a value given for it would be ignored, so give none", p.Name, st))
				continue
			}
		}
		if !given {
			if p.Default == nil {
				probs = append(probs, fmt.Sprintf("parameter %q is required (%s)", p.Name, p.describe()))
				continue
			}
			val = *p.Default
		}
		v, err := p.validate(val, targets, given)
		if err != nil {
			probs = append(probs, err.Error())
			continue
		}
		out.values[p.Name] = v
		if given {
			out.given[p.Name] = val
		}
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !used[k] {
			probs = append(probs, fmt.Sprintf("parameter %q is not a parameter of %s (it has: %s)", k, rb.ID, rb.paramNames()))
		}
	}
	if len(probs) > 0 {
		return Params{}, &BindError{Problems: probs}
	}
	return out, nil
}

func (rb *Runbook) paramNames() string {
	if len(rb.Params) == 0 {
		return "none"
	}
	names := make([]string, len(rb.Params))
	for i, p := range rb.Params {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}

func (rb *Runbook) param(name string) (*Param, bool) {
	for i := range rb.Params {
		if rb.Params[i].Name == name {
			return &rb.Params[i], true
		}
	}
	return nil, false
}

// describe says what a value of the parameter must be.
func (p *Param) describe() string {
	switch p.Type {
	case TypeTarget:
		return "a server of the inventory"
	case TypeDriveLetter:
		return "a drive letter A-Z"
	case TypeService:
		return "one of " + strings.Join(p.Allow, ", ")
	case TypeEnum:
		return "one of " + strings.Join(p.Values, ", ")
	case TypeInt:
		return "a whole number" + p.rangeText()
	case TypePath:
		return `a Windows path such as D:\Backup or \\server\share`
	}
	return string(p.Type)
}

func (p *Param) rangeText() string {
	switch {
	case p.Min != nil && p.Max != nil:
		return fmt.Sprintf(" from %d to %d", *p.Min, *p.Max)
	case p.Min != nil:
		return fmt.Sprintf(" of at least %d", *p.Min)
	case p.Max != nil:
		return fmt.Sprintf(" of at most %d", *p.Max)
	}
	return ""
}

// validate checks one value and returns it normalised. A default "" of a
// drive-letter or path parameter means "not given" and is kept as "".
func (p *Param) validate(s string, targets func(string) bool, given bool) (any, error) {
	bad := func(rule string) error {
		return fmt.Errorf("parameter %q: %s %s", p.Name, quoteValue(s), rule)
	}
	if !given && s == "" && (p.Type == TypeDriveLetter || p.Type == TypePath || p.Type == TypeService) {
		return "", nil
	}
	switch p.Type {
	case TypeTarget:
		t := strings.TrimSpace(s)
		if t == "" || targets == nil || !targets(t) {
			return nil, bad("is not a server of the inventory")
		}
		return t, nil
	case TypeDriveLetter:
		t := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), `\`), ":")
		if len(t) != 1 || !(t[0]|0x20 >= 'a' && t[0]|0x20 <= 'z') {
			return nil, bad("is not a drive letter (A-Z)")
		}
		return strings.ToUpper(t), nil
	case TypeService:
		t := strings.TrimSpace(s)
		for _, a := range p.Allow {
			if strings.EqualFold(a, t) {
				return a, nil
			}
		}
		return nil, bad("is not an allowed service (allowed: " + strings.Join(p.Allow, ", ") + ")")
	case TypeEnum:
		t := strings.TrimSpace(s)
		for _, a := range p.Values {
			if strings.EqualFold(a, t) {
				return a, nil
			}
		}
		return nil, bad("is not one of " + strings.Join(p.Values, ", "))
	case TypeInt:
		t := strings.TrimSpace(s)
		n, err := strconv.Atoi(t)
		if err != nil || len(t) > 12 {
			return nil, bad("is not a whole number")
		}
		if (p.Min != nil && n < *p.Min) || (p.Max != nil && n > *p.Max) {
			return nil, bad("is out of range (want" + p.rangeText() + ")")
		}
		return n, nil
	case TypePath:
		if err := checkWindowsPath(s); err != nil {
			return nil, bad(err.Error())
		}
		return s, nil
	}
	return nil, bad("has an unknown type " + string(p.Type))
}

func quoteValue(s string) string {
	if len(s) > 80 {
		s = s[:80] + "..."
	}
	return strconv.Quote(s)
}

// stepSetting returns the id of the first step whose with: sets the
// parameter name, or "".
func (rb *Runbook) stepSetting(name string) string {
	for _, sec := range rb.phases() {
		for _, st := range sec {
			for _, w := range st.With {
				if strings.EqualFold(w.Param, name) {
					return st.ID
				}
			}
		}
	}
	return ""
}

// reservedDeviceName reports whether a path segment names a DOS device
// (CON, PRN, AUX, NUL, COM1-9, LPT1-9, also with an extension, trailing
// spaces or superscript digits): Windows opens the device, not a file.
func reservedDeviceName(seg string) bool {
	base, _, _ := strings.Cut(seg, ".")
	base = strings.ToUpper(strings.TrimRight(base, " "))
	switch base {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$":
		return true
	}
	if len(base) >= 4 && (strings.HasPrefix(base, "COM") || strings.HasPrefix(base, "LPT")) {
		switch base[3:] {
		case "1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³":
			return true
		}
	}
	return false
}

// checkWindowsPath accepts a drive-rooted path (C:\...) or a UNC path
// (\\server\share\...) without control, format (bidi) or line-separator
// characters, quotes, wildcards, redirection or pipes, forward slashes,
// relative segments, device paths (\\.\, \\?\) or DOS device names.
func checkWindowsPath(s string) error {
	switch {
	case s == "":
		return errors.New("is empty; want a Windows path")
	case len(s) > 260:
		return errors.New("is longer than 260 characters")
	}
	for _, r := range s {
		switch {
		case unicode.IsControl(r) || r == unicode.ReplacementChar:
			return errors.New("holds a control character")
		case unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp):
			return fmt.Errorf("holds the invisible character U+%04X (bidi, zero-width or line separator), which could make the path read differently than it acts", r)
		case r == '/':
			return errors.New(`holds "/": Windows reads it as a separator; write the path with backslashes`)
		case strings.ContainsRune("\"'`*?<>|%$;&^", r):
			return fmt.Errorf("holds %q, which a path may not (no quotes, wildcards, redirections or variables)", r)
		}
	}
	var rest string
	switch {
	case len(s) >= 3 && s[1] == ':' && s[2] == '\\' && (s[0]|0x20 >= 'a' && s[0]|0x20 <= 'z'):
		rest = s[3:]
	case strings.HasPrefix(s, `\\`):
		parts := strings.SplitN(s[2:], `\`, 3)
		if len(parts) > 0 && (parts[0] == "." || parts[0] == "?") {
			return errors.New(`is a device path (\\.\ or \\?\), not a file path`)
		}
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return errors.New(`is not a UNC path \\server\share`)
		}
		if len(parts) == 3 {
			rest = parts[2]
		}
	default:
		return errors.New(`is not a drive-rooted (D:\...) or UNC (\\server\share) path`)
	}
	if strings.Contains(rest, ":") {
		return errors.New(`holds ":" after the drive (alternate data streams are not allowed)`)
	}
	for _, seg := range strings.Split(rest, `\`) {
		switch {
		case seg == ".." || seg == ".":
			return errors.New(`holds a "." or ".." segment`)
		case reservedDeviceName(seg):
			return fmt.Errorf("holds %q, a DOS device name that Windows opens as a device, not a file", seg)
		case seg != "" && (strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ")):
			return fmt.Errorf("holds %q, which ends in a dot or space that Windows drops, so it would name another file", seg)
		}
	}
	return nil
}
