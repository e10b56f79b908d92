package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// --- file system ---

// pathInfo is what the lab knows about a file system path.
type pathInfo struct {
	unc       bool
	share     *share
	reachable bool
	drive     byte
	driveOK   bool
	key       string // normalized, lower case
	root      bool
	display   string
}

func normPath(p string) string {
	p = strings.ReplaceAll(strings.TrimSpace(p), "/", `\`)
	if len(p) > 3 || strings.HasPrefix(p, `\\`) {
		p = strings.TrimRight(p, `\`)
	}
	return p
}

func (h *Host) pathInfoLocked(path string) pathInfo {
	pi := pathInfo{display: path}
	n := normPath(path)
	pi.key = strings.ToLower(n)
	if server, name, ok := splitUNC(n); ok {
		pi.unc = true
		pi.share = h.shareByPath(n)
		known := strings.EqualFold(server, h.nas.name) || strings.EqualFold(server, h.nas.fqdn) || server == h.nas.ip
		pi.reachable = known && h.nas.reachable
		pi.root = strings.EqualFold(n, `\\`+server+`\`+name)
		return pi
	}
	if l, ok := driveLetterOf(n[:min(2, len(n))]); ok && len(n) >= 2 && n[1] == ':' {
		pi.drive = l
		pi.driveOK = h.volumeByLetter(l) != nil
		pi.root = len(n) <= 3
	}
	return pi
}

// existsLocked reports whether Test-Path would find the path.
func (h *Host) existsLocked(pi pathInfo) bool {
	if _, ok := h.files[pi.key]; ok {
		return (pi.unc && pi.reachable && pi.share != nil && pi.share.writable) || (!pi.unc && pi.driveOK)
	}
	switch {
	case pi.unc:
		if !pi.reachable || pi.share == nil || !pi.share.writable {
			return false
		}
		if pi.root {
			return true
		}
		if strings.HasSuffix(pi.key, `\windowsimagebackup`) {
			return slices.ContainsFunc(h.versions, func(v version) bool { return v.network })
		}
		return false
	case pi.drive != 0:
		if !pi.driveOK {
			return false
		}
		if pi.root {
			return true
		}
		rest := strings.TrimPrefix(pi.key[2:], `\`)
		switch rest {
		case "windows", `windows\system32`, "program files", "programdata", "users", `windows\logs\windowsserverbackup`:
			return pi.drive == 'C'
		case "windowsimagebackup":
			v := h.volumeByLetter(pi.drive)
			return v != nil && v.role == RoleBackupTarget
		}
	}
	return false
}

func cmdletTestPath(e *execEnv, c *ps.Call) ([]any, error) {
	paths := c.Strs("Path")
	if lp := c.Strs("LiteralPath"); len(lp) > 0 {
		paths = lp
	}
	if len(paths) == 0 {
		for _, it := range c.Input {
			paths = append(paths, ps.String(it))
		}
	}
	var out []any
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range paths {
		if c.Flag("IsValid") {
			out = append(out, true)
			continue
		}
		out = append(out, h.existsLocked(h.pathInfoLocked(p)))
	}
	return out, nil
}

// writeCheckLocked returns the error record writing to path gives, or nil.
func (e *execEnv) writeCheckLocked(c *ps.Call, path string) *ps.ErrorRecord {
	h := e.h
	pi := h.pathInfoLocked(path)
	switch {
	case pi.unc && (!pi.reachable || pi.share == nil):
		return &ps.ErrorRecord{Message: e.h.t.psNetworkPath, Category: "NotSpecified", Exception: "IOException", FQID: "System.IO.IOException," + c.CommandClass()}
	case pi.unc && !pi.share.writable:
		return &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psAccessDenied, path), Category: "PermissionDenied", Target: path, TargetType: "String", Exception: "UnauthorizedAccessException", FQID: "System.UnauthorizedAccessException," + c.CommandClass()}
	case !pi.unc && pi.drive == 0:
		return nil
	case !pi.unc && !pi.driveOK:
		d := string(pi.drive)
		return &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psDriveNotFound, d), Category: "ObjectNotFound", Target: d, TargetType: "String", Exception: "DriveNotFoundException", FQID: "DriveNotFound," + c.CommandClass()}
	}
	return nil
}

func cmdletSetContent(e *execEnv, c *ps.Call) ([]any, error) {
	path, ok := c.Str("Path")
	if lp, has := c.Str("LiteralPath"); has {
		path, ok = lp, true
	}
	if !ok {
		return nil, c.Error(&ps.ErrorRecord{Message: "Cannot bind argument to parameter 'Path' because it is null.", Category: "InvalidData", Exception: "ParameterBindingValidationException", FQID: "ParameterArgumentValidationErrorNullNotAllowed," + c.CommandClass()})
	}
	vals := c.Items("Value")
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(ps.String(v))
		if !c.Flag("NoNewline") {
			b.WriteString("\r\n")
		}
	}
	h := e.h
	h.mu.Lock()
	rec := e.writeCheckLocked(c, path)
	if rec == nil {
		key := strings.ToLower(normPath(path))
		if c.Cmd.Name == "Add-Content" {
			h.files[key] += b.String()
		} else {
			h.files[key] = b.String()
		}
	}
	h.mu.Unlock()
	if rec != nil {
		return nil, c.Error(rec)
	}
	return nil, nil
}

func cmdletGetContent(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	var out []any
	for _, path := range append(c.Strs("Path"), c.Strs("LiteralPath")...) {
		h.mu.Lock()
		pi := h.pathInfoLocked(path)
		content, ok := h.files[pi.key]
		ok = ok && h.existsLocked(pi)
		h.mu.Unlock()
		if !ok {
			if err := c.Error(&ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psPathNotFound, path), Category: "ObjectNotFound", Target: path, TargetType: "String", Exception: "ItemNotFoundException", FQID: "PathNotFound," + c.CommandClass()}); err != nil {
				return out, err
			}
			continue
		}
		if c.Flag("Raw") {
			out = append(out, content)
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(strings.ReplaceAll(content, "\r\n", "\n"), "\n"), "\n") {
			out = append(out, l)
		}
	}
	return out, nil
}

func cmdletRemoveItem(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	for _, path := range append(c.Strs("Path"), c.Strs("LiteralPath")...) {
		h.mu.Lock()
		pi := h.pathInfoLocked(path)
		rec := e.writeCheckLocked(c, path)
		if rec == nil {
			if _, ok := h.files[pi.key]; ok {
				delete(h.files, pi.key)
			} else {
				rec = &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psPathNotFound, path), Category: "ObjectNotFound", Target: path, TargetType: "String", Exception: "ItemNotFoundException", FQID: "PathNotFound," + c.CommandClass()}
			}
		}
		h.mu.Unlock()
		if rec != nil {
			if err := c.Error(rec); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// lockedCmdlet makes a cmdlet that returns the one object build makes
// under the host's lock (Get-WBSummary, Get-MpPreference, ...).
func lockedCmdlet[T any](build func(*Host) T) func(*execEnv, *ps.Call) ([]any, error) {
	return func(e *execEnv, _ *ps.Call) ([]any, error) {
		e.h.mu.Lock()
		defer e.h.mu.Unlock()
		return []any{build(e.h)}, nil
	}
}

// --- Windows Server Backup ---

var cmdletWBSummary = lockedCmdlet((*Host).wbSummaryLocked)

var cmdletWBPolicy = lockedCmdlet((*Host).wbPolicyLocked)

// cmdletWBBareMetal reads BMR from -Policy or the host's policy.
func cmdletWBBareMetal(e *execEnv, c *ps.Call) ([]any, error) {
	if o, ok := c.Value("Policy").(*ps.Object); ok {
		v, _ := o.Get("BMR")
		return []any{ps.Truthy(v)}, nil
	}
	e.h.mu.Lock()
	defer e.h.mu.Unlock()
	return []any{e.h.policy.bmr}, nil
}

func cmdletWBTarget(e *execEnv, _ *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []any
	for _, tg := range h.policy.targets {
		if o := h.wbTargetLocked(tg); o != nil {
			out = append(out, o)
		}
	}
	return out, nil
}

func cmdletWBVolume(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	var vols []*volume
	switch {
	case c.Flag("AllVolumes"):
		vols = h.visibleVolumes()
	case c.Flag("CriticalVolumes"):
		vols = []*volume{h.findVolume(RoleSystemReserved), h.findVolume(RoleSystem)}
	case c.Has("VolumePath"):
		for _, vp := range c.Strs("VolumePath") {
			if v := h.findVolume(vp); v != nil {
				vols = append(vols, v)
			}
		}
	default:
		vols = h.sourceVolumes()
	}
	var out []any
	for _, v := range vols {
		out = append(out, h.wbVolumeLocked(v))
	}
	return out, nil
}

func cmdletWBJob(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if n, ok := c.Num("Previous"); ok {
		var out []any
		for i := len(h.history) - 1; i >= 0 && len(out) < int(n); i-- {
			out = append(out, h.wbJobLocked(nil, &h.history[i]))
		}
		return out, nil
	}
	return []any{h.wbJobLocked(h.job, nil)}, nil
}

func cmdletStartWBBackup(e *execEnv, c *ps.Call) ([]any, error) {
	h, t := e.h, e.h.t
	h.mu.Lock()
	j, err := h.startJobLocked()
	h.mu.Unlock()
	if err != nil {
		return nil, c.Error(&ps.ErrorRecord{Message: t.psJobRunning, Category: "InvalidOperation", Exception: "InvalidOperationException", FQID: "System.InvalidOperationException,Microsoft.Windows.ServerBackup.Commands.StartWBBackup"})
	}
	c.Write(t.progRetrieving + "\r\n" + fmt.Sprintf(t.progStarting, strings.Join(j.volumes, ", "), j.target, j.target) + "\r\n")
	env := &execEnv{ctx: e.ctx, h: h, user: e.user, stdout: e.stdout, stderr: e.stderr}
	if code := env.followJob(j); code != 0 {
		h.mu.Lock()
		res := j.result
		finished := j.finished
		h.mu.Unlock()
		if !finished {
			return nil, &ps.ExitError{Code: 1}
		}
		return nil, c.Error(&ps.ErrorRecord{Message: t.hrMessage(detOr(res.detailedHR, res.hr)), Category: "NotSpecified", Exception: "COMException", FQID: fmt.Sprintf("0x%08X,Microsoft.Windows.ServerBackup.Commands.StartWBBackup", res.hr)})
	}
	return nil, nil
}

// --- services ---

// serviceTargetsLocked resolves -Name / -DisplayName / piped services,
// reporting names that match nothing.
func (e *execEnv) serviceTargetsLocked(c *ps.Call, all bool) ([]*service, []*ps.ErrorRecord) {
	h := e.h
	var out []*service
	var errs []*ps.ErrorRecord
	add := func(s *service) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	names := c.Strs("Name")
	for _, it := range c.Items("InputObject") {
		switch x := it.(type) {
		case *ps.Object:
			if v, ok := x.Get("Name"); ok {
				names = append(names, ps.String(v))
			}
		case string:
			names = append(names, x)
		}
	}
	for _, n := range names {
		found := false
		for _, s := range h.services {
			if ps.Like(n, s.name) {
				add(s)
				found = true
			}
		}
		if !found && !strings.ContainsAny(n, "*?") {
			errs = append(errs, &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psServiceNotFound, n), Category: "ObjectNotFound", Target: n, TargetType: "String", Exception: "ServiceCommandException", FQID: "NoServiceFoundForGivenName," + c.CommandClass()})
		}
	}
	for _, dn := range c.Strs("DisplayName") {
		found := false
		for _, s := range h.services {
			if ps.Like(dn, s.display) {
				add(s)
				found = true
			}
		}
		if !found && !strings.ContainsAny(dn, "*?") {
			errs = append(errs, &ps.ErrorRecord{Message: fmt.Sprintf("Cannot find any service with display name '%s'.", dn), Category: "ObjectNotFound", Target: dn, TargetType: "String", Exception: "ServiceCommandException", FQID: "NoServiceFoundForGivenDisplayName," + c.CommandClass()})
		}
	}
	if all && len(names) == 0 && !c.Has("DisplayName") {
		out = slices.Clone(h.services)
		slices.SortFunc(out, func(a, b *service) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	}
	return out, errs
}

func cmdletGetService(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	svcs, errs := e.serviceTargetsLocked(c, true)
	var out []any
	for _, s := range svcs {
		out = append(out, h.serviceObjLocked(s, false))
	}
	h.mu.Unlock()
	return out, c.Errors(errs)
}

func cmdletServiceAction(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	svcs, errs := e.serviceTargetsLocked(c, false)
	var out []any
	action := c.Cmd.Name
	for _, s := range svcs {
		stop := action == "Stop-Service" || action == "Restart-Service"
		if stop && s.running {
			if s.cannotStop {
				errs = append(errs, &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psServiceCannotStop, s.display, s.name, s.name), Category: "CloseError", Target: "System.ServiceProcess.ServiceController", TargetType: "ServiceController", Exception: "ServiceCommandException", FQID: "CouldNotStopService," + c.CommandClass()})
				continue
			}
			deps := h.runningDependents(s)
			if len(deps) > 0 && !c.Flag("Force") {
				errs = append(errs, &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psDependents, s.display, s.name), Category: "InvalidOperation", Target: "System.ServiceProcess.ServiceController", TargetType: "ServiceController", Exception: "ServiceCommandException", FQID: "ServiceHasDependentServices," + c.CommandClass()})
				continue
			}
			for _, d := range deps {
				h.stopServiceLocked(d)
			}
			h.stopServiceLocked(s)
			if action == "Restart-Service" {
				h.startServiceLocked(s)
				for _, d := range deps {
					h.startServiceLocked(d)
				}
			}
		} else if !s.running && (action == "Start-Service" || action == "Restart-Service") {
			h.startServiceLocked(s)
		}
		if c.Flag("PassThru") {
			out = append(out, h.serviceObjLocked(s, false))
		}
	}
	h.mu.Unlock()
	return out, c.Errors(errs)
}

// --- storage ---

func (e *execEnv) cimNotFound(c *ps.Call, msg, prop, val, typ string) *ps.ErrorRecord {
	return &ps.ErrorRecord{Message: msg, Category: "ObjectNotFound", Target: val, TargetType: typ, Activity: c.Cmd.Name, Exception: "CimJobException", FQID: "CmdletizationQuery_NotFound_" + prop + "," + c.Cmd.Name}
}

// volumesFromInputLocked maps piped partitions / volumes to volumes.
func (h *Host) volumesFromInputLocked(items []any) []*volume {
	var out []*volume
	for _, it := range items {
		o, ok := it.(*ps.Object)
		if !ok {
			continue
		}
		if pth, ok := o.Get("Path"); ok {
			if v := h.findVolume(ps.String(pth)); v != nil {
				out = append(out, v)
				continue
			}
		}
		dn, ok1 := o.Get("DiskNumber")
		pn, ok2 := o.Get("PartitionNumber")
		if ok1 && ok2 {
			d, _ := ps.Number(dn)
			pp, _ := ps.Number(pn)
			for _, v := range h.visibleVolumes() {
				if v.disk == int(d) && v.part == int(pp) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func cmdletGetVolume(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	var vols []*volume
	var errs []*ps.ErrorRecord
	switch {
	case c.Has("DriveLetter"):
		for _, l := range c.Strs("DriveLetter") {
			lt, ok := driveLetterOf(l)
			v := h.volumeByLetter(lt)
			if !ok || v == nil {
				errs = append(errs, e.cimNotFound(c, fmt.Sprintf(e.h.t.psNoVolume, l), "DriveLetter", l, "Char"))
				continue
			}
			vols = append(vols, v)
		}
	case c.Has("Path") || c.Has("UniqueId") || c.Has("ObjectId"):
		for _, pth := range append(append(c.Strs("Path"), c.Strs("UniqueId")...), c.Strs("ObjectId")...) {
			if v := h.findVolume(pth); v != nil && h.diskPresent(v.disk) {
				vols = append(vols, v)
			} else {
				errs = append(errs, e.cimNotFound(c, fmt.Sprintf("No MSFT_Volume objects found with property 'Path' equal to '%s'.  Verify the value of the property and retry.", pth), "Path", pth, "String"))
			}
		}
	case c.Has("FileSystemLabel"):
		for _, v := range h.visibleVolumes() {
			for _, l := range c.Strs("FileSystemLabel") {
				if ps.Like(l, v.label) {
					vols = append(vols, v)
				}
			}
		}
	case c.HasInput && len(c.Input) > 0:
		vols = h.volumesFromInputLocked(c.Input)
	default:
		vols = h.visibleVolumes()
	}
	var out []any
	for _, v := range vols {
		out = append(out, h.volumeObjLocked(v))
	}
	h.mu.Unlock()
	return out, c.Errors(errs)
}

func cmdletGetPartition(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	vols := h.visibleVolumes()
	var errs []*ps.ErrorRecord
	if c.Has("DriveLetter") {
		var sel []*volume
		for _, l := range c.Strs("DriveLetter") {
			lt, _ := driveLetterOf(l)
			if v := h.volumeByLetter(lt); v != nil {
				sel = append(sel, v)
			} else {
				errs = append(errs, e.cimNotFound(c, fmt.Sprintf(e.h.t.psNoPartition, "DriveLetter", l), "DriveLetter", l, "Char"))
			}
		}
		vols = sel
	}
	if dn, ok := c.Num("DiskNumber"); ok {
		vols = slices.DeleteFunc(slices.Clone(vols), func(v *volume) bool { return v.disk != int(dn) })
		if len(vols) == 0 {
			errs = append(errs, e.cimNotFound(c, fmt.Sprintf(e.h.t.psNoPartition, "DiskNumber", strconv.FormatInt(dn, 10)), "DiskNumber", strconv.FormatInt(dn, 10), "UInt32"))
		}
	}
	if pn, ok := c.Num("PartitionNumber"); ok {
		vols = slices.DeleteFunc(slices.Clone(vols), func(v *volume) bool { return v.part != int(pn) })
		if len(vols) == 0 && len(errs) == 0 {
			errs = append(errs, e.cimNotFound(c, fmt.Sprintf(e.h.t.psNoPartition, "PartitionNumber", strconv.FormatInt(pn, 10)), "PartitionNumber", strconv.FormatInt(pn, 10), "UInt32"))
		}
	}
	if c.HasInput && len(c.Input) > 0 && !c.Has("DriveLetter") && !c.Has("DiskNumber") {
		var sel []*volume
		for _, it := range c.Input {
			o, ok := it.(*ps.Object)
			if !ok {
				continue
			}
			if strings.HasSuffix(o.TypeName, "MSFT_Disk") {
				n, _ := o.Get("Number")
				f, _ := ps.Number(n)
				for _, v := range h.visibleVolumes() {
					if v.disk == int(f) {
						sel = append(sel, v)
					}
				}
				continue
			}
			sel = append(sel, h.volumesFromInputLocked([]any{it})...)
		}
		vols = sel
	}
	var out []any
	for _, v := range vols {
		out = append(out, h.partitionObjLocked(v))
	}
	h.mu.Unlock()
	return out, c.Errors(errs)
}

func cmdletGetDisk(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	var disks []*disk
	var errs []*ps.ErrorRecord
	switch {
	case c.Has("Number"):
		for _, n := range c.Strs("Number") {
			f, _ := strconv.Atoi(n)
			if d := h.diskByNumber(f); d != nil {
				disks = append(disks, d)
			} else {
				errs = append(errs, e.cimNotFound(c, fmt.Sprintf(e.h.t.psNoDisk, n), "Number", n, "UInt32"))
			}
		}
	case c.HasInput && len(c.Input) > 0:
		for _, v := range h.volumesFromInputLocked(c.Input) {
			if d := h.diskByNumber(v.disk); d != nil && !slices.Contains(disks, d) {
				disks = append(disks, d)
			}
		}
	default:
		for _, d := range h.disks {
			if d.present {
				disks = append(disks, d)
			}
		}
	}
	var out []any
	for _, d := range disks {
		if fn, ok := c.Str("FriendlyName"); ok && !ps.Like(fn, d.friendly) {
			continue
		}
		out = append(out, h.diskObjLocked(d))
	}
	h.mu.Unlock()
	return out, c.Errors(errs)
}

func cmdletGetPSDrive(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	if pv, ok := c.Str("PSProvider"); ok && !strings.EqualFold(pv, "FileSystem") && !strings.EqualFold(pv, `Microsoft.PowerShell.Core\FileSystem`) {
		return nil, nil
	}
	h.mu.Lock()
	var out []any
	var errs []*ps.ErrorRecord
	names := c.Strs("Name")
	for _, v := range h.visibleVolumes() {
		if v.letter == 0 {
			continue
		}
		if len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return ps.Like(n, string(v.letter)) }) {
			continue
		}
		out = append(out, h.psDriveObjLocked(v))
	}
	for _, n := range names {
		if strings.ContainsAny(n, "*?") {
			continue
		}
		l, ok := driveLetterOf(n)
		if !ok || h.volumeByLetter(l) == nil {
			errs = append(errs, &ps.ErrorRecord{Message: fmt.Sprintf(e.h.t.psDriveNotFound, n), Category: "ObjectNotFound", Target: n, TargetType: "String", Exception: "DriveNotFoundException", FQID: "GetLocationNoMatchingDrive," + c.CommandClass()})
		}
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(*ps.Object).Str, b.(*ps.Object).Str) })
	h.mu.Unlock()
	return out, c.Errors(errs)
}

// --- Defender ---

var cmdletMpPreference = lockedCmdlet((*Host).mpPreferenceLocked)

var cmdletMpStatus = lockedCmdlet((*Host).mpStatusLocked)

// --- network ---

const hostIP = hostIPBase + "11"

func cmdletTestNetConnection(e *execEnv, c *ps.Call) ([]any, error) {
	h, t := e.h, e.h.t
	target := "internetbeacon.msedge.net"
	if s, ok := c.Str("ComputerName"); ok {
		target = s
	}
	port := int64(0)
	if n, ok := c.Num("Port"); ok {
		port = n
	}
	if cp, ok := c.Str("CommonTCPPort"); ok {
		port = map[string]int64{"smb": 445, "http": 80, "rdp": 3389, "winrm": 5985}[strings.ToLower(cp)]
	}
	h.mu.Lock()
	addr, reachable, open := "", false, map[int64]bool{}
	lt := strings.ToLower(target)
	switch {
	case lt == strings.ToLower(h.nas.name) || lt == strings.ToLower(h.nas.fqdn) || lt == h.nas.ip:
		addr, reachable = h.nas.ip, h.nas.reachable
		open = map[int64]bool{445: true, 139: true}
	case lt == "localhost" || lt == "127.0.0.1" || lt == strings.ToLower(h.name) || lt == hostIP:
		addr, reachable = hostIP, true
		open = map[int64]bool{445: true, 5985: true, 3389: true, 135: true}
		if lt == "localhost" || lt == "127.0.0.1" {
			addr = "::1"
		}
	case strings.HasPrefix(lt, hostIPBase):
		addr = target
	}
	h.mu.Unlock()
	resolved := addr != ""
	tcpOK := resolved && reachable && open[port]
	if !resolved {
		c.Warn(fmt.Sprintf(t.psNameResolution, target))
	} else if port != 0 && !tcpOK {
		c.Warn(fmt.Sprintf(t.psTestConnectionFailed, addr, port))
		if !reachable {
			c.Warn(fmt.Sprintf(t.psTestConnectionWarning, addr))
		}
	} else if port == 0 && !reachable {
		c.Warn(fmt.Sprintf(t.psTestConnectionWarning, addr))
	}
	if lvl, ok := c.Str("InformationLevel"); ok && strings.EqualFold(lvl, "Quiet") {
		if port != 0 {
			return []any{tcpOK}, nil
		}
		return []any{resolved && reachable}, nil
	}
	src := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress", ps.P("IPAddress", hostIP))
	src.Str = hostIP
	var remote any
	if resolved {
		remote = addr
	}
	o := ps.NewObject("TestNetConnectionResult",
		ps.P("ComputerName", target),
		ps.P("RemoteAddress", remote),
		ps.P("RemotePort", port),
		ps.P("NameResolutionSucceeded", resolved),
		ps.P("InterfaceAlias", "Ethernet"),
		ps.P("SourceAddress", src),
		ps.P("NetRoute (NextHop)", "0.0.0.0"),
		ps.P("PingSucceeded", resolved && reachable),
		ps.P("PingReplyDetails (RTT)", "0 ms"),
		ps.P("TcpTestSucceeded", tcpOK),
	)
	o.View = ps.ViewList
	if port != 0 {
		o.List = []string{"ComputerName", "RemoteAddress", "RemotePort", "InterfaceAlias", "SourceAddress", "TcpTestSucceeded"}
	} else {
		o.List = []string{"ComputerName", "RemoteAddress", "InterfaceAlias", "SourceAddress", "PingSucceeded", "PingReplyDetails (RTT)"}
	}
	return []any{o}, nil
}

func cmdletSmbConnection(e *execEnv, c *ps.Call) ([]any, error) {
	h := e.h
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []any
	user := strings.ToUpper(strings.Split(h.domain, ".")[0]) + `\` + e.userName()
	for _, s := range h.shares {
		if !s.connected {
			continue
		}
		if sn, ok := c.Str("ServerName"); ok && !strings.EqualFold(sn, s.server) && !strings.EqualFold(sn, h.nas.fqdn) {
			continue
		}
		if sh, ok := c.Str("ShareName"); ok && !ps.Like(sh, s.name) {
			continue
		}
		o := ps.NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbConnection",
			ps.P("ContinuouslyAvailable", false),
			ps.P("Credential", user),
			ps.P("Dialect", s.dialect),
			ps.P("Encrypted", false),
			ps.P("NumOpens", uint32(1)),
			ps.P("Redirected", false),
			ps.P("ServerName", s.server),
			ps.P("ShareName", s.name),
			ps.P("Signed", s.dialect != "2.0.2"),
			ps.P("UserName", user),
			ps.P("PSComputerName", nil),
		)
		o.View = ps.ViewTable
		t := e.h.t
		o.Cols = []ps.Column{strCol("ServerName", "ServerName", t), strCol("ShareName", "ShareName", t), strCol("UserName", "UserName", t), strCol("Credential", "Credential", t), strCol("Dialect", "Dialect", t), {Header: "NumOpens", Right: true, Value: func(o *ps.Object) string { v, _ := o.Get("NumOpens"); return ps.String(v) }}}
		out = append(out, o)
	}
	return out, nil
}

// --- events ---

func cmdletGetWinEvent(e *execEnv, c *ps.Call) ([]any, error) {
	h, t := e.h, e.h.t
	logs := c.Strs("LogName")
	logs = append(logs, c.Strs("ProviderName")...)
	var ids []int64
	var levels []int64
	var start, end time.Time
	if hs, ok := c.Value("FilterHashtable").(*ps.Hash); ok {
		for _, k := range hs.Keys {
			v := hs.Vals[strings.ToLower(k)]
			switch strings.ToLower(k) {
			case "logname", "providername":
				for _, x := range ps.Enumerate(v) {
					logs = append(logs, ps.String(x))
				}
			case "id":
				for _, x := range ps.Enumerate(v) {
					if n, ok := ps.Number(x); ok {
						ids = append(ids, int64(n))
					}
				}
			case "level":
				for _, x := range ps.Enumerate(v) {
					if n, ok := ps.Number(x); ok {
						levels = append(levels, int64(n))
					}
				}
			case "starttime":
				start, _ = v.(time.Time)
			case "endtime":
				end, _ = v.(time.Time)
			}
		}
	}
	for _, l := range logs {
		if !strings.EqualFold(l, "Microsoft-Windows-Backup") && !strings.EqualFold(l, "Application") && !strings.EqualFold(l, "System") {
			return nil, c.Error(&ps.ErrorRecord{Message: fmt.Sprintf(t.psNoLog, l), Category: "ObjectNotFound", Target: l, TargetType: "String", Exception: "Exception", FQID: "NoMatchingLogsFound," + c.CommandClass()})
		}
	}
	backup := len(logs) == 0 || slices.ContainsFunc(logs, func(l string) bool { return strings.EqualFold(l, "Microsoft-Windows-Backup") })
	var out []any
	h.mu.Lock()
	if backup {
		max, hasMax := c.Num("MaxEvents")
		evs := slices.Clone(h.events)
		if !c.Flag("Oldest") {
			slices.Reverse(evs)
		}
		for _, ev := range evs {
			if len(ids) > 0 && !slices.Contains(ids, int64(ev.id)) {
				continue
			}
			if len(levels) > 0 && !slices.Contains(levels, int64(ev.level)) {
				continue
			}
			if !start.IsZero() && ev.when.Before(start) {
				continue
			}
			if !end.IsZero() && ev.when.After(end) {
				continue
			}
			if hasMax && int64(len(out)) >= max {
				break
			}
			out = append(out, h.eventObj(ev))
		}
	}
	h.mu.Unlock()
	if len(out) == 0 {
		return nil, c.Error(&ps.ErrorRecord{Message: t.psNoEvents, Category: "ObjectNotFound", Exception: "Exception", FQID: "NoMatchingEventsFound," + c.CommandClass()})
	}
	return out, nil
}

// --- CIM / WMI ---

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
