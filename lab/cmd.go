package lab

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// execEnv is what one command runs with.
type execEnv struct {
	ctx            context.Context
	h              *Host
	user           string
	stdin          io.Reader
	stdout, stderr io.Writer
}

func (e *execEnv) out(s string) { _, _ = io.WriteString(e.stdout, s) }

func (e *execEnv) errw(s string) { _, _ = io.WriteString(e.stderr, s) }

// Run runs one WinRS command line on the host, as cmd.exe /c would, and
// returns its exit code. user is the authenticated user (for whoami and
// $env:USERNAME). stdin is the command's input (Send requests); it is only
// read by commands that read input (powershell's stdin transport).
func (h *Host) Run(ctx context.Context, line, user string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &execEnv{ctx: ctx, h: h, user: user, stdin: stdin, stdout: stdout, stderr: stderr}
	return e.runLine(line)
}

// Exec runs a command line and returns its output; a convenience for tests
// and the console.
func (h *Host) Exec(ctx context.Context, line string) (stdout, stderr string, code int) {
	var o, er bytes.Buffer
	code = h.Run(ctx, line, "wsbadmin", strings.NewReader(""), &o, &er)
	return o.String(), er.String(), code
}

// cmdSeg is one simple command of a cmd.exe line and the operator before it.
type cmdSeg struct {
	text string
	op   string // "", "&", "&&", "||", "|"
}

// splitCmd splits a line at cmd.exe's &, &&, || and | outside quotes; ^
// escapes the next character.
func splitCmd(line string) []cmdSeg {
	var segs []cmdSeg
	var cur strings.Builder
	op := ""
	inQ := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			inQ = !inQ
			cur.WriteByte(c)
		case inQ:
			cur.WriteByte(c)
		case c == '^' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
		case c == '&':
			prev := strings.TrimRight(cur.String(), " ")
			if strings.HasSuffix(prev, ">") && strings.HasSuffix(cur.String(), ">") {
				cur.WriteByte(c) // >&2, 2>&1
				continue
			}
			segs = append(segs, cmdSeg{text: cur.String(), op: op})
			cur.Reset()
			if i+1 < len(line) && line[i+1] == '&' {
				op = "&&"
				i++
			} else {
				op = "&"
			}
		case c == '|':
			segs = append(segs, cmdSeg{text: cur.String(), op: op})
			cur.Reset()
			if i+1 < len(line) && line[i+1] == '|' {
				op = "||"
				i++
			} else {
				op = "|"
			}
		default:
			cur.WriteByte(c)
		}
	}
	segs = append(segs, cmdSeg{text: cur.String(), op: op})
	return segs
}

// errExit reports that `exit` ended the cmd.exe process.
var errExit = errors.New("exit")

// runLine runs a cmd.exe command line.
func (e *execEnv) runLine(line string) int {
	line = strings.TrimRight(line, "\r\n")
	line = e.expandPercent(line, 0)
	segs := splitCmd(line)
	code := 0
	for i := 0; i < len(segs); {
		j := i + 1
		for j < len(segs) && segs[j].op == "|" {
			j++
		}
		op := segs[i].op
		if op == "" || op == "&" || (op == "&&" && code == 0) || (op == "||" && code != 0) {
			var err error
			code, err = e.runPipe(segs[i:j])
			if errors.Is(err, errExit) {
				return code
			}
		}
		if e.ctx.Err() != nil {
			return code
		}
		i = j
	}
	return code
}

// runPipe runs commands joined by |, each reading the previous one's
// output.
func (e *execEnv) runPipe(segs []cmdSeg) (int, error) {
	var input io.Reader = e.stdin
	code := 0
	for k, s := range segs {
		out := e.stdout
		var buf bytes.Buffer
		if k < len(segs)-1 {
			out = &buf
		}
		sub := &execEnv{ctx: e.ctx, h: e.h, user: e.user, stdin: input, stdout: out, stderr: e.stderr}
		var err error
		code, err = sub.runSimple(s.text)
		if err != nil {
			return code, err
		}
		input = &buf
	}
	return code, nil
}

