package hresult

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Match forms, the values of Match.Form.
const (
	FormHex           = "hex"            // 0x80780119, 0X800423F4, ０ｘ８０７８０１１９
	FormBareHex       = "bare-hex"       // 800423f4, 80780119
	FormDecimal       = "decimal"        // 2155348249 (Get-WBSummary, events 517/521)
	FormSignedDecimal = "signed-decimal" // -2139619047 (event XML HResult attributes)
)

// Match is one occurrence of a code in a text.
type Match struct {
	Code Code
	// Start and End are byte offsets in the original text: text[Start:End]
	// is exactly the matched substring, including the minus sign of a
	// signed decimal, in whatever width the user typed it.
	Start, End int
	// Form is one of FormHex, FormBareHex, FormDecimal, FormSignedDecimal.
	Form string
}

// ErrSyntax is wrapped by every error Parse returns.
var ErrSyntax = errors.New("not a recognised HRESULT")

// Scanning model.
//
// Text is read rune by rune and each rune is folded to one byte: ASCII as
// is, full-width U+FF01..U+FF5E to its ASCII twin (so ０ｘ８０７８０１１９
// reads as 0x80780119 and U+FF0D as '-'), U+2212 MINUS SIGN to '-', and
// every other rune (Japanese text, other symbols, invalid UTF-8) to
// boundary, which is never part of a token. Offsets always refer to the
// original bytes, so no folded copy of the text is made.
//
// A candidate is a maximal run of folded [0-9A-Za-z]. Only runs of 8 or 10
// characters can be codes. A run is rejected when it is glued to a longer
// token:
//   - the character before is '_', or '.' preceded by a digit (versions
//     such as 6.3.9600.80780119), or '-' preceded by an alphanumeric, '_',
//     '}', '-' or '.' (hyphenated compounds, GUID groups, "--" options);
//   - the character after is '_', '-' followed by an alphanumeric (the
//     first GUID group), or '.' followed by a digit (decimals, versions).
//
// A '-' that is not glued to a preceding token is a minus sign. It makes a
// digit run a signed decimal (and the match includes it); it is ignored
// before the 0x form; before a bare hex run nothing matches (-80780119 is a
// negative number out of range, -800423f4 is not a way to write a code).
//
// Path separators are ordinary boundaries: a code used as a folder name, as
// in C:\Temp\80780119\, is reported. Engineers rarely paste such paths and
// a missed code costs more than an extra lookup, so recall wins here.
//
// Codes written without "0x" and without any hex letter (bare digits
// 80780119, decimals 2155348249 and -2139619047) look like ordinary numbers,
// so they are accepted only when their top 16 bits are a known facility
// prefix (0x8000, 0x8001, 0x8004, 0x8007, 0x8078, 0x8100) and their low 16
// bits are not zero. The second rule rejects round numbers such as
// 80000000, 2147483648 (2 GiB, 2^31) and -2147483648 (INT_MIN), which are
// far more often byte counts or limits than error codes.
//
// Every rune is decoded a bounded number of times, so FindAll runs in time
// linear in len(text).

// boundary is the folded value of any rune that cannot be part of a token,
// and of the positions before the start and after the end of the text.
const boundary = 0x80

func foldRune(r rune) byte {
	switch {
	case r < utf8.RuneSelf:
		return byte(r)
	case r >= 0xFF01 && r <= 0xFF5E:
		return byte(r - 0xFEE0)
	case r == '\u2212':
		return '-'
	}
	return boundary
}

// foldAt returns the folded rune at byte offset i of s and its size in
// bytes; at or past the end it returns boundary and 0.
func foldAt(s string, i int) (byte, int) {
	if i >= len(s) {
		return boundary, 0
	}
	if b := s[i]; b < utf8.RuneSelf {
		return b, 1
	}
	r, n := utf8.DecodeRuneInString(s[i:])
	return foldRune(r), n
}

