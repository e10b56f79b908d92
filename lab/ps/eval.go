package ps

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// psEncoding is [Text.Encoding]::UTF8 (or ::Unicode when utf16).
type psEncoding struct{ utf16 bool }

// psTextReader is [Console]::In.
type psTextReader struct{}

// runner runs one PowerShell script on a host.
type runner struct {
	ctx      context.Context
	sess     Session
	h        Host
	t        *Culture
	vars     map[string]any
	clixml   []string // <S S="..."> elements for stderr
	eap      string
	lastOK   bool
	lastExit any
	stdin    *string
	curItem  []any // $_ stack
	inTry    int   // >0 inside a try block: terminating errors go to its catch
	mergeErr int   // >0 while 2>&1 is in effect
	muteErr  int   // >0 while 2>$null is in effect
	curSrc   *source
	curPos   int
	curLen   int
}

// ExitError ends the script with an exit code, as `exit N` does; a Host's
// command returns it to stop the script (a cancelled wait, for example).
type ExitError struct{ Code int }

// Control flow.
type (
	psReturnErr struct{}
	// psTermErr is a terminating error; stop means it ends the script.
	psTermErr struct {
		rec  *ErrorRecord
		stop bool
	}
)

func (e *ExitError) Error() string   { return fmt.Sprintf("exit %d", e.Code) }
func (e *psReturnErr) Error() string { return "return" }
func (e *psTermErr) Error() string   { return e.rec.Message }

func newRunner(ctx context.Context, sess Session) *runner {
	return &runner{ctx: ctx, sess: sess, h: sess.Host, t: sess.Culture, vars: map[string]any{}, eap: "Continue", lastOK: true}
}

// Run parses (or takes from sess.Scripts) and runs a script; it returns
// the exit code, having written output to sess.Stdout and the error stream
// to sess.Stderr as one CLIXML document, the way powershell.exe does over
// WinRM. A syntax error is a ParserError record and exit code 1.
func Run(ctx context.Context, sess Session, text string) int {
	r := newRunner(ctx, sess)
	code := r.runText(text)
	r.flushErrors()
	return code
}

// parse parses through the session's cache when it has one.
func (r *runner) parse(text string) (*Script, error) {
	if r.sess.Scripts != nil {
		return r.sess.Scripts.Parse(text)
	}
	return Parse(text)
}

func (r *runner) runText(text string) int {
	sc, err := r.parse(text)
	if err != nil {
		var se *syntaxError
		if errors.As(err, &se) {
			r.addError(r.parseErrorRecord(se, se.src))
		}
		return 1
	}
	err = r.execTop(sc.stmts, sc.src)
	return r.exitCode(err)
}

func (r *runner) exitCode(err error) int {
	var ex *ExitError
	var te *psTermErr
	var re *psReturnErr
	switch {
	case err == nil, errors.As(err, &re):
		if r.lastOK {
			return 0
		}
		return 1
	case errors.As(err, &ex):
		return ex.Code
	case errors.As(err, &te):
		return 1
	}
	return 1
}

// execTop runs statements writing each statement's output as it ends.
func (r *runner) execTop(stmts []*stmt, src *source) error {
	for _, st := range stmts {
		if err := r.ctx.Err(); err != nil {
			return &ExitError{Code: 1}
		}
		out, err := r.execStmt(st, src, true)
		if len(out) > 0 {
			r.write(r.t.outDefault(out))
		}
		if err != nil {
			var te *psTermErr
			if errors.As(err, &te) && r.inTry == 0 {
				r.addError(te.rec)
				r.lastOK = false
				if te.stop || r.eap == "Stop" {
					return &ExitError{Code: 1}
				}
				continue
			}
			return err
		}
	}
	return nil
}

// execCollect runs statements and returns their output (for $(...),
// @(...) and script blocks inside pipelines).
func (r *runner) execCollect(stmts []*stmt, src *source) ([]any, error) {
	var all []any
	for _, st := range stmts {
		out, err := r.execStmt(st, src, false)
		all = append(all, out...)
		if err != nil {
			var te *psTermErr
			if errors.As(err, &te) && !te.stop && r.eap != "Stop" && r.inTry == 0 {
				r.addError(te.rec)
				r.lastOK = false
				continue
			}
			return all, err
		}
	}
	return all, nil
}

func (r *runner) execStmt(st *stmt, src *source, top bool) ([]any, error) {
	switch st.kind {
	case sAssign:
		if pl := st.pipe; len(pl.elems) == 1 && pl.elems[0].x != nil && len(pl.redir) == 0 {
			// $x = <expression> stores the value as is: @() stays an
			// empty array, @(1) a one-element array.
			v, err := r.eval(pl.elems[0].x, src)
			if err != nil {
				return nil, err
			}
			r.setVar(st.varName, v)
			return nil, nil
		}
		out, err := r.evalPipeline(st.pipe, src, false)
		if err != nil {
			return nil, err
		}
		r.setVar(st.varName, unwrap(out))
		return nil, nil
	case sExit:
		code := 0
		if st.pipe != nil {
			out, err := r.evalPipeline(st.pipe, src, false)
			if err != nil {
				return nil, err
			}
			if n, ok := Number(unwrap(out)); ok {
				code = int(int32(int64(n)))
			}
		}
		return nil, &ExitError{Code: code}
	case sReturn:
		var out []any
		if st.pipe != nil {
			var err error
			out, err = r.evalPipeline(st.pipe, src, false)
			if err != nil {
				return nil, err
			}
		}
		return out, &psReturnErr{}
	case sIf:
		for i, cond := range st.conds {
			out, err := r.evalPipeline(cond, src, false)
			if err != nil {
				return nil, err
			}
			if Truthy(unwrap(out)) {
				return r.execBody(st.bodies[i], src, top)
			}
		}
		return r.execBody(st.orElse, src, top)
	case sForeach:
		items, err := r.evalPipeline(st.pipe, src, false)
		if err != nil {
			return nil, err
		}
		var all []any
		for _, it := range items {
			r.setVar(st.varName, it)
			out, err := r.execBody(st.bodies[0], src, top)
			all = append(all, out...)
			if err != nil {
				return all, err
			}
		}
		return all, nil
	case sTry:
		return r.execTry(st, src, top)
	case sThrow:
		msg := "ScriptHalted"
		if st.pipe != nil {
			out, err := r.evalPipeline(st.pipe, src, false)
			if err != nil {
				return nil, err
			}
			msg = String(unwrap(out))
		}
		rec := &ErrorRecord{Message: msg, Category: "OperationStopped", Target: msg, TargetType: "String", Exception: "RuntimeException", FQID: msg, src: src, pos: st.start, length: st.end - st.start}
		return nil, &psTermErr{rec: rec, stop: true}
	}
	// A lone `& {script block}` statement streams like the top level.
	if top && len(st.pipe.elems) == 1 && st.pipe.elems[0].call != nil && len(st.pipe.redir) == 0 && len(st.pipe.elems[0].args) == 0 {
		v, err := r.eval(st.pipe.elems[0].call, src)
		if err != nil {
			return nil, err
		}
		if b, ok := v.(*Block); ok {
			err := r.execTop(b.stmts, b.src)
			var re *psReturnErr
			if errors.As(err, &re) {
				return nil, nil
			}
			return nil, err
		}
	}
	return r.evalPipeline(st.pipe, src, top)
}

