package ps

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
)

// commonParams are accepted by every cmdlet.
func commonParam(name string) (canonical string, isSwitch bool, ok bool) {
	for _, n := range []string{"ErrorAction", "WarningAction", "InformationAction", "ErrorVariable", "WarningVariable", "OutVariable", "OutBuffer", "PipelineVariable", "InformationVariable"} {
		if strings.EqualFold(n, name) {
			return n, false, true
		}
	}
	for _, n := range []string{"Verbose", "Debug", "WhatIf", "Confirm"} {
		if strings.EqualFold(n, name) {
			return n, true, true
		}
	}
	if strings.EqualFold(name, "ea") {
		return "ErrorAction", false, true
	}
	return "", false, false
}

// Call is a bound cmdlet invocation: its arguments and input, and the
// run's services a cmdlet writes through.
type Call struct {
	r        *runner
	Cmd      *Command
	Name     string // as typed
	args     map[string]any
	Input    []any
	HasInput bool
	el       *pipeElem
	src      *source
}

func (c *Call) Has(name string) bool {
	_, ok := c.args[strings.ToLower(name)]
	return ok
}

func (c *Call) Value(name string) any { return c.args[strings.ToLower(name)] }

func (c *Call) Str(name string) (string, bool) {
	v, ok := c.args[strings.ToLower(name)]
	if !ok {
		return "", false
	}
	return String(v), true
}

// strs returns a parameter's value as strings (arrays unrolled).
func (c *Call) Strs(name string) []string {
	v, ok := c.args[strings.ToLower(name)]
	if !ok {
		return nil
	}
	var out []string
	for _, e := range Enumerate(v) {
		out = append(out, String(e))
	}
	return out
}

func (c *Call) Num(name string) (int64, bool) {
	v, ok := c.args[strings.ToLower(name)]
	if !ok {
		return 0, false
	}
	f, ok := Number(v)
	return int64(f), ok
}

func (c *Call) Flag(name string) bool {
	v, ok := c.args[strings.ToLower(name)]
	return ok && Truthy(v)
}

// errorAction is the effective -ErrorAction.
func (r *runner) errorAction(c *Call) string {
	if c != nil {
		if ea, ok := c.Str("ErrorAction"); ok {
			for _, v := range []string{"Continue", "Stop", "SilentlyContinue", "Ignore", "Inquire"} {
				if strings.EqualFold(ea, v) {
					return v
				}
			}
		}
	}
	return r.eap
}

// Error reports a non-terminating error of the cmdlet: written to the
// error stream (or suppressed by -ErrorAction), or, under Stop, returned as
// the error that ends the statement. The cmdlet returns what it returns.
func (c *Call) Error(rec *ErrorRecord) error { return c.r.nonTerminating(c, rec) }

// Errors reports each record in turn, as a cmdlet does after writing its
// output; it stops at the first that ends the statement.
func (c *Call) Errors(recs []*ErrorRecord) error { return c.r.nonTerminatingAll(c, recs) }

// Warn writes a warning to the error stream.
func (c *Call) Warn(msg string) { c.r.addWarning(msg) }

// Write writes text to the output now, as Write-Host does.
func (c *Call) Write(text string) { c.r.write(text) }

// Context is the run's context.
func (c *Call) Context() context.Context { return c.r.ctx }

// CommandClass is the .NET class of the cmdlet, as FullyQualifiedErrorIds
// name it: Microsoft.PowerShell.Commands.GetServiceCommand.
func (c *Call) CommandClass() string {
	return "Microsoft.PowerShell.Commands." + strings.ReplaceAll(c.Cmd.Name, "-", "") + "Command"
}

// nonTerminating reports a cmdlet's non-terminating error: written (or
// suppressed by -ErrorAction), or turned into a terminating one by Stop.
// nonTerminatingAll reports each record in turn, as a cmdlet does after
// writing its output; it stops at the first that ends the statement.
func (r *runner) nonTerminatingAll(c *Call, recs []*ErrorRecord) error {
	for _, rec := range recs {
		if err := r.nonTerminating(c, rec); err != nil {
			return err
		}
	}
	return nil
}

func (r *runner) nonTerminating(c *Call, rec *ErrorRecord) error {
	if rec.cmd == "" {
		rec.cmd = c.Name
	}
	if rec.Activity == "" {
		rec.Activity = c.Cmd.Name
	}
	if rec.src == nil && c.el != nil {
		rec.src, rec.pos, rec.length = c.src, c.el.start, c.el.end-c.el.start
	}
	r.lastOK = false
	switch r.errorAction(c) {
	case "SilentlyContinue", "Ignore":
		return nil
	case "Stop":
		return &psTermErr{rec: rec, stop: true}
	}
	r.addError(rec)
	return nil
}

// invoke runs one command element of a pipeline.
func (r *runner) invoke(el *pipeElem, input []any, hasInput bool, src *source) ([]any, error) {
	r.curSrc, r.curPos, r.curLen = src, el.start, el.end-el.start
	name := el.name
	if el.call != nil {
		v, err := r.eval(el.call, src)
		if err != nil {
			return nil, err
		}
		if b, ok := v.(*Block); ok {
			r.curItem = append(r.curItem, unwrap(input))
			defer func() { r.curItem = r.curItem[:len(r.curItem)-1] }()
			out, err := r.execCollect(b.stmts, b.src)
			var re *psReturnErr
			if err != nil && !errors.As(err, &re) {
				return out, err
			}
			return out, nil
		}
		name = String(v)
	}
	lname := strings.ToLower(name)
	e, ok := Builtin(lname)
	if !ok {
		e, ok = r.h.Command(lname)
	}
	if ok {
		c, err := r.bind(e, name, el, src)
		if err != nil {
			return nil, err
		}
		c.Input, c.HasInput = input, hasInput
		r.lastOK = true
		out, err := e.Run(c)
		if err != nil {
			return out, err
		}
		return out, nil
	}
	if prog, ok := r.h.Native(name); ok {
		return r.runNative(el, prog, input, hasInput, src)
	}
	pos, length := el.start, len(name)
	if el.call == nil {
		pos, length = el.nameTok.pos, el.nameTok.end-el.nameTok.pos
	}
	return nil, &psTermErr{rec: r.notRecognizedRecord(name, src, pos, length), stop: true}
}

