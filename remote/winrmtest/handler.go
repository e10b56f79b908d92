package winrmtest

import (
	"context"
	"io"
	"strconv"
	"strings"
)

// Command is what the server hands to a Handler for each WinRS Command
// request.
type Command struct {
	ShellID   string
	CommandID string
	// Line is the command text as cmd.exe would see it: rsp:Command and
	// every rsp:Arguments joined by single spaces.
	Line string
	// Args are the rsp:Arguments elements, in order (masterzen's
	// ExecuteWithContext(ctx, cmd, args...) sends one per argument).
	Args []string
	// Codepage is the shell's WINRS_CODEPAGE (65001, 932, 437, ...).
	Codepage int
	// User is the authenticated user name.
	User string
}

// Handler runs commands on the fake server.
//
// Run is called on its own goroutine for every Command request. Text written
// to stdout and stderr is UTF-8 and is encoded in the shell's code page on
// the wire; use WriteRaw to emit exact bytes. Output may be written over
// time: each Receive returns what has been written so far. stdin yields the
// data of Send requests and io.EOF after the Send with End="true". ctx is
// cancelled by Signal terminate, ctrl_c or ctrl_break, by deleting the shell
// (Delete or idle timeout) and by Server.Close; Run should then return
// promptly. The return value is the command's exit code. A panic becomes
// exit code 1 with the panic text on stderr.
type Handler interface {
	Run(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int

// Run calls f.
func (f HandlerFunc) Run(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int {
	return f(ctx, cmd, stdin, stdout, stderr)
}

// RawWriter is implemented by the stdout and stderr writers the server
// passes to a Handler. WriteRaw puts p on the wire as is, bypassing the
// code-page conversion: for example CP932 bytes in a 65001 shell, which is
// what a program that writes ANSI output itself produces on a Japanese
// Windows.
type RawWriter interface {
	io.Writer
	WriteRaw(p []byte) (int, error)
}

// WriteRaw writes p to w without code-page conversion when w is a
// RawWriter, and with w.Write otherwise.
func WriteRaw(w io.Writer, p []byte) (int, error) {
	if rw, ok := w.(RawWriter); ok {
		return rw.WriteRaw(p)
	}
	return w.Write(p)
}

// notRecognized writes cmd.exe's message for an unknown command and returns
// its exit code, 9009.
func notRecognized(stderr io.Writer, line string) int {
	name := strings.TrimSpace(line)
	if i := strings.IndexAny(name, " \t"); i >= 0 {
		name = name[:i]
	}
	_, _ = io.WriteString(stderr, "'"+name+"' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n")
	return 9009
}

// EchoHandler is a tiny cmd.exe: "echo TEXT" writes TEXT and CRLF to stdout
// ("echo." writes an empty line), "exit N" and "exit /b N" return N, an
// empty line returns 0, and anything else gets cmd.exe's "is not recognized"
// message on stderr and exit code 9009. It is the default Handler.
type EchoHandler struct{}

// Run implements Handler.
func (EchoHandler) Run(_ context.Context, cmd Command, _ io.Reader, stdout, stderr io.Writer) int {
	line := strings.TrimSpace(cmd.Line)
	lower := strings.ToLower(line)
	switch {
	case line == "":
		return 0
	case lower == "echo." || lower == "echo":
		_, _ = io.WriteString(stdout, "\r\n")
		return 0
	case strings.HasPrefix(lower, "echo "):
		_, _ = io.WriteString(stdout, line[len("echo "):]+"\r\n")
		return 0
	case lower == "exit" || strings.HasPrefix(lower, "exit "):
		arg := strings.TrimSpace(line[len("exit"):])
		if len(arg) >= 2 && strings.EqualFold(arg[:2], "/b") {
			arg = strings.TrimSpace(arg[2:])
		}
		if arg == "" {
			return 0
		}
		n, err := strconv.Atoi(arg)
		if err != nil {
			return 0
		}
		return n
	}
	return notRecognized(stderr, line)
}

// Output is a canned command result for Script.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
}

// Script maps exact command lines (Command.Line) to canned results. Lines
// not in the map get cmd.exe's "is not recognized" message and exit code
// 9009.
type Script map[string]Output

// Run implements Handler.
func (s Script) Run(_ context.Context, cmd Command, _ io.Reader, stdout, stderr io.Writer) int {
	out, ok := s[cmd.Line]
	if !ok {
		return notRecognized(stderr, cmd.Line)
	}
	if out.Stdout != "" {
		_, _ = io.WriteString(stdout, out.Stdout)
	}
	if out.Stderr != "" {
		_, _ = io.WriteString(stderr, out.Stderr)
	}
	return out.ExitCode
}
