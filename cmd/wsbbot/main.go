// Command wsbbot is a ChatOps bot for Windows Server Backup on-call work.
//
// This file holds the entry point, Main and the exit-code contract; each
// subcommand lives in a file of its own and only turns flags into values,
// calls the oncall service and prints with render. wiring.go builds what
// the commands share from the configuration, once.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Exit codes shared by every subcommand; exitCodeHelp explains them in
// `wsbbot --help`.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran and found a problem (or found nothing)
	exitUsage    = 2 // bad flags, arguments or configuration
	exitRefused  = 3 // a precondition, a missing approval or another run on the server refused a change
	exitInternal = 4 // wsbbot could not do its own part: the record, the runbooks, an unexpected failure
)

// exitCodeHelp is the exit-code list of `wsbbot --help` (exec, which passes
// on the remote command's code, documents its own).
var exitCodeHelp = []struct {
	code    int
	meaning string
}{
	{exitOK, "success"},
	{exitFailed, "the command ran and found a problem (a run failed, an audit found a failing rule, no known code)"},
	{exitUsage, "usage or configuration error (bad flags or arguments, a configuration problem)"},
	{exitRefused, "refused: a precondition, a change without approval, or another run changing the same server"},
	{exitInternal, "wsbbot could not do its own part: the record (store.path) could not be opened, read or written, " +
		"or an unexpected internal failure; the message says which"},
}

// exitCodesText renders exitCodeHelp for a help text.
func exitCodesText() string {
	var b strings.Builder
	b.WriteString("Exit codes:\n")
	for _, c := range exitCodeHelp {
		fmt.Fprintf(&b, "  %d  %s\n", c.code, c.meaning)
	}
	return b.String()
}

// exitError carries an exit code through cobra's error return. Its message,
// when not empty, is printed on stderr.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a usage problem (exit 2).
func usageErrorf(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends the command with code and no further message (the command
// has already printed what the user needs).
func silentExit(code int) error { return &exitError{code: code} }

// env is the process environment as the commands see it; tests pass their own.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	vars   []string
}

func (e env) lookup(key string) (string, bool) {
	for i := len(e.vars) - 1; i >= 0; i-- {
		kv := e.vars[i]
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return kv[len(key)+1:], true
		}
	}
	return "", false
}

func main() {
	// Started by the Windows Service Control Manager: it stops the command.
	if code, ok := runAsService(func(ctx context.Context, stdout, stderr io.Writer) int {
		return run(ctx, os.Args[1:], env{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, vars: os.Environ()})
	}); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, vars: os.Environ()})
	stop()
	os.Exit(code)
}

// run executes one wsbbot command line through Main and returns its exit
// code.
func run(ctx context.Context, args []string, e env) int {
	m := &Main{Args: args, Env: e}
	err := m.Run(ctx)
	if cerr := m.Close(); cerr != nil && err == nil {
		err = &exitError{code: exitInternal, err: cerr}
	}
	return exitCode(err, e.stderr)
}

// exitCode prints err (if it has something to say) and returns its code.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			fmt.Fprintln(stderr, "wsbbot:", xe.err)
		}
		return xe.code
	}
	// Anything cobra itself returns (unknown command, bad flag, wrong
	// argument count) is a usage error.
	fmt.Fprintln(stderr, "wsbbot:", err)
	fmt.Fprintln(stderr, "Run 'wsbbot --help' for usage.")
	return exitUsage
}

// Main is one wsbbot process: a command line and its environment. The
// commands ask it for what they need (the configuration, the runbook set,
// the record, the executor, the oncall service); each is built once, from
// the configuration, on first use, and Close releases them. End-to-end
// tests run the real wiring through it, as main does.
type Main struct {
	Args []string
	Env  env

	configFile string // --config, set by the root command's flags

	cfg    *config.Config
	set    *runbooks.Set
	setErr error
	st     store.File
	lg     *slog.Logger
	exec   *remote.Executor
	svc    *oncall.Service
	know   *oncall.Service
	// svcHasRunbooks: svc was built with the runbook files (recordService
	// builds it without them).
	svcHasRunbooks bool
	cleanups       []func()
}

// Run executes the command line.
func (m *Main) Run(ctx context.Context) error {
	cmd := newRootCommand(m)
	cmd.SetArgs(m.Args)
	return cmd.ExecuteContext(ctx)
}

// Close closes the record and stops what the command started (the
// console's lab), in reverse order.
func (m *Main) Close() error {
	var err error
	if m.st != nil {
		err = m.st.Close()
		m.st = nil
	}
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
	m.cleanups = nil
	return err
}

// serviceError turns a use case's error into the CLI's exit status: a
// request that names what does not exist or breaks a rule is a usage error
// (2), a refusal is 3, a missing record or a failure 1, anything else an
// internal error (4).
func serviceError(err error) error {
	code := exitInternal
	switch oncall.Code(err) {
	case oncall.Invalid:
		code = exitUsage
	case oncall.NotFound, oncall.Failed:
		code = exitFailed
	case oncall.Refused:
		code = exitRefused
	}
	return &exitError{code: code, err: err}
}

// writeJSON prints v as indented JSON without HTML escaping (paths and
// PowerShell text stay readable).
//
// It is what an Encoder with SetIndent writes, byte for byte, but indents
// into a buffer sized once: the Encoder grows its indent buffer by
// doubling, which for an audit of 1,000 servers (megabytes of findings) was
// most of the time spent printing.
func writeJSON(w io.Writer, v any) error {
	var compact bytes.Buffer
	enc := json.NewEncoder(&compact)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil { // grows out once, to twice the input
		return err
	}
	_, err := w.Write(out.Bytes())
	return err
}

// gcPercent is the garbage collector's target of serve and audit unless
// GOGC is set. Both keep a live heap of a few MB and allocate fast around
// it, so at Go's default of 100 the collector runs very often:
//   - serve at 200 mentions/s: about 17 times a second (GODEBUG=gctrace=1),
//     each stopping the world twice; on a busy machine one stop waited
//     65 ms. At 400, about a fifth as often, the heap goal still far below
//     the 60 MB idle target.
//   - audit of 1,000 servers (about 250 MB allocated around 4-8 MB live):
//     47 collections, about 0.5 s of CPU; at 400, 18 (0.15 s), with a peak
//     of 90-105 MB instead of 59 MB, within the 150 MB budget
//     (BenchmarkAuditNetwork1000).
const gcPercent = 400

// paceGC sets the collector's target to gcPercent unless the environment
// sets GOGC, and returns the function that restores the previous target.
func paceGC(e env) (restore func()) {
	if _, set := e.lookup("GOGC"); set {
		return func() {}
	}
	old := debug.SetGCPercent(gcPercent)
	return func() { debug.SetGCPercent(old) }
}
