package render

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Plan prints a dry run: what the read-only steps found, then every step
// as it would be sent, with the plan's hash.
func Plan(w io.Writer, p *runbooks.Plan, lang runbooks.Lang) {
	fmt.Fprintf(w, "Plan %s v%d on %s — %s\nhash %s\n", p.Runbook, p.Version, p.Target, p.Title.In(lang), p.Hash())
	if p.Refused {
		fmt.Fprintln(w, "REFUSED: a precondition failed; a run now would change nothing.")
	}
	if len(p.Findings) > 0 {
		fmt.Fprintln(w, "\nFound by the read-only steps:")
		for _, f := range p.Findings {
			stepResult(w, f, lang)
		}
	}
	fmt.Fprintln(w, "\nSteps:")
	for _, s := range p.Steps {
		state := ""
		switch {
		case s.Skipped:
			state = " (skipped: condition false)"
		case s.Conditional:
			state = " (decided during the run)"
		}
		fmt.Fprintf(w, "  [%s] %s %s %s%s\n", s.Phase, s.Mode, stepName(s.ID, s.Iteration), s.Title.In(lang), state)
		if d := s.Description.In(lang); d != "" && s.Mode == runbooks.ModeChange {
			fmt.Fprintf(w, "      note: %s\n", indent(d, "        "))
		}
		fmt.Fprintf(w, "      %s> %s\n", s.Shell, indent(s.Script, "        "))
		if s.Params != "" && s.Params != "{}" {
			fmt.Fprintf(w, "      $P = %s\n", s.Params)
		}
	}
}

// Result prints a run's outcome, one line per step with its verdicts.
func Result(w io.Writer, r *runbooks.Result, lang runbooks.Lang) {
	fmt.Fprintf(w, "Run %s: %s v%d on %s — %s", r.RunID, r.Runbook, r.Version, r.Target, r.Status)
	if r.Verified {
		fmt.Fprint(w, ", verified")
	}
	fmt.Fprintln(w)
	for _, s := range r.Steps {
		stepResult(w, s, lang)
	}
	if t := r.Summary.In(lang); t != "" {
		fmt.Fprintln(w, t)
	}
	if r.Error != "" {
		fmt.Fprintln(w, "error:", r.Error)
	}
	if r.Hint != "" {
		fmt.Fprintln(w, "what to do:", r.Hint)
	}
}

func stepResult(w io.Writer, s runbooks.StepResult, lang runbooks.Lang) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\texit %d\t%s\n", s.Status.Mark(), stepName(s.ID, s.Iteration), s.Title.In(lang), s.ExitCode, s.Duration.Round(1e6))
	tw.Flush()
	for _, v := range s.Expectations {
		mark := "ok"
		if !v.OK {
			mark = "FAILED"
		}
		line := fmt.Sprintf("      %s: %s", mark, v.Message.In(lang))
		if v.Detail != "" {
			line += " — " + v.Detail
		}
		fmt.Fprintln(w, line)
	}
	for _, k := range slices.Sorted(maps.Keys(s.Report)) {
		fmt.Fprintf(w, "      %s: %v\n", k, s.Report[k])
	}
	if s.Error != "" {
		fmt.Fprintf(w, "      error: %s\n", s.Error)
	}
	if s.Hint != "" {
		fmt.Fprintf(w, "      what to do: %s\n", s.Hint)
	}
}

// Progress prints each step of a run as it starts and ends; it is the
// terminal's runbooks.Observer.
type Progress struct {
	W    io.Writer
	Lang runbooks.Lang
}

var _ runbooks.Observer = Progress{}

// StepStarted implements runbooks.Observer.
func (p Progress) StepStarted(_ context.Context, s runbooks.RenderedStep) {
	fmt.Fprintf(p.W, "… %s %s\n", stepName(s.ID, s.Iteration), s.Title.In(p.Lang))
}

// StepFinished implements runbooks.Observer.
func (p Progress) StepFinished(_ context.Context, r runbooks.StepResult) {
	fmt.Fprintf(p.W, "%s %s (exit %d, %s)\n", r.Status.Mark(), stepName(r.ID, r.Iteration), r.ExitCode, r.Duration.Round(1e6))
}

func stepName(id string, it int) string {
	if it > 0 {
		return fmt.Sprintf("%s#%d", id, it)
	}
	return id
}

func indent(s, pad string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
}
