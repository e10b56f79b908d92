package lab

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

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