// execBody runs the statements of an if, foreach or try body: at the top
// level their output is written as each statement ends, inside an
// expression it is collected.
func (r *runner) execBody(body []*stmt, src *source, top bool) ([]any, error) {
	if top {
		return nil, r.execTop(body, src)
	}
	return r.execCollect(body, src)
}

// execTry runs try/catch/finally: a terminating error in the try body
// (a throw, a statement-terminating error, a cmdlet's error under
// -ErrorAction Stop) runs the catch body with $_ the error record; exit and
// return pass through; finally always runs.
func (r *runner) execTry(st *stmt, src *source, top bool) ([]any, error) {
	r.inTry++
	out, err := r.execBody(st.bodies[0], src, top)
	r.inTry--
	var te *psTermErr
	if err != nil && errors.As(err, &te) && st.hasCatch {
		r.lastOK = true // the error is handled
		r.curItem = append(r.curItem, errorObject(te.rec))
		var cout []any
		cout, err = r.execBody(st.catch, src, top)
		r.curItem = r.curItem[:len(r.curItem)-1]
		out = append(out, cout...)
	}
	if st.hasFinal {
		fout, ferr := r.execBody(st.final, src, top)
		out = append(out, fout...)
		if ferr != nil {
			return out, ferr
		}
	}
	return out, err
}

// errorObject is $_ in a catch block: an ErrorRecord whose string is the
// message, with .Exception.Message, .FullyQualifiedErrorId,
// .CategoryInfo.Category and .TargetObject.
func errorObject(rec *ErrorRecord) *Object {
	exc := NewObject("System.Management.Automation."+rec.Exception, P("Message", rec.Message))
	exc.Str = rec.Message
	cat := NewObject("System.Management.Automation.ErrorCategoryInfo", P("Category", rec.Category), P("Activity", rec.Activity), P("TargetName", rec.Target))
	o := NewObject("System.Management.Automation.ErrorRecord",
		P("Exception", exc), P("TargetObject", rec.Target), P("CategoryInfo", cat), P("FullyQualifiedErrorId", rec.FQID))
	o.Str = rec.Message
	return o
}

// evalPipeline runs a pipeline and returns what its last element outputs.
func (r *runner) evalPipeline(pl *pipeline, src *source, top bool) ([]any, error) {
	discardOut := false
	for _, rd := range pl.redir {
		switch {
		case rd == "2>&1" || rd == "*>&1":
			r.mergeErr++
			defer func() { r.mergeErr-- }()
		case strings.HasPrefix(rd, "2>") || strings.HasPrefix(rd, "3>"):
			r.muteErr++
			defer func() { r.muteErr-- }()
		case strings.HasPrefix(rd, "*>"):
			r.muteErr++
			defer func() { r.muteErr-- }()
			discardOut = true
		case strings.HasPrefix(rd, ">") || strings.HasPrefix(rd, "1>"):
			discardOut = true
		}
	}
	var input []any
	hasInput := false
	for i, el := range pl.elems {
		var out []any
		var err error
		switch {
		case el.x != nil:
			var v any
			v, err = r.eval(el.x, src)
			out = Enumerate(v)
		default:
			out, err = r.invoke(el, input, hasInput || i > 0, src)
		}
		if err != nil {
			return nil, err
		}
		input, hasInput = out, true
	}
	if discardOut {
		return nil, nil
	}
	return input, nil
}

// Enumerate turns a value into pipeline items: arrays unroll, $null is no
// item.
func Enumerate(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	case []string:
		return FromStrings(x)
	}
	return []any{v}
}

// unwrap is what an assignment stores: nothing is $null, one item the item.
func unwrap(items []any) any {
	switch len(items) {
	case 0:
		return nil
	case 1:
		return items[0]
	}
	return items
}

// write sends text to stdout now.
func (r *runner) write(s string) {
	if s != "" {
		_, _ = io.WriteString(r.sess.Stdout, s)
	}
}

// --- variables ---

func (r *runner) setVar(name string, v any) {
	ln := strings.ToLower(name)
	switch ln {
	case "erroractionpreference":
		s := String(v)
		for _, ok := range []string{"Continue", "Stop", "SilentlyContinue", "Ignore", "Inquire"} {
			if strings.EqualFold(s, ok) {
				r.eap = ok
			}
		}
	}
	r.vars[ln] = v
}

