// Package strictyaml owns strict decoding of wsbbot's YAML files: unknown keys,
// type mismatches, duplicate keys, syntax errors, empty files and multi-document
// files are all reported at once, each as a Problem located at "file:line".
//
// It also keeps the parsed node tree (Doc) so that callers validating the decoded
// values can locate their own problems at the right line.
package strictyaml

import (
	"cmp"
	"errors"
	"slices"
	"strconv"
)

// Severity says whether a Problem stops a file from being used.
type Severity int

const (
	// Error is a problem that makes the file (or the part of it) unusable.
	Error Severity = iota
	// Warning is a problem worth telling an operator about that does not
	// stop the file from being used.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	default:
		return "severity(" + strconv.Itoa(int(s)) + ")"
	}
}

// Problem is one thing wrong with one YAML file, at one line.
// Line 0 means the problem concerns the whole file.
//
// Problem implements error, so errors.As can recover it from Problems.Err.
type Problem struct {
	File     string
	Line     int
	Severity Severity
	Msg      string
}

// String formats the problem as "file:line: message", or
// "file:line: warning: message" for warnings. A problem with Line 0 is
// formatted as "file: message".
func (p Problem) String() string {
	where := p.File
	if p.Line > 0 {
		where += ":" + strconv.Itoa(p.Line)
	}
	msg := p.Msg
	if p.Severity == Warning {
		msg = "warning: " + msg
	}
	if where == "" {
		return msg
	}
	return where + ": " + msg
}

// Error returns p.String().
func (p Problem) Error() string { return p.String() }

// Problems is a list of problems, usually covering many files.
type Problems []Problem

// Errors returns the problems of Error severity, in order.
func (ps Problems) Errors() Problems { return ps.filter(Error) }

// Warnings returns the problems of Warning severity, in order.
func (ps Problems) Warnings() Problems { return ps.filter(Warning) }

func (ps Problems) filter(sev Severity) Problems {
	var out Problems
	for _, p := range ps {
		if p.Severity == sev {
			out = append(out, p)
		}
	}
	return out
}

// Err returns nil when there is no problem of Error severity, and otherwise
// the errors.Join of every Error-severity problem (each an error whose
// Error() is its String()), in order. Warnings never make an error.
func (ps Problems) Err() error {
	var errs []error
	for _, p := range ps {
		if p.Severity == Error {
			errs = append(errs, p)
		}
	}
	return errors.Join(errs...)
}

// Sorted returns a sorted copy: by file, then line, then message. Problems
// equal in all three keep their order.
func (ps Problems) Sorted() Problems {
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b Problem) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return out
}
