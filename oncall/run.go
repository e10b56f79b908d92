package oncall

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/runbooks"
)

// RunRequest asks for a runbook on a server. Actor names who asked, for
// the record ("cli:alice", "console:alice", a chat user id).
type RunRequest struct {
	Runbook string
	Server  string
	Params  map[string]string
	Actor   string
}

// Approval allows the changing steps of one plan. It is bound to the plan
// by PlanHash: Apply refuses it for any other plan.
type Approval struct {
	// By names who approved, for the record; at least one.
	By []string
	// PlanHash is the Hash of the plan the approvers were shown.
	PlanHash string
	// How says how the approval was given ("--yes on the command line",
	// "confirmed in the console"), for the record.
	How string
	// RequestedBy names who asked for the run (the record's actor); ""
	// means the first approver.
	RequestedBy string
	// Request is the id of the approval request the run was approved in
	// ("" when approved otherwise): recorded with the run, so that an
	// interruption can be reported where it was requested.
	Request string
}

// bind resolves a request to its runbook, server and validated parameters.
// A request turned down here is recorded as refused, with the reason.
func (s *Service) bind(ctx context.Context, req RunRequest) (*runbooks.Runbook, Server, runbooks.Params, error) {
	reject := func(ue *UserError) (*runbooks.Runbook, Server, runbooks.Params, error) {
		r := &recorder{st: s.st, actor: req.Actor, planHash: hashRejected}
		if _, err := r.refused(ctx, req.Runbook, req.Server, req.Params, ue); err != nil {
			return nil, Server{}, runbooks.Params{}, errors.Join(ue, err)
		}
		s.lg.Info("run request rejected", "runbook", req.Runbook, "target", req.Server, "actor", req.Actor, "reason", ue.Error())
		return nil, Server{}, runbooks.Params{}, ue
	}
	if s.set == nil {
		return reject(userErr(Invalid, "the runbook files do not load", "ランブックのファイルを読み込めません", s.setErr))
	}
	rb, ok := s.set.Runbook(req.Runbook)
	if !ok {
		return reject(userErr(Invalid,
			fmt.Sprintf("no runbook %q (see `wsbbot runbooks` for the loaded set)", req.Runbook),
			fmt.Sprintf("ランブック %q はありません (`wsbbot runbooks` で一覧を確認できます)", req.Runbook), nil))
	}
	srv, ok := s.inv.Server(req.Server)
	if !ok {
		return reject(userErr(Invalid,
			fmt.Sprintf("no target %q in the inventory", req.Server),
			fmt.Sprintf("インベントリにサーバー %q はありません", req.Server), nil))
	}
	params, err := rb.Bind(req.Params, s.inv.has)
	if err != nil {
		// The problems name the user's own parameters and the rules they
		// broke: they are safe to show.
		return reject(userErr(Invalid, err.Error(), "パラメーターが不正です: "+err.Error(), nil))
	}
	return rb, srv, params, nil
}

// Plan makes the dry run of a request: the preconditions and read-only
// steps run, every changing step is rendered exactly as it would be sent,
// and the plan's Hash is what an Approval binds to. A request naming an
// unknown runbook or server, or with parameters that break their rules, is
// recorded as refused and returned as a UserError (Invalid). The dry run
// itself changes nothing and is not recorded; the run that applies it is.
func (s *Service) Plan(ctx context.Context, req RunRequest) (*runbooks.Plan, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	rb, srv, params, err := s.bind(ctx, req)
	if err != nil {
		return nil, err
	}
	plan, err := runbooks.NewEngine(s.exec, nil, nil, s.lg).DryRun(ctx, rb, srv.Name, params)
	if err != nil {
		return nil, userErr(Failed,
			fmt.Sprintf("the dry run of %s on %s failed: %v", rb.ID, srv.Name, err),
			fmt.Sprintf("%s の %s でのドライランに失敗しました: %v", srv.Name, rb.ID, err), err)
	}
	return plan, nil
}

