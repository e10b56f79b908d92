package runbooks

import (
	"fmt"
	"path"
	"strings"
	"unicode"
)

// Read-only is a property the loader checks, not a label it trusts: every
// step marked read-only (all steps of a diagnose runbook, every step a dry
// run executes, preconditions and verify steps) may run only commands on
// the allow-list below and may not invoke anything dynamically. The check
// is deny-by-default: a command it cannot place is refused, so a refusal
// may be a false alarm (then mark the step `mode: change`, which puts it
// behind approval), never the other way round.

// roProblem is one reason a script is not read-only.
type roProblem struct {
	Line int // 1-based line within the script
	Msg  string
}

// readOnlyProblems checks a read-only step's script for its shell.
func readOnlyProblems(shell Shell, script string) []roProblem {
	if shell == ShellCmd {
		return cmdReadOnly(script)
	}
	s := &psScanner{src: []rune(script), line: 1}
	s.statements(0)
	return s.problems
}

// readOnlyVerbs are the PowerShell verbs whose cmdlets only read (Verb-Noun).
var readOnlyVerbs = map[string]bool{
	"get": true, "test": true, "measure": true, "convertto": true, "convertfrom": true, "select": true,
	"format": true, "compare": true, "resolve": true, "find": false,
}

// readOnlyCmdlets are allowed cmdlets outside readOnlyVerbs, and the
// aliases that name allowed cmdlets.
var readOnlyCmdlets = map[string]string{
	"where-object": "where-object", "foreach-object": "foreach-object", "sort-object": "sort-object",
	"group-object": "group-object", "join-path": "join-path", "split-path": "split-path",
	"out-string": "out-string", "out-null": "out-null", "write-output": "write-output", "write-host": "write-host",
	"write-verbose": "write-verbose", "write-warning": "write-warning", "write-error": "write-error",
	"write-debug": "write-debug", "write-information": "write-information", "add-member": "add-member",
	"start-sleep": "start-sleep", "new-timespan": "new-timespan",
	"?": "where-object", "where": "where-object", "%": "foreach-object", "foreach": "foreach-object",
	"select": "select-object", "sort": "sort-object", "group": "group-object", "measure": "measure-object",
	"echo": "write-output", "ft": "format-table", "fl": "format-list", "fw": "format-wide",
	"gci": "get-childitem", "dir": "get-childitem", "ls": "get-childitem", "gc": "get-content", "cat": "get-content",
	"gsv": "get-service", "gps": "get-process", "gwmi": "get-wmiobject", "gcim": "get-ciminstance",
	"gi": "get-item", "gp": "get-itemproperty", "gdr": "get-psdrive", "gm": "get-member", "sls": "select-string",
}

// deniedCmdlets are read-only-looking cmdlets with a changing mode.
var deniedParams = map[string][]string{
	"test-computersecurechannel": {"-repair"},
}

// readOnlyMethods are the .NET methods a read-only script may call on a
// value: string, number, date and collection helpers that change nothing.
var readOnlyMethods = map[string]bool{
	"split": true, "trim": true, "trimstart": true, "trimend": true, "tostring": true, "substring": true,
	"replace": true, "contains": true, "startswith": true, "endswith": true, "tolower": true, "toupper": true,
	"tolowerinvariant": true, "toupperinvariant": true, "indexof": true, "lastindexof": true, "equals": true,
	"compareto": true, "padleft": true, "padright": true, "where": true, "foreach": true, "gettype": true,
	"adddays": true, "addhours": true, "addminutes": true, "addseconds": true, "addmonths": true, "addyears": true,
	"touniversaltime": true, "tolocaltime": true, "tostring_": true, "containskey": true, "getvalue": false,
	"getenumerator": true, "toarray": true, "join": true, "format": true, "isnullorempty": true,
	"isnullorwhitespace": true, "round": true, "floor": true, "ceiling": true, "abs": true, "max": true, "min": true,
	"parse": true, "tryparse": false, "getbytes": true, "getstring": true, "normalize": true, "subtract": true,
	"tofiletime": true, "toshortdatestring": true, "tolongdatestring": true, "match": true, "matches": true,
	"ismatch": true, "escape": true, "tobase64string": true, "frombase64string": true, "toint32": true,
	"toint64": true, "todouble": true, "toboolean": true, "getfilename": true, "getextension": true,
	"getdirectoryname": true, "combine": true, "getpathroot": true, "getfilenamewithoutextension": true,
}

