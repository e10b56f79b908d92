package lab

import (
	"fmt"
	"slices"
	"strings"
)

// startServiceLocked starts a service; the writers it hosts come back in
// [1] Stable with new instance ids.
func (h *Host) startServiceLocked(s *service) {
	s.running = true
	for _, w := range h.writers {
		if strings.EqualFold(w.service, s.name) {
			w.state, w.lastErr = 1, errNone
			w.restarts++
			w.instance = guid(h.name, fmt.Sprintf("writer-instance-%d-%s", w.restarts, w.name))
		}
	}
}

func (h *Host) stopServiceLocked(s *service) { s.running = false }

// runningDependents are the running services that depend on s.
func (h *Host) runningDependents(s *service) []*service {
	var out []*service
	for _, d := range s.dependents {
		if ds := h.serviceByName(d); ds != nil && ds.running {
			out = append(out, ds)
		}
	}
	return out
}

func netHelp(t *texts, n int) string { return fmt.Sprintf(t.netHelp, n) + "\r\n\r\n" }

// netServiceArg joins net's service name arguments and reports /y.
func netServiceArg(args []string) (string, bool) {
	var parts []string
	yes := false
	for _, a := range args {
		if strings.EqualFold(a, "/y") || strings.EqualFold(a, "/yes") {
			yes = true
			continue
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " "), yes
}

func cmdNetStop(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	name, yes := netServiceArg(a.list("svc"))
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.serviceByNameOrDisplay(name)
	switch {
	case s == nil:
		e.errw(t.netBadName + "\r\n\r\n" + netHelp(t, 2185))
		return 2
	case !s.running:
		e.errw(fmt.Sprintf(t.netNotStarted, s.display) + "\r\n\r\n" + netHelp(t, 3521))
		return 2
	case s.cannotStop:
		e.errw(t.netCannotStop + "\r\n\r\n" + netHelp(t, 2191))
		return 2
	}
	var b strings.Builder
	if deps := h.runningDependents(s); len(deps) > 0 {
		b.WriteString(fmt.Sprintf(t.netDependents, s.display, s.display) + "\r\n\r\n")
		for _, d := range deps {
			b.WriteString("   " + d.display + "\r\n")
		}
		b.WriteString("\r\n" + t.netContinue)
		if !yes {
			b.WriteString(t.netNoResponse + "\r\n\r\n")
			e.out(b.String())
			return 2
		}
		b.WriteString("Y\r\n")
		for _, d := range deps {
			b.WriteString(fmt.Sprintf(t.netStopping, d.display) + "\r\n" + fmt.Sprintf(t.netStopped, d.display) + "\r\n\r\n")
			h.stopServiceLocked(d)
		}
	}
	h.stopServiceLocked(s)
	b.WriteString(fmt.Sprintf(t.netStopping, s.display) + "\r\n" + fmt.Sprintf(t.netStopped, s.display) + "\r\n\r\n")
	e.out(b.String())
	return 0
}

func cmdNetStart(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	name, _ := netServiceArg(a.list("svc"))
	h.mu.Lock()
	defer h.mu.Unlock()
	s := h.serviceByNameOrDisplay(name)
	switch {
	case s == nil:
		e.errw(t.netBadName + "\r\n\r\n" + netHelp(t, 2185))
		return 2
	case s.running:
		e.errw(t.netAlreadyStarted + "\r\n\r\n" + netHelp(t, 2182))
		return 2
	}
	h.startServiceLocked(s)
	e.out(fmt.Sprintf(t.netStarting, s.display) + "\r\n" + fmt.Sprintf(t.netStarted, s.display) + "\r\n\r\n")
	return 0
}

func cmdNetStartList(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	h.mu.Lock()
	var names []string
	for _, s := range h.services {
		if s.running {
			names = append(names, s.display)
		}
	}
	h.mu.Unlock()
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(t.netStartedList + "\r\n\r\n")
	for _, n := range names {
		b.WriteString("   " + n + "\r\n")
	}
	b.WriteString("\r\n" + t.netDone + "\r\n\r\n")
	e.out(b.String())
	return 0
}

func cmdScQuery(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	h.mu.Lock()
	s := h.serviceByName(a.one("svc"))
	var b strings.Builder
	if s != nil {
		typ := "10  WIN32_OWN_PROCESS "
		if s.svcType == 32 {
			typ = "20  WIN32_SHARE_PROCESS "
		}
		b.WriteString("\r\nSERVICE_NAME: " + s.name + " \r\n")
		b.WriteString("        TYPE               : " + typ + " \r\n")
		if s.running {
			b.WriteString("        STATE              : 4  RUNNING \r\n")
			b.WriteString("                                (STOPPABLE, NOT_PAUSABLE, IGNORES_SHUTDOWN)\r\n")
			b.WriteString("        WIN32_EXIT_CODE    : 0  (0x0)\r\n")
		} else {
			b.WriteString("        STATE              : 1  STOPPED \r\n")
			b.WriteString("        WIN32_EXIT_CODE    : 1077  (0x435)\r\n")
		}
		b.WriteString("        SERVICE_EXIT_CODE  : 0  (0x0)\r\n")
		b.WriteString("        CHECKPOINT         : 0x0\r\n")
		b.WriteString("        WAIT_HINT          : 0x0\r\n")
	}
	h.mu.Unlock()
	if s == nil {
		e.out("[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\n" + t.scNoService + "\r\n\r\n")
		return 1060
	}
	e.out(b.String())
	return 0
}
