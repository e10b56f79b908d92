package ps

import (
	"errors"
	"fmt"
	"strings"
)

// stmtKind is the kind of a statement.
type stmtKind int

const (
	sPipeline stmtKind = iota
	sAssign
	sExit
	sReturn
	sThrow
	sIf
	sForeach
	sTry
)

// stmt is one statement of a script.
type stmt struct {
	kind    stmtKind
	varName string    // sAssign
	pipe    *pipeline // the pipeline, the assigned value, exit/return/throw's operand (may be nil), or foreach's collection
	start   int
	end     int

	conds              []*pipeline // sIf: if and elseif conditions
	bodies             [][]*stmt   // sIf: their bodies; sForeach, sTry: bodies[0]
	orElse             []*stmt     // sIf: the else body
	catch              []*stmt     // sTry
	final              []*stmt     // sTry
	hasCatch, hasFinal bool
}

// pipeline is `elem | elem | ...` with its redirections.
type pipeline struct {
	elems []*pipeElem
	redir []string // 2>&1, 2>$null, >$null, *>$null, > file ...
	start int
	end   int
}

// pipeElem is a command (with its arguments) or, first in a pipeline only,
// an expression.
type pipeElem struct {
	cmd     bool
	name    string
	nameTok token
	call    expr // & <expr>
	args    []cmdArg
	x       expr
	start   int
	end     int
}

// cmdArg is a -Parameter (param != "") or a value; a value right after a
// non-switch parameter is bound to it by the binder.
type cmdArg struct {
	param string
	colon bool // -Param:value, val is the value
	val   expr
	tok   token
}

// Expressions.
type expr interface{ isExpr() }

type (
	litExpr struct{ v any }
	strExpr struct {
		raw    string
		expand bool
	}
	varExpr    struct{ name string }
	memberExpr struct {
		x    expr
		name string
	}
	methodExpr struct {
		x    expr
		name string
		args []expr
	}
	staticExpr struct {
		typ, name string
		args      []expr
		call      bool
	}
	indexExpr struct{ x, idx expr }
	parenExpr struct{ p *pipeline }
	subExpr   struct {
		stmts []*stmt
		array bool
	}
	arrayExpr struct{ elems []expr }
	hashExpr  struct {
		keys []string
		vals []expr
	}
	binExpr struct {
		op   string
		l, r expr
	}
	unaryExpr struct {
		op string
		x  expr
	}
	castExpr struct {
		typ string
		x   expr
	}
	typeExpr  struct{ name string }
	blockExpr struct{ b *Block }
)

func (litExpr) isExpr()    {}
func (strExpr) isExpr()    {}
func (varExpr) isExpr()    {}
func (memberExpr) isExpr() {}
func (methodExpr) isExpr() {}
func (staticExpr) isExpr() {}
func (indexExpr) isExpr()  {}
func (parenExpr) isExpr()  {}
func (subExpr) isExpr()    {}
func (arrayExpr) isExpr()  {}
func (hashExpr) isExpr()   {}
func (binExpr) isExpr()    {}
func (unaryExpr) isExpr()  {}
func (castExpr) isExpr()   {}
func (typeExpr) isExpr()   {}
func (blockExpr) isExpr()  {}

// unsupportedKeyword reports whether kw starts a construct the lab does
// not simulate, and how the error names it.
func unsupportedKeyword(kw string) (string, bool) {
	switch kw {
	case "for":
		return "for (...) { ... }", true
	case "while":
		return "while (...) { ... }", true
	case "do":
		return "do { ... }", true
	case "switch":
		return "switch (...) { ... }", true
	case "catch", "finally", "trap", "begin", "process", "end", "data":
		return kw + " { ... }", true
	case "param":
		return "param(...)", true
	case "elseif", "else", "until", "function", "filter", "break", "continue",
		"class", "enum", "using", "workflow", "configuration":
		return kw, true
	}
	return "", false
}

