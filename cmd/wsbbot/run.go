package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os/user"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/runbooks"
)

func newRunCommand(g *globals, e env) *cobra.Command {
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
every changing step exactly as it would be sent, with the plan's hash.
Everything is recorded in the store (store.path).

Exit status: 0 when the runbook succeeded (and verified, when it verifies);
1 when it ran and failed; 2 on usage or validation errors; 3 when refused (a
precondition, or a changing step without --yes).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			if target == "" {
				return usageErrorf("--target NAME is required")
			}
			raw := map[string]string{}
			for _, kv := range params {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || k == "" {
					return usageErrorf("--param %q: want key=value", kv)
				}
				raw[k] = v
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			// From here on, a request that is turned down is recorded too:
			// nothing anyone asked for goes unrecorded.
			reject := func(err error) error {
				if rerr := recordRejected(cmd.Context(), st, args[0], target, raw, err); rerr != nil {
					fmt.Fprintln(e.stderr, "wsbbot: could not record the rejected request:", rerr)
				}
				return &exitError{code: exitUsage, err: err}
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return reject(err)
			}
			rb, ok := set.Runbook(args[0])
			if !ok {
				return reject(fmt.Errorf("no runbook %q (see `wsbbot validate` for the loaded set)", args[0]))
			}
			if _, ok := cfg.Target(target); !ok {
				return reject(fmt.Errorf("no target %q in the inventory", target))
			}
			bound, err := rb.Bind(raw, func(name string) bool { _, ok := cfg.Target(name); return ok })
			if err != nil {
				return reject(err)
			}
			lg := newLogger(cfg, e)
			exec, err := newExecutor(cfg, e, lg)
			if err != nil {
				return err
			}
			gate := runbooks.GateFunc(func(context.Context, *runbooks.Plan, runbooks.RenderedStep) (bool, error) { return yes, nil })
			approval := "none: changes not allowed (no --yes)"
			if yes {
				approval = "none: changes allowed by --yes on the command line"
			}
			lock, err := newChangeLock(cfg, cliActor())
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			eng := runbooks.NewEngine(exec, gate, &recorder{st: st, actor: cliActor(), approval: approval}, lg, runbooks.WithChangeLock(lock))
			ctx := cmd.Context()
			if dryRun {
				plan, err := eng.DryRun(ctx, rb, target, bound)
				if err != nil {
					return &exitError{code: exitFailed, err: err}
				}
				if asJSON {
					return writeJSON(e.stdout, struct {
						*runbooks.Plan
						Hash string `json:"hash"`
					}{plan, plan.Hash()})
				}
				writePlan(e.stdout, plan, lang)
				if plan.Refused {
					return silentExit(exitRefused)
				}
				return nil
			}
			res, err := eng.Run(ctx, rb, target, bound, progress{w: e.stderr, lang: lang})
			if res == nil {
				return &exitError{code: exitFailed, err: err}
			}
			if asJSON {
				if err := writeJSON(e.stdout, res); err != nil {
					return err
				}
			} else {
				writeResult(e.stdout, res, lang)
			}
			if err != nil {
				fmt.Fprintln(e.stderr, "wsbbot:", err)
			}
			switch {
			case res.Status == runbooks.RunRefused:
				return silentExit(exitRefused)
			case res.Status != runbooks.RunSucceeded:
				return silentExit(exitFailed)
			case hasVerify(rb) && !res.Verified:
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "target `NAME` from the inventory")
	f.StringArrayVar(&params, "param", nil, "runbook parameter `key=value` (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "run only read-only steps; show the changes that would be sent")
	f.BoolVar(&yes, "yes", false, "allow the runbook's changing steps")
	f.BoolVar(&asJSON, "json", false, "print the result (or plan) as JSON")
	f.StringVar(&langFlag, "lang", "", "language of titles and messages: en or ja")
	return cmd
}

func hasVerify(rb *runbooks.Runbook) bool { return len(rb.Verify) > 0 }

// cliActor names who asked, for the record.
func cliActor() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}

// progress prints each step as it starts and ends (diagnostics: stderr).
type progress struct {
	w    io.Writer
	lang runbooks.Lang
}

func (p progress) StepStarted(_ context.Context, s runbooks.RenderedStep) {
	fmt.Fprintf(p.w, "… %s %s\n", stepName(s.ID, s.Iteration), s.Title.In(p.lang))
}

func (p progress) StepFinished(_ context.Context, r runbooks.StepResult) {
	fmt.Fprintf(p.w, "%s %s (exit %d, %s)\n", statusMark(r.Status), stepName(r.ID, r.Iteration), r.ExitCode, r.Duration.Round(1e6))
}

func stepName(id string, it int) string {
	if it > 0 {
		return fmt.Sprintf("%s#%d", id, it)
	}
	return id
}

func statusMark(s runbooks.StepStatus) string {
	switch s {
	case runbooks.StepPassed:
		return "✓"
	case runbooks.StepSkipped:
		return "-"
	case runbooks.StepRefused:
		return "⊘"
	}
	return "✗"
}

// writePlan prints a dry run: what the read-only steps found, then every
// step as it would be sent.
func writePlan(w io.Writer, p *runbooks.Plan, lang runbooks.Lang) {
	fmt.Fprintf(w, "Plan %s v%d on %s — %s\nhash %s\n", p.Runbook, p.Version, p.Target, p.Title.In(lang), p.Hash())
	if p.Refused {
		fmt.Fprintln(w, "REFUSED: a precondition failed; a run now would change nothing.")
	}
	if len(p.Findings) > 0 {
		fmt.Fprintln(w, "\nFound by the read-only steps:")
		for _, f := range p.Findings {
			writeStepResult(w, f, lang)
		}
	}
	fmt.Fprintln(w, "\nSteps:")
	for _, s := range p.Steps {
		state := ""
		switch {
		case s.Skipped:
			state = " (skipped: condition false)"
		case s.Conditional:
			state = " (decided during the run)"
		}
		fmt.Fprintf(w, "  [%s] %s %s %s%s\n", s.Phase, s.Mode, stepName(s.ID, s.Iteration), s.Title.In(lang), state)
		if d := s.Description.In(lang); d != "" && s.Mode == runbooks.ModeChange {
			fmt.Fprintf(w, "      note: %s\n", indent(d, "        "))
		}
		fmt.Fprintf(w, "      %s> %s\n", s.Shell, indent(s.Script, "        "))
		if s.Params != "" && s.Params != "{}" {
			fmt.Fprintf(w, "      $P = %s\n", s.Params)
		}
	}
}

// writeResult prints a run's outcome, one line per step with its verdicts.
func writeResult(w io.Writer, r *runbooks.Result, lang runbooks.Lang) {
	fmt.Fprintf(w, "Run %s: %s v%d on %s — %s", r.RunID, r.Runbook, r.Version, r.Target, r.Status)
	if r.Verified {
		fmt.Fprint(w, ", verified")
	}
	fmt.Fprintln(w)
	for _, s := range r.Steps {
		writeStepResult(w, s, lang)
	}
	if t := r.Summary.In(lang); t != "" {
		fmt.Fprintln(w, t)
	}
	if r.Error != "" {
		fmt.Fprintln(w, "error:", r.Error)
	}
	if r.Hint != "" {
		fmt.Fprintln(w, "what to do:", r.Hint)
	}
}

func writeStepResult(w io.Writer, s runbooks.StepResult, lang runbooks.Lang) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\texit %d\t%s\n", statusMark(s.Status), stepName(s.ID, s.Iteration), s.Title.In(lang), s.ExitCode, s.Duration.Round(1e6))
	tw.Flush()
	for _, v := range s.Expectations {
		mark := "ok"
		if !v.OK {
			mark = "FAILED"
		}
		line := fmt.Sprintf("      %s: %s", mark, v.Message.In(lang))
		if v.Detail != "" {
			line += " — " + v.Detail
		}
		fmt.Fprintln(w, line)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Report)) {
		fmt.Fprintf(w, "      %s: %v\n", k, s.Report[k])
	}
	if s.Error != "" {
		fmt.Fprintf(w, "      error: %s\n", s.Error)
	}
	if s.Hint != "" {
		fmt.Fprintf(w, "      what to do: %s\n", s.Hint)
	}
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}
