package runbooks

import (
	_ "embed"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/wsbbot/wsbbot/internal/hresult"
)

// funcSpec describes one function of the expression language. A lazy
// function evaluates its second argument once per item of its first, with
// the item bound to the name "item".
type funcSpec struct {
	min, max int
	lazy     bool
}

// funcList is the fixed set of functions, in the order messages list them.
var funcList = []string{"count", "any", "all", "filter", "map", "unique", "contains", "lower", "upper", "join", "concat", "service_for", "disruptive", "free_letter", "bytes", "hresult"}

func lookupFunc(name string) (funcSpec, bool) {
	switch name {
	case "count", "lower", "upper", "free_letter", "disruptive", "unique", "bytes", "hresult":
		return funcSpec{min: 1, max: 1}, true
	case "any", "all":
		return funcSpec{min: 1, max: 2, lazy: true}, true
	case "filter", "map":
		return funcSpec{min: 2, max: 2, lazy: true}, true
	case "contains", "service_for":
		return funcSpec{min: 2, max: 2}, true
	case "join":
		return funcSpec{min: 1, max: 2}, true
	case "concat":
		return funcSpec{min: 1, max: 16}, true
	}
	return funcSpec{}, false
}

func funcNames() string { return strings.Join(funcList, ", ") }

func (ev *evaluator) call(n *callNode) (any, error) {
	if f, _ := lookupFunc(n.fn); f.lazy {
		return ev.lazyCall(n)
	}
	args := make([]any, len(n.args))
	for i, a := range n.args {
		v, err := ev.eval(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	fail := func(format string, a ...any) (any, error) {
		return nil, fmt.Errorf("at %d: %s: %s", n.at+1, n.fn, fmt.Sprintf(format, a...))
	}
	switch n.fn {
	case "count":
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
		return fail("cannot count %s", describeValue(args[0]))
	case "contains":
		switch x := args[0].(type) {
		case nil:
			return false, nil
		case []any:
			return slices.ContainsFunc(x, func(v any) bool { return valuesEqual(v, args[1]) }), nil
		case string:
			s, ok := args[1].(string)
			if !ok {
				return fail("a string contains only strings, not %s", describeValue(args[1]))
			}
			return strings.Contains(x, s), nil
		}
		return fail("cannot search %s", describeValue(args[0]))
	case "lower", "upper":
		s, ok := args[0].(string)
		if !ok {
			return fail("needs a string, not %s", describeValue(args[0]))
		}
		if n.fn == "lower" {
			return strings.ToLower(s), nil
		}
		return strings.ToUpper(s), nil
	case "join":
		list, ok := args[0].([]any)
		if !ok && args[0] != nil {
			return fail("needs a list, not %s", describeValue(args[0]))
		}
		sep := ", "
		if len(args) == 2 {
			if sep, ok = args[1].(string); !ok {
				return fail("the separator must be a string, not %s", describeValue(args[1]))
			}
		}
		parts := make([]string, len(list))
		for i, v := range list {
			parts[i] = formatValue(v)
		}
		out := strings.Join(parts, sep)
		if err := ev.built(out); err != nil {
			return fail("%v", err)
		}
		return out, nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			if s, ok := a.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString(formatValue(a))
			}
		}
		if err := ev.built(b.String()); err != nil {
			return fail("%v", err)
		}
		return b.String(), nil
	case "unique":
		list, ok := args[0].([]any)
		if !ok && args[0] != nil {
			return fail("needs a list, not %s", describeValue(args[0]))
		}
		out := []any{}
		for _, v := range list {
			if !slices.ContainsFunc(out, func(o any) bool { return valuesEqual(o, v) }) {
				out = append(out, v)
			}
		}
		return out, nil
	case "service_for":
		id, _ := args[0].(string)
		name, _ := args[1].(string)
		if (args[0] != nil && !isString(args[0])) || (args[1] != nil && !isString(args[1])) {
			return fail("needs a writer id and a writer name (strings)")
		}
		return serviceForWriter(id, name), nil
	case "disruptive":
		s, ok := args[0].(string)
		if !ok {
			return fail("needs a service name, not %s", describeValue(args[0]))
		}
		return isDisruptiveService(s), nil
	case "free_letter":
		return freeLetter(args[0])
	case "bytes":
		f, ok := args[0].(float64)
		if !ok || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return fail("needs a byte count (a number of 0 or more), not %s", describeValue(args[0]))
		}
		return formatBytes(f), nil
	case "hresult":
		return canonicalHRESULT(args[0])
	}
	return fail("internal: no implementation")
}

func isString(v any) bool { _, ok := v.(string); return ok }

// lazyCall runs any, all, filter and map: the second argument is evaluated
// per item, with "item" bound to it (and restored afterwards).
func (ev *evaluator) lazyCall(n *callNode) (any, error) {
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
	switch n.fn {
	case "any", "all":
		for _, item := range list {
			b, err := truth(item)
			if err != nil {
				return nil, err
			}
			if n.fn == "any" && b {
				return true, nil
			}
			if n.fn == "all" && !b {
				return false, nil
			}
		}
		return n.fn == "all", nil
	case "filter":
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
	default: // map
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
				return nil, fmt.Errorf("free_letter: the used letters must be strings, not %s", describeValue(v))
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
		return nil, fmt.Errorf("free_letter: needs a list of used letters, not %s", describeValue(used))
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
			return nil, fmt.Errorf("hresult: %v is not a 32-bit error code", x)
		}
		if x < 0 {
			return hresult.Code(uint32(int32(x))).String(), nil
		}
		return hresult.Code(uint32(x)).String(), nil
	case string:
		c, err := hresult.Parse(x)
		if err != nil {
			return nil, fmt.Errorf("hresult: %w", err)
		}
		return c.String(), nil
	}
	return nil, fmt.Errorf("hresult: needs a number or a string, not %s", describeValue(v))
}

// The writer-to-service table, from ../shared/domain/writers-services.tsv.
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
