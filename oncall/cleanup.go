package oncall

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// SentStep is a changing step of a run as the record has it: started
// (with the command exactly as it was sent) and, unless it was in flight
// when the run stopped, finished with a status.
type SentStep struct {
	Step   string `json:"step"`
	Phase  string `json:"phase"`
	Shell  string `json:"shell"`
	Script string `json:"script"`
	Params string `json:"params,omitempty"` // the $P a PowerShell step read
	Status string `json:"status,omitempty"` // "" while in flight
}

// Leftovers is what an interrupted run may have left on its server: the
// changing steps that were in flight when it stopped (whether they changed
// the server is unknown) or finished, and the runbook's cleanup steps that
// did not pass, rendered with the parameters the run's steps were sent
// with: exactly what Cleanup sends (for usn-journal-cleanup, the removal
// of the temporary drive letter).
type Leftovers struct {
	Run      store.RunSummary `json:"run"`
	InFlight []SentStep       `json:"in_flight"`
	Changed  []SentStep       `json:"changed"`
	// Cleanup is empty when no changing step started: nothing was changed.
	Cleanup []runbooks.RenderedStep `json:"cleanup"`
	// Params are the parameters Cleanup binds its steps to.
	Params map[string]string `json:"params"`
	// Problem says why the cleanup cannot be given although something
	// changed (the runbook is no longer loaded, its parameters no longer
	// bind); "" when it can.
	Problem string `json:"problem,omitempty"`
	// Request is the approval request the run was started from ("" when
	// it was approved otherwise): where its interruption is reported.
	Request string `json:"request,omitempty"`

	rb     *runbooks.Runbook // the cleanup-only runbook
	params runbooks.Params
}

// Nothing reports whether the run had changed nothing: no changing step
// had started.
func (l *Leftovers) Nothing() bool { return len(l.InFlight) == 0 && len(l.Changed) == 0 }

// Leftovers reads from the record what an interrupted run may have left
// on its server (see Leftovers). An unknown run is a UserError (NotFound).
// It contacts no server.
func (s *Service) Leftovers(ctx context.Context, runID string) (*Leftovers, error) {
	tl, err := s.Timeline(ctx, runID)
	if err != nil {
		return nil, err
	}
	l := &Leftovers{Run: tl.Run, InFlight: []SentStep{}, Changed: []SentStep{}, Cleanup: []runbooks.RenderedStep{}, Params: map[string]string{}}
	started := map[string]int{} // step name -> index in sent
	var sent []SentStep
	passed := map[string]bool{}
	for _, e := range tl.Events {
		switch e.Kind {
		case store.KindRunStarted:
			p, err := store.Decode[store.RunStarted](e)
			if err != nil {
				return nil, fmt.Errorf("leftovers of %s: %w", runID, err)
			}
			maps.Copy(l.Params, p.Params)
			l.Request = p.Request
		case store.KindStepStarted:
			p, err := store.Decode[store.StepStarted](e)
			if err != nil {
				return nil, fmt.Errorf("leftovers of %s: %w", runID, err)
			}
			started[p.Step] = len(sent)
			sent = append(sent, SentStep{Step: p.Step, Phase: p.Phase, Shell: p.Shell, Script: p.Script, Params: p.Params})
			if err := overlayParams(l.Params, p.Params); err != nil {
				return nil, fmt.Errorf("leftovers of %s: step %s: %w", runID, p.Step, err)
			}
		case store.KindStepFinished:
			p, err := store.Decode[store.StepFinished](e)
			if err != nil {
				return nil, fmt.Errorf("leftovers of %s: %w", runID, err)
			}
			if i, ok := started[p.Step]; ok {
				sent[i].Status = p.Status
			}
			passed[p.Step] = p.Status == string(runbooks.StepPassed)
		}
	}
	for _, st := range sent {
		if st.Status == "" {
			l.InFlight = append(l.InFlight, st)
		} else {
			l.Changed = append(l.Changed, st)
		}
	}
	if l.Nothing() {
		return l, nil
	}
	var rb *runbooks.Runbook
	if s.set != nil {
		rb, _ = s.set.Runbook(tl.Run.Runbook)
	}
	if rb == nil {
		l.Problem = fmt.Sprintf("runbook %s is not loaded here: its cleanup steps are unknown", tl.Run.Runbook)
		return l, nil
	}
	clean := rb.CleanupOnly()
	clean.Cleanup = slices.DeleteFunc(clean.Cleanup, func(st runbooks.Step) bool { return passed[st.ID] })
	raw := map[string]string{}
	for _, p := range clean.Params {
		if v, ok := l.Params[p.Name]; ok {
			raw[p.Name] = v
		}
	}
	params, err := clean.Bind(raw, s.inv.has)
	if err == nil {
		l.Cleanup, err = clean.RenderAll(params)
	}
	if err != nil {
		l.Cleanup = []runbooks.RenderedStep{}
		l.Problem = fmt.Sprintf("the cleanup of %s cannot be rendered from what the run recorded: %v", rb.ID, err)
		return l, nil
	}
	l.rb, l.params = clean, params
	return l, nil
}