// readOnlyTypes are the types whose static members a read-only script may
// use ([math]::Round, [string]::Join, ...): none of them changes anything.
var readOnlyTypes = map[string]bool{
	"math": true, "string": true, "datetime": true, "timespan": true, "int": true, "int32": true, "int64": true,
	"long": true, "double": true, "decimal": true, "char": true, "bool": true, "boolean": true, "byte": true,
	"regex": true, "text.regularexpressions.regex": true, "convert": true, "bitconverter": true, "guid": true,
	"version": true, "io.path": true, "uri": true, "text.encoding": true, "globalization.cultureinfo": true,
	"uint32": true, "uint64": true,
}

// readOnlyEnvironment are the members of [Environment] that only read.
var readOnlyEnvironment = map[string]bool{
	"machinename": true, "osversion": true, "is64bitoperatingsystem": true, "processorcount": true,
	"newline": true, "username": true, "userdomainname": true, "getenvironmentvariable": true,
	"tickcount": true, "version": true,
}

// psKeywords are PowerShell's statement keywords; refusedKeywords load or
// define code in ways the check cannot follow.
var (
	psKeywords = map[string]bool{
		"if": true, "elseif": true, "else": true, "foreach": true, "for": true, "while": true, "do": true,
		"until": true, "switch": true, "try": true, "catch": true, "finally": true, "return": true, "throw": true,
		"break": true, "continue": true, "exit": true, "param": true, "begin": true, "process": true, "end": true,
		"in": true,
	}
	refusedKeywords = map[string]bool{
		"function": true, "filter": true, "workflow": true, "class": true, "enum": true, "using": true,
		"data": true, "trap": true, "dynamicparam": true, "configuration": true,
	}
)

// psScanner walks a PowerShell script far enough to find every command it
// invokes: command names at command position, method calls, static member
// calls, the call and dot-source operators, redirections and script text
// inside double-quoted strings' subexpressions.
type psScanner struct {
	src      []rune
	i        int
	line     int
	problems []roProblem
	cur      string // the cmdlet whose arguments are being read
}

func (s *psScanner) problemf(format string, args ...any) {
	s.problems = append(s.problems, roProblem{Line: s.line, Msg: fmt.Sprintf(format, args...)})
}

func (s *psScanner) peek(k int) rune {
	if s.i+k < len(s.src) {
		return s.src[s.i+k]
	}
	return 0
}

func isDash(r rune) bool { return r == '-' || r == '\u2013' || r == '\u2014' || r == '\u2015' }

// wordRune reports whether r continues a bareword.
func wordRune(r rune) bool {
	switch r {
	case 0, ' ', '\t', '\r', '\n', ';', '|', '(', ')', '{', '}', '[', ']', ',', '=', '<', '>', '&', '"', '\'', '#',
		'\u00a0', '\u2028', '\u2029':
		return false
	}
	return !unicode.IsSpace(r) && r != '\u201c' && r != '\u201d' && r != '\u2018' && r != '\u2019'
}

// statements scans until the end of input, or until closer (')' or '}'),
// which it consumes.
func (s *psScanner) statements(closer rune) { s.body(closer, false) }