// runSimple runs one simple command with its redirections.
func (e *execEnv) runSimple(text string) (int, error) {
	text, stdout, stderr := e.redirect(text)
	sub := &execEnv{ctx: e.ctx, h: e.h, user: e.user, stdin: e.stdin, stdout: stdout, stderr: stderr}
	trimmed := strings.TrimLeft(text, " \t@")
	if strings.TrimSpace(trimmed) == "" {
		return 0, nil
	}
	toks := cmdTokens(trimmed)
	first := strings.ToLower(toks[0])
	switch first {
	case "echo", "echo.":
		rest := ""
		if len(trimmed) > 4 {
			rest = trimmed[5:]
		}
		if first == "echo" && strings.TrimSpace(rest) == "" && !strings.HasPrefix(trimmed[4:], ".") {
			sub.out(e.h.t.echoOn + "\r\n")
			return 0, nil
		}
		sub.out(rest + "\r\n")
		return 0, nil
	case "exit":
		code := 0
		args := toks[1:]
		if len(args) > 0 && strings.EqualFold(args[0], "/b") {
			args = args[1:]
		}
		if len(args) > 0 {
			if n, err := strconv.Atoi(args[0]); err == nil {
				code = n
			}
		}
		return code, errExit
	case "rem", "cls", "title", "@rem":
		return 0, nil
	case "ver":
		sub.out("\r\nMicrosoft Windows [Version " + e.h.build + "]\r\n")
		return 0, nil
	case "cd", "chdir":
		sub.out(`C:\Users\` + e.userName() + "\r\n")
		return 0, nil
	}
	return sub.runTokens(toks, trimmed), nil
}

func (e *execEnv) userName() string {
	if e.user == "" {
		return "Administrator"
	}
	return e.user
}

// redirect removes cmd.exe redirections (>&2, 1>&2, 2>&1, >nul, 2>nul,
// > file) from text and returns the writers they select.
func (e *execEnv) redirect(text string) (string, io.Writer, io.Writer) {
	stdout, stderr := e.stdout, e.stderr
	var b strings.Builder
	inQ := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '"' {
			inQ = !inQ
		}
		if c != '>' || inQ {
			b.WriteByte(c)
			continue
		}
		fd := 1
		cur := b.String()
		if n := len(cur); n > 0 && (cur[n-1] == '1' || cur[n-1] == '2') && (n == 1 || cur[n-2] == ' ' || cur[n-2] == '\t') {
			fd = int(cur[n-1] - '0')
			b.Reset()
			b.WriteString(cur[:n-1])
		}
		j := i + 1
		if j < len(text) && text[j] == '>' {
			j++
		}
		var w io.Writer
		if j+1 < len(text) && text[j] == '&' && (text[j+1] == '1' || text[j+1] == '2') {
			if text[j+1] == '2' {
				w = e.stderr
			} else {
				w = e.stdout
			}
			j += 2
		} else {
			for j < len(text) && text[j] == ' ' {
				j++
			}
			k := j
			for k < len(text) && text[k] != ' ' {
				k++
			}
			target := text[j:k]
			j = k
			if strings.EqualFold(target, "nul") {
				w = io.Discard
			} else {
				w = &fileWriter{h: e.h, path: target}
			}
		}
		if fd == 2 {
			stderr = w
		} else {
			stdout = w
		}
		i = j - 1
	}
	return b.String(), stdout, stderr
}

// fileWriter stores redirected output in the host's file table.
type fileWriter struct {
	h    *Host
	path string
}

func (f *fileWriter) Write(p []byte) (int, error) {
	f.h.mu.Lock()
	defer f.h.mu.Unlock()
	f.h.files[strings.ToLower(f.path)] += string(p)
	return len(p), nil
}

// expandPercent expands %VAR% (and %ERRORLEVEL%) like cmd.exe.
func (e *execEnv) expandPercent(line string, errorlevel int) string {
	if !strings.Contains(line, "%") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); i++ {
		if line[i] != '%' {
			b.WriteByte(line[i])
			continue
		}
		end := strings.IndexByte(line[i+1:], '%')
		if end < 0 {
			b.WriteString(line[i:])
			break
		}
		name := line[i+1 : i+1+end]
		if strings.EqualFold(name, "errorlevel") {
			b.WriteString(strconv.Itoa(errorlevel))
		} else if v, ok := e.h.envVar(name, e.userName()); ok {
			b.WriteString(v)
		} else {
			b.WriteString("%" + name + "%")
		}
		i += end + 1
	}
	return b.String()
}

// cmdTokens splits a command line into arguments: spaces separate, double
// quotes group and are removed.
func cmdTokens(s string) []string {
	var toks []string
	var cur strings.Builder
	inQ, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inQ = !inQ
			have = true
		case (r == ' ' || r == '\t') && !inQ:
			if have {
				toks = append(toks, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		toks = append(toks, cur.String())
	}
	if len(toks) == 0 {
		toks = []string{""}
	}
	return toks
}

// progName normalizes a program token: C:\Windows\System32\Fsutil.exe →
// fsutil, net1 → net.
func progName(tok string) string {
	s := strings.ToLower(tok)
	if i := strings.LastIndexAny(s, `\/`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, ".exe"), ".com")
	if s == "net1" {
		s = "net"
	}
	return s
}

// runTokens runs a command given as arguments (from cmd.exe or from
// PowerShell's native command invocation).
func (e *execEnv) runTokens(toks []string, raw string) int {
	prog := progName(toks[0])
	switch prog {
	case "cmd":
		return e.runCmdExe(toks[1:], raw)
	case "powershell", "pwsh":
		if prog == "pwsh" {
			break
		}
		return e.runPowerShellArgs(toks[1:])
	}
	for _, c := range e.h.cmds {
		if a, ok := c.match(prog, toks); ok {
			a.raw = raw
			return c.run(e, a)
		}
	}
	e.errw(e.h.t.notRecognized(toks[0]))
	return 1
}

// runCmdExe handles `cmd [/s] [/q] [/d] /c command`.
func (e *execEnv) runCmdExe(args []string, raw string) int {
	lower := strings.ToLower(raw)
	idx := strings.Index(lower, "/c")
	if idx < 0 {
		idx = strings.Index(lower, "/k")
	}
	if idx < 0 {
		// An interactive cmd reading stdin: run its lines.
		b, _ := ps.ReadAllContext(e.ctx, e.stdin)
		code := 0
		for _, l := range strings.Split(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n") {
			if strings.TrimSpace(l) == "" {
				continue
			}
			code = e.runLine(l)
		}
		return code
	}
	rest := strings.TrimLeft(raw[idx+2:], " \t")
	if tr := strings.TrimRight(rest, " \t"); len(tr) >= 2 && tr[0] == '"' && tr[len(tr)-1] == '"' {
		rest = tr[1 : len(tr)-1]
	}
	return e.runLine(rest)
}

// runPowerShellArgs runs powershell.exe with its arguments: -EncodedCommand
// (any accepted spelling), -Command (the rest of the line), or commands on
// stdin.
func (e *execEnv) runPowerShellArgs(args []string) int {
	script := ""
	have := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		la := strings.ToLower(a)
		if !strings.HasPrefix(la, "-") && !strings.HasPrefix(la, "/") {
			script = strings.Join(args[i:], " ")
			have = true
			break
		}
		name := strings.TrimLeft(la, "-/")
		switch {
		case name == "encodedcommand" || name == "enc" || name == "e" || name == "ec" || (len(name) >= 2 && strings.HasPrefix("encodedcommand", name)):
			if i+1 >= len(args) {
				e.errw("Cannot process the command because of a missing parameter. A command must follow -EncodedCommand.\r\n")
				return 1
			}
			s, ok := decodeEncodedCommand(args[i+1])
			if !ok {
				e.errw("Cannot process the command because the value specified with -EncodedCommand is not properly encoded. The value must be Base64 encoded.\r\n")
				return 1
			}
			script, have = s, true
			i = len(args)
		case name == "command" || name == "c" || (len(name) >= 2 && strings.HasPrefix("command", name)):
			rest := args[i+1:]
			if len(rest) == 1 && rest[0] == "-" {
				break
			}
			script, have = strings.Join(rest, " "), true
			i = len(args)
		case name == "file" || name == "f":
			e.errw("The wsbbot lab does not simulate powershell.exe -File.\r\n")
			return 1
		case name == "executionpolicy" || name == "ep" || name == "ex" || name == "exec" ||
			name == "inputformat" || name == "inp" || name == "if" || name == "outputformat" || name == "o" || name == "of" ||
			name == "windowstyle" || name == "w" || name == "version" || name == "v" || name == "psconsolefile" ||
			name == "configurationname" || name == "settingsfile":
			i++
		case name == "nologo" || name == "noprofile" || name == "nop" || name == "noninteractive" || name == "noni" ||
			name == "noexit" || name == "sta" || name == "mta" || name == "nol":
		default:
			script = strings.Join(args[i:], " ")
			have = true
			i = len(args)
		}
	}
	if !have {
		b, _ := ps.ReadAllContext(e.ctx, e.stdin)
		script = string(b)
	}
	return e.runPS(script)
}

// decodeEncodedCommand decodes base64 of UTF-16LE text.
func decodeEncodedCommand(s string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), true
}
