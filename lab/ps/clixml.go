package ps

import (
	"fmt"
	"io"
	"strings"
)

// ErrorRecord is a PowerShell ErrorRecord as the console shows it.
type ErrorRecord struct {
	Message    string
	cmd        string // "Get-Service" → "Get-Service : msg"
	Category   string // ObjectNotFound, ...
	Target     string
	TargetType string // String
	Activity   string // [Get-Service]
	Exception  string // ServiceCommandException
	FQID       string
	src        *source
	pos        int
	length     int
	parse      bool // ParserError layout: position first, then the message
	noPos      bool // Write-Error from the command line: no position
}

// consoleWidth is the buffer width powershell.exe formats errors for when
// it runs under WinRM.
const consoleWidth = 80

// lines renders the record as powershell.exe writes it to stderr, wrapped
// for an 80-column buffer: the message word-wrapped, the "+ CategoryInfo"
// lines cut hard with a three-space hanging indent (see
// testdata/winrm-fixtures/13_receive_ps_clixml_stderr_exitcode1_pywinrm.xml).
func (e *ErrorRecord) lines(t *Culture) []string {
	var out []string
	msg := e.Message
	if e.cmd != "" && !e.parse {
		msg = e.cmd + " : " + msg
	}
	pos := []string{}
	if e.src != nil && !e.noPos {
		line, col := e.src.lineCol(e.pos)
		text := e.src.lineText(line)
		n := e.length
		lineRunes := []rune(text)
		if rest := len(lineRunes) - (col - 1); n > rest {
			n = rest
		}
		if n < 1 {
			n = 1
		}
		under := strings.Repeat(" ", col-1) + strings.Repeat("~", n)
		pos = append(pos, fmt.Sprintf(t.AtLine, line, col), "+ "+text, "+ "+under)
	}
	if e.parse {
		for _, l := range pos {
			out = append(out, hardWrap(l)...)
		}
		out = append(out, wordWrap(msg)...)
	} else {
		out = append(out, wordWrap(msg)...)
		for _, l := range pos {
			out = append(out, hardWrap(l)...)
		}
	}
	target := e.Target
	if e.TargetType != "" || target != "" {
		target += ":" + e.TargetType
	} else {
		target = ":"
	}
	cat := fmt.Sprintf("    + CategoryInfo          : %s: (%s) [%s], %s", e.Category, target, e.Activity, e.Exception)
	out = append(out, hardWrap(cat)...)
	out = append(out, hardWrap("    + FullyQualifiedErrorId : "+e.FQID)...)
	out = append(out, " ")
	return out
}

// wordWrap breaks text at spaces so that no line exceeds 79 cells; a line
// that is broken keeps its trailing space, as the console does.
func wordWrap(text string) []string {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if CellWidth(para) < consoleWidth {
			out = append(out, para)
			continue
		}
		words := strings.Split(para, " ")
		cur := ""
		for i, w := range words {
			for CellWidth(w) >= consoleWidth {
				if cur != "" {
					out = append(out, cur)
					cur = ""
				}
				head, rest := cutCells(w, consoleWidth-1)
				out = append(out, head)
				w = rest
			}
			if cur != "" && CellWidth(cur+w) > consoleWidth-1 {
				out = append(out, cur)
				cur = ""
			}
			cur += w
			if i < len(words)-1 {
				cur += " "
			}
		}
		if cur != "" {
			out = append(out, cur)
		}
	}
	return out
}

// hardWrap cuts a line at 78 cells (plus a space) and continues it with a
// three-space indent.
func hardWrap(line string) []string {
	if CellWidth(line) < consoleWidth {
		return []string{line}
	}
	head, rest := cutCells(line, consoleWidth-2)
	out := []string{head + " "}
	for rest != "" {
		var h string
		h, rest = cutCells(rest, consoleWidth-5)
		if rest != "" {
			h += " "
		}
		out = append(out, "   "+h)
	}
	return out
}

// cutCells splits s after at most n cells.
func cutCells(s string, n int) (string, string) {
	w := 0
	for i, r := range s {
		c := runeCells(r)
		if w+c > n {
			return s[:i], s[i:]
		}
		w += c
	}
	return s, ""
}

// clixmlString encodes one line for an <S> element: XML escapes and
// _xHHHH_ for control characters, CRLF appended.
func clixmlString(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '_':
			b.WriteString("_")
		case r < 0x20:
			fmt.Fprintf(&b, "_x%04X_", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String() + "_x000D__x000A_"
}

// addError queues an error record for the CLIXML stream (or, under 2>&1,
// writes it to stdout as text).
func (r *runner) addError(rec *ErrorRecord) {
	r.lastOK = false
	if r.muteErr > 0 {
		return
	}
	if rec.src == nil && r.curSrc != nil {
		rec.src, rec.pos, rec.length = r.curSrc, r.curPos, r.curLen
	}
	lines := rec.lines(r.t)
	if r.mergeErr > 0 {
		r.write(strings.Join(lines, "\r\n") + "\r\n")
		return
	}
	for _, l := range lines {
		r.clixml = append(r.clixml, `<S S="Error">`+clixmlString(l)+`</S>`)
	}
}

// addWarning queues a warning for the CLIXML stream.
func (r *runner) addWarning(msg string) {
	if r.muteErr > 0 {
		return
	}
	r.clixml = append(r.clixml, `<S S="warning">`+clixmlString(msg)+`</S>`)
}

// flushErrors writes the queued records to stderr as one CLIXML document.
func (r *runner) flushErrors() {
	if len(r.clixml) == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("#< CLIXML\r\n")
	b.WriteString(`<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">`)
	for _, s := range r.clixml {
		b.WriteString(s)
	}
	b.WriteString("</Objs>")
	_, _ = io.WriteString(r.sess.Stderr, b.String())
	r.clixml = nil
}

// parseErrorRecord turns a syntax error into a ParserError record.
func (r *runner) parseErrorRecord(se *syntaxError, src *source) *ErrorRecord {
	msg := se.msg
	if se.lab {
		msg = fmt.Sprintf(r.t.Unsupported, se.msg)
	}
	return &ErrorRecord{
		Message: msg, Category: "ParserError", Exception: "ParentContainsErrorRecordException",
		FQID: se.id, src: src, pos: se.pos, length: se.length, parse: true,
	}
}

// notRecognizedRecord is PowerShell's CommandNotFoundException.
func (r *runner) notRecognizedRecord(name string, src *source, pos, length int) *ErrorRecord {
	return &ErrorRecord{
		Message: fmt.Sprintf(r.t.NotRecognized, name), cmd: name,
		Category: "ObjectNotFound", Target: name, TargetType: "String", Exception: "CommandNotFoundException",
		FQID: "CommandNotFoundException", src: src, pos: pos, length: length,
	}
}
