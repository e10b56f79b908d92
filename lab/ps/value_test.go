package ps

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzJSONQuote checks jsonQuote's shortcut for strings it need not
// rewrite against its rune-by-rune escaping: the same text either way.
func FuzzJSONQuote(f *testing.F) {
	for _, s := range []string{"", "plain C:\\ path", `q"uote`, "<&>'", "tab\there\n", "日本語", "bad \xff utf-8", "\x01\x7f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range s {
			switch {
			case r == '"' || r == '\\':
				b.WriteString(`\` + string(r))
			case r == '\b':
				b.WriteString(`\b`)
			case r == '\f':
				b.WriteString(`\f`)
			case r == '\n':
				b.WriteString(`\n`)
			case r == '\r':
				b.WriteString(`\r`)
			case r == '\t':
				b.WriteString(`\t`)
			case r < 0x20 || r == '<' || r == '>' || r == '&' || r == '\'':
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteRune(r)
			}
		}
		b.WriteByte('"')
		if got := jsonQuote(s); got != b.String() {
			t.Fatalf("jsonQuote(%q) = %s, want %s", s, got, b.String())
		}
	})
}
