package ps

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// PowerShell values in the lab are Go values:
//
//	nil, string, bool, int64, uint64, float64, time.Time, psEnum, []any,
//	*psObj (any .NET / CIM object or PSCustomObject), *psHash (hashtable),
//	*psBlock (script block), []byte, psEncoding, psTextReader, *psFormatted.

// Object is an object with ordered properties.
type Object struct {
	TypeName string
	Props    []Prop
	Str      string // ToString(); "" means the type name
	View     View
	Cols     []Column // table view columns; nil: auto
	List     []string // list view properties; nil: all
	GroupBy  string   // table view group header property
	Custom   bool     // PSCustomObject: ToString is @{a=1; b=2}
}

type Prop struct {
	Name string
	Val  any
}

type View int

const (
	ViewAuto View = iota
	ViewTable
	ViewList
)

// Column is one column of a table view.
type Column struct {
	Header string
	Right  bool
	Value  func(o *Object) string
}

// Enum is a .NET enum value: its name when displayed, its number in JSON.
type Enum struct {
	Name string
	Val  int64
}

// Hash is a hashtable with insertion order kept for display.
type Hash struct {
	Keys []string
	Vals map[string]any // lower-case keys
}

// Block is a script block.
type Block struct {
	text  string
	stmts []*stmt
	src   *source
}

// Formatted is the text Format-List / Format-Table produce; Out-Default
// writes it as is.
type Formatted struct{ text string }

func NewObject(typeName string, props ...Prop) *Object {
	return &Object{TypeName: typeName, Props: props}
}

func P(name string, val any) Prop { return Prop{Name: name, Val: val} }

func (o *Object) Get(name string) (any, bool) {
	for _, pr := range o.Props {
		if strings.EqualFold(pr.Name, name) {
			return pr.Val, true
		}
	}
	return nil, false
}

func (o *Object) String() string {
	if o.Custom {
		var b strings.Builder
		b.WriteString("@{")
		for i, pr := range o.Props {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(pr.Name + "=" + String(pr.Val))
		}
		b.WriteString("}")
		return b.String()
	}
	if o.Str != "" {
		return o.Str
	}
	return o.TypeName
}

func NewHash() *Hash { return &Hash{Vals: map[string]any{}} }

func (hs *Hash) Set(k string, v any) {
	lk := strings.ToLower(k)
	if _, ok := hs.Vals[lk]; !ok {
		hs.Keys = append(hs.Keys, k)
	}
	hs.Vals[lk] = v
}

func (hs *Hash) Get(k string) (any, bool) {
	v, ok := hs.Vals[strings.ToLower(k)]
	return v, ok
}

// --- scalar conversions ---

// String converts like PowerShell's string conversion with the
// invariant culture ("$x" expansion, string parameters).
func String(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case uint32:
		return strconv.FormatUint(uint64(x), 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		return formatFloat(x)
	case time.Time:
		return x.Format("01/02/2006 15:04:05")
	case Enum:
		return x.Name
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = String(e)
		}
		return strings.Join(parts, " ")
	case *Object:
		return x.String()
	case *Hash:
		return "System.Collections.Hashtable"
	case *Block:
		return x.text
	case []byte:
		return "System.Byte[]"
	case psEncoding:
		return "System.Text.UTF8Encoding"
	case *Formatted:
		return x.text
	case psTextReader:
		return "System.IO.SyncTextReader"
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	s := strconv.FormatFloat(f, 'G', 15, 64)
	return strings.Replace(s, "E+", "E+", 1)
}