// isComparisonOp reports whether -op is a comparison operator.
func isComparisonOp(op string) bool {
	if isBaseOp(op) {
		return true
	}
	return len(op) > 1 && (op[0] == 'i' || op[0] == 'c') && isBaseOp(op[1:])
}

type parser struct {
	src  *source
	toks []token
	i    int
}

// Script is a parsed script. It is never changed after Parse, so one
// Script may run on many hosts at once.
type Script struct {
	src   *source
	stmts []*stmt
}

// Text is the script's source text.
func (s *Script) Text() string { return s.src.text }

// Parse parses a script. A syntax error (or a construct the interpreter
// does not run) is returned as an error whose message names it; Run turns
// it into PowerShell's ParserError.
func Parse(text string) (*Script, error) {
	src := newSource(text)
	stmts, err := parseScript(src)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			se.src = src
		}
		return nil, err
	}
	return &Script{src: src, stmts: stmts}, nil
}

// parseScript parses a whole script.
func parseScript(src *source) ([]*stmt, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{src: src, toks: toks}
	stmts, err := p.statements(false)
	if err != nil {
		return nil, err
	}
	if p.cur().kind != tEOF {
		t := p.cur()
		return nil, p.errAt(t, fmt.Sprintf("Unexpected token '%s' in expression or statement.", t.s), "UnexpectedToken")
	}
	return stmts, nil
}

func (p *parser) cur() token { return p.toks[p.i] }

func (p *parser) peek(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if p.i < len(p.toks)-1 {
		p.i++
	}
	return t
}

func (p *parser) errAt(t token, msg, id string) *syntaxError {
	l := t.end - t.pos
	if l <= 0 {
		l = 1
	}
	return &syntaxError{pos: t.pos, length: l, msg: msg, id: id}
}

func (p *parser) skipNewlines() {
	for p.cur().kind == tNewline {
		p.next()
	}
}

// statements parses until EOF, or until '}' or ')' when nested.
func (p *parser) statements(nested bool) ([]*stmt, error) {
	var out []*stmt
	for {
		p.skipNewlines()
		k := p.cur().kind
		if k == tEOF || (nested && (k == tRBrace || k == tRParen)) {
			return out, nil
		}
		st, err := p.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, st)
		switch p.cur().kind {
		case tNewline, tEOF:
		case tRBrace, tRParen:
			if !nested {
				t := p.cur()
				return nil, p.errAt(t, fmt.Sprintf("Unexpected token '%s' in expression or statement.", t.s), "UnexpectedToken")
			}
		default:
			t := p.cur()
			return nil, p.errAt(t, fmt.Sprintf("Unexpected token '%s' in expression or statement.", t.s), "UnexpectedToken")
		}
	}
}

func (p *parser) statement() (*stmt, error) {
	t := p.cur()
	if t.kind == tWord {
		kw := strings.ToLower(t.s)
		switch kw {
		case "if":
			return p.ifStatement()
		case "foreach":
			return p.foreachStatement()
		case "try":
			return p.tryStatement()
		}
		if desc, ok := unsupportedKeyword(kw); ok {
			e := p.errAt(t, desc, "WsbbotLabUnsupportedSyntax")
			e.lab = true
			return nil, e
		}
		switch kw {
		case "exit", "return", "throw":
			p.next()
			st := &stmt{kind: map[string]stmtKind{"exit": sExit, "return": sReturn, "throw": sThrow}[kw], start: t.pos}
			if k := p.cur().kind; k != tNewline && k != tEOF && k != tRBrace && k != tRParen {
				pl, err := p.pipeline()
				if err != nil {
					return nil, err
				}
				st.pipe = pl
			}
			st.end = p.toks[p.i-1].end
			return st, nil
		}
	}
	if t.kind == tVar && p.peek(1).kind == tAssign {
		p.next()
		p.next()
		p.skipNewlines()
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		return &stmt{kind: sAssign, varName: t.s, pipe: pl, start: t.pos, end: pl.end}, nil
	}
	if op := p.peek(1); t.kind == tVar && (op.kind == tOp && p.peek(2).kind == tAssign || op.kind == tWord && len(op.s) == 2 && strings.HasSuffix(op.s, "=") && strings.ContainsAny(op.s[:1], "+-*/%")) {
		e := p.errAt(t, "compound assignment ("+strings.TrimSuffix(op.s, "=")+"=)", "WsbbotLabUnsupportedSyntax")
		e.lab = true
		return nil, e
	}
	if t.kind == tVar && (p.peek(1).kind == tMember) {
		// $x.Prop = value
		j := 1
		for p.peek(j).kind == tMember {
			j++
		}
		if p.peek(j).kind == tAssign {
			e := p.errAt(t, "property assignment ($x.Property = ...)", "WsbbotLabUnsupportedSyntax")
			e.lab = true
			return nil, e
		}
	}
	pl, err := p.pipeline()
	if err != nil {
		return nil, err
	}
	return &stmt{kind: sPipeline, pipe: pl, start: pl.start, end: pl.end}, nil
}

