package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/internal/winout"
)

// Executor opens sessions on servers; remote's WinRM client implements it.
type Executor interface {
	Open(ctx context.Context, target string) (Session, error)
}

// Session runs commands on one server; one run uses one session.
type Session interface {
	Run(ctx context.Context, c Command) (Output, error)
	Close() error
}

// WithoutTarget returns err with a leading "NAME: " or "target NAME: "
// (NAME being target) taken off its message. An Executor's errors name
// their target (remote's read "fs01: create-shell: ...", the
// configuration's "target fs01: password_env ... is not set"); a caller
// whose own words name it already ("open session on fs01: ") wraps the
// error in WithoutTarget so the message does not say it twice.
// errors.Is and errors.As still see err.
func WithoutTarget(target string, err error) error {
	if err == nil || target == "" {
		return err
	}
	msg := err.Error()
	for _, prefix := range []string{target + ": ", "target " + target + ": "} {
		if rest, ok := strings.CutPrefix(msg, prefix); ok {
			return &targetTrimmed{err: err, msg: rest}
		}
	}
	return err
}

type targetTrimmed struct {
	err error
	msg string
}

func (e *targetTrimmed) Error() string { return e.msg }
func (e *targetTrimmed) Unwrap() error { return e.err }

// Command is one command to run: a cmd command line, or a PowerShell script
// whose parameters travel as data (remote's $P prologue).
type Command struct {
	Shell   Shell
	Script  string
	Params  map[string]any
	Timeout time.Duration
	// Name names the command in logs ("restart#1").
	Name string
	// Quiet logs the command's success at debug level, for a command run
	// on every server of a fleet at once (the audit's collection: a line
	// per server would bury the audit's own lines). A failure is still a
	// warning.
	Quiet bool
}

// Output is what a command produced.
type Output struct {
	Stdout, Stderr string
	ExitCode       int
	// Truncated is set when the executor capped the output.
	Truncated bool
	Duration  time.Duration
}

// Gate decides whether a changing step may run: ApprovedPlanGate for a plan
// approved by its hash (the CLI's --yes, the console's "yes", the chat's
// approvals).
type Gate interface {
	Allow(ctx context.Context, p *Plan, step RenderedStep) (bool, error)
}

// Observer follows a run step by step (a progress message). Its methods
// must not block for long.
type Observer interface {
	StepStarted(ctx context.Context, step RenderedStep)
	StepFinished(ctx context.Context, res StepResult)
}

// Recorder keeps the audit trail of runs. A nil Recorder records nothing.
type Recorder interface {
	// RunStarted records a run about to start and returns its id; an
	// error stops the run before anything runs.
	RunStarted(ctx context.Context, r RunStart) (runID string, err error)
	// StepStarted records a changing step before its command is sent, so
	// a crash while it runs leaves in the record what was in flight. An
	// error keeps the step from being sent (it ends in error).
	StepStarted(ctx context.Context, runID string, step RenderedStep) error
	StepFinished(ctx context.Context, runID string, res StepResult) error
	RunFinished(ctx context.Context, runID string, res Result) error
}

// ChangeLock keeps changes to one server to one run at a time, across
// every process that may change servers (the bot and operators' CLI runs);
// hostlock implements it. The engine takes it for runs of runbooks that
// have changing steps, from before the preconditions until after cleanup.
// An error (for example another run holding the server) refuses the run;
// its text is shown to the user and must say which run is in progress.
type ChangeLock interface {
	LockChanges(ctx context.Context, target string, runID string, rs RunStart) (unlock func(), err error)
}

// RunStart is what a Recorder learns when a run starts.
type RunStart struct {
	Runbook string         `json:"runbook"`
	Version int            `json:"version"`
	Target  string         `json:"target"`
	Params  map[string]any `json:"params"`
	Started time.Time      `json:"started"`
}

// RunStatus is how a run ended.
type RunStatus string

// The run statuses.
const (
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	RunRefused   RunStatus = "refused"
	RunCancelled RunStatus = "cancelled"
)

