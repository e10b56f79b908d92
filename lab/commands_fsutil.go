package lab

import (
	"fmt"
	"strings"
)

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