func (r *runner) getVar(name string) any {
	ln := strings.ToLower(name)
	switch ln {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	case "_", "psitem":
		if len(r.curItem) > 0 {
			return r.curItem[len(r.curItem)-1]
		}
		return nil
	case "?":
		return r.lastOK
	case "lastexitcode":
		return r.lastExit
	case "erroractionpreference":
		return r.eap
	case "pid":
		return int64(4242)
	case "psversiontable":
		hs := NewHash()
		hs.Set("PSVersion", "5.1."+strings.TrimPrefix(r.sess.Build, "10.0."))
		hs.Set("PSEdition", "Desktop")
		hs.Set("BuildVersion", r.sess.Build)
		hs.Set("CLRVersion", "4.0.30319.42000")
		hs.Set("WSManStackVersion", "3.0")
		hs.Set("PSRemotingProtocolVersion", "2.3")
		hs.Set("SerializationVersion", "1.1.0.1")
		return hs
	case "home":
		return `C:\Users\` + r.user()
	case "pwd":
		return `C:\Users\` + r.user() + `\Documents`
	}
	if strings.HasPrefix(ln, "env:") {
		v, ok := r.h.Env(strings.TrimPrefix(ln, "env:"))
		if !ok {
			return nil
		}
		return v
	}
	return r.vars[ln]
}

func (r *runner) user() string {
	if r.sess.User == "" {
		return "Administrator"
	}
	return r.sess.User
}

// --- expressions ---

func (r *runner) eval(x expr, src *source) (any, error) {
	switch e := x.(type) {
	case litExpr:
		return e.v, nil
	case strExpr:
		if !e.expand {
			return e.raw, nil
		}
		return r.expand(e.raw, src)
	case varExpr:
		return r.getVar(e.name), nil
	case memberExpr:
		v, err := r.eval(e.x, src)
		if err != nil {
			return nil, err
		}
		return r.member(v, e.name), nil
	case methodExpr:
		v, err := r.eval(e.x, src)
		if err != nil {
			return nil, err
		}
		args, err := r.evalArgs(e.args, src)
		if err != nil {
			return nil, err
		}
		return r.method(v, e.name, args)
	case staticExpr:
		args, err := r.evalArgs(e.args, src)
		if err != nil {
			return nil, err
		}
		return r.static(e.typ, e.name, e.call, args)
	case indexExpr:
		v, err := r.eval(e.x, src)
		if err != nil {
			return nil, err
		}
		iv, err := r.eval(e.idx, src)
		if err != nil {
			return nil, err
		}
		return index(v, iv), nil
	case parenExpr:
		if e.p == nil {
			return nil, nil
		}
		out, err := r.evalPipeline(e.p, src, false)
		if err != nil {
			return nil, err
		}
		return unwrap(out), nil
	case subExpr:
		out, err := r.execCollect(e.stmts, src)
		var re *psReturnErr
		if err != nil && !errors.As(err, &re) {
			return nil, err
		}
		if e.array {
			if out == nil {
				out = []any{}
			}
			return out, nil
		}
		return unwrap(out), nil
	case arrayExpr:
		out := make([]any, 0, len(e.elems))
		for _, el := range e.elems {
			v, err := r.eval(el, src)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case hashExpr:
		hs := NewHash()
		for i, k := range e.keys {
			v, err := r.eval(e.vals[i], src)
			if err != nil {
				return nil, err
			}
			hs.Set(k, v)
		}
		return hs, nil
	case binExpr:
		return r.binary(e, src)
	case unaryExpr:
		v, err := r.eval(e.x, src)
		if err != nil {
			return nil, err
		}
		if e.op == "!" {
			return !Truthy(v), nil
		}
		n, ok := Number(v)
		if !ok {
			return nil, r.runtimeErr(fmt.Sprintf(r.t.CannotConvert, String(v), "System.Int32"), "InvalidArgument", "InvalidCastFromStringToInteger")
		}
		return numberResult(-n, isFloat(v)), nil
	case castExpr:
		v, err := r.eval(e.x, src)
		if err != nil {
			return nil, err
		}
		return r.cast(e.typ, v)
	case typeExpr:
		return e.name, nil
	case blockExpr:
		return e.b, nil
	}
	return nil, fmt.Errorf("eval: unknown expression %T", x)
}

func (r *runner) evalArgs(args []expr, src *source) ([]any, error) {
	out := make([]any, 0, len(args))
	for _, a := range args {
		v, err := r.eval(a, src)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// runtimeErr is a statement-terminating RuntimeException.
func (r *runner) runtimeErr(msg, category, fqid string) error {
	return &psTermErr{rec: &ErrorRecord{Message: msg, Category: category, Exception: "RuntimeException", FQID: fqid}}
}

// expand resolves escapes and $var / $(...) in a double-quoted string.
func (r *runner) expand(raw string, src *source) (string, error) {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '`' && i+1 < len(raw):
			i++
			switch raw[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '0':
				b.WriteByte(0)
			case 'a':
				b.WriteByte(7)
			case 'b':
				b.WriteByte(8)
			case 'e':
				b.WriteByte(27)
			default:
				b.WriteByte(raw[i])
			}
		case c == '"' && i+1 < len(raw) && raw[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '$' && i+1 < len(raw) && raw[i+1] == '(':
			depth, j := 0, i+1
			for ; j < len(raw); j++ {
				if raw[j] == '(' {
					depth++
				} else if raw[j] == ')' {
					depth--
					if depth == 0 {
						break
					}
				}
			}
			inner := raw[i+2 : min(j, len(raw))]
			sub, err := r.parse(inner)
			if err != nil {
				var se *syntaxError
				if errors.As(err, &se) {
					return "", &psTermErr{rec: r.parseErrorRecord(se, se.src), stop: true}
				}
				return "", err
			}
			out, err := r.execCollect(sub.stmts, sub.src)
			if err != nil {
				return "", err
			}
			b.WriteString(String(unwrapJoin(out)))
			i = j
		case c == '$' && i+1 < len(raw) && raw[i+1] == '{':
			end := strings.IndexByte(raw[i+2:], '}')
			if end < 0 {
				b.WriteString(raw[i:])
				return b.String(), nil
			}
			b.WriteString(String(r.getVar(raw[i+2 : i+2+end])))
			i += 2 + end
		case c == '$' && i+1 < len(raw) && (isIdentStart(rune(raw[i+1])) || raw[i+1] == '_' || raw[i+1] == '?'):
			j := i + 1
			if raw[j] == '?' {
				j++
			} else {
				for j < len(raw) && isIdent(rune(raw[j])) {
					j++
				}
				if j < len(raw) && raw[j] == ':' {
					if j+1 < len(raw) && isIdentStart(rune(raw[j+1])) {
						j++
						for j < len(raw) && isIdent(rune(raw[j])) {
							j++
						}
					} else {
						return "", &psTermErr{rec: &ErrorRecord{
							Message:   "Variable reference is not valid. ':' was not followed by a valid variable name character. Consider using ${} to delimit the name.",
							Category:  "ParserError",
							Exception: "ParentContainsErrorRecordException",
							FQID:      "InvalidVariableReferenceWithDrive",
						}, stop: true}
					}
				}
			}
			b.WriteString(String(r.getVar(raw[i+1 : j])))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// unwrapJoin is how $(...) output becomes part of a string: items joined
// by spaces.
func unwrapJoin(items []any) any {
	if len(items) == 1 {
		return items[0]
	}
	return items
}

// member returns a property (or member-enumerates an array).
func (r *runner) member(v any, name string) any {
	ln := strings.ToLower(name)
	switch x := v.(type) {
	case nil:
		return nil
	case *Object:
		if val, ok := x.Get(name); ok {
			return val
		}
		if ln == "count" || ln == "length" {
			return int64(1)
		}
		return nil
	case *Hash:
		switch ln {
		case "count":
			return int64(len(x.Keys))
		case "keys":
			return FromStrings(x.Keys)
		case "values":
			out := make([]any, 0, len(x.Keys))
			for _, k := range x.Keys {
				out = append(out, x.Vals[strings.ToLower(k)])
			}
			return out
		}
		val, _ := x.Get(name)
		return val
	case []any:
		if ln == "count" || ln == "length" {
			return int64(len(x))
		}
		var out []any
		for _, e := range x {
			if m := r.member(e, name); m != nil {
				out = append(out, Enumerate(m)...)
			}
		}
		return unwrap(out)
	case string:
		if ln == "length" {
			return int64(len(utf16.Encode([]rune(x))))
		}
		if ln == "count" {
			return int64(1)
		}
	case []byte:
		if ln == "length" || ln == "count" {
			return int64(len(x))
		}
	case time.Time:
		switch ln {
		case "year":
			return int64(x.Year())
		case "month":
			return int64(x.Month())
		case "day":
			return int64(x.Day())
		case "hour":
			return int64(x.Hour())
		case "minute":
			return int64(x.Minute())
		case "second":
			return int64(x.Second())
		case "date":
			return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, x.Location())
		case "dayofweek":
			return Enum{Name: x.Weekday().String(), Val: int64(x.Weekday())}
		case "ticks":
			return x.UnixNano()/100 + 621355968000000000
		}
	case Enum:
		if ln == "value__" {
			return x.Val
		}
	case *Block:
		if ln == "ast" {
			return x.text
		}
	}
	if ln == "count" || ln == "length" {
		return int64(1)
	}
	return nil
}

// method calls a .NET method the lab knows.
func (r *runner) method(v any, name string, args []any) (any, error) {
	ln := strings.ToLower(name)
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch x := v.(type) {
	case string:
		switch ln {
		case "trim":
			if len(args) > 0 {
				return strings.Trim(x, String(arg(0))), nil
			}
			return strings.TrimSpace(x), nil
		case "trimend":
			if len(args) > 0 {
				return strings.TrimRight(x, String(arg(0))), nil
			}
			return strings.TrimRight(x, " \t\r\n"), nil
		case "trimstart":
			if len(args) > 0 {
				return strings.TrimLeft(x, String(arg(0))), nil
			}
			return strings.TrimLeft(x, " \t\r\n"), nil
		case "toupper", "toupperinvariant":
			return strings.ToUpper(x), nil
		case "tolower", "tolowerinvariant":
			return strings.ToLower(x), nil
		case "contains":
			return strings.Contains(x, String(arg(0))), nil
		case "startswith":
			return strings.HasPrefix(x, String(arg(0))), nil
		case "endswith":
			return strings.HasSuffix(x, String(arg(0))), nil
		case "replace":
			return strings.ReplaceAll(x, String(arg(0)), String(arg(1))), nil
		case "split":
			seps := String(arg(0))
			if seps == "" {
				seps = " "
			}
			parts := strings.FieldsFunc(x, func(c rune) bool { return strings.ContainsRune(seps, c) })
			if !strings.ContainsAny(x, seps) {
				parts = []string{x}
			}
			return FromStrings(parts), nil
		case "substring":
			rs := []rune(x)
			st, _ := Number(arg(0))
			if int(st) > len(rs) || st < 0 {
				break
			}
			if len(args) > 1 {
				n, _ := Number(arg(1))
				if int(st)+int(n) > len(rs) {
					break
				}
				return string(rs[int(st) : int(st)+int(n)]), nil
			}
			return string(rs[int(st):]), nil
		case "indexof":
			return int64(strings.Index(x, String(arg(0)))), nil
		case "tostring":
			return x, nil
		case "padleft":
			n, _ := Number(arg(0))
			return padLeft(x, int(n)), nil
		case "padright":
			n, _ := Number(arg(0))
			return padRight(x, int(n)), nil
		}
	case time.Time:
		f, _ := Number(arg(0))
		switch ln {
		case "adddays":
			return x.Add(time.Duration(f * float64(24*time.Hour))), nil
		case "addhours":
			return x.Add(time.Duration(f * float64(time.Hour))), nil
		case "addminutes":
			return x.Add(time.Duration(f * float64(time.Minute))), nil
		case "addseconds":
			return x.Add(time.Duration(f * float64(time.Second))), nil
		case "addmonths":
			return x.AddDate(0, int(f), 0), nil
		case "addyears":
			return x.AddDate(int(f), 0, 0), nil
		case "touniversaltime":
			return x.UTC(), nil
		case "tolocaltime":
			return x.In(r.h.Now().Location()), nil
		case "toshortdatestring":
			return x.Format(r.t.ShortDate), nil
		case "tostring":
			if len(args) == 0 {
				return r.t.DateTime(x), nil
			}
			return dotnetDateFormat(x, String(arg(0))), nil
		}
	case psEncoding:
		switch ln {
		case "getstring":
			b, ok := arg(0).([]byte)
			if !ok {
				return nil, r.methodException(name, len(args), fmt.Sprintf("Cannot convert argument \"bytes\", with value: \"%s\", for \"GetString\" to type \"System.Byte[]\".", String(arg(0))))
			}
			if x.utf16 {
				u := make([]uint16, len(b)/2)
				for i := range u {
					u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
				}
				return string(utf16.Decode(u)), nil
			}
			return strings.ToValidUTF8(string(b), "\uFFFD"), nil
		case "getbytes":
			s := String(arg(0))
			if x.utf16 {
				var b []byte
				for _, u := range utf16.Encode([]rune(s)) {
					b = append(b, byte(u), byte(u>>8))
				}
				return b, nil
			}
			return []byte(s), nil
		}
	case psTextReader:
		switch ln {
		case "readtoend":
			return r.readStdin(), nil
		case "readline":
			s := r.readStdin()
			line, rest, _ := strings.Cut(s, "\n")
			*r.stdin = rest
			return strings.TrimSuffix(line, "\r"), nil
		}
	case *Block:
		if ln == "invoke" || ln == "invokereturnasis" {
			out, err := r.execCollect(x.stmts, x.src)
			var re *psReturnErr
			if err != nil && !errors.As(err, &re) {
				return nil, err
			}
			return unwrap(out), nil
		}
	case *Object:
		if ln == "tostring" {
			return x.String(), nil
		}
	case *Hash:
		switch ln {
		case "containskey":
			_, ok := x.Get(String(arg(0)))
			return ok, nil
		case "add":
			x.Set(String(arg(0)), arg(1))
			return nil, nil
		}
	case []any:
		if ln == "contains" {
			for _, e := range x {
				if Equal(e, arg(0)) {
					return true, nil
				}
			}
			return false, nil
		}
	case int64, uint32, uint64, float64, int:
		if ln == "tostring" {
			if len(args) == 0 {
				return String(x), nil
			}
			return dotnetNumberFormat(x, String(arg(0))), nil
		}
	}
	if ln == "tostring" && len(args) == 0 {
		return String(v), nil
	}
	if ln == "gettype" {
		return typeNameOf(v), nil
	}
	return nil, &psTermErr{rec: &ErrorRecord{
		Message: fmt.Sprintf(r.t.MethodNotFound, typeNameOf(v), name), Category: "InvalidOperation",
		Target: "", TargetType: "", Exception: "RuntimeException", FQID: "MethodNotFound",
	}}
}

func (r *runner) methodException(name string, n int, msg string) error {
	return &psTermErr{rec: &ErrorRecord{
		Message:  fmt.Sprintf("Exception calling \"%s\" with \"%d\" argument(s): \"%s\"", name, n, msg),
		Category: "NotSpecified", Exception: "MethodInvocationException", FQID: "MethodArgumentConversionInvalidCastArgument",
	}}
}

func (r *runner) readStdin() string {
	if r.stdin == nil {
		var s string
		if r.sess.Stdin != nil {
			b, _ := ReadAllContext(r.ctx, r.sess.Stdin)
			s = string(b)
		}
		r.stdin = &s
	}
	s := *r.stdin
	*r.stdin = ""
	return s
}

func typeNameOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "System.String"
	case bool:
		return "System.Boolean"
	case int, int64:
		return "System.Int64"
	case uint32:
		return "System.UInt32"
	case uint64:
		return "System.UInt64"
	case float64:
		return "System.Double"
	case time.Time:
		return "System.DateTime"
	case []any:
		return "System.Object[]"
	case []byte:
		return "System.Byte[]"
	case *Object:
		return x.TypeName
	case *Hash:
		return "System.Collections.Hashtable"
	case *Block:
		return "System.Management.Automation.ScriptBlock"
	case psEncoding:
		return "System.Text.UTF8Encoding"
	case psTextReader:
		return "System.IO.SyncTextReader"
	case Enum:
		return "System.Enum"
	}
	return fmt.Sprintf("%T", v)
}

