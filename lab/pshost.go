package lab

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/lab/ps"
)

// psHost is a simulated server as the PowerShell interpreter sees it during
// one run: its cmdlets and native programs, run with the run's user and
// streams, its environment and its clock.
type psHost struct{ e *execEnv }

var _ ps.Host = psHost{}

// Command implements ps.Host.
func (ph psHost) Command(name string) (*ps.Command, bool) {
	ent, ok := ph.e.h.cmdlets[strings.ToLower(name)]
	if !ok {
		return nil, false
	}
	e := ph.e
	return &ps.Command{
		Name: ent.name, Named: ent.named, Switches: ent.switches, Positional: ent.positional, Varargs: ent.varargs,
		Run: func(c *ps.Call) ([]any, error) { return ent.run(e, c) },
	}, true
}

// Native implements ps.Host: the programs of the cmd table, run as from
// cmd.exe with the pipeline's text on stdin.
func (ph psHost) Native(name string) (ps.Native, bool) {
	prog, ok := nativeProgram(strings.ToLower(name))
	if !ok {
		return nil, false
	}
	h, user := ph.e.h, ph.e.user
	return func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
		env := &execEnv{ctx: ctx, h: h, user: user, stdin: stdin, stdout: stdout, stderr: stderr}
		if prog == "powershell" {
			return env.runPowerShellArgs(args)
		}
		toks := append([]string{prog}, args...)
		return env.runTokens(toks, strings.Join(toks, " "))
	}, true
}

// Env implements ps.Host.
func (ph psHost) Env(name string) (string, bool) { return ph.e.h.envVar(name, ph.e.userName()) }

// Now implements ps.Host.
func (ph psHost) Now() time.Time { return ph.e.h.now() }

// cmdletName is the canonical name of a cmdlet the host or the language
// has, for Get-Command.
func (e *execEnv) cmdletName(name string) (string, bool) {
	if c, ok := ps.Builtin(name); ok {
		return c.Name, true
	}
	if ent, ok := e.h.cmdlets[strings.ToLower(name)]; ok {
		return ent.name, true
	}
	return "", false
}

// runPS runs a PowerShell script on the host.
func (e *execEnv) runPS(script string) int {
	return ps.Run(e.ctx, ps.Session{
		Host: psHost{e}, Culture: &e.h.t.Culture, User: e.user, Build: e.h.build,
		Stdin: e.stdin, Stdout: e.stdout, Stderr: e.stderr, Scripts: e.h.scripts,
	}, script)
}
