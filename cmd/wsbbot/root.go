package main

import (
	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/config"
)

// globals are the flags every subcommand shares.
type globals struct {
	configFile string
}

// loadConfig reads the configuration named by --config (or WSBBOT_CONFIG)
// together with the WSBBOT_* environment. Problems are usage errors (exit 2).
func (g *globals) loadConfig(e env) (config.Config, error) {
	file := g.configFile
	if file == "" {
		file, _ = e.lookup("WSBBOT_CONFIG")
	}
	cfg, err := config.Load(file, e.vars)
	if err != nil {
		return cfg, &exitError{code: exitUsage, err: err}
	}
	return cfg, nil
}

func newRootCommand(e env) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "wsbbot",
		Short: "ChatOps for Windows Server Backup on-call work",
		Long: `wsbbot explains Windows Server Backup and VSS error codes, runs read-only
diagnostics and approval-gated fixes on Windows servers over WinRM, and audits
servers against a five-rule backup checklist.`,
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
	root.PersistentFlags().StringVar(&g.configFile, "config", "", "configuration `FILE` (YAML); WSBBOT_* environment variables override it")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err}
	})
	root.AddCommand(
		newLookupCommand(g, e),
		newParseCommand(g, e),
		newValidateCommand(g, e),
		newConfigCommand(g, e),
		newConsoleCommand(g, e),
		newExecCommand(g, e),
		newLabCommand(g, e),
		newRunCommand(g, e),
		newHistoryCommand(g, e),
		newRestoreTestCommand(g, e),
		newAuditCommand(g, e),
		newRunbooksCommand(g, e),
		newGuideCommand(g, e),
	)
	return root
}

// exactArgs, minArgs and rangeArgs wrap cobra's validators so that a wrong
// argument count is a usage error (exit 2) with a clear message.
func usageArgs(v cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := v(cmd, args); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
		return nil
	}
}
