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

// mdSpecial is the ASCII punctuation that can start or end inline markup
// (code, emphasis, links, HTML, entities, strikethrough, table cells).
// Block markers ("#", "-", "1.") matter only at the start of a line, where
// mdText never puts text, so names like "vss-writer-restart" stay as they are.
const mdSpecial = "\\`*_[]<>|~&"

// mdText returns s (one line, not at the start of one) as literal Markdown
// text: every character that could start inline markup is
// backslash-escaped and line breaks become spaces.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r < 128 && strings.ContainsRune(mdSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
