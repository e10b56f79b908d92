package lab

import (
	"bufio"
	"fmt"
	"slices"
	"strings"
)

// --- fsutil ---

// letterVolumeLocked resolves an fsutil volume argument that must be a
// drive letter ("Z:" or "Z:\"); msg is the error line to print otherwise.
func (h *Host) letterVolumeLocked(arg string) (*volume, string) {
	if strings.HasPrefix(arg, `\\`) {
		return nil, "Error:  " + h.t.badSyntax
	}
	l, ok := driveLetterOf(arg)
	if !ok {
		return nil, "Error:  " + h.t.badSyntax
	}
	v := h.volumeByLetter(l)
	if v == nil {
		return nil, h.t.pathNotFound
	}
	return v, ""
}

func cmdUsnQuery(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	h.mu.Lock()
	v, msg := h.letterVolumeLocked(a.one("vol"))
	if v == nil && strings.HasPrefix(a.one("vol"), `\\?\`) {
		v, msg = h.findVolume(a.one("vol")), t.pathNotFound
	}
	var b strings.Builder
	switch {
	case v == nil:
		b.WriteString(msg + "\r\n")
	case v.usn == 0:
		b.WriteString(t.usnNotActive + "\r\n")
	default:
		first := v.usnNext - uint64(v.usn)/2
		fmt.Fprintf(&b, "Usn Journal ID   : 0x%016x\r\n", v.usnID)
		fmt.Fprintf(&b, "First Usn        : 0x%016x\r\n", first)
		fmt.Fprintf(&b, "Next Usn         : 0x%016x\r\n", v.usnNext)
		b.WriteString("Lowest Valid Usn : 0x0000000000000000\r\n")
		b.WriteString("Max Usn          : 0x00000fffffff0000\r\n")
		fmt.Fprintf(&b, "Maximum Size     : 0x%016x (%4.1f MB)\r\n", v.usn, float64(v.usn)/float64(mib))
		fmt.Fprintf(&b, "Allocation Delta : 0x%016x (%4.1f MB)\r\n", v.usn/4, float64(v.usn/4)/float64(mib))
		b.WriteString("Minimum record version supported : 2\r\n")
		b.WriteString("Maximum record version supported : 4\r\n")
		b.WriteString("Write range tracking: Disabled\r\n")
	}
	ok := v != nil && v.usn != 0
	h.mu.Unlock()
	e.out(b.String())
	if !ok {
		return 1
	}
	return 0
}

func cmdUsnDelete(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	del := false
	vol := ""
	for _, x := range a.list("args") {
		switch strings.ToLower(x) {
		case "/d":
			del = true
		case "/n":
		default:
			vol = x
		}
	}
	if !del || vol == "" {
		e.out(t.fsutilUsage)
		return 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v, msg := h.letterVolumeLocked(vol)
	switch {
	case v == nil:
		e.out(msg + "\r\n")
		return 1
	case v.usn == 0:
		e.out(t.usnNotActive + "\r\n")
		return 1
	}
	v.usn = 0
	v.usnID++
	return 0
}

func cmdDiskFree(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	h.mu.Lock()
	v, msg := h.letterVolumeLocked(a.one("vol"))
	var out string
	if v != nil {
		out = fmt.Sprintf("%s%d\r\n%s%d\r\n%s%d\r\n", t.freeBytes, v.free(), t.totalBytes, v.size, t.quotaFree, v.free())
	}
	h.mu.Unlock()
	if v == nil {
		e.out(msg + "\r\n")
		return 1
	}
	e.out(out)
	return 0
}

func cmdFsutilInvalid(e *execEnv, a cmdArgs) int {
	e.out("---- Commands Supported ----\r\n\r\n" +
		"usn               Usn management\r\n" +
		"volume            Volume management\r\n")
	if len(a.list("rest")) > 0 {
		return 1
	}
	return 0
}

// --- mountvol ---

func cmdMountvolList(e *execEnv, _ cmdArgs) int {
	h, t := e.h, e.h.t
	var b strings.Builder
	b.WriteString(t.mountvolUsage + "\r\n" + t.mountvolHeader + "\r\n\r\n")
	h.mu.Lock()
	for _, v := range h.visibleVolumes() {
		b.WriteString("    " + volumeName(v.guid) + "\r\n")
		if v.letter != 0 {
			fmt.Fprintf(&b, "        %c:\\\r\n\r\n", v.letter)
		} else {
			b.WriteString("        " + t.noMountPoints + "\r\n\r\n")
		}
	}
	h.mu.Unlock()
	e.out(b.String())
	return 0
}

// mountLetter parses a mountvol mount point that is a drive letter.
func mountLetter(mp string) (byte, bool) {
	if len(mp) < 2 || mp[1] != ':' || len(strings.TrimSuffix(mp, `\`)) != 2 {
		return 0, false
	}
	return driveLetterOf(mp)
}

func cmdMountvolAssign(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	l, ok := mountLetter(a.one("mp"))
	if !ok {
		e.out(t.paramIncorrect + "\r\n\r\n")
		return 1
	}
	name := a.one("vol")
	lname := strings.ToLower(name)
	if !strings.HasPrefix(lname, `\\?\volume{`) {
		e.out(t.paramIncorrect + "\r\n\r\n")
		return 1
	}
	if !strings.HasSuffix(name, `\`) {
		e.out(t.badSyntax + "\r\n\r\n")
		return 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.findVolume(name)
	if v == nil || !h.diskPresent(v.disk) {
		e.out(t.fileNotFound + "\r\n\r\n")
		return 1
	}
	if h.volumeByLetter(l) != nil {
		e.out(t.dirNotEmpty + "\r\n\r\n")
		return 1
	}
	if v.letter != 0 {
		e.out(t.paramIncorrect + "\r\n\r\n")
		return 1
	}
	v.letter = l
	return 0
}

func cmdMountvolRemove(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	l, ok := mountLetter(a.one("mp"))
	if !ok {
		e.out(t.paramIncorrect + "\r\n\r\n")
		return 1
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	v := h.volumeByLetter(l)
	switch {
	case v == nil:
		e.out(t.fileNotFound + "\r\n\r\n")
		return 1
	case v.boot:
		e.out(t.accessDenied + "\r\n\r\n")
		return 1
	}
	v.letter = 0
	return 0
}

func cmdMountvolShow(e *execEnv, a cmdArgs) int {
	h, t := e.h, e.h.t
	l, ok := mountLetter(a.one("mp"))
	if !ok {
		e.out(t.paramIncorrect + "\r\n\r\n")
		return 1
	}
	h.mu.Lock()
	v := h.volumeByLetter(l)
	h.mu.Unlock()
	if v == nil {
		e.out(t.fileNotFound + "\r\n\r\n")
		return 1
	}
	e.out("    " + volumeName(v.guid) + "\r\n")
	return 0
}

func cmdMountvolUsage(e *execEnv, _ cmdArgs) int {
	t := e.h.t
	e.out(t.paramIncorrect + "\r\n\r\n" + t.mountvolUsage)
	return 1
}

// --- services ---

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

// --- small commands ---

func cmdHostname(e *execEnv, _ cmdArgs) int {
	e.out(e.h.name + "\r\n")
	return 0
}

func cmdWhoami(e *execEnv, _ cmdArgs) int {
	e.out(strings.ToLower(e.h.name) + `\` + strings.ToLower(e.userName()) + "\r\n")
	return 0
}

// filterLines prints the input lines for which keep is true; exit code 0
// when some line was printed, 1 otherwise (findstr and find).
func (e *execEnv) filterLines(keep func(string) bool) int {
	b, _ := readAllCtx(e.ctx, e.stdin)
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	found := false
	var out strings.Builder
	for sc.Scan() {
		l := strings.TrimRight(sc.Text(), "\r")
		if keep(l) {
			out.WriteString(l + "\r\n")
			found = true
		}
	}
	e.out(out.String())
	if found {
		return 0
	}
	return 1
}

func cmdFindstr(e *execEnv, a cmdArgs) int {
	ci, inv := false, false
	var pats []string
	for _, x := range a.list("args") {
		lx := strings.ToLower(x)
		switch {
		case lx == "/i":
			ci = true
		case lx == "/v":
			inv = true
		case strings.HasPrefix(lx, "/c:"):
			pats = append(pats, x[3:])
		case strings.HasPrefix(lx, "/"):
		default:
			pats = append(pats, strings.Fields(x)...)
		}
	}
	return e.filterLines(func(l string) bool {
		m := false
		for _, p := range pats {
			if ci && strings.Contains(strings.ToLower(l), strings.ToLower(p)) || !ci && strings.Contains(l, p) {
				m = true
			}
		}
		return m != inv
	})
}

func cmdFind(e *execEnv, a cmdArgs) int {
	ci, inv := false, false
	pat := ""
	for _, x := range a.list("args") {
		switch strings.ToLower(x) {
		case "/i":
			ci = true
		case "/v":
			inv = true
		default:
			if !strings.HasPrefix(x, "/") {
				pat = x
			}
		}
	}
	return e.filterLines(func(l string) bool {
		m := strings.Contains(l, pat)
		if ci {
			m = strings.Contains(strings.ToLower(l), strings.ToLower(pat))
		}
		return m != inv
	})
}