// displayString converts a property value for a list or table cell in the
// host's culture: dates short, collections as {a, b, c, d...}.
func (t *Culture) Display(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return t.DateTime(x)
	case []any:
		parts := make([]string, 0, 4)
		for i, e := range x {
			if i == 4 {
				return "{" + strings.Join(parts, ", ") + "...}"
			}
			parts = append(parts, t.Display(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []string:
		return t.Display(FromStrings(x))
	}
	return String(v)
}

func FromStrings(ss []string) []any {
	if ss == nil {
		return nil
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// Truthy is PowerShell's conversion to bool.
func Truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != ""
	case int:
		return x != 0
	case int64:
		return x != 0
	case uint32:
		return x != 0
	case uint64:
		return x != 0
	case float64:
		return x != 0
	case []any:
		switch len(x) {
		case 0:
			return false
		case 1:
			return Truthy(x[0])
		}
		return true
	case Enum:
		return x.Val != 0
	}
	return true
}

// Number converts to a float for arithmetic and comparison.
func Number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case Enum:
		return float64(x.Val), true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, true
		}
		if n, ok := ParseNumber(s); ok {
			return Number(n)
		}
	case nil:
		return 0, true
	}
	return 0, false
}

// Multipliers of PowerShell's numeric suffixes (10GB).
const (
	kib = int64(1) << 10
	mib = kib << 10
	gib = mib << 10
	tib = gib << 10
)

// ParseNumber parses a PowerShell numeric literal: 42, -1, 0x1F, 1.5, 10GB.
func ParseNumber(s string) (any, bool) {
	if s == "" {
		return nil, false
	}
	mult := int64(1)
	ls := strings.ToLower(s)
	for _, suf := range []struct {
		s string
		m int64
	}{{"kb", kib}, {"mb", mib}, {"gb", gib}, {"tb", tib}, {"pb", tib * 1024}} {
		if strings.HasSuffix(ls, suf.s) {
			mult = suf.m
			ls = strings.TrimSuffix(ls, suf.s)
			break
		}
	}
	neg := false
	if strings.HasPrefix(ls, "-") {
		neg, ls = true, ls[1:]
	}
	if ls == "" {
		return nil, false
	}
	var n int64
	switch {
	case strings.HasPrefix(ls, "0x"):
		u, err := strconv.ParseUint(ls[2:], 16, 64)
		if err != nil {
			return nil, false
		}
		n = int64(u)
		if u <= math.MaxUint32 && u > math.MaxInt32 {
			// 0x80780119 is an Int32 in PowerShell: negative.
			n = int64(int32(uint32(u)))
		}
	default:
		if strings.ContainsAny(ls, ".e") {
			f, err := strconv.ParseFloat(ls, 64)
			if err != nil {
				return nil, false
			}
			if neg {
				f = -f
			}
			return f * float64(mult), true
		}
		for _, c := range ls {
			if c < '0' || c > '9' {
				return nil, false
			}
		}
		v, err := strconv.ParseInt(ls, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(ls, 64)
			if ferr != nil {
				return nil, false
			}
			return f, true
		}
		n = v
	}
	if neg {
		n = -n
	}
	return n * mult, true
}

// --- ConvertTo-Json, Windows PowerShell 5.1 style ---

// jsonOf converts a value the way ConvertTo-Json 5.1 does: objects deeper
// than depth become their ToString(), dates become "\/Date(ms)\/", enums
// numbers.
func jsonOf(v any, depth, max int) string {
	var b strings.Builder
	writeJSONCompact(&b, v, depth, max)
	return b.String()
}

func writeJSONCompact(b *strings.Builder, v any, depth, max int) {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case string:
		b.WriteString(jsonQuote(x))
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case int, int64, uint32, uint64:
		b.WriteString(String(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString(jsonQuote(formatFloat(x)))
		} else {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case time.Time:
		b.WriteString(`"\/Date(` + strconv.FormatInt(x.UnixMilli(), 10) + `)\/"`)
	case Enum:
		b.WriteString(strconv.FormatInt(x.Val, 10))
	case []string:
		writeJSONCompact(b, FromStrings(x), depth, max)
	case []any:
		if depth > max {
			b.WriteString(jsonQuote(String(x)))
			return
		}
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONCompact(b, e, depth+1, max)
		}
		b.WriteByte(']')
	case *Object:
		if depth > max {
			b.WriteString(jsonQuote(x.String()))
			return
		}
		b.WriteByte('{')
		for i, pr := range x.Props {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonQuote(pr.Name))
			b.WriteByte(':')
			writeJSONCompact(b, pr.Val, depth+1, max)
		}
		b.WriteByte('}')
	case *Hash:
		if depth > max {
			b.WriteString(jsonQuote(String(x)))
			return
		}
		b.WriteByte('{')
		for i, k := range x.Keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonQuote(k))
			b.WriteByte(':')
			writeJSONCompact(b, x.Vals[strings.ToLower(k)], depth+1, max)
		}
		b.WriteByte('}')
	default:
		b.WriteString(jsonQuote(String(x)))
	}
}

