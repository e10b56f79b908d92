package runbooks

import (
	"context"
	"errors"
	"fmt"
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
