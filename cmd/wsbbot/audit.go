package main

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/runbooks"
)

// auditOutput is `wsbbot audit --json`.
type auditOutput struct {
	AuditID  string               `json:"audit_id"`
	Findings []checklists.Finding `json:"findings"`
	Summary  checklists.Summary   `json:"summary"`
}

func newAuditCommand(g *globals, e env) *cobra.Command {
	var (
		checklist, target, group, langFlag string
		all, asJSON                        bool
	)
	cmd := &cobra.Command{
		Use:   "audit [--checklist five-rules] [--target NAME | --group G | --all] [--json]",
		Short: "Audit servers against the five-rule backup checklist",
		Long: `audit collects each server's facts over WinRM (one session, one read-only
command per server, servers in parallel) and checks the guide's five rules:
bmr, separate-disk, 3-2-1, av-exclusion, restore-test. What a server cannot
show is taken from its "declared" block in the configuration; restore tests
also come from "wsbbot restore-test done" records. Every finding is recorded.

With no selector every target of the inventory is audited.
Exit status: 0 when every finding passes, 1 otherwise, 2 on usage errors.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			if checklist != "five-rules" {
				return usageErrorf("--checklist %q: the bundled checklist is five-rules", checklist)
			}
			if n := btoi(target != "") + btoi(group != "") + btoi(all); n > 1 {
				return usageErrorf("give at most one of --target, --group and --all")
			}
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			var targets []config.Target
			switch {
			case target != "":
				t, ok := cfg.Target(target)
				if !ok {
					return usageErrorf("no target %q in the inventory", target)
				}
				targets = []config.Target{t}
			case group != "":
				if targets = cfg.TargetsWithTag(group); len(targets) == 0 {
					return usageErrorf("no target has the tag %q", group)
				}
			default:
				targets = cfg.Targets
			}
			if len(targets) == 0 {
				return usageErrorf("the inventory has no targets (see --config)")
			}
			cl, err := checklists.Bundled()
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			ctx := cmd.Context()
			subjects := make([]checklists.Subject, 0, len(targets))
			for _, t := range targets {
				s := checklists.Subject{Name: t.Name, Declared: checklists.Declarations{
					Copies: t.Declared.Copies, Media: t.Declared.Media, Offsite: t.Declared.Offsite,
					AVProduct: t.Declared.AVProduct, AVExclusions: t.Declared.AVExclusions, RestoreTest: t.Declared.RestoreTest,
				}}
				if d, ok, err := st.LastRestoreTest(ctx, t.Name); err != nil {
					return &exitError{code: exitInternal, err: err}
				} else if ok {
					s.RecordedRestoreTest = d
				}
				subjects = append(subjects, s)
			}
			lg := newLogger(cfg, e)
			exec, err := newExecutor(cfg, e, lg)
			if err != nil {
				return err
			}
			auditID, err := st.NewRunID(ctx)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			actor := cliActor()
			auditor := &checklists.Auditor{Checklist: cl}
			var reports []checklists.Report
			for rep := range auditor.Audit(ctx, exec, subjects, cfg.Remote.Concurrency) {
				reports = append(reports, rep)
				for _, f := range rep.Findings {
					ev, err := store.NewEvent(store.KindAuditFinding, "", f.Target, actor, struct {
						AuditID string `json:"audit_id"`
						checklists.Finding
					}{auditID, f})
					if err == nil {
						_, err = st.Append(ctx, ev)
					}
					if err != nil {
						return &exitError{code: exitInternal, err: fmt.Errorf("record finding: %w", err)}
					}
				}
				if rep.Err != nil {
					fmt.Fprintf(e.stderr, "wsbbot: %s: %v\n", rep.Target, rep.Err)
				}
			}
			order := map[string]int{}
			for i, t := range targets {
				order[t.Name] = i
			}
			sort.Slice(reports, func(i, j int) bool { return order[reports[i].Target] < order[reports[j].Target] })
			sum := checklists.Summarize(reports)
			ev, err := store.NewEvent(store.KindAuditFinished, "", "", actor, struct {
				AuditID   string             `json:"audit_id"`
				Checklist string             `json:"checklist"`
				Summary   checklists.Summary `json:"summary"`
			}{auditID, cl.ID, sum})
			if err == nil {
				_, err = st.Append(ctx, ev)
			}
			if err != nil {
				return &exitError{code: exitInternal, err: fmt.Errorf("record audit: %w", err)}
			}
			findings := []checklists.Finding{}
			for _, r := range reports {
				findings = append(findings, r.Findings...)
			}
			if asJSON {
				if err := writeJSON(e.stdout, auditOutput{AuditID: auditID, Findings: findings, Summary: sum}); err != nil {
					return err
				}
			} else {
				writeMatrix(e, cl, reports, sum, lang, auditID)
			}
			if sum.Total.Fail > 0 || sum.Total.Unknown > 0 {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&checklist, "checklist", "five-rules", "checklist id")
	f.StringVar(&target, "target", "", "audit only target `NAME`")
	f.StringVar(&group, "group", "", "audit the targets with tag `G`")
	f.BoolVar(&all, "all", false, "audit every target (the default)")
	f.BoolVar(&asJSON, "json", false, `print {"findings": [...], "summary": {...}}`)
	f.StringVar(&langFlag, "lang", "", "language of evidence and fixes: en or ja")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeMatrix prints one row per server and one column per rule, then what
// failed or could not be decided, with its evidence and fix.
func writeMatrix(e env, cl *checklists.Checklist, reports []checklists.Report, sum checklists.Summary, lang runbooks.Lang, auditID string) {
	rules := cl.RuleIDs()
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SERVER\t%s\n", strings.Join(rules, "\t"))
	for _, r := range reports {
		cells := make([]string, len(rules))
		for i, id := range rules {
			cells[i] = "-"
			for _, f := range r.Findings {
				if f.Rule == id {
					cells[i] = strings.ToUpper(string(f.Status))
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.Target, strings.Join(cells, "\t"))
	}
	tw.Flush()
	var details []string
	for _, r := range reports {
		for _, f := range r.Findings {
			if f.Status != checklists.Pass {
				details = append(details, fmt.Sprintf("- %s %s %s: %s\n  fix: %s", r.Target, f.Rule, strings.ToUpper(string(f.Status)), f.Evidence.In(lang), f.Fix.In(lang)))
			}
		}
	}
	if len(details) > 0 {
		fmt.Fprintf(e.stdout, "\n%s\n", strings.Join(details, "\n"))
	}
	fmt.Fprintf(e.stdout, "\n%d server(s), %d unreachable; findings: %d pass, %d fail, %d unknown (audit %s, %s)\n",
		sum.Targets, sum.Errors, sum.Total.Pass, sum.Total.Fail, sum.Total.Unknown, auditID, time.Now().Format(time.DateTime))
}