// Apply runs exactly the plan that was approved: the engine runs the
// runbook again (preconditions are checked anew) through
// runbooks.ApprovedPlanGate, so only the changing steps the plan showed,
// rendered identically, may run; a step that renders differently now
// (other writers found, another parameter) is refused. An approval whose
// PlanHash is not the plan's Hash, or with nobody in By, is refused before
// anything runs. Either way the run is recorded with the plan's hash, the
// approvers and how they approved.
func (s *Service) Apply(ctx context.Context, plan *runbooks.Plan, a Approval, obs runbooks.Observer) (*runbooks.Result, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	if plan == nil {
		return nil, errors.New("apply: no plan")
	}
	hash := plan.Hash()
	actor := a.RequestedBy
	if actor == "" && len(a.By) > 0 {
		actor = a.By[0]
	}
	rec := &recorder{st: s.st, actor: actor, planHash: hash, approvers: slices.Clone(a.By), how: a.How, request: a.Request}
	refuse := func(ue *UserError) (*runbooks.Result, error) {
		if _, err := rec.refused(ctx, plan.Runbook, plan.Target, stringParams(plan.Params), ue); err != nil {
			return nil, errors.Join(ue, err)
		}
		s.lg.Warn("apply refused", "runbook", plan.Runbook, "target", plan.Target, "plan", hash, "reason", ue.Error())
		return nil, ue
	}
	switch {
	case a.PlanHash != hash:
		return refuse(userErr(Refused,
			fmt.Sprintf("the approval is for plan %s, not for this plan (%s): nothing ran", short(a.PlanHash), short(hash)),
			fmt.Sprintf("承認は計画 %s に対するもので、この計画 (%s) のものではありません。何も実行していません", short(a.PlanHash), short(hash)), nil))
	case len(a.By) == 0:
		return refuse(userErr(Refused, "nobody approved the plan: nothing ran", "誰も計画を承認していません。何も実行していません", nil))
	}
	rb, ok := s.set.Runbook(plan.Runbook)
	if !ok || rb.Version != plan.Version {
		return refuse(userErr(Refused,
			fmt.Sprintf("runbook %s v%d is no longer loaded: plan again", plan.Runbook, plan.Version),
			fmt.Sprintf("ランブック %s v%d は読み込まれていません。計画し直してください", plan.Runbook, plan.Version), nil))
	}
	if !s.inv.has(plan.Target) {
		return refuse(userErr(Refused,
			fmt.Sprintf("%s is no longer in the inventory", plan.Target),
			fmt.Sprintf("%s はインベントリにありません", plan.Target), nil))
	}
	params, err := rebind(rb, plan, s.inv.has)
	if err != nil {
		return refuse(userErr(Refused, "the plan's parameters no longer bind: plan again", "計画のパラメーターが現在のランブックに合いません。計画し直してください", err))
	}
	s.lg.Info("apply approved plan", "runbook", plan.Runbook, "target", plan.Target, "plan", hash, "approvers", strings.Join(a.By, ","))
	return runbooks.NewEngine(s.exec, runbooks.ApprovedPlanGate(plan), rec, s.lg, runbooks.WithChangeLock(s.lock)).Run(ctx, rb, plan.Target, params, obs)
}

// rebind binds the parameters the plan was made from again and checks
// that they come out the same.
func rebind(rb *runbooks.Runbook, plan *runbooks.Plan, servers func(string) bool) (runbooks.Params, error) {
	params, err := rb.Bind(plan.Given, servers)
	if err != nil {
		return runbooks.Params{}, err
	}
	if got, want := stringParams(params.Map()), stringParams(plan.Params); !maps.Equal(got, want) {
		return runbooks.Params{}, fmt.Errorf("parameters bind to %v, the plan has %v", got, want)
	}
	return params, nil
}

