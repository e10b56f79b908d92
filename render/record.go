package render

import (
	"github.com/wsbbot/wsbbot/internal/report"

	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Matrix prints an audit: one row per server and one column per rule,
// then what failed or could not be decided, with its evidence and fix.
func Matrix(w io.Writer, a *oncall.AuditReport, lang runbooks.Lang) {
	report.MatrixTable(w, a)
	var details []string
	for _, r := range a.Reports {
		for _, f := range r.Findings {
			if f.Status != checklists.Pass {
				details = append(details, fmt.Sprintf("- %s %s %s: %s\n  fix: %s", r.Target, f.Rule, report.Cell(f.Status), f.Evidence.In(lang), f.Fix.In(lang)))
			}
		}
	}
	if len(details) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(details, "\n"))
	}
	sum := a.Summary
	fmt.Fprintf(w, "\n%d server(s), %d unreachable; findings: %d pass, %d fail, %d unknown (audit %s, %s)\n",
		sum.Targets, sum.Errors, sum.Total.Pass, sum.Total.Fail, sum.Total.Unknown, a.ID, a.Finished.Format(time.DateTime))
}

// History prints recorded runs as a table, newest first as given.
func History(w io.Writer, runs []store.RunSummary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTARGET\tRUNBOOK\tSTATUS\tSTEPS\tBY\tSUMMARY")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Started.Local().Format("2006-01-02 15:04:05"),
			r.Target, r.Runbook, r.Status, r.Steps, r.Actor, r.Summary)
	}
	return tw.Flush()
}

// Timeline prints a run as a Markdown postmortem timeline. Everything
// that comes from the record is escaped (mdText, mdCodeCell, mdFence), so
// server output or a summary holding backticks, "|" or markup cannot break
// the document.
func Timeline(w io.Writer, tl *oncall.Timeline) {
	r := tl.Run
	fmt.Fprintf(w, "# Run %s: %s on %s\n\n", mdText(r.ID), mdText(r.Runbook), mdText(r.Target))
	fmt.Fprintf(w, "- Status: **%s**\n- Requested by: %s\n- Started: %s\n", mdText(r.Status), mdText(r.Actor), r.Started.UTC().Format(time.RFC3339))
	if !r.Finished.IsZero() {
		fmt.Fprintf(w, "- Finished: %s (%s)\n", r.Finished.UTC().Format(time.RFC3339), r.Finished.Sub(r.Started).Round(time.Millisecond))
	}
	if r.Summary != "" {
		fmt.Fprintf(w, "- Summary: %s\n", mdText(r.Summary))
	}
	fmt.Fprintf(w, "\n## Timeline (UTC)\n\n| time | event | by | details |\n|---|---|---|---|\n")
	var outputs []string
	for _, ev := range tl.Events {
		detail := ""
		var data map[string]any
		_ = json.Unmarshal(ev.Data, &data)
		if ev.Kind == store.KindStepFinished {
			if out, _ := data["output"].(string); out != "" {
				outputs = append(outputs, fmt.Sprintf("### %s (exit %s)\n\n%s", mdText(fmt.Sprint(data["step"])),
					mdText(fmt.Sprint(data["exit_code"])), mdFence(strings.TrimRight(out, "\n"))))
			}
			delete(data, "output")
		}
		if len(data) > 0 {
			b, _ := json.Marshal(data)
			detail = mdCodeCell(string(b))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", ev.Time.UTC().Format("15:04:05.000"), mdText(string(ev.Kind)), mdText(ev.Actor), detail)
	}
	if len(outputs) > 0 {
		fmt.Fprintf(w, "\n## Step output\n\n%s", strings.Join(outputs, "\n"))
	}
	fmt.Fprintf(w, "\nRecord events %d-%d; verify the whole record with `wsbbot history verify`.\n", r.StartSeq, r.LastSeq)
}
