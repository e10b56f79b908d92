package runbooks

import (
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

// exprFunc is one function of the expression language, declared once in
// exprFuncs: its name, how many arguments it takes and what it does. An
// eager function gets its arguments evaluated. A lazy one (any, all,
// filter, map) gets its first argument evaluated to a list and evaluates
// its second once per item, with the item bound to the name "item"
// (without a second argument the item itself is the value).
type exprFunc struct {
	name     string
	min, max int
	eager    func(ev *evaluator, args []any) (any, error)
	lazy     func(list []any, each func(item any) (any, error), truth func(item any) (bool, error)) (any, error)
}

// exprFuncs is the fixed set of functions, in the order messages list
// them. An error an implementation returns is shown after "at N: name: ".
var exprFuncs = []exprFunc{
	{name: "count", min: 1, max: 1, eager: fnCount},
	{name: "any", min: 1, max: 2, lazy: fnAny},
	{name: "all", min: 1, max: 2, lazy: fnAll},
	{name: "filter", min: 2, max: 2, lazy: fnFilter},
	{name: "map", min: 2, max: 2, lazy: fnMap},
	{name: "unique", min: 1, max: 1, eager: fnUnique},
	{name: "contains", min: 2, max: 2, eager: fnContains},
	{name: "lower", min: 1, max: 1, eager: stringFunc(strings.ToLower)},
	{name: "upper", min: 1, max: 1, eager: stringFunc(strings.ToUpper)},
	{name: "join", min: 1, max: 2, eager: fnJoin},
	{name: "concat", min: 1, max: 16, eager: fnConcat},
	{name: "service_for", min: 2, max: 2, eager: fnServiceFor},
	{name: "disruptive", min: 1, max: 1, eager: fnDisruptive},
	{name: "free_letter", min: 1, max: 1, eager: func(_ *evaluator, args []any) (any, error) { return freeLetter(args[0]) }},
	{name: "bytes", min: 1, max: 1, eager: fnBytes},
	{name: "hresult", min: 1, max: 1, eager: func(_ *evaluator, args []any) (any, error) { return canonicalHRESULT(args[0]) }},
}

func lookupFunc(name string) (exprFunc, bool) {
	for _, f := range exprFuncs {
		if f.name == name {
			return f, true
		}
	}
	return exprFunc{}, false
}

func funcNames() string {
	names := make([]string, len(exprFuncs))
	for i, f := range exprFuncs {
		names[i] = f.name
	}
	return strings.Join(names, ", ")
}

func (ev *evaluator) call(n *callNode) (any, error) {
	f, ok := lookupFunc(n.fn)
	if !ok {
		return nil, fmt.Errorf("at %d: %s: internal: no implementation", n.at+1, n.fn)
	}
	if f.lazy != nil {
		return ev.lazyCall(n, f)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	v, err := f.eager(ev, args)
	if err != nil {
		return nil, fmt.Errorf("at %d: %s: %w", n.at+1, n.fn, err)
	}
	return v, nil
}

func fnCount(_ *evaluator, args []any) (any, error) {
	switch x := args[0].(type) {
	case nil:
		return 0.0, nil
	case []any:
		return float64(len(x)), nil
	case map[string]any:
		return float64(len(x)), nil
	case string:
		return float64(len([]rune(x))), nil
	}
	return nil, fmt.Errorf("cannot count %s", describeValue(args[0]))
}

func fnContains(_ *evaluator, args []any) (any, error) {
	switch x := args[0].(type) {
	case nil:
		return false, nil
	case []any:
		return slices.ContainsFunc(x, func(v any) bool { return valuesEqual(v, args[1]) }), nil
	case string:
		s, ok := args[1].(string)
		if !ok {
			return nil, fmt.Errorf("a string contains only strings, not %s", describeValue(args[1]))
		}
		return strings.Contains(x, s), nil
	}
	return nil, fmt.Errorf("cannot search %s", describeValue(args[0]))
}

// stringFunc makes a function of one string.
func stringFunc(f func(string) string) func(*evaluator, []any) (any, error) {
	return func(_ *evaluator, args []any) (any, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("needs a string, not %s", describeValue(args[0]))
		}
		return f(s), nil
	}
}

func fnJoin(ev *evaluator, args []any) (any, error) {
	list, ok := args[0].([]any)
	if !ok && args[0] != nil {
		return nil, fmt.Errorf("needs a list, not %s", describeValue(args[0]))
	}
	sep := ", "
	if len(args) == 2 {
		if sep, ok = args[1].(string); !ok {
			return nil, fmt.Errorf("the separator must be a string, not %s", describeValue(args[1]))
		}
	}
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = formatValue(v)
	}
	out := strings.Join(parts, sep)
	if err := ev.built(out); err != nil {
		return nil, err
	}
	return out, nil
}