// jsonQuote escapes like .NET's JavaScriptSerializer, which Windows
// PowerShell 5.1 uses: HTML-sensitive characters and the apostrophe become
// \uXXXX, other characters above U+001F stay as they are.
func jsonQuote(s string) string {
	if !jsonEscapes(s) {
		return `"` + s + `"`
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '<', '>', '&', '\'':
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// jsonEscapes reports whether jsonQuote must rewrite any byte of s: one
// it escapes, or a non-ASCII byte (invalid UTF-8 becomes U+FFFD).
func jsonEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < 0x20, c >= 0x80, c == '"', c == '\\', c == '<', c == '>', c == '&', c == '\'':
			return true
		}
	}
	return false
}

// prettyJSON re-indents compact JSON exactly as ConvertTo-Json 5.1 does:
// four spaces per level, two spaces after the colon, and nested objects and
// arrays aligned under the column after their key.
func prettyJSON(compact string) string {
	if compact == "" || (compact[0] != '{' && compact[0] != '[') {
		return compact
	}
	var b strings.Builder
	b.WriteByte(compact[0])
	if compact[0] == '{' {
		prettyDict(compact, 1, &b, "", 0)
	} else {
		prettyList(compact, 1, &b, "", 0)
	}
	return b.String()
}

func prettyList(s string, i int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	newPad := pad + strings.Repeat(" ", spaces) + "    "
	head := true
	for ; i < len(s); i++ {
		switch s[i] {
		case '{':
			b.WriteString(newPad)
			b.WriteByte('{')
			i = prettyDict(s, i+1, b, newPad, 0)
			head = false
		case '[':
			b.WriteString(newPad)
			b.WriteByte('[')
			i = prettyList(s, i+1, b, newPad, 0)
			head = false
		case ']':
			b.WriteString("\r\n" + pad + strings.Repeat(" ", spaces) + "]")
			return i
		case '"':
			if head {
				b.WriteString(newPad)
			}
			i = copyQuoted(s, i, b)
			head = false
		case ',':
			b.WriteString(",\r\n")
			head = true
		default:
			if head {
				b.WriteString(newPad)
			}
			b.WriteByte(s[i])
			head = false
		}
	}
	return i
}

func prettyDict(s string, i int, b *strings.Builder, pad string, spaces int) int {
	b.WriteString("\r\n")
	newPad := pad + strings.Repeat(" ", spaces) + "    "
	head := true
	keyLen := 0 // width of `"key":  ` on the current line
	for ; i < len(s); i++ {
		switch s[i] {
		case '{':
			b.WriteByte('{')
			i = prettyDict(s, i+1, b, newPad, keyLen)
			head = false
		case '[':
			b.WriteByte('[')
			i = prettyList(s, i+1, b, newPad, keyLen)
			head = false
		case '}':
			b.WriteString("\r\n" + pad + strings.Repeat(" ", spaces) + "}")
			return i
		case '"':
			if head {
				b.WriteString(newPad)
			}
			start := i
			i = copyQuoted(s, i, b)
			if head {
				keyLen = utf16Len(s[start : i+1])
			}
			head = false
		case ':':
			b.WriteString(":  ")
			keyLen += 3
		case ',':
			b.WriteString(",\r\n")
			head = true
			keyLen = 0
		default:
			if head {
				b.WriteString(newPad)
			}
			b.WriteByte(s[i])
			head = false
		}
	}
	return i
}

