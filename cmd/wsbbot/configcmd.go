package main

import (
	"fmt"

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
every secret shown as [redacted]. Settings that load but weaken security
(basic over http, insecure_skip_verify, a password_file other users can
read) are listed on stderr as warnings; they do not change the exit status.`,
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
			if _, err = e.stdout.Write(out); err != nil {
				return err
			}
			for _, w := range cfg.SecurityWarnings(nil) {
				fmt.Fprintln(e.stderr, "wsbbot: warning:", w)
			}
			return nil
		},
	})
	return cmd
}
