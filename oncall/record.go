package oncall

import (
	"context"
	"fmt"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Plan-hash texts for runs that were not bound to an approved plan.
const (
	hashRejected  = "none: rejected before planning"
	hashNoChanges = "none: no approval, changes refused"
)

// recorder keeps the engine's runs in the store, as the audit trail: who
// asked (actor), which plan was approved (planHash), by whom and how.
type recorder struct {
	st        store.Store
	actor     string
	planHash  string
	approvers []string
	how       string
	request   string // the approval request's id, if any
	cleanupOf string // the interrupted run this run cleans up, if any
}

var _ runbooks.Recorder = (*recorder)(nil)

func (r *recorder) RunStarted(ctx context.Context, rs runbooks.RunStart) (string, error) {
	id, err := r.st.NewRunID(ctx)
	if err != nil {
		return "", fmt.Errorf("record run start: %w", err)
	}
	ev := store.RunStarted{Runbook: rs.Runbook, Params: stringParams(rs.Params), PlanHash: r.planHash,
		Approvers: r.approvers, Approval: r.how, Request: r.request, CleanupOf: r.cleanupOf, Owner: store.CurrentOwner()}.Event(id, rs.Target, r.actor)
	if _, err := r.st.Append(ctx, ev); err != nil {
		return "", fmt.Errorf("record run start: %w", err)
	}
	return id, nil
}

// StepStarted records a changing step, with the command exactly as it is
// about to be sent: what Leftovers reads after a crash.
func (r *recorder) StepStarted(ctx context.Context, runID string, rs runbooks.RenderedStep) error {
	name := stepName(rs.ID, rs.Iteration)
	ev := store.StepStarted{Step: name, Phase: string(rs.Phase), Mode: string(rs.Mode), Shell: string(rs.Shell),
		Script: rs.Script, Params: rs.Params}.Event(runID, "", r.actor)
	if _, err := r.st.Append(ctx, ev); err != nil {
		return fmt.Errorf("record step %s started: %w", name, err)
	}
	return nil
}

// stepName is how the record names one iteration of a step.
func stepName(id string, iteration int) string {
	if iteration > 0 {
		return fmt.Sprintf("%s#%d", id, iteration)
	}
	return id
}

func (r *recorder) StepFinished(ctx context.Context, runID string, res runbooks.StepResult) error {
	name := stepName(res.ID, res.Iteration)
	out := res.Stdout
	if res.Stderr != "" {
		out += "\n[stderr]\n" + res.Stderr
	}
	ev := store.StepFinished{Step: name, Status: string(res.Status), ExitCode: res.ExitCode,
		DurationMS: res.Duration.Milliseconds(), Output: out}.Event(runID, "", r.actor)
	if _, err := r.st.Append(ctx, ev); err != nil {
		return fmt.Errorf("record step %s: %w", name, err)
	}
	return nil
}

func (r *recorder) RunFinished(ctx context.Context, runID string, res runbooks.Result) error {
	summary := res.Summary.EN
	if res.Error != "" {
		summary += " (" + res.Error + ")"
	}
	ev := store.RunFinished{Status: string(res.Status), Summary: summary}.Event(runID, res.Target, r.actor)
	if _, err := r.st.Append(ctx, ev); err != nil {
		return fmt.Errorf("record run end: %w", err)
	}
	return nil
}

// refused records a request that was turned down before anything ran, as
// a run that started and was refused with the reason, and returns its id.
func (r *recorder) refused(ctx context.Context, runbook, target string, params map[string]string, reason error) (string, error) {
	id, err := r.st.NewRunID(ctx)
	if err != nil {
		return "", fmt.Errorf("record refusal: %w", err)
	}
	if params == nil {
		params = map[string]string{}
	}
	start := store.RunStarted{Runbook: runbook, Params: params, PlanHash: r.planHash,
		Approvers: r.approvers, Approval: r.how}.Event(id, target, r.actor)
	if _, err := r.st.Append(ctx, start); err != nil {
		return "", fmt.Errorf("record refusal: %w", err)
	}
	done := store.RunFinished{Status: store.StatusRefused, Summary: "rejected: " + reason.Error()}.Event(id, target, r.actor)
	if _, err := r.st.Append(ctx, done); err != nil {
		return "", fmt.Errorf("record refusal: %w", err)
	}
	return id, nil
}

// stringParams is how parameters are kept in the record.
func stringParams(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}
