// Package report owns the audit report's shared renderings: the matrix
// cells and table, the lines saying what changed since the previous audit,
// and the full report as Markdown and CSV. The terminal (render) and the
// chat core (bot) both draw an audit with them, so the two never disagree.
// It only formats.
package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Cell is what the matrix shows for a finding's status: PASS, FAIL,
// UNKNOWN, or "-" for a rule the server has no finding for.
func Cell(s checklists.Status) string {
	if s == "" {
		return "-"
	}
	return strings.ToUpper(string(s))
}

// matrixRows gives, per server, its status per rule in checklist order.
func matrixRows(a *oncall.AuditReport) (rules []string, rows [][]checklists.Status) {
	rules = a.Checklist.RuleIDs()
	for _, r := range a.Reports {
		row := make([]checklists.Status, len(rules))
		for i, id := range rules {
			for _, f := range r.Findings {
				if f.Rule == id {
					row[i] = f.Status
				}
			}
		}
		rows = append(rows, row)
	}
	return rules, rows
}

// MatrixTable prints the server x rule table of an audit, aligned for a
// fixed-width font (the terminal, a chat code block).
func MatrixTable(w io.Writer, a *oncall.AuditReport) {
	rules, rows := matrixRows(a)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "SERVER\t%s\n", strings.Join(rules, "\t"))
	for i, r := range a.Reports {
		cells := make([]string, len(rules))
		for k, s := range rows[i] {
			cells[k] = Cell(s)
		}
		fmt.Fprintf(tw, "%s\t%s\n", r.Target, strings.Join(cells, "\t"))
	}
	tw.Flush()
}

// DeltaLines says what changed since the previous audit of the same scope,
// one line each, in lang (Markdown-light: `code`).
func DeltaLines(d *oncall.AuditDelta, lang runbooks.Lang) []string {
	if d == nil {
		return nil
	}
	if d.First() {
		return []string{lang.Pick("First audit of this scope: nothing to compare with yet.", "この範囲の最初の監査です。比較する前回の監査はありません。")}
	}
	var out []string
	for _, f := range d.NewFailures {
		out = append(out, lang.Pick(
			fmt.Sprintf("✗ new failure: `%s` %s", f.Target, f.Rule),
			fmt.Sprintf("✗ 新たな不合格: `%s` %s", f.Target, f.Rule)))
	}
	for _, f := range d.Recovered {
		out = append(out, lang.Pick(
			fmt.Sprintf("✓ recovered: `%s` %s", f.Target, f.Rule),
			fmt.Sprintf("✓ 回復: `%s` %s", f.Target, f.Rule)))
	}
	for _, c := range d.Changed {
		out = append(out, lang.Pick(
			fmt.Sprintf("• `%s` %s: %s -> %s", c.Target, c.Rule, Cell(c.Was), Cell(c.Status)),
			fmt.Sprintf("• `%s` %s: %s -> %s", c.Target, c.Rule, Cell(c.Was), Cell(c.Status))))
	}
	for _, s := range d.StillFailing {
		out = append(out, lang.Pick(
			fmt.Sprintf("… still failing for %d audits: `%s` %s", s.Audits, s.Target, s.Rule),
			fmt.Sprintf("… %d 回連続で不合格: `%s` %s", s.Audits, s.Target, s.Rule)))
	}
	if d.Unchanged() {
		out = append([]string{lang.Pick(
			"Nothing changed since audit "+d.Previous+" ("+d.PreviousAt.UTC().Format("2006-01-02 15:04 MST")+").",
			"監査 "+d.Previous+" ("+d.PreviousAt.UTC().Format("2006-01-02 15:04 MST")+") から変化はありません。")}, out...)
	} else {
		out = append([]string{lang.Pick(
			"Since audit "+d.Previous+" ("+d.PreviousAt.UTC().Format("2006-01-02 15:04 MST")+"):",
			"監査 "+d.Previous+" ("+d.PreviousAt.UTC().Format("2006-01-02 15:04 MST")+") からの変化:")}, out...)
	}
	return out
}

// AuditMarkdown prints an audit as a Markdown report: its summary, the
// matrix, what changed, and every finding with its evidence and fix.
func AuditMarkdown(w io.Writer, a *oncall.AuditReport, lang runbooks.Lang) {
	l := lang.Pick
	sum := a.Summary
	fmt.Fprintf(w, "# %s %s: %s\n\n", l("Audit", "監査"), a.ID, a.Checklist.Title.In(lang))
	fmt.Fprintf(w, "- %s: %s\n- %s: %s\n- %s: %d (%s %d)\n- %s: %d pass, %d fail, %d unknown\n\n",
		l("Finished", "完了"), a.Finished.UTC().Format(time.RFC3339), l("Scope", "範囲"), a.Scope,
		l("Servers", "サーバー"), sum.Targets, l("unreachable", "到達不能"), sum.Errors,
		l("Findings", "結果"), sum.Total.Pass, sum.Total.Fail, sum.Total.Unknown)
	rules, rows := matrixRows(a)
	fmt.Fprintf(w, "## %s\n\n| server | %s |\n|---|%s\n", l("Matrix", "一覧"), strings.Join(rules, " | "), strings.Repeat("---|", len(rules)))
	for i, r := range a.Reports {
		cells := make([]string, len(rules))
		for k, s := range rows[i] {
			cells[k] = Cell(s)
		}
		fmt.Fprintf(w, "| %s | %s |\n", mdCell(r.Target), strings.Join(cells, " | "))
	}
	if lines := DeltaLines(a.Delta, lang); len(lines) > 0 {
		fmt.Fprintf(w, "\n## %s\n\n", l("Changes", "変化"))
		for _, line := range lines {
			fmt.Fprintf(w, "- %s\n", line)
		}
	}
	fmt.Fprintf(w, "\n## %s\n\n| server | rule | status | evidence | fix |\n|---|---|---|---|---|\n", l("Findings", "結果"))
	for _, f := range a.Findings() {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCell(f.Target), f.Rule, Cell(f.Status), mdCell(f.Evidence.In(lang)), mdCell(f.Fix.In(lang)))
	}
}

func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>").Replace(s)
}

// AuditCSV writes every finding of an audit as CSV, one row each, with a
// header: audit, finished, server, rule, status, evidence, fix.
func AuditCSV(w io.Writer, a *oncall.AuditReport, lang runbooks.Lang) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"audit", "finished", "server", "rule", "status", "evidence", "fix"})
	for _, f := range a.Findings() {
		_ = cw.Write([]string{a.ID, a.Finished.UTC().Format(time.RFC3339), f.Target, f.Rule, string(f.Status), f.Evidence.In(lang), f.Fix.In(lang)})
	}
	cw.Flush()
	return cw.Error()
}