// body is statements; in a hashtable literal (hash), a name followed by =
// is a key, not a command.
func (s *psScanner) body(closer rune, hash bool) {
	saved := s.cur
	defer func() { s.cur = saved }()
	cmdPos := true
	needBlock := false // after ForEach-Object: only a script block may follow
	var native *nativeCall
	finishNative := func() {
		if native != nil {
			if msg := native.check(); msg != "" {
				s.problems = append(s.problems, roProblem{Line: native.line, Msg: msg})
			}
			native = nil
		}
	}
	prevValue := false // the previous token was a value ($x, ), ], a string): '.' and '[' attach to it
	for s.i < len(s.src) {
		r := s.src[s.i]
		attached := prevValue
		prevValue = false
		switch {
		case r == '\n':
			s.line++
			s.i++
			finishNative()
			cmdPos = true
		case r == '`' && (s.peek(1) == '\n' || s.peek(1) == '\r'):
			s.i++ // line continuation
		case unicode.IsSpace(r):
			s.i++
		case r == '#':
			for s.i < len(s.src) && s.src[s.i] != '\n' {
				s.i++
			}
		case r == '<' && s.peek(1) == '#':
			s.i += 2
			for s.i < len(s.src) && !(s.src[s.i] == '#' && s.peek(1) == '>') {
				if s.src[s.i] == '\n' {
					s.line++
				}
				s.i++
			}
			s.i += 2
		case r == ';':
			s.i++
			finishNative()
			cmdPos = true
		case r == '|':
			s.i++
			if s.peek(0) == '|' {
				s.i++
			}
			finishNative()
			cmdPos = true
		case r == '&':
			if s.peek(1) == '&' {
				s.i += 2
				finishNative()
				cmdPos = true
				continue
			}
			s.problemf("the call operator & runs a command chosen at run time; a read-only step may not invoke anything dynamically")
			s.i++
			cmdPos = true
		case r == '(' || (r == '$' || r == '@') && s.peek(1) == '(':
			if r != '(' {
				s.i++
			}
			s.i++
			needBlock = s.checkNeedBlock(needBlock, "(")
			if native != nil {
				native.args = append(native.args, "(")
			}
			s.statements(')')
			prevValue = true
			cmdPos = false
		case r == '@' && s.peek(1) == '{':
			s.i += 2
			s.body('}', true)
			prevValue = true
			cmdPos = false
		case r == '{':
			s.i++
			needBlock = false
			s.statements('}')
			cmdPos = false
		case r == ')' || r == '}' || r == ']':
			s.i++
			finishNative()
			if r == closer {
				return
			}
			prevValue = true
			cmdPos = false
		case r == '\'' || r == '\u2018' || r == '\u2019':
			s.singleQuoted()
			s.noteArg(native, "'")
			needBlock = s.checkNeedBlock(needBlock, "a string")
			prevValue, cmdPos = true, false
		case r == '"' || r == '\u201c' || r == '\u201d':
			s.doubleQuoted()
			s.noteArg(native, "\"")
			needBlock = s.checkNeedBlock(needBlock, "a string")
			prevValue, cmdPos = true, false
		case r == '@' && (s.peek(1) == '\'' || s.peek(1) == '"'):
			s.hereString()
			prevValue, cmdPos = true, false
		case r == '$':
			s.variable()
			s.noteArg(native, "$")
			needBlock = s.checkNeedBlock(needBlock, "a variable")
			prevValue, cmdPos = true, false
		case r == '[' && !attached:
			s.typeLiteral()
			prevValue, cmdPos = true, false
		case r == '[':
			s.i++ // an index: its contents are ordinary tokens
		case r == '.' && attached && (unicode.IsLetter(s.peek(1)) || s.peek(1) == '_'):
			s.member()
			prevValue = true
		case r == '.' && cmdPos && (s.peek(1) == ' ' || s.peek(1) == '\t' || s.peek(1) == '$' || s.peek(1) == '\'' || s.peek(1) == '"' || s.peek(1) == '('):
			s.problemf("the dot-source operator . runs a script chosen at run time; a read-only step may not invoke anything dynamically")
			s.i++
		case r == ':' && s.peek(1) == ':':
			s.i += 2 // static member of an expression's type: read the name, check it as a method
			s.member()
			prevValue = true
		case r == '>' || (r == '2' || r == '*' || r == '1' || r == '3' || r == '4' || r == '5' || r == '6') && s.peek(1) == '>':
			s.redirection()
		case r == '=':
			s.i++
			if s.peek(0) == '=' {
				s.i++
			}
			cmdPos = true
		case r == ',':
			s.i++
		case r == '<':
			s.i++
		case isDash(r) && cmdPos && unicode.IsLetter(s.peek(1)):
			// an operator at the start of an expression (-not, -join)
			s.bareword()
		case isDash(r) && !cmdPos:
			w := s.bareword()
			if native != nil {
				native.args = append(native.args, w)
				continue
			}
			if needBlock && len(w) > 1 && strings.HasPrefix("-membername", w) {
				s.problemf("ForEach-Object -MemberName invokes a method by name on every input object")
				needBlock = false
			}
			if cur := s.currentCmdlet(); cur != "" {
				for _, p := range deniedParams[cur] {
					if strings.HasPrefix(p, w) && len(w) > 2 {
						s.problemf("%s %s changes the server; a read-only step may not use it", cur, w)
					}
				}
			}
		default:
			w := s.bareword()
			if w == "" {
				s.i++
				continue
			}
			if !cmdPos {
				needBlock = s.checkNeedBlock(needBlock, w)
				if native != nil {
					native.args = append(native.args, w)
				}
				prevValue = true
				continue
			}
			// A hashtable key (name = value) is not a command.
			if hash && s.nextNonSpace() == '=' && s.peekAfterSpace(1) != '=' {
				continue
			}
			switch {
			case refusedKeywords[w]:
				s.problemf("%s is not allowed in a read-only step: it defines or loads code the check cannot follow", w)
				continue
			case w == "foreach" && s.nextNonSpace() == '(':
				continue // the loop keyword
			case psKeywords[w]:
				continue // a command position follows
			}
			cmdPos = false
			s.cur = w
			switch name := commandName(w); {
			case isNumber(w):
				prevValue = true
			case readOnlyCmdletName(name) != "":
				if c := readOnlyCmdletName(name); c == "foreach-object" {
					needBlock = true
				}
				s.cur = readOnlyCmdletName(name)
			case nativeRules[strings.TrimSuffix(name, ".exe")] != nil:
				native = &nativeCall{name: strings.TrimSuffix(name, ".exe"), line: s.line}
			default:
				s.problemf("%s is not on the read-only allow-list (Get-, Test-, Measure-, Select-, Where-, Sort-, "+
					"ConvertTo-, Format- cmdlets; vssadmin list, wbadmin get, fsutil ... query, mountvol /L ...): "+
					"mark the step `mode: change` if it changes the server", w)
			}
		}
	}
	finishNative()
	if closer != 0 {
		s.problemf("unbalanced brackets: %c missing", closer)
	}
}