// overlayParams takes the parameter values a step was sent with (its $P
// JSON) into params.
func overlayParams(params map[string]string, js string) error {
	if js == "" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(js)))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	for k, v := range m {
		if v != nil {
			params[k] = fmt.Sprint(v)
		}
	}
	return nil
}

// Command is a rendered step as an operator would type it: the cmd line,
// or the PowerShell script preceded by the $P it reads.
func Command(shell, script, params string) string {
	if shell == string(runbooks.ShellPowerShell) && params != "" {
		return "$P = " + params + "\n" + script
	}
	return script
}

// PlanCleanup makes the dry run of the cleanup Leftovers gives for an
// interrupted run: the plan an approval of the cleanup is bound to. A run
// that is not interrupted, changed nothing, was cleaned up already, or
// whose cleanup cannot be rendered is a UserError.
func (s *Service) PlanCleanup(ctx context.Context, runID string) (*runbooks.Plan, error) {
	plan, _, err := s.planCleanup(ctx, runID)
	return plan, err
}

func (s *Service) planCleanup(ctx context.Context, runID string) (*runbooks.Plan, *Leftovers, error) {
	if err := s.ready(true); err != nil {
		return nil, nil, err
	}
	l, err := s.Leftovers(ctx, runID)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case l.Run.Status != store.StatusInterrupted:
		return nil, nil, userErr(Refused,
			fmt.Sprintf("run %s is %s, not interrupted: only an interrupted run's cleanup is run this way", runID, l.Run.Status),
			fmt.Sprintf("実行 %s は %s で、中断されていません。この方法でクリーンアップできるのは中断された実行だけです", runID, l.Run.Status), nil)
	case l.Nothing():
		return nil, nil, userErr(Failed,
			fmt.Sprintf("run %s had started no changing step: there is nothing to clean up", runID),
			fmt.Sprintf("実行 %s は変更の手順を開始していません。クリーンアップするものはありません", runID), nil)
	case l.rb == nil:
		return nil, nil, userErr(Failed, l.Problem, "クリーンアップを用意できません: "+l.Problem, nil)
	case len(l.Cleanup) == 0:
		return nil, nil, userErr(Failed,
			fmt.Sprintf("runbook %s has no cleanup step left to run for %s", l.rb.ID, runID),
			fmt.Sprintf("ランブック %s には %s のために実行するクリーンアップ手順がありません", l.rb.ID, runID), nil)
	case !s.inv.has(l.Run.Target):
		return nil, nil, userErr(Refused, fmt.Sprintf("%s is no longer in the inventory", l.Run.Target),
			fmt.Sprintf("%s はインベントリにありません", l.Run.Target), nil)
	}
	done, err := s.cleanedUpBy(ctx, l.Run)
	if err != nil {
		return nil, nil, err
	}
	if done != "" {
		return nil, nil, userErr(Refused,
			fmt.Sprintf("run %s was cleaned up already, by run %s: nothing ran", runID, done),
			fmt.Sprintf("実行 %s は実行 %s でクリーンアップ済みです。何も実行していません", runID, done), nil)
	}
	plan, err := runbooks.NewEngine(s.exec, nil, nil, s.lg).DryRun(ctx, l.rb, l.Run.Target, l.params)
	if err != nil {
		return nil, nil, userErr(Failed,
			fmt.Sprintf("the cleanup of %s on %s could not be prepared: %v", runID, l.Run.Target, err),
			fmt.Sprintf("%s の %s のクリーンアップを準備できませんでした: %v", l.Run.Target, runID, err), err)
	}
	// The approval is for the commands Leftovers showed: the plan must
	// render every changing step exactly so.
	for _, ps := range plan.Steps {
		if ps.Mode == runbooks.ModeChange && !slices.ContainsFunc(l.Cleanup, func(c runbooks.RenderedStep) bool {
			return c.ID == ps.ID && c.Shell == ps.Shell && c.Script == ps.Script && c.Params == ps.Params
		}) {
			return nil, nil, userErr(Refused,
				fmt.Sprintf("the cleanup step %s of %s renders differently from what was shown: nothing ran", ps.ID, runID),
				fmt.Sprintf("%s のクリーンアップ手順 %s が表示した内容と異なります。何も実行していません", runID, ps.ID), nil)
		}
	}
	return plan, l, nil
}

