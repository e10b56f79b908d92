package render

import "strings"

// Markdown escaping for the postmortem timeline: text from the record
// (server output, summaries, actor names) must not end a code span or a
// fence, split a table cell, or become markup.

// longestRun returns the length of the longest run of c in s.
func longestRun(s string, c byte) int {
	longest, n := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			n++
			longest = max(longest, n)
		} else {
			n = 0
		}
	}
	return longest
}

// mdFence returns s as a fenced code block whose fence is longer than any
// run of backticks in s, so s cannot close it.
func mdFence(s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + "\n" + s + "\n" + fence + "\n"
}

// mdCodeCell returns s (one line) as a code span inside a table cell: the
// delimiter is longer than any run of backticks in s, a space pads s when
// it starts or ends with a backtick, and "|" is escaped so that it does not
// split the cell.
func mdCodeCell(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`).Replace(s)
	delim := strings.Repeat("`", longestRun(s, '`')+1)
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return delim + s + delim
}

// mdInline is the ASCII punctuation that can start or end markup anywhere
// in a line (emphasis, code, links, autolinks and HTML, table cells,
// strikethrough, entities); '!' and '(' only matter next to '[' and ']',
// which are escaped.
const mdInline = "\\`*_{}[]<>|~&"

// mdText returns s (one line) as literal Markdown text: every character
// that could start markup is backslash-escaped, a block marker at its start
// too ("#", "-", "+", "1." or "1)"), and line breaks become spaces. What
// cannot become markup stays as written, so the export reads well as plain
// text: "vss-writer-restart on writer-failed", not "vss\-writer\-restart".
func mdText(s string) string {
	var b strings.Builder
	digits := 0 // leading digits seen so far; -1 once past the start
	for i, r := range s {
		switch {
		case r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r < 128 && strings.ContainsRune(mdInline, r),
			i == 0 && (r == '#' || r == '-' || r == '+' || r == '='),
			digits > 0 && i == digits && (r == '.' || r == ')'):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		if digits >= 0 && r >= '0' && r <= '9' && i == digits {
			digits++
		} else if i >= digits {
			digits = -1
		}
	}
	return b.String()
}
