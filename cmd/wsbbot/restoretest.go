package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/store"
)

func newRestoreTestCommand(g *globals, e env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restore-test",
		Short: "Record restore tests (the checklist's fifth rule)",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	var date string
	done := &cobra.Command{
		Use:   "done NAME [--date YYYY-MM-DD]",
		Short: "Record that a restore test was performed on server NAME (default: today)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			t, ok := cfg.Target(args[0])
			if !ok {
				return usageErrorf("no target %q in the inventory", args[0])
			}
			day := time.Now()
			if date != "" {
				if day, err = time.ParseInLocation(time.DateOnly, date, time.Local); err != nil {
					return usageErrorf("--date %q: want YYYY-MM-DD", date)
				}
				if day.After(time.Now()) {
					return usageErrorf("--date %s is in the future", date)
				}
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			ev, err := st.Append(cmd.Context(), store.RestoreTestOn(day).Event(t.Name, cliActor()))
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			fmt.Fprintf(e.stdout, "recorded: restore test on %s on %s (event %d)\n", t.Name, day.Format(time.DateOnly), ev.Seq)
			return nil
		},
	}
	done.Flags().StringVar(&date, "date", "", "the day of the test, YYYY-MM-DD (default today)")
	cmd.AddCommand(done)
	return cmd
}
