package main

import (
	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/render"
)

// newRunbooksCommand lists the loaded runbooks; newGuideCommand prints one
// (a guide's text, or any runbook's description and steps).
func newRunbooksCommand(m *Main) *cobra.Command {
	var langFlag string
	cmd := &cobra.Command{
		Use:   "runbooks",
		Short: "List the runbooks and guides (bundled and from runbooks.dirs)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			svc, err := m.knowledge()
			if err != nil {
				return err
			}
			return render.Runbooks(m.Env.stdout, svc.Runbooks(), lang)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}

func newGuideCommand(m *Main) *cobra.Command {
	var langFlag string
	cmd := &cobra.Command{
		Use:   "guide ID",
		Short: "Print a guide (bare-metal recovery, DISM drivers, AD restore, ...) or a runbook's description",
		Long: `guide prints the text of a guide runbook — the procedures that cannot run over
WinRM but must be one message away at 3 a.m.: guide-bmr, guide-dism-driver,
guide-ad-restore, guide-shadow-storage, guide-3-2-1 — or the description and
steps of any other runbook. "bmr", "dism", "ad-restore" ... work as short ids.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			svc, err := m.knowledge()
			if err != nil {
				return err
			}
			rb, err := svc.Guide(args[0])
			if err != nil {
				return serviceError(err)
			}
			render.Guide(m.Env.stdout, rb, lang)
			return nil
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}
