package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func newValidateCommand(m *Main) *cobra.Command {
	e := m.Env
	var strict bool
	cmd := &cobra.Command{
		Use:   "validate [DIR...]",
		Short: "Check the bundled runbooks, checklists and catalogue plus the given folders",
		Long: `validate loads the bundled YAML set, the folders named in the configuration
(runbooks.dirs) and every DIR given, strictly, and prints every problem in
every file at once as file:line: message.

Exit status: 0 when there are no errors (warnings allowed), 1 when there is
an error (or, with --strict, a warning), 2 on usage errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			dirs := []string{}
			if m.configFile != "" {
				cfg, err := m.config()
				if err != nil {
					return err
				}
				dirs = append(dirs, cfg.Runbooks.Dirs...)
			}
			for _, d := range args {
				st, err := os.Stat(d)
				if err != nil {
					return usageErrorf("%v", err)
				}
				if !st.IsDir() {
					return usageErrorf("%s is not a folder", d)
				}
			}
			dirs = append(dirs, args...)
			set, problems := loadSet(dirs)
			problems = problems.Sorted()
			for _, p := range problems {
				fmt.Fprintln(e.stdout, p.String())
			}
			nerr, nwarn := len(problems.Errors()), len(problems.Warnings())
			codes := 0
			if set != nil && set.Catalogue != nil {
				codes = set.Catalogue.Len()
			}
			fmt.Fprintf(e.stderr, "%d error(s), %d warning(s); %d catalogue code(s) from %d source(s)\n", nerr, nwarn, codes, 1+len(dirs))
			if nerr > 0 || (strict && nwarn > 0) {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat every warning as an error")
	return cmd
}
