package winrmtest

import (
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/transform"
)

// Code pages the fake accepts in WINRS_CODEPAGE.
const (
	CodepageUTF8  = 65001
	CodepageCP932 = 932 // Shift-JIS as Windows-31J
	CodepageCP437 = 437 // OEM United States, the default of an en-US server
)

// codepageEncoding returns the encoding of a Windows code page. isUTF8 is true
// for 65001, whose output passes through unchanged; ok is false for a code
// page the fake does not know.
func codepageEncoding(cp int) (enc encoding.Encoding, isUTF8 bool, ok bool) {
	switch cp {
	case CodepageUTF8:
		return nil, true, true
	case CodepageCP932:
		return japanese.ShiftJIS, false, true
	case CodepageCP437:
		return charmap.CodePage437, false, true
	case 850:
		return charmap.CodePage850, false, true
	case 852:
		return charmap.CodePage852, false, true
	case 866:
		return charmap.CodePage866, false, true
	case 936:
		return simplifiedchinese.GBK, false, true
	case 949:
		return korean.EUCKR, false, true
	case 950:
		return traditionalchinese.Big5, false, true
	case 1250:
		return charmap.Windows1250, false, true
	case 1251:
		return charmap.Windows1251, false, true
	case 1252:
		return charmap.Windows1252, false, true
	case 28591:
		return charmap.ISO8859_1, false, true
	}
	return nil, false, false
}

// cpEncoder converts UTF-8 text to a code page the way Windows'
// WideCharToMultiByte does without best-fit: every character the code page
// cannot represent, and every invalid UTF-8 byte, becomes '?'. A character
// split across two writes is held back until it is complete.
type cpEncoder struct {
	t    transform.Transformer
	pend [utf8.UTFMax]byte
	npen int
}

func newCPEncoder(enc encoding.Encoding) *cpEncoder {
	return &cpEncoder{t: enc.NewEncoder()}
}

// encode appends the encoding of p to dst. An incomplete character at the
// end of p is held back for the next call.
func (e *cpEncoder) encode(dst, p []byte) []byte {
	src := p
	if e.npen > 0 {
		// Complete the held-back character first.
		buf := make([]byte, 0, e.npen+len(p))
		buf = append(buf, e.pend[:e.npen]...)
		src = append(buf, p...)
		e.npen = 0
	}
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if !utf8.FullRune(src[i:]) {
			e.npen = copy(e.pend[:], src[i:])
			return dst
		}
		r, size := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, '?')
			i++
			continue
		}
		dst = e.encodeRune(dst, src[i:i+size])
		i += size
	}
	return dst
}

// flush emits a held-back incomplete character: one '?' per byte, as for
// any other invalid byte.
func (e *cpEncoder) flush(dst []byte) []byte {
	for range e.npen {
		dst = append(dst, '?')
	}
	e.npen = 0
	return dst
}

func (e *cpEncoder) encodeRune(dst, r []byte) []byte {
	var buf [8]byte
	e.t.Reset()
	n, _, err := e.t.Transform(buf[:], r, true)
	if err != nil || n == 0 {
		return append(dst, '?')
	}
	return append(dst, buf[:n]...)
}