// currentCmdlet is the cmdlet whose arguments the scanner is reading.
func (s *psScanner) currentCmdlet() string { return s.cur }

// checkNeedBlock refuses ForEach-Object's member-name form (ForEach-Object
// Delete, % Stop), which calls a method by name on every input object.
func (s *psScanner) checkNeedBlock(need bool, what string) bool {
	if need {
		s.problemf("ForEach-Object takes a script block here, not %s: its member-name form invokes a method by name", what)
	}
	return false
}

func (s *psScanner) noteArg(n *nativeCall, kind string) {
	if n != nil {
		n.args = append(n.args, kind)
	}
}

func (s *psScanner) nextNonSpace() rune {
	for k := s.i; k < len(s.src); k++ {
		if s.src[k] != ' ' && s.src[k] != '\t' {
			return s.src[k]
		}
	}
	return 0
}

func (s *psScanner) peekAfterSpace(n int) rune {
	for k := s.i; k < len(s.src); k++ {
		if s.src[k] != ' ' && s.src[k] != '\t' {
			if k+n < len(s.src) {
				return s.src[k+n]
			}
			return 0
		}
	}
	return 0
}

// bareword reads a generic token, removing escapes and folding case and
// dashes, and returns it ("" when none).
func (s *psScanner) bareword() string {
	var b strings.Builder
	for s.i < len(s.src) {
		r := s.src[s.i]
		if r == '`' && s.i+1 < len(s.src) && s.src[s.i+1] != '\n' {
			b.WriteRune(s.src[s.i+1])
			s.i += 2
			continue
		}
		if !wordRune(r) {
			break
		}
		if isDash(r) {
			r = '-'
		}
		b.WriteRune(r)
		s.i++
	}
	return strings.ToLower(b.String())
}

func (s *psScanner) singleQuoted() {
	s.i++
	for s.i < len(s.src) {
		r := s.src[s.i]
		if r == '\n' {
			s.line++
		}
		s.i++
		if r == '\'' || r == '\u2018' || r == '\u2019' {
			if s.peek(0) == r {
				s.i++
				continue
			}
			return
		}
	}
}

// doubleQuoted skips an expandable string, scanning its $( ) parts as code.
func (s *psScanner) doubleQuoted() {
	s.i++
	for s.i < len(s.src) {
		r := s.src[s.i]
		switch {
		case r == '`':
			s.i += 2
		case r == '\n':
			s.line++
			s.i++
		case r == '$' && s.peek(1) == '(':
			s.i += 2
			s.statements(')')
		case r == '$':
			s.variable()
		case r == '"' || r == '\u201c' || r == '\u201d':
			s.i++
			if s.peek(0) == r {
				s.i++
				continue
			}
			return
		default:
			s.i++
		}
	}
}