func fnConcat(ev *evaluator, args []any) (any, error) {
	var b strings.Builder
	for _, a := range args {
		if s, ok := a.(string); ok {
			b.WriteString(s)
		} else {
			b.WriteString(formatValue(a))
		}
	}
	if err := ev.built(b.String()); err != nil {
		return nil, err
	}
	return b.String(), nil
}

func fnUnique(_ *evaluator, args []any) (any, error) {
	list, ok := args[0].([]any)
	if !ok && args[0] != nil {
		return nil, fmt.Errorf("needs a list, not %s", describeValue(args[0]))
	}
	out := []any{}
	for _, v := range list {
		if !slices.ContainsFunc(out, func(o any) bool { return valuesEqual(o, v) }) {
			out = append(out, v)
		}
	}
	return out, nil
}

func fnServiceFor(_ *evaluator, args []any) (any, error) {
	id, _ := args[0].(string)
	name, _ := args[1].(string)
	if (args[0] != nil && !isString(args[0])) || (args[1] != nil && !isString(args[1])) {
		return nil, errors.New("needs a writer id and a writer name (strings)")
	}
	return serviceForWriter(id, name), nil
}

func fnDisruptive(_ *evaluator, args []any) (any, error) {
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("needs a service name, not %s", describeValue(args[0]))
	}
	return isDisruptiveService(s), nil
}

func fnBytes(_ *evaluator, args []any) (any, error) {
	f, ok := args[0].(float64)
	if !ok || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("needs a byte count (a number of 0 or more), not %s", describeValue(args[0]))
	}
	return formatBytes(f), nil
}

func isString(v any) bool { _, ok := v.(string); return ok }

// lazyCall runs a lazy function: its first argument must be a list (or
// null); "item" is bound per item while the second argument is evaluated,
// and restored afterwards.
func (ev *evaluator) lazyCall(n *callNode, f exprFunc) (any, error) {
	x, err := ev.eval(n.args[0])
	if err != nil {
		return nil, err
	}
	var list []any
	switch x := x.(type) {
	case nil:
	case []any:
		list = x
	default:
		return nil, fmt.Errorf("at %d: %s needs a list, not %s", n.at+1, n.fn, describeValue(x))
	}
	prev, had := ev.vars["item"]
	defer func() {
		if had {
			ev.vars["item"] = prev
		} else {
			delete(ev.vars, "item")
		}
	}()
	each := func(item any) (any, error) {
		if len(n.args) < 2 {
			return item, nil
		}
		ev.vars["item"] = item
		return ev.eval(n.args[1])
	}
	truth := func(item any) (bool, error) {
		v, err := each(item)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, fmt.Errorf("at %d: %s: the condition gave %s, not true or false", n.at+1, n.fn, describeValue(v))
		}
		return b, nil
	}
	return f.lazy(list, each, truth)
}

func fnAny(list []any, _ func(any) (any, error), truth func(any) (bool, error)) (any, error) {
	for _, item := range list {
		b, err := truth(item)
		if err != nil {
			return nil, err
		}
		if b {
			return true, nil
		}
	}
	return false, nil
}

func fnAll(list []any, _ func(any) (any, error), truth func(any) (bool, error)) (any, error) {
	for _, item := range list {
		b, err := truth(item)
		if err != nil {
			return nil, err
		}
		if !b {
			return false, nil
		}
	}
	return true, nil
}

func fnFilter(list []any, _ func(any) (any, error), truth func(any) (bool, error)) (any, error) {
	out := []any{}
	for _, item := range list {
		b, err := truth(item)
		if err != nil {
			return nil, err
		}
		if b {
			out = append(out, item)
		}
	}
	return out, nil
}