// static evaluates [Type]::Member and [Type]::Method(args).
func (r *runner) static(typ, name string, call bool, args []any) (any, error) {
	lt := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "system."))
	ln := strings.ToLower(name)
	arg := func(i int) any {
		if i < len(args) {
			return args[i]
		}
		return nil
	}
	switch lt + "::" + ln {
	case "convert::frombase64string":
		s := String(arg(0))
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil {
			return nil, r.methodException(name, len(args), "The input is not a valid Base-64 string as it contains a non-base 64 character, more than two padding characters, or an illegal character among the padding characters. ")
		}
		return b, nil
	case "convert::tobase64string":
		b, _ := arg(0).([]byte)
		return base64.StdEncoding.EncodeToString(b), nil
	case "text.encoding::utf8":
		return psEncoding{}, nil
	case "text.encoding::unicode":
		return psEncoding{utf16: true}, nil
	case "console::in":
		return psTextReader{}, nil
	case "scriptblock::create":
		text := String(arg(0))
		sc, err := r.parse(text)
		if err != nil {
			var se *syntaxError
			if errors.As(err, &se) {
				return nil, &psTermErr{rec: r.parseErrorRecord(se, se.src), stop: true}
			}
			return nil, err
		}
		return &Block{text: text, stmts: sc.stmts, src: sc.src}, nil
	case "math::round":
		f, _ := Number(arg(0))
		d, _ := Number(arg(1))
		m := math.Pow(10, d)
		return math.RoundToEven(f*m) / m, nil
	case "math::floor":
		f, _ := Number(arg(0))
		return math.Floor(f), nil
	case "math::ceiling":
		f, _ := Number(arg(0))
		return math.Ceil(f), nil
	case "math::max":
		a, _ := Number(arg(0))
		b, _ := Number(arg(1))
		return numberResult(math.Max(a, b), isFloat(arg(0)) || isFloat(arg(1))), nil
	case "math::min":
		a, _ := Number(arg(0))
		b, _ := Number(arg(1))
		return numberResult(math.Min(a, b), isFloat(arg(0)) || isFloat(arg(1))), nil
	case "datetime::now":
		return r.h.Now(), nil
	case "datetime::utcnow":
		return time.Now().UTC(), nil
	case "datetime::today":
		n := r.h.Now()
		return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, n.Location()), nil
	case "environment::machinename":
		name, _ := r.h.Env("COMPUTERNAME")
		return name, nil
	case "environment::newline":
		return "\r\n", nil
	case "string::isnullorempty":
		return String(arg(0)) == "", nil
	case "string::isnullorwhitespace":
		return strings.TrimSpace(String(arg(0))) == "", nil
	case "string::join":
		parts := Enumerate(arg(1))
		ss := make([]string, len(parts))
		for i, p := range parts {
			ss[i] = String(p)
		}
		return strings.Join(ss, String(arg(0))), nil
	}
	_ = call
	return nil, &psTermErr{rec: &ErrorRecord{
		Message: fmt.Sprintf("Unable to find type [%s].", typ), Category: "InvalidOperation",
		Target: typ, TargetType: "TypeName", Exception: "RuntimeException", FQID: "TypeNotFound",
	}, stop: true}
}

