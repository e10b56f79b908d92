package remote

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a token of a response.
type tokKind uint8

const (
	tokStart tokKind = iota + 1
	tokEnd
	tokText
)

// token is one token of a response: an element's start (name and
// attributes, namespaces resolved), its end, or character data (entities
// decoded, CDATA included). It is valid until the next call.
type token struct {
	kind  tokKind
	name  xml.Name
	attrs []xml.Attr
	text  []byte
}

// tokenizer yields a document's tokens, then io.EOF. Comments and
// processing instructions are dropped.
type tokenizer interface {
	next(t *token) error
}

// xmlScanner tokenizes a whole response held in memory, producing the
// tokens encoding/xml's Decoder.Token produces (names resolved the same
// way), several times faster: encoding/xml reads character data one byte
// at a time through an interface, and a Receive response is mostly base64
// text. FuzzScannerMatchesEncodingXML holds it to encoding/xml: on every
// document encoding/xml accepts, the two give the same tokens. It is
// stricter in two ways: a document type declaration (which SOAP forbids)
// is an error, and so is invalid UTF-8 or a character XML forbids even
// inside a comment or processing instruction.
type xmlScanner struct {
	data  []byte
	pos   int
	open  []string // raw qualified names of the open elements
	ns    []nsBinding
	attrs []xml.Attr
	buf   []byte // decoded character data

	closeNext bool // an empty-element tag's end is the next token
	closeName xml.Name

	// Room for a WS-Man response's depth, namespaces and attributes, so
	// that a scanner is one allocation.
	openBuf  [16]string
	nsBuf    [16]nsBinding
	attrsBuf [8]xml.Attr
}

// nsBinding is an xmlns attribute in scope.
type nsBinding struct {
	prefix, uri string
	depth       int // of the element that declared it
}

const (
	xmlnsPrefix = "xmlns"
	xmlPrefix   = "xml"
	xmlURL      = "http://www.w3.org/XML/1998/namespace"
)

func newXMLScanner(data []byte) *xmlScanner {
	s := &xmlScanner{data: data}
	s.open, s.ns, s.attrs = s.openBuf[:0], s.nsBuf[:0], s.attrsBuf[:0]
	return s
}

