package lab

import (
	"bufio"
	"strings"

	"github.com/wsbbot/wsbbot/lab/ps"
)

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
	b, _ := ps.ReadAllContext(e.ctx, e.stdin)
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
