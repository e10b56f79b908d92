package remote

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stdTokens is the tokenizer encoding/xml makes (namespace-aware
// Decoder.Token, comments, processing instructions and directives
// dropped): the reference xmlScanner is held to.
type stdTokens struct{ d *xml.Decoder }

func (s stdTokens) next(t *token) error {
	for {
		tok, err := s.d.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.StartElement:
			*t = token{kind: tokStart, name: x.Name, attrs: x.Attr}
			return nil
		case xml.EndElement:
			*t = token{kind: tokEnd, name: x.Name}
			return nil
		case xml.CharData:
			*t = token{kind: tokText, text: x}
			return nil
		}
	}
}

// flatTok is a token copied out of a tokenizer, for comparison.
type flatTok struct {
	Kind  tokKind
	Name  xml.Name
	Attrs []xml.Attr
	Text  string
}

// tokensOf reads every token of tz, merging adjacent character data
// (encoding/xml splits it around CDATA sections).
func tokensOf(tz tokenizer) ([]flatTok, error) {
	var out []flatTok
	var t token
	for {
		err := tz.next(&t)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		if t.kind == tokText && len(out) > 0 && out[len(out)-1].Kind == tokText {
			out[len(out)-1].Text += string(t.text)
			continue
		}
		f := flatTok{Kind: t.kind, Name: t.name, Text: string(t.text)}
		if len(t.attrs) > 0 {
			f.Attrs = append([]xml.Attr(nil), t.attrs...)
		}
		out = append(out, f)
	}
}

func scannerSeeds(t testing.TB) [][]byte {
	files, err := filepath.Glob("testdata/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v", err)
	}
	var seeds [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, s := range []string{
		`<?xml version="1.0" encoding="UTF-8"?><a xmlns="urn:d" xmlns:p="urn:p"><p:b p:x="1" y='2'/><c>t&lt;&#x41;&#66;&amp;</c><!-- c --><![CDATA[<raw>]]></a>`,
		"<a>x\r\ny\rz</a>", `<a xmlns:p="urn:p"><b xmlns:p="urn:q"><p:c/></b><p:d/></a>`, `<xml:a xml:lang="ja"/>`,
		`<a:b:c/>`, `<a></b>`, `<a>`, `<a b="<"/>`, `<a>&unknown;</a>`, `<a>&#0;</a>`, "<a>\x01</a>", "<a>\xff</a>",
		`<!DOCTYPE a><a/>`, `<a><!-- x -- y --></a>`, `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`, `<a b=c/>`,
		`<a b/>`, `<:a/>`, `<a: b="1"/>`, `</a>`, `<a/><b/>`, ` <a/> `, `text`,
	} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

// checkScanner: on a document encoding/xml reads without error (and that
// has no document type declaration, and is valid UTF-8 of XML characters
// throughout, which the scanner requires), the scanner gives the same
// tokens, and readEnvelope reads the same.
func checkScanner(t *testing.T, data []byte) {
	want, stdErr := tokensOf(stdTokens{xml.NewDecoder(bytes.NewReader(data))})
	got, err := tokensOf(newXMLScanner(data))
	if checkChars(data) != nil {
		// Not UTF-8, or a character XML forbids, anywhere (encoding/xml
		// does not look inside comments and processing instructions):
		// the scanner refuses it.
		if err == nil {
			t.Fatalf("the scanner accepts %q", data)
		}
		return
	}
	if stdErr != nil || bytes.Contains(data, []byte("<!")) && !bytes.Contains(data, []byte("<!--")) && !bytes.Contains(data, []byte("<![CDATA[")) {
		return // a document encoding/xml refuses (or with a directive): the scanner may refuse it too
	}
	if err != nil {
		t.Fatalf("encoding/xml reads %q, the scanner fails: %v", data, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("tokens of %q (-encoding/xml +scanner):\n%s", data, diff)
	}
	envStd, errStd := readEnvelope(stdTokens{xml.NewDecoder(bytes.NewReader(data))})
	envScan, errScan := readEnvelope(newXMLScanner(data))
	if (errStd == nil) != (errScan == nil) {
		t.Fatalf("readEnvelope of %q: %v with encoding/xml, %v with the scanner", data, errStd, errScan)
	}
	if diff := cmp.Diff(envStd, envScan, cmp.AllowUnexported(envelope{})); diff != "" {
		t.Fatalf("envelope of %q (-encoding/xml +scanner):\n%s", data, diff)
	}
}

func TestScannerMatchesEncodingXML(t *testing.T) {
	for _, s := range scannerSeeds(t) {
		checkScanner(t, s)
	}
	// And it refuses what must be refused.
	for _, bad := range []string{`<a></b>`, `<a>`, `<a b="<"/>`, `<a>&unknown;</a>`, "<a>\x01</a>", "<a>\xff</a>",
		`<!DOCTYPE a><a/>`, `<a b=c/>`, `<a b/>`, `<a:b:c/>`, `</a>`} {
		if _, err := tokensOf(newXMLScanner([]byte(bad))); err == nil {
			t.Errorf("the scanner accepts %q", bad)
		}
	}
}

func FuzzScannerMatchesEncodingXML(f *testing.F) {
	for _, s := range scannerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkScanner(t, data)
	})
}

func BenchmarkParseReceiveResponse(b *testing.B) {
	data, err := os.ReadFile("testdata/14_receive_cmd_stdin_session_win2019_pywinrm.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("scanner", func(b *testing.B) {
		for b.Loop() {
			if _, err := readEnvelope(newXMLScanner(data)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-xml", func(b *testing.B) {
		for b.Loop() {
			if _, err := readEnvelope(stdTokens{xml.NewDecoder(bytes.NewReader(data))}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
