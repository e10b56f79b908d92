package lab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

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
