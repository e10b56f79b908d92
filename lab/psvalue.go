package lab

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

// psObj is an object with ordered properties.
type psObj struct {
	typeName string
	props    []psProp
	str      string // ToString(); "" means the type name
	view     viewKind
	cols     []tableCol // table view columns; nil: auto
	list     []string   // list view properties; nil: all
	groupBy  string     // table view group header property
	custom   bool       // PSCustomObject: ToString is @{a=1; b=2}
}

type psProp struct {
	name string
	val  any
}

type viewKind int

const (
	viewAuto viewKind = iota
	viewTable
	viewList
)

// tableCol is one column of a table view.
type tableCol struct {
	header string
	right  bool
	value  func(o *psObj) string
}

// psEnum is a .NET enum value: its name when displayed, its number in JSON.
type psEnum struct {
	name string
	val  int64
}

// psHash is a hashtable with insertion order kept for display.
type psHash struct {
	keys []string
	vals map[string]any // lower-case keys
}

// psBlock is a script block.
type psBlock struct {
	text  string
	stmts []*stmt
	src   *source
}

// psFormatted is the text Format-List / Format-Table produce; Out-Default
// writes it as is.
type psFormatted struct{ text string }

func newObj(typeName string, props ...psProp) *psObj {
	return &psObj{typeName: typeName, props: props}
}

func p(name string, val any) psProp { return psProp{name: name, val: val} }

func (o *psObj) get(name string) (any, bool) {
	for _, pr := range o.props {
		if strings.EqualFold(pr.name, name) {
			return pr.val, true
		}
	}
	return nil, false
}

func (o *psObj) toString() string {
	if o.custom {
		var b strings.Builder
		b.WriteString("@{")
		for i, pr := range o.props {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(pr.name + "=" + invariantString(pr.val))
		}
		b.WriteString("}")
		return b.String()
	}
	if o.str != "" {
		return o.str
	}
	return o.typeName
}

func newHash() *psHash { return &psHash{vals: map[string]any{}} }

func (hs *psHash) set(k string, v any) {
	lk := strings.ToLower(k)
	if _, ok := hs.vals[lk]; !ok {
		hs.keys = append(hs.keys, k)
	}
	hs.vals[lk] = v
}

func (hs *psHash) get(k string) (any, bool) {
	v, ok := hs.vals[strings.ToLower(k)]
	return v, ok
}

// --- scalar conversions ---

// invariantString converts like PowerShell's string conversion with the
// invariant culture ("$x" expansion, string parameters).
func invariantString(v any) string {
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
	case psEnum:
		return x.name
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = invariantString(e)
		}
		return strings.Join(parts, " ")
	case *psObj:
		return x.toString()
	case *psHash:
		return "System.Collections.Hashtable"
	case *psBlock:
		return x.text
	case []byte:
		return "System.Byte[]"
	case psEncoding:
		return "System.Text.UTF8Encoding"
	case *psFormatted:
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
func (t *texts) displayString(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return ""
		}
		return t.dateTime(x)
	case []any:
		parts := make([]string, 0, 4)
		for i, e := range x {
			if i == 4 {
				return "{" + strings.Join(parts, ", ") + "...}"
			}
			parts = append(parts, t.displayString(e))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case []string:
		return t.displayString(stringsToAny(x))
	}
	return invariantString(v)
}

func stringsToAny(ss []string) []any {
	if ss == nil {
		return nil
	}
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// truthy is PowerShell's conversion to bool.
func truthy(v any) bool {
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
			return truthy(x[0])
		}
		return true
	case psEnum:
		return x.val != 0
	}
	return true
}

// toNumber converts to a float for arithmetic and comparison.
func toNumber(v any) (float64, bool) {
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
	case psEnum:
		return float64(x.val), true
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, true
		}
		if n, ok := parseNumber(s); ok {
			return toNumber(n)
		}
	case nil:
		return 0, true
	}
	return 0, false
}

