package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/report"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// maxAuditButtons bounds the runbook buttons of one audit post.
const maxAuditButtons = 10

// auditReply is an audit's post, on demand (`audit`) and scheduled alike:
// the server x rule matrix, what changed since the previous audit of the
// same scope, each failure with its fix, the runbook a failed rule names
// as a button (Fix for a fix runbook, through approvals; Guide for a
// guide), and the full report as Markdown and CSV files in the thread.
// note ("" for none) heads the post (a schedule's name, "late by 2h10m").
func (c *Core) auditReply(r req, a *oncall.AuditReport, note string) Reply {
	s := a.Summary
	rep := r.reply(r.t.pick(
		fmt.Sprintf("Audit of %d servers: %d pass, %d fail, %d unknown", s.Targets, s.Total.Pass, s.Total.Fail, s.Total.Unknown),
		fmt.Sprintf("%d 台の監査: 合格 %d、不合格 %d、不明 %d", s.Targets, s.Total.Pass, s.Total.Fail, s.Total.Unknown)))
	if note != "" {
		rep.Sections = append(rep.Sections, Section{Text: note})
	}
	var table strings.Builder
	report.MatrixTable(&table, a)
	rep.Sections = append(rep.Sections, Section{Code: strings.TrimRight(table.String(), "\n")})
	if lines := report.DeltaLines(a.Delta, r.lang); len(lines) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: strings.Join(lines, "\n")})
	}
	var details []string
	seen := map[string]bool{}
	for _, rp := range a.Reports {
		for _, f := range rp.Findings {
			if f.Status == checklists.Pass {
				continue
			}
			details = append(details, fmt.Sprintf("- `%s` %s %s: %s\n  %s %s", rp.Target, f.Rule, report.Cell(f.Status),
				f.Evidence.In(r.lang), r.t.pick("Fix:", "対処:"), f.Fix.In(r.lang)))
			if f.Status == checklists.Fail && rp.Err == nil {
				if b, ok := c.ruleButton(r, a.Checklist, f); ok && !seen[b.ActionID+b.Value] && len(rep.Buttons) < maxAuditButtons {
					seen[b.ActionID+b.Value] = true
					rep.Buttons = append(rep.Buttons, b)
				}
			}
		}
	}
	if len(details) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: strings.Join(details, "\n")})
	}
	unreachable := ""
	if s.Errors > 0 {
		unreachable = r.t.pick(fmt.Sprintf(", %d unreachable", s.Errors), fmt.Sprintf("、到達不能 %d 台", s.Errors))
	}
	rep.Context = r.t.pick("audit ", "監査 ") + a.ID + unreachable + " · " + a.Scope
	var md, csv strings.Builder
	report.AuditMarkdown(&md, a, r.lang)
	if err := report.AuditCSV(&csv, a, r.lang); err != nil {
		c.lg.Error("audit csv", "audit", a.ID, "err", err)
	}
	rep.Attachments = append(rep.Attachments,
		Attachment{Name: "audit-" + a.ID + ".md", Content: md.String(), Comment: r.t.pick("The full report.", "監査の全文です。")},
		Attachment{Name: "audit-" + a.ID + ".csv", Content: csv.String()})
	return rep
}

// ruleButton is the button of the runbook a failed rule names: Fix (the
// plan, then approvals) for a fix runbook, Guide for a guide.
func (c *Core) ruleButton(r req, cl *checklists.Checklist, f checklists.Finding) (Button, bool) {
	rule, ok := cl.Rule(f.Rule)
	if !ok || rule.Runbook == "" {
		return Button{}, false
	}
	rb, err := c.svc.Guide(rule.Runbook)
	if err != nil || rb.ID != rule.Runbook {
		return Button{}, false
	}
	switch rb.Category {
	case runbooks.CategoryFix:
		return Button{Label: r.t.pick("Fix ", "修復 ") + f.Target + " " + f.Rule, ActionID: ActionRun, Value: rb.ID + " " + f.Target, Style: StylePrimary}, true
	case runbooks.CategoryGuide:
		return Button{Label: r.t.pick("Guide: ", "ガイド: ") + f.Rule, ActionID: ActionGuide, Value: rb.ID}, true
	}
	return Button{}, false
}

// ScheduledAudit is one due time of a scheduled audit.
type ScheduledAudit struct {
	// Name is the schedule's name; Channel where it posts.
	Name, Channel   string
	Servers, Groups []string
	// Late is the scheduler's note when it runs late ("" on time).
	Late string
}

// RunScheduledAudit runs an audit for a schedule and posts it at the top
// of its channel, with the files in the post's thread: the same post as
// `audit` in chat. It returns once posted.
func (c *Core) RunScheduledAudit(ctx context.Context, s ScheduledAudit) (*oncall.AuditReport, error) {
	r := c.newReq("scheduler", "", "", s.Channel, "", "")
	rep, err := c.svc.Audit(ctx, oncall.AuditRequest{Servers: s.Servers, Groups: s.Groups, Actor: "scheduler:" + s.Name})
	if err != nil {
		_ = c.fail(ctx, r, err)
		return nil, err
	}
	note := r.t.pick("Scheduled audit *"+s.Name+"*", "定期監査 *"+s.Name+"*")
	if s.Late != "" {
		note += r.t.pick(" — "+s.Late, " — 予定より遅れて実行しました ("+s.Late+")")
	}
	_, err = c.sendRef(ctx, r, c.auditReply(r, rep, note), "audit-"+rep.ID)
	return rep, err
}
