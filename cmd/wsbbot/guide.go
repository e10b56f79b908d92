package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/runbooks"
)

// newRunbooksCommand lists the loaded runbooks; newGuideCommand prints one
// (a guide's text, or any runbook's description and steps).
func newRunbooksCommand(g *globals, e env) *cobra.Command {
	var langFlag string
	cmd := &cobra.Command{
		Use:   "runbooks",
		Short: "List the runbooks and guides (bundled and from runbooks.dirs)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tCATEGORY\tCODES\tTITLE")
			for _, rb := range set.Runbooks() {
				codes := make([]string, len(rb.Codes))
				for i, c := range rb.Codes {
					codes[i] = c.String()
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", rb.ID, rb.Category, strings.Join(codes, " "), rb.Title.In(lang))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", "en or ja")
	return cmd
}

func newGuideCommand(g *globals, e env) *cobra.Command {
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
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return err
			}
			rb, ok := set.Runbook(args[0])
			if !ok {
				rb, ok = set.Runbook("guide-" + args[0])
			}
			if !ok {
				var ids []string
				for _, r := range set.Runbooks() {
					if r.Category == runbooks.CategoryGuide {
						ids = append(ids, r.ID)
					}
				}
				return usageErrorf("no guide or runbook %q; guides: %s", args[0], strings.Join(ids, ", "))
			}
			fmt.Fprintf(e.stdout, "%s — %s\n\n", rb.ID, rb.Title.In(lang))
			if body := rb.Body.In(lang); body != "" {
				fmt.Fprintln(e.stdout, strings.TrimRight(body, "\n"))
				return nil
			}
			if d := rb.Description.In(lang); d != "" {
				fmt.Fprintln(e.stdout, strings.TrimRight(d, "\n"))
			}
			fmt.Fprintf(e.stdout, "\n%s\n", pickLang(lang, "Steps:", "ステップ:"))
			for _, st := range rb.Steps {
				fmt.Fprintf(e.stdout, "  - [%s] %s: %s\n", st.Mode, st.ID, st.Title.In(lang))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", "en or ja")
	return cmd
}
