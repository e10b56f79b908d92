package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/store"
)

func newHistoryCommand(g *globals, e env) *cobra.Command {
	var (
		target string
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "history [--target NAME] [--json]",
		Short: "List recorded runs, newest first; `history verify` checks the record's hash chain",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			runs, err := st.Runs(cmd.Context(), store.RunFilter{Target: target, Limit: limit})
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if runs == nil {
				runs = []store.RunSummary{}
			}
			if asJSON {
				return writeJSON(e.stdout, runs)
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tSTARTED\tTARGET\tRUNBOOK\tSTATUS\tSTEPS\tBY\tSUMMARY")
			for _, r := range runs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"),
					r.Target, r.Runbook, r.Status, r.Steps, r.Actor, r.Summary)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only runs on target `NAME`")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many runs (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newExportCommand(g, e), &cobra.Command{
		Use:   "verify",
		Short: "Recompute the record's hash chain and report the first broken event",
		Long: `verify walks every recorded event, recomputes its hash and its link to the
previous one, and reports the first event that was changed, removed or
reordered. Exit status 1 when the chain is broken. (A chain rewritten in
full is only detected against a head hash kept elsewhere: the report prints
the head hash to keep.)`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			rep, err := st.Verify(cmd.Context())
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			fmt.Fprintln(e.stdout, rep.String())
			if !rep.OK {
				return silentExit(exitFailed)
			}
			return nil
		},
	})
	return cmd
}