// parseNumber parses a PowerShell numeric literal: 42, -1, 0x1F, 1.5, 10GB.
func parseNumber(s string) (any, bool) {
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
		b.WriteString(invariantString(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			b.WriteString(jsonQuote(formatFloat(x)))
		} else {
			b.WriteString(strconv.FormatFloat(x, 'g', -1, 64))
		}
	case time.Time:
		b.WriteString(`"\/Date(` + strconv.FormatInt(x.UnixMilli(), 10) + `)\/"`)
	case psEnum:
		b.WriteString(strconv.FormatInt(x.val, 10))
	case []string:
		writeJSONCompact(b, stringsToAny(x), depth, max)
	case []any:
		if depth > max {
			b.WriteString(jsonQuote(invariantString(x)))
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
	case *psObj:
		if depth > max {
			b.WriteString(jsonQuote(x.toString()))
			return
		}
		b.WriteByte('{')
		for i, pr := range x.props {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonQuote(pr.name))
			b.WriteByte(':')
			writeJSONCompact(b, pr.val, depth+1, max)
		}
		b.WriteByte('}')
	case *psHash:
		if depth > max {
			b.WriteString(jsonQuote(invariantString(x)))
			return
		}
		b.WriteByte('{')
		for i, k := range x.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonQuote(k))
			b.WriteByte(':')
			writeJSONCompact(b, x.vals[strings.ToLower(k)], depth+1, max)
		}
		b.WriteByte('}')
	default:
		b.WriteString(jsonQuote(invariantString(x)))
	}
}

// jsonQuote escapes like .NET's JavaScriptSerializer, which Windows
// PowerShell 5.1 uses: HTML-sensitive characters and the apostrophe become
// \uXXXX, other characters above U+001F stay as they are.
func jsonQuote(s string) string {
	var b strings.Builder
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

// cellWidth is the console width of s: East Asian wide characters take two
// cells.
func cellWidth(s string) int {
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
	if d := w - cellWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}

func padLeft(s string, w int) string {
	if d := w - cellWidth(s); d > 0 {
		return strings.Repeat(" ", d) + s
	}
	return s
}

// formatList renders objects as Format-List does.
func (t *texts) formatList(objs []*psObj, props []string) string {
	var b strings.Builder
	b.WriteString("\r\n")
	for _, o := range objs {
		names := props
		if len(names) == 0 {
			names = o.list
		}
		if len(names) == 0 || (len(names) == 1 && names[0] == "*") {
			names = make([]string, len(o.props))
			for i, pr := range o.props {
				names[i] = pr.name
			}
		}
		names = expandWildcards(o, names)
		w := 0
		for _, n := range names {
			if c := cellWidth(n); c > w {
				w = c
			}
		}
		b.WriteString("\r\n")
		for _, n := range names {
			v, _ := o.get(n)
			name := n
			if pn, ok := o.propName(n); ok {
				name = pn
			}
			b.WriteString(padRight(name, w) + " : " + t.displayString(v) + "\r\n")
		}
	}
	b.WriteString("\r\n\r\n")
	return b.String()
}

func (o *psObj) propName(n string) (string, bool) {
	for _, pr := range o.props {
		if strings.EqualFold(pr.name, n) {
			return pr.name, true
		}
	}
	return "", false
}

// expandWildcards expands property names with * against o's properties.
func expandWildcards(o *psObj, names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.ContainsAny(n, "*?") {
			out = append(out, n)
			continue
		}
		for _, pr := range o.props {
			if wildcardMatch(n, pr.name) {
				out = append(out, pr.name)
			}
		}
	}
	return out
}

