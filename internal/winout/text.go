package winout

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// lineRole classifies a prepared line.
type lineRole uint8

const (
	roleBlank   lineRole = iota
	roleContent          // anything a parser may look at
	rolePrompt           // an echoed prompt or a bare echoed command
	roleBanner           // "vssadmin 1.1 - ...", "wbadmin 1.0 - ..."
	roleNoise            // copyright, "Microsoft Windows [Version ...]" and "# comment" lines
)

// srcLine is one line of the input after normalisation.
type srcLine struct {
	no   int    // 1-based line number in the input
	text string // normalised, log prefix removed, right-trimmed; indentation kept
	trim string // text without its indentation
	role lineRole
}

// indented reports whether the line started with white space.
func (l srcLine) indented() bool { return len(l.text) != len(l.trim) }

// doc is the prepared input of one parser call.
type doc struct {
	lines    []srcLine
	banners  map[string]bool // tools whose banner line was seen, lower-case
	commands []string        // echoed commands, lower-case, single-spaced
}

// otherCommand returns an echoed command that belongs to a different kind
// of output than kind, when no echoed command belongs to kind.
func (d *doc) otherCommand(kind string) string {
	other := ""
	for _, c := range d.commands {
		k := commandKind(c)
		if k == kind {
			return ""
		}
		if k != "" && other == "" {
			other = c
		}
	}
	return other
}

// commandKind maps an echoed command line to the kind of output it prints,
// or "" when the command is not one of ours.
func commandKind(cmd string) string {
	c := lowerASCII(cmd)
	has := strings.Contains
	switch {
	case has(c, "vssadmin") && has(c, "writers"):
		return KindVSSWriters
	case has(c, "vssadmin") && has(c, "shadowstorage"):
		return KindShadowStorage
	case has(c, "wbadmin") && has(c, "versions"):
		return KindWBAdminVersions
	case has(c, "get-wbsummary"):
		return KindWBSummary
	case has(c, "fsutil") && has(c, "queryjournal"):
		return KindUSNJournal
	case strings.HasPrefix(c, "mountvol"):
		return KindMountvol
	case has(c, "vssadmin") || has(c, "wbadmin") || has(c, "fsutil") || has(c, "get-wb"):
		return "other"
	}
	return ""
}

// lazyRegexp compiles expr on first use, not at package init: every
// wsbbot command links this package, few parse tool output.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var (
	// A timestamp (with or without a date) at the start of a line, then an
	// optional level; it must be followed by one blank or the line end.
	reTimestampPrefix = lazyRegexp(`^\[?(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}[ T])?\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?\]?:?(?:[ \t]+(?:\[[A-Za-z]{3,11}[ \t]*\]|(?:TRACE|DEBUG|INFO|INFORMATION|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|VERBOSE)\b):?)?(?:[ \t]|$)`)
	// A host prefix candidate: "fs01: " or "[fs01] ".
	reHostPrefix = lazyRegexp(`^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,62}:|\[[^\]\s]{1,64}\])(?:[ \t]|$)`)
	// Tool banner: "vssadmin 1.1 - ...".
	reBanner = lazyRegexp(`^(?i)(vssadmin|wbadmin|fsutil|mountvol)[ \t]+\d+(?:\.\d+)+(?:[^0-9.]|$)`)
	// A bare command echo (no prompt).
	reBareCommand = lazyRegexp(`^(?i)(?:vssadmin|wbadmin|fsutil|mountvol|get-wbsummary)(?:[ \t]|$)`)
	// "Microsoft Windows [Version 6.0.6001]" and copyright lines.
	reNoise = lazyRegexp(`^(?i)(?:\(c\)|copyright\b|microsoft windows \[)`)
	// An ANSI escape sequence.
	reANSI = lazyRegexp("\x1b\\[[0-9;?]*[ -/]*[@-~]")
)