// short abbreviates a plan hash for messages.
func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return `""`
	}
	return h
}

// Run runs a request without any approval: the read-only steps run and
// the first changing step is refused, so the run ends refused with nothing
// changed. Diagnostics run this way, and so does the CLI's run without
// --yes. Rejected requests are recorded, as for Plan; the run is recorded
// step by step. What happened on the server (an unreachable host, a
// failing expectation) is in the Result, not the error.
func (s *Service) Run(ctx context.Context, req RunRequest, obs runbooks.Observer) (*runbooks.Result, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	rb, srv, params, err := s.bind(ctx, req)
	if err != nil {
		return nil, err
	}
	rec := &recorder{st: s.st, actor: req.Actor, planHash: hashNoChanges}
	return runbooks.NewEngine(s.exec, nil, rec, s.lg).Run(ctx, rb, srv.Name, params, obs)
}

// DiagnoseRequest asks for the diagnostics of a server, for a code or not.
type DiagnoseRequest struct {
	Server string
	// Code is an error code in any form hresult reads ("0x800423F4",
	// "800423f4", "2155348249"); "" for none.
	Code  string
	Actor string
}

// Diagnosis is what Diagnose ran and found.
type Diagnosis struct {
	Server string
	// Code is the canonical code diagnosed ("" for none).
	Code string
	// Runbooks are the diagnostic runbooks run, in order; Results holds
	// one result each, in the same order.
	Runbooks []string
	Results  []*runbooks.Result
	// Missing are runbooks the catalogue names that the loaded set does not
	// hold, or that are not read-only diagnostics; they were not run.
	Missing []string
}

// Diagnose runs read-only runbooks on a server and records each run. With
// a code, they are the runbooks its catalogue entry names under
// runbooks.diagnose (for a code the catalogue does not know, those the
// catalogue names for most codes of its family: see runbooks.Explain).
// With no code, they are every runbook of category diagnose in the loaded
// set, by id. Only runbooks of category diagnose run, so nothing changes.
func (s *Service) Diagnose(ctx context.Context, req DiagnoseRequest, obs runbooks.Observer) (*Diagnosis, error) {
	if err := s.ready(true); err != nil {
		return nil, err
	}
	srv, ok := s.inv.Server(req.Server)
	if !ok {
		return nil, userErr(Invalid,
			fmt.Sprintf("no target %q in the inventory", req.Server),
			fmt.Sprintf("インベントリにサーバー %q はありません", req.Server), nil)
	}
	d := &Diagnosis{Server: srv.Name}
	var ids []string
	if strings.TrimSpace(req.Code) != "" {
		code, err := hresult.Parse(req.Code)
		if err != nil {
			return nil, userErr(Invalid,
				fmt.Sprintf("%q is not an error code", req.Code),
				fmt.Sprintf("%q はエラー コードではありません", req.Code), err)
		}
		d.Code = code.String()
		ids = s.catalogue().Explain(code, runbooks.LangEN).Runbooks.Diagnose
	} else {
		for _, rb := range s.set.Runbooks() {
			if rb.Category == runbooks.CategoryDiagnose {
				ids = append(ids, rb.ID)
			}
		}
	}
	for _, id := range ids {
		if rb, ok := s.set.Runbook(id); !ok || rb.Category != runbooks.CategoryDiagnose {
			d.Missing = append(d.Missing, id)
			continue
		}
		if err := ctx.Err(); err != nil {
			return d, fmt.Errorf("diagnose %s: %w", srv.Name, err)
		}
		res, err := s.Run(ctx, RunRequest{Runbook: id, Server: srv.Name, Actor: req.Actor}, obs)
		if err != nil {
			return d, fmt.Errorf("diagnose %s with %s: %w", srv.Name, id, err)
		}
		d.Runbooks = append(d.Runbooks, id)
		d.Results = append(d.Results, res)
	}
	return d, nil
}