// ifStatement parses if (...) {...} elseif (...) {...} else {...}.
func (p *parser) ifStatement() (*stmt, error) {
	st := &stmt{kind: sIf, start: p.next().pos}
	for {
		cond, err := p.condition()
		if err != nil {
			return nil, err
		}
		body, err := p.stmtBlock()
		if err != nil {
			return nil, err
		}
		st.conds, st.bodies = append(st.conds, cond), append(st.bodies, body)
		kw := p.nextKeyword()
		if kw == "elseif" {
			p.next()
			continue
		}
		if kw == "else" {
			p.next()
			if st.orElse, err = p.stmtBlock(); err != nil {
				return nil, err
			}
		}
		break
	}
	st.end = p.toks[p.i-1].end
	return st, nil
}

// foreachStatement parses foreach ($x in <pipeline>) {...}.
func (p *parser) foreachStatement() (*stmt, error) {
	kw := p.next()
	open := p.cur()
	if open.kind != tLParen {
		return nil, p.errAt(kw, "Missing opening '(' after keyword 'foreach'.", "MissingOpenParenthesisAfterKeyword")
	}
	p.next()
	p.skipNewlines()
	v := p.cur()
	if v.kind != tVar {
		return nil, p.errAt(v, "Missing variable name after foreach.", "MissingVariableNameAfterForeach")
	}
	p.next()
	if in := p.cur(); in.kind != tWord || !strings.EqualFold(in.s, "in") {
		return nil, p.errAt(in, "Missing 'in' after variable in foreach loop.", "MissingInInForeach")
	}
	p.next()
	p.skipNewlines()
	coll, err := p.pipelineNL()
	if err != nil {
		return nil, err
	}
	p.skipNewlines()
	if p.cur().kind != tRParen {
		return nil, p.errAt(open, "Missing closing ')' after expression in 'foreach' statement.", "MissingEndParenthesisAfterForeach")
	}
	p.next()
	body, err := p.stmtBlock()
	if err != nil {
		return nil, err
	}
	return &stmt{kind: sForeach, varName: v.s, pipe: coll, bodies: [][]*stmt{body}, start: kw.pos, end: p.toks[p.i-1].end}, nil
}

