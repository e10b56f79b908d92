package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func newRestoreTestCommand(m *Main) *cobra.Command {
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
			var day time.Time
			if date != "" {
				var err error
				if day, err = time.ParseInLocation(time.DateOnly, date, time.Local); err != nil {
					return usageErrorf("--date %q: want YYYY-MM-DD", date)
				}
			}
			svc, err := m.recordService()
			if err != nil {
				return err
			}
			rt, err := svc.RestoreTestDone(cmd.Context(), args[0], day, cliActor())
			if err != nil {
				return serviceError(err)
			}
			fmt.Fprintf(m.Env.stdout, "recorded: restore test on %s on %s (event %d)\n", rt.Server, rt.Date.Format(time.DateOnly), rt.Seq)
			return nil
		},
	}
	done.Flags().StringVar(&date, "date", "", "the day of the test, YYYY-MM-DD (default today)")
	cmd.AddCommand(done)
	return cmd
}
