package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// openStore opens the durable record named by the configuration, creating
// its folder. Runs left open by a crash are reported on stderr: they are
// marked interrupted, never re-run.
func openStore(path string, e env) (*store.Bolt, error) {
	if path == "" {
		return nil, errors.New("store: store.path is not set and no state directory is known " +
			"(STATE_DIRECTORY, XDG_STATE_HOME or HOME); set store.path in the configuration or WSBBOT_STORE_PATH")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
	}
	st, err := store.Open(path, store.Options{})
	if err != nil {
		return nil, err
	}
	for _, id := range st.Interrupted() {
		fmt.Fprintf(e.stderr, "wsbbot: run %s was interrupted when wsbbot stopped; it is recorded as interrupted and was not re-run\n", id)
	}
	return st, nil
}

// recorder keeps the engine's runs in the store, as the audit trail.
type recorder struct {
	st    store.Store
	actor string
	// approval says what allowed the run's changes; from the CLI no plan
	// hash is bound (chat approvals will record the approved plan's hash).
	approval string
}

var _ runbooks.Recorder = (*recorder)(nil)

func (r *recorder) RunStarted(ctx context.Context, rs runbooks.RunStart) (string, error) {
	id, err := r.st.NewRunID(ctx)
	if err != nil {
		return "", err
	}
	params := map[string]string{}
	for k, v := range rs.Params {
		params[k] = fmt.Sprint(v)
	}
	ev := store.RunStarted{Runbook: rs.Runbook, Params: params, PlanHash: r.approval}.Event(id, rs.Target, r.actor)
	_, err = r.st.Append(ctx, ev)
	return id, err
}

func (r *recorder) StepFinished(ctx context.Context, runID string, res runbooks.StepResult) error {
	name := res.ID
	if res.Iteration > 0 {
		name = fmt.Sprintf("%s#%d", res.ID, res.Iteration)
	}
	out := res.Stdout
	if res.Stderr != "" {
		out += "\n[stderr]\n" + res.Stderr
	}
	ev := store.StepFinished{Step: name, Status: string(res.Status), ExitCode: res.ExitCode,
		DurationMS: res.Duration.Milliseconds(), Output: out}.Event(runID, "", r.actor)
	_, err := r.st.Append(ctx, ev)
	return err
}

func (r *recorder) RunFinished(ctx context.Context, runID string, res runbooks.Result) error {
	summary := res.Summary.EN
	if res.Error != "" {
		summary += " (" + res.Error + ")"
	}
	ev := store.RunFinished{Status: string(res.Status), Summary: summary}.Event(runID, res.Target, r.actor)
	_, err := r.st.Append(ctx, ev)
	return err
}

// recordRejected records a run request that was turned down before anything
// ran (an unknown runbook or target, a broken runbook file, a parameter that
// breaks its rule) as a run that started and was refused, with the reason.
func recordRejected(ctx context.Context, st store.Store, runbook, target string, params map[string]string, reason error) error {
	id, err := st.NewRunID(ctx)
	if err != nil {
		return err
	}
	actor := cliActor()
	if params == nil {
		params = map[string]string{}
	}
	start := store.RunStarted{Runbook: runbook, Params: params, PlanHash: "none: rejected before planning"}.Event(id, target, actor)
	if _, err := st.Append(ctx, start); err != nil {
		return err
	}
	done := store.RunFinished{Status: store.StatusRefused, Summary: "rejected: " + reason.Error()}.Event(id, target, actor)
	_, err = st.Append(ctx, done)
	return err
}
