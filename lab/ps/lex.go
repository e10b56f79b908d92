package ps

import (
	"fmt"
	"strings"
	"unicode"
)

// tokKind is the kind of a PowerShell token.
type tokKind int

const (
	tEOF         tokKind = iota
	tNewline             // new line or ;
	tWord                // bareword / generic argument / number
	tParam               // -Name (s without the dash); colon: -Name:value
	tString              // s is the content; expand for double quotes
	tVar                 // $name (s: name; "env:X" for environment)
	tPipe                // |
	tLParen              // (
	tRParen              // )
	tLBrace              // {
	tRBrace              // }
	tIndex               // [ right after a primary: indexing
	tRBracket            // ]
	tType                // [TypeName] (s: the name)
	tComma               // ,
	tMember              // .Name right after a primary (s: Name)
	tStatic              // ::Name after a type (s: Name)
	tAssign              // =
	tOp                  // + - ! * / % (s)
	tAtParen             // @(
	tAtBrace             // @{
	tDollarParen         // $(
	tRedirect            // 2>&1, >$null, 2>$null, *>$null, > file (s: operator)
	tAmp                 // & call operator
)

// token is one lexed token; pos, line and col locate it in the source.
type token struct {
	kind   tokKind
	s      string
	expand bool
	colon  bool // tParam written as -Name:
	pos    int  // byte offset
	end    int  // byte offset after the token
	line   int  // 1-based
	col    int  // 1-based, in characters
	space  bool // whitespace before the token
}

// source is a script text with its line starts, for error positions.
type source struct {
	text  string
	lines []int // byte offsets of line starts
}

