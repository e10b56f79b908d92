package hresult

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Context model.
//
// A token that has the shape of a code is not always one. Engineers paste
// whole log lines, and those lines hold flags passed to an API
// (CreateFileW(...,0x80000000,0x00000003,...)), sizes in the WSB decimal
// range (SizeRemaining : 2155390976) and ids. FindAll reads what a person
// reads around the token and decides in this order:
//
//  1. The label right before it. A label is the word that ends just before
//     the token, with only separators between them (spaces, ':', '=',
//     quotes, '(', '[', '%', their full-width forms, 「 and （), or the
//     element or Data Name of an XML value (<Data Name="HRESULT">...). Its
//     head word decides (the last word of "Size Remaining", of
//     "SizeRemaining", of "LastBackupResultHR"): a code word (hr, HRESULT,
//     result, error, code, status, エラー, コード ...) makes the token a
//     code whatever follows; a quantity word (size, remaining, free, space,
//     capacity, offset, length, bytes, count, id, pid, flags, serial ...)
//     makes it a value, not a code.
//  2. A unit right after it (bytes, KB, MB, GB, sectors, バイト ...): a value.
//  3. An argument list around it: when the innermost open '(' before the
//     token is glued to a name (Name(, not "function (") and the list has a
//     comma at its own level, the token is an argument of a call: not a
//     code. "Incorrect function (0x80070001)" and "Timed out (0x800423f2)"
//     stay codes.
//  4. Anything else stays a code: a missed code costs more than an extra
//     lookup.
//
// 0x00000000 is found like any code: it is success (FamilySuccess), and
// the layer that explains codes says so.
//
// Every look-around is bounded (contextWindow bytes, and never past a line
// break), so FindAll stays linear in len(text).

// contextWindow bounds how far, in bytes, the context is read on each side.
const contextWindow = 256

// role is what the context says a code-shaped token is.
type role uint8

const (
	roleUnlabelled role = iota // nothing around it says; kept
	roleCode                   // labelled as a code; kept
	roleValue                  // labelled as a size, count, id, flags...; dropped
	roleArgument               // an argument in a call's parameter list; dropped
)

// isCode reports whether a token with this role is reported as a code.
func (r role) isCode() bool { return r == roleCode || r == roleUnlabelled }

// contextRole decides the role of the token text[start:end].
func contextRole(text string, start, end int) role {
	switch labelKind(labelBefore(text, start)) {
	case roleCode:
		return roleCode
	case roleValue:
		return roleValue
	}
	if unitAfter(text, end) {
		return roleValue
	}
	if inCallArguments(text, start, end) {
		return roleArgument
	}
	return roleUnlabelled
}

// isLabelSeparator reports whether r may stand between a label and its
// value.
func isLabelSeparator(r rune) bool {
	switch r {
	case ' ', '\t', ':', '=', '\'', '"', '`', '(', '[', '%', '#',
		'\u3000', '：', '＝', '（', '［', '「', '『', '＃', '％':
		return true
	}
	return false
}

// isWordRune reports whether r is part of a label word: ASCII or
// full-width letters and digits, '_', and letters of other scripts (a
// Japanese label such as エラー or サイズ).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		c := byte(r)
		return isAlnum(c) || c == '_'
	}
	if c := foldRune(r); c != boundary {
		return isAlnum(c)
	}
	return unicode.IsLetter(r) || r == 'ー'
}

// labelBefore returns the label that ends just before text[start], or "".
func labelBefore(text string, start int) string {
	low := max(0, start-contextWindow)
	i := start
	// Skip the separators between the label and the value.
	for i > low {
		r, n := utf8.DecodeLastRuneInString(text[low:i])
		if !isLabelSeparator(r) {
			break
		}
		i -= n
	}
	if i > low && text[i-1] == '>' {
		return xmlLabel(text[low : i-1])
	}
	end := i
	for i > low {
		r, n := utf8.DecodeLastRuneInString(text[low:i])
		if !isWordRune(r) {
			break
		}
		i -= n
	}
	return text[i:end]
}

// xmlLabel names the XML value whose start tag ends at the end of s:
// the Name attribute of <Data Name="HRESULT">, or the element name of
// <HResult>.
func xmlLabel(s string) string {
	lt := strings.LastIndexByte(s, '<')
	if lt < 0 || strings.ContainsAny(s[lt:], "\r\n>") {
		return ""
	}
	tag := s[lt+1:]
	if strings.HasSuffix(tag, `"`) {
		if q := strings.LastIndexByte(tag[:len(tag)-1], '"'); q >= 0 {
			return tag[q+1 : len(tag)-1]
		}
	}
	if sp := strings.IndexAny(tag, " \t"); sp >= 0 {
		tag = tag[:sp]
	}
	return tag
}