// formatTable renders objects as Format-Table does: columns as wide as
// their widest cell, numbers right-aligned, optional group headers.
func (t *texts) formatTable(objs []*psObj, props []string) string {
	if len(objs) == 0 {
		return ""
	}
	cols := objs[0].cols
	if len(props) > 0 || len(cols) == 0 {
		names := props
		if len(names) == 0 {
			for _, pr := range objs[0].props {
				names = append(names, pr.name)
			}
		}
		names = expandWildcards(objs[0], names)
		cols = make([]tableCol, 0, len(names))
		for _, n := range names {
			n := n
			header := n
			if pn, ok := objs[0].propName(n); ok {
				header = pn
			}
			v, _ := objs[0].get(n)
			_, isNum := v.(int64)
			switch v.(type) {
			case uint32, uint64, float64, int:
				isNum = true
			}
			cols = append(cols, tableCol{header: header, right: isNum, value: func(o *psObj) string {
				x, _ := o.get(n)
				return t.displayString(x)
			}})
		}
	}
	var b strings.Builder
	group := objs[0].groupBy
	start := 0
	for start < len(objs) {
		end := start + 1
		gv := ""
		if group != "" && len(props) == 0 {
			v, _ := objs[start].get(group)
			gv = invariantString(v)
			for end < len(objs) {
				v2, _ := objs[end].get(group)
				if invariantString(v2) != gv {
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

func (t *texts) tableBlock(objs []*psObj, cols []tableCol) string {
	cells := make([][]string, len(objs))
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = cellWidth(c.header)
	}
	for r, o := range objs {
		cells[r] = make([]string, len(cols))
		for i, c := range cols {
			s := c.value(o)
			cells[r][i] = s
			if w := cellWidth(s); w > widths[i] {
				widths[i] = w
			}
		}
	}
	line := func(vals []string, dashes bool) string {
		var b strings.Builder
		for i, c := range cols {
			v := vals[i]
			if dashes {
				v = strings.Repeat("-", cellWidth(c.header))
			}
			last := i == len(cols)-1
			switch {
			case c.right:
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
		headers[i] = c.header
	}
	b.WriteString(line(headers, false))
	b.WriteString(line(headers, true))
	for _, row := range cells {
		b.WriteString(line(row, false))
	}
	return b.String()
}

// isList reports whether o displays as a list by default.
func (o *psObj) isList() bool {
	switch o.view {
	case viewList:
		return true
	case viewTable:
		return false
	}
	return len(o.props) > 4
}

// outDefault renders pipeline output the way Out-Default does at the end of
// a statement.
func (t *texts) outDefault(items []any) string {
	var b strings.Builder
	for i := 0; i < len(items); {
		switch x := items[i].(type) {
		case nil:
			i++
		case *psFormatted:
			b.WriteString(x.text)
			i++
		case *psObj:
			j := i + 1
			for j < len(items) {
				y, ok := items[j].(*psObj)
				if !ok || y.typeName != x.typeName {
					break
				}
				j++
			}
			group := make([]*psObj, 0, j-i)
			for _, it := range items[i:j] {
				group = append(group, it.(*psObj))
			}
			if x.isList() {
				b.WriteString(t.formatList(group, nil))
			} else {
				b.WriteString(t.formatTable(group, nil))
			}
			i = j
		case *psHash:
			rows := make([]*psObj, 0, len(x.keys))
			for _, k := range x.keys {
				rows = append(rows, newObj("System.Collections.DictionaryEntry", p("Name", k), p("Value", x.vals[strings.ToLower(k)])))
			}
			b.WriteString(t.formatTable(rows, nil))
			i++
		case time.Time:
			b.WriteString("\r\n" + t.longDateTime(x) + "\r\n\r\n\r\n")
			i++
		case []any:
			b.WriteString(t.outDefault(x))
			i++
		default:
			b.WriteString(invariantString(x) + "\r\n")
			i++
		}
	}
	return b.String()
}

// sizeString formats a byte count the way the Storage module's views do:
// "126.45 GB", "500 MB", "2 TB".
func sizeString(n int64) string {
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

// vssSize formats like vssadmin and wbadmin: three significant digits,
// "2.06 GB", "11.8 GB", "500 MB".
func vssSize(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	f := float64(n)
	u := 0
	for f >= 1000 && u < len(units)-1 {
		f /= 1024
		u++
	}
	switch {
	case f >= 100:
		return strconv.FormatFloat(math.Floor(f), 'f', 0, 64) + " " + units[u]
	case f >= 10:
		return strconv.FormatFloat(math.Floor(f*10)/10, 'f', 1, 64) + " " + units[u]
	}
	return strconv.FormatFloat(math.Floor(f*100)/100, 'f', 2, 64) + " " + units[u]
}

// wildcardMatch matches PowerShell -like patterns (* ? and [a-z]),
// case-insensitively.
func wildcardMatch(pattern, s string) bool {
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
