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

// cmdletTable is the PowerShell cmdlet table: canonical names and aliases
// (lower case) to entries. To simulate a new cmdlet, add it to entries.
func cmdletTable() map[string]*cmdletEntry {
	entries := []struct {
		e       cmdletEntry
		aliases []string
	}{
		{cmdletEntry{name: "Write-Output", named: []string{"InputObject"}, switches: []string{"NoEnumerate"}, positional: []string{"InputObject"}, varargs: true, run: cmdletWriteOutput}, []string{"echo", "write"}},
		{cmdletEntry{name: "Write-Host", named: []string{"Object", "ForegroundColor", "BackgroundColor", "Separator"}, switches: []string{"NoNewline"}, positional: []string{"Object"}, varargs: true, run: cmdletWriteHost}, nil},
		{cmdletEntry{name: "Write-Error", named: []string{"Message", "Category", "ErrorId", "TargetObject", "Exception", "RecommendedAction"}, positional: []string{"Message"}, varargs: true, run: cmdletWriteError}, nil},
		{cmdletEntry{name: "Write-Warning", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletWriteWarning}, nil},
		{cmdletEntry{name: "Write-Verbose", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{name: "Write-Debug", named: []string{"Message"}, positional: []string{"Message"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{name: "Write-Information", named: []string{"MessageData", "Tags"}, positional: []string{"MessageData"}, varargs: true, run: cmdletNoop}, nil},
		{cmdletEntry{name: "Write-Progress", named: []string{"Activity", "Status", "PercentComplete", "Id", "CurrentOperation"}, switches: []string{"Completed"}, positional: []string{"Activity", "Status"}, run: cmdletNoop}, nil},
		{cmdletEntry{name: "Out-Null", named: []string{"InputObject"}, run: cmdletOutNull}, nil},
		{cmdletEntry{name: "Out-String", named: []string{"InputObject", "Width"}, switches: []string{"Stream"}, run: cmdletOutString}, nil},
		{cmdletEntry{name: "Out-Default", named: []string{"InputObject"}, run: cmdletOutDefault}, []string{"out-host", "oh"}},
		{cmdletEntry{name: "Format-List", named: []string{"Property", "InputObject", "GroupBy"}, switches: []string{"Force"}, positional: []string{"Property"}, varargs: true, run: cmdletFormatList}, []string{"fl"}},
		{cmdletEntry{name: "Format-Table", named: []string{"Property", "InputObject", "GroupBy"}, switches: []string{"AutoSize", "Wrap", "HideTableHeaders", "Force"}, positional: []string{"Property"}, varargs: true, run: cmdletFormatTable}, []string{"ft"}},
		{cmdletEntry{name: "ConvertTo-Json", named: []string{"InputObject", "Depth"}, switches: []string{"Compress"}, positional: []string{"InputObject"}, run: cmdletToJSON}, nil},
		{cmdletEntry{name: "ConvertFrom-Json", named: []string{"InputObject"}, positional: []string{"InputObject"}, run: cmdletFromJSON}, nil},
		{cmdletEntry{name: "Select-Object", named: []string{"Property", "ExpandProperty", "First", "Last", "Skip", "ExcludeProperty", "InputObject"}, switches: []string{"Unique"}, positional: []string{"Property"}, varargs: true, run: cmdletSelect}, []string{"select"}},
		{cmdletEntry{name: "Where-Object", named: []string{"FilterScript", "Property", "Value", "InputObject"}, switches: []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains", "In", "NotIn", "Not"}, positional: []string{"FilterScript", "Value"}, run: cmdletWhere}, []string{"where", "?"}},
		{cmdletEntry{name: "ForEach-Object", named: []string{"Process", "MemberName", "Begin", "End", "InputObject"}, positional: []string{"Process"}, run: cmdletForEach}, []string{"foreach", "%"}},
		{cmdletEntry{name: "Sort-Object", named: []string{"Property", "InputObject"}, switches: []string{"Descending", "Unique"}, positional: []string{"Property"}, varargs: true, run: cmdletSort}, []string{"sort"}},
		{cmdletEntry{name: "Measure-Object", named: []string{"Property", "InputObject"}, switches: []string{"Sum", "Average", "Maximum", "Minimum"}, positional: []string{"Property"}, run: cmdletMeasure}, []string{"measure"}},
		{cmdletEntry{name: "Get-Date", named: []string{"Format", "UFormat", "Date"}, positional: []string{"Date"}, run: cmdletGetDate}, nil},
		{cmdletEntry{name: "Start-Sleep", named: []string{"Seconds", "Milliseconds"}, positional: []string{"Seconds"}, run: cmdletSleep}, []string{"sleep"}},
		{cmdletEntry{name: "Get-Command", named: []string{"Name", "Module", "CommandType"}, switches: []string{"ListImported"}, positional: []string{"Name"}, varargs: true, run: cmdletGetCommand}, []string{"gcm"}},
		{cmdletEntry{name: "Import-Module", named: []string{"Name"}, switches: []string{"Force", "PassThru"}, positional: []string{"Name"}, varargs: true, run: cmdletImportModule}, []string{"ipmo"}},
		{cmdletEntry{name: "Test-Path", named: []string{"Path", "LiteralPath", "PathType"}, switches: []string{"IsValid"}, positional: []string{"Path"}, run: cmdletTestPath}, nil},
		{cmdletEntry{name: "Set-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"sc"}},
		{cmdletEntry{name: "Add-Content", named: []string{"Path", "LiteralPath", "Value", "Encoding"}, switches: []string{"Force", "NoNewline", "PassThru"}, positional: []string{"Path", "Value"}, run: cmdletSetContent}, []string{"ac"}},
		{cmdletEntry{name: "Get-Content", named: []string{"Path", "LiteralPath", "Encoding", "TotalCount", "Tail"}, switches: []string{"Raw"}, positional: []string{"Path"}, run: cmdletGetContent}, []string{"gc", "cat", "type"}},
		{cmdletEntry{name: "Remove-Item", named: []string{"Path", "LiteralPath"}, switches: []string{"Force", "Recurse"}, positional: []string{"Path"}, run: cmdletRemoveItem}, []string{"del", "rm", "ri", "erase", "rmdir", "rd"}},

		{cmdletEntry{name: "Get-WBSummary", run: cmdletWBSummary}, nil},
		{cmdletEntry{name: "Get-WBPolicy", switches: []string{"Editable"}, run: cmdletWBPolicy}, nil},
		{cmdletEntry{name: "Get-WBBareMetalRecovery", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBBareMetal}, nil},
		{cmdletEntry{name: "Get-WBBackupTarget", named: []string{"Policy"}, positional: []string{"Policy"}, run: cmdletWBTarget}, nil},
		{cmdletEntry{name: "Get-WBVolume", named: []string{"Policy", "VolumePath", "Disk"}, switches: []string{"AllVolumes", "CriticalVolumes"}, positional: []string{"Policy"}, run: cmdletWBVolume}, nil},
		{cmdletEntry{name: "Get-WBJob", named: []string{"Previous"}, run: cmdletWBJob}, nil},
		{cmdletEntry{name: "Start-WBBackup", named: []string{"Policy"}, switches: []string{"Force", "Async"}, positional: []string{"Policy"}, run: cmdletStartWBBackup}, nil},

		{cmdletEntry{name: "Get-Service", named: []string{"Name", "DisplayName", "ComputerName", "Include", "Exclude", "InputObject"}, switches: []string{"DependentServices", "RequiredServices"}, positional: []string{"Name"}, run: cmdletGetService}, []string{"gsv"}},
		{cmdletEntry{name: "Restart-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, nil},
		{cmdletEntry{name: "Stop-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"Force", "PassThru", "NoWait"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"spsv"}},
		{cmdletEntry{name: "Start-Service", named: []string{"Name", "DisplayName", "InputObject", "Include", "Exclude"}, switches: []string{"PassThru"}, positional: []string{"Name"}, run: cmdletServiceAction}, []string{"sasv"}},

		{cmdletEntry{name: "Get-Volume", named: []string{"DriveLetter", "FileSystemLabel", "Path", "UniqueId", "ObjectId", "Partition"}, positional: []string{"DriveLetter"}, run: cmdletGetVolume}, nil},
		{cmdletEntry{name: "Get-Partition", named: []string{"DiskNumber", "PartitionNumber", "DriveLetter", "DiskId", "Offset", "Volume", "InputObject"}, positional: []string{"DiskNumber", "PartitionNumber"}, run: cmdletGetPartition}, nil},
		{cmdletEntry{name: "Get-Disk", named: []string{"Number", "UniqueId", "FriendlyName", "SerialNumber", "Path", "Partition"}, positional: []string{"Number"}, run: cmdletGetDisk}, nil},
		{cmdletEntry{name: "Get-PSDrive", named: []string{"Name", "PSProvider", "Scope"}, positional: []string{"Name"}, run: cmdletGetPSDrive}, []string{"gdr"}},

		{cmdletEntry{name: "Get-MpPreference", run: cmdletMpPreference}, nil},
		{cmdletEntry{name: "Get-MpComputerStatus", run: cmdletMpStatus}, nil},

		{cmdletEntry{name: "Test-NetConnection", named: []string{"ComputerName", "Port", "CommonTCPPort", "InformationLevel"}, switches: []string{"TraceRoute", "DiagnoseRouting"}, positional: []string{"ComputerName"}, run: cmdletTestNetConnection}, []string{"tnc"}},
		{cmdletEntry{name: "Get-SmbConnection", named: []string{"ServerName", "ShareName"}, positional: []string{"ServerName", "ShareName"}, run: cmdletSmbConnection}, nil},

		{cmdletEntry{name: "Get-WinEvent", named: []string{"LogName", "MaxEvents", "FilterHashtable", "ProviderName", "FilterXPath", "ComputerName"}, switches: []string{"Oldest", "Force"}, positional: []string{"LogName"}, run: cmdletGetWinEvent}, nil},
		{cmdletEntry{name: "Get-CimInstance", named: []string{"ClassName", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"ClassName"}, run: cmdletCim}, []string{"gcim"}},
		{cmdletEntry{name: "Get-WmiObject", named: []string{"Class", "Filter", "Namespace", "Query", "Property", "ComputerName"}, positional: []string{"Class"}, run: cmdletCim}, []string{"gwmi"}},
	}
	m := make(map[string]*cmdletEntry, len(entries)*2)
	for i := range entries {
		e := &entries[i].e
		m[strings.ToLower(e.name)] = e
		for _, a := range entries[i].aliases {
			m[a] = e
		}
	}
	return m
}

// fqClass is the .NET command class in FullyQualifiedErrorIds.
func fqClass(c *psCall) string {
	return "Microsoft.PowerShell.Commands." + strings.ReplaceAll(c.entry.name, "-", "") + "Command"
}

// items is the cmdlet's input: -InputObject or the pipeline.
func (c *psCall) items(param string) []any {
	if c.has(param) {
		return enumerate(c.val(param))
	}
	return c.input
}

func cmdletNoop(*psRun, *psCall) ([]any, error) { return nil, nil }

func cmdletWriteOutput(_ *psRun, c *psCall) ([]any, error) {
	if c.has("InputObject") {
		if c.flag("NoEnumerate") {
			return []any{c.val("InputObject")}, nil
		}
		return enumerate(c.val("InputObject")), nil
	}
	return c.input, nil
}

func cmdletWriteHost(r *psRun, c *psCall) ([]any, error) {
	sep := " "
	if s, ok := c.str("Separator"); ok {
		sep = s
	}
	var parts []string
	for _, v := range c.items("Object") {
		parts = append(parts, invariantString(v))
	}
	text := strings.Join(parts, sep)
	if !c.flag("NoNewline") {
		text += "\r\n"
	}
	r.write(text)
	return nil, nil
}

func cmdletWriteError(r *psRun, c *psCall) ([]any, error) {
	msg := invariantString(unwrap(c.items("Message")))
	text := ""
	if c.src != nil && c.el != nil {
		text = c.src.text[c.el.start:c.el.end]
	}
	id := "Microsoft.PowerShell.Commands.WriteErrorException"
	if s, ok := c.str("ErrorId"); ok {
		id = s + "," + id
	}
	cat := "NotSpecified"
	if s, ok := c.str("Category"); ok {
		cat = s
	}
	return nil, r.nonTerminating(c, &errRecord{msg: msg, cmd: text, category: cat, activity: "Write-Error", exception: "WriteErrorException", fqid: id, noPos: true})
}

func cmdletWriteWarning(r *psRun, c *psCall) ([]any, error) {
	r.addWarning(invariantString(unwrap(c.items("Message"))))
	return nil, nil
}

func cmdletOutNull(*psRun, *psCall) ([]any, error) { return nil, nil }

func cmdletOutString(r *psRun, c *psCall) ([]any, error) {
	text := r.t.outDefault(c.items("InputObject"))
	if c.flag("Stream") {
		var out []any
		for _, l := range strings.Split(strings.TrimRight(text, "\r\n"), "\r\n") {
			out = append(out, l)
		}
		return out, nil
	}
	return []any{text}, nil
}

func cmdletOutDefault(r *psRun, c *psCall) ([]any, error) {
	r.write(r.t.outDefault(c.items("InputObject")))
	return nil, nil
}

// splitFormattable separates objects from scalars for Format-*.
func formatWith(r *psRun, c *psCall, list bool) ([]any, error) {
	var props []string
	for _, v := range enumerate(c.val("Property")) {
		props = append(props, invariantString(v))
	}
	var b strings.Builder
	var objs []*psObj
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
	for _, it := range c.items("InputObject") {
		if o, ok := it.(*psObj); ok {
			if len(objs) > 0 && objs[0].typeName != o.typeName && !list {
				flush()
			}
			objs = append(objs, o)
			continue
		}
		flush()
		b.WriteString(r.t.outDefault([]any{it}))
	}
	flush()
	return []any{&psFormatted{text: b.String()}}, nil
}

func cmdletFormatList(r *psRun, c *psCall) ([]any, error)  { return formatWith(r, c, true) }
func cmdletFormatTable(r *psRun, c *psCall) ([]any, error) { return formatWith(r, c, false) }

func cmdletToJSON(_ *psRun, c *psCall) ([]any, error) {
	items := c.items("InputObject")
	if len(items) == 0 && !c.has("InputObject") {
		return nil, nil
	}
	var v any = items
	if len(items) == 1 && !c.has("InputObject") {
		v = items[0]
	}
	if c.has("InputObject") {
		v = c.val("InputObject")
	}
	depth := int64(2)
	if d, ok := c.num("Depth"); ok {
		depth = d
	}
	s := jsonOf(v, 0, int(depth))
	if !c.flag("Compress") {
		s = prettyJSON(s)
	}
	return []any{s}, nil
}

func cmdletFromJSON(r *psRun, c *psCall) ([]any, error) {
	var parts []string
	for _, it := range c.items("InputObject") {
		parts = append(parts, invariantString(it))
	}
	text := strings.Join(parts, "\n")
	v, err := decodeJSONOrdered(text)
	if err != nil {
		return nil, r.nonTerminating(c, &errRecord{
			msg: "Invalid JSON primitive: " + strings.TrimSpace(firstLine(text)) + ".", category: "NotSpecified",
			exception: "ArgumentException", fqid: "System.ArgumentException,Microsoft.PowerShell.Commands.ConvertFromJsonCommand",
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
			o := &psObj{typeName: "System.Management.Automation.PSCustomObject", custom: true}
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
				o.props = append(o.props, p(k, v))
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

func cmdletSelect(r *psRun, c *psCall) ([]any, error) {
	items := c.items("InputObject")
	if n, ok := c.num("Skip"); ok {
		if int(n) < len(items) {
			items = items[n:]
		} else {
			items = nil
		}
	}
	if n, ok := c.num("First"); ok && int(n) < len(items) {
		items = items[:n]
	}
	if n, ok := c.num("Last"); ok && int(n) < len(items) {
		items = items[len(items)-int(n):]
	}
	if c.flag("Unique") {
		var u []any
		for _, it := range items {
			if !slices.ContainsFunc(u, func(x any) bool { return looseEqual(x, it) }) {
				u = append(u, it)
			}
		}
		items = u
	}
	if ep, ok := c.str("ExpandProperty"); ok {
		var out []any
		for _, it := range items {
			v := r.member(it, ep)
			if v == nil {
				if o, isObj := it.(*psObj); isObj {
					if _, has := o.get(ep); !has {
						return out, r.nonTerminating(c, &errRecord{
							msg: fmt.Sprintf("Property \"%s\" cannot be found.", ep), category: "InvalidArgument",
							target: o.toString(), targetType: "PSObject", exception: "PSArgumentException",
							fqid: "ExpandPropertyNotFound," + fqClass(c),
						})
					}
				}
			}
			out = append(out, enumerate(v)...)
		}
		return out, nil
	}
	props := enumerate(c.val("Property"))
	if len(props) == 0 {
		return items, nil
	}
	var out []any
	for _, it := range items {
		src, _ := it.(*psObj)
		tn := "System.Object"
		if src != nil {
			tn = src.typeName
		}
		o := &psObj{typeName: "Selected." + tn, custom: true}
		for _, pv := range props {
			switch x := pv.(type) {
			case *psHash:
				name := ""
				for _, k := range []string{"Name", "N", "Label", "L"} {
					if v, ok := x.get(k); ok {
						name = invariantString(v)
					}
				}
				var val any
				for _, k := range []string{"Expression", "E"} {
					if v, ok := x.get(k); ok {
						switch ex := v.(type) {
						case *psBlock:
							r.curItem = append(r.curItem, it)
							res, err := r.execCollect(ex.stmts, ex.src)
							r.curItem = r.curItem[:len(r.curItem)-1]
							if err != nil {
								return out, err
							}
							val = unwrap(res)
						default:
							val = r.member(it, invariantString(ex))
						}
					}
				}
				o.props = append(o.props, p(name, val))
			default:
				name := invariantString(x)
				if strings.ContainsAny(name, "*?") && src != nil {
					for _, pr := range src.props {
						if wildcardMatch(name, pr.name) {
							o.props = append(o.props, pr)
						}
					}
					continue
				}
				if src != nil {
					if pn, ok := src.propName(name); ok {
						name = pn
					}
				}
				o.props = append(o.props, p(name, r.member(it, name)))
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// whereOps maps Where-Object's operator switches to comparison operators.
func whereOp(c *psCall) (string, bool) {
	for _, op := range []string{"EQ", "NE", "GT", "GE", "LT", "LE", "Like", "NotLike", "Match", "NotMatch", "Contains", "NotContains", "In", "NotIn"} {
		if c.flag(op) {
			return strings.ToLower(op), true
		}
	}
	return "", false
}

func cmdletWhere(r *psRun, c *psCall) ([]any, error) {
	var out []any
	fs := c.val("FilterScript")
	block, isBlock := fs.(*psBlock)
	prop, _ := c.str("Property")
	if !isBlock && fs != nil {
		prop = invariantString(fs)
	}
	for _, it := range c.items("InputObject") {
		keep := false
		if isBlock {
			r.curItem = append(r.curItem, it)
			res, err := r.execCollect(block.stmts, block.src)
			r.curItem = r.curItem[:len(r.curItem)-1]
			var re *psReturnErr
			if err != nil && !errors.As(err, &re) {
				return out, err
			}
			keep = truthy(unwrap(res))
		} else {
			v := r.member(it, prop)
			if op, ok := whereOp(c); ok {
				m, err := compareOp(op, v, c.val("Value"))
				if err != nil {
					return out, err
				}
				keep = truthy(m)
			} else {
				keep = truthy(v)
				if c.flag("Not") {
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

func cmdletForEach(r *psRun, c *psCall) ([]any, error) {
	var out []any
	pv := c.val("Process")
	if mn, ok := c.str("MemberName"); ok {
		pv = mn
	}
	for _, it := range c.items("InputObject") {
		switch x := pv.(type) {
		case *psBlock:
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
			out = append(out, enumerate(r.member(it, invariantString(x)))...)
		}
	}
	return out, nil
}

func cmdletSort(r *psRun, c *psCall) ([]any, error) {
	items := slices.Clone(c.items("InputObject"))
	props := c.strs("Property")
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
	desc := c.flag("Descending")
	slices.SortStableFunc(items, func(a, b any) int {
		ka, kb := key(a), key(b)
		for i := range ka {
			if c := looseCompare(ka[i], kb[i]); c != 0 {
				if desc {
					return -c
				}
				return c
			}
		}
		return 0
	})
	if c.flag("Unique") {
		items = slices.CompactFunc(items, looseEqual)
	}
	return items, nil
}

func cmdletMeasure(r *psRun, c *psCall) ([]any, error) {
	items := c.items("InputObject")
	prop, hasProp := c.str("Property")
	var sum, mx, mn float64
	for i, it := range items {
		v := it
		if hasProp {
			v = r.member(it, prop)
		}
		f, _ := toNumber(v)
		sum += f
		if i == 0 || f > mx {
			mx = f
		}
		if i == 0 || f < mn {
			mn = f
		}
	}
	var avg, s, maxV, minV any
	if c.flag("Sum") {
		s = numberResult(sum, false)
	}
	if c.flag("Average") && len(items) > 0 {
		avg = sum / float64(len(items))
	}
	if c.flag("Maximum") {
		maxV = numberResult(mx, false)
	}
	if c.flag("Minimum") {
		minV = numberResult(mn, false)
	}
	o := newObj("Microsoft.PowerShell.Commands.GenericMeasureInfo",
		p("Count", int64(len(items))), p("Average", avg), p("Sum", s), p("Maximum", maxV), p("Minimum", minV), p("Property", prop))
	o.view = viewList
	return []any{o}, nil
}

func cmdletGetDate(r *psRun, c *psCall) ([]any, error) {
	now := r.h.now()
	if d, ok := c.val("Date").(time.Time); ok {
		now = d
	}
	if f, ok := c.str("Format"); ok {
		return []any{dotnetDateFormat(now, f)}, nil
	}
	if f, ok := c.str("UFormat"); ok {
		if f == "%s" {
			return []any{strconv.FormatInt(now.Unix(), 10)}, nil
		}
		return []any{now.Format(time.RFC3339)}, nil
	}
	return []any{now}, nil
}

func cmdletSleep(r *psRun, c *psCall) ([]any, error) {
	var d time.Duration
	if s, ok := c.num("Seconds"); ok {
		d = time.Duration(s) * time.Second
	}
	if ms, ok := c.num("Milliseconds"); ok {
		d += time.Duration(ms) * time.Millisecond
	}
	if !sleepCtx(r.env.ctx, d) {
		return nil, &psExitErr{code: 1}
	}
	return nil, nil
}

// cmdletModule is the module a lab cmdlet belongs to.
func cmdletModule(name string) string {
	switch {
	case strings.Contains(name, "-WB"):
		return "WindowsServerBackup"
	case strings.Contains(name, "-Mp"):
		return "Defender"
	case strings.HasSuffix(name, "Volume"), strings.Contains(name, "Partition"), strings.HasSuffix(name, "Disk"):
		return "Storage"
	case name == "Test-NetConnection":
		return "NetTCPIP"
	case name == "Get-SmbConnection":
		return "SmbShare"
	case strings.Contains(name, "Cim"):
		return "CimCmdlets"
	case strings.Contains(name, "-Json"), strings.Contains(name, "-Object"), strings.HasPrefix(name, "Write-"), strings.HasPrefix(name, "Out-"), strings.HasPrefix(name, "Format-"), name == "Get-Date", name == "Start-Sleep":
		return "Microsoft.PowerShell.Utility"
	}
	return "Microsoft.PowerShell.Management"
}

func cmdletGetCommand(r *psRun, c *psCall) ([]any, error) {
	var out []any
	for _, n := range c.strs("Name") {
		if e, ok := r.h.cmdlets[strings.ToLower(n)]; ok {
			o := newObj("System.Management.Automation.CmdletInfo", p("CommandType", enum("Cmdlet", 8)), p("Name", e.name), p("Version", "1.0.0.0"), p("Source", cmdletModule(e.name)))
			o.str, o.view = e.name, viewTable
			out = append(out, o)
			continue
		}
		if prog, ok := nativeProgram(strings.ToLower(n)); ok {
			o := newObj("System.Management.Automation.ApplicationInfo", p("CommandType", enum("Application", 32)), p("Name", prog+".exe"), p("Version", r.h.build), p("Source", `C:\Windows\system32\`+prog+".exe"))
			o.str, o.view = prog+".exe", viewTable
			out = append(out, o)
			continue
		}
		if err := r.nonTerminating(c, &errRecord{
			msg: fmt.Sprintf(r.t.psNotRecognized, n), category: "ObjectNotFound", target: n, targetType: "String",
			exception: "CommandNotFoundException", fqid: "CommandNotFoundException," + fqClass(c),
		}); err != nil {
			return out, err
		}
	}
	return out, nil
}

func cmdletImportModule(r *psRun, c *psCall) ([]any, error) {
	for _, n := range c.strs("Name") {
		switch strings.ToLower(n) {
		case "windowsserverbackup", "storage", "defender", "smbshare", "nettcpip", "cimcmdlets",
			"microsoft.powershell.management", "microsoft.powershell.utility", "microsoft.powershell.diagnostics":
			continue
		}
		if err := r.nonTerminating(c, &errRecord{
			msg: fmt.Sprintf(r.t.psModuleNotFound, n), category: "ResourceUnavailable", target: n, targetType: "String",
			exception: "FileNotFoundException", fqid: "Modules_ModuleNotFound,Microsoft.PowerShell.Commands.ImportModuleCommand",
		}); err != nil {
			return nil, err
		}
	}
	return nil, nil
}
