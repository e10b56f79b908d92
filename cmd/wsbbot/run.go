package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/render"
	"github.com/wsbbot/wsbbot/runbooks"
)

func newRunCommand(m *Main) *cobra.Command {
	var (
		target, langFlag    string
		params              []string
		dryRun, yes, asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "run RUNBOOK --target NAME [--param k=v ...] [--dry-run] [--yes] [--json]",
		Short: "Run a runbook on one server (changes only with --yes)",
		Long: `run validates the parameters, then runs the runbook on the target over WinRM:
preconditions first (a failing one refuses the run), read-only steps, and
changing steps only with --yes; cleanup steps always run; verify steps decide
whether the fix is verified. --dry-run runs only the read-only steps and shows
every changing step exactly as it would be sent, with the plan's hash. --yes
makes that plan and approves exactly it: a change that renders differently
when the run gets there is refused. Everything is recorded in the store
(store.path), with the approved plan's hash and who approved it.

Exit status: 0 when the runbook succeeded (and verified, when it verifies);
1 when it ran and failed; 2 on usage or validation errors; 3 when refused (a
precondition, or a changing step without --yes).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			e := m.Env
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			if _, err := m.config(); err != nil {
				return err
			}
			if target == "" {
				return usageErrorf("--target NAME is required")
			}
			req := oncall.RunRequest{Runbook: args[0], Server: target, Params: map[string]string{}, Actor: cliActor()}
			for _, kv := range params {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErrorf("--param %q: want key=value", kv)
				}
				for prev := range req.Params {
					if strings.EqualFold(prev, k) {
						return usageErrorf("--param %s is given more than once; give each parameter once", k)
					}
				}
				req.Params[k] = v
			}
			ctx := cmd.Context()
			// With broken runbook files the service still takes the
			// request, to reject it with the files' problems, recorded.
			svc, err := m.service()
			if err != nil {
				return err
			}
			progress := render.Progress{W: e.stderr, Lang: lang}
			var res *runbooks.Result
			switch {
			case dryRun:
				plan, err := svc.Plan(ctx, req)
				if err != nil {
					return serviceError(err)
				}
				if asJSON {
					return writeJSON(e.stdout, struct {
						*runbooks.Plan
						Hash string `json:"hash"`
					}{plan, plan.Hash()})
				}
				render.Plan(e.stdout, plan, lang)
				if plan.Refused {
					return silentExit(exitRefused)
				}
				return nil
			case yes:
				plan, err := svc.Plan(ctx, req)
				if err != nil {
					return serviceError(err)
				}
				approval := oncall.Approval{By: []string{req.Actor}, PlanHash: plan.Hash(), How: "--yes on the command line"}
				res, err = svc.Apply(ctx, plan, approval, progress)
				if res == nil {
					return serviceError(err)
				}
			default:
				res, err = svc.Run(ctx, req, progress)
				if res == nil {
					return serviceError(err)
				}
			}
			if asJSON {
				if err := writeJSON(e.stdout, res); err != nil {
					return err
				}
			} else {
				render.Result(e.stdout, res, lang)
			}
			switch {
			case res.Status == runbooks.RunRefused:
				return silentExit(exitRefused)
			case res.Status != runbooks.RunSucceeded:
				return silentExit(exitFailed)
			}
			if rb, ok := m.set.Runbook(res.Runbook); ok && len(rb.Verify) > 0 && !res.Verified {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "target `NAME` from the inventory")
	f.StringArrayVar(&params, "param", nil, "runbook parameter `key=value` (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "run only read-only steps; show the changes that would be sent")
	f.BoolVar(&yes, "yes", false, "make the plan and approve it: its changing steps may run")
	f.BoolVar(&asJSON, "json", false, "print the result (or plan) as JSON")
	f.StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}