func index(v, iv any) any {
	n, ok := Number(iv)
	switch x := v.(type) {
	case []any:
		if !ok {
			return nil
		}
		i := int(n)
		if i < 0 {
			i += len(x)
		}
		if i < 0 || i >= len(x) {
			return nil
		}
		return x[i]
	case []byte:
		i := int(n)
		if i < 0 || i >= len(x) {
			return nil
		}
		return int64(x[i])
	case string:
		rs := []rune(x)
		i := int(n)
		if i < 0 {
			i += len(rs)
		}
		if i < 0 || i >= len(rs) {
			return nil
		}
		return string(rs[i])
	case *Hash:
		val, _ := x.Get(String(iv))
		return val
	case *Object:
		if s, isStr := iv.(string); isStr {
			val, _ := x.Get(s)
			return val
		}
		if ok && n == 0 {
			return x
		}
	case nil:
		return nil
	}
	if ok && (n == 0 || n == -1) {
		return v
	}
	return nil
}

func isFloat(v any) bool {
	_, ok := v.(float64)
	return ok
}

func numberResult(f float64, float bool) any {
	if !float && f == math.Trunc(f) && math.Abs(f) < 9e18 {
		return int64(f)
	}
	return f
}

// binary evaluates operators.
func (r *runner) binary(e binExpr, src *source) (any, error) {
	l, err := r.eval(e.l, src)
	if err != nil {
		return nil, err
	}
	if e.op == "and" && !Truthy(l) {
		return false, nil
	}
	if e.op == "or" && Truthy(l) {
		return true, nil
	}
	rv, err := r.eval(e.r, src)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "and", "or":
		return Truthy(rv), nil
	case "xor":
		return Truthy(l) != Truthy(rv), nil
	case "+":
		switch x := l.(type) {
		case string:
			return x + String(rv), nil
		case []any:
			return append(slices.Clone(x), Enumerate(rv)...), nil
		case time.Time:
			return x, nil
		}
		a, ok1 := Number(l)
		b, ok2 := Number(rv)
		if !ok1 || !ok2 {
			return nil, r.runtimeErr(fmt.Sprintf(r.t.CannotConvert, String(rv), "System.Int32"), "InvalidArgument", "InvalidCastFromStringToInteger")
		}
		return numberResult(a+b, isFloat(l) || isFloat(rv)), nil
	case "-", "*", "/", "%":
		if lt, ok := l.(time.Time); ok && e.op == "-" {
			if rt, ok := rv.(time.Time); ok {
				d := lt.Sub(rt)
				return NewObject("System.TimeSpan", P("Days", int64(d.Hours()/24)), P("Hours", int64(d.Hours())%24), P("TotalDays", d.Hours()/24), P("TotalHours", d.Hours()), P("TotalMinutes", d.Minutes()), P("TotalSeconds", d.Seconds())), nil
			}
		}
		a, ok1 := Number(l)
		b, ok2 := Number(rv)
		if !ok1 || !ok2 {
			return nil, r.runtimeErr(fmt.Sprintf(r.t.CannotConvert, String(rv), "System.Int32"), "InvalidArgument", "InvalidCastFromStringToInteger")
		}
		fl := isFloat(l) || isFloat(rv)
		switch e.op {
		case "-":
			return numberResult(a-b, fl), nil
		case "*":
			return numberResult(a*b, fl), nil
		case "/":
			if b == 0 {
				return nil, r.runtimeErr("Attempted to divide by zero.", "NotSpecified", "RuntimeException")
			}
			q := a / b
			return numberResult(q, fl || q != math.Trunc(q)), nil
		case "%":
			if b == 0 {
				return nil, r.runtimeErr("Attempted to divide by zero.", "NotSpecified", "RuntimeException")
			}
			return numberResult(math.Mod(a, b), fl), nil
		}
	case "f":
		return dotnetFormat(String(l), Enumerate(rv)), nil
	}
	return compareOp(e.op, l, rv)
}