// copyQuoted copies the JSON string starting at s[i] == '"' and returns the
// index of its closing quote.
func copyQuoted(s string, i int, b *strings.Builder) int {
	b.WriteByte('"')
	for j := i + 1; j < len(s); j++ {
		b.WriteByte(s[j])
		switch s[j] {
		case '\\':
			if j+1 < len(s) {
				j++
				b.WriteByte(s[j])
			}
		case '"':
			return j
		}
	}
	return len(s) - 1
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// --- console formatting ---

// CellWidth is the console width of s: East Asian wide characters take two
// cells.
func CellWidth(s string) int {
	w := 0
	for _, r := range s {
		w += runeCells(r)
	}
	return w
}

func runeCells(r rune) int {
	switch {
	case r >= 0x1100 && r <= 0x115F,
		r >= 0x2E80 && r <= 0xA4CF && r != 0x303F,
		r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF,
		r >= 0xFE30 && r <= 0xFE4F,
		r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6,
		r >= 0x20000 && r <= 0x3FFFD:
		return 2
	}
	return 1
}

func padRight(s string, w int) string {
	if d := w - CellWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

func padLeft(s string, w int) string {
	if d := w - CellWidth(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// formatList renders objects as Format-List does.
func (t *Culture) formatList(objs []*Object, props []string) string {
	var b strings.Builder
	b.WriteString("\r\n")
	for _, o := range objs {
		names := props
		if len(names) == 0 {
			names = o.List
		}
		if len(names) == 0 || (len(names) == 1 && names[0] == "*") {
			names = make([]string, len(o.Props))
			for i, pr := range o.Props {
				names[i] = pr.Name
			}
		}
		names = expandWildcards(o, names)
		w := 0
		for _, n := range names {
			if c := CellWidth(n); c > w {
				w = c
			}
		}
		b.WriteString("\r\n")
		for _, n := range names {
			v, _ := o.Get(n)
			name := n
			if pn, ok := o.propName(n); ok {
				name = pn
			}
			b.WriteString(padRight(name, w) + " : " + t.Display(v) + "\r\n")
		}
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}

func (o *Object) propName(n string) (string, bool) {
	for _, pr := range o.Props {
		if strings.EqualFold(pr.Name, n) {
			return pr.Name, true
		}
	}
	return "", false
}

// expandWildcards expands property names with * against o's properties.
func expandWildcards(o *Object, names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.ContainsAny(n, "*?") {
			out = append(out, n)
			continue
		}
		for _, pr := range o.Props {
			if Like(n, pr.Name) {
				out = append(out, pr.Name)
			}
		}
	}
	return out
}

// formatTable renders objects as Format-Table does: columns as wide as
// their widest cell, numbers right-aligned, optional group headers.
func (t *Culture) formatTable(objs []*Object, props []string) string {
	if len(objs) == 0 {
		return ""
	}
	cols := objs[0].Cols
	if len(props) > 0 || len(cols) == 0 {
		names := props
		if len(names) == 0 {
			for _, pr := range objs[0].Props {
				names = append(names, pr.Name)
			}
		}
		names = expandWildcards(objs[0], names)
		cols = make([]Column, 0, len(names))
		for _, n := range names {
			n := n
			header := n
			if pn, ok := objs[0].propName(n); ok {
				header = pn
			}
			v, _ := objs[0].Get(n)
			_, isNum := v.(int64)
			switch v.(type) {
			case uint32, uint64, float64, int:
				isNum = true
			}
			cols = append(cols, Column{Header: header, Right: isNum, Value: func(o *Object) string {
				x, _ := o.Get(n)
				return t.Display(x)
			}})
		}
	}
	var b strings.Builder
	group := objs[0].GroupBy
	start := 0
	for start < len(objs) {
		end := start + 1
		gv := ""
		if group != "" && len(props) == 0 {
			v, _ := objs[start].Get(group)
			gv = String(v)
			for end < len(objs) {
				v2, _ := objs[end].Get(group)
				if String(v2) != gv {
					break
				}
				end++
			}
			b.WriteString("\r\n\r\n   " + group + ": " + gv + "\r\n")
		} else {
			end = len(objs)
		}
		b.WriteString(t.tableBlock(objs[start:end], cols))
		start = end
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}

func (t *Culture) tableBlock(objs []*Object, cols []Column) string {
	cells := make([][]string, len(objs))
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = CellWidth(c.Header)
	}
	for r, o := range objs {
		cells[r] = make([]string, len(cols))
		for i, c := range cols {
			s := c.Value(o)
			cells[r][i] = s
			if w := CellWidth(s); w > widths[i] {
				widths[i] = w
			}
		}
	}
	line := func(vals []string, dashes bool) string {
		var b strings.Builder
		for i, c := range cols {
			v := vals[i]
			if dashes {
				v = strings.Repeat("-", CellWidth(c.Header))
			}
			last := i == len(cols)-1
			switch {
			case c.Right:
				v = padLeft(v, widths[i])
			case !last:
				v = padRight(v, widths[i])
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(v)
		}
		return strings.TrimRight(b.String(), " ") + "\r\n"
	}
	var b strings.Builder
	b.WriteString("\r\n")
	headers := make([]string, len(cols))
	for i, c := range cols {
		headers[i] = c.Header
	}
	b.WriteString(line(headers, false))
	b.WriteString(line(headers, true))
	for _, row := range cells {
		b.WriteString(line(row, false))
	}
	return b.String()
}

// isList reports whether o displays as a list by default.
func (o *Object) isList() bool {
	switch o.View {
	case ViewList:
		return true
	case ViewTable:
		return false
	}
	return len(o.Props) > 4
}

// outDefault renders pipeline output the way Out-Default does at the end of
// a statement.
func (t *Culture) outDefault(items []any) string {
	var b strings.Builder
	for i := 0; i < len(items); {
		switch x := items[i].(type) {
		case nil:
			i++
		case *Formatted:
			b.WriteString(x.text)
			i++
		case *Object:
			j := i + 1
			for j < len(items) {
				y, ok := items[j].(*Object)
				if !ok || y.TypeName != x.TypeName {
					break
				}
				j++
			}
			group := make([]*Object, 0, j-i)
			for _, it := range items[i:j] {
				group = append(group, it.(*Object))
			}
			if x.isList() {
				b.WriteString(t.formatList(group, nil))
			} else {
				b.WriteString(t.formatTable(group, nil))
			}
			i = j
		case *Hash:
			rows := make([]*Object, 0, len(x.Keys))
			for _, k := range x.Keys {
				rows = append(rows, NewObject("System.Collections.DictionaryEntry", P("Name", k), P("Value", x.Vals[strings.ToLower(k)])))
			}
			b.WriteString(t.formatTable(rows, nil))
			i++
		case time.Time:
			b.WriteString("\r\n" + t.LongDateTime(x) + "\r\n\r\n\r\n")
			i++
		case []any:
			b.WriteString(t.outDefault(x))
			i++
		default:
			b.WriteString(String(x) + "\r\n")
			i++
		}
	}
	return b.String()
}

// SizeString formats a byte count the way the Storage module's views do:
// "126.45 GB", "500 MB", "2 TB".
func SizeString(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	u := 0
	for f >= 1024 && u < len(units)-1 {
		f /= 1024
		u++
	}
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + " " + units[u]
}

func Like(pattern, s string) bool {
	pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	return wmatch([]rune(pattern), []rune(s))
}

func wmatch(p, s []rune) bool {
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for i := 0; i <= len(s); i++ {
				if wmatch(p[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			p, s = p[1:], s[1:]
		case '[':
			end := -1
			for i := 1; i < len(p); i++ {
				if p[i] == ']' {
					end = i
					break
				}
			}
			if end < 0 || len(s) == 0 {
				if len(s) == 0 || s[0] != '[' {
					return false
				}
				p, s = p[1:], s[1:]
				continue
			}
			set, ok := p[1:end], false
			for i := 0; i < len(set); i++ {
				if i+2 < len(set) && set[i+1] == '-' {
					if s[0] >= set[i] && s[0] <= set[i+2] {
						ok = true
					}
					i += 2
				} else if set[i] == s[0] {
					ok = true
				}
			}
			if !ok {
				return false
			}
			p, s = p[end+1:], s[1:]
		default:
			if len(s) == 0 || s[0] != p[0] {
				return false
			}
			p, s = p[1:], s[1:]
		}
	}
	return len(s) == 0
}
