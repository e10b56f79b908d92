package winrmtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/masterzen/winrm"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
)

// FuzzServeRequest feeds arbitrary bodies to the server. It must never
// panic, must answer with the SOAP Content-Type and well-formed XML, and
// must echo the MessageID of every request it could parse.
func FuzzServeRequest(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join(fixtureDir, "req_*.xml"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p := winrm.NewParameters("PT1S", "en-US", 153600)
	const url = "http://127.0.0.1:5985/wsman"
	for _, req := range []string{
		winrm.NewOpenShellRequest(url, p).String(),
		winrm.NewExecuteCommandRequest(url, "S", "echo a&b", []string{"x"}, p).String(),
		winrm.NewGetOutputRequest(url, "S", "C", "stdout stderr", p).String(),
		winrm.NewSendInputRequest(url, "S", "C", []byte("hi"), true, p).String(),
		winrm.NewSignalRequest(url, "S", "C", p).String(),
		winrm.NewDeleteShellRequest(url, "S", p).String(),
	} {
		f.Add([]byte(req))
	}
	s := New(Options{MaxOperationTimeout: time.Millisecond, MaxLogEntries: -1})
	f.Cleanup(func() { s.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK && w.Code != http.StatusInternalServerError {
			t.Fatalf("status %d", w.Code)
		}
		if ct := w.Header().Get("Content-Type"); ct != contentTypeSOAP {
			t.Fatalf("Content-Type %q", ct)
		}
		tree, err := parseTree(w.Body.Bytes())
		if err != nil {
			t.Fatalf("response is not well-formed: %v\n%s", err, w.Body.Bytes())
		}
		m, err := parseMessage(body)
		if err != nil {
			return
		}
		if m.Action != shortAction(m.ActionURI) {
			t.Fatalf("Action %q for %q", m.Action, m.ActionURI)
		}
		rel := tree.find(nsAddr, "RelatesTo")
		if len(rel) != 1 || rel[0].text != m.MessageID {
			t.Fatalf("RelatesTo %v, want %q", rel, m.MessageID)
		}
	})
}

// FuzzCommandRoundTrip checks that the command text and arguments masterzen
// sends (in CDATA) reach the handler unchanged.
func FuzzCommandRoundTrip(f *testing.F) {
	f.Add("wbadmin get versions", "-backupTarget:E:")
	f.Add(`powershell -Command "& {Get-WBJob | Select *}"`, "<&>")
	f.Add("echo こんにちは", "")
	p := winrm.NewParameters("PT60S", "en-US", 153600)
	f.Fuzz(func(t *testing.T, cmd, arg string) {
		for _, s := range []string{cmd, arg} {
			// masterzen does not escape CDATA, and XML normalises CR and
			// forbids most control characters.
			if strings.Contains(s, "]]>") || strings.ContainsRune(s, '\r') || !utf8.ValidString(s) || !xmlChars(s) {
				return
			}
		}
		req := winrm.NewExecuteCommandRequest("http://127.0.0.1/wsman", "S", cmd, []string{arg}, p).String()
		m, err := parseMessage([]byte(req))
		if err != nil {
			t.Fatalf("parse: %v\n%s", err, req)
		}
		if m.Command != cmd || len(m.Arguments) != 1 || m.Arguments[0] != arg {
			t.Fatalf("got %q %q, want %q %q", m.Command, m.Arguments, cmd, arg)
		}
		if m.commandLine() != cmd+" "+arg {
			t.Fatalf("commandLine %q", m.commandLine())
		}
	})
}

// xmlChars reports whether s has only characters XML 1.0 allows.
func xmlChars(s string) bool {
	for _, r := range s {
		if !(r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}

// FuzzCodepageEncoder checks the code-page writer against a rune-by-rune
// reference (each character encoded on its own, '?' when the code page
// lacks it or the byte is not UTF-8), written in one piece or split at any
// point.
func FuzzCodepageEncoder(f *testing.F) {
	f.Add([]byte("こんにちは café\r\n"), uint(3))
	f.Add([]byte("\xe3\x81"), uint(1))
	f.Add([]byte("a\xffb\xc3"), uint(2))
	f.Add([]byte("😀 ㈱ ①"), uint(5))
	encs := []encoding.Encoding{japanese.ShiftJIS, charmap.CodePage437, charmap.Windows1252}
	f.Fuzz(func(t *testing.T, data []byte, split uint) {
		k := int(split % uint(len(data)+1))
		for _, enc := range encs {
			var want []byte
			for rest := data; len(rest) > 0; {
				r, size := utf8.DecodeRune(rest)
				switch {
				case r == utf8.RuneError && size == 1:
					want = append(want, '?')
				case r < utf8.RuneSelf:
					want = append(want, byte(r))
				default:
					b, err := enc.NewEncoder().Bytes(rest[:size])
					if err != nil || len(b) == 0 {
						b = []byte{'?'}
					}
					want = append(want, b...)
				}
				rest = rest[size:]
			}
			whole := newCPEncoder(enc)
			one := whole.flush(whole.encode(nil, data))
			parts := newCPEncoder(enc)
			two := parts.flush(parts.encode(parts.encode(nil, data[:k]), data[k:]))
			if !bytes.Equal(one, want) || !bytes.Equal(two, want) {
				t.Fatalf("%v: encode(% x) = % x, split at %d = % x, want % x", enc, data, one, k, two, want)
			}
		}
	})
}

// FuzzParseDuration checks that parseDuration never panics and reads back
// what formatDuration writes.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT60S", "PT60.000S", "P3DT2H", "P0DT0H0M0S", "-PT1S", "PT", "P1Y2M3W4DT5H6M7.5S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err != nil || d < 0 {
			return
		}
		d = d.Truncate(time.Millisecond)
		back, err := parseDuration(formatDuration(d))
		if err != nil || back.Truncate(time.Millisecond) != d {
			t.Fatalf("%q: %v formats as %q, reads back %v, %v", s, d, formatDuration(d), back, err)
		}
	})
}

