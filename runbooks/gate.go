package runbooks

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// GateFunc adapts a function to a Gate.
type GateFunc func(ctx context.Context, p *Plan, step RenderedStep) (bool, error)

// Allow calls f.
func (f GateFunc) Allow(ctx context.Context, p *Plan, step RenderedStep) (bool, error) {
	return f(ctx, p, step)
}

// sameStep reports whether two renderings send the same thing.
func sameStep(a, b RenderedStep) bool {
	return a.Phase == b.Phase && a.ID == b.ID && a.Iteration == b.Iteration && a.Mode == b.Mode &&
		a.Shell == b.Shell && a.Script == b.Script && a.Params == b.Params && a.Timeout == b.Timeout
}

// Includes reports whether the plan holds step exactly as rendered (phase,
// id, iteration, mode, shell, script, parameters and timeout): an approval
// of the plan covers the step.
func (p *Plan) Includes(step RenderedStep) bool {
	for _, s := range p.Steps {
		if !s.Skipped && sameStep(s, step) {
			return true
		}
	}
	return false
}

// ApprovedPlanGate allows exactly the changing steps an approved plan
// showed, on its target, for its runbook and version: a step rendered
// differently at run time (other parameters, other writers found) is
// refused. Steps the plan showed as undecided templates are refused too.
func ApprovedPlanGate(approved *Plan) Gate {
	return GateFunc(func(ctx context.Context, p *Plan, step RenderedStep) (bool, error) {
		switch {
		case approved == nil:
			return false, errors.New("no approved plan")
		case p.Runbook != approved.Runbook || p.Version != approved.Version || p.Target != approved.Target:
			return false, fmt.Errorf("the approval is for %s v%d on %s", approved.Runbook, approved.Version, approved.Target)
		}
		return approved.Includes(step), nil
	})
}

// TargetResult is one target's outcome of a FanOut.
type TargetResult struct {
	Target string
	Result *Result
	Err    error
}

// FanOut runs a read-only runbook on many targets, at most limit at a
// time, and sends each target's result on the returned channel as it
// finishes; the channel is closed when all are done. A runbook with a
// changing step is refused: changes go through Run and its gate, one
// target at a time.
func (e *Engine) FanOut(ctx context.Context, rb *Runbook, targets []string, params Params, limit int) (<-chan TargetResult, error) {
	if rb == nil {
		return nil, errors.New("fan out: no runbook")
	}
	for _, sec := range rb.phases() {
		for _, st := range sec {
			if st.Mode != ModeReadOnly {
				return nil, fmt.Errorf("fan out %s: step %q changes the server; only read-only runbooks fan out", rb.ID, st.ID)
			}
		}
	}
	if limit < 1 {
		limit = 1
	}
	out := make(chan TargetResult, len(targets))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, t := range targets {
		wg.Go(func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out <- TargetResult{Target: t, Err: fmt.Errorf("fan out %s on %s: %w", rb.ID, t, ctx.Err())}
				return
			}
			defer func() { <-sem }()
			res, err := e.Run(ctx, rb, t, params, nil)
			out <- TargetResult{Target: t, Result: res, Err: err}
		})
	}
	go func() {
		wg.Wait()
		close(out)
	}()
	return out, nil
}
