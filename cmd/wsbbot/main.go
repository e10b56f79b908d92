// Command wsbbot is a ChatOps bot for Windows Server Backup on-call work.
//
// This file holds the entry point and the exit-code contract; each
// subcommand lives in a file of its own and only wires packages together.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by every subcommand.
const (
	exitOK       = 0
	exitFailed   = 1 // the command ran and found a problem (or found nothing)
	exitUsage    = 2 // bad flags, arguments or configuration
	exitRefused  = 3 // reserved: a precondition or a missing approval refused a change
	exitInternal = 4
)

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, vars: os.Environ()})
	stop()
	os.Exit(code)
}

// run executes one wsbbot command line and returns its exit code.
func run(ctx context.Context, args []string, e env) int {
	cmd := newRootCommand(e)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var xe *exitError
	if errors.As(err, &xe) {
		if xe.err != nil {
			fmt.Fprintln(e.stderr, "wsbbot:", xe.err)
		}
		return xe.code
	}
	// Anything cobra itself returns (unknown command, bad flag, wrong
	// argument count) is a usage error.
	fmt.Fprintln(e.stderr, "wsbbot:", err)
	fmt.Fprintln(e.stderr, "Run 'wsbbot --help' for usage.")
	return exitUsage
}

// writeJSON prints v as indented JSON without HTML escaping (paths and
// PowerShell text stay readable).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
