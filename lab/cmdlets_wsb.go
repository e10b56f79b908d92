package lab

import (
	"fmt"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

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
