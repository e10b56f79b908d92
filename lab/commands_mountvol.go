package lab

import (
	"fmt"
	"strings"
)

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