// bind matches the element's arguments to the cmdlet's parameters.
func (r *runner) bind(e *Command, name string, el *pipeElem, src *source) (*Call, error) {
	c := &Call{r: r, Cmd: e, Name: name, args: map[string]any{}, el: el, src: src}
	bindErr := func(msg, fqid string) error {
		return &psTermErr{rec: &ErrorRecord{
			Message: msg, cmd: name, Category: "InvalidArgument", Activity: e.Name,
			Exception: "ParameterBindingException", FQID: fqid + ",Microsoft.PowerShell.Commands." + strings.ReplaceAll(e.Name, "-", "") + "Command",
			src: src, pos: el.start, length: el.end - el.start,
		}}
	}
	resolve := func(p string) (string, bool, error) {
		var matches []string
		var sw []bool
		all := append(append([]string{}, e.Named...), e.Switches...)
		for i, n := range all {
			if strings.EqualFold(n, p) {
				return n, i >= len(e.Named), nil
			}
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(p)) {
				matches = append(matches, n)
				sw = append(sw, i >= len(e.Named))
			}
		}
		if cn, isSw, ok := commonParam(p); ok {
			return cn, isSw, nil
		}
		switch len(matches) {
		case 1:
			return matches[0], sw[0], nil
		case 0:
			return "", false, bindErr(fmt.Sprintf(r.t.ParamNotFound, p), "NamedParameterNotFound")
		}
		return "", false, bindErr(fmt.Sprintf("Parameter cannot be processed because the parameter name '%s' is ambiguous. Possible matches include: -%s.", p, strings.Join(matches, " -")), "AmbiguousParameter")
	}
	var positional []any
	for i := 0; i < len(el.args); i++ {
		a := el.args[i]
		if a.param == "" {
			v, err := r.eval(a.val, src)
			if err != nil {
				return nil, err
			}
			positional = append(positional, v)
			continue
		}
		pn, isSw, err := resolve(a.param)
		if err != nil {
			return nil, err
		}
		key := strings.ToLower(pn)
		switch {
		case a.colon:
			v, err := r.eval(a.val, src)
			if err != nil {
				return nil, err
			}
			c.args[key] = v
		case isSw:
			c.args[key] = true
		default:
			if i+1 >= len(el.args) || el.args[i+1].param != "" {
				return nil, bindErr(fmt.Sprintf("Missing an argument for parameter '%s'. Specify a parameter of type 'System.Object' and try again.", pn), "MissingArgument")
			}
			i++
			v, err := r.eval(el.args[i].val, src)
			if err != nil {
				return nil, err
			}
			c.args[key] = v
		}
	}
	pi := 0
	for _, v := range positional {
		for pi < len(e.Positional) && c.Has(e.Positional[pi]) {
			pi++
		}
		if pi >= len(e.Positional) {
			if e.Varargs && len(e.Positional) > 0 {
				last := strings.ToLower(e.Positional[len(e.Positional)-1])
				c.args[last] = append(Enumerate(c.args[last]), v)
				continue
			}
			return nil, bindErr(fmt.Sprintf(r.t.Positional, String(v)), "PositionalParameterNotFound")
		}
		c.args[strings.ToLower(e.Positional[pi])] = v
		pi++
	}
	return c, nil
}

// runNative runs a simulated native program from PowerShell: its stdout
// lines become pipeline output, its stderr passes through, $LASTEXITCODE
// and $? are set.
func (r *runner) runNative(el *pipeElem, prog Native, input []any, hasInput bool, src *source) ([]any, error) {
	var args []string
	for _, a := range el.args {
		if a.param != "" {
			s := "-" + a.param
			if a.colon {
				v, err := r.eval(a.val, src)
				if err != nil {
					return nil, err
				}
				s += ":" + String(v)
			}
			args = append(args, s)
			continue
		}
		v, err := r.eval(a.val, src)
		if err != nil {
			return nil, err
		}
		for _, e := range Enumerate(v) {
			args = append(args, String(e))
		}
	}
	var stdin string
	if hasInput {
		var b strings.Builder
		for _, it := range input {
			b.WriteString(strings.TrimRight(r.t.outDefault([]any{it}), "\r\n") + "\r\n")
		}
		stdin = b.String()
	}
	var out bytes.Buffer
	var errBuf bytes.Buffer
	code := prog(r.ctx, args, strings.NewReader(stdin), &out, &errBuf)
	if errBuf.Len() > 0 {
		if r.mergeErr > 0 {
			out.Write(errBuf.Bytes())
		} else if r.muteErr == 0 {
			_, _ = r.sess.Stderr.Write(errBuf.Bytes())
		}
	}
	r.lastExit = int64(code)
	r.lastOK = code == 0
	text := strings.ReplaceAll(out.String(), "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	if text == "" && out.Len() == 0 {
		return nil, nil
	}
	var lines []any
	for _, l := range strings.Split(text, "\n") {
		lines = append(lines, l)
	}
	return lines, nil
}