func (s *psScanner) hereString() {
	expand := s.src[s.i+1] == '"'
	s.i += 2
	for s.i < len(s.src) {
		r := s.src[s.i]
		switch {
		case r == '\n':
			s.line++
			s.i++
			if k := s.i; k+1 < len(s.src) && (s.src[k] == '"' || s.src[k] == '\'') && s.src[k+1] == '@' {
				s.i += 2
				return
			}
		case expand && r == '$' && s.peek(1) == '(':
			s.i += 2
			s.statements(')')
		case expand && r == '$':
			s.variable()
		default:
			s.i++
		}
	}
}

// variable reads $name, ${name}, $env:X, $_ and refuses the variables that
// reach the engine itself.
func (s *psScanner) variable() {
	s.i++
	var b strings.Builder
	if s.peek(0) == '{' {
		for s.i++; s.i < len(s.src) && s.src[s.i] != '}'; s.i++ {
			b.WriteRune(s.src[s.i])
		}
		s.i++
	} else {
		for s.i < len(s.src) {
			r := s.src[s.i]
			if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == ':' || r == '?' || r == '^' || r == '$') {
				break
			}
			b.WriteRune(r)
			s.i++
			if r == '$' || r == '?' || r == '^' {
				break
			}
		}
	}
	name := strings.ToLower(b.String())
	if i := strings.LastIndex(name, ":"); i >= 0 && !strings.HasPrefix(name, "env:") {
		name = name[i+1:]
	}
	if name == "executioncontext" {
		s.problemf("$ExecutionContext reaches PowerShell's engine (InvokeCommand, InvokeScript): not allowed in a read-only step")
	}
}

// typeLiteral reads [Type] and, when it is followed by ::Member, checks the
// static member.
func (s *psScanner) typeLiteral() {
	depth := 0
	var b strings.Builder
	for s.i < len(s.src) {
		r := s.src[s.i]
		s.i++
		if r == '[' {
			depth++
			if depth == 1 {
				continue
			}
		}
		if r == ']' {
			depth--
			if depth == 0 {
				break
			}
		}
		b.WriteRune(r)
	}
	typ := strings.ToLower(strings.TrimSpace(b.String()))
	typ = strings.TrimPrefix(typ, "system.")
	for s.peek(0) == ' ' {
		s.i++
	}
	if s.peek(0) != ':' || s.peek(1) != ':' {
		return // a cast or a type constraint
	}
	s.i += 2
	member := s.memberName()
	switch {
	case typ == "environment" && readOnlyEnvironment[member]:
	case readOnlyTypes[typ]:
	default:
		s.problemf("[%s]::%s is not on the read-only allow-list of static members", typ, member)
	}
	if s.peek(0) == '(' {
		s.i++
		s.statements(')')
	}
}

func (s *psScanner) memberName() string {
	var b strings.Builder
	for s.i < len(s.src) && (unicode.IsLetter(s.src[s.i]) || unicode.IsDigit(s.src[s.i]) || s.src[s.i] == '_') {
		b.WriteRune(s.src[s.i])
		s.i++
	}
	return strings.ToLower(b.String())
}

// member reads .Name after a value; a call (.Name( ) must be on the
// read-only method list, and .ForEach/.Where take a script block.
func (s *psScanner) member() {
	if s.peek(0) == '.' {
		s.i++
	}
	name := s.memberName()
	if s.peek(0) != '(' {
		// Reading a property is fine; setting one on a live object
		// (a file's Attributes, a service's StartType) changes the server.
		if next := s.nextNonSpace(); next == '=' && s.peekAfterSpace(1) != '=' ||
			strings.ContainsRune("+-*/%", next) && s.peekAfterSpace(1) == '=' {
			s.problemf("setting the property %s of an object may change the server; a read-only step only reads", name)
		}
		return
	}
	switch {
	case !readOnlyMethods[name]:
		s.problemf(".%s() is not on the read-only allow-list of methods (a method of a live object may change the server)", name)
	case name == "foreach" || name == "where":
		k := s.i + 1
		for k < len(s.src) && s.src[k] == ' ' {
			k++
		}
		if k < len(s.src) && s.src[k] != '{' {
			s.problemf(".%s() takes a script block here: with a name it invokes a method by name", name)
		}
	}
}

