package runbooks

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The runbook expression language: the only logic a runbook file may hold.
// It has literals (numbers, 'strings', true, false, null, [lists]), names
// (result, steps, params, item, a foreach variable, ...), member access
// (a.b, a-b-c.d for kebab-case step ids) and indexing (a[0]), the operators
// ==, !=, <, <=, >, >=, &&, ||, ! and unary -, parentheses, and a fixed set
// of pure functions (see exprFuncs). Nothing in it can reach the bot's host:
// no I/O, no reflection into Go values, no loops but the bounded ones of
// any/all/filter/map over a list it was given, and an evaluation budget.

// Limits of the expression language.
const (
	maxExprLen   = 2000    // characters of one expression
	maxExprDepth = 48      // nesting of the parse tree
	maxEvalSteps = 200_000 // node evaluations of one Eval
	maxEvalBytes = 8 << 20 // bytes of strings built by one Eval
)

// Expr is a parsed expression. It is immutable and safe for concurrent use.
type Expr struct {
	src  string
	root exprNode
}

// String returns the expression's source text.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

type exprNode interface{ pos() int }

type (
	litNode struct {
		at int
		v  any
	}
	listNode struct {
		at    int
		items []exprNode
	}
	nameNode struct {
		at   int
		name string
	}
	fieldNode struct {
		at    int
		x     exprNode
		field string
	}
	indexNode struct {
		at       int
		x, index exprNode
	}
	unaryNode struct {
		at int
		op string
		x  exprNode
	}
	binaryNode struct {
		at   int
		op   string
		l, r exprNode
	}
	callNode struct {
		at   int
		fn   string
		args []exprNode
	}
)

func (n *litNode) pos() int    { return n.at }
func (n *listNode) pos() int   { return n.at }
func (n *nameNode) pos() int   { return n.at }
func (n *fieldNode) pos() int  { return n.at }
func (n *indexNode) pos() int  { return n.at }
func (n *unaryNode) pos() int  { return n.at }
func (n *binaryNode) pos() int { return n.at }
func (n *callNode) pos() int   { return n.at }

// ---- lexer ----

type tokKind int

const (
	tokEOF tokKind = iota
	tokNum
	tokStr
	tokIdent
	tokOp
)

type token struct {
	kind tokKind
	text string // the operator, identifier, or the decoded string
	num  float64
	at   int
}

func lexExpr(src string) ([]token, error) {
	toks := make([]token, 0, len(src)/3+2)
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			f, err := strconv.ParseFloat(src[i:j], 64)
			if err != nil || math.IsInf(f, 0) {
				return nil, fmt.Errorf("at %d: bad number %q", i+1, src[i:j])
			}
			toks = append(toks, token{kind: tokNum, num: f, text: src[i:j], at: i})
			i = j
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				d := src[j]
				if d == c {
					closed = true
					j++
					break
				}
				if d == '\\' {
					if j+1 >= len(src) {
						break
					}
					switch e := src[j+1]; e {
					case '\\', '\'', '"':
						b.WriteByte(e)
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					default:
						return nil, fmt.Errorf("at %d: unknown escape \\%c", j+1, e)
					}
					j += 2
					continue
				}
				b.WriteByte(d)
				j++
			}
			if !closed {
				return nil, fmt.Errorf("at %d: unterminated string", i+1)
			}
			if !utf8.ValidString(b.String()) {
				return nil, fmt.Errorf("at %d: string is not valid UTF-8", i+1)
			}
			toks = append(toks, token{kind: tokStr, text: b.String(), at: i})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) {
				if isIdentPart(src[j]) {
					j++
					continue
				}
				// a hyphen joins kebab-case words: steps.list-writers
				if src[j] == '-' && j+1 < len(src) && isIdentPart(src[j+1]) {
					j += 2
					continue
				}
				break
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j], at: i})
			i = j
		default:
			op := lexOp(src[i:])
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				return nil, fmt.Errorf("at %d: unexpected character %q", i+1, r)
			}
			toks = append(toks, token{kind: tokOp, text: op, at: i})
			i += len(op)
		}
	}
	return append(toks, token{kind: tokEOF, at: len(src)}), nil
}

