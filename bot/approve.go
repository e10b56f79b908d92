package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Action ids of the approval buttons; the value is the request's id.
const (
	ActionApprove = "wsb.approve"
	ActionDeny    = "wsb.deny"
)

// requestApproval records a request for plan (the cleanup of the
// interrupted run cleanupOf, when not "") and adds to rep who may approve,
// how many must, until when, and the Approve / Deny buttons.
func (c *Core) requestApproval(ctx context.Context, r req, plan *runbooks.Plan, cleanupOf string, rep *Reply) {
	srv, _ := c.svc.Server(plan.Target)
	pol, ok := c.access.policy(ctx, plan.Runbook, srv)
	if !ok {
		cli := "wsbbot run " + plan.Runbook + " --target " + plan.Target + " --yes"
		if cleanupOf != "" {
			cli = "wsbbot cleanup " + cleanupOf + " --yes"
		}
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"*Nothing has changed.* No approvers are configured (`slack.approvers`), so this plan cannot be approved here; an operator can apply it with `"+cli+"`.",
			"*何も変更していません。* 承認者が設定されていない (`slack.approvers`) ため、ここではこの計画を承認できません。オペレーターが `"+cli+"` で実行できます。")})
		return
	}
	where := map[string]string{"channel": r.channel, "thread": r.thread, "ts": r.msgTS, "lang": string(r.lang)}
	var ar *oncall.ApprovalRequest
	var err error
	if cleanupOf != "" {
		ar, err = c.svc.RequestCleanupApproval(ctx, cleanupOf, plan, r.userID, pol, where)
	} else {
		ar, err = c.svc.RequestApproval(ctx, plan, r.userID, pol, where)
	}
	if err != nil {
		if oncall.Code(err) == "" {
			c.lg.Error("approval request failed", "user", r.user, "err", err)
		}
		rep.Sections = append(rep.Sections, Section{Text: "⊘ " + oncall.Message(err, r.lang)})
		return
	}
	rep.Sections = append(rep.Sections, Section{Text: c.approvalState(r, ar)})
	rep.Buttons = []Button{
		{Label: r.t.pick("Approve", "承認"), ActionID: ActionApprove, Value: ar.ID, Style: StylePrimary},
		{Label: r.t.pick("Deny", "却下"), ActionID: ActionDeny, Value: ar.ID, Style: StyleDanger},
	}
}

// approvalState says, in r's language, who may approve a request, how many
// approvals it needs and until when.
func (c *Core) approvalState(r req, ar *oncall.ApprovalRequest) string {
	who := r.t.pick("anyone but the requester", "依頼者以外の誰でも")
	if !ar.Policy.Anyone {
		who = userRefs(ar.Eligible())
	}
	until := ar.Expires.In(time.UTC).Format("2006-01-02 15:04 MST")
	return r.t.pick(
		fmt.Sprintf("*Approval needed* (request %s by %s): %d of %d approval(s) given; %d more of %s, until %s. Nothing changes before that; the plan is made again at approval and the request is void if it changed.",
			ar.ID, userRef(ar.Requester), len(ar.Granted), ar.Policy.Quorum, ar.Needed(), who, until),
		fmt.Sprintf("*承認が必要です* (依頼 %s、依頼者 %s): 承認 %d / %d。%s のうちあと %d 人、期限 %s。それまで何も変更しません。承認時に計画を作り直し、変わっていれば依頼は無効になります。",
			ar.ID, userRef(ar.Requester), len(ar.Granted), ar.Policy.Quorum, who, ar.Needed(), until))
}

// approve handles a click on Approve: a refusal goes to the clicker only;
// an approval is said in the thread; the approval that completes the
// quorum runs the plan (exactly once, however many clicks arrive).
func (c *Core) approve(ctx context.Context, r req, id string) error {
	d, err := c.svc.Approve(ctx, id, r.userID)
	if err != nil {
		return c.refuse(ctx, r, err)
	}
	ar := d.Request
	switch {
	case d.Ready:
		// Also after an approval whose re-plan failed (the server did not
		// answer the dry run): the same approver's next click runs it.
	case ar.State == oncall.ApprovalVoid:
		return c.say(ctx, r, r.t.pick(
			"⊘ The plan changed since it was requested ("+ar.Reason.EN+"): request "+ar.ID+" is void and nothing ran. Request it again to see the new plan.",
			"⊘ 依頼後に計画が変わりました ("+ar.Reason.In(runbooks.LangJA)+")。依頼 "+ar.ID+" は無効になり、何も実行していません。新しい計画を見るにはもう一度依頼してください。"))
	case ar.State != oncall.ApprovalPending:
		// A click racing the one that completed the quorum (a double
		// click, a redelivered event): that one runs it; this says so
		// privately.
		return c.refuse(ctx, r, nil, r.t.pick(
			"✓ Request "+ar.ID+" is approved already: it runs once, in the thread.",
			"✓ 依頼 "+ar.ID+" はすでに承認されています。実行は 1 回だけで、スレッドに表示されます。"))
	case d.Already:
		return c.refuse(ctx, r, nil, r.t.pick("You have approved this already. ", "すでに承認済みです。")+c.approvalState(r, ar))
	default:
		return c.say(ctx, r, r.t.pick("✓ Approved by ", "✓ 承認: ")+userRef(r.userID)+". "+c.approvalState(r, ar))
	}
	plan := d.Plan
	owners := append([]string{ar.Requester}, ar.Granted...)
	c.submitOwned(ctx, r, "apply "+plan.Runbook+" on "+plan.Target, owners, func(ctx context.Context, t *task) {
		p := c.startProgress(ctx, r, r.t.pick(
			"Approved by "+userRefs(ar.Granted)+": applying "+plan.Runbook+" on "+plan.Target,
			userRefs(ar.Granted)+" が承認しました: "+plan.Target+" で "+plan.Runbook+" を実行中")+" · "+t.ID)
		res, err := c.svc.ApplyApproved(ctx, d, p)
		p.done(r.t.pick("Done.", "完了しました。"))
		if res != nil {
			c.postResult(ctx, r, res)
			c.uploadTimeline(ctx, r, res.RunID)
			if ts := ar.Where["ts"]; ts != "" && ar.Where["channel"] == r.channel {
				name := "white_check_mark"
				if res.Status != runbooks.RunSucceeded {
					name = "x"
				}
				if err := c.out.React(ctx, r.channel, ts, name); err != nil {
					c.lg.Warn("reaction failed", "err", err)
				}
			}
		}
		if err != nil {
			_ = c.fail(ctx, r, err)
		}
	})
	return nil
}

