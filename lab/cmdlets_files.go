package lab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

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