// FuzzFastTokens checks the fast path of parseMessage against
// encoding/xml: every token fastTokens yields before it gives up is the
// token xml.Decoder.RawToken yields at that place, and a message it parses
// (or refuses) whole is the one the decoder's tokens give.
func FuzzFastTokens(f *testing.F) {
	matches, _ := filepath.Glob(filepath.Join(fixtureDir, "req_*.xml"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	p := winrm.NewParameters("PT60S", "en-US", 153600)
	const url = "http://127.0.0.1:5985/wsman"
	for _, req := range []string{
		winrm.NewOpenShellRequest(url, p).String(),
		winrm.NewExecuteCommandRequest(url, "S", "echo a&b <x> 'q' \"d\"", []string{"x"}, p).String(),
		winrm.NewGetOutputRequest(url, "S", "C", "stdout stderr", p).String(),
		winrm.NewSendInputRequest(url, "S", "C", []byte("hi"), true, p).String(),
		winrm.NewSignalRequest(url, "S", "C", p).String(),
		winrm.NewDeleteShellRequest(url, "S", p).String(),
		`<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body a='1' b="&amp;"/></s:Envelope>`,
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><!-- c --><s:Header>a &lt;&#65;&gt; ]]&gt;</s:Header ></s:Envelope>`,
	} {
		f.Add([]byte(req))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		fast := &fastTokens{data: body}
		slow := xml.NewDecoder(bytes.NewReader(body))
		for i := 0; ; i++ {
			ft, ferr := fast.RawToken()
			if ferr != nil {
				if !errors.Is(ferr, errNotFast) {
					t.Fatalf("token %d: fast path error %v, want errNotFast", i, ferr)
				}
				break
			}
			ft = xml.CopyToken(ft)
			st, serr := slow.RawToken()
			if serr != nil {
				t.Fatalf("token %d: fast path read %#v where encoding/xml fails: %v", i, ft, serr)
			}
			if !reflect.DeepEqual(ft, xml.CopyToken(st)) {
				t.Fatalf("token %d: fast path %#v, encoding/xml %#v", i, ft, st)
			}
		}
		fm, ferr := parseTokens(&fastTokens{data: body})
		if errors.Is(ferr, errNotFast) {
			return
		}
		sm, serr := parseTokens(xml.NewDecoder(bytes.NewReader(body)))
		if fmt.Sprint(ferr) != fmt.Sprint(serr) || !reflect.DeepEqual(fm, sm) {
			t.Fatalf("fast path %+v, %v; encoding/xml %+v, %v", fm, ferr, sm, serr)
		}
	})
}