// cleanedUpBy returns the id of a succeeded run that cleaned up run (its
// run.started names it in CleanupOf), or "".
func (s *Service) cleanedUpBy(ctx context.Context, run store.RunSummary) (string, error) {
	evs, err := s.st.Events(ctx, store.Filter{Target: run.Target, Kinds: []store.Kind{store.KindRunStarted}, AfterSeq: run.StartSeq})
	if err != nil {
		return "", fmt.Errorf("read the cleanups of %s: %w", run.ID, err)
	}
	for _, e := range evs {
		p, err := store.Decode[store.RunStarted](e)
		if err != nil {
			return "", err
		}
		if p.CleanupOf != run.ID {
			continue
		}
		rs, err := s.st.Runs(ctx, store.RunFilter{ID: e.RunID})
		if err != nil {
			return "", fmt.Errorf("read run %s: %w", e.RunID, err)
		}
		if len(rs) == 1 && rs[0].Status == store.StatusSucceeded {
			return e.RunID, nil
		}
	}
	return "", nil
}

// Cleanup runs the cleanup steps Leftovers gives for an interrupted run,
// approved by a (its PlanHash is not used: the approval is for the
// cleanup Leftovers showed, rendered from the record; see PlanCleanup).
// The cleanup is a run of its own, recorded with the approvers, "cleanup
// of interrupted run ID" and the run it cleans up, under the change lock
// of the server. A run that is not interrupted, changed nothing, was
// cleaned up already, or whose cleanup cannot be rendered is a UserError
// and nothing runs.
func (s *Service) Cleanup(ctx context.Context, runID string, a Approval, obs runbooks.Observer) (*runbooks.Result, error) {
	if len(a.By) == 0 {
		return nil, userErr(Refused, "nobody approved the cleanup: nothing ran", "誰もクリーンアップを承認していません。何も実行していません", nil)
	}
	plan, l, err := s.planCleanup(ctx, runID)
	if err != nil {
		return nil, err
	}
	actor := a.RequestedBy
	if actor == "" {
		actor = a.By[0]
	}
	how := "cleanup of interrupted run " + runID
	if a.How != "" {
		how += ": " + a.How
	}
	rec := &recorder{st: s.st, actor: actor, planHash: plan.Hash(), approvers: slices.Clone(a.By), how: how, request: a.Request, cleanupOf: runID}
	s.lg.Info("cleanup of an interrupted run", "run", runID, "runbook", l.rb.ID, "target", l.Run.Target,
		"steps", strings.Join(stepIDs(l.Cleanup), ","), "approvers", strings.Join(a.By, ","))
	return runbooks.NewEngine(s.exec, runbooks.ApprovedPlanGate(plan), rec, s.lg, runbooks.WithChangeLock(&cleanupLock{s: s, of: l.Run})).
		Run(ctx, l.rb, l.Run.Target, l.params, obs)
}

// cleanupLock is the change lock of a cleanup run: the server's (the
// Service's lock, when it has one), and, once that is held, a second look
// at the record. planCleanup refuses a run cleaned up already, but a
// second cleanup approved while the first is still running (in this
// process or another) passes that check and waits for the server; when
// its turn comes, the first has succeeded, and it must send nothing.
type cleanupLock struct {
	s  *Service
	of store.RunSummary // the interrupted run being cleaned up
}

func (c *cleanupLock) LockChanges(ctx context.Context, target, runID string, rs runbooks.RunStart) (func(), error) {
	unlock := func() {}
	if c.s.lock != nil {
		var err error
		if unlock, err = c.s.lock.LockChanges(ctx, target, runID, rs); err != nil {
			return nil, err
		}
	}
	done, err := c.s.cleanedUpBy(ctx, c.of)
	if err == nil && done != "" {
		err = fmt.Errorf("run %s was cleaned up meanwhile, by run %s: nothing was sent", c.of.ID, done)
	}
	if err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

func stepIDs(steps []runbooks.RenderedStep) []string {
	out := make([]string, len(steps))
	for i, st := range steps {
		out[i] = st.ID
	}
	return out
}
