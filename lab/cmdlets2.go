package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
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

func cmdletTestPath(r *psRun, c *Call) ([]any, error) {
	paths := c.Strs("Path")
	if lp := c.Strs("LiteralPath"); len(lp) > 0 {
		paths = lp
	}
	if len(paths) == 0 {
		for _, it := range c.Input {
			paths = append(paths, String(it))
		}
	}
	var out []any
	h := r.h
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
func (r *psRun) writeCheckLocked(c *Call, path string) *ErrorRecord {
	h := r.h
	pi := h.pathInfoLocked(path)
	switch {
	case pi.unc && (!pi.reachable || pi.share == nil):
		return &ErrorRecord{Message: r.t.psNetworkPath, Category: "NotSpecified", Exception: "IOException", FQID: "System.IO.IOException," + fqClass(c)}
	case pi.unc && !pi.share.writable:
		return &ErrorRecord{Message: fmt.Sprintf(r.t.psAccessDenied, path), Category: "PermissionDenied", Target: path, TargetType: "String", Exception: "UnauthorizedAccessException", FQID: "System.UnauthorizedAccessException," + fqClass(c)}
	case !pi.unc && pi.drive == 0:
		return nil
	case !pi.unc && !pi.driveOK:
		d := string(pi.drive)
		return &ErrorRecord{Message: fmt.Sprintf(r.t.psDriveNotFound, d), Category: "ObjectNotFound", Target: d, TargetType: "String", Exception: "DriveNotFoundException", FQID: "DriveNotFound," + fqClass(c)}
	}
	return nil
}

func cmdletSetContent(r *psRun, c *Call) ([]any, error) {
	path, ok := c.Str("Path")
	if lp, has := c.Str("LiteralPath"); has {
		path, ok = lp, true
	}
	if !ok {
		return nil, r.nonTerminating(c, &ErrorRecord{Message: "Cannot bind argument to parameter 'Path' because it is null.", Category: "InvalidData", Exception: "ParameterBindingValidationException", FQID: "ParameterArgumentValidationErrorNullNotAllowed," + fqClass(c)})
	}
	vals := c.Items("Value")
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(String(v))
		if !c.Flag("NoNewline") {
			b.WriteString("\r\n")
		}
	}
	h := r.h
	h.mu.Lock()
	rec := r.writeCheckLocked(c, path)
	if rec == nil {
		key := strings.ToLower(normPath(path))
		if c.entry.Name == "Add-Content" {
			h.files[key] += b.String()
		} else {
			h.files[key] = b.String()
		}
	}
	h.mu.Unlock()
	if rec != nil {
		return nil, r.nonTerminating(c, rec)
	}
	return nil, nil
}