// In names the status in l.
func (s RunStatus) In(l Lang) string {
	switch s {
	case RunSucceeded:
		return l.Pick("succeeded", "成功")
	case RunFailed:
		return l.Pick("failed", "失敗")
	case RunRefused:
		return l.Pick("refused", "拒否")
	case RunCancelled:
		return l.Pick("cancelled", "中止")
	}
	return string(s)
}

// StepStatus is how one step (one iteration) ended.
type StepStatus string

// The step statuses.
const (
	StepPassed  StepStatus = "passed"
	StepFailed  StepStatus = "failed"
	StepSkipped StepStatus = "skipped"
	StepRefused StepStatus = "refused"
	StepError   StepStatus = "error"
)

// Mark is the status as one symbol, as every view of a run shows it:
// ✓ passed, - skipped, ⊘ refused, ✗ failed or error.
func (s StepStatus) Mark() string {
	switch s {
	case StepPassed:
		return "✓"
	case StepSkipped:
		return "-"
	case StepRefused:
		return "⊘"
	}
	return "✗"
}

// Verdict is one expectation's outcome.
type Verdict struct {
	Message Text `json:"message"`
	OK      bool `json:"ok"`
	// Detail is what was found instead, in English (or data for both
	// languages); DetailJA the Japanese, when the runbook gives one.
	Detail   string `json:"detail"`
	DetailJA string `json:"detail_ja,omitempty"`
}

// Sentence says the verdict in l so that it reads the right way round: a
// met expectation as itself, a failed one as what was expected and what
// was found ("expected: none of the latest backup events is a failure →
// found: ...").
func (v Verdict) Sentence(l Lang) string {
	if v.OK {
		return v.Message.In(l)
	}
	found := v.DetailIn(l)
	if found == "" {
		found = l.Pick("not so", "満たされていません")
	}
	return l.Pick("expected: ", "期待: ") + v.Message.In(l) + l.Pick(" → found: ", " → 実際: ") + found
}

// DetailIn returns what was found instead, in l: the Japanese detail when
// there is one, else the detail, which is then data for both languages.
func (v Verdict) DetailIn(l Lang) string {
	if l == LangJA && v.DetailJA != "" {
		return v.DetailJA
	}
	return v.Detail
}

// StepResult is what one step (one iteration of a foreach) did.
type StepResult struct {
	Phase     Phase      `json:"phase"`
	ID        string     `json:"id"`
	Iteration int        `json:"iteration"`
	Title     Text       `json:"title"`
	Mode      Mode       `json:"mode"`
	Status    StepStatus `json:"status"`
	// Script is what was sent (see RenderedStep), "" when nothing was.
	Script       string         `json:"script"`
	Params       string         `json:"params,omitempty"`
	ExitCode     int            `json:"exit_code"`
	Duration     time.Duration  `json:"duration"`
	Stdout       string         `json:"stdout"`
	Stderr       string         `json:"stderr"`
	Truncated    bool           `json:"truncated"`
	Parsed       any            `json:"parsed"`
	Report       map[string]any `json:"report"`
	Expectations []Verdict      `json:"expectations"`
	Error        string         `json:"error"`
	Hint         string         `json:"hint"` // the usual fix for Error, if known
}