// lexOp returns the operator s starts with, or "".
func lexOp(s string) string {
	if len(s) >= 2 {
		switch two := s[:2]; two {
		case "==", "!=", "<=", ">=", "&&", "||":
			return two
		}
	}
	switch s[0] {
	case '<', '>', '!', '(', ')', '[', ']', ',', '.', '-':
		return s[:1]
	}
	return ""
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// ---- parser ----

type exprParser struct {
	toks  []token
	i     int
	depth int
}

// ParseExpr parses one expression. Unknown functions and wrong argument
// counts are errors here, not at evaluation.
func ParseExpr(src string) (*Expr, error) {
	if len(src) > maxExprLen {
		return nil, fmt.Errorf("expression is %d characters; the limit is %d", len(src), maxExprLen)
	}
	if strings.TrimSpace(src) == "" {
		return nil, errors.New("expression is empty")
	}
	toks, err := lexExpr(src)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("at %d: unexpected %s after the expression", t.at+1, t.describe())
	}
	return &Expr{src: src, root: n}, nil
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of expression"
	case tokStr:
		return "string " + strconv.Quote(t.text)
	}
	return strconv.Quote(t.text)
}

func (p *exprParser) peek() token { return p.toks[p.i] }

func (p *exprParser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *exprParser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tokOp && t.text == op
}

func (p *exprParser) expect(op string) error {
	if !p.isOp(op) {
		t := p.peek()
		return fmt.Errorf("at %d: want %q, found %s", t.at+1, op, t.describe())
	}
	p.next()
	return nil
}

func (p *exprParser) enter() error {
	p.depth++
	if p.depth > maxExprDepth {
		return fmt.Errorf("at %d: expression nests deeper than %d", p.peek().at+1, maxExprDepth)
	}
	return nil
}

func (p *exprParser) or() (exprNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isOp("||") {
		t := p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &binaryNode{at: t.at, op: "||", l: l, r: r}
	}
	return l, nil
}

func (p *exprParser) and() (exprNode, error) {
	l, err := p.cmp()
	if err != nil {
		return nil, err
	}
	for p.isOp("&&") {
		t := p.next()
		r, err := p.cmp()
		if err != nil {
			return nil, err
		}
		l = &binaryNode{at: t.at, op: "&&", l: l, r: r}
	}
	return l, nil
}

func (p *exprParser) cmp() (exprNode, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tokOp {
		switch t.text {
		case "==", "!=", "<", "<=", ">", ">=":
			p.next()
			r, err := p.unary()
			if err != nil {
				return nil, err
			}
			if n := p.peek(); n.kind == tokOp && strings.Contains("==!=<=>=", n.text) && n.text != "!" {
				return nil, fmt.Errorf("at %d: comparisons do not chain; use && and parentheses", n.at+1)
			}
			return &binaryNode{at: t.at, op: t.text, l: l, r: r}, nil
		}
	}
	return l, nil
}

func (p *exprParser) unary() (exprNode, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	if p.isOp("!") || p.isOp("-") {
		t := p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &unaryNode{at: t.at, op: t.text, x: x}, nil
	}
	return p.postfix()
}

func (p *exprParser) postfix() (exprNode, error) {
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	for steps := 0; ; steps++ {
		if steps > maxExprDepth {
			return nil, fmt.Errorf("at %d: path is longer than %d parts", p.peek().at+1, maxExprDepth)
		}
		switch {
		case p.isOp("."):
			t := p.next()
			id := p.next()
			if id.kind != tokIdent {
				return nil, fmt.Errorf("at %d: want a name after \".\", found %s", id.at+1, id.describe())
			}
			x = &fieldNode{at: t.at, x: x, field: id.text}
		case p.isOp("["):
			t := p.next()
			idx, err := p.or()
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			x = &indexNode{at: t.at, x: x, index: idx}
		default:
			return x, nil
		}
	}
}