func compareOp(op string, l, rv any) (any, error) {
	caseSensitive := false
	if len(op) > 1 && (op[0] == 'i' || op[0] == 'c') && !isBaseOp(op) && isBaseOp(op[1:]) {
		caseSensitive = op[0] == 'c'
		op = op[1:] // -ieq, -ceq, -ilike ...
	}
	if caseSensitive {
		if v, ok := compareCase(op, l, rv); ok {
			return v, nil
		}
	}
	if arr, ok := l.([]any); ok {
		switch op {
		case "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch":
			var out []any
			for _, e := range arr {
				m, err := compareOp(op, e, rv)
				if err != nil {
					return nil, err
				}
				if Truthy(m) {
					out = append(out, e)
				}
			}
			if out == nil {
				out = []any{}
			}
			return out, nil
		}
	}
	switch op {
	case "eq":
		return Equal(l, rv), nil
	case "ne":
		return !Equal(l, rv), nil
	case "gt", "ge", "lt", "le":
		c := Compare(l, rv)
		switch op {
		case "gt":
			return c > 0, nil
		case "ge":
			return c >= 0, nil
		case "lt":
			return c < 0, nil
		}
		return c <= 0, nil
	case "like":
		return Like(String(rv), String(l)), nil
	case "notlike":
		return !Like(String(rv), String(l)), nil
	case "match", "notmatch":
		re, err := regexp.Compile("(?i)" + String(rv))
		if err != nil {
			return nil, &psTermErr{rec: &ErrorRecord{Message: "The regular expression pattern " + String(rv) + " is not valid.", Category: "InvalidOperation", Exception: "RuntimeException", FQID: "InvalidRegularExpression"}}
		}
		m := re.MatchString(String(l))
		if op == "notmatch" {
			return !m, nil
		}
		return m, nil
	case "contains", "notcontains":
		found := false
		for _, e := range Enumerate(l) {
			if Equal(e, rv) {
				found = true
			}
		}
		if op == "notcontains" {
			return !found, nil
		}
		return found, nil
	case "in", "notin":
		found := false
		for _, e := range Enumerate(rv) {
			if Equal(l, e) {
				found = true
			}
		}
		if op == "notin" {
			return !found, nil
		}
		return found, nil
	case "replace":
		args := Enumerate(rv)
		pat, repl := "", ""
		if len(args) > 0 {
			pat = String(args[0])
		}
		if len(args) > 1 {
			repl = String(args[1])
		}
		re, err := regexp.Compile("(?i)" + pat)
		if err != nil {
			return nil, &psTermErr{rec: &ErrorRecord{Message: "The regular expression pattern " + pat + " is not valid.", Category: "InvalidOperation", Exception: "RuntimeException", FQID: "InvalidRegularExpression"}}
		}
		return re.ReplaceAllString(String(l), strings.ReplaceAll(repl, "$", "$$")), nil
	case "split":
		re, err := regexp.Compile("(?i)" + String(rv))
		if err != nil {
			return nil, &psTermErr{rec: &ErrorRecord{Message: "The regular expression pattern is not valid.", Category: "InvalidOperation", Exception: "RuntimeException", FQID: "InvalidRegularExpression"}}
		}
		return FromStrings(re.Split(String(l), -1)), nil
	case "join":
		parts := Enumerate(l)
		ss := make([]string, len(parts))
		for i, p := range parts {
			ss[i] = String(p)
		}
		return strings.Join(ss, String(rv)), nil
	case "is", "isnot":
		ok := strings.EqualFold(typeNameOf(l), "System."+strings.TrimPrefix(strings.ToLower(String(rv)), "system.")) ||
			strings.EqualFold(typeNameOf(l), String(rv))
		if op == "isnot" {
			return !ok, nil
		}
		return ok, nil
	}
	return nil, fmt.Errorf("unknown operator -%s", op)
}

