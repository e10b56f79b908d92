package winout

import (
	"fmt"
	"strconv"
	"strings"
)

// Writer classes, decided only by the state number.
const (
	ClassStable     = "stable"      // state 1
	ClassInProgress = "in-progress" // states 2-5
	ClassFailed     = "failed"      // states 6-15
	ClassUnknown    = "unknown"     // state 0, any other number, or no state printed
)

// ClassForState returns the class of a VSS_WRITER_STATE number: 1 stable,
// 2-5 in-progress, 6-15 failed, anything else (0, unknown numbers, -1 for
// "not printed") unknown.
func ClassForState(n int) string {
	switch {
	case n == 1:
		return ClassStable
	case n >= 2 && n <= 5:
		return ClassInProgress
	case n >= 6 && n <= 15:
		return ClassFailed
	}
	return ClassUnknown
}

// Writer is one writer block of `vssadmin list writers`.
type Writer struct {
	Name       string `json:"name"`        // the quoted writer name, without the quotes
	WriterID   string `json:"writer_id"`   // lower-case GUID without braces; "" when missing or redacted
	InstanceID string `json:"instance_id"` // lower-case GUID without braces; "" when missing or redacted
	State      int    `json:"state"`       // the number N of "[N]"; -1 when no state line was found
	StateWord  string `json:"state_word"`  // the localized word after "[N]", as printed
	LastError  string `json:"last_error"`  // the last-error value, as printed
	Class      string `json:"class"`       // ClassForState(State)
}

// Writers is the result of ParseVSSWriters.
type Writers struct {
	Writers  []Writer `json:"writers"`
	Warnings []string `json:"warnings"`
}

// Failed returns the writers whose class is failed, in listing order.
func (w Writers) Failed() []Writer {
	out := []Writer{}
	for _, x := range w.Writers {
		if x.Class == ClassFailed {
			out = append(out, x)
		}
	}
	return out
}

// NotStable returns the writers whose class is anything but stable
// (in-progress, failed or unknown), in listing order.
func (w Writers) NotStable() []Writer {
	out := []Writer{}
	for _, x := range w.Writers {
		if x.Class != ClassStable {
			out = append(out, x)
		}
	}
	return out
}

type writerBlock struct {
	w         Writer
	line      int
	ids       int
	hasState  bool
	hasLast   bool
	rawIDs    [2]string
	unclosedQ bool
}