func (p *exprParser) primary() (exprNode, error) {
	t := p.next()
	switch t.kind {
	case tokNum:
		return &litNode{at: t.at, v: t.num}, nil
	case tokStr:
		return &litNode{at: t.at, v: t.text}, nil
	case tokIdent:
		switch t.text {
		case "true":
			return &litNode{at: t.at, v: true}, nil
		case "false":
			return &litNode{at: t.at, v: false}, nil
		case "null":
			return &litNode{at: t.at, v: nil}, nil
		}
		if !p.isOp("(") {
			return &nameNode{at: t.at, name: t.text}, nil
		}
		f, ok := lookupFunc(t.text)
		if !ok {
			return nil, fmt.Errorf("at %d: unknown function %q (known: %s)", t.at+1, t.text, funcNames())
		}
		p.next()
		var args []exprNode
		for !p.isOp(")") {
			if len(args) > 0 {
				if err := p.expect(","); err != nil {
					return nil, err
				}
			}
			a, err := p.or()
			if err != nil {
				return nil, err
			}
			args = append(args, a)
		}
		p.next()
		if len(args) < f.min || len(args) > f.max {
			want := strconv.Itoa(f.min)
			if f.max != f.min {
				want += " to " + strconv.Itoa(f.max)
			}
			return nil, fmt.Errorf("at %d: %s takes %s arguments, got %d", t.at+1, t.text, want, len(args))
		}
		return &callNode{at: t.at, fn: t.text, args: args}, nil
	case tokOp:
		switch t.text {
		case "(":
			x, err := p.or()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		case "[":
			var items []exprNode
			for !p.isOp("]") {
				if len(items) > 0 {
					if err := p.expect(","); err != nil {
						return nil, err
					}
				}
				x, err := p.or()
				if err != nil {
					return nil, err
				}
				items = append(items, x)
			}
			p.next()
			return &listNode{at: t.at, items: items}, nil
		}
	}
	return nil, fmt.Errorf("at %d: unexpected %s", t.at+1, t.describe())
}

// ---- references, for load-time checks ----

// exprRef is a name an expression reads that it does not bind itself, with
// the leading field names that follow it (steps.list-writers.result ->
// root "steps", fields [list-writers result]).
type exprRef struct {
	root   string
	fields []string
}

// refs returns the free names the expression reads.
func (e *Expr) refs() []exprRef {
	var out []exprRef
	var walk func(n exprNode, bound map[string]bool)
	walk = func(n exprNode, bound map[string]bool) {
		switch n := n.(type) {
		case *nameNode:
			if !bound[n.name] {
				out = append(out, exprRef{root: n.name})
			}
		case *fieldNode:
			var fields []string
			x := exprNode(n)
			for {
				f, ok := x.(*fieldNode)
				if !ok {
					break
				}
				fields = append([]string{f.field}, fields...)
				x = f.x
			}
			if nm, ok := x.(*nameNode); ok {
				if !bound[nm.name] {
					out = append(out, exprRef{root: nm.name, fields: fields})
				}
				return
			}
			walk(x, bound)
		case *indexNode:
			walk(n.x, bound)
			walk(n.index, bound)
		case *listNode:
			for _, it := range n.items {
				walk(it, bound)
			}
		case *unaryNode:
			walk(n.x, bound)
		case *binaryNode:
			walk(n.l, bound)
			walk(n.r, bound)
		case *callNode:
			for i, a := range n.args {
				if f, _ := lookupFunc(n.fn); i == 1 && f.lazy != nil {
					inner := map[string]bool{"item": true}
					for k := range bound {
						inner[k] = true
					}
					walk(a, inner)
					continue
				}
				walk(a, bound)
			}
		}
	}
	walk(e.root, map[string]bool{})
	return out
}

// ---- evaluation ----

// evaluator evaluates one expression against an environment of JSON-like
// values: nil, bool, float64, string, []any and map[string]any.
type evaluator struct {
	vars  map[string]any
	steps int
	bytes int
}

// built accounts for a string an evaluation builds.
func (ev *evaluator) built(s string) error {
	ev.bytes += len(s)
	if ev.bytes > maxEvalBytes {
		return fmt.Errorf("evaluation builds more than %d bytes of text", maxEvalBytes)
	}
	return nil
}

// Eval evaluates e with the given variables. Values must be JSON-like (as
// json.Unmarshal into any produces); jsonValue converts others.
// The vars map is not modified.
func (e *Expr) Eval(vars map[string]any) (v any, err error) {
	own := make(map[string]any, len(vars)+1)
	for k, v := range vars {
		own[k] = v
	}
	ev := &evaluator{vars: own}
	return ev.eval(e.root)
}

// EvalBool evaluates e and requires a boolean.
func (e *Expr) EvalBool(vars map[string]any) (bool, error) {
	v, err := e.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%q is %s, not true or false", e.src, describeValue(v))
	}
	return b, nil
}

