package ps

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Host is what a script runs against: the simulated server's commands,
// environment and clock. Implementations are called from one goroutine per
// Run, but one Host may serve many Runs at once.
type Host interface {
	// Command returns the host's cmdlet of that name or alias (any case).
	// The language's own cmdlets (Builtin) are looked up first.
	Command(name string) (*Command, bool)
	// Native returns the native program a command name (vssadmin,
	// fsutil.exe, C:\Windows\System32\mountvol.exe) runs, if the host
	// has it.
	Native(name string) (Native, bool)
	// Env returns an environment variable ($env:NAME; COMPUTERNAME,
	// USERPROFILE, ...).
	Env(name string) (string, bool)
	// Now is the host's current time in its time zone.
	Now() time.Time
}

// Native runs a native program with its arguments (the program name not
// included): stdin is what the pipeline sent it, and its exit code becomes
// $LASTEXITCODE.
type Native func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int

// Command is a cmdlet: its parameters, for binding, and what it does.
type Command struct {
	Name       string
	Named      []string // parameters that take a value
	Switches   []string // switch parameters
	Positional []string // parameters bound from positional arguments, in order
	Varargs    bool     // extra positional arguments go to the last positional parameter
	Run        func(c *Call) ([]any, error)
}

// Session is one run's surroundings.
type Session struct {
	Host    Host
	Culture *Culture
	User    string // the WinRM user; "" is Administrator
	Build   string // the OS build, e.g. 10.0.17763 ($PSVersionTable)
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	// Scripts, when set, is shared by every Run of the same scripts; nil
	// parses each script afresh.
	Scripts *Cache
}

// Culture holds what the interpreter prints that Windows localizes: its
// own error messages (fmt formats) and the culture's date layouts.
type Culture struct {
	Lang string // "en" or "ja"

	NotRecognized  string // %s: a command name
	AtLine         string // %d %d: line and column
	ParamNotFound  string // %s: a parameter name
	Positional     string // %s: an argument
	MethodNotFound string // %s %s: a type and a method
	Unsupported    string // %s: the construct the interpreter does not run
	CannotConvert  string // %s %s: a value and a type

	ShortDateTime, ShortDate, DateTimeNoSec, LongDate string // Go layouts (en)
}

// DateTime formats like DateTime.ToString() in the culture: en-US
// "3/15/2024 2:00:13 AM", ja-JP "2024/03/15 2:00:13".
func (c *Culture) DateTime(tm time.Time) string {
	if c.Lang == "ja" {
		return tm.Format("2006/01/02") + " " + tm.Format("15:04:05")[trimHour(tm):]
	}
	return tm.Format(c.ShortDateTime)
}

// DateTimeNoSeconds formats like wbadmin's "Backup time": en-US "6/30/2026
// 12:26 PM", ja-JP "2023/03/01 18:13".
func (c *Culture) DateTimeNoSeconds(tm time.Time) string {
	if c.Lang == "ja" {
		return tm.Format("2006/01/02") + " " + tm.Format("15:04")[trimHour(tm):]
	}
	return tm.Format(c.DateTimeNoSec)
}

// LongDateTime formats like PowerShell's default display of a DateTime:
// en-US "Friday, March 15, 2024 2:00:13 AM", ja-JP "2024年3月15日 2:00:13".
func (c *Culture) LongDateTime(tm time.Time) string {
	if c.Lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日 %s", tm.Year(), int(tm.Month()), tm.Day(), tm.Format("15:04:05")[trimHour(tm):])
	}
	return tm.Format(c.LongDate)
}

// trimHour is 1 when the 24-hour clock hour has one digit, so that
// "02:00:13"[1:] gives ja-JP's "H:mm:ss" form.
func trimHour(tm time.Time) int {
	if tm.Hour() < 10 {
		return 1
	}
	return 0
}
