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
	fmt.Fprintf(w, lang.Pick("Plan %s v%d on %s — %s\nhash %s\n", "計画 %s v%d（%s）— %s\nハッシュ %s\n"), p.Runbook, p.Version, p.Target, p.Title.In(lang), p.Hash())
	if p.Refused {
		fmt.Fprintln(w, lang.Pick("REFUSED: a precondition failed; a run now would change nothing.",
			"拒否: 前提条件を満たしていないため、いま実行しても何も変更しません。"))
	}
	if len(p.Findings) > 0 {
		fmt.Fprintln(w, lang.Pick("\nFound by the read-only steps:", "\n読み取り専用のステップで確認した内容:"))
		for _, f := range p.Findings {
			stepResult(w, f, lang)
		}
	}
	fmt.Fprintln(w, lang.Pick("\nSteps:", "\nステップ:"))
	for _, s := range p.Steps {
		state := ""
		switch {
		case s.Skipped:
			state = lang.Pick(" (skipped: condition false)", "（スキップ: 条件が偽）")
		case s.Conditional:
			state = lang.Pick(" (decided during the run)", "（実行時に判断）")
		}
		fmt.Fprintf(w, "  [%s] %s %s %s%s\n", s.Phase, s.Mode, stepName(s.ID, s.Iteration), s.Title.In(lang), state)
		if d := s.Description.In(lang); d != "" && s.Mode == runbooks.ModeChange {
			fmt.Fprintf(w, "      %s %s\n", lang.Pick("note:", "注記:"), indent(d, "        "))
		}
		fmt.Fprintf(w, "      %s> %s\n", s.Shell, indent(s.Script, "        "))
		if s.Params != "" && s.Params != "{}" {
			fmt.Fprintf(w, "      $P = %s\n", s.Params)
		}
	}
}

// Result prints a run's outcome, one line per step with its verdicts.
func Result(w io.Writer, r *runbooks.Result, lang runbooks.Lang) {
	fmt.Fprintf(w, lang.Pick("Run %s: %s v%d on %s — %s", "実行 %s: %s v%d（%s）— %s"), r.RunID, r.Runbook, r.Version, r.Target, r.Status.In(lang))
	if r.Verified {
		fmt.Fprint(w, lang.Pick(", verified", "、検証済み"))
	}
	fmt.Fprintln(w)
	for _, s := range r.Steps {
		stepResult(w, s, lang)
	}
	if t := r.Summary.In(lang); t != "" {
		fmt.Fprintln(w, t)
	}
	if r.Error != "" {
		fmt.Fprintln(w, lang.Pick("error:", "エラー:"), r.Error)
	}
	if r.Hint != "" {
		fmt.Fprintln(w, lang.Pick("what to do:", "対処:"), r.Hint)
	}
}

func stepResult(w io.Writer, s runbooks.StepResult, lang runbooks.Lang) {
	tw := tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
	fmt.Fprintf(tw, "  %s\t%s\t%s\t%s %d\t%s\n", s.Status.Mark(), stepName(s.ID, s.Iteration), s.Title.In(lang), lang.Pick("exit", "終了コード"), s.ExitCode, s.Duration.Round(1e6))
	tw.Flush()
	for _, v := range s.Expectations {
		mark := "✓"
		if !v.OK {
			mark = "✗"
		}
		fmt.Fprintf(w, "      %s %s\n", mark, v.Sentence(lang))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Report)) {
		fmt.Fprintf(w, "      %s: %v\n", k, s.Report[k])
	}
	if s.Error != "" {
		fmt.Fprintf(w, "      %s %s\n", lang.Pick("error:", "エラー:"), s.Error)
	}
	if s.Hint != "" {
		fmt.Fprintf(w, "      %s %s\n", lang.Pick("what to do:", "対処:"), s.Hint)
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