// codeWords and valueWords are head words of labels, lower case. A label
// whose head word is in neither set says nothing.
var (
	codeWords = map[string]bool{
		"hr": true, "hres": true, "hresult": true, "result": true, "error": true, "err": true,
		"errorcode": true, "code": true, "status": true, "lasterror": true,
		"winerror": true, "ntstatus": true,
	}
	valueWords = map[string]bool{
		"size": true, "sizes": true, "remaining": true, "free": true, "freespace": true,
		"space": true, "capacity": true, "offset": true, "length": true, "len": true,
		"bytes": true, "byte": true, "count": true, "id": true, "pid": true, "tid": true,
		"processid": true, "threadid": true, "sessionid": true, "serial": true,
		"serialnumber": true, "number": true, "total": true, "used": true,
		"allocated": true, "max": true, "maxsize": true, "maximum": true,
		"min": true, "minimum": true, "limit": true, "quota": true, "sectors": true,
		"clusters": true, "blocks": true, "lba": true, "address": true, "addr": true,
		"flags": true, "flag": true, "mask": true, "attributes": true, "access": true,
		"handle": true, "usn": true, "checksum": true, "crc": true, "timestamp": true,
		"port": true,
	}
	// Japanese labels have no word breaks: their suffix decides.
	codeSuffixesJA  = []string{"エラー", "コード", "結果", "エラー番号"}
	valueSuffixesJA = []string{"サイズ", "容量", "空き領域", "領域", "オフセット", "長さ", "バイト数", "バイト", "件数", "個数", "数", "プロセスID", "ID"}
)

// labelKind classifies a label by its head word: roleCode, roleValue or
// roleUnlabelled.
func labelKind(label string) role {
	if label == "" {
		return roleUnlabelled
	}
	if !isASCIIWord(label) {
		for _, s := range codeSuffixesJA {
			if strings.HasSuffix(label, s) {
				return roleCode
			}
		}
		for _, s := range valueSuffixesJA {
			if strings.HasSuffix(label, s) {
				return roleValue
			}
		}
		// A Japanese word glued to a Latin head (プロセスid) falls through
		// to the head word below.
	}
	head := strings.ToLower(headWord(asciiTail(label)))
	switch {
	case head == "":
		return roleUnlabelled
	case codeWords[head]:
		return roleCode
	case valueWords[head]:
		return roleValue
	}
	// An all-lower-case compound such as errorcode or sizeremaining.
	lower := strings.ToLower(asciiTail(label))
	for _, w := range []string{"hresult", "errorcode", "error", "status"} {
		if strings.HasSuffix(lower, w) {
			return roleCode
		}
	}
	for _, w := range []string{"remaining", "size", "bytes", "count", "length", "offset", "capacity", "freespace"} {
		if strings.HasSuffix(lower, w) {
			return roleValue
		}
	}
	return roleUnlabelled
}

func isASCIIWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// asciiTail returns the trailing run of s made of ASCII letters, digits and
// '_', with full-width letters folded to ASCII.
func asciiTail(s string) string {
	var rev []byte
	for i := len(s); i > 0; {
		r, n := utf8.DecodeLastRuneInString(s[:i])
		c := foldRune(r)
		if c == boundary || !(isAlnum(c) || c == '_') {
			break
		}
		rev = append(rev, c)
		i -= n
	}
	out := make([]byte, len(rev))
	for i, c := range rev {
		out[len(rev)-1-i] = c
	}
	return string(out)
}

// headWord returns the last word of an identifier: the part after the
// last '_', then the last camel-case word (SizeRemaining -> Remaining,
// LastBackupResultHR -> HR, DetailedHResult -> Result, PID -> PID).
func headWord(id string) string {
	id = strings.TrimRight(id, "_0123456789")
	if k := strings.LastIndexByte(id, '_'); k >= 0 {
		id = id[k+1:]
	}
	isUpper := func(c byte) bool { return c >= 'A' && c <= 'Z' }
	i := len(id)
	if i == 0 {
		return ""
	}
	if isUpper(id[i-1]) {
		for i > 0 && isUpper(id[i-1]) {
			i--
		}
		return id[i:]
	}
	for i > 0 && !isUpper(id[i-1]) {
		i--
	}
	if i > 0 {
		i-- // the capital that starts the word
	}
	return id[i:]
}

// units are words that, right after a number, make it a quantity.
var units = map[string]bool{
	"bytes": true, "byte": true, "b": true, "kb": true, "mb": true, "gb": true, "tb": true,
	"kib": true, "mib": true, "gib": true, "tib": true, "sectors": true, "clusters": true,
	"blocks": true,
}

// unitAfter reports whether a unit follows text[end] (after at most a few
// spaces).
func unitAfter(text string, end int) bool {
	i := end
	for k := 0; k < 4 && i < len(text) && (text[i] == ' ' || text[i] == '\t'); k++ {
		i++
	}
	if strings.HasPrefix(text[i:], "バイト") {
		return true
	}
	j := i
	for j < len(text) && j-i < 8 && isAlnum(text[j]) {
		j++
	}
	if j == i || (j < len(text) && (isAlnum(text[j]) || text[j] == '_')) {
		return false
	}
	return units[strings.ToLower(text[i:j])]
}

// inCallArguments reports whether text[start:end] is an argument in a
// call's parameter list: inside Name(...) with a comma at the list's own
// level, on the same line.
func inCallArguments(text string, start, end int) bool {
	low := max(0, start-contextWindow)
	depth, comma, open := 0, false, -1
	for i := start - 1; i >= low && open < 0; i-- {
		switch text[i] {
		case '\n', '\r':
			return false
		case ')':
			depth++
		case '(':
			if depth == 0 {
				open = i
			} else {
				depth--
			}
		case ',':
			if depth == 0 {
				comma = true
			}
		}
	}
	if open <= 0 {
		return false
	}
	if c := text[open-1]; !(isAlnum(c) || c == '_') {
		return false
	}
	if comma {
		return true
	}
	high := min(len(text), end+contextWindow)
	depth = 0
	for i := end; i < high; i++ {
		switch text[i] {
		case '\n', '\r':
			return false
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return false
			}
			depth--
		case ',':
			if depth == 0 {
				return true
			}
		}
	}
	return false
}