// ParseVSSWriters parses the output of `vssadmin list writers`.
//
// A writer block starts at a line with a quoted name after a label and a
// colon (quotes ' or ‘ ’); the first and second "{...}" lines after it are
// the writer id and instance id; the line with "label: [N] word" is the
// state; the next "label: value" line is the last error. The class comes
// from the number only; a state word that reads as another class (known
// English, Japanese, French, Polish and German words) gives a warning.
//
// When vssadmin printed an error line and no writers, the error is a
// *VSSAdminError. When it printed its banner and no writers, the result is
// an empty list with a warning (the writer infrastructure is broken, see
// 0x80042318). Text that is not vssadmin output at all gives a
// *NotThisOutputError.
func ParseVSSWriters(text string) (Writers, error) {
	d := prepare(text)
	res := Writers{Writers: []Writer{}, Warnings: []string{}}
	warn := func(format string, args ...any) { res.Warnings = append(res.Warnings, fmt.Sprintf(format, args...)) }

	var cur *writerBlock
	var blocks []*writerBlock
	firstWriter := -1
	seenInstance := map[string]string{}
	flush := func() {
		if cur == nil {
			return
		}
		res.Writers = append(res.Writers, finishWriter(cur, seenInstance, warn))
		blocks = append(blocks, cur)
		cur = nil
	}
	for i, l := range d.lines {
		if l.role != roleContent {
			continue
		}
		s := l.trim
		if name, closed, ok := writerNameLine(s); ok {
			flush()
			if firstWriter < 0 {
				firstWriter = i
			}
			cur = &writerBlock{w: Writer{Name: name, State: -1}, line: l.no, unclosedQ: !closed}
			continue
		}
		if cur == nil {
			if _, _, ok := stateLine(s); ok {
				warn("line %d: state line before any writer name ignored (output cut at the top?)", l.no)
			}
			continue
		}
		if content, ok := idLine(s); ok && cur.ids < 2 {
			cur.rawIDs[cur.ids] = content
			cur.ids++
			continue
		}
		if n, word, ok := stateLine(s); ok {
			if cur.hasState {
				warn("writer %s (line %d): second state line %q ignored", quoteName(cur.w.Name), cur.line, s)
				continue
			}
			cur.hasState = true
			cur.w.State, cur.w.StateWord = n, word
			if n < 0 {
				warn("writer %s (line %d): state number in %q is out of range", quoteName(cur.w.Name), cur.line, s)
			}
			continue
		}
		if cur.hasState && !cur.hasLast {
			if _, v, ok := splitField(s); ok {
				cur.w.LastError, cur.hasLast = v, true
			}
		}
	}
	flush()

	// Quoted text after a colon alone does not make a writer: at least one
	// block must have an id or a state line, or none is believed.
	evidenced := false
	for _, b := range blocks {
		evidenced = evidenced || b.hasState || b.ids > 0
	}
	if !evidenced {
		res.Writers, res.Warnings = []Writer{}, []string{}
		firstWriter = -1
	}
	if len(res.Writers) > 0 {
		if code, msg, ok := toolError(d, true, func(i int) bool { return i >= firstWriter }); ok {
			warn("vssadmin also printed an error before the writers: %s", joinCodeMsg(code, msg))
		}
		return res, nil
	}
	if code, msg, ok := toolError(d, true, nil); ok {
		return res, &VSSAdminError{Code: code, Message: msg}
	}
	if c := d.otherCommand(KindVSSWriters); c != "" {
		return res, notThis(KindVSSWriters, "the echoed command %q is not `vssadmin list writers`", c)
	}
	if hasVolumePath(d) {
		return res, notThis(KindVSSWriters, "no writer blocks; the text lists volumes (shadow storage or mountvol output?)")
	}
	if d.banners["vssadmin"] {
		warn("vssadmin listed no writers at all: the VSS writer infrastructure is not answering (see 0x80042318: check the COM+ Event System and VSS services)")
		if t := unexplainedLine(d); t != "" {
			warn("the output also holds text that was not understood: %q", t)
		}
		return res, nil
	}
	return res, notThis(KindVSSWriters, "no vssadmin banner, no writer blocks (\"label: 'name'\" lines) and no error line")
}

func joinCodeMsg(code, msg string) string {
	if code != "" && !strings.Contains(msg, code) && !strings.Contains(strings.ToUpper(msg), code[2:]) {
		return code + " " + msg
	}
	return msg
}

// finishWriter fills ids and class and reports what is doubtful.
func finishWriter(b *writerBlock, seen map[string]string, warn func(string, ...any)) Writer {
	w := b.w
	who := fmt.Sprintf("writer %s (line %d)", quoteName(w.Name), b.line)
	if b.unclosedQ {
		warn("%s: the name has no closing quote", who)
	}
	if w.Name == "" {
		warn("%s: empty writer name", who)
	}
	for k, dst := range []*string{&w.WriterID, &w.InstanceID} {
		what := [2]string{"writer id", "instance id"}[k]
		if k >= b.ids {
			warn("%s: no %s line", who, what)
			continue
		}
		*dst = guidOf(b.rawIDs[k])
		if *dst == "" {
			warn("%s: %s {%s} is not a GUID (redacted?); left empty", who, what, b.rawIDs[k])
		}
	}
	if w.InstanceID != "" {
		if other, dup := seen[w.InstanceID]; dup {
			warn("%s: instance id %s already listed for writer %s", who, w.InstanceID, quoteName(other))
		} else {
			seen[w.InstanceID] = w.Name
		}
	}
	w.Class = ClassForState(w.State)
	switch {
	case !b.hasState:
		warn("%s: no state line \"[N] word\" found (output cut?); class unknown", who)
	case !b.hasLast:
		warn("%s: no last-error line after the state", who)
	}
	if b.hasState && w.State > 15 {
		warn("%s: state [%d] is not a VSS_WRITER_STATE (0-15); class unknown", who, w.State)
	}
	if b.hasState && w.State >= 0 {
		if wc := stateWordClass(w.StateWord); wc != "" && wc != w.Class {
			warn("%s: state word %q reads as %s but state [%d] is %s; using the number", who, w.StateWord, wc, w.State, w.Class)
		}
	}
	return w
}

