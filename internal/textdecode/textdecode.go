// Package textdecode turns bytes produced by Windows tools into Go strings:
// UTF-8 (with or without BOM), UTF-16 with a BOM (what PowerShell 5's `>`
// redirection writes), and, for bytes that are not valid UTF-8, Shift-JIS
// (Windows code page 932), which Japanese Windows programs still emit.
// Line endings are normalised to "\n".
package textdecode

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/unicode"
)

// Encoding names the encoding Decode detected.
type Encoding string

// The encodings Decode recognises.
const (
	UTF8    Encoding = "utf-8"
	UTF16LE Encoding = "utf-16le"
	UTF16BE Encoding = "utf-16be"
	CP932   Encoding = "cp932"
)

// Decode converts b to a string and reports which encoding it used. It never
// fails: each run of bytes that is neither valid UTF-8 nor valid CP932 comes
// out as one U+FFFD replacement character, so nothing vanishes unmarked.
func Decode(b []byte) (string, Encoding) {
	var s string
	enc := UTF8
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		s = strings.ToValidUTF8(string(b[3:]), "\uFFFD")
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		s, enc = decodeWith(unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), b), UTF16LE
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		s, enc = decodeWith(unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), b), UTF16BE
	case utf8.Valid(b):
		s = string(b)
	default:
		out, err := japanese.ShiftJIS.NewDecoder().Bytes(b)
		if err != nil || !plausible(out) {
			s = strings.ToValidUTF8(string(b), "\uFFFD")
		} else {
			s, enc = string(out), CP932
		}
	}
	return NormalizeNewlines(s), enc
}

func decodeWith(e encoding.Encoding, b []byte) string {
	out, err := e.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// NormalizeNewlines turns CRLF and lone CR into LF.
func NormalizeNewlines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// plausible reports whether a CP932 decoding looks like text: the decoder
// maps bytes it cannot decode to U+FFFD or to C1 controls rather than failing.
func plausible(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r == utf8.RuneError || (r >= 0x80 && r <= 0x9F) {
			return false
		}
	}
	return true
}
