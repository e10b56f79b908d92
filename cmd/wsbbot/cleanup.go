package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/render"
	"github.com/wsbbot/wsbbot/runbooks"
)

func newCleanupCommand(m *Main) *cobra.Command {
	var (
		yes, asJSON bool
		langFlag    string
	)
	cmd := &cobra.Command{
		Use:   "cleanup RUN [--yes] [--json]",
		Short: "Show what an interrupted run may have left on its server; with --yes, run its runbook's cleanup",
		Long: `cleanup reads from the record what an interrupted run (its wsbbot process was
killed or crashed) may have left on its server: the changing steps that were
in flight or had finished, and the runbook's cleanup steps rendered with the
parameters those steps were sent with, exactly as they would be sent (for
usn-journal-cleanup: mountvol LETTER: /D for its temporary drive letter).
Without --yes nothing runs. With --yes the cleanup runs as a run of its own,
recorded as "cleanup of interrupted run RUN".

Exit status: 0 when shown, or when the cleanup succeeded; 1 when the run is
unknown, changed nothing, or the cleanup failed; 3 when refused (the run is
not interrupted).`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			lang, err := m.lang(langFlag)
			if err != nil {
				return err
			}
			svc, err := m.service()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			l, err := svc.Leftovers(ctx, args[0])
			if err != nil {
				return serviceError(err)
			}
			if !yes {
				if asJSON {
					return writeJSON(m.Env.stdout, l)
				}
				writeLeftovers(m.Env.stdout, l)
				if !l.Nothing() && len(l.Cleanup) > 0 {
					fmt.Fprintf(m.Env.stdout, "Nothing was run. To run the cleanup: wsbbot cleanup %s --yes\n", l.Run.ID)
				}
				return nil
			}
			res, err := svc.Cleanup(ctx, args[0], oncall.Approval{By: []string{cliActor()}, How: "--yes on the command line"},
				render.Progress{W: m.Env.stderr, Lang: lang})
			if res == nil {
				return serviceError(err)
			}
			if asJSON {
				if err := writeJSON(m.Env.stdout, res); err != nil {
					return err
				}
			} else {
				render.Result(m.Env.stdout, res, lang)
			}
			if res.Status != runbooks.RunSucceeded {
				return silentExit(exitFailed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "run the cleanup shown")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}

// writeLeftovers prints what an interrupted run may have left and the
// exact cleanup commands.
func writeLeftovers(w io.Writer, l *oncall.Leftovers) {
	r := l.Run
	fmt.Fprintf(w, "Run %s (%s on %s, %s)", r.ID, r.Runbook, r.Target, r.Status)
	if l.Nothing() {
		fmt.Fprintln(w, ": no changing step had started; it left nothing to clean up.")
		return
	}
	fmt.Fprintln(w, " may have left changes on the server.")
	for _, st := range l.InFlight {
		fmt.Fprintf(w, "  in flight when it stopped (may or may not have run): %s: %s\n", st.Step, indent(oncall.Command(st.Shell, st.Script, st.Params)))
	}
	for _, st := range l.Changed {
		fmt.Fprintf(w, "  changed (%s): %s: %s\n", st.Status, st.Step, indent(oncall.Command(st.Shell, st.Script, st.Params)))
	}
	if l.Problem != "" {
		fmt.Fprintf(w, "  its cleanup cannot be given: %s\n", l.Problem)
		return
	}
	if len(l.Cleanup) == 0 {
		fmt.Fprintln(w, "  its runbook has no cleanup step left to run.")
		return
	}
	fmt.Fprintln(w, "  its runbook's cleanup never ran; it is:")
	for _, st := range l.Cleanup {
		fmt.Fprintf(w, "    %s (%s): %s\n", st.ID, st.Title.EN, indent(oncall.Command(string(st.Shell), st.Script, st.Params)))
	}
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n      ") }

// reportInterrupted tells, on stderr, about the runs this process's Open
// marked interrupted: what each may have left and how to clean it up.
func (m *Main) reportInterrupted(ctx context.Context, svc *oncall.Service, ids []string) {
	for _, id := range ids {
		fmt.Fprintf(m.Env.stderr, "wsbbot: run %s was interrupted when its wsbbot process stopped; it is recorded as interrupted and was not re-run\n", id)
		l, err := svc.Leftovers(ctx, id)
		if err != nil {
			fmt.Fprintf(m.Env.stderr, "wsbbot: what run %s left cannot be read: %v\n", id, err)
			continue
		}
		if l.Nothing() {
			continue
		}
		writeLeftovers(m.Env.stderr, l)
		if len(l.Cleanup) > 0 {
			fmt.Fprintf(m.Env.stderr, "  run the cleanup: wsbbot cleanup %s --yes\n", id)
		}
	}
}
