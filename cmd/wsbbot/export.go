package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/store"
)

// newExportCommand is `history export --run ID`: a run's timeline for a
// postmortem, as Markdown (default) or JSON.
func newExportCommand(g *globals, e env) *cobra.Command {
	var (
		runID  string
		format string
	)
	cmd := &cobra.Command{
		Use:   "export --run ID [--format markdown|json]",
		Short: "Print a run's timeline for a postmortem (Markdown or JSON)",
		Args:  usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runID == "" {
				return usageErrorf("--run ID is required (see `wsbbot history`)")
			}
			if format != "markdown" && format != "json" {
				return usageErrorf("--format %q: want markdown or json", format)
			}
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			st, err := openStore(cfg.Store.Path, e)
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			defer st.Close()
			ctx := cmd.Context()
			runs, err := st.Runs(ctx, store.RunFilter{ID: runID})
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if len(runs) == 0 {
				return &exitError{code: exitFailed, err: fmt.Errorf("no run %q in %s", runID, cfg.Store.Path)}
			}
			events, err := st.Events(ctx, store.Filter{RunID: runID})
			if err != nil {
				return &exitError{code: exitInternal, err: err}
			}
			if events == nil {
				events = []store.Event{}
			}
			if format == "json" {
				return writeJSON(e.stdout, struct {
					Run    store.RunSummary `json:"run"`
					Events []store.Event    `json:"events"`
				}{runs[0], events})
			}
			return writeTimeline(e.stdout, runs[0], events)
		},
	}
	cmd.Flags().StringVar(&runID, "run", "", "run `ID`")
	cmd.Flags().StringVar(&format, "format", "markdown", "markdown or json")
	return cmd
}

// writeTimeline renders a run as a Markdown postmortem timeline.
func writeTimeline(w io.Writer, r store.RunSummary, events []store.Event) error {
	fmt.Fprintf(w, "# Run %s: %s on %s\n\n", r.ID, r.Runbook, r.Target)
	fmt.Fprintf(w, "- Status: **%s**\n- Requested by: %s\n- Started: %s\n", r.Status, r.Actor, r.Started.UTC().Format(time.RFC3339))
	if !r.Finished.IsZero() {
		fmt.Fprintf(w, "- Finished: %s (%s)\n", r.Finished.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Millisecond))
	}
	if r.Summary != "" {
		fmt.Fprintf(w, "- Summary: %s\n", r.Summary)
	}
	fmt.Fprintf(w, "\n## Timeline (UTC)\n\n| time | event | by | details |\n|---|---|---|---|\n")
	var outputs []string
	for _, ev := range events {
		detail := ""
		var data map[string]any
		_ = json.Unmarshal(ev.Data, &data)
		if ev.Kind == store.KindStepFinished {
			if out, _ := data["output"].(string); out != "" {
				outputs = append(outputs, fmt.Sprintf("### %v (exit %v)\n\n```\n%s\n```\n", data["step"], data["exit_code"], strings.TrimRight(out, "\n")))
			}
			delete(data, "output")
		}
		if len(data) > 0 {
			b, _ := json.Marshal(data)
			detail = "`" + strings.ReplaceAll(string(b), "|", `\|`) + "`"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", ev.Time.UTC().Format("15:04:05.000"), ev.Kind, ev.Actor, detail)
	}
	if len(outputs) > 0 {
		fmt.Fprintf(w, "\n## Step output\n\n%s", strings.Join(outputs, "\n"))
	}
	fmt.Fprintf(w, "\nRecord events %d-%d; verify the whole record with `wsbbot history verify`.\n", r.StartSeq, r.LastSeq)
	return nil
}
