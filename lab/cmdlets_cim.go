package lab

import (
	"fmt"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// wqlCond is one `Prop op value` condition of a WQL filter.
type wqlCond struct {
	prop, op string
	val      any
}

// parseWQL parses `A = 'x' AND B LIKE 'y%'` (and a full SELECT query).
func parseWQL(filter string) (class string, conds []wqlCond, ok bool) {
	f := strings.TrimSpace(filter)
	if lf := strings.ToLower(f); strings.HasPrefix(lf, "select ") {
		i := strings.Index(lf, " from ")
		if i < 0 {
			return "", nil, false
		}
		rest := strings.TrimSpace(f[i+6:])
		class, rest, _ = strings.Cut(rest, " ")
		rest = strings.TrimSpace(rest)
		if strings.HasPrefix(strings.ToLower(rest), "where ") {
			f = rest[6:]
		} else {
			f = ""
		}
	}
	if strings.TrimSpace(f) == "" {
		return class, nil, true
	}
	for _, part := range splitFold(f, " and ") {
		part = strings.TrimSpace(part)
		var c wqlCond
		found := false
		for _, op := range []string{"<>", "!=", ">=", "<=", "=", ">", "<", " like "} {
			if i := strings.Index(strings.ToLower(part), op); i > 0 {
				c.prop = strings.TrimSpace(part[:i])
				c.op = strings.TrimSpace(op)
				raw := strings.TrimSpace(part[i+len(op):])
				switch {
				case len(raw) >= 2 && (raw[0] == '\'' || raw[0] == '"'):
					c.val = strings.ReplaceAll(raw[1:len(raw)-1], `\\`, `\`)
				case strings.EqualFold(raw, "true"), strings.EqualFold(raw, "false"):
					c.val = strings.EqualFold(raw, "true")
				default:
					n, ok := ps.ParseNumber(raw)
					if !ok {
						return "", nil, false
					}
					c.val = n
				}
				found = true
				break
			}
		}
		if !found {
			return "", nil, false
		}
		conds = append(conds, c)
	}
	return class, conds, true
}

func splitFold(s, sep string) []string {
	var out []string
	for {
		i := strings.Index(strings.ToLower(s), sep)
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+len(sep):]
	}
}

func (cd wqlCond) match(o *ps.Object) bool {
	v, _ := o.Get(cd.prop)
	switch cd.op {
	case "=":
		return v != nil && ps.Equal(v, cd.val)
	case "<>", "!=":
		return !ps.Equal(v, cd.val)
	case "like":
		pat := strings.NewReplacer("%", "*", "_", "?").Replace(ps.String(cd.val))
		return ps.Like(pat, ps.String(v))
	case ">":
		return ps.Compare(v, cd.val) > 0
	case "<":
		return ps.Compare(v, cd.val) < 0
	case ">=":
		return ps.Compare(v, cd.val) >= 0
	case "<=":
		return ps.Compare(v, cd.val) <= 0
	}
	return false
}

func cmdletCim(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	class, _ := c.Str("ClassName")
	if cl, ok := c.Str("Class"); ok {
		class = cl
	}
	var conds []wqlCond
	if q, ok := c.Str("Query"); ok {
		qc, qconds, ok := parseWQL(q)
		if !ok {
			return nil, c.Error(&ps.ErrorRecord{Message: "Invalid query ", Category: "InvalidArgument", Exception: "CimException", FQID: "HRESULT 0x80041017," + cimClass(c)})
		}
		class, conds = qc, qconds
	}
	if f, ok := c.Str("Filter"); ok {
		_, fc, ok := parseWQL(f)
		if !ok {
			return nil, c.Error(&ps.ErrorRecord{Message: "Invalid query ", Category: "InvalidArgument", Exception: "CimException", FQID: "HRESULT 0x80041017," + cimClass(c)})
		}
		conds = append(conds, fc...)
	}
	h.mu.Lock()
	objs, ok := h.cimObjectsLocked(class, e.userName())
	h.mu.Unlock()
	if !ok {
		return nil, c.Error(&ps.ErrorRecord{Message: e.h.t.psInvalidClass, Category: "MetadataError", Target: "root\\cimv2:" + class, TargetType: "String", Exception: "CimException", FQID: "HRESULT 0x80041010," + cimClass(c)})
	}
	var out []any
	for _, o := range objs {
		keep := true
		for _, cd := range conds {
			if !cd.match(o) {
				keep = false
			}
		}
		if keep {
			out = append(out, o)
		}
	}
	return out, nil
}

func cimClass(c *ps.Call) string {
	if c.Cmd.Name == "Get-WmiObject" {
		return "Microsoft.PowerShell.Commands.GetWmiObjectCommand"
	}
	return "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
}

func (h *Host) cimObjectsLocked(class, user string) ([]*ps.Object, bool) {
	t := h.t
	var out []*ps.Object
	switch strings.ToLower(class) {
	case "win32_volume":
		for _, v := range h.visibleVolumes() {
			out = append(out, h.win32VolumeLocked(v))
		}
	case "win32_logicaldisk":
		for _, v := range h.visibleVolumes() {
			if v.letter == 0 {
				continue
			}
			o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_LogicalDisk",
				ps.P("DeviceID", string(v.letter)+":"), ps.P("DriveType", uint32(3)), ps.P("ProviderName", nil),
				ps.P("FreeSpace", uint64(v.free())), ps.P("Size", uint64(v.size)), ps.P("VolumeName", v.label), ps.P("FileSystem", v.fs))
			o.View = ps.ViewTable
			o.Cols = []ps.Column{strCol("DeviceID", "DeviceID", t), strCol("DriveType", "DriveType", t), strCol("ProviderName", "ProviderName", t), strCol("VolumeName", "VolumeName", t), {Header: "Size", Right: true, Value: func(o *ps.Object) string { x, _ := o.Get("Size"); return ps.String(x) }}, {Header: "FreeSpace", Right: true, Value: func(o *ps.Object) string { x, _ := o.Get("FreeSpace"); return ps.String(x) }}}
			out = append(out, o)
		}
	case "win32_operatingsystem":
		lang := uint32(1033)
		if h.lang == LangJapanese {
			lang = 1041
		}
		o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem",
			ps.P("Caption", "Microsoft Windows Server 2019 Standard"), ps.P("Version", "10.0.17763"), ps.P("BuildNumber", "17763"),
			ps.P("OSLanguage", lang), ps.P("CSName", strings.ToUpper(h.name)), ps.P("LastBootUpTime", h.created.Add(-9*24*time.Hour)),
			ps.P("LocalDateTime", h.now()), ps.P("SystemDirectory", `C:\Windows\system32`), ps.P("Organization", ""),
			ps.P("RegisteredUser", "Windows User"), ps.P("SerialNumber", "00429-70000-00000-AA000"))
		o.View = ps.ViewTable
		o.Cols = []ps.Column{strCol("SystemDirectory", "SystemDirectory", t), strCol("Organization", "Organization", t), strCol("BuildNumber", "BuildNumber", t), strCol("RegisteredUser", "RegisteredUser", t), strCol("SerialNumber", "SerialNumber", t), strCol("Version", "Version", t)}
		out = append(out, o)
	case "win32_computersystem":
		o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem",
			ps.P("Name", strings.ToUpper(h.name)), ps.P("PrimaryOwnerName", "Windows User"), ps.P("Domain", h.domain),
			ps.P("TotalPhysicalMemory", uint64(16*gib)), ps.P("Model", "Virtual Machine"), ps.P("Manufacturer", "Microsoft Corporation"), ps.P("PartOfDomain", true))
		o.View = ps.ViewTable
		o.Cols = []ps.Column{strCol("Name", "Name", t), strCol("PrimaryOwnerName", "PrimaryOwnerName", t), strCol("Domain", "Domain", t), strCol("TotalPhysicalMemory", "TotalPhysicalMemory", t), strCol("Model", "Model", t), strCol("Manufacturer", "Manufacturer", t)}
		out = append(out, o)
	case "win32_shadowcopy":
		for _, s := range h.shadows {
			o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ShadowCopy",
				ps.P("ID", braced(s.id)), ps.P("SetID", braced(s.setID)), ps.P("VolumeName", volumeName(s.vol)), ps.P("InstallDate", s.created),
				ps.P("DeviceObject", fmt.Sprintf(`\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy%d`, s.index)),
				ps.P("ClientAccessible", false), ps.P("Persistent", true), ps.P("ProviderID", "{b5946137-7b9f-4925-af80-51abd60b20d5}"))
			o.View = ps.ViewList
			out = append(out, o)
		}
	case "win32_service":
		for _, s := range h.services {
			state, mode := "Stopped", "Manual"
			if s.running {
				state = "Running"
			}
			if s.startType == "Automatic" {
				mode = "Auto"
			}
			o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Service",
				ps.P("ExitCode", uint32(0)), ps.P("Name", s.name), ps.P("ProcessId", uint32(0)), ps.P("StartMode", mode), ps.P("State", state), ps.P("Status", "OK"), ps.P("DisplayName", s.display))
			o.View = ps.ViewTable
			o.Cols = []ps.Column{strCol("ExitCode", "ExitCode", t), strCol("Name", "Name", t), strCol("ProcessId", "ProcessId", t), strCol("StartMode", "StartMode", t), strCol("State", "State", t), strCol("Status", "Status", t)}
			out = append(out, o)
		}
	default:
		return nil, false
	}
	_ = user
	return out, true
}
