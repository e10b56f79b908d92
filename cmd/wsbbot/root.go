package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand(m *Main) *cobra.Command {
	e := m.Env
	root := &cobra.Command{
		Use:   "wsbbot",
		Short: "ChatOps for Windows Server Backup on-call work",
		Long: `wsbbot explains Windows Server Backup and VSS error codes, runs read-only
diagnostics and approval-gated fixes on Windows servers over WinRM, and audits
servers against a five-rule backup checklist.

` + exitCodesText(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.PersistentFlags().StringVar(&m.configFile, "config", "", "configuration `FILE` (YAML); WSBBOT_* environment variables override it")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(
		newLookupCommand(m),
		newParseCommand(m),
		newValidateCommand(m),
		newConfigCommand(m),
		newConsoleCommand(m),
		newDemoCommand(m),
		newServeCommand(m),
		newExecCommand(m),
		newLabCommand(m),
		newRunCommand(m),
		newHistoryCommand(m),
		newRestoreTestCommand(m),
		newAuditCommand(m),
		newRunbooksCommand(m),
		newGuideCommand(m),
	)
	return root
}

// usageArgs wraps cobra's validators so that a wrong argument count is a
// usage error (exit 2) with a clear message.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return nil
	}
}
