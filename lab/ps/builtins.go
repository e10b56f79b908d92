package ps

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Builtin returns the language's own cmdlet of that name or alias (any
// case): the output, formatting, JSON and object cmdlets every script uses.
func Builtin(name string) (*Command, bool) {
	switch strings.ToLower(name) {
	case "write-output", "echo", "write":
		return &Command{Name: "Write-Output", Named: []string{"InputObject"}, Switches: []string{"NoEnumerate"}, Positional: []string{"InputObject"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletWriteOutput(c.r, c) }}, true
	case "write-host":
		return &Command{Name: "Write-Host", Named: []string{"Object", "ForegroundColor", "BackgroundColor", "Separator"}, Switches: []string{"NoNewline"}, Positional: []string{"Object"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletWriteHost(c.r, c) }}, true
	case "write-error":
		return &Command{Name: "Write-Error", Named: []string{"Message", "Category", "ErrorId", "TargetObject", "Exception", "RecommendedAction"}, Positional: []string{"Message"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletWriteError(c.r, c) }}, true
	case "write-warning":
		return &Command{Name: "Write-Warning", Named: []string{"Message"}, Positional: []string{"Message"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletWriteWarning(c.r, c) }}, true
	case "write-verbose":
		return &Command{Name: "Write-Verbose", Named: []string{"Message"}, Positional: []string{"Message"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletNoop(c.r, c) }}, true
	case "write-debug":
		return &Command{Name: "Write-Debug", Named: []string{"Message"}, Positional: []string{"Message"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletNoop(c.r, c) }}, true
	case "write-information":
		return &Command{Name: "Write-Information", Named: []string{"MessageData", "Tags"}, Positional: []string{"MessageData"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletNoop(c.r, c) }}, true
	case "write-progress":
		return &Command{Name: "Write-Progress", Named: []string{"Activity", "Status", "PercentComplete", "Id", "CurrentOperation"}, Switches: []string{"Completed"}, Positional: []string{"Activity", "Status"}, Run: func(c *Call) ([]any, error) { return cmdletNoop(c.r, c) }}, true
	case "out-null":
		return &Command{Name: "Out-Null", Named: []string{"InputObject"}, Run: func(c *Call) ([]any, error) { return cmdletOutNull(c.r, c) }}, true
	case "out-string":
		return &Command{Name: "Out-String", Named: []string{"InputObject", "Width"}, Switches: []string{"Stream"}, Run: func(c *Call) ([]any, error) { return cmdletOutString(c.r, c) }}, true
	case "out-default", "out-host", "oh":
		return &Command{Name: "Out-Default", Named: []string{"InputObject"}, Run: func(c *Call) ([]any, error) { return cmdletOutDefault(c.r, c) }}, true
	case "format-list", "fl":
		return &Command{Name: "Format-List", Named: []string{"Property", "InputObject", "GroupBy"}, Switches: []string{"Force"}, Positional: []string{"Property"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletFormatList(c.r, c) }}, true
	case "format-table", "ft":
		return &Command{Name: "Format-Table", Named: []string{"Property", "InputObject", "GroupBy"}, Switches: []string{"AutoSize", "Wrap", "HideTableHeaders", "Force"}, Positional: []string{"Property"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletFormatTable(c.r, c) }}, true
	case "convertto-json":
		return &Command{Name: "ConvertTo-Json", Named: []string{"InputObject", "Depth"}, Switches: []string{"Compress"}, Positional: []string{"InputObject"}, Run: func(c *Call) ([]any, error) { return cmdletToJSON(c.r, c) }}, true
	case "convertfrom-json":
		return &Command{Name: "ConvertFrom-Json", Named: []string{"InputObject"}, Positional: []string{"InputObject"}, Run: func(c *Call) ([]any, error) { return cmdletFromJSON(c.r, c) }}, true
	case "select-object", "select":
		return &Command{Name: "Select-Object", Named: []string{"Property", "ExpandProperty", "First", "Last", "Skip", "ExcludeProperty", "InputObject"}, Switches: []string{"Unique"}, Positional: []string{"Property"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletSelect(c.r, c) }}, true
	case "where-object", "where", "?":
		return &Command{Name: "Where-Object", Named: []string{"FilterScript", "Property", "Value", "InputObject"}, Switches: []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains", "In", "NotIn", "Not"}, Positional: []string{"FilterScript", "Value"}, Run: func(c *Call) ([]any, error) { return cmdletWhere(c.r, c) }}, true
	case "foreach-object", "foreach", "%":
		return &Command{Name: "ForEach-Object", Named: []string{"Process", "MemberName", "Begin", "End", "InputObject"}, Positional: []string{"Process"}, Run: func(c *Call) ([]any, error) { return cmdletForEach(c.r, c) }}, true
	case "sort-object", "sort":
		return &Command{Name: "Sort-Object", Named: []string{"Property", "InputObject"}, Switches: []string{"Descending", "Unique"}, Positional: []string{"Property"}, Varargs: true, Run: func(c *Call) ([]any, error) { return cmdletSort(c.r, c) }}, true
	case "measure-object", "measure":
		return &Command{Name: "Measure-Object", Named: []string{"Property", "InputObject"}, Switches: []string{"Sum", "Average", "Maximum", "Minimum"}, Positional: []string{"Property"}, Run: func(c *Call) ([]any, error) { return cmdletMeasure(c.r, c) }}, true
	case "get-date":
		return &Command{Name: "Get-Date", Named: []string{"Format", "UFormat", "Date"}, Positional: []string{"Date"}, Run: func(c *Call) ([]any, error) { return cmdletGetDate(c.r, c) }}, true
	case "start-sleep", "sleep":
		return &Command{Name: "Start-Sleep", Named: []string{"Seconds", "Milliseconds"}, Positional: []string{"Seconds"}, Run: func(c *Call) ([]any, error) { return cmdletSleep(c.r, c) }}, true
	}
	return nil, false
}

// items is the cmdlet's input: -InputObject or the pipeline.
func (c *Call) Items(param string) []any {
	if c.Has(param) {
		return Enumerate(c.Value(param))
	}
	return c.Input
}

func cmdletNoop(*runner, *Call) ([]any, error) { return nil, nil }

func cmdletWriteOutput(_ *runner, c *Call) ([]any, error) {
	if c.Has("InputObject") {
		if c.Flag("NoEnumerate") {
			return []any{c.Value("InputObject")}, nil
		}
		return Enumerate(c.Value("InputObject")), nil
	}
	return c.Input, nil
}

func cmdletWriteHost(r *runner, c *Call) ([]any, error) {
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

func cmdletWriteError(r *runner, c *Call) ([]any, error) {
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

func cmdletWriteWarning(r *runner, c *Call) ([]any, error) {
	r.addWarning(String(unwrap(c.Items("Message"))))
	return nil, nil
}

func cmdletOutNull(*runner, *Call) ([]any, error) { return nil, nil }

func cmdletOutString(r *runner, c *Call) ([]any, error) {
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

func cmdletOutDefault(r *runner, c *Call) ([]any, error) {
	r.write(r.t.outDefault(c.Items("InputObject")))
	return nil, nil
}

// splitFormattable separates objects from scalars for Format-*.
func formatWith(r *runner, c *Call, list bool) ([]any, error) {
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

func cmdletFormatList(r *runner, c *Call) ([]any, error)  { return formatWith(r, c, true) }
func cmdletFormatTable(r *runner, c *Call) ([]any, error) { return formatWith(r, c, false) }

func cmdletToJSON(_ *runner, c *Call) ([]any, error) {
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

func cmdletFromJSON(r *runner, c *Call) ([]any, error) {
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

func cmdletSelect(r *runner, c *Call) ([]any, error) {
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
							FQID: "ExpandPropertyNotFound," + c.CommandClass(),
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

func cmdletWhere(r *runner, c *Call) ([]any, error) {
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

func cmdletForEach(r *runner, c *Call) ([]any, error) {
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

func cmdletSort(r *runner, c *Call) ([]any, error) {
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

func cmdletMeasure(r *runner, c *Call) ([]any, error) {
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

func cmdletGetDate(r *runner, c *Call) ([]any, error) {
	now := r.h.Now()
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

func cmdletSleep(r *runner, c *Call) ([]any, error) {
	var d time.Duration
	if s, ok := c.Num("Seconds"); ok {
		d = time.Duration(s) * time.Second
	}
	if ms, ok := c.Num("Milliseconds"); ok {
		d += time.Duration(ms) * time.Millisecond
	}
	if !sleepCtx(r.ctx, d) {
		return nil, &ExitError{Code: 1}
	}
	return nil, nil
}
