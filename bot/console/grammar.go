package console

import (
	"strings"
)

// verb is what a line asks for.
type verb int

const (
	verbLookup verb = iota // anything else: text that may hold error codes
	verbQuit
	verbHelp
	verbServers
	verbDiagnose
	verbRun
	verbAudit
	verbHistory
	verbRestoreTest
	verbRunbooks
	verbGuide
	verbBad // a known verb used wrongly: usage names the right form
)

// command is one parsed line.
type command struct {
	verb   verb
	server string
	code   string            // diagnose
	target string            // run: the runbook; guide: the topic
	params map[string]string // run
	date   string            // restore-test
	text   string            // lookup: the whole line
	usage  string            // verbBad: the form expected
}

// parse reads one line of the chat grammar. Verbs are case-insensitive;
// a line that starts with no verb is text to look codes up in.
func parse(line string) command {
	f := strings.Fields(line)
	if len(f) == 0 {
		return command{verb: verbLookup, text: line}
	}
	bad := func(usage string) command { return command{verb: verbBad, usage: usage} }
	switch strings.ToLower(f[0]) {
	case "quit", "exit", "bye":
		return command{verb: verbQuit}
	case "help", "?":
		return command{verb: verbHelp}
	case "servers":
		return command{verb: verbServers}
	case "runbooks":
		return command{verb: verbRunbooks}
	case "diagnose":
		if len(f) < 2 || len(f) > 3 {
			return bad("diagnose SERVER [CODE]")
		}
		c := command{verb: verbDiagnose, server: f[1]}
		if len(f) == 3 {
			c.code = f[2]
		}
		return c
	case "run":
		if len(f) < 4 || !strings.EqualFold(f[2], "on") {
			return bad("run RUNBOOK on SERVER [key=value ...]")
		}
		c := command{verb: verbRun, target: f[1], server: f[3], params: map[string]string{}}
		for _, kv := range f[4:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return bad("run RUNBOOK on SERVER [key=value ...]")
			}
			c.params[k] = v
		}
		return c
	case "audit":
		if len(f) > 2 {
			return bad("audit [SERVER]")
		}
		c := command{verb: verbAudit}
		if len(f) == 2 {
			c.server = f[1]
		}
		return c
	case "history":
		if len(f) > 2 {
			return bad("history [SERVER]")
		}
		c := command{verb: verbHistory}
		if len(f) == 2 {
			c.server = f[1]
		}
		return c
	case "restore-test":
		// restore-test done SERVER [YYYY-MM-DD | --date YYYY-MM-DD]
		args := f[1:]
		if len(args) >= 1 && strings.EqualFold(args[0], "done") {
			args = args[1:]
		} else {
			return bad("restore-test done SERVER [YYYY-MM-DD]")
		}
		switch {
		case len(args) == 1:
			return command{verb: verbRestoreTest, server: args[0]}
		case len(args) == 2:
			return command{verb: verbRestoreTest, server: args[0], date: args[1]}
		case len(args) == 3 && args[1] == "--date":
			return command{verb: verbRestoreTest, server: args[0], date: args[2]}
		}
		return bad("restore-test done SERVER [YYYY-MM-DD]")
	case "guide":
		if len(f) != 2 {
			return bad("guide TOPIC")
		}
		return command{verb: verbGuide, target: f[1]}
	}
	return command{verb: verbLookup, text: line}
}
