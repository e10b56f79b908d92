package lab

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// builtinEntries are the cmdlets of the PowerShell language itself.
func builtinEntries() []tableEntry {
	return []tableEntry{
		{cmdletEntry{Name: "Write-Output", named: []string{"InputObject"}, switches: []string{"NoEnumerate"}, positional: []string{"InputObject"}, varargs: true, run: cmdletWriteOutput}, []string{"echo", "write"}},
		{cmdletEntry{Name: "Write-Host", named: []string{"Object", "ForegroundColor", "BackgroundColor", "Separator"}, switches: []string{"NoNewline"}, positional: []string{"Object"}, varargs: true, run: cmdletWriteHost}, nil},
		{cmdletEntry{Name: "Write-Error", named: []string{"Message", "Category", "ErrorId", "TargetObject", "Exception", "RecommendedAction"}, positional: []string{"Message"}, varargs: true, run: cmdletWriteError}, nil},
		{cmdletEntry{Name: "Write-Warning", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletWriteWarning}, nil},
		{cmdletEntry{Name: "Write-Verbose", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{Name: "Write-Debug", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{Name: "Write-Information", named: []string{"MessageData", "Tags"}, positional: []string{"MessageData"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{Name: "Write-Progress", named: []string{"Activity", "Status", "PercentComplete", "Id", "CurrentOperation"}, switches: []string{"Completed"}, positional: []string{"Activity", "Status"}, run: cmdletNoop}, nil},
		{cmdletEntry{Name: "Out-Null", named: []string{"InputObject"}, run: cmdletOutNull}, nil},
		{cmdletEntry{Name: "Out-String", named: []string{"InputObject", "Width"}, switches: []string{"Stream"}, run: cmdletOutString}, nil},
		{cmdletEntry{Name: "Out-Default", named: []string{"InputObject"}, run: cmdletOutDefault}, []string{"out-host", "oh"}},
		{cmdletEntry{Name: "Format-List", named: []string{"Property", "InputObject", "GroupBy"}, switches: []string{"Force"}, positional: []string{"Property"}, varargs: true, run: cmdletFormatList}, []string{"fl"}},
		{cmdletEntry{Name: "Format-Table", named: []string{"Property", "InputObject", "GroupBy"}, switches: []string{"AutoSize", "Wrap", "HideTableHeaders", "Force"}, positional: []string{"Property"}, varargs: true, run: cmdletFormatTable}, []string{"ft"}},
		{cmdletEntry{Name: "ConvertTo-Json", named: []string{"InputObject", "Depth"}, switches: []string{"Compress"}, positional: []string{"InputObject"}, run: cmdletToJSON}, nil},
		{cmdletEntry{Name: "ConvertFrom-Json", named: []string{"InputObject"}, positional: []string{"InputObject"}, run: cmdletFromJSON}, nil},
		{cmdletEntry{Name: "Select-Object", named: []string{"Property", "ExpandProperty", "First", "Last", "Skip", "ExcludeProperty", "InputObject"}, switches: []string{"Unique"}, positional: []string{"Property"}, varargs: true, run: cmdletSelect}, []string{"select"}},
		{cmdletEntry{Name: "Where-Object", named: []string{"FilterScript", "Property", "Value", "InputObject"}, switches: []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains", "In", "NotIn", "Not"}, positional: []string{"FilterScript", "Value"}, run: cmdletWhere}, []string{"where", "?"}},
		{cmdletEntry{Name: "ForEach-Object", named: []string{"Process", "MemberName", "Begin", "End", "InputObject"}, positional: []string{"Process"}, run: cmdletForEach}, []string{"foreach", "%"}},
		{cmdletEntry{Name: "Sort-Object", named: []string{"Property", "InputObject"}, switches: []string{"Descending", "Unique"}, positional: []string{"Property"}, varargs: true, run: cmdletSort}, []string{"sort"}},
		{cmdletEntry{Name: "Measure-Object", named: []string{"Property", "InputObject"}, switches: []string{"Sum", "Average", "Maximum", "Minimum"}, positional: []string{"Property"}, run: cmdletMeasure}, []string{"measure"}},
		{cmdletEntry{Name: "Get-Date", named: []string{"Format", "UFormat", "Date"}, positional: []string{"Date"}, run: cmdletGetDate}, nil},
		{cmdletEntry{Name: "Start-Sleep", named: []string{"Seconds", "Milliseconds"}, positional: []string{"Seconds"}, run: cmdletSleep}, []string{"sleep"}},
	}
}

// fqClass is the .NET command class in FullyQualifiedErrorIds.
func fqClass(c *Call) string {
	return "Microsoft.PowerShell.Commands." + strings.ReplaceAll(c.entry.Name, "-", "") + "Command"
}

// items is the cmdlet's input: -InputObject or the pipeline.
func (c *Call) Items(param string) []any {
	if c.Has(param) {
		return Enumerate(c.Value(param))
	}
	return c.Input
}

func cmdletNoop(*psRun, *Call) ([]any, error) { return nil, nil }

func cmdletWriteOutput(_ *psRun, c *Call) ([]any, error) {
	if c.Has("InputObject") {
		if c.Flag("NoEnumerate") {
			return []any{c.Value("InputObject")}, nil
		}
		return Enumerate(c.Value("InputObject")), nil
	}
	return c.Input, nil
}

func cmdletWriteHost(r *psRun, c *Call) ([]any, error) {
	sep := " "
	if s, ok := c.Str("Separator"); ok {
		sep = s
	}
	var parts []string
	for _, v := range c.Items("Object") {
		parts = append(parts, String(v))
	}
	text := strings.Join(parts, sep)
	if !c.Flag("NoNewline") {
		text += "\r\n"
	}
	r.write(text)
	return nil, nil
}

func cmdletWriteError(r *psRun, c *Call) ([]any, error) {
	msg := String(unwrap(c.Items("Message")))
	text := ""
	if c.src != nil && c.el != nil {
		text = c.src.text[c.el.start:c.el.end]
	}
	id := "Microsoft.PowerShell.Commands.WriteErrorException"
	if s, ok := c.Str("ErrorId"); ok {
		id = s + "," + id
	}
	cat := "NotSpecified"
	if s, ok := c.Str("Category"); ok {
		cat = s
	}
	return nil, r.nonTerminating(c, &ErrorRecord{Message: msg, cmd: text, Category: cat, Activity: "Write-Error", Exception: "WriteErrorException", FQID: id, noPos: true})
}

func cmdletWriteWarning(r *psRun, c *Call) ([]any, error) {
	r.addWarning(String(unwrap(c.Items("Message"))))
	return nil, nil
}

func cmdletOutNull(*psRun, *Call) ([]any, error) { return nil, nil }

func cmdletOutString(r *psRun, c *Call) ([]any, error) {
	text := r.t.outDefault(c.Items("InputObject"))
	if c.Flag("Stream") {
		var out []any
		for _, l := range strings.Split(strings.TrimRight(text, "\r\n"), "\r\n") {
			out = append(out, l)
		}
		return out, nil
	}
	return []any{text}, nil
}

func cmdletOutDefault(r *psRun, c *Call) ([]any, error) {
	r.write(r.t.outDefault(c.Items("InputObject")))
	return nil, nil
}

// splitFormattable separates objects from scalars for Format-*.
func formatWith(r *psRun, c *Call, list bool) ([]any, error) {
	var props []string
	for _, v := range Enumerate(c.Value("Property")) {
		props = append(props, String(v))
	}
	var b strings.Builder
	var objs []*Object
	flush := func() {
		if len(objs) == 0 {
			return
		}
		if list {
			b.WriteString(r.t.formatList(objs, props))
		} else {
			b.WriteString(r.t.formatTable(objs, props))
		}
		objs = nil
	}
	for _, it := range c.Items("InputObject") {
		if o, ok := it.(*Object); ok {
			if len(objs) > 0 && objs[0].TypeName != o.TypeName && !list {
				flush()
			}
			objs = append(objs, o)
			continue
		}
		flush()
		b.WriteString(r.t.outDefault([]any{it}))
	}
	flush()
	return []any{&Formatted{text: b.String()}}, nil
}

func cmdletFormatList(r *psRun, c *Call) ([]any, error)  { return formatWith(r, c, true) }
func cmdletFormatTable(r *psRun, c *Call) ([]any, error) { return formatWith(r, c, false) }

func cmdletToJSON(_ *psRun, c *Call) ([]any, error) {
	items := c.Items("InputObject")
	if len(items) == 0 && !c.Has("InputObject") {
		return nil, nil
	}
	var v any = items
	if len(items) == 1 && !c.Has("InputObject") {
		v = items[0]
	}
	if c.Has("InputObject") {
		v = c.Value("InputObject")
	}
	depth := int64(2)
	if d, ok := c.Num("Depth"); ok {
		depth = d
	}
	s := jsonOf(v, 0, int(depth))
	if !c.Flag("Compress") {
		s = prettyJSON(s)
	}
	return []any{s}, nil
}

func cmdletFromJSON(r *psRun, c *Call) ([]any, error) {
	var parts []string
	for _, it := range c.Items("InputObject") {
		parts = append(parts, String(it))
	}
	text := strings.Join(parts, "\n")
	v, err := decodeJSONOrdered(text)
	if err != nil {
		return nil, r.nonTerminating(c, &ErrorRecord{
			Message: "Invalid JSON primitive: " + strings.TrimSpace(firstLine(text)) + ".", Category: "NotSpecified",
			Exception: "ArgumentException", FQID: "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
		})
	}
	return []any{v}, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 40 {
		l = l[:40]
	}
	return l
}

// decodeJSONOrdered decodes JSON keeping object key order, as
// ConvertFrom-Json 5.1 does (objects become PSCustomObjects, \/Date(ms)\/
// strings DateTimes).
func decodeJSONOrdered(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	v, err := decodeValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch x := tok.(type) {
	case json.Delim:
		switch x {
		case '{':
			o := &Object{TypeName: "System.Management.Automation.PSCustomObject", Custom: true}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				o.Props = append(o.Props, P(k, v))
			}
			_, err := dec.Token()
			return o, err
		case '[':
			arr := []any{}
			for dec.More() {
				v, err := decodeValue(dec)
				if err != nil {
					return nil, err
				}
				arr = append(arr, v)
			}
			_, err := dec.Token()
			return arr, err
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, nil
		}
		f, err := x.Float64()
		return f, err
	case string:
		if strings.HasPrefix(x, "/Date(") && strings.HasSuffix(x, ")/") {
			if ms, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(x, "/Date("), ")/"), 10, 64); err == nil {
				return time.UnixMilli(ms).UTC(), nil
			}
		}
		return x, nil
	case bool:
		return x, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}

func cmdletSelect(r *psRun, c *Call) ([]any, error) {
	items := c.Items("InputObject")
	if n, ok := c.Num("Skip"); ok {
		if int(n) < len(items) {
			items = items[n:]
		} else {
			items = nil
		}
	}
	if n, ok := c.Num("First"); ok && int(n) < len(items) {
		items = items[:n]
	}
	if n, ok := c.Num("Last"); ok && int(n) < len(items) {
		items = items[len(items)-int(n):]
	}
	if c.Flag("Unique") {
		var u []any
		for _, it := range items {
			if !slices.ContainsFunc(u, func(x any) bool { return Equal(x, it) }) {
				u = append(u, it)
			}
		}
		items = u
	}
	if ep, ok := c.Str("ExpandProperty"); ok {
		var out []any
		for _, it := range items {
			v := r.member(it, ep)
			if v == nil {
				if o, isObj := it.(*Object); isObj {
					if _, has := o.Get(ep); !has {
						return out, r.nonTerminating(c, &ErrorRecord{
							Message: fmt.Sprintf("Property \"%s\" cannot be found.", ep), Category: "InvalidArgument",
							Target: o.String(), TargetType: "PSObject", Exception: "PSArgumentException",
							FQID: "ExpandPropertyNotFound," + fqClass(c),
						})
					}
				}
			}
			out = append(out, Enumerate(v)...)
		}
		return out, nil
	}
	props := Enumerate(c.Value("Property"))
	if len(props) == 0 {
		return items, nil
	}
	var out []any
	for _, it := range items {
		src, _ := it.(*Object)
		tn := "System.Object"
		if src != nil {
			tn = src.TypeName
		}
		o := &Object{TypeName: "Selected." + tn, Custom: true}
		for _, pv := range props {
			switch x := pv.(type) {
			case *Hash:
				name := ""
				for _, k := range []string{"Name", "N", "Label", "L"} {
					if v, ok := x.Get(k); ok {
						name = String(v)
					}
				}
				var val any
				for _, k := range []string{"Expression", "E"} {
					if v, ok := x.Get(k); ok {
						switch ex := v.(type) {
						case *Block:
							r.curItem = append(r.curItem, it)
							res, err := r.execCollect(ex.stmts, ex.src)
							r.curItem = r.curItem[:len(r.curItem)-1]
							if err != nil {
								return out, err
							}
							val = unwrap(res)
						default:
							val = r.member(it, String(ex))
						}
					}
				}
				o.Props = append(o.Props, P(name, val))
			default:
				name := String(x)
				if strings.ContainsAny(name, "*?") && src != nil {
					for _, pr := range src.Props {
						if Like(name, pr.Name) {
							o.Props = append(o.Props, pr)
						}
					}
					continue
				}
				if src != nil {
					if pn, ok := src.propName(name); ok {
						name = pn
					}
				}
				o.Props = append(o.Props, P(name, r.member(it, name)))
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// whereOps maps Where-Object's operator switches to comparison operators.
func whereOp(c *Call) (string, bool) {
	for _, op := range []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains", "In", "NotIn"} {
		if c.Flag(op) {
			return strings.ToLower(op), true
		}
	}
	return "", false
}

func cmdletWhere(r *psRun, c *Call) ([]any, error) {
	var out []any
	fs := c.Value("FilterScript")
	block, isBlock := fs.(*Block)
	prop, _ := c.Str("Property")
	if !isBlock && fs != nil {
		prop = String(fs)
	}
	for _, it := range c.Items("InputObject") {
		keep := false
		if isBlock {
			r.curItem = append(r.curItem, it)
			res, err := r.execCollect(block.stmts, block.src)
			r.curItem = r.curItem[:len(r.curItem)-1]
			var re *psReturnErr
			if err != nil && !errors.As(err, &re) {
				return out, err
			}
			keep = Truthy(unwrap(res))
		} else {
			v := r.member(it, prop)
			if op, ok := whereOp(c); ok {
				m, err := compareOp(op, v, c.Value("Value"))
				if err != nil {
					return out, err
				}
				keep = Truthy(m)
			} else {
				keep = Truthy(v)
				if c.Flag("Not") {
					keep = !keep
				}
			}
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, nil
}

func cmdletForEach(r *psRun, c *Call) ([]any, error) {
	var out []any
	pv := c.Value("Process")
	if mn, ok := c.Str("MemberName"); ok {
		pv = mn
	}
	for _, it := range c.Items("InputObject") {
		switch x := pv.(type) {
		case *Block:
			r.curItem = append(r.curItem, it)
			res, err := r.execCollect(x.stmts, x.src)
			r.curItem = r.curItem[:len(r.curItem)-1]
			out = append(out, res...)
			var re *psReturnErr
			if err != nil && !errors.As(err, &re) {
				return out, err
			}
		case nil:
			out = append(out, it)
		default:
			out = append(out, Enumerate(r.member(it, String(x)))...)
		}
	}
	return out, nil
}

func cmdletSort(r *psRun, c *Call) ([]any, error) {
	items := slices.Clone(c.Items("InputObject"))
	props := c.Strs("Property")
	key := func(v any) []any {
		if len(props) == 0 {
			return []any{v}
		}
		ks := make([]any, len(props))
		for i, p := range props {
			ks[i] = r.member(v, p)
		}
		return ks
	}
	desc := c.Flag("Descending")
	slices.SortStableFunc(items, func(a, b any) int {
		ka, kb := key(a), key(b)
		for i := range ka {
			if c := Compare(ka[i], kb[i]); c != 0 {
				if desc {
					return -c
				}
				return c
			}
		}
		return 0
	})
	if c.Flag("Unique") {
		items = slices.CompactFunc(items, Equal)
	}
	return items, nil
}

func cmdletMeasure(r *psRun, c *Call) ([]any, error) {
	items := c.Items("InputObject")
	prop, hasProp := c.Str("Property")
	var sum, mx, mn float64
	for i, it := range items {
		v := it
		if hasProp {
			v = r.member(it, prop)
		}
		f, _ := Number(v)
		sum += f
		if i == 0 || f > mx {
			mx = f
		}
		if i == 0 || f < mn {
			mn = f
		}
	}
	var avg, s, maxV, minV any
	if c.Flag("Sum") {
		s = numberResult(sum, false)
	}
	if c.Flag("Average") && len(items) > 0 {
		avg = sum / float64(len(items))
	}
	if c.Flag("Maximum") {
		maxV = numberResult(mx, false)
	}
	if c.Flag("Minimum") {
		minV = numberResult(mn, false)
	}
	o := NewObject("Microsoft.PowerShell.Commands.GenericMeasureInfo",
		P("Count", int64(len(items))), P("Average", avg), P("Sum", s), P("Maximum", maxV), P("Minimum", minV), P("Property", prop))
	o.View = ViewList
	return []any{o}, nil
}

func cmdletGetDate(r *psRun, c *Call) ([]any, error) {
	now := r.h.now()
	if d, ok := c.Value("Date").(time.Time); ok {
		now = d
	}
	if f, ok := c.Str("Format"); ok {
		return []any{dotnetDateFormat(now, f)}, nil
	}
	if f, ok := c.Str("UFormat"); ok {
		if f == "%s" {
			return []any{strconv.FormatInt(now.Unix(), 10)}, nil
		}
		return []any{now.Format(time.RFC3339)}, nil
	}
	return []any{now}, nil
}

func cmdletSleep(r *psRun, c *Call) ([]any, error) {
	var d time.Duration
	if s, ok := c.Num("Seconds"); ok {
		d = time.Duration(s) * time.Second
	}
	if ms, ok := c.Num("Milliseconds"); ok {
		d += time.Duration(ms) * time.Millisecond
	}
	if !sleepCtx(r.env.ctx, d) {
		return nil, &ExitError{Code: 1}
	}
	return nil, nil
}