func newSource(text string) *source {
	s := &source{text: text, lines: []int{0}}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// lineCol converts a byte offset into a 1-based line and character column.
func (s *source) lineCol(pos int) (int, int) {
	line := 0
	for i, st := range s.lines {
		if st <= pos {
			line = i
		}
	}
	col := len([]rune(s.text[s.lines[line]:pos])) + 1
	return line + 1, col
}

// lineText returns line n (1-based) without its line break.
func (s *source) lineText(n int) string {
	if n < 1 || n > len(s.lines) {
		return ""
	}
	start := s.lines[n-1]
	end := len(s.text)
	if n < len(s.lines) {
		end = s.lines[n] - 1
	}
	return strings.TrimRight(s.text[start:end], "\r")
}

// syntaxError is a problem found while lexing or parsing.
type syntaxError struct {
	pos    int
	length int
	msg    string
	id     string
	lab    bool    // a construct the interpreter does not run
	src    *source // set by Parse
}

func (e *syntaxError) Error() string { return e.msg }

// lex splits a script into tokens.
func lex(src *source) ([]token, error) {
	s := src.text
	var toks []token
	i := 0
	space := true
	var nest []byte // open brackets: 'h' hashtable, 'b' brace, 'p' paren
	emit := func(k tokKind, val string, start, end int) *token {
		l, c := src.lineCol(start)
		toks = append(toks, token{kind: k, s: val, pos: start, end: end, line: l, col: c, space: space})
		space = false
		return &toks[len(toks)-1]
	}
	prevPrimary := func() bool {
		if len(toks) == 0 || space {
			return false
		}
		switch toks[len(toks)-1].kind {
		case tVar, tRParen, tRBracket, tString, tMember, tType, tStatic, tRBrace:
			return true
		}
		return false
	}
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == 0xA0:
			i++
			space = true
			continue
		case c == '\r':
			i++
			continue
		case c == '`' && i+1 < len(s) && (s[i+1] == '\n' || s[i+1] == '\r'):
			// line continuation
			i++
			for i < len(s) && (s[i] == '\r' || s[i] == '\n') {
				if s[i] == '\n' {
					i++
					break
				}
				i++
			}
			space = true
			continue
		case c == '\n' || c == ';':
			emit(tNewline, string(c), i, i+1)
			i++
			space = true
			continue
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			continue
		case c == '<' && i+1 < len(s) && s[i+1] == '#':
			end := strings.Index(s[i+2:], "#>")
			if end < 0 {
				return nil, &syntaxError{pos: i, length: 2, msg: "Missing closing '#>' in block comment.", id: "MissingEndOfBlockComment"}
			}
			i += 2 + end + 2
			space = true
			continue
		case c == '|':
			if i+1 < len(s) && s[i+1] == '|' {
				return nil, &syntaxError{pos: i, length: 2, msg: "The token '||' is not a valid statement separator in this version.", id: "InvalidEndOfLine"}
			}
			emit(tPipe, "|", i, i+1)
			i++
			space = true
			continue
		case c == '(':
			emit(tLParen, "(", i, i+1)
			nest = append(nest, 'p')
			i++
			continue
		case c == ')':
			emit(tRParen, ")", i, i+1)
			if len(nest) > 0 {
				nest = nest[:len(nest)-1]
			}
			i++
			continue
		case c == '{':
			emit(tLBrace, "{", i, i+1)
			nest = append(nest, 'b')
			i++
			continue
		case c == '}':
			emit(tRBrace, "}", i, i+1)
			if len(nest) > 0 {
				nest = nest[:len(nest)-1]
			}
			i++
			continue
		case c == ',':
			emit(tComma, ",", i, i+1)
			i++
			continue
		case c == ']':
			emit(tRBracket, "]", i, i+1)
			i++
			continue
		case c == '[':
			if prevPrimary() {
				emit(tIndex, "[", i, i+1)
				i++
				continue
			}
			if n, name := typeLiteral(s[i:]); n > 0 {
				emit(tType, name, i, i+n)
				i += n
				if strings.HasPrefix(s[i:], "::") {
					j := i + 2
					k := j
					for k < len(s) && isIdent(rune(s[k])) {
						k++
					}
					emit(tStatic, s[j:k], i, k)
					i = k
				}
				continue
			}
		case c == '.' && prevPrimary() && i+1 < len(s) && isIdentStart(rune(s[i+1])):
			j := i + 1
			for j < len(s) && isIdent(rune(s[j])) {
				j++
			}
			emit(tMember, s[i+1:j], i, j)
			i = j
			continue
		case c == '\'' || strings.HasPrefix(s[i:], "‘") || strings.HasPrefix(s[i:], "’"):
			val, n, err := lexSingle(s[i:])
			if err != nil {
				return nil, &syntaxError{pos: i, length: 1, msg: "The string is missing the terminator: '.", id: "TerminatorExpectedAtEndOfString"}
			}
			emit(tString, val, i, i+n)
			i += n
			continue
		case c == '"':
			val, n, err := lexDouble(s[i:])
			if err != nil {
				return nil, &syntaxError{pos: i, length: 1, msg: "The string is missing the terminator: \".", id: "TerminatorExpectedAtEndOfString"}
			}
			t := emit(tString, val, i, i+n)
			t.expand = true
			i += n
			continue
		case c == '@' && i+1 < len(s):
			switch s[i+1] {
			case '(':
				emit(tAtParen, "@(", i, i+2)
				nest = append(nest, 'p')
				i += 2
				continue
			case '{':
				emit(tAtBrace, "@{", i, i+2)
				nest = append(nest, 'h')
				i += 2
				continue
			case '\'', '"':
				val, n, err := lexHere(s[i:])
				if err != nil {
					return nil, &syntaxError{pos: i, length: 2, msg: "The string is missing the terminator: " + string(s[i+1]) + "@.", id: "TerminatorExpectedAtEndOfString"}
				}
				t := emit(tString, val, i, i+n)
				t.expand = s[i+1] == '"'
				i += n
				continue
			}
		case c == '$':
			if i+1 < len(s) && s[i+1] == '(' {
				emit(tDollarParen, "$(", i, i+2)
				nest = append(nest, 'p')
				i += 2
				continue
			}
			if i+1 < len(s) && s[i+1] == '{' {
				end := strings.IndexByte(s[i+2:], '}')
				if end < 0 {
					return nil, &syntaxError{pos: i, length: 2, msg: "Missing '}' in variable name.", id: "IncompleteDollarVariableReference"}
				}
				emit(tVar, s[i+2:i+2+end], i, i+3+end)
				i += 3 + end
				continue
			}
			j := i + 1
			if j < len(s) && (s[j] == '_' || s[j] == '?' || s[j] == '^' || s[j] == '$') && (j+1 >= len(s) || !isIdent(rune(s[j+1]))) {
				emit(tVar, s[j:j+1], i, j+1)
				i = j + 1
				continue
			}
			for j < len(s) && (isIdent(rune(s[j])) || s[j] == ':') {
				if s[j] == ':' && (j+1 >= len(s) || !isIdentStart(rune(s[j+1]))) {
					break
				}
				j++
			}
			if j == i+1 {
				emit(tWord, "$", i, j)
				i = j
				continue
			}
			emit(tVar, s[i+1:j], i, j)
			i = j
			continue
		case c == '&' && (i+1 >= len(s) || s[i+1] != '&'):
			emit(tAmp, "&", i, i+1)
			i++
			continue
		case c == '&':
			return nil, &syntaxError{pos: i, length: 2, msg: "The token '&&' is not a valid statement separator in this version.", id: "InvalidEndOfLine"}
		case c == '=' && (i+1 >= len(s) || s[i+1] != '='):
			emit(tAssign, "=", i, i+1)
			i++
			continue
		case c == '-' && i+1 < len(s) && isIdentStart(rune(s[i+1])):
			j := i + 1
			for j < len(s) && (isIdent(rune(s[j])) || s[j] == '-') {
				j++
			}
			t := emit(tParam, s[i+1:j], i, j)
			if j < len(s) && s[j] == ':' {
				t.colon = true
				t.end = j + 1
				j++
			}
			i = j
			continue
		case (c == '+' || c == '!' || c == '-' || c == '*' || c == '/' || c == '%') && (i+1 >= len(s) || isOpFollower(s[i+1])):
			if c == '-' || c == '+' {
				if i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' && !prevPrimary() && (len(toks) == 0 || toks[len(toks)-1].kind != tWord || space) {
					break // a signed number
				}
			}
			if c == '/' || c == '*' {
				if i+1 < len(s) && !isOpFollower(s[i+1]) {
					break // /N, *SQL* ...
				}
			}
			emit(tOp, string(c), i, i+1)
			i++
			continue
		}
		if n := redirectLen(s[i:]); n > 0 {
			emit(tRedirect, s[i:i+n], i, i+n)
			i += n
			space = true
			continue
		}
		// bareword
		j := i
		for j < len(s) {
			r := rune(s[j])
			if r == ' ' || r == '\t' || r == '\r' || r == '\n' || r == ';' || r == '|' || r == '(' || r == ')' || r == '{' || r == '}' || r == ',' || r == '"' || r == '\'' {
				break
			}
			if r == '=' && len(nest) > 0 && nest[len(nest)-1] == 'h' {
				break
			}
			if r == '$' && j > i && j+1 < len(s) && (s[j+1] == '(' || isIdentStart(rune(s[j+1]))) {
				break
			}
			if r == '.' && j+1 < len(s) && s[j+1] == '.' {
				break
			}
			j++
		}
		if j == i {
			return nil, &syntaxError{pos: i, length: 1, msg: fmt.Sprintf("Unexpected token '%c' in expression or statement.", c), id: "UnexpectedToken"}
		}
		emit(tWord, s[i:j], i, j)
		i = j
	}
	l, c := src.lineCol(len(s))
	toks = append(toks, token{kind: tEOF, pos: len(s), end: len(s), line: l, col: c, space: true})
	return toks, nil
}