// tryStatement parses try {...} catch {...} finally {...}: one catch, for
// every error (catch [Type] is outside the subset).
func (p *parser) tryStatement() (*stmt, error) {
	kw := p.next()
	body, err := p.stmtBlock()
	if err != nil {
		return nil, err
	}
	st := &stmt{kind: sTry, bodies: [][]*stmt{body}, start: kw.pos}
	if p.nextKeyword() == "catch" {
		c := p.next()
		if p.cur().kind == tType {
			e := p.errAt(c, "catch [ExceptionType] { ... }", "WsbbotLabUnsupportedSyntax")
			e.lab = true
			return nil, e
		}
		if st.catch, err = p.stmtBlock(); err != nil {
			return nil, err
		}
		st.hasCatch = true
	}
	if p.nextKeyword() == "finally" {
		p.next()
		if st.final, err = p.stmtBlock(); err != nil {
			return nil, err
		}
		st.hasFinal = true
	}
	if !st.hasCatch && !st.hasFinal {
		return nil, p.errAt(kw, "The Try statement is missing its Catch or Finally block.", "MissingCatchOrFinally")
	}
	st.end = p.toks[p.i-1].end
	return st, nil
}

// condition parses the parenthesised pipeline of if and elseif.
func (p *parser) condition() (*pipeline, error) {
	open := p.cur()
	if open.kind != tLParen {
		return nil, p.errAt(p.toks[p.i-1], "Missing '(' after 'if' in if statement.", "MissingOpenParenthesisInIfStatement")
	}
	p.next()
	p.skipNewlines()
	pl, err := p.pipelineNL()
	if err != nil {
		return nil, err
	}
	p.skipNewlines()
	if p.cur().kind != tRParen {
		return nil, p.errAt(open, "Missing closing ')' after expression in 'if' statement.", "MissingEndParenthesisInIfStatement")
	}
	p.next()
	return pl, nil
}

// stmtBlock parses { statements } after optional new lines.
func (p *parser) stmtBlock() ([]*stmt, error) {
	p.skipNewlines()
	open := p.cur()
	if open.kind != tLBrace {
		return nil, p.errAt(p.toks[max(p.i-1, 0)], "Missing statement block.", "MissingStatementBlock")
	}
	p.next()
	stmts, err := p.statements(true)
	if err != nil {
		return nil, err
	}
	if p.cur().kind != tRBrace {
		return nil, p.errAt(open, "Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace")
	}
	p.next()
	return stmts, nil
}

// nextKeyword returns the lower-case word after optional new lines and
// stands on it; when the next word is no keyword of kws it stays put.
func (p *parser) nextKeyword() string {
	save := p.i
	p.skipNewlines()
	if t := p.cur(); t.kind == tWord {
		switch kw := strings.ToLower(t.s); kw {
		case "elseif", "else", "catch", "finally":
			return kw
		}
	}
	p.i = save
	return ""
}

func (p *parser) pipeline() (*pipeline, error) {
	pl := &pipeline{start: p.cur().pos}
	for {
		el, err := p.element(len(pl.elems) == 0, pl)
		if err != nil {
			return nil, err
		}
		pl.elems = append(pl.elems, el)
		for p.cur().kind == tRedirect {
			if err := p.redirect(pl); err != nil {
				return nil, err
			}
		}
		if p.cur().kind != tPipe {
			break
		}
		p.next()
		p.skipNewlines()
	}
	pl.end = p.toks[p.i-1].end
	return pl, nil
}

func (p *parser) redirect(pl *pipeline) error {
	t := p.next()
	op := t.s
	if !strings.Contains(op, "&") {
		tg := p.cur()
		switch tg.kind {
		case tVar, tWord, tString:
			p.next()
			op += tg.s
			if tg.kind == tVar {
				op = strings.TrimSuffix(op, tg.s) + "$" + tg.s
			}
		default:
			return p.errAt(t, "Missing file specification after redirection operator.", "MissingFileSpecification")
		}
	}
	pl.redir = append(pl.redir, strings.ToLower(op))
	return nil
}

