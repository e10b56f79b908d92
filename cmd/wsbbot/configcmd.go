package main

import (
	"github.com/spf13/cobra"
)

func newConfigCommand(m *Main) *cobra.Command {
	e := m.Env
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Inspect the configuration",
		Args:  usageArgs(cobra.NoArgs),
		RunE:  func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Load and validate the configuration, then print it with secrets redacted",
		Long: `check loads --config FILE and the WSBBOT_* environment, reports every problem at
once (exit 2), and otherwise prints the effective configuration as YAML with
every secret shown as [redacted].`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := m.config()
			if err != nil {
				return err
			}
			out, err := cfg.Redacted()
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(out)
			return err
		},
	})
	return cmd
}