// Result is a run's platform-neutral outcome; renderers turn it into chat
// messages.
type Result struct {
	RunID   string         `json:"run_id"`
	Runbook string         `json:"runbook"`
	Version int            `json:"version"`
	Target  string         `json:"target"`
	Params  map[string]any `json:"params"`
	Status  RunStatus      `json:"status"`
	// Verified is set when the runbook has verify steps and all passed.
	Verified bool         `json:"verified"`
	Steps    []StepResult `json:"steps"`
	Summary  Text         `json:"summary"`
	Error    string       `json:"error"`
	// Hint is the usual fix for Error, when the executor explains its
	// failures (remote classifies every WinRM failure).
	Hint     string    `json:"hint"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
}

// Limits of the engine.
const (
	cleanupTimeout = 2 * time.Minute // cleanup after cancellation
	maxKeptOutput  = 64 << 10        // stdout/stderr kept in a StepResult
	maxIterations  = 100             // foreach items
)

// Engine runs runbooks. It is safe for concurrent use.
type Engine struct {
	exec Executor
	gate Gate
	rec  Recorder
	lg   *slog.Logger
	lock ChangeLock
}

// Option configures an Engine.
type Option func(*Engine)

// WithChangeLock makes runs of runbooks with changing steps hold l's lock
// on their target for their whole length.
func WithChangeLock(l ChangeLock) Option {
	return func(e *Engine) { e.lock = l }
}

// NewEngine returns an engine. gate may be nil only for engines that never
// run a changing step (every change is then refused); rec may be nil; lg
// nil logs nothing.
func NewEngine(exec Executor, gate Gate, rec Recorder, lg *slog.Logger, opts ...Option) *Engine {
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	e := &Engine{exec: exec, gate: gate, rec: rec, lg: lg}
	for _, o := range opts {
		o(e)
	}
	return e
}

// run is the state of one run or dry run.
type run struct {
	e      *Engine
	rb     *Runbook
	target string
	params Params
	sess   Session
	dry    bool
	obs    Observer
	runID  string

	plan    *Plan
	steps   map[string]*stepState // what expressions read as steps.<id>
	notRun  map[string]bool
	results []StepResult
}

func (e *Engine) check(rb *Runbook, target string, params Params) error {
	switch {
	case rb == nil:
		return errors.New("no runbook")
	case strings.TrimSpace(target) == "":
		return errors.New("no target")
	case params.runbook != rb.ID:
		return fmt.Errorf("parameters were not bound for runbook %s (use Runbook.Bind)", rb.ID)
	case e.exec == nil:
		return errors.New("engine has no executor")
	}
	return nil
}

func newRun(e *Engine, rb *Runbook, target string, params Params) *run {
	r := &run{e: e, rb: rb, target: target, params: params,
		plan: &Plan{Runbook: rb.ID, Version: rb.Version, Digest: rb.Digest, Title: rb.Title, Target: target, Params: params.Map(), Given: params.Given(),
			Steps: []RenderedStep{}, Findings: []StepResult{}},
		steps: map[string]*stepState{}, notRun: map[string]bool{}, results: []StepResult{}}
	// Every step reads as not run until it runs, so that cleanup can test
	// steps.x.ran after an early failure.
	for _, sec := range rb.phases() {
		for _, st := range sec {
			r.steps[st.ID] = newStepState()
		}
	}
	return r
}

// DryRun runs the preconditions and read-only steps and renders every
// other step exactly as it would be sent, without running any of them.
func (e *Engine) DryRun(ctx context.Context, rb *Runbook, target string, params Params) (*Plan, error) {
	if err := e.check(rb, target, params); err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	sess, err := e.open(ctx, rb, target)
	if err != nil {
		return nil, fmt.Errorf("dry run %s on %s: open session: %w", rb.ID, target, err)
	}
	defer func() { _ = sess.Close() }()
	r := newRun(e, rb, target, params)
	r.sess, r.dry = sess, true
	for _, sec := range rb.phases() {
		for i := range sec {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("dry run %s on %s: %w", rb.ID, target, err)
			}
			out := r.step(ctx, &sec[i])
			if out == RunRefused && sec[i].Phase == PhasePrecondition {
				r.plan.Refused = true
			}
		}
	}
	r.plan.Findings = r.results
	return r.plan, nil
}

// open opens the run's session within the timeout of the runbook's first
// step: opening is part of that step, so a server that answers slowly (one
// trickling bytes, say) holds a step with a 60 s timeout for 60 s, not for
// the target's longer default deadline.
func (e *Engine) open(ctx context.Context, rb *Runbook, target string) (Session, error) {
	d := rb.firstStepTimeout()
	octx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	sess, err := e.exec.Open(octx, target)
	err = WithoutTarget(target, err)
	if err != nil && ctx.Err() == nil && octx.Err() != nil {
		err = fmt.Errorf("timed out after %s, the first step's timeout: %w", d, err)
	}
	return sess, err
}

// Run runs a runbook on target: preconditions (a failure refuses the run
// before anything changes), the steps in order (a changing step only when
// the Gate allows it), the verify steps (which decide Verified), and the
// cleanup steps, which always run, also after a failure or cancellation.
// The error is for misuse and for a Recorder that could not record the
// start; what happened on the server is in the Result.
func (e *Engine) Run(ctx context.Context, rb *Runbook, target string, params Params, obs Observer) (*Result, error) {
	if err := e.check(rb, target, params); err != nil {
		return nil, fmt.Errorf("run: %w", err)
	}
	r := newRun(e, rb, target, params)
	r.obs = obs
	res := &Result{Runbook: rb.ID, Version: rb.Version, Target: target, Params: params.Map(), Started: time.Now()}
	start := RunStart{Runbook: rb.ID, Version: rb.Version, Target: target, Params: params.Map(), Started: res.Started}
	if e.rec != nil {
		id, err := e.rec.RunStarted(ctx, start)
		if err != nil {
			return nil, fmt.Errorf("run %s on %s: record start: %w", rb.ID, target, err)
		}
		r.runID, res.RunID = id, id
	}
	lg := e.lg.With("runbook", rb.ID, "target", target, "run", r.runID)
	lg.Info("run started")

	status := RunSucceeded
	var (
		sess Session
		err  error
	)
	if e.lock != nil && rb.changes() {
		var unlock func()
		if unlock, err = e.lock.LockChanges(ctx, target, r.runID, start); err != nil {
			status, res.Error = RunRefused, err.Error()
			if ctx.Err() != nil {
				status = RunCancelled
			}
			lg.Warn("run refused: server locked", "err", err)
		} else {
			defer unlock()
		}
	}
	if status == RunSucceeded {
		sess, err = e.open(ctx, rb, target)
	}
	switch {
	case status != RunSucceeded: // refused before anything was sent
	case err != nil:
		status, res.Error = RunFailed, fmt.Sprintf("open session on %s: %v", target, err)
		res.Hint = hint(err)
		if ctx.Err() != nil {
			status = RunCancelled
		}
	default:
		r.sess = sess
		status = r.main(ctx)
		verified := len(rb.Verify) > 0
		if status == RunSucceeded {
			for i := range rb.Verify {
				if out := r.step(ctx, &rb.Verify[i]); out != RunSucceeded {
					verified = false
					if out == RunCancelled {
						status = RunCancelled
					}
					break
				}
			}
		} else {
			verified = false
		}
		res.Verified = verified
		cctx := ctx
		if ctx.Err() != nil {
			var cancel context.CancelFunc
			cctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
			defer cancel()
		}
		for i := range rb.Cleanup {
			if out := r.step(cctx, &rb.Cleanup[i]); out != RunSucceeded && status == RunSucceeded {
				status = RunFailed
				res.Error = fmt.Sprintf("cleanup step %q did not pass", rb.Cleanup[i].ID)
			}
		}
		if err := sess.Close(); err != nil {
			lg.Warn("close session failed", "err", err)
		}
	}
	res.Status = status
	res.Steps = r.results
	res.Finished = time.Now()
	res.Summary = summarize(res, len(rb.Verify) > 0)
	if e.rec != nil {
		if err := e.rec.RunFinished(context.WithoutCancel(ctx), r.runID, *res); err != nil {
			lg.Error("record run end failed", "err", err)
		}
	}
	lg.Info("run finished", "status", status, "verified", res.Verified)
	return res, nil
}

// changes reports whether the runbook has a changing step in any phase.
func (rb *Runbook) changes() bool {
	for _, sec := range rb.phases() {
		for _, st := range sec {
			if st.Mode == ModeChange {
				return true
			}
		}
	}
	return false
}

// main runs the preconditions and the steps and returns the run's status.
func (r *run) main(ctx context.Context) RunStatus {
	for i := range r.rb.Preconditions {
		switch out := r.step(ctx, &r.rb.Preconditions[i]); out {
		case RunSucceeded:
		case RunCancelled:
			return out
		default:
			return RunRefused
		}
	}
	for i := range r.rb.Steps {
		if ctx.Err() != nil {
			return RunCancelled
		}
		if out := r.step(ctx, &r.rb.Steps[i]); out != RunSucceeded {
			return out
		}
	}
	return RunSucceeded
}

// vars returns the variables an expression of st sees.
func (r *run) vars(st *Step, item any, hasItem bool) map[string]any {
	pv, _ := jsonValue(r.params.Map())
	steps := make(map[string]any, len(r.steps))
	for k, s := range r.steps {
		steps[k] = s.view()
	}
	v := map[string]any{"params": pv, "steps": steps, "target": r.target}
	if hasItem {
		v["item"] = item
		if st.Foreach != nil {
			v[st.Foreach.As] = item
		}
	}
	return v
}

// step runs (or, in a dry run, renders) one step with all its iterations and
// returns RunSucceeded when it passed or was skipped, RunFailed, RunRefused
// or RunCancelled.
//
// Each iteration goes through three phases: decide (its when), render
// (its parameters and command, added to the plan) and, when the run sends
// the step, execute (the gate for a change, the command, the verdicts). A
// real run sends every step. A dry run sends only read-only preconditions
// and steps (sends); it renders the others, and renders as conditional
// what reads a step it did not send.
func (r *run) step(ctx context.Context, st *Step) RunStatus {
	state := r.steps[st.ID]
	send := r.sends(st)
	if send {
		state.end(StepSkipped, true)
	} else {
		r.notRun[st.ID] = true
	}
	if r.dry && r.readsUnsent(st.dataReads) {
		// What it repeats over or is given is not known: show the template.
		r.notRun[st.ID] = true
		r.plan.Steps = append(r.plan.Steps, templateStep(st, r.params))
		return RunSucceeded
	}
	undecidedWhen := r.dry && r.readsUnsent(st.whenReads)
	items, hasItem, err := r.foreachItems(st)
	if err != nil {
		return r.fail(ctx, st, state, 0, err)
	}
	if len(items) == 0 {
		sr := r.newResult(st, 0)
		sr.Status = StepSkipped
		sr.Error = "nothing to repeat over"
		r.record(ctx, sr)
		return RunSucceeded
	}
	outcome := RunSucceeded
	for i, item := range items {
		if ctx.Err() != nil {
			return RunCancelled
		}
		vars := r.vars(st, item, hasItem)
		// Decide.
		if st.When != nil && !undecidedWhen {
			ok, err := st.When.EvalBool(vars)
			if err != nil {
				return r.fail(ctx, st, state, i, fmt.Errorf("when: %w", err))
			}
			if !ok {
				r.skip(ctx, st, i)
				continue
			}
		}
		// Render.
		params, err := r.withParams(st, vars)
		if err != nil {
			return r.fail(ctx, st, state, i, err)
		}
		rs, err := render(st, i, params)
		if err != nil {
			return r.fail(ctx, st, state, i, err)
		}
		rs.Conditional = undecidedWhen
		r.plan.Steps = append(r.plan.Steps, rs)
		if !send {
			continue
		}
		// Execute.
		switch out := r.send(ctx, st, state, i, rs, vars); {
		case out == RunSucceeded:
		case out == RunFailed && st.Phase == PhaseCleanup:
			outcome = RunFailed // the other cleanup iterations still run
		default:
			return out
		}
	}
	return outcome
}

// sends reports whether this run sends st's commands: a real run sends
// every step, a dry run only read-only preconditions and steps.
func (r *run) sends(st *Step) bool {
	return !r.dry || st.Mode == ModeReadOnly && (st.Phase == PhasePrecondition || st.Phase == PhaseStep)
}

// readsUnsent reports whether one of the steps ids was not sent (a dry run
// cannot decide what reads it).
func (r *run) readsUnsent(ids []string) bool {
	return slices.ContainsFunc(ids, func(id string) bool { return r.notRun[id] })
}

// templateStep is a step a dry run cannot render: its script as written,
// with the run's parameters, conditional.
func templateStep(st *Step, params Params) RenderedStep {
	rs := RenderedStep{Phase: st.Phase, ID: st.ID, Title: st.Title, Description: st.Description, Mode: st.Mode,
		Shell: st.Shell, Script: st.Script, Timeout: st.Timeout, Conditional: true}
	if st.Shell == ShellPowerShell {
		js, _ := jsonMarshalCanonical(params.Map())
		rs.Params = string(js)
	}
	return rs
}

// fail ends st with an error that kept iteration i from being sent.
func (r *run) fail(ctx context.Context, st *Step, state *stepState, i int, err error) RunStatus {
	state.end(StepError, false)
	r.record(ctx, r.errorResult(st, i, err))
	return RunFailed
}

// skip takes an iteration whose when is false: a dry run shows it in the
// plan as skipped, a real run records it.
func (r *run) skip(ctx context.Context, st *Step, i int) {
	if r.dry {
		if rs, err := render(st, i, r.params); err == nil {
			rs.Skipped = true
			r.plan.Steps = append(r.plan.Steps, rs)
		}
		return
	}
	sr := r.newResult(st, i)
	sr.Status = StepSkipped
	r.record(ctx, sr)
}

// send executes one rendered iteration (a change only when the gate allows
// it), takes its outcome into the step's state and records it.
func (r *run) send(ctx context.Context, st *Step, state *stepState, i int, rs RenderedStep, vars map[string]any) RunStatus {
	if st.Mode == ModeChange {
		if allowed, err := r.allow(ctx, rs); !allowed {
			sr := r.newResult(st, i)
			sr.Status, sr.Script, sr.Params = StepRefused, rs.Script, rs.Params
			sr.Error = "the gate did not allow this change"
			if err != nil {
				sr.Error += ": " + err.Error()
			}
			state.end(StepRefused, false)
			r.record(ctx, sr)
			return RunRefused
		}
	}
	if st.Mode == ModeChange && r.e.rec != nil && !r.dry {
		if err := r.e.rec.StepStarted(context.WithoutCancel(ctx), r.runID, rs); err != nil {
			state.end(StepError, false)
			r.record(ctx, r.errorResult(st, i, fmt.Errorf("not sent: it could not be recorded first: %w", err)))
			return RunFailed
		}
	}
	sr := r.execute(ctx, st, i, rs, vars)
	state.sent(sr)
	r.record(ctx, sr)
	if sr.Status != StepPassed {
		state.end(sr.Status, false)
		switch {
		case ctx.Err() != nil:
			return RunCancelled
		case st.Phase == PhasePrecondition:
			return RunRefused
		}
		return RunFailed
	}
	if state.passed {
		state.status = string(StepPassed)
	}
	return RunSucceeded
}

func (r *run) allow(ctx context.Context, rs RenderedStep) (bool, error) {
	if r.e.gate == nil {
		return false, errors.New("no gate")
	}
	ok, err := r.e.gate.Allow(ctx, r.plan, rs)
	if err != nil {
		return false, err
	}
	return ok, nil
}

// foreachItems evaluates the foreach list and its filter; hasItem is
// false, with one nil item, for a step without foreach.
func (r *run) foreachItems(st *Step) (items []any, hasItem bool, err error) {
	if st.Foreach == nil {
		return []any{nil}, false, nil
	}
	v, err := st.Foreach.In.Eval(r.vars(st, nil, false))
	if err != nil {
		return nil, true, fmt.Errorf("foreach: %w", err)
	}
	var list []any
	switch v := v.(type) {
	case nil:
	case []any:
		list = v
	default:
		return nil, true, fmt.Errorf("foreach: %q is %s, not a list", st.Foreach.In, describeValue(v))
	}
	out := []any{}
	for _, item := range list {
		if st.Foreach.Where != nil {
			ok, err := st.Foreach.Where.EvalBool(r.vars(st, item, true))
			if err != nil {
				return nil, true, fmt.Errorf("foreach where: %w", err)
			}
			if !ok {
				continue
			}
		}
		out = append(out, item)
	}
	if len(out) > maxIterations {
		return nil, true, fmt.Errorf("foreach: %d items; the limit is %d", len(out), maxIterations)
	}
	return out, true, nil
}

// withParams evaluates the step's with: and validates each value by its
// parameter's type.
func (r *run) withParams(st *Step, vars map[string]any) (Params, error) {
	p := r.params
	var errs []error
	for _, w := range st.With {
		v, err := w.Expr.Eval(vars)
		if err != nil {
			errs = append(errs, fmt.Errorf("with %s: %w", w.Param, err))
			continue
		}
		pr, _ := r.rb.param(w.Param)
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64)
		case nil:
		default:
			errs = append(errs, fmt.Errorf("with %s: %s is not a single value", w.Param, describeValue(v)))
			continue
		}
		val, err := pr.validate(s, nil, true)
		if err != nil {
			errs = append(errs, fmt.Errorf("with: %w", err))
			continue
		}
		p = p.with(w.Param, val)
	}
	return p, errors.Join(errs...)
}

func (r *run) newResult(st *Step, i int) StepResult {
	return StepResult{Phase: st.Phase, ID: st.ID, Iteration: i, Title: st.Title, Mode: st.Mode,
		Report: map[string]any{}, Expectations: []Verdict{}}
}

func (r *run) errorResult(st *Step, i int, err error) StepResult {
	sr := r.newResult(st, i)
	sr.Status, sr.Error = StepError, fmt.Sprintf("step %q: %v", st.ID, err)
	return sr
}

func (r *run) record(ctx context.Context, sr StepResult) {
	r.results = append(r.results, sr)
	if r.dry {
		return
	}
	// Progress and the audit trail are written even after cancellation;
	// the record first, so that what the user was told a step did is in
	// the record if the process dies right after.
	ctx = context.WithoutCancel(ctx)
	if r.e.rec != nil {
		if err := r.e.rec.StepFinished(ctx, r.runID, sr); err != nil {
			r.e.lg.Error("record step failed", "run", r.runID, "step", sr.ID, "err", err)
		}
	}
	if r.obs != nil {
		r.obs.StepFinished(ctx, sr)
	}
}

// execute sends one rendered step and judges its output.
func (r *run) execute(ctx context.Context, st *Step, i int, rs RenderedStep, vars map[string]any) StepResult {
	sr := r.newResult(st, i)
	sr.Script, sr.Params = rs.Script, rs.Params
	if r.obs != nil && !r.dry {
		r.obs.StepStarted(ctx, rs)
	}
	sctx, cancel := context.WithTimeout(ctx, st.Timeout)
	defer cancel()
	start := time.Now()
	out, err := r.sess.Run(sctx, rs.Command())
	sr.Duration = out.Duration
	if sr.Duration == 0 {
		sr.Duration = time.Since(start)
	}
	sr.ExitCode, sr.Truncated = out.ExitCode, out.Truncated
	sr.Stdout, sr.Stderr = capText(out.Stdout), capText(out.Stderr)
	if err != nil {
		sr.Status = StepError
		switch {
		case ctx.Err() != nil:
			sr.Error = fmt.Sprintf("step %q on %s: cancelled: %v", st.ID, r.target, WithoutTarget(r.target, err))
		case sctx.Err() != nil:
			sr.Error = fmt.Sprintf("step %q on %s: timed out after %s", st.ID, r.target, st.Timeout)
		default:
			sr.Error = fmt.Sprintf("step %q on %s: %v", st.ID, r.target, WithoutTarget(r.target, err))
			sr.Hint = hint(err)
		}
		return sr
	}
	r.e.lg.Debug("step ran", "step", st.ID, "target", r.target, "exit", out.ExitCode)
	sr.Status = StepPassed
	if out.ExitCode != 0 {
		sr.Status = StepFailed
		sr.Error = fmt.Sprintf("exit code %d", out.ExitCode)
	}
	parsed, perr := parseOutput(st.Parse, out.Stdout)
	if perr != nil {
		if sr.Status == StepPassed {
			sr.Status, sr.Error = StepFailed, fmt.Sprintf("parse %s: %v", st.Parse, perr)
		}
		return sr
	}
	sr.Parsed = parsed
	jv, err := jsonValue(parsed)
	if err != nil {
		sr.Status, sr.Error = StepError, fmt.Sprintf("parse %s: %v", st.Parse, err)
		return sr
	}
	vars["result"], vars["exit_code"], vars["stdout"] = jv, float64(out.ExitCode), out.Stdout
	for _, rp := range st.Report {
		v, err := rp.Expr.Eval(vars)
		if err != nil {
			v = "error: " + err.Error()
		}
		sr.Report[rp.Name] = v
	}
	for _, x := range st.Expect {
		vd := Verdict{Message: x.Message}
		ok, err := x.That.EvalBool(vars)
		switch {
		case err != nil:
			vd.Detail = "cannot evaluate: " + err.Error()
		case ok:
			vd.OK = true
		case x.Detail != nil:
			if v, err := x.Detail.Eval(vars); err == nil {
				vd.Detail = formatValue(v)
			} else {
				vd.Detail = "cannot evaluate detail: " + err.Error()
			}
			if x.DetailJA != nil {
				if v, err := x.DetailJA.Eval(vars); err == nil {
					vd.DetailJA = formatValue(v)
				} else {
					vd.DetailJA = "詳細を評価できません: " + err.Error()
				}
			}
		}
		if !vd.OK && sr.Status == StepPassed {
			sr.Status = StepFailed
		}
		sr.Expectations = append(sr.Expectations, vd)
	}
	return sr
}

// capText keeps the head and tail of a long output.
func capText(s string) string {
	if len(s) <= maxKeptOutput {
		return s
	}
	return strings.ToValidUTF8(s[:maxKeptOutput/2]+"\n...\n"+s[len(s)-maxKeptOutput/2:], "")
}

// parseOutput applies a step's parser to its standard output.
func parseOutput(kind, stdout string) (any, error) {
	switch kind {
	case ParseNone, "":
		return nil, nil
	case ParseLines:
		out := []any{}
		for _, l := range strings.Split(stdout, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				out = append(out, l)
			}
		}
		return out, nil
	case ParseJSON:
		s := strings.TrimSpace(strings.TrimPrefix(stdout, "\ufeff"))
		if s == "" {
			return nil, nil // ConvertTo-Json of nothing prints nothing
		}
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, err
		}
		return v, nil
	}
	return winout.Parse(kind, stdout)
}

// summarize says in both languages how a run ended; "not verified" only
// for runbooks that have verify steps (a diagnosis has nothing to verify).
func summarize(res *Result, verifies bool) Text {
	counts := map[StepStatus]int{}
	for _, s := range res.Steps {
		counts[s.Status]++
	}
	statusJA := map[RunStatus]string{RunSucceeded: "成功", RunFailed: "失敗", RunRefused: "拒否", RunCancelled: "キャンセル"}[res.Status]
	en := fmt.Sprintf("%s on %s: %s", res.Runbook, res.Target, res.Status)
	ja := fmt.Sprintf("%s（%s）: %s", res.Runbook, res.Target, statusJA)
	switch {
	case res.Verified:
		en += ", verified"
		ja += "、検証済み"
	case res.Status == RunSucceeded && verifies:
		en += ", not verified"
		ja += "、未検証"
	}
	en += fmt.Sprintf(" (%d passed, %d failed, %d skipped, %d refused, %d errors)",
		counts[StepPassed], counts[StepFailed], counts[StepSkipped], counts[StepRefused], counts[StepError])
	ja += fmt.Sprintf("（成功 %d、失敗 %d、スキップ %d、拒否 %d、エラー %d）",
		counts[StepPassed], counts[StepFailed], counts[StepSkipped], counts[StepRefused], counts[StepError])
	return Text{EN: en, JA: ja}
}

// explainer is implemented by executor errors that know the usual fix for
// themselves (remote's *Error does, in plain words).
type explainer interface{ Explain() string }

// hint returns the usual fix for err, or "".
func hint(err error) string {
	var x explainer
	if errors.As(err, &x) {
		return x.Explain()
	}
	return ""
}
