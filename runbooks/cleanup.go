package runbooks

import "slices"

// CleanupOnly returns the runbook reduced to its cleanup steps, for
// cleaning up after a run that was interrupted before its own cleanup ran.
// Each step loses its when: condition, its with: bindings and its foreach,
// which read the interrupted run's step results that are gone: its
// parameters are bound directly (Bind) to the values the interrupted run's
// steps were sent with, and every cleanup step is rendered and sent once.
// Expectations and reports stay, so a check step still judges.
func (rb *Runbook) CleanupOnly() *Runbook {
	out := *rb
	out.Preconditions, out.Steps, out.Verify = nil, nil, nil
	out.Cleanup = slices.Clone(rb.Cleanup)
	for i := range out.Cleanup {
		st := &out.Cleanup[i]
		st.When, st.With, st.Foreach = nil, nil, nil
		st.whenReads, st.dataReads = nil, nil
	}
	return &out
}

// RenderAll renders every step of the runbook, in phase order, exactly as
// it would be sent with params, without running anything. It is meant for
// a runbook whose steps read no other step's outcome (CleanupOnly's):
// when: and foreach are not evaluated, with: is not applied.
func (rb *Runbook) RenderAll(params Params) ([]RenderedStep, error) {
	var out []RenderedStep
	for _, sec := range rb.phases() {
		for i := range sec {
			rs, err := render(&sec[i], 0, params)
			if err != nil {
				return nil, err
			}
			out = append(out, rs)
		}
	}
	return out, nil
}