// compareCase evaluates -ceq, -cne, -clike, -cnotlike, -cmatch and
// -cnotmatch on a string left side; ok is false for anything else, which
// compares as without the c.
func compareCase(op string, l, rv any) (any, bool) {
	ls, isStr := l.(string)
	if !isStr {
		return nil, false
	}
	rs := String(rv)
	switch op {
	case "eq":
		return ls == rs, true
	case "ne":
		return ls != rs, true
	case "like", "notlike":
		return wmatch([]rune(rs), []rune(ls)) == (op == "like"), true
	case "match", "notmatch":
		re, err := regexp.Compile(rs)
		if err != nil {
			return nil, false
		}
		return re.MatchString(ls) == (op == "match"), true
	}
	return nil, false
}

func isBaseOp(op string) bool {
	switch op {
	case "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch",
		"contains", "notcontains", "in", "notin", "replace", "split", "join", "is", "isnot":
		return true
	}
	return false
}

// Equal compares like PowerShell: the right side converts to the left
// side's type; strings compare case-insensitively.
func Equal(l, rv any) bool {
	switch x := l.(type) {
	case nil:
		return rv == nil
	case string:
		if rv == nil {
			return false
		}
		return strings.EqualFold(x, String(rv))
	case bool:
		return x == Truthy(rv)
	case time.Time:
		if t, ok := rv.(time.Time); ok {
			return x.Equal(t)
		}
		return false
	case Enum:
		if s, ok := rv.(string); ok {
			return strings.EqualFold(x.Name, s)
		}
	}
	a, ok1 := Number(l)
	b, ok2 := Number(rv)
	if ok1 && ok2 && rv != nil {
		return a == b
	}
	return strings.EqualFold(String(l), String(rv))
}

func Compare(l, rv any) int {
	switch x := l.(type) {
	case string:
		return strings.Compare(strings.ToLower(x), strings.ToLower(String(rv)))
	case time.Time:
		if t, ok := rv.(time.Time); ok {
			return x.Compare(t)
		}
		if s, ok := rv.(string); ok {
			if t, err := time.Parse("01/02/2006 15:04:05", s); err == nil {
				return x.Compare(t)
			}
		}
		return 0
	}
	a, _ := Number(l)
	b, _ := Number(rv)
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// cast converts for [type]value.
func (r *runner) cast(typ string, v any) (any, error) {
	lt := strings.ToLower(strings.TrimPrefix(strings.ToLower(typ), "system."))
	bad := func(target string) error {
		return r.runtimeErr(fmt.Sprintf(r.t.CannotConvert, String(v), target), "InvalidArgument", "InvalidCastFromStringToInteger")
	}
	switch lt {
	case "int", "int32", "long", "int64", "uint32", "uint64", "byte", "int16":
		n, ok := Number(v)
		if !ok {
			return nil, bad("System.Int32")
		}
		n = math.RoundToEven(n)
		switch lt {
		case "uint32":
			if n < 0 || n > math.MaxUint32 {
				return nil, bad("System.UInt32")
			}
			return uint32(n), nil
		case "uint64":
			return uint64(n), nil
		case "int", "int32":
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, bad("System.Int32")
			}
		}
		return int64(n), nil
	case "double", "float", "single", "decimal":
		n, ok := Number(v)
		if !ok {
			return nil, bad("System.Double")
		}
		return n, nil
	case "string":
		if v == nil {
			return "", nil
		}
		return String(v), nil
	case "bool", "boolean":
		return Truthy(v), nil
	case "datetime":
		if t, ok := v.(time.Time); ok {
			return t, nil
		}
		s := String(v)
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02", "01/02/2006 15:04:05", "01/02/2006"} {
			if t, err := time.ParseInLocation(layout, s, r.h.Now().Location()); err == nil {
				return t, nil
			}
		}
		return nil, bad("System.DateTime")
	case "array", "object[]", "string[]":
		return Enumerate(v), nil
	case "pscustomobject", "psobject":
		if hs, ok := v.(*Hash); ok {
			o := &Object{TypeName: "System.Management.Automation.PSCustomObject", Custom: true}
			for _, k := range hs.Keys {
				o.Props = append(o.Props, P(k, hs.Vals[strings.ToLower(k)]))
			}
			return o, nil
		}
		return v, nil
	case "ordered", "hashtable":
		return v, nil
	case "void":
		return nil, nil
	case "char":
		switch v.(type) {
		case int64, int, uint32, uint64, float64:
			n, _ := Number(v)
			return string(rune(int64(n))), nil
		}
		s := String(v)
		if len([]rune(s)) != 1 {
			return nil, bad("System.Char")
		}
		return s, nil
	}
	return nil, &psTermErr{rec: &ErrorRecord{
		Message: fmt.Sprintf("Unable to find type [%s].", typ), Category: "InvalidOperation",
		Target: typ, TargetType: "TypeName", Exception: "RuntimeException", FQID: "TypeNotFound",
	}, stop: true}
}

