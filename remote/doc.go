// Package remote will own remote execution on Windows servers over WinRM:
// the implementation of the runbook engine's Executor with one shell per
// target per run, hard deadlines, output caps, code-page and CLIXML decoding,
// bounded fan-out, and plain-words classification of every WinRM failure.
//
// Not written yet: it arrives with the remote-execution issue.
package remote
