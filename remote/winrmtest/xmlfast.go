package winrmtest

import (
	"bytes"
	"encoding/xml"
	"errors"
)

// rawTokenizer is what parseMessage reads: xml.Decoder's RawToken, or
// fastTokens for the common requests.
type rawTokenizer interface {
	RawToken() (xml.Token, error)
}

// errNotFast reports input that fastTokens leaves to encoding/xml.
var errNotFast = errors.New("winrmtest: not for the fast tokenizer")

// fastTokens yields the tokens xml.Decoder.RawToken yields, for the plain
// XML that WinRM clients send: an optional <?xml version="1.0"
// encoding="utf-8"?> declaration; elements and attributes named with ASCII
// letters, digits, '_', '-' and '.' and at most one prefix; attribute
// values in quotes; text and CDATA of printable ASCII, tabs and newlines,
// with the five predefined entities. Anything else (comments, DOCTYPE,
// other entities, carriage returns, non-ASCII bytes, the end of the input
// before the root element ends, any syntax error) is errNotFast, and the
// caller parses the input again with encoding/xml, which decides. So the
// fast path changes no result, only the cost: a Send request's
// base64 (a script on stdin) is scanned with IndexByte, not byte by byte.
type fastTokens struct {
	data  []byte
	pos   int
	end   *xml.EndElement // the end of a self-closing element, due next
	text  []byte          // CharData's buffer, reused
	attrs []xml.Attr      // StartElement.Attr's array, reused
}

func (f *fastTokens) RawToken() (xml.Token, error) {
	if f.end != nil {
		e := *f.end
		f.end = nil
		return e, nil
	}
	d := f.data
	if f.pos >= len(d) {
		return nil, errNotFast
	}
	if d[f.pos] != '<' {
		return f.charData()
	}
	if f.pos+1 >= len(d) {
		return nil, errNotFast
	}
	switch d[f.pos+1] {
	case '/':
		f.pos += 2
		name, ok := f.name()
		if !ok {
			return nil, errNotFast
		}
		f.space()
		if f.pos >= len(d) || d[f.pos] != '>' {
			return nil, errNotFast
		}
		f.pos++
		return xml.EndElement{Name: name}, nil
	case '?':
		return f.procInst()
	case '!':
		if !bytes.HasPrefix(d[f.pos:], []byte("<![CDATA[")) {
			return nil, errNotFast
		}
		start := f.pos + len("<![CDATA[")
		n := bytes.Index(d[start:], []byte("]]>"))
		if n < 0 || !plainText(d[start:start+n]) {
			return nil, errNotFast
		}
		f.pos = start + n + len("]]>")
		return xml.CharData(d[start : start+n]), nil
	}
	f.pos++
	name, ok := f.name()
	if !ok {
		return nil, errNotFast
	}
	// The attributes' array is reused by the next element: parseTokens
	// keeps none (RawToken's contract allows the same for CharData).
	start := xml.StartElement{Name: name, Attr: f.attrs[:0]}
	done := func() xml.Token {
		f.attrs = start.Attr
		if len(start.Attr) == 0 {
			start.Attr = nil // as encoding/xml
		}
		return start
	}
	for {
		sp := f.space()
		if f.pos >= len(d) {
			return nil, errNotFast
		}
		switch d[f.pos] {
		case '>':
			f.pos++
			return done(), nil
		case '/':
			if f.pos+1 >= len(d) || d[f.pos+1] != '>' {
				return nil, errNotFast
			}
			f.pos += 2
			f.end = &xml.EndElement{Name: name}
			return done(), nil
		}
		if !sp {
			return nil, errNotFast
		}
		an, ok := f.name()
		if !ok || f.pos+1 >= len(d) || d[f.pos] != '=' {
			return nil, errNotFast
		}
		q := d[f.pos+1]
		if q != '"' && q != '\'' {
			return nil, errNotFast
		}
		vs := f.pos + 2
		n := bytes.IndexByte(d[vs:], q)
		if n < 0 {
			return nil, errNotFast
		}
		v := d[vs : vs+n]
		if bytes.IndexByte(v, '&') >= 0 || bytes.IndexByte(v, '<') >= 0 || !plainText(v) {
			return nil, errNotFast
		}
		f.pos = vs + n + 1
		start.Attr = append(start.Attr, xml.Attr{Name: an, Value: string(v)})
	}
}