// dotnetFormat implements the -f operator for {0}, {0:N2}, {0:F1}, {0:X},
// {0,10} placeholders.
func dotnetFormat(f string, args []any) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c == '{' && i+1 < len(f) && f[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		if c == '}' && i+1 < len(f) && f[i+1] == '}' {
			b.WriteByte('}')
			i++
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		end := strings.IndexByte(f[i:], '}')
		if end < 0 {
			b.WriteString(f[i:])
			break
		}
		spec := f[i+1 : i+end]
		i += end
		idxS, format, _ := strings.Cut(spec, ":")
		idxS, align, _ := strings.Cut(idxS, ",")
		n, err := strconv.Atoi(strings.TrimSpace(idxS))
		if err != nil || n >= len(args) {
			continue
		}
		var s string
		if t, ok := args[n].(time.Time); ok {
			if format == "" {
				s = String(t)
			} else {
				s = dotnetDateFormat(t, format)
			}
		} else if format != "" {
			s = dotnetNumberFormat(args[n], format)
		} else {
			s = String(args[n])
		}
		if w, err := strconv.Atoi(strings.TrimSpace(align)); err == nil {
			if w < 0 {
				s = padRight(s, -w)
			} else {
				s = padLeft(s, w)
			}
		}
		b.WriteString(s)
	}
	return b.String()
}

// dotnetNumberFormat formats N2, F1, D, X8, P, G and plain 0.00 patterns.
func dotnetNumberFormat(v any, format string) string {
	f, ok := Number(v)
	if !ok {
		return String(v)
	}
	if format == "" {
		return String(v)
	}
	kind := strings.ToUpper(format[:1])
	prec := -1
	if len(format) > 1 {
		if n, err := strconv.Atoi(format[1:]); err == nil {
			prec = n
		}
	}
	switch kind {
	case "N":
		if prec < 0 {
			prec = 2
		}
		s := strconv.FormatFloat(math.Abs(roundAway(f, prec)), 'f', prec, 64)
		intPart, frac, _ := strings.Cut(s, ".")
		var b strings.Builder
		for i, c := range intPart {
			if i > 0 && (len(intPart)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		out := b.String()
		if frac != "" {
			out += "." + frac
		}
		if f < 0 {
			out = "-" + out
		}
		return out
	case "F":
		if prec < 0 {
			prec = 2
		}
		return strconv.FormatFloat(roundAway(f, prec), 'f', prec, 64)
	case "D":
		s := strconv.FormatInt(int64(f), 10)
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s
	case "X":
		u := uint64(int64(f))
		if f < 0 {
			u = uint64(uint32(int32(int64(f))))
		}
		s := strconv.FormatUint(u, 16)
		if format[0] == 'X' {
			s = strings.ToUpper(s)
		}
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s
	case "P":
		if prec < 0 {
			prec = 2
		}
		return strconv.FormatFloat(f*100, 'f', prec, 64) + " %"
	case "G":
		return formatFloat(f)
	}
	if strings.HasPrefix(format, "0") || strings.HasPrefix(format, "#") {
		_, frac, _ := strings.Cut(format, ".")
		return strconv.FormatFloat(f, 'f', len(frac), 64)
	}
	return String(v)
}

// roundAway rounds to prec decimals with midpoints away from zero, as
// .NET Framework's numeric format strings do (2.25 -> "2.3" with N1).
func roundAway(f float64, prec int) float64 {
	m := math.Pow(10, float64(prec))
	if r := math.Round(f*m) / m; !math.IsInf(r, 0) && !math.IsNaN(r) {
		return r
	}
	return f
}

// dotnetDateFormat formats a date with a .NET custom or standard format.
func dotnetDateFormat(t time.Time, f string) string {
	switch f {
	case "o", "O":
		return t.Format("2006-01-02T15:04:05.0000000Z07:00")
	case "s":
		return t.Format("2006-01-02T15:04:05")
	case "u":
		return t.UTC().Format("2006-01-02 15:04:05Z")
	case "d":
		return t.Format("1/2/2006")
	case "G":
		return t.Format("1/2/2006 3:04:05 PM")
	}
	repl := []struct{ from, to string }{
		{"yyyy", "2006"}, {"yy", "06"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"MM", "01"},
		{"dddd", "Monday"}, {"ddd", "Mon"}, {"dd", "02"}, {"HH", "15"}, {"hh", "03"},
		{"mm", "04"}, {"ss", "05"}, {"fff", "000"}, {"tt", "PM"}, {"zzz", "-07:00"},
	}
	var b strings.Builder
	for i := 0; i < len(f); {
		matched := false
		for _, r := range repl {
			if strings.HasPrefix(f[i:], r.from) {
				b.WriteString(t.Format(r.to))
				i += len(r.from)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		switch f[i] {
		case 'M':
			b.WriteString(strconv.Itoa(int(t.Month())))
		case 'd':
			b.WriteString(strconv.Itoa(t.Day()))
		case 'H':
			b.WriteString(strconv.Itoa(t.Hour()))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(strconv.Itoa(h))
		default:
			b.WriteByte(f[i])
		}
		i++
	}
	return b.String()
}
