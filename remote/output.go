package remote

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/wsbbot/wsbbot/internal/textdecode"
)

// capBuffer keeps the first max bytes written to it and counts all of them.
// Writes never fail: a capped stream keeps being received and counted.
type capBuffer struct {
	mu    sync.Mutex
	max   int64
	buf   []byte
	total int64
}

func (c *capBuffer) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.total += int64(len(p))
	if room := c.max - int64(len(c.buf)); room > 0 {
		c.buf = append(c.buf, p[:min(int64(len(p)), room)]...)
	}
	return len(p), nil
}

// snapshot returns a copy of the kept bytes and the total count.
func (c *capBuffer) snapshot() ([]byte, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.buf), c.total
}

// decodeStream turns the kept bytes of a stream into text: textdecode
// (UTF-8, UTF-16 with BOM, CP932 fallback; "\n" newlines), CLIXML to plain
// text when clixml is set, and the truncation marker when bytes were
// dropped.
func decodeStream(kept []byte, total int64, clixml bool) (string, textdecode.Encoding) {
	truncated := total > int64(len(kept))
	if truncated {
		kept = trimPartialRune(kept)
	}
	s, enc := textdecode.Decode(kept)
	if clixml {
		s = CLIXMLToText(s)
	}
	if truncated {
		if s != "" && !strings.HasSuffix(s, "\n") {
			s += "\n"
		}
		s += fmt.Sprintf("[output truncated: %d bytes produced, first %d kept]", total, len(kept))
	}
	return s, enc
}

// trimPartialRune drops an incomplete UTF-8 sequence the cap cut in two, so
// a UTF-8 head is not mistaken for CP932.
func trimPartialRune(b []byte) []byte {
	for cut := 0; cut < utf8.UTFMax && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return b[:len(b)-cut]
		}
	}
	return b
}

const clixmlHeader = "#< CLIXML"

// CLIXMLToText converts PowerShell's CLIXML error serialisation
// ("#< CLIXML" followed by <Objs> documents, what powershell.exe writes to
// a redirected stderr) into plain text: the text of the top-level <S>
// elements (Error, warning, verbose, debug, information), with the
// _xHHHH_ escapes undone. Non-error streams get PowerShell's console prefix
// ("WARNING: ", ...). Progress records (<Obj S="progress">) are dropped.
// Text that does not start with the header is returned unchanged; text
// after the XML (or XML that cannot be parsed) is kept as is.
func CLIXMLToText(s string) string {
	rest, ok := strings.CutPrefix(strings.TrimLeft(s, " \t\r\n\ufeff"), clixmlHeader)
	if !ok {
		return s
	}
	var out strings.Builder
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if h, ok := strings.CutPrefix(rest, clixmlHeader); ok {
			rest = h
			continue
		}
		if !strings.HasPrefix(rest, "<") {
			break
		}
		n, text, err := parseObjs(rest)
		out.WriteString(text)
		if err != nil {
			if out.Len() == 0 {
				return s // not CLIXML after all: keep the raw text
			}
			rest = "" // cut short (for example by the output cap)
			break
		}
		rest = rest[n:]
	}
	if out.Len() == 0 {
		return s // nothing parsed: keep the raw text
	}
	if rest = strings.TrimSpace(rest); rest != "" {
		if out.Len() > 0 && !strings.HasSuffix(out.String(), "\n") {
			out.WriteString("\n")
		}
		out.WriteString(rest)
	}
	return strings.TrimRight(textdecode.NormalizeNewlines(out.String()), " \t\n")
}

// parseObjs reads one <Objs> document from the start of s. It returns the
// bytes consumed, the text collected (even when it fails part-way) and the
// parse error.
func parseObjs(s string) (int, string, error) {
	d := xml.NewDecoder(strings.NewReader(s))
	var (
		out    strings.Builder
		depth  int
		inS    bool
		prefix string
		cur    strings.Builder
	)
	for {
		tok, err := d.Token()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			if inS {
				out.WriteString(prefix + unescapePS(cur.String()))
			}
			return int(d.InputOffset()), out.String(), err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 && t.Name.Local != "Objs" {
				return 0, "", fmt.Errorf("CLIXML root is %s, not Objs", t.Name.Local)
			}
			if depth == 2 && t.Name.Local == "S" {
				inS = true
				cur.Reset()
				prefix = streamPrefix(attr(t, "S"))
			}
		case xml.EndElement:
			if depth == 2 && inS {
				out.WriteString(prefix + unescapePS(cur.String()))
				inS = false
			}
			depth--
			if depth == 0 {
				return int(d.InputOffset()), out.String(), nil
			}
		case xml.CharData:
			if inS {
				cur.Write(t)
			}
		}
	}
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// streamPrefix is PowerShell's console prefix for a CLIXML stream name.
func streamPrefix(stream string) string {
	switch strings.ToLower(stream) {
	case "warning":
		return "WARNING: "
	case "verbose":
		return "VERBOSE: "
	case "debug":
		return "DEBUG: "
	default: // Error, information, unknown
		return ""
	}
}

// unescapePS undoes PowerShell's CLIXML escapes: _xHHHH_ is the UTF-16 code
// unit HHHH (surrogate pairs are two escapes; _x000D__x000A_ is CRLF).
func unescapePS(s string) string {
	if !strings.Contains(s, "_x") {
		return s
	}
	var b strings.Builder
	var units []uint16
	flush := func() {
		if len(units) > 0 {
			b.WriteString(string(utf16.Decode(units)))
			units = units[:0]
		}
	}
	for i := 0; i < len(s); {
		if i+7 <= len(s) && s[i] == '_' && s[i+1] == 'x' && s[i+6] == '_' {
			if v, err := strconv.ParseUint(s[i+2:i+6], 16, 16); err == nil {
				units = append(units, uint16(v))
				i += 7
				continue
			}
		}
		flush()
		b.WriteByte(s[i])
		i++
	}
	flush()
	return b.String()
}