func (ev *evaluator) eval(n exprNode) (any, error) {
	ev.steps++
	if ev.steps > maxEvalSteps {
		return nil, fmt.Errorf("evaluation takes more than %d steps", maxEvalSteps)
	}
	switch n := n.(type) {
	case *litNode:
		return n.v, nil
	case *listNode:
		out := make([]any, 0, len(n.items))
		for _, it := range n.items {
			v, err := ev.eval(it)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case *nameNode:
		v, ok := ev.vars[n.name]
		if !ok {
			return nil, fmt.Errorf("at %d: unknown name %q", n.at+1, n.name)
		}
		return v, nil
	case *fieldNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		switch x := x.(type) {
		case nil:
			return nil, nil
		case map[string]any:
			return x[n.field], nil
		}
		return nil, fmt.Errorf("at %d: .%s of %s", n.at+1, n.field, describeValue(x))
	case *indexNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		idx, err := ev.eval(n.index)
		if err != nil {
			return nil, err
		}
		switch x := x.(type) {
		case nil:
			return nil, nil
		case []any:
			f, ok := idx.(float64)
			if !ok || f != math.Trunc(f) {
				return nil, fmt.Errorf("at %d: a list index must be a whole number, not %s", n.at+1, describeValue(idx))
			}
			if f < 0 || f >= float64(len(x)) {
				return nil, nil
			}
			return x[int(f)], nil
		case map[string]any:
			s, ok := idx.(string)
			if !ok {
				return nil, fmt.Errorf("at %d: a key must be a string, not %s", n.at+1, describeValue(idx))
			}
			return x[s], nil
		}
		return nil, fmt.Errorf("at %d: cannot index %s", n.at+1, describeValue(x))
	case *unaryNode:
		x, err := ev.eval(n.x)
		if err != nil {
			return nil, err
		}
		switch n.op {
		case "!":
			b, ok := x.(bool)
			if !ok {
				return nil, fmt.Errorf("at %d: ! needs true or false, not %s", n.at+1, describeValue(x))
			}
			return !b, nil
		default:
			f, ok := x.(float64)
			if !ok {
				return nil, fmt.Errorf("at %d: - needs a number, not %s", n.at+1, describeValue(x))
			}
			return -f, nil
		}
	case *binaryNode:
		return ev.binary(n)
	case *callNode:
		return ev.call(n)
	}
	return nil, fmt.Errorf("internal: unknown expression node %T", n)
}

func (ev *evaluator) binary(n *binaryNode) (any, error) {
	l, err := ev.eval(n.l)
	if err != nil {
		return nil, err
	}
	if n.op == "&&" || n.op == "||" {
		lb, ok := l.(bool)
		if !ok {
			return nil, fmt.Errorf("at %d: %s needs true or false, not %s", n.at+1, n.op, describeValue(l))
		}
		if n.op == "&&" && !lb || n.op == "||" && lb {
			return lb, nil
		}
		r, err := ev.eval(n.r)
		if err != nil {
			return nil, err
		}
		rb, ok := r.(bool)
		if !ok {
			return nil, fmt.Errorf("at %d: %s needs true or false, not %s", n.at+1, n.op, describeValue(r))
		}
		return rb, nil
	}
	r, err := ev.eval(n.r)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case "==":
		return valuesEqual(l, r), nil
	case "!=":
		return !valuesEqual(l, r), nil
	}
	var c int
	switch lv := l.(type) {
	case float64:
		rv, ok := r.(float64)
		if !ok {
			return nil, fmt.Errorf("at %d: cannot compare %s with %s", n.at+1, describeValue(l), describeValue(r))
		}
		c = cmpOrdered(lv, rv)
	case string:
		rv, ok := r.(string)
		if !ok {
			return nil, fmt.Errorf("at %d: cannot compare %s with %s", n.at+1, describeValue(l), describeValue(r))
		}
		c = strings.Compare(lv, rv)
	default:
		return nil, fmt.Errorf("at %d: %s only orders numbers or strings, not %s", n.at+1, n.op, describeValue(l))
	}
	switch n.op {
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	default:
		return c >= 0, nil
	}
}

func cmpOrdered(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// valuesEqual compares JSON-like values; values of different types are
// never equal (no coercion).
func valuesEqual(a, b any) bool {
	return reflect.DeepEqual(a, b)
}

func describeValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(v)
	case float64:
		return "the number " + strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		if len(v) > 40 {
			v = v[:40] + "..."
		}
		return "the string " + strconv.Quote(v)
	case []any:
		return fmt.Sprintf("a list of %d", len(v))
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}