// writerNameLine recognises "label: 'name'": the first quote on the line
// must follow a colon that ends a non-empty label.
func writerNameLine(s string) (name string, closed, ok bool) {
	q := strings.IndexAny(s, "'‘’\"“”")
	if q <= 0 {
		return "", false, false
	}
	before := strings.TrimRight(s[:q], " \t\u00a0\u202f")
	var label string
	switch {
	case strings.HasSuffix(before, ":"):
		label = before[:len(before)-1]
	case strings.HasSuffix(before, "："):
		label = before[:len(before)-len("：")]
	default:
		return "", false, false
	}
	if strings.TrimSpace(label) == "" {
		return "", false, false
	}
	rest := s[q:]
	_, size := firstRune(rest)
	rest = rest[size:]
	for _, c := range []string{"'", "’", "‘", "\"", "”", "“"} {
		if strings.HasSuffix(rest, c) {
			return strings.TrimSpace(rest[:len(rest)-len(c)]), true, true
		}
	}
	return strings.TrimSpace(rest), false, true
}

func firstRune(s string) (rune, int) {
	for _, r := range s {
		return r, len(string(r))
	}
	return 0, 0
}

// idLine recognises a line whose value is "{...}" and returns the inside.
func idLine(s string) (string, bool) {
	if !strings.HasSuffix(s, "}") {
		return "", false
	}
	return braceContent(s)
}

// stateLine recognises "label: [N] word". n is -1 when N is out of range.
func stateLine(s string) (n int, word string, ok bool) {
	o := strings.IndexByte(s, '[')
	if o <= 0 {
		return 0, "", false
	}
	before := strings.TrimRight(s[:o], " \t\u00a0\u202f")
	if !strings.HasSuffix(before, ":") && !strings.HasSuffix(before, "：") {
		return 0, "", false
	}
	c := strings.IndexByte(s[o:], ']')
	if c < 0 {
		return 0, "", false
	}
	num := strings.TrimSpace(s[o+1 : o+c])
	digits := strings.TrimPrefix(num, "-")
	if digits == "" {
		return 0, "", false
	}
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return 0, "", false
		}
	}
	n, err := strconv.Atoi(num)
	if err != nil || len(digits) > 9 || n < 0 {
		n = -1
	}
	return n, strings.TrimSpace(s[o+c+1:]), true
}

// stateWordClass reads a localized state word as a class using a small
// table of known words; "" when the word is not known.
func stateWordClass(word string) string {
	w := strings.ToLower(strings.TrimSpace(word))
	if w == "" {
		return ""
	}
	has := func(hints ...string) bool {
		for _, h := range hints {
			if strings.HasPrefix(w, h) || strings.Contains(w, h) && h[0] >= 0x80 {
				return true
			}
		}
		return false
	}
	switch {
	case has("stable", "stabil", "安定"):
		return ClassStable
	case has("failed", "échec", "echec", "nie powiod", "fehlgeschlagen", "失敗"):
		return ClassFailed
	case has("waiting", "en attente", "oczekiw", "wartet", "warten", "待機", "待ち"):
		return ClassInProgress
	case has("unknown", "inconnu", "nieznan", "unbekannt", "不明"):
		return ClassUnknown
	}
	return ""
}

// unexplainedLine returns the first content line that is not the
// "Waiting for responses" preamble vssadmin prints before the writers.
func unexplainedLine(d *doc) string {
	for _, l := range d.lines {
		if l.role == roleContent && !containsAnyFold(l.trim, "waiting for responses", "these may be delayed") {
			return l.trim
		}
	}
	return ""
}

// hasVolumePath reports whether any content line holds a volume GUID path.
func hasVolumePath(d *doc) bool {
	for _, l := range d.lines {
		if l.role == roleContent && strings.Contains(lowerASCII(l.trim), `\\?\volume{`) {
			return true
		}
	}
	return false
}