func isOpFollower(c byte) bool {
	return c == ' ' || c == '\t' || c == '(' || c == '$' || c == '\'' || c == '"' || c == '\r' || c == '\n' || (c >= '0' && c <= '9')
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }

func isIdent(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

// typeLiteral matches [Name.Space.Type] or [Type[]] at the start of s.
func typeLiteral(s string) (int, string) {
	if len(s) < 3 || s[0] != '[' || !isIdentStart(rune(s[1])) {
		return 0, ""
	}
	j := 1
	for j < len(s) && (isIdent(rune(s[j])) || s[j] == '.') {
		j++
	}
	name := s[1:j]
	if strings.HasPrefix(s[j:], "[]") {
		name += "[]"
		j += 2
	}
	if j >= len(s) || s[j] != ']' {
		return 0, ""
	}
	return j + 1, name
}

// redirectLen matches a redirection operator at the start of s.
func redirectLen(s string) int {
	i := 0
	if i < len(s) && (s[i] == '*' || (s[i] >= '1' && s[i] <= '6')) {
		i++
	}
	if i >= len(s) || s[i] != '>' {
		return 0
	}
	i++
	if i < len(s) && s[i] == '>' {
		i++
	}
	if i+1 < len(s) && s[i] == '&' && s[i+1] >= '1' && s[i+1] <= '2' {
		i += 2
	}
	return i
}

func lexSingle(s string) (string, int, error) {
	var b strings.Builder
	rs := []rune(s)
	n := len(string(rs[0]))
	for i := 1; i < len(rs); i++ {
		r := rs[i]
		n += len(string(r))
		if r == '\'' || r == '‘' || r == '’' {
			if i+1 < len(rs) && (rs[i+1] == '\'' || rs[i+1] == '‘' || rs[i+1] == '’') {
				b.WriteRune(r)
				i++
				n += len(string(rs[i]))
				continue
			}
			return b.String(), n, nil
		}
		b.WriteRune(r)
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// lexDouble returns the raw content of a double-quoted string (escapes are
// resolved when it is expanded).
func lexDouble(s string) (string, int, error) {
	depth := 0
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '`':
			i++
		case '$':
			if i+1 < len(s) && s[i+1] == '(' {
				depth++
				i++
			}
		case ')':
			if depth > 0 {
				depth--
			}
		case '"':
			if depth > 0 {
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				i++
				continue
			}
			return s[1:i], i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}

// lexHere reads a here-string @'...'@ or @"..."@.
func lexHere(s string) (string, int, error) {
	q := s[1]
	nl := strings.IndexByte(s, '\n')
	if nl < 0 {
		return "", 0, fmt.Errorf("unterminated here-string")
	}
	term := "\n" + string(q) + "@"
	end := strings.Index(s[nl:], term)
	if end < 0 {
		return "", 0, fmt.Errorf("unterminated here-string")
	}
	body := s[nl+1 : nl+end]
	body = strings.TrimSuffix(body, "\r")
	return body, nl + end + len(term), nil
}