// prepare normalises text into lines and classifies them.
func prepare(text string) *doc {
	raw := splitLines(text)
	lines := make([]srcLine, 0, len(raw))
	for i, r := range raw {
		s := stripTimestamp(normaliseLine(r))
		lines = append(lines, srcLine{no: i + 1, text: s})
	}
	stripHostPrefixes(lines)
	lines = joinWrappedBraces(lines)
	d := &doc{lines: lines, banners: map[string]bool{}}
	for i := range d.lines {
		l := &d.lines[i]
		l.trim = strings.TrimLeftFunc(l.text, unicode.IsSpace)
		l.role = roleContent
		first := byte(0)
		if l.trim != "" {
			first = l.trim[0] | 0x20 // ASCII lower case
		}
		toolLike := first == 'v' || first == 'w' || first == 'f' || first == 'm' || first == 'g'
		switch {
		case l.trim == "":
			l.role = roleBlank
		case toolLike && reBanner().MatchString(l.trim):
			l.role = roleBanner
			d.banners[lowerASCII(reBanner().FindStringSubmatch(l.trim)[1])] = true
		case (first == '(' || first == 'c' || first == 'm') && reNoise().MatchString(l.trim),
			strings.HasPrefix(l.trim, "# "):
			// Copyright lines, and "# ..." comments that saved captures carry.
			l.role = roleNoise
		default:
			if cmd, ok := promptCommand(l.trim); ok {
				l.role = rolePrompt
				if cmd != "" {
					d.commands = append(d.commands, cmd)
				}
			}
		}
	}
	return d
}

// splitLines splits on CRLF, CR and LF.
func splitLines(text string) []string {
	var out []string
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			out = append(out, text[start:i])
			start = i + 1
		case '\r':
			out = append(out, text[start:i])
			// CRLF, and CR...CRLF as written by a doubled text-mode
			// conversion, end one line.
			j := i + 1
			for j < len(text) && text[j] == '\r' {
				j++
			}
			if j < len(text) && text[j] == '\n' {
				i = j
			}
			start = i + 1
		}
	}
	if start < len(text) {
		out = append(out, text[start:])
	}
	return out
}