// redirection allows only 2>&1-style merges and redirection to $null;
// anything else writes a file.
func (s *psScanner) redirection() {
	for s.i < len(s.src) && s.src[s.i] != '>' {
		s.i++
	}
	for s.i < len(s.src) && s.src[s.i] == '>' {
		s.i++
	}
	if s.peek(0) == '&' && (s.peek(1) == '1' || s.peek(1) == '2') {
		s.i += 2
		return
	}
	for s.peek(0) == ' ' {
		s.i++
	}
	if strings.HasPrefix(strings.ToLower(string(s.src[s.i:min(s.i+5, len(s.src))])), "$null") {
		s.i += 5
		return
	}
	s.problemf("a redirection to a file writes on the server; a read-only step may redirect only to $null")
}

// commandName strips a module or path qualifier: Microsoft.PowerShell.
// Management\Remove-Item is Remove-Item, C:\Windows\System32\vssadmin.exe
// is vssadmin.exe.
func commandName(w string) string {
	w = strings.ReplaceAll(w, "/", `\`)
	if i := strings.LastIndex(w, `\`); i >= 0 {
		w = w[i+1:]
	}
	return w
}

// readOnlyCmdletName returns the allowed cmdlet w names, or "".
func readOnlyCmdletName(w string) string {
	if c, ok := readOnlyCmdlets[w]; ok {
		return c
	}
	if verb, noun, ok := strings.Cut(w, "-"); ok && noun != "" && readOnlyVerbs[verb] && !strings.ContainsAny(noun, ".:") {
		return w
	}
	return ""
}

func isNumber(w string) bool {
	w = strings.TrimPrefix(w, "-")
	if w == "" {
		return false
	}
	for _, r := range w {
		if !unicode.IsDigit(r) && r != '.' && r != 'x' && r != 'e' && r != 'k' && r != 'm' && r != 'g' && r != 'b' && !('a' <= r && r <= 'f') {
			return false
		}
	}
	return unicode.IsDigit([]rune(w)[0])
}

// nativeCall is a Windows program and its arguments, checked when its
// pipeline element ends.
type nativeCall struct {
	name string
	args []string
	line int
}

func (n *nativeCall) check() string {
	if ok, why := nativeRules[n.name](n.args); !ok {
		return fmt.Sprintf("%s %s: %s", n.name, strings.Join(n.args, " "), why)
	}
	return ""
}

// nativeRules say which invocations of a Windows program only read. Each
// gets the arguments (lower-case; quoted or computed arguments appear as
// ', " or $, which no rule accepts where the verb must be known).
var nativeRules = map[string]func(args []string) (bool, string){
	"vssadmin": firstArg("vssadmin", "list"),
	"wbadmin":  firstArg("wbadmin", "get"),
	"fsutil": func(a []string) (bool, string) {
		switch {
		case len(a) >= 1 && a[0] == "fsinfo":
			return true, ""
		case len(a) >= 2 && (strings.HasPrefix(a[1], "query") || a[0] == "volume" && a[1] == "diskfree"):
			return true, ""
		}
		return false, "only fsutil fsinfo and the query subcommands (fsutil usn queryjournal ...) only read"
	},
	"mountvol": func(a []string) (bool, string) {
		switch {
		case len(a) == 0, len(a) == 2 && a[1] == "/l":
			return true, ""
		}
		return false, "only mountvol with no arguments or PATH /L lists; other forms assign or remove mount points"
	},
	"whoami": anyArgs, "hostname": anyArgs, "systeminfo": anyArgs, "tasklist": anyArgs, "ver": anyArgs,
	"echo": anyArgs, "type": anyArgs, "dir": anyArgs, "findstr": anyArgs, "where": anyArgs,
	"ipconfig": func(a []string) (bool, string) {
		if len(a) == 0 || len(a) == 1 && (a[0] == "/all" || a[0] == "/displaydns") {
			return true, ""
		}
		return false, "only ipconfig, ipconfig /all and /displaydns only read"
	},
	"reagentc": firstArg("reagentc", "/info"),
	"bcdedit":  firstArg("bcdedit", "/enum"),
	"wevtutil": func(a []string) (bool, string) {
		if len(a) > 0 && (a[0] == "qe" || a[0] == "el" || a[0] == "gl" || a[0] == "gli" || a[0] == "gp" || a[0] == "ep") {
			return true, ""
		}
		return false, "only the wevtutil query subcommands (qe, el, gl, gli, gp, ep) only read"
	},
	"sc": func(a []string) (bool, string) {
		if len(a) > 0 && (a[0] == "query" || a[0] == "queryex" || a[0] == "qc" || a[0] == "qdescription") ||
			len(a) > 1 && strings.HasPrefix(a[0], `\\`) && (a[1] == "query" || a[1] == "queryex" || a[1] == "qc") {
			return true, ""
		}
		return false, "only sc query, queryex, qc and qdescription only read"
	},
	"net": func(a []string) (bool, string) {
		if len(a) == 1 && (a[0] == "use" || a[0] == "share" || a[0] == "start" || a[0] == "session") {
			return true, ""
		}
		return false, "only net use, net share, net start and net session with no further arguments only list"
	},
}

func anyArgs([]string) (bool, string) { return true, "" }

func firstArg(prog, verb string) func([]string) (bool, string) {
	return func(a []string) (bool, string) {
		if len(a) > 0 && a[0] == verb {
			return true, ""
		}
		return false, fmt.Sprintf("only %s %s ... only reads", prog, verb)
	}
}

// cmdReadOnly checks a cmd line: every command of it (split at &, &&, ||
// and |) must be a read-only invocation of an allowed program, with no
// redirection to a file.
func cmdReadOnly(line string) []roProblem {
	var ps []roProblem
	add := func(format string, args ...any) {
		ps = append(ps, roProblem{Line: 1, Msg: fmt.Sprintf(format, args...)})
	}
	var (
		cmds  []string
		cur   strings.Builder
		quote bool
	)
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '"':
			quote = !quote
			cur.WriteRune(r)
		case quote:
			cur.WriteRune(r)
		case r == '^' && i+1 < len(rs):
			i++
			cur.WriteRune(rs[i]) // cmd's escape: v^ssadmin is vssadmin
		case r == '&' || r == '|':
			cmds = append(cmds, cur.String())
			cur.Reset()
			if i+1 < len(rs) && rs[i+1] == r {
				i++
			}
		case r == '>':
			j := i + 1
			for j < len(rs) && (rs[j] == '>' || rs[j] == ' ') {
				j++
			}
			rest := strings.ToLower(string(rs[j:]))
			switch {
			case strings.HasPrefix(rest, "&1") || strings.HasPrefix(rest, "&2"):
				i = j + 1
			case strings.HasPrefix(rest, "nul") && (len(rest) == 3 || rest[3] == ' ' || rest[3] == '&' || rest[3] == '|'):
				i = j + 2
			default:
				add("a redirection to a file writes on the server; a read-only step may redirect only to nul")
				return ps
			}
		case r == '%' || r == '!':
			add("%c expands a variable, so the command that runs is decided at run time; a read-only step may not use it", r)
			return ps
		default:
			cur.WriteRune(r)
		}
	}
	cmds = append(cmds, cur.String())
	for _, c := range cmds {
		f := strings.Fields(strings.ToLower(strings.Trim(strings.TrimSpace(c), "()@")))
		if len(f) == 0 {
			continue
		}
		name := strings.TrimSuffix(path.Base(strings.ReplaceAll(strings.Trim(f[0], `"`), `\`, "/")), ".exe")
		rule := nativeRules[name]
		if rule == nil {
			add("%s is not on the read-only allow-list (vssadmin list, wbadmin get, fsutil ... query, mountvol /L, "+
				"sc query, wevtutil qe ...): mark the step `mode: change` if it changes the server", f[0])
			continue
		}
		args := f[1:]
		if n := len(args); n > 0 && (args[n-1] == "2" || args[n-1] == "1") {
			args = args[:n-1] // the stream number of a 2>nul redirection
		}
		if ok, why := rule(args); !ok {
			add("%s: %s", strings.Join(f, " "), why)
		}
	}
	return ps
}

// CheckReadOnly returns an error naming every reason script, sent with
// shell, might change a server (nil when it only reads). Scripts that are
// not runbook steps but must only read (the checklist's fact collection)
// are held to the same rule.
func CheckReadOnly(shell Shell, script string) error {
	var msgs []string
	for _, p := range readOnlyProblems(shell, script) {
		msgs = append(msgs, fmt.Sprintf("line %d: %s", p.Line, p.Msg))
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("not read-only: %s", strings.Join(msgs, "; "))
}
