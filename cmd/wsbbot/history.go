package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/render"
)

func newHistoryCommand(m *Main) *cobra.Command {
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
			svc, err := m.recordService()
			if err != nil {
				return err
			}
			runs, err := svc.History(cmd.Context(), target, limit)
			if err != nil {
				return serviceError(err)
			}
			if asJSON {
				return writeJSON(m.Env.stdout, runs)
			}
			return render.History(m.Env.stdout, runs)
		},
	}
	cmd.Flags().StringVar(&target, "target", "", "only runs on target `NAME`")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many runs (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newExportCommand(m), &cobra.Command{
		Use:   "verify",
		Short: "Recompute the record's hash chain and report the first broken event",
		Long: `verify walks every recorded event, recomputes its hash and its link to the
previous one, and reports the first event that was changed, removed or
reordered. Exit status 1 when the chain is broken. (A chain rewritten in
full is only detected against a head hash kept elsewhere: the report prints
the head hash to keep.)`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, err := m.recordService()
			if err != nil {
				return err
			}
			rep, err := svc.Verify(cmd.Context())
			if err != nil {
				return serviceError(err)
			}
			fmt.Fprintln(m.Env.stdout, rep.String())
			if !rep.OK {
				return silentExit(exitFailed)
			}
			return nil
		},
	})
	return cmd
}

// newExportCommand is `history export --run ID`: a run's timeline for a
// postmortem, as Markdown (default) or JSON.
func newExportCommand(m *Main) *cobra.Command {
	var (
		runID  string
		format string
	)
	cmd := &cobra.Command{
		Use:   "export --run ID [--format markdown|json]",
		Short: "Print a run's timeline for a postmortem (Markdown or JSON)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID == "" {
				return usageErrorf("--run ID is required (see `wsbbot history`)")
			}
			if format != "markdown" && format != "json" {
				return usageErrorf("--format %q: want markdown or json", format)
			}
			svc, err := m.recordService()
			if err != nil {
				return err
			}
			tl, err := svc.Timeline(cmd.Context(), runID)
			if err != nil {
				return serviceError(err)
			}
			if format == "json" {
				return writeJSON(m.Env.stdout, tl)
			}
			render.Timeline(m.Env.stdout, tl)
			return nil
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "run `ID`")
	cmd.Flags().StringVar(&format, "format", "markdown", "markdown or json")
	return cmd
}