func (s *xmlScanner) errorf(format string, args ...any) error {
	return fmt.Errorf("XML syntax error at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func (s *xmlScanner) next(t *token) error {
	if s.pos == 0 {
		if err := checkChars(s.data); err != nil {
			return err
		}
	}
	if s.closeNext {
		s.closeNext = false
		*t = token{kind: tokEnd, name: s.closeName}
		s.popElement()
		return nil
	}
	for {
		if s.pos >= len(s.data) {
			if len(s.open) > 0 {
				return s.errorf("unexpected EOF")
			}
			return io.EOF
		}
		rest := s.data[s.pos:]
		if rest[0] != '<' {
			end := bytes.IndexByte(rest, '<')
			if end < 0 {
				end = len(rest)
			}
			text, err := s.decode(rest[:end])
			if err != nil {
				return err
			}
			s.pos += end
			*t = token{kind: tokText, text: text}
			return nil
		}
		switch {
		case bytes.HasPrefix(rest, []byte("<?")):
			end := bytes.Index(rest[2:], []byte("?>"))
			if end < 0 {
				return s.errorf("unterminated processing instruction")
			}
			if err := s.procInst(rest[2 : 2+end]); err != nil {
				return err
			}
			s.pos += 2 + end + 2
		case bytes.HasPrefix(rest, []byte("<!--")):
			end := bytes.Index(rest[4:], []byte("--"))
			if end < 0 || len(rest) < 4+end+3 {
				return s.errorf("unterminated comment")
			}
			if rest[4+end+2] != '>' {
				return s.errorf(`invalid sequence "--" not allowed in comments`)
			}
			s.pos += 4 + end + 3
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			end := bytes.Index(rest, []byte("]]>"))
			if end < 0 {
				return s.errorf("unterminated CDATA section")
			}
			text := rest[len("<![CDATA["):end]
			if bytes.IndexByte(text, '\r') >= 0 {
				text = normalizeNewlines(s.buf[:0], text)
				s.buf = text
			}
			s.pos += end + 3
			*t = token{kind: tokText, text: text}
			return nil
		case bytes.HasPrefix(rest, []byte("<!")):
			return s.errorf("document type declarations and directives are not accepted")
		case bytes.HasPrefix(rest, []byte("</")):
			return s.endTag(t)
		default:
			return s.startTag(t)
		}
	}
}

// procInst checks an <?xml ...?> declaration: only UTF-8 is read.
func (s *xmlScanner) procInst(body []byte) error {
	target, content, _ := bytes.Cut(body, []byte(" "))
	if string(target) != "xml" {
		return nil
	}
	for _, q := range []string{`encoding="`, `encoding='`} {
		if i := bytes.Index(content, []byte(q)); i >= 0 {
			v := content[i+len(q):]
			if j := bytes.IndexByte(v, q[len(q)-1]); j >= 0 {
				if enc := string(v[:j]); enc != "" && !strings.EqualFold(enc, "utf-8") {
					return s.errorf("encoding %q declared, only UTF-8 is read", enc)
				}
			}
		}
	}
	return nil
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// name reads a name at s.pos: up to a space, '/', '>' or '='.
func (s *xmlScanner) name() (string, error) {
	start := s.pos
	for s.pos < len(s.data) {
		b := s.data[s.pos]
		if isSpace(b) || b == '/' || b == '>' || b == '=' || b == '<' || b == '"' || b == '\'' {
			break
		}
		s.pos++
	}
	if s.pos == start {
		return "", s.errorf("expected a name")
	}
	return string(s.data[start:s.pos]), nil
}

// splitName splits a qualified name as encoding/xml does.
func (s *xmlScanner) splitName(q string) (xml.Name, error) {
	if strings.Count(q, ":") > 1 {
		return xml.Name{}, s.errorf("name %q has more than one colon", q)
	}
	if space, local, ok := strings.Cut(q, ":"); ok && space != "" && local != "" {
		return xml.Name{Space: space, Local: local}, nil
	}
	return xml.Name{Local: q}, nil
}

func (s *xmlScanner) skipSpace() {
	for s.pos < len(s.data) && isSpace(s.data[s.pos]) {
		s.pos++
	}
}

func (s *xmlScanner) startTag(t *token) error {
	s.pos++ // '<'
	q, err := s.name()
	if err != nil {
		return err
	}
	name, err := s.splitName(q)
	if err != nil {
		return err
	}
	s.attrs = s.attrs[:0]
	empty := false
	for {
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.errorf("unexpected EOF in a tag")
		}
		if b := s.data[s.pos]; b == '>' {
			s.pos++
			break
		} else if b == '/' {
			if s.pos+1 >= len(s.data) || s.data[s.pos+1] != '>' {
				return s.errorf("expected /> in element")
			}
			s.pos += 2
			empty = true
			break
		}
		aq, err := s.name()
		if err != nil {
			return err
		}
		an, err := s.splitName(aq)
		if err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '=' {
			return s.errorf("attribute name without = in element")
		}
		s.pos++
		s.skipSpace()
		if s.pos >= len(s.data) || (s.data[s.pos] != '"' && s.data[s.pos] != '\'') {
			return s.errorf("unquoted or missing attribute value in element")
		}
		quote := s.data[s.pos]
		s.pos++
		end := bytes.IndexByte(s.data[s.pos:], quote)
		if end < 0 {
			return s.errorf("unexpected EOF in an attribute value")
		}
		raw := s.data[s.pos : s.pos+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return s.errorf("unescaped < inside quoted string")
		}
		v, err := s.decode(raw)
		if err != nil {
			return err
		}
		s.pos += end + 1
		s.attrs = append(s.attrs, xml.Attr{Name: an, Value: string(v)})
	}
	depth := len(s.open) + 1
	for _, a := range s.attrs {
		switch {
		case a.Name.Space == xmlnsPrefix:
			s.ns = append(s.ns, nsBinding{prefix: a.Name.Local, uri: a.Value, depth: depth})
		case a.Name.Space == "" && a.Name.Local == xmlnsPrefix:
			s.ns = append(s.ns, nsBinding{prefix: "", uri: a.Value, depth: depth})
		}
	}
	s.open = append(s.open, q)
	s.translate(&name, true)
	for i := range s.attrs {
		s.translate(&s.attrs[i].Name, false)
	}
	*t = token{kind: tokStart, name: name, attrs: s.attrs}
	if empty {
		s.closeNext, s.closeName = true, name
	}
	return nil
}

func (s *xmlScanner) endTag(t *token) error {
	s.pos += 2 // "</"
	q, err := s.name()
	if err != nil {
		return err
	}
	name, err := s.splitName(q)
	if err != nil {
		return err
	}
	s.skipSpace()
	if s.pos >= len(s.data) || s.data[s.pos] != '>' {
		return s.errorf("invalid characters between </%s and >", q)
	}
	s.pos++
	if len(s.open) == 0 {
		return s.errorf("unexpected end element </%s>", q)
	}
	if top := s.open[len(s.open)-1]; top != q {
		return s.errorf("element <%s> closed by </%s>", top, q)
	}
	s.translate(&name, true)
	*t = token{kind: tokEnd, name: name}
	s.popElement()
	return nil
}

// popElement closes the innermost element and the bindings it declared.
func (s *xmlScanner) popElement() {
	depth := len(s.open)
	s.open = s.open[:depth-1]
	for len(s.ns) > 0 && s.ns[len(s.ns)-1].depth == depth {
		s.ns = s.ns[:len(s.ns)-1]
	}
}

// translate resolves a name's prefix as encoding/xml's Decoder does.
func (s *xmlScanner) translate(n *xml.Name, isElementName bool) {
	switch {
	case n.Space == xmlnsPrefix:
		return
	case n.Space == "" && !isElementName:
		return
	case n.Space == xmlPrefix:
		n.Space = xmlURL
	case n.Space == "" && n.Local == xmlnsPrefix:
		return
	}
	for i := len(s.ns) - 1; i >= 0; i-- {
		if s.ns[i].prefix == n.Space {
			n.Space = s.ns[i].uri
			return
		}
	}
}

// decode returns raw character data (or an attribute value) with its
// references replaced and its newlines normalized, as encoding/xml does.
func (s *xmlScanner) decode(raw []byte) ([]byte, error) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		return raw, nil
	}
	out := s.buf[:0]
	for len(raw) > 0 {
		i := bytes.IndexAny(raw, "&\r")
		if i < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:i]...)
		raw = raw[i:]
		if raw[0] == '\r' {
			out = append(out, '\n')
			raw = raw[1:]
			if len(raw) > 0 && raw[0] == '\n' {
				raw = raw[1:]
			}
			continue
		}
		end := bytes.IndexByte(raw, ';')
		if end < 0 {
			return nil, s.errorf("invalid character entity %s (no semicolon)", truncateRef(raw))
		}
		ref := string(raw[1:end])
		raw = raw[end+1:]
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "apos":
			out = append(out, '\'')
		case "quot":
			out = append(out, '"')
		default:
			r, ok := charRef(ref)
			if !ok {
				return nil, s.errorf("invalid character entity &%s;", ref)
			}
			out = utf8.AppendRune(out, r)
		}
	}
	s.buf = out
	return out, nil
}