// deny handles a click on Deny: any approver's deny (or the requester's
// withdrawal) ends the request.
func (c *Core) deny(ctx context.Context, r req, id string) error {
	ar, err := c.svc.Deny(ctx, id, r.userID, "")
	if err != nil {
		return c.refuse(ctx, r, err)
	}
	return c.say(ctx, r, r.t.pick(
		"⊘ Denied by "+userRef(r.userID)+": request "+ar.ID+" is closed and nothing ran.",
		"⊘ "+userRef(r.userID)+" が却下しました: 依頼 "+ar.ID+" は終了し、何も実行していません。"))
}

// refuse tells only the one who clicked why nothing happened (err's user
// message, or text).
func (c *Core) refuse(ctx context.Context, r req, err error, text ...string) error {
	msg := strings.Join(text, " ")
	if err != nil {
		if oncall.Code(err) == "" {
			c.lg.Error("approval failed", "user", r.user, "err", err)
		}
		msg = "⊘ " + oncall.Message(err, r.lang)
	}
	rep := r.reply("")
	rep.Sections = []Section{{Text: msg}}
	rep = fit(rep, "refusal", r.t)
	if err := c.out.Ephemeral(ctx, r.userID, rep); err != nil {
		return fmt.Errorf("tell %s: %w", r.userID, err)
	}
	return nil
}

// userRef shows a user id as a chat mention; console names stay as they are.
func userRef(id string) string {
	if id != "" && (id[0] == 'U' || id[0] == 'W') && strings.ToUpper(id) == id {
		return "<@" + id + ">"
	}
	return id
}

func userRefs(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = userRef(id)
	}
	return strings.Join(out, ", ")
}

// uploadTimeline puts a run's timeline (Options.ExportTimeline: the
// Markdown of `wsbbot history export`) into the thread, for the
// postmortem.
func (c *Core) uploadTimeline(ctx context.Context, r req, runID string) {
	if runID == "" || c.exportTimeline == nil {
		return
	}
	tl, err := c.svc.Timeline(ctx, runID)
	if err != nil {
		c.lg.Warn("timeline export failed", "run", runID, "err", err)
		return
	}
	if err := c.out.Upload(ctx, r.channel, r.thread, "wsbbot-run-"+runID+".md", c.exportTimeline(tl),
		r.t.pick("Timeline of run "+runID+" for the postmortem", "実行 "+runID+" のタイムライン (事後検証用)")); err != nil {
		c.lg.Warn("timeline upload failed", "run", runID, "err", err)
	}
}

// ExpireApprovals closes the approval requests past their time and says
// so in the thread where each was requested. The serving adapter calls it
// now and then (a click on an expired request says so anyway).
func (c *Core) ExpireApprovals(ctx context.Context) error {
	expired, err := c.svc.ExpireApprovals(ctx)
	for _, ar := range expired {
		lang := runbooks.Lang(ar.Where["lang"])
		if lang != runbooks.LangJA {
			lang = runbooks.LangEN
		}
		r := req{channel: ar.Where["channel"], thread: ar.Where["thread"], lang: lang, t: texts{lang}}
		if r.channel == "" {
			continue
		}
		c.lg.Info("approval request expired", "request", ar.ID)
		_ = c.say(ctx, r, r.t.pick(
			"⌛ Request "+ar.ID+" ("+ar.Plan.Runbook+" on "+ar.Plan.Target+") expired without enough approvals: nothing ran. Request it again if it is still needed.",
			"⌛ 依頼 "+ar.ID+" ("+ar.Plan.Target+" での "+ar.Plan.Runbook+") は承認がそろわないまま期限切れになりました。何も実行していません。まだ必要ならもう一度依頼してください。"))
	}
	return err
}