func cmdletGetContent(r *psRun, c *Call) ([]any, error) {
	h := r.h
	var out []any
	for _, path := range append(c.Strs("Path"), c.Strs("LiteralPath")...) {
		h.mu.Lock()
		pi := h.pathInfoLocked(path)
		content, ok := h.files[pi.key]
		ok = ok && h.existsLocked(pi)
		h.mu.Unlock()
		if !ok {
			if err := r.nonTerminating(c, &ErrorRecord{Message: fmt.Sprintf(r.t.psPathNotFound, path), Category: "ObjectNotFound", Target: path, TargetType: "String", Exception: "ItemNotFoundException", FQID: "PathNotFound," + fqClass(c)}); err != nil {
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

func cmdletRemoveItem(r *psRun, c *Call) ([]any, error) {
	h := r.h
	for _, path := range append(c.Strs("Path"), c.Strs("LiteralPath")...) {
		h.mu.Lock()
		pi := h.pathInfoLocked(path)
		rec := r.writeCheckLocked(c, path)
		if rec == nil {
			if _, ok := h.files[pi.key]; ok {
				delete(h.files, pi.key)
			} else {
				rec = &ErrorRecord{Message: fmt.Sprintf(r.t.psPathNotFound, path), Category: "ObjectNotFound", Target: path, TargetType: "String", Exception: "ItemNotFoundException", FQID: "PathNotFound," + fqClass(c)}
			}
		}
		h.mu.Unlock()
		if rec != nil {
			if err := r.nonTerminating(c, rec); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// lockedCmdlet makes a cmdlet that returns the one object build makes
// under the host's lock (Get-WBSummary, Get-MpPreference, ...).
func lockedCmdlet[T any](build func(*Host) T) func(*psRun, *Call) ([]any, error) {
	return func(r *psRun, _ *Call) ([]any, error) {
		r.h.mu.Lock()
		defer r.h.mu.Unlock()
		return []any{build(r.h)}, nil
	}
}

// --- Windows Server Backup ---

var cmdletWBSummary = lockedCmdlet((*Host).wbSummaryLocked)

var cmdletWBPolicy = lockedCmdlet((*Host).wbPolicyLocked)

// cmdletWBBareMetal reads BMR from -Policy or the host's policy.
func cmdletWBBareMetal(r *psRun, c *Call) ([]any, error) {
	if o, ok := c.Value("Policy").(*Object); ok {
		v, _ := o.Get("BMR")
		return []any{Truthy(v)}, nil
	}
	r.h.mu.Lock()
	defer r.h.mu.Unlock()
	return []any{r.h.policy.bmr}, nil
}

func cmdletWBTarget(r *psRun, _ *Call) ([]any, error) {
	h := r.h
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

func cmdletWBVolume(r *psRun, c *Call) ([]any, error) {
	h := r.h
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

func cmdletWBJob(r *psRun, c *Call) ([]any, error) {
	h := r.h
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

func cmdletStartWBBackup(r *psRun, c *Call) ([]any, error) {
	h, t := r.h, r.t
	h.mu.Lock()
	j, err := h.startJobLocked()
	h.mu.Unlock()
	if err != nil {
		return nil, r.nonTerminating(c, &ErrorRecord{Message: t.psJobRunning, Category: "InvalidOperation", Exception: "InvalidOperationException", FQID: "System.InvalidOperationException,Microsoft.Windows.ServerBackup.Commands.StartWBBackup"})
	}
	r.write(t.progRetrieving + "\r\n" + fmt.Sprintf(t.progStarting, strings.Join(j.volumes, ", "), j.target, j.target) + "\r\n")
	env := &execEnv{ctx: r.env.ctx, h: h, user: r.env.user, stdout: r.env.stdout, stderr: r.env.stderr}
	if code := env.followJob(j); code != 0 {
		h.mu.Lock()
		res := j.result
		finished := j.finished
		h.mu.Unlock()
		if !finished {
			return nil, &ExitError{Code: 1}
		}
		return nil, r.nonTerminating(c, &ErrorRecord{Message: t.hrMessage(detOr(res.detailedHR, res.hr)), Category: "NotSpecified", Exception: "COMException", FQID: fmt.Sprintf("0x%08X,Microsoft.Windows.ServerBackup.Commands.StartWBBackup", res.hr)})
	}
	return nil, nil
}

// --- services ---

// serviceTargetsLocked resolves -Name / -DisplayName / piped services,
// reporting names that match nothing.
func (r *psRun) serviceTargetsLocked(c *Call, all bool) ([]*service, []*ErrorRecord) {
	h := r.h
	var out []*service
	var errs []*ErrorRecord
	add := func(s *service) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	names := c.Strs("Name")
	for _, it := range c.Items("InputObject") {
		switch x := it.(type) {
		case *Object:
			if v, ok := x.Get("Name"); ok {
				names = append(names, String(v))
			}
		case string:
			names = append(names, x)
		}
	}
	for _, n := range names {
		found := false
		for _, s := range h.services {
			if Like(n, s.name) {
				add(s)
				found = true
			}
		}
		if !found && !strings.ContainsAny(n, "*?") {
			errs = append(errs, &ErrorRecord{Message: fmt.Sprintf(r.t.psServiceNotFound, n), Category: "ObjectNotFound", Target: n, TargetType: "String", Exception: "ServiceCommandException", FQID: "NoServiceFoundForGivenName," + fqClass(c)})
		}
	}
	for _, dn := range c.Strs("DisplayName") {
		found := false
		for _, s := range h.services {
			if Like(dn, s.display) {
				add(s)
				found = true
			}
		}
		if !found && !strings.ContainsAny(dn, "*?") {
			errs = append(errs, &ErrorRecord{Message: fmt.Sprintf("Cannot find any service with display name '%s'.", dn), Category: "ObjectNotFound", Target: dn, TargetType: "String", Exception: "ServiceCommandException", FQID: "NoServiceFoundForGivenDisplayName," + fqClass(c)})
		}
	}
	if all && len(names) == 0 && !c.Has("DisplayName") {
		out = slices.Clone(h.services)
		slices.SortFunc(out, func(a, b *service) int { return strings.Compare(strings.ToLower(a.name), strings.ToLower(b.name)) })
	}
	return out, errs
}

func cmdletGetService(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	svcs, errs := r.serviceTargetsLocked(c, true)
	var out []any
	for _, s := range svcs {
		out = append(out, h.serviceObjLocked(s, false))
	}
	h.mu.Unlock()
	return out, r.nonTerminatingAll(c, errs)
}

func cmdletServiceAction(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	svcs, errs := r.serviceTargetsLocked(c, false)
	var out []any
	action := c.entry.Name
	for _, s := range svcs {
		stop := action == "Stop-Service" || action == "Restart-Service"
		if stop && s.running {
			if s.cannotStop {
				errs = append(errs, &ErrorRecord{Message: fmt.Sprintf(r.t.psServiceCannotStop, s.display, s.name, s.name), Category: "CloseError", Target: "System.ServiceProcess.ServiceController", TargetType: "ServiceController", Exception: "ServiceCommandException", FQID: "CouldNotStopService," + fqClass(c)})
				continue
			}
			deps := h.runningDependents(s)
			if len(deps) > 0 && !c.Flag("Force") {
				errs = append(errs, &ErrorRecord{Message: fmt.Sprintf(r.t.psDependents, s.display, s.name), Category: "InvalidOperation", Target: "System.ServiceProcess.ServiceController", TargetType: "ServiceController", Exception: "ServiceCommandException", FQID: "ServiceHasDependentServices," + fqClass(c)})
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
	return out, r.nonTerminatingAll(c, errs)
}

// --- storage ---

func (r *psRun) cimNotFound(c *Call, msg, prop, val, typ string) *ErrorRecord {
	return &ErrorRecord{Message: msg, Category: "ObjectNotFound", Target: val, TargetType: typ, Activity: c.entry.Name, Exception: "CimJobException", FQID: "CmdletizationQuery_NotFound_" + prop + "," + c.entry.Name}
}

// volumesFromInputLocked maps piped partitions / volumes to volumes.
func (h *Host) volumesFromInputLocked(items []any) []*volume {
	var out []*volume
	for _, it := range items {
		o, ok := it.(*Object)
		if !ok {
			continue
		}
		if pth, ok := o.Get("Path"); ok {
			if v := h.findVolume(String(pth)); v != nil {
				out = append(out, v)
				continue
			}
		}
		dn, ok1 := o.Get("DiskNumber")
		pn, ok2 := o.Get("PartitionNumber")
		if ok1 && ok2 {
			d, _ := Number(dn)
			pp, _ := Number(pn)
			for _, v := range h.visibleVolumes() {
				if v.disk == int(d) && v.part == int(pp) {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

func cmdletGetVolume(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	var vols []*volume
	var errs []*ErrorRecord
	switch {
	case c.Has("DriveLetter"):
		for _, l := range c.Strs("DriveLetter") {
			lt, ok := driveLetterOf(l)
			v := h.volumeByLetter(lt)
			if !ok || v == nil {
				errs = append(errs, r.cimNotFound(c, fmt.Sprintf(r.t.psNoVolume, l), "DriveLetter", l, "Char"))
				continue
			}
			vols = append(vols, v)
		}
	case c.Has("Path") || c.Has("UniqueId") || c.Has("ObjectId"):
		for _, pth := range append(append(c.Strs("Path"), c.Strs("UniqueId")...), c.Strs("ObjectId")...) {
			if v := h.findVolume(pth); v != nil && h.diskPresent(v.disk) {
				vols = append(vols, v)
			} else {
				errs = append(errs, r.cimNotFound(c, fmt.Sprintf("No MSFT_Volume objects found with property 'Path' equal to '%s'.  Verify the value of the property and retry.", pth), "Path", pth, "String"))
			}
		}
	case c.Has("FileSystemLabel"):
		for _, v := range h.visibleVolumes() {
			for _, l := range c.Strs("FileSystemLabel") {
				if Like(l, v.label) {
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
	return out, r.nonTerminatingAll(c, errs)
}

func cmdletGetPartition(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	vols := h.visibleVolumes()
	var errs []*ErrorRecord
	if c.Has("DriveLetter") {
		var sel []*volume
		for _, l := range c.Strs("DriveLetter") {
			lt, _ := driveLetterOf(l)
			if v := h.volumeByLetter(lt); v != nil {
				sel = append(sel, v)
			} else {
				errs = append(errs, r.cimNotFound(c, fmt.Sprintf(r.t.psNoPartition, "DriveLetter", l), "DriveLetter", l, "Char"))
			}
		}
		vols = sel
	}
	if dn, ok := c.Num("DiskNumber"); ok {
		vols = slices.DeleteFunc(slices.Clone(vols), func(v *volume) bool { return v.disk != int(dn) })
		if len(vols) == 0 {
			errs = append(errs, r.cimNotFound(c, fmt.Sprintf(r.t.psNoPartition, "DiskNumber", strconv.FormatInt(dn, 10)), "DiskNumber", strconv.FormatInt(dn, 10), "UInt32"))
		}
	}
	if pn, ok := c.Num("PartitionNumber"); ok {
		vols = slices.DeleteFunc(slices.Clone(vols), func(v *volume) bool { return v.part != int(pn) })
		if len(vols) == 0 && len(errs) == 0 {
			errs = append(errs, r.cimNotFound(c, fmt.Sprintf(r.t.psNoPartition, "PartitionNumber", strconv.FormatInt(pn, 10)), "PartitionNumber", strconv.FormatInt(pn, 10), "UInt32"))
		}
	}
	if c.HasInput && len(c.Input) > 0 && !c.Has("DriveLetter") && !c.Has("DiskNumber") {
		var sel []*volume
		for _, it := range c.Input {
			o, ok := it.(*Object)
			if !ok {
				continue
			}
			if strings.HasSuffix(o.TypeName, "MSFT_Disk") {
				n, _ := o.Get("Number")
				f, _ := Number(n)
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
	return out, r.nonTerminatingAll(c, errs)
}

func cmdletGetDisk(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	var disks []*disk
	var errs []*ErrorRecord
	switch {
	case c.Has("Number"):
		for _, n := range c.Strs("Number") {
			f, _ := strconv.Atoi(n)
			if d := h.diskByNumber(f); d != nil {
				disks = append(disks, d)
			} else {
				errs = append(errs, r.cimNotFound(c, fmt.Sprintf(r.t.psNoDisk, n), "Number", n, "UInt32"))
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
		if fn, ok := c.Str("FriendlyName"); ok && !Like(fn, d.friendly) {
			continue
		}
		out = append(out, h.diskObjLocked(d))
	}
	h.mu.Unlock()
	return out, r.nonTerminatingAll(c, errs)
}

func cmdletGetPSDrive(r *psRun, c *Call) ([]any, error) {
	h := r.h
	if pv, ok := c.Str("PSProvider"); ok && !strings.EqualFold(pv, "FileSystem") && !strings.EqualFold(pv, `Microsoft.PowerShell.Core\FileSystem`) {
		return nil, nil
	}
	h.mu.Lock()
	var out []any
	var errs []*ErrorRecord
	names := c.Strs("Name")
	for _, v := range h.visibleVolumes() {
		if v.letter == 0 {
			continue
		}
		if len(names) > 0 && !slices.ContainsFunc(names, func(n string) bool { return Like(n, string(v.letter)) }) {
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
			errs = append(errs, &ErrorRecord{Message: fmt.Sprintf(r.t.psDriveNotFound, n), Category: "ObjectNotFound", Target: n, TargetType: "String", Exception: "DriveNotFoundException", FQID: "GetLocationNoMatchingDrive," + fqClass(c)})
		}
	}
	slices.SortFunc(out, func(a, b any) int { return strings.Compare(a.(*Object).Str, b.(*Object).Str) })
	h.mu.Unlock()
	return out, r.nonTerminatingAll(c, errs)
}

// --- Defender ---

var cmdletMpPreference = lockedCmdlet((*Host).mpPreferenceLocked)

var cmdletMpStatus = lockedCmdlet((*Host).mpStatusLocked)

// --- network ---

const hostIP = hostIPBase + "11"

func cmdletTestNetConnection(r *psRun, c *Call) ([]any, error) {
	h, t := r.h, r.t
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
		r.addWarning(fmt.Sprintf(t.psNameResolution, target))
	} else if port != 0 && !tcpOK {
		r.addWarning(fmt.Sprintf(t.psTestConnectionFailed, addr, port))
		if !reachable {
			r.addWarning(fmt.Sprintf(t.psTestConnectionWarning, addr))
		}
	} else if port == 0 && !reachable {
		r.addWarning(fmt.Sprintf(t.psTestConnectionWarning, addr))
	}
	if lvl, ok := c.Str("InformationLevel"); ok && strings.EqualFold(lvl, "Quiet") {
		if port != 0 {
			return []any{tcpOK}, nil
		}
		return []any{resolved && reachable}, nil
	}
	src := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/StandardCimv2/MSFT_NetIPAddress", P("IPAddress", hostIP))
	src.Str = hostIP
	var remote any
	if resolved {
		remote = addr
	}
	o := NewObject("TestNetConnectionResult",
		P("ComputerName", target),
		P("RemoteAddress", remote),
		P("RemotePort", port),
		P("NameResolutionSucceeded", resolved),
		P("InterfaceAlias", "Ethernet"),
		P("SourceAddress", src),
		P("NetRoute (NextHop)", "0.0.0.0"),
		P("PingSucceeded", resolved && reachable),
		P("PingReplyDetails (RTT)", "0 ms"),
		P("TcpTestSucceeded", tcpOK),
	)
	o.View = ViewList
	if port != 0 {
		o.List = []string{"ComputerName", "RemoteAddress", "RemotePort", "InterfaceAlias", "SourceAddress", "TcpTestSucceeded"}
	} else {
		o.List = []string{"ComputerName", "RemoteAddress", "InterfaceAlias", "SourceAddress", "PingSucceeded", "PingReplyDetails (RTT)"}
	}
	return []any{o}, nil
}

func cmdletSmbConnection(r *psRun, c *Call) ([]any, error) {
	h := r.h
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []any
	user := strings.ToUpper(strings.Split(h.domain, ".")[0]) + `\` + r.user()
	for _, s := range h.shares {
		if !s.connected {
			continue
		}
		if sn, ok := c.Str("ServerName"); ok && !strings.EqualFold(sn, s.server) && !strings.EqualFold(sn, h.nas.fqdn) {
			continue
		}
		if sh, ok := c.Str("ShareName"); ok && !Like(sh, s.name) {
			continue
		}
		o := NewObject("Microsoft.Management.Infrastructure.CimInstance#ROOT/Microsoft/Windows/SMB/MSFT_SmbConnection",
			P("ContinuouslyAvailable", false),
			P("Credential", user),
			P("Dialect", s.dialect),
			P("Encrypted", false),
			P("NumOpens", uint32(1)),
			P("Redirected", false),
			P("ServerName", s.server),
			P("ShareName", s.name),
			P("Signed", s.dialect != "2.0.2"),
			P("UserName", user),
			P("PSComputerName", nil),
		)
		o.View = ViewTable
		t := r.t
		o.Cols = []Column{strCol("ServerName", "ServerName", t), strCol("ShareName", "ShareName", t), strCol("UserName", "UserName", t), strCol("Credential", "Credential", t), strCol("Dialect", "Dialect", t), {Header: "NumOpens", Right: true, Value: func(o *Object) string { v, _ := o.Get("NumOpens"); return String(v) }}}
		out = append(out, o)
	}
	return out, nil
}

// --- events ---

func cmdletGetWinEvent(r *psRun, c *Call) ([]any, error) {
	h, t := r.h, r.t
	logs := c.Strs("LogName")
	logs = append(logs, c.Strs("ProviderName")...)
	var ids []int64
	var levels []int64
	var start, end time.Time
	if hs, ok := c.Value("FilterHashtable").(*Hash); ok {
		for _, k := range hs.Keys {
			v := hs.Vals[strings.ToLower(k)]
			switch strings.ToLower(k) {
			case "logname", "providername":
				for _, x := range Enumerate(v) {
					logs = append(logs, String(x))
				}
			case "id":
				for _, x := range Enumerate(v) {
					if n, ok := Number(x); ok {
						ids = append(ids, int64(n))
					}
				}
			case "level":
				for _, x := range Enumerate(v) {
					if n, ok := Number(x); ok {
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
			return nil, r.nonTerminating(c, &ErrorRecord{Message: fmt.Sprintf(t.psNoLog, l), Category: "ObjectNotFound", Target: l, TargetType: "String", Exception: "Exception", FQID: "NoMatchingLogsFound," + fqClass(c)})
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
		return nil, r.nonTerminating(c, &ErrorRecord{Message: t.psNoEvents, Category: "ObjectNotFound", Exception: "Exception", FQID: "NoMatchingEventsFound," + fqClass(c)})
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
					n, ok := ParseNumber(raw)
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

func (cd wqlCond) match(o *Object) bool {
	v, _ := o.Get(cd.prop)
	switch cd.op {
	case "=":
		return v != nil && Equal(v, cd.val)
	case "<>", "!=":
		return !Equal(v, cd.val)
	case "like":
		pat := strings.NewReplacer("%", "*", "_", "?").Replace(String(cd.val))
		return Like(pat, String(v))
	case ">":
		return Compare(v, cd.val) > 0
	case "<":
		return Compare(v, cd.val) < 0
	case ">=":
		return Compare(v, cd.val) >= 0
	case "<=":
		return Compare(v, cd.val) <= 0
	}
	return false
}

func cmdletCim(r *psRun, c *Call) ([]any, error) {
	h := r.h
	class, _ := c.Str("ClassName")
	if cl, ok := c.Str("Class"); ok {
		class = cl
	}
	var conds []wqlCond
	if q, ok := c.Str("Query"); ok {
		qc, qconds, ok := parseWQL(q)
		if !ok {
			return nil, r.nonTerminating(c, &ErrorRecord{Message: "Invalid query ", Category: "InvalidArgument", Exception: "CimException", FQID: "HRESULT 0x80041017," + cimClass(c)})
		}
		class, conds = qc, qconds
	}
	if f, ok := c.Str("Filter"); ok {
		_, fc, ok := parseWQL(f)
		if !ok {
			return nil, r.nonTerminating(c, &ErrorRecord{Message: "Invalid query ", Category: "InvalidArgument", Exception: "CimException", FQID: "HRESULT 0x80041017," + cimClass(c)})
		}
		conds = append(conds, fc...)
	}
	h.mu.Lock()
	objs, ok := h.cimObjectsLocked(class, r.user())
	h.mu.Unlock()
	if !ok {
		return nil, r.nonTerminating(c, &ErrorRecord{Message: r.t.psInvalidClass, Category: "MetadataError", Target: "root\\cimv2:" + class, TargetType: "String", Exception: "CimException", FQID: "HRESULT 0x80041010," + cimClass(c)})
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

func cimClass(c *Call) string {
	if c.entry.Name == "Get-WmiObject" {
		return "Microsoft.PowerShell.Commands.GetWmiObjectCommand"
	}
	return "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
}

func (h *Host) cimObjectsLocked(class, user string) ([]*Object, bool) {
	t := h.t
	var out []*Object
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
			o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_LogicalDisk",
				P("DeviceID", string(v.letter)+":"), P("DriveType", uint32(3)), P("ProviderName", nil),
				P("FreeSpace", uint64(v.free())), P("Size", uint64(v.size)), P("VolumeName", v.label), P("FileSystem", v.fs))
			o.View = ViewTable
			o.Cols = []Column{strCol("DeviceID", "DeviceID", t), strCol("DriveType", "DriveType", t), strCol("ProviderName", "ProviderName", t), strCol("VolumeName", "VolumeName", t), {Header: "Size", Right: true, Value: func(o *Object) string { x, _ := o.Get("Size"); return String(x) }}, {Header: "FreeSpace", Right: true, Value: func(o *Object) string { x, _ := o.Get("FreeSpace"); return String(x) }}}
			out = append(out, o)
		}
	case "win32_operatingsystem":
		lang := uint32(1033)
		if h.lang == LangJapanese {
			lang = 1041
		}
		o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem",
			P("Caption", "Microsoft Windows Server 2019 Standard"), P("Version", "10.0.17763"), P("BuildNumber", "17763"),
			P("OSLanguage", lang), P("CSName", strings.ToUpper(h.name)), P("LastBootUpTime", h.created.Add(-9*24*time.Hour)),
			P("LocalDateTime", h.now()), P("SystemDirectory", `C:\Windows\system32`), P("Organization", ""),
			P("RegisteredUser", "Windows User"), P("SerialNumber", "00429-70000-00000-AA000"))
		o.View = ViewTable
		o.Cols = []Column{strCol("SystemDirectory", "SystemDirectory", t), strCol("Organization", "Organization", t), strCol("BuildNumber", "BuildNumber", t), strCol("RegisteredUser", "RegisteredUser", t), strCol("SerialNumber", "SerialNumber", t), strCol("Version", "Version", t)}
		out = append(out, o)
	case "win32_computersystem":
		o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ComputerSystem",
			P("Name", strings.ToUpper(h.name)), P("PrimaryOwnerName", "Windows User"), P("Domain", h.domain),
			P("TotalPhysicalMemory", uint64(16*gib)), P("Model", "Virtual Machine"), P("Manufacturer", "Microsoft Corporation"), P("PartOfDomain", true))
		o.View = ViewTable
		o.Cols = []Column{strCol("Name", "Name", t), strCol("PrimaryOwnerName", "PrimaryOwnerName", t), strCol("Domain", "Domain", t), strCol("TotalPhysicalMemory", "TotalPhysicalMemory", t), strCol("Model", "Model", t), strCol("Manufacturer", "Manufacturer", t)}
		out = append(out, o)
	case "win32_shadowcopy":
		for _, s := range h.shadows {
			o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_ShadowCopy",
				P("ID", braced(s.id)), P("SetID", braced(s.setID)), P("VolumeName", volumeName(s.vol)), P("InstallDate", s.created),
				P("DeviceObject", fmt.Sprintf(`\\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy%d`, s.index)),
				P("ClientAccessible", false), P("Persistent", true), P("ProviderID", "{b5946137-7b9f-4925-af80-51abd60b20d5}"))
			o.View = ViewList
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
			o := NewObject("Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Service",
				P("ExitCode", uint32(0)), P("Name", s.name), P("ProcessId", uint32(0)), P("StartMode", mode), P("State", state), P("Status", "OK"), P("DisplayName", s.display))
			o.View = ViewTable
			o.Cols = []Column{strCol("ExitCode", "ExitCode", t), strCol("Name", "Name", t), strCol("ProcessId", "ProcessId", t), strCol("StartMode", "StartMode", t), strCol("State", "State", t), strCol("Status", "Status", t)}
			out = append(out, o)
		}
	default:
		return nil, false
	}
	_ = user
	return out, true
}