// foldBefore returns the folded rune that ends at byte offset i of s and
// the offset where it starts; at the start it returns boundary and 0.
func foldBefore(s string, i int) (byte, int) {
	if i <= 0 {
		return boundary, 0
	}
	if b := s[i-1]; b < utf8.RuneSelf {
		return b, i - 1
	}
	r, n := utf8.DecodeLastRuneInString(s[:i])
	return foldRune(r), i - n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func hexVal(c byte) (uint32, bool) {
	switch {
	case isDigit(c):
		return uint32(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint32(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint32(c-'A') + 10, true
	}
	return 0, false
}

// FindAll returns every occurrence of a code in text, duplicates included,
// in order of position. Matches never overlap. A token shaped like a code
// that its context shows to be something else (an argument of a call, a
// size, count, id or flags field, a number followed by a unit) is not a
// code and is left out; see the context model in context.go.
func FindAll(text string) []Match {
	var out []Match
	var tok [10]byte
	for i := 0; i < len(text); {
		c, n := foldAt(text, i)
		if !isAlnum(c) {
			i += n
			continue
		}
		start, k := i, 0
		for ; i < len(text); i += n {
			c, n = foldAt(text, i)
			if !isAlnum(c) {
				break
			}
			if k < len(tok) {
				tok[k] = c
			}
			k++
		}
		if k != 8 && k != 10 {
			continue
		}
		if m, ok := matchRun(text, start, i, tok[:k]); ok && contextRole(text, m.Start, m.End).isCode() {
			out = append(out, m)
		}
	}
	return out
}

// matchRun decides whether the maximal alphanumeric run text[start:end],
// folded to tok, is a code, looking at its context.
func matchRun(text string, start, end int, tok []byte) (Match, bool) {
	switch next, n := foldAt(text, end); next {
	case '_':
		return Match{}, false
	case '-':
		if c, _ := foldAt(text, end+n); isAlnum(c) {
			return Match{}, false
		}
	case '.':
		if c, _ := foldAt(text, end+n); isDigit(c) {
			return Match{}, false
		}
	}

	neg, signAt := false, start
	switch prev, p := foldBefore(text, start); prev {
	case '_':
		return Match{}, false
	case '.':
		if c, _ := foldBefore(text, p); isDigit(c) {
			return Match{}, false
		}
	case '-':
		if c, _ := foldBefore(text, p); isAlnum(c) || c == '_' || c == '}' || c == '-' || c == '.' {
			return Match{}, false
		}
		neg, signAt = true, p
	}
	if hasHexPrefix(tok) {
		// "-0x80780119": the dash is punctuation, not part of the code.
		neg = false
	}
	code, form, rej := classify(tok, neg)
	if rej != accepted {
		return Match{}, false
	}
	if neg {
		start = signAt
	}
	return Match{Code: code, Start: start, End: end, Form: form}, true
}

func hasHexPrefix(tok []byte) bool {
	return len(tok) >= 2 && tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')
}

// rejection says why a token is not a code; the scanner only tests it
// against accepted, Parse turns it into a message with explain.
type rejection uint8

const (
	accepted rejection = iota
	rejSignedHexPrefix
	rejHexLength
	rejHexDigit
	rejBadChar
	rejSignedHex
	rejBareLength
	rejBareFirst
	rejSignedRange
	rejUnsignedRange
	rejFacility
	rejRound
	rejOrdinary
)

// classify interprets one folded alphanumeric token, preceded by a minus
// sign when neg is set. On failure code holds the value the token would
// have had, where there is one, for explain.
func classify(tok []byte, neg bool) (code Code, form string, rej rejection) {
	if hasHexPrefix(tok) {
		switch {
		case neg:
			return 0, "", rejSignedHexPrefix
		case len(tok) != 10:
			return 0, "", rejHexLength
		}
		v, bad := parseHex(tok[2:])
		if bad >= 0 {
			return 0, "", rejHexDigit
		}
		return Code(v), FormHex, accepted
	}

	letters := false
	for _, c := range tok {
		if _, ok := hexVal(c); !ok {
			return 0, "", rejBadChar
		}
		if !isDigit(c) {
			letters = true
		}
	}

	if letters {
		switch {
		case neg:
			return 0, "", rejSignedHex
		case len(tok) != 8:
			return 0, "", rejBareLength
		case tok[0] != '8':
			return 0, "", rejBareFirst
		}
		v, _ := parseHex(tok)
		return Code(v), FormBareHex, accepted
	}

	// Digits only: plausible only with a known facility and non-zero low
	// 16 bits (see the scanning model above).
	switch {
	case neg:
		if len(tok) != 10 || string(tok) < "2000000000" || string(tok) > "2147483648" {
			return 0, "", rejSignedRange
		}
		c := Code(uint32(-int64(parseDec(tok))))
		return c, FormSignedDecimal, plausible(c)
	case len(tok) == 8 && tok[0] == '8':
		v, _ := parseHex(tok)
		return Code(v), FormBareHex, plausible(Code(v))
	case len(tok) == 10:
		if string(tok) < "2147483648" || string(tok) > "4294967295" {
			return 0, "", rejUnsignedRange
		}
		c := Code(uint32(parseDec(tok)))
		return c, FormDecimal, plausible(c)
	}
	return 0, "", rejOrdinary
}

// plausible checks a code written with digits only (no 0x, no hex letter).
func plausible(c Code) rejection {
	switch v := uint32(c); v >> 16 {
	case 0x8000, 0x8001, 0x8004, 0x8007, 0x8078, 0x8100: // known facilities
		if v&0xFFFF == 0 {
			return rejRound
		}
		return accepted
	default:
		return rejFacility
	}
}

// explain words a rejection of tok for the user.
func explain(tok []byte, neg bool, code Code, rej rejection) string {
	as := clip(tok)
	if neg {
		as = "-" + as
	}
	switch rej {
	case rejSignedHexPrefix:
		return "a minus sign is not allowed before the 0x form"
	case rejHexLength:
		return fmt.Sprintf("want exactly 8 hex digits after %q, got %d", tok[:2], len(tok)-2)
	case rejHexDigit:
		for _, c := range tok[2:] {
			if _, ok := hexVal(c); !ok {
				return fmt.Sprintf("%q is not a hex digit", c)
			}
		}
	case rejBadChar:
		for _, c := range tok {
			if _, ok := hexVal(c); !ok {
				return fmt.Sprintf("%q is not a hex or decimal digit; want 0x + 8 hex digits, 8 hex digits starting with 8, or a 10-digit decimal", c)
			}
		}
	case rejSignedHex:
		return "a minus sign is not allowed before a hex code"
	case rejBareLength:
		return fmt.Sprintf("bare hex %s has %d digits; want 8 starting with 8, or write it as 0x + 8 hex digits", as, len(tok))
	case rejBareFirst:
		return fmt.Sprintf("bare hex %s does not start with 8; write other values as 0x%s", as, strings.ToUpper(string(tok)))
	case rejSignedRange:
		return fmt.Sprintf("%s is outside the signed HRESULT range -2147483648..-2000000000", as)
	case rejUnsignedRange:
		return fmt.Sprintf("%s is outside the unsigned HRESULT range 2147483648..4294967295", as)
	case rejFacility:
		return fmt.Sprintf("%s would be %s, whose top 16 bits 0x%04X are not a known facility (0x8000, 0x8001, 0x8004, 0x8007, 0x8078, 0x8100); write it as %s if you mean that code", as, code, uint32(code)>>16, code)
	case rejRound:
		return fmt.Sprintf("%s would be %s, a round number (low 16 bits zero) more likely a size or limit than a code; write it as %s if you mean that code", as, code, code)
	case rejOrdinary:
		return fmt.Sprintf("%s is an ordinary number; want 8 hex digits starting with 8, a 10-digit decimal, or 0x + 8 hex digits", as)
	}
	return "not a code"
}

// parseHex parses up to 8 hex digits; bad is the index of the first invalid
// digit, or -1.
func parseHex(b []byte) (v uint32, bad int) {
	for i, c := range b {
		d, ok := hexVal(c)
		if !ok {
			return 0, i
		}
		v = v<<4 | d
	}
	return v, -1
}

// parseDec parses up to 10 decimal digits.
func parseDec(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v*10 + uint64(c-'0')
	}
	return v
}

// clip keeps error messages short when the input is long.
func clip(b []byte) string {
	const max = 24
	if len(b) <= max {
		return string(b)
	}
	return string(b[:max]) + "..."
}

// Extract returns every distinct code found in text, in order of first
// appearance. The same code written in different forms (0x80780119,
// 2155348249, -2139619047) is reported once.
func Extract(text string) []Code {
	ms := FindAll(text)
	if len(ms) == 0 {
		return nil
	}
	seen := make(map[Code]struct{}, len(ms))
	out := make([]Code, 0, len(ms))
	for _, m := range ms {
		if _, dup := seen[m.Code]; dup {
			continue
		}
		seen[m.Code] = struct{}{}
		out = append(out, m.Code)
	}
	return out
}

// Parse reads exactly one code that makes up the whole of s, apart from
// leading and trailing white space. It accepts every form FindAll finds:
// 0x/0X + 8 hex digits (any value), 8 bare hex digits starting with 8,
// unsigned and signed decimals, in ASCII or full width. For any s,
// Parse(s) succeeds exactly when FindAll(strings.TrimSpace(s)) returns one
// match covering all of it, and then returns the same code.
//
// Errors wrap ErrSyntax and say what is wrong.
func Parse(s string) (Code, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, parseError(s, "empty input; want a code such as 0x80780119")
	}
	neg, i := false, 0
	if c, n := foldAt(t, 0); c == '-' {
		neg, i = true, n
	}
	tok := make([]byte, 0, 10)
	for i < len(t) {
		c, n := foldAt(t, i)
		if !isAlnum(c) {
			return 0, parseError(s, extraTextReason(t, i))
		}
		tok = append(tok, c)
		i += n
	}
	if len(tok) == 0 {
		return 0, parseError(s, "a minus sign alone is not a code")
	}
	code, _, rej := classify(tok, neg)
	if rej != accepted {
		return 0, parseError(s, explain(tok, neg, code, rej))
	}
	return code, nil
}

// extraTextReason explains why t, which has a non-token character at byte
// offset i, is not a single code.
func extraTextReason(t string, i int) string {
	switch ms := FindAll(t); len(ms) {
	case 0:
		r, _ := utf8.DecodeRuneInString(t[i:])
		return fmt.Sprintf("unexpected character %q at byte %d", r, i)
	case 1:
		return fmt.Sprintf("found %s with other text around it; want the code alone", ms[0].Code)
	default:
		return fmt.Sprintf("found %d codes; want exactly one", len(ms))
	}
}

func parseError(s, reason string) error {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return fmt.Errorf("parse hresult %q: %w: %s", s, ErrSyntax, reason)
}