func fnMap(list []any, each func(any) (any, error), _ func(any) (bool, error)) (any, error) {
	out := make([]any, 0, len(list))
	for _, item := range list {
		v, err := each(item)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// formatValue renders a value for messages and join.
func formatValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	case float64:
		return fmt.Sprint(v)
	case bool:
		return fmt.Sprint(v)
	}
	b, err := jsonMarshalCanonical(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// freeLetter returns the last drive letter from Z down to D that is not in
// used (a list of letters in any of the forms "E", "e:", `E:\`), or "" when
// none is free.
func freeLetter(used any) (any, error) {
	taken := map[byte]bool{}
	switch u := used.(type) {
	case nil:
	case []any:
		for _, v := range u {
			s, ok := v.(string)
			if !ok {
				if v == nil {
					continue
				}
				return nil, fmt.Errorf("the used letters must be strings, not %s", describeValue(v))
			}
			s = strings.TrimSpace(s)
			if s != "" {
				c := s[0] &^ 0x20
				if c >= 'A' && c <= 'Z' {
					taken[c] = true
				}
			}
		}
	default:
		return nil, fmt.Errorf("needs a list of used letters, not %s", describeValue(used))
	}
	for c := byte('Z'); c >= 'D'; c-- {
		if !taken[c] {
			return string(c), nil
		}
	}
	return "", nil
}

// formatBytes renders a byte count the way Windows tools do, in binary
// units with one decimal: "38.0 MB", "1.5 GB", "512 bytes".
func formatBytes(n float64) string {
	if n < 1024 {
		return fmt.Sprintf("%.0f bytes", n)
	}
	units := []string{"KB", "MB", "GB", "TB", "PB"}
	i := 0
	n /= 1024
	for n >= 1024 && i < len(units)-1 {
		n /= 1024
		i++
	}
	// 1023.96 MB would print as "1024.0 MB"; say "1.0 GB" instead.
	if n >= 1023.95 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", n, units[i])
}

// canonicalHRESULT returns an HRESULT in the catalogue's canonical form
// ("0x800423F4") from the forms Windows prints: an unsigned (2147754996) or
// signed (-2147212300) decimal number, or a string hresult.Parse accepts.
// null stays null.
func canonicalHRESULT(v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case float64:
		if x != math.Trunc(x) || x < math.MinInt32 || x > math.MaxUint32 {
			return nil, fmt.Errorf("%v is not a 32-bit error code", x)
		}
		if x < 0 {
			return hresult.Code(uint32(int32(x))).String(), nil
		}
		return hresult.Code(uint32(x)).String(), nil
	case string:
		c, err := hresult.Parse(x)
		if err != nil {
			return nil, err
		}
		return c.String(), nil
	}
	return nil, fmt.Errorf("needs a number or a string, not %s", describeValue(v))
}

// The writer-to-service table (writers-services.tsv; its sources S1..S12 are
// in writers-services.sources.md next to it).
//
//go:embed writers-services.tsv
var writersServicesTSV string

type writerService struct {
	name, id, service string
}

// writerTable parses the embedded table once; it never changes afterwards.
var writerTable = sync.OnceValue(func() []writerService {
	var out []writerService
	for _, line := range strings.Split(writersServicesTSV, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "writer_name\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			continue
		}
		svc := strings.TrimSpace(f[2])
		if svc == "" || strings.ContainsAny(svc, "<>") {
			continue // no verified service, or a pattern (ADAM_<instance>)
		}
		out = append(out, writerService{name: strings.TrimSpace(f[0]), id: normGUID(f[1]), service: svc})
	}
	return out
})

func normGUID(s string) string {
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "{}"))
}

// serviceForWriter maps a VSS writer to the Windows service behind it:
// by writer id first (several writers share an id, such as Exchange's
// Writer and Replica Writer: the name then decides), then by name,
// case-insensitively. "MSMQ Writer (Svc)" names its service. It returns ""
// when the writer is unknown or its service is not verified.
func serviceForWriter(id, name string) string {
	id, name = normGUID(id), strings.TrimSpace(name)
	tbl := writerTable()
	if id != "" {
		var byID []writerService
		for _, w := range tbl {
			if w.id == id {
				byID = append(byID, w)
			}
		}
		if len(byID) == 1 {
			return byID[0].service
		}
		for _, w := range byID {
			if strings.EqualFold(w.name, name) {
				return w.service
			}
		}
		if len(byID) > 1 {
			return "" // ambiguous id, and the name does not decide
		}
	}
	for _, w := range tbl {
		if strings.EqualFold(w.name, name) {
			return w.service
		}
	}
	if rest, ok := strings.CutPrefix(name, "MSMQ Writer ("); ok && strings.HasSuffix(rest, ")") {
		if svc := strings.TrimSuffix(rest, ")"); svc != "" && !strings.ContainsAny(svc, " \t'\"") {
			return svc
		}
	}
	return ""
}

// isDisruptiveService reports whether restarting the service interrupts what
// the server is for: AD DS on a domain controller, Exchange, SQL Server.
func isDisruptiveService(s string) bool {
	s = strings.ToLower(s)
	return s == "ntds" || strings.HasPrefix(s, "msexchange") || strings.HasPrefix(s, "sql") || strings.HasPrefix(s, "mssql")
}