func (p *parser) element(first bool, pl *pipeline) (*pipeElem, error) {
	t := p.cur()
	el := &pipeElem{start: t.pos}
	switch {
	case t.kind == tAmp:
		p.next()
		x, err := p.argPrimary()
		if err != nil {
			return nil, err
		}
		el.call = x
		el.nameTok = t
		if err := p.args(el, pl); err != nil {
			return nil, err
		}
	case t.kind == tWord && !(first && isNumberWord(t.s)), t.kind == tOp && (t.s == "%" || t.s == "?"):
		p.next()
		el.cmd, el.name, el.nameTok = true, t.s, t
		if err := p.args(el, pl); err != nil {
			return nil, err
		}
	case first:
		x, err := p.expression()
		if err != nil {
			return nil, err
		}
		el.x = x
	default:
		return nil, p.errAt(t, "Expressions are only allowed as the first element of a pipeline.", "ExpressionsMustBeFirstInPipeline")
	}
	el.end = p.toks[p.i-1].end
	return el, nil
}

func (p *parser) args(el *pipeElem, pl *pipeline) error {
	for {
		t := p.cur()
		switch t.kind {
		case tPipe, tNewline, tEOF, tRParen, tRBrace:
			return nil
		case tRedirect:
			if err := p.redirect(pl); err != nil {
				return err
			}
		case tParam:
			p.next()
			a := cmdArg{param: t.s, tok: t, colon: t.colon}
			if t.colon {
				v, err := p.argValue()
				if err != nil {
					return err
				}
				a.val = v
			}
			el.args = append(el.args, a)
		default:
			v, err := p.argValue()
			if err != nil {
				return err
			}
			el.args = append(el.args, cmdArg{val: v, tok: t})
		}
	}
}

// argValue is an argument in argument mode, with comma arrays.
func (p *parser) argValue() (expr, error) {
	x, err := p.argPrimary()
	if err != nil {
		return nil, err
	}
	if p.cur().kind != tComma {
		return x, nil
	}
	arr := arrayExpr{elems: []expr{x}}
	for p.cur().kind == tComma {
		p.next()
		p.skipNewlines()
		y, err := p.argPrimary()
		if err != nil {
			return nil, err
		}
		arr.elems = append(arr.elems, y)
	}
	return arr, nil
}

func (p *parser) argPrimary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tWord:
		p.next()
		if n, ok := ParseNumber(t.s); ok {
			return litExpr{v: n}, nil
		}
		return litExpr{v: t.s}, nil
	case tOp:
		p.next()
		return litExpr{v: t.s}, nil
	}
	return p.postfix()
}

func isNumberWord(s string) bool {
	_, ok := ParseNumber(s)
	return ok
}

// expression parses an expression in expression mode.
func (p *parser) expression() (expr, error) { return p.logical() }

func (p *parser) opParam(is func(string) bool) (string, bool) {
	t := p.cur()
	if t.kind != tParam {
		return "", false
	}
	op := strings.ToLower(t.s)
	if is(op) {
		return op, true
	}
	return "", false
}

func (p *parser) logical() (expr, error) {
	l, err := p.comparison()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.opParam(func(op string) bool { return op == "and" || op == "or" || op == "xor" })
		if !ok {
			return l, nil
		}
		p.next()
		p.skipNewlines()
		r, err := p.comparison()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
}

func (p *parser) comparison() (expr, error) {
	l, err := p.additive()
	if err != nil {
		return nil, err
	}
	for {
		op, ok := p.opParam(isComparisonOp)
		if !ok {
			return l, nil
		}
		p.next()
		r, err := p.additive()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
}

func (p *parser) additive() (expr, error) {
	l, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for p.cur().kind == tOp && (p.cur().s == "+" || p.cur().s == "-") {
		op := p.next().s
		r, err := p.multiplicative()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) multiplicative() (expr, error) {
	l, err := p.format()
	if err != nil {
		return nil, err
	}
	for p.cur().kind == tOp && (p.cur().s == "*" || p.cur().s == "/" || p.cur().s == "%") {
		op := p.next().s
		r, err := p.format()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: op, l: l, r: r}
	}
	return l, nil
}

func (p *parser) format() (expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		if _, ok := p.opParam(func(op string) bool { return op == "f" }); !ok {
			return l, nil
		}
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = binExpr{op: "f", l: l, r: r}
	}
}

