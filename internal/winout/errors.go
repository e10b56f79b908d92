package winout

import (
	"errors"
	"fmt"
)

// ErrNotThisOutput is the sentinel every *NotThisOutputError matches with
// errors.Is.
var ErrNotThisOutput = errors.New("not this kind of output")

// ErrCommandFailed is the sentinel every *VSSAdminError and *CommandError
// matches with errors.Is: the command ran but printed an error instead of
// its normal output.
var ErrCommandFailed = errors.New("the command reported an error")

// NotThisOutputError says that the text is not the output of the command a
// parser handles. Reason explains why, in a form fit to show a user.
type NotThisOutputError struct {
	Kind   string // the kind of output the parser expected, one of Kinds
	Reason string // why the text was rejected
}

// Error implements error.
func (e *NotThisOutputError) Error() string {
	return fmt.Sprintf("parse %s: %s", e.Kind, e.Reason)
}

// Is reports whether target is ErrNotThisOutput.
func (e *NotThisOutputError) Is(target error) bool { return target == ErrNotThisOutput }

// VSSAdminError says that vssadmin itself failed: it printed an error line
// (e.g. "Error: 0x8000FFFF" or "エラー: ...") and no listing.
type VSSAdminError struct {
	// Code is the HRESULT printed with the error, canonical "0x" followed
	// by 8 upper-case hex digits; empty when vssadmin printed only text.
	Code string `json:"code"`
	// Message is the error text as printed, continuation lines joined by a
	// space.
	Message string `json:"message"`
}

// Error implements error.
func (e *VSSAdminError) Error() string {
	switch {
	case e.Code != "" && e.Message != "" && e.Message != e.Code:
		return fmt.Sprintf("vssadmin reported error %s: %s", e.Code, e.Message)
	case e.Code != "":
		return "vssadmin reported error " + e.Code
	default:
		return "vssadmin reported an error: " + e.Message
	}
}

// Is reports whether target is ErrCommandFailed.
func (e *VSSAdminError) Is(target error) bool { return target == ErrCommandFailed }

// CommandError says that a command other than vssadmin (fsutil, wbadmin)
// printed an error instead of its normal output.
type CommandError struct {
	Command string `json:"command"` // "fsutil" or "wbadmin"
	// Code is the HRESULT printed with the error, canonical "0x" followed
	// by 8 upper-case hex digits; empty when none was printed.
	Code    string `json:"code"`
	Message string `json:"message"` // the error text as printed
}

// Error implements error.
func (e *CommandError) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("%s reported error %s: %s", e.Command, e.Code, e.Message)
	}
	return fmt.Sprintf("%s reported an error: %s", e.Command, e.Message)
}

// Is reports whether target is ErrCommandFailed.
func (e *CommandError) Is(target error) bool { return target == ErrCommandFailed }

func notThis(kind, format string, args ...any) error {
	return &NotThisOutputError{Kind: kind, Reason: fmt.Sprintf(format, args...)}
}
