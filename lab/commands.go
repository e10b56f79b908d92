package lab

import (
	"strings"
)

// cmdEntry is one command pattern of the cmd table and its handler.
//
// Patterns are words matched case-insensitively; {name} captures one
// argument, {name...} captures the rest (it must come last). Entries are
// tried in order, so put specific patterns before catch-alls. To simulate a
// new command, add a line to commandTable.
type cmdEntry struct {
	pattern string
	toks    []string
	run     func(e *execEnv, a cmdArgs) int
}

// cmdArgs are a matched command's captures.
type cmdArgs struct {
	vals map[string][]string
	raw  string
}

func (a cmdArgs) one(k string) string {
	if v := a.vals[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func (a cmdArgs) list(k string) []string { return a.vals[k] }

func (c cmdEntry) match(prog string, toks []string) (cmdArgs, bool) {
	if len(c.toks) == 0 || c.toks[0] != prog {
		return cmdArgs{}, false
	}
	a := cmdArgs{vals: map[string][]string{}}
	i := 1
	for _, pt := range c.toks[1:] {
		if strings.HasPrefix(pt, "{") && strings.HasSuffix(pt, "...}") {
			a.vals[strings.TrimSuffix(pt[1:], "...}")] = toks[i:]
			return a, true
		}
		if i >= len(toks) {
			return cmdArgs{}, false
		}
		if strings.HasPrefix(pt, "{") && strings.HasSuffix(pt, "}") {
			a.vals[pt[1:len(pt)-1]] = []string{toks[i]}
		} else if !strings.EqualFold(pt, toks[i]) {
			return cmdArgs{}, false
		}
		i++
	}
	if i != len(toks) {
		return cmdArgs{}, false
	}
	return a, true
}

// commandTable is the cmd.exe command table: what a host answers to plain
// command lines (and to native commands in PowerShell scripts).
func commandTable() []cmdEntry {
	entries := []cmdEntry{
		{pattern: "vssadmin list writers", run: cmdVssWriters},
		{pattern: "vssadmin list shadowstorage {opts...}", run: cmdVssShadowStorage},
		{pattern: "vssadmin list shadows {opts...}", run: cmdVssShadows},
		{pattern: "vssadmin list providers", run: cmdVssProviders},
		{pattern: "vssadmin {rest...}", run: cmdVssInvalid},

		{pattern: "wbadmin get versions {opts...}", run: cmdWbVersions},
		{pattern: "wbadmin get status", run: cmdWbStatus},
		{pattern: "wbadmin get disks", run: cmdWbDisks},
		{pattern: "wbadmin start backup {opts...}", run: cmdWbStartBackup},
		{pattern: "wbadmin stop job {opts...}", run: cmdWbStopJob},
		{pattern: "wbadmin {rest...}", run: cmdWbInvalid},

		{pattern: "fsutil usn queryjournal {vol}", run: cmdUsnQuery},
		{pattern: "fsutil usn deletejournal {args...}", run: cmdUsnDelete},
		{pattern: "fsutil volume diskfree {vol}", run: cmdDiskFree},
		{pattern: "fsutil {rest...}", run: cmdFsutilInvalid},

		{pattern: "mountvol", run: cmdMountvolList},
		{pattern: "mountvol {mp} /d", run: cmdMountvolRemove},
		{pattern: "mountvol {mp} /p", run: cmdMountvolRemove},
		{pattern: "mountvol {mp} /l", run: cmdMountvolShow},
		{pattern: "mountvol {mp} {vol}", run: cmdMountvolAssign},
		{pattern: "mountvol {rest...}", run: cmdMountvolUsage},

		{pattern: "net stop {svc...}", run: cmdNetStop},
		{pattern: "net start", run: cmdNetStartList},
		{pattern: "net start {svc...}", run: cmdNetStart},
		{pattern: "sc query {svc}", run: cmdScQuery},
		{pattern: "sc queryex {svc}", run: cmdScQuery},

		{pattern: "hostname", run: cmdHostname},
		{pattern: "whoami", run: cmdWhoami},
		{pattern: "findstr {args...}", run: cmdFindstr},
		{pattern: "find {args...}", run: cmdFind},
	}
	for i := range entries {
		entries[i].toks = strings.Fields(strings.ToLower(entries[i].pattern))
	}
	return entries
}