// normaliseLine drops byte order marks and ANSI sequences, maps the yen,
// won and full-width reverse solidus signs to a backslash, and trims the
// right end.
func normaliseLine(s string) string {
	if strings.ContainsRune(s, '\x1b') {
		s = reANSI().ReplaceAllString(s, "")
	}
	if strings.ContainsAny(s, "\ufeff\u00a5\u20a9\uff3c") {
		s = strings.NewReplacer("\ufeff", "", "\u00a5", `\`, "\u20a9", `\`, "\uff3c", `\`).Replace(s)
	}
	return strings.TrimRightFunc(s, unicode.IsSpace)
}

// stripTimestamp removes timestamp log prefixes (up to three stacked
// ones, as when a forwarder adds its own), if any.
func stripTimestamp(s string) string {
	for k := 0; k < 3; k++ {
		if s == "" || (s[0] != '[' && (s[0] < '0' || s[0] > '9')) {
			return s
		}
		loc := reTimestampPrefix().FindStringIndex(s)
		if loc == nil || loc[1] == 0 {
			return s
		}
		s = s[loc[1]:]
	}
	return s
}

// stripHostPrefixes removes a "host: " or "[host] " prefix shared by most
// lines (at least 3 and 60% of the non-blank ones); a label such as
// "State: " occurs on too few lines to qualify.
func stripHostPrefixes(lines []srcLine) {
	counts := map[string]int{}
	nonBlank := 0
	for _, l := range lines {
		if l.text == "" {
			continue
		}
		nonBlank++
		if l.text[0] != '[' && strings.IndexByte(l.text, ':') < 0 {
			continue
		}
		if m := reHostPrefix().FindString(l.text); m != "" {
			counts[strings.TrimRight(m, " \t")]++
		}
	}
	best, bestN := "", 0
	for p, n := range counts {
		if n > bestN || (n == bestN && p < best) {
			best, bestN = p, n
		}
	}
	if bestN < 3 || bestN*10 < nonBlank*6 {
		return
	}
	for i := range lines {
		t := lines[i].text
		if strings.HasPrefix(t, best) {
			rest := t[len(best):]
			if rest == "" || rest[0] == ' ' || rest[0] == '\t' {
				if rest != "" {
					rest = rest[1:]
				}
				lines[i].text = stripTimestamp(rest)
			}
		}
	}
}

// joinWrappedBraces repairs a console wrap inside a "{...}" identifier: a
// line whose last '{' is not closed is joined with the next non-blank line
// when that line starts with the rest of the identifier (hex digits, '-',
// or redaction X's) and its closing '}'.
func joinWrappedBraces(lines []srcLine) []srcLine {
	out := lines[:0]
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		for joins := 0; joins < 3 && unclosedBrace(l.text); joins++ {
			j := i + 1
			for j < len(lines) && strings.TrimSpace(lines[j].text) == "" && j-i <= 2 {
				j++
			}
			if j >= len(lines) {
				break
			}
			next := strings.TrimSpace(lines[j].text)
			if !continuesBrace(next) {
				break
			}
			l.text += next
			i = j
		}
		out = append(out, l)
	}
	return out
}

func unclosedBrace(s string) bool {
	o := strings.LastIndexByte(s, '{')
	return o >= 0 && strings.IndexByte(s[o:], '}') < 0 && len(s)-o <= 40
}

func continuesBrace(s string) bool {
	for i := 0; i < len(s) && i <= 36; i++ {
		c := s[i]
		switch {
		case c == '}':
			return true
		case isHex(c) || c == '-' || c == 'X' || c == 'x':
		default:
			return false
		}
	}
	return false
}

// promptCommand recognises an echoed prompt ("C:\x>cmd", "PS C:\x> cmd",
// "PS> cmd") or a bare echoed command line ("vssadmin list writers") and
// returns the command, lower-case and single-spaced.
func promptCommand(s string) (string, bool) {
	rest := ""
	switch {
	case strings.HasPrefix(s, "PS>"):
		rest = s[3:]
	case strings.HasPrefix(s, "PS ") && strings.IndexByte(s, '>') > 0:
		rest = s[strings.IndexByte(s, '>')+1:]
	case len(s) >= 3 && isASCIILetter(s[0]) && s[1] == ':' && s[2] == '\\' && strings.IndexByte(s, '>') > 0:
		rest = s[strings.IndexByte(s, '>')+1:]
	case s != "" && strings.IndexByte("vVwWfFmMgG", s[0]) >= 0 && reBareCommand().MatchString(s):
		rest = s
	default:
		return "", false
	}
	return strings.Join(strings.Fields(lowerASCII(rest)), " "), true
}

// splitField splits "label: value" (also "label : value" and the
// full-width colon) at the first colon followed by white space or the line
// end, so "C:\" and "12:26" do not split. Both parts are trimmed; ok is
// false when there is no such colon or the label is empty.
func splitField(s string) (label, value string, ok bool) {
	for i, r := range s {
		if r != ':' && r != '：' {
			continue
		}
		next := i + utf8.RuneLen(r)
		if r == ':' && next < len(s) {
			nr, _ := utf8.DecodeRuneInString(s[next:])
			if !unicode.IsSpace(nr) {
				continue
			}
		}
		label = strings.TrimSpace(s[:i])
		if label == "" {
			return "", "", false
		}
		return label, strings.TrimSpace(s[next:]), true
	}
	return "", "", false
}

// lowerASCII lower-cases ASCII letters only, so byte offsets stay valid.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isASCIILetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// guidOf returns s (with or without braces) as a lower-case GUID without
// braces, or "" when it is not 8-4-4-4-12 hex digits (redacted "{ID}",
// "{XXXXXXXX-...}", truncated or malformed).
func guidOf(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 38 && s[0] == '{' && s[37] == '}' {
		s = s[1:37]
	}
	if len(s) != 36 {
		return ""
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if s[i] != '-' {
				return ""
			}
		default:
			if !isHex(s[i]) {
				return ""
			}
		}
	}
	return lowerASCII(s)
}

// braceContent returns the text inside the last "{...}" of s.
func braceContent(s string) (string, bool) {
	o := strings.LastIndexByte(s, '{')
	if o < 0 {
		return "", false
	}
	c := strings.IndexByte(s[o:], '}')
	if c < 0 {
		return "", false
	}
	return s[o+1 : o+c], true
}

// canonicalHR converts an HRESULT printed as hex ("0x807800c5"), unsigned
// decimal ("2155348165") or signed decimal ("-2139619131") to "0x" plus 8
// upper-case hex digits.
func canonicalHR(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		v, err := strconv.ParseUint(s[2:], 16, 32)
		if err != nil {
			return "", false
		}
		return formatHR(uint32(v)), true
	}
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return "", false
		}
		return formatHR(uint32(int32(v))), true
	}
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 32)
	if err != nil {
		return "", false
	}
	return formatHR(uint32(v)), true
}

func formatHR(v uint32) string {
	const digits = "0123456789ABCDEF"
	b := []byte("0x00000000")
	for i := 9; i >= 2; i-- {
		b[i] = digits[v&0xF]
		v >>= 4
	}
	return string(b)
}

// findFailureHR returns the first "0x" + 8 hex digits in s whose value has
// the failure bit set (0x8xxxxxxx and up), canonicalised.
func findFailureHR(s string) string {
	for i := 0; i+10 <= len(s); i++ {
		if s[i] != '0' || (s[i+1] != 'x' && s[i+1] != 'X') {
			continue
		}
		if i > 0 && (isHex(s[i-1]) || isASCIILetter(s[i-1])) {
			continue
		}
		j := i + 2
		for j < len(s) && isHex(s[j]) {
			j++
		}
		if j-(i+2) != 8 || (j < len(s) && isASCIILetter(s[j])) {
			continue
		}
		if c := s[i+2]; c >= '8' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') {
			v, _ := strconv.ParseUint(s[i+2:j], 16, 32)
			return formatHR(uint32(v))
		}
	}
	return ""
}

// isErrorLabel reports whether label is a word used as the label of an
// error line ("Error:", "エラー:", "Erreur :"). It is a hint only.
func isErrorLabel(label string) bool {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "error", "erreur", "エラー", "fehler", "błąd", "blad", "ошибка", "errore",
		"fout", "fel", "feil", "fejl", "hata", "chyba", "hiba", "错误", "錯誤",
		"오류", "erro", "virhe":
		return true
	}
	return false
}

// endsWithErrorWord reports whether a longer label ends with an error word,
// like a writer's "Last error", "最後のエラー" or "Dernière erreur".
func endsWithErrorWord(label string) bool {
	l := strings.ToLower(strings.TrimSpace(label))
	for _, w := range []string{"error", "erreur", "エラー", "fehler", "błąd", "blad", "ошибка", "errore", "erro"} {
		if len(l) > len(w) && strings.HasSuffix(l, w) {
			return true
		}
	}
	return false
}

// toolError finds the first line that reports a failure of the command
// itself: a line labelled with an error word ("Error: ...", "ERROR - ..."),
// or, when hexLabels is true, any "label: 0x8xxxxxxx" line. Continuation
// lines that follow it are joined to the message. skip tells which lines
// to ignore.
func toolError(d *doc, hexLabels bool, skip func(i int) bool) (code, msg string, ok bool) {
	for i, l := range d.lines {
		if l.role != roleContent || (skip != nil && skip(i)) {
			continue
		}
		value, found := errorLine(l.trim, hexLabels)
		if !found {
			continue
		}
		parts := []string{}
		if value != "" {
			parts = append(parts, value)
		}
		for j := i + 1; j < len(d.lines) && j <= i+5; j++ {
			n := d.lines[j]
			if n.role != roleContent {
				break
			}
			if _, _, isField := splitField(n.trim); isField {
				break
			}
			parts = append(parts, n.trim)
		}
		msg = strings.Join(parts, " ")
		code = findFailureHR(msg)
		if code == "" {
			code = findFailureHR(l.trim)
		}
		return code, msg, true
	}
	return "", "", false
}

// errorLine reports whether s is an error line and returns its message.
func errorLine(s string, hexLabels bool) (string, bool) {
	if label, value, ok := splitField(s); ok {
		if isErrorLabel(label) {
			return value, true
		}
		if hexLabels && findFailureHR(value) != "" && strings.HasPrefix(lowerASCII(value), "0x") && !endsWithErrorWord(label) {
			return value, true
		}
	}
	// wbadmin style: "ERROR - message".
	if k := strings.Index(s, " - "); k > 0 && isErrorLabel(s[:k]) {
		return strings.TrimSpace(s[k+3:]), true
	}
	return "", false
}

// containsAnyFold reports whether s contains any of the hints, comparing
// ASCII case-insensitively (hints must be lower-case).
func containsAnyFold(s string, hints ...string) bool {
	ls := strings.ToLower(s)
	for _, h := range hints {
		if strings.Contains(ls, h) {
			return true
		}
	}
	return false
}

// quoteName returns a string quoted for warnings.
func quoteName(s string) string { return strconv.Quote(s) }