func (p *parser) unary() (expr, error) {
	t := p.cur()
	switch {
	case t.kind == tOp && (t.s == "!" || t.s == "-"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return unaryExpr{op: t.s, x: x}, nil
	case t.kind == tParam && strings.EqualFold(t.s, "not"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return unaryExpr{op: "!", x: x}, nil
	}
	return p.comma()
}

func (p *parser) comma() (expr, error) {
	x, err := p.postfix()
	if err != nil {
		return nil, err
	}
	if p.cur().kind != tComma {
		return x, nil
	}
	arr := arrayExpr{elems: []expr{x}}
	for p.cur().kind == tComma {
		p.next()
		p.skipNewlines()
		y, err := p.postfix()
		if err != nil {
			return nil, err
		}
		arr.elems = append(arr.elems, y)
	}
	return arr, nil
}

func (p *parser) postfix() (expr, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.cur()
		switch t.kind {
		case tMember:
			p.next()
			if nt := p.cur(); nt.kind == tLParen && !nt.space {
				args, err := p.callArgs()
				if err != nil {
					return nil, err
				}
				x = methodExpr{x: x, name: t.s, args: args}
				continue
			}
			x = memberExpr{x: x, name: t.s}
		case tIndex:
			p.next()
			idx, err := p.expression()
			if err != nil {
				return nil, err
			}
			if p.cur().kind != tRBracket {
				return nil, p.errAt(p.cur(), "Array index expression is missing or not valid.", "MissingArrayIndexExpression")
			}
			p.next()
			x = indexExpr{x: x, idx: idx}
		default:
			return x, nil
		}
	}
}

// callArgs parses "(a, b, c)" of a method call.
func (p *parser) callArgs() ([]expr, error) {
	open := p.next()
	p.skipNewlines()
	var args []expr
	if p.cur().kind == tRParen {
		p.next()
		return nil, nil
	}
	for {
		a, err := p.logicalNoComma()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		p.skipNewlines()
		switch p.cur().kind {
		case tComma:
			p.next()
			p.skipNewlines()
		case tRParen:
			p.next()
			return args, nil
		default:
			return nil, p.errAt(open, "Missing ')' in method call.", "MissingEndParenthesisInMethodCall")
		}
	}
}

// logicalNoComma parses a method argument: an expression without a
// top-level comma (commas separate the arguments).
func (p *parser) logicalNoComma() (expr, error) {
	save := p.i
	x, err := p.expression()
	if err != nil {
		return nil, err
	}
	if arr, ok := x.(arrayExpr); ok && len(arr.elems) > 1 {
		// re-parse: take only the first element, leave the comma
		p.i = save
		y, err := p.unaryNoComma()
		if err != nil {
			return nil, err
		}
		return y, nil
	}
	return x, nil
}

func (p *parser) unaryNoComma() (expr, error) {
	t := p.cur()
	if t.kind == tOp && (t.s == "!" || t.s == "-") {
		p.next()
		x, err := p.unaryNoComma()
		if err != nil {
			return nil, err
		}
		return unaryExpr{op: t.s, x: x}, nil
	}
	return p.postfix()
}

func (p *parser) primary() (expr, error) {
	t := p.cur()
	switch t.kind {
	case tVar:
		p.next()
		return varExpr{name: t.s}, nil
	case tString:
		p.next()
		return strExpr{raw: t.s, expand: t.expand}, nil
	case tWord:
		if n, ok := ParseNumber(t.s); ok {
			p.next()
			return litExpr{v: n}, nil
		}
		return nil, p.errAt(t, fmt.Sprintf("Unexpected token '%s' in expression or statement.", t.s), "UnexpectedToken")
	case tLParen:
		p.next()
		p.skipNewlines()
		if p.cur().kind == tRParen {
			p.next()
			return parenExpr{p: nil}, nil
		}
		pl, err := p.pipelineNL()
		if err != nil {
			return nil, err
		}
		p.skipNewlines()
		if p.cur().kind != tRParen {
			return nil, p.errAt(t, "Missing closing ')' in expression.", "MissingEndParenthesisInExpression")
		}
		p.next()
		return parenExpr{p: pl}, nil
	case tDollarParen, tAtParen:
		p.next()
		stmts, err := p.statements(true)
		if err != nil {
			return nil, err
		}
		if p.cur().kind != tRParen {
			return nil, p.errAt(t, "Missing closing ')' in subexpression.", "MissingEndParenthesisInSubexpression")
		}
		p.next()
		return subExpr{stmts: stmts, array: t.kind == tAtParen}, nil
	case tAtBrace:
		return p.hash()
	case tLBrace:
		return p.block()
	case tType:
		p.next()
		if nt := p.cur(); nt.kind == tStatic {
			p.next()
			se := staticExpr{typ: t.s, name: nt.s}
			if lp := p.cur(); lp.kind == tLParen && !lp.space {
				args, err := p.callArgs()
				if err != nil {
					return nil, err
				}
				se.args, se.call = args, true
			}
			return se, nil
		}
		if k := p.cur().kind; k == tNewline || k == tEOF || k == tRParen || k == tPipe || k == tRBrace || k == tComma {
			return typeExpr{name: t.s}, nil
		}
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return castExpr{typ: t.s, x: x}, nil
	}
	if t.kind == tEOF || t.kind == tNewline {
		return nil, p.errAt(t, "You must provide a value expression following the operator.", "ExpectedValueExpression")
	}
	return nil, p.errAt(t, fmt.Sprintf("Unexpected token '%s' in expression or statement.", t.s), "UnexpectedToken")
}

// pipelineNL parses a pipeline inside parentheses, where new lines do not
// end it.
func (p *parser) pipelineNL() (*pipeline, error) {
	if t := p.cur(); t.kind == tWord {
		if desc, ok := unsupportedKeyword(strings.ToLower(t.s)); ok {
			e := p.errAt(t, desc, "WsbbotLabUnsupportedSyntax")
			e.lab = true
			return nil, e
		}
	}
	return p.pipeline()
}

func (p *parser) hash() (expr, error) {
	open := p.next()
	h := hashExpr{}
	for {
		p.skipNewlines()
		t := p.cur()
		if t.kind == tRBrace {
			p.next()
			return h, nil
		}
		var key string
		switch t.kind {
		case tWord, tString:
			key = t.s
		default:
			return nil, p.errAt(t, "Missing key before '=' in hash literal.", "MissingEqualsInHashLiteral")
		}
		p.next()
		if p.cur().kind != tAssign {
			return nil, p.errAt(t, "Missing '=' operator after key in hash literal.", "MissingEqualsInHashLiteral")
		}
		p.next()
		p.skipNewlines()
		pl, err := p.pipeline()
		if err != nil {
			return nil, err
		}
		var v expr = parenExpr{p: pl}
		if len(pl.elems) == 1 && !pl.elems[0].cmd && pl.elems[0].call == nil {
			v = pl.elems[0].x
		}
		h.keys = append(h.keys, key)
		h.vals = append(h.vals, v)
		switch p.cur().kind {
		case tNewline, tRBrace:
		default:
			return nil, p.errAt(open, "Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace")
		}
	}
}

func (p *parser) block() (expr, error) {
	open := p.next()
	stmts, err := p.statements(true)
	if err != nil {
		return nil, err
	}
	if p.cur().kind != tRBrace {
		return nil, p.errAt(open, "Missing closing '}' in statement block or type definition.", "MissingEndCurlyBrace")
	}
	cl := p.next()
	return blockExpr{b: &Block{text: p.src.text[open.end:cl.pos], stmts: stmts, src: p.src}}, nil
}