// normalizeNewlines appends text to dst with "\r\n" and "\r" as "\n".
func normalizeNewlines(dst, text []byte) []byte {
	for i := 0; i < len(text); i++ {
		if text[i] != '\r' {
			dst = append(dst, text[i])
			continue
		}
		dst = append(dst, '\n')
		if i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
	}
	return dst
}

func truncateRef(b []byte) string {
	return string(b[:min(len(b), 16)])
}

// charRef reads "#N" or "#xH" as a character allowed in XML.
func charRef(ref string) (rune, bool) {
	num, ok := strings.CutPrefix(ref, "#")
	if !ok || num == "" {
		return 0, false
	}
	base := 10
	if hex, ok := strings.CutPrefix(num, "x"); ok {
		num, base = hex, 16
	}
	n, err := strconv.ParseUint(num, base, 32)
	if err != nil || num == "" || num[0] == '+' || num[0] == '-' {
		return 0, false
	}
	r := rune(n)
	return r, isXMLChar(r)
}

// isXMLChar reports a character XML 1.0 allows.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// checkChars refuses a document that is not UTF-8 or holds a character
// XML does not allow.
func checkChars(data []byte) error {
	for i := 0; i < len(data); {
		b := data[i]
		if b < utf8.RuneSelf {
			if b < 0x20 && b != '\t' && b != '\n' && b != '\r' {
				return fmt.Errorf("XML syntax error at byte %d: illegal character code U+%04X", i, b)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n == 1 {
			return fmt.Errorf("XML syntax error at byte %d: invalid UTF-8", i)
		}
		if !isXMLChar(r) {
			return fmt.Errorf("XML syntax error at byte %d: illegal character code %U", i, r)
		}
		i += n
	}
	return nil
}

var _ tokenizer = (*xmlScanner)(nil)