// charData reads text up to the next '<', decoding the predefined
// entities.
func (f *fastTokens) charData() (xml.Token, error) {
	d := f.data
	n := bytes.IndexByte(d[f.pos:], '<')
	if n < 0 {
		return nil, errNotFast // text at the end: encoding/xml decides
	}
	raw := d[f.pos : f.pos+n]
	if !plainText(raw) || bytes.Contains(raw, []byte("]]>")) {
		return nil, errNotFast
	}
	f.pos += n
	if bytes.IndexByte(raw, '&') < 0 {
		return xml.CharData(raw), nil
	}
	out := f.text[:0]
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			out = append(out, raw...)
			break
		}
		out = append(out, raw[:i]...)
		raw = raw[i:]
		j := bytes.IndexByte(raw, ';')
		if j < 0 {
			return nil, errNotFast
		}
		switch string(raw[1:j]) {
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
			return nil, errNotFast
		}
		raw = raw[j+1:]
	}
	f.text = out
	return xml.CharData(out), nil
}

// xmlDecls are the declarations the fast path accepts: version 1.0, UTF-8
// (what encoding/xml reads without a CharsetReader).
var xmlDecls = []string{
	`<?xml version="1.0" encoding="utf-8" ?>`, `<?xml version="1.0" encoding="utf-8"?>`,
	`<?xml version="1.0" encoding="UTF-8" ?>`, `<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0"?>`,
}

func (f *fastTokens) procInst() (xml.Token, error) {
	if f.pos != 0 {
		return nil, errNotFast
	}
	for _, decl := range xmlDecls {
		if bytes.HasPrefix(f.data, []byte(decl)) {
			f.pos = len(decl)
			inst := decl[len("<?xml ") : len(decl)-len("?>")]
			return xml.ProcInst{Target: "xml", Inst: []byte(inst)}, nil
		}
	}
	return nil, errNotFast
}

// name reads prefix:local or local, each an ASCII letter or '_' then
// letters, digits, '_', '-', '.'.
func (f *fastTokens) name() (xml.Name, bool) {
	first, ok := f.ident()
	if !ok {
		return xml.Name{}, false
	}
	if f.pos < len(f.data) && f.data[f.pos] == ':' {
		f.pos++
		local, ok := f.ident()
		if !ok || (f.pos < len(f.data) && f.data[f.pos] == ':') {
			return xml.Name{}, false
		}
		return xml.Name{Space: first, Local: local}, true
	}
	return xml.Name{Local: first}, true
}

func (f *fastTokens) ident() (string, bool) {
	d, i := f.data, f.pos
	if i >= len(d) || !(d[i] >= 'a' && d[i] <= 'z' || d[i] >= 'A' && d[i] <= 'Z' || d[i] == '_') {
		return "", false
	}
	for i++; i < len(d); i++ {
		c := d[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			break
		}
	}
	s, ok := knownNames[string(d[f.pos:i])] // no allocation for the usual names
	if !ok {
		s = string(d[f.pos:i])
	}
	f.pos = i
	return s, true
}

// knownNames are the prefixes, element and attribute names of the usual
// requests.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{
		"xmlns", "xml", "lang", "env", "s", "a", "w", "p", "rsp", "wsman", "wsa", "mustUnderstand", "Name", "CommandId", "End",
		"Envelope", "Header", "Body", "To", "ReplyTo", "Address", "MaxEnvelopeSize", "OperationTimeout", "MessageID",
		"Locale", "DataLocale", "Action", "ResourceURI", "SelectorSet", "Selector", "OptionSet", "Option", "Shell",
		"InputStreams", "OutputStreams", "CommandLine", "Command", "Arguments", "Receive", "DesiredStream", "Send",
		"Stream", "Signal", "Code", "IdleTimeOut", "Environment", "Variable", "WorkingDirectory",
	} {
		m[n] = n
	}
	return m
}()

// space skips spaces, tabs and newlines and reports whether there were
// any.
func (f *fastTokens) space() bool {
	start := f.pos
	for f.pos < len(f.data) {
		switch f.data[f.pos] {
		case ' ', '\t', '\n':
			f.pos++
			continue
		}
		break
	}
	return f.pos > start
}

// plainText reports whether b is printable ASCII, tabs and newlines only.
func plainText(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			return false
		}
	}
	return true
}
