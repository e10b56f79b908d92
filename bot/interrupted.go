package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// ReportInterrupted says, in the thread where each was approved, which
// approved fixes a crash interrupted (the record marks them interrupted
// when the next wsbbot opens it; none is re-run): the step in flight,
// what the run may have left, the exact cleanup, and a button that
// requests the cleanup through the same approvals. Each run is reported
// once, across restarts. The serving adapter calls it once at start.
func (c *Core) ReportInterrupted(ctx context.Context) error {
	fixes, err := c.svc.UnreportedInterruptions(ctx)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, f := range fixes {
		ar, l := f.Request, f.Leftovers
		lang := runbooks.Lang(ar.Where["lang"])
		if lang != runbooks.LangJA {
			lang = runbooks.LangEN
		}
		r := req{channel: ar.Where["channel"], thread: ar.Where["thread"], lang: lang, t: texts{lang}}
		if r.channel == "" {
			continue // requested where nothing can be posted later
		}
		c.lg.Info("reporting an interrupted run", "run", l.Run.ID, "request", ar.ID, "channel", r.channel)
		if err := c.send(ctx, r, interruptedReply(r, ar, l)); err != nil {
			errs = append(errs, fmt.Errorf("report interrupted run %s: %w", l.Run.ID, err))
			continue // not recorded: the next start tries again
		}
		if err := c.svc.InterruptionReported(ctx, l.Run.ID, l.Run.Target, ar.Where); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// interruptedReply tells of one interrupted run in r's language.
func interruptedReply(r req, ar *oncall.ApprovalRequest, l *oncall.Leftovers) Reply {
	run := l.Run
	rep := r.reply(r.t.pick("Run "+run.ID+" was interrupted", "実行 "+run.ID+" は中断されました"))
	rep.Sections = []Section{{Text: r.t.pick(
		fmt.Sprintf("⚠ Run %s (%s on %s, approved in request %s by %s) was interrupted: wsbbot stopped while it ran. It was *not* re-run.",
			run.ID, run.Runbook, run.Target, ar.ID, userRefs(ar.Granted)),
		fmt.Sprintf("⚠ 実行 %s (%s での %s、依頼 %s を %s が承認) は中断されました。実行中に wsbbot が停止しました。再実行は*していません*。",
			run.ID, run.Target, run.Runbook, ar.ID, userRefs(ar.Granted)))}}
	if l.Nothing() {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"No changing step had started: it left nothing to clean up. Request it again if it is still needed.",
			"変更の手順は開始していなかったため、クリーンアップするものはありません。まだ必要ならもう一度依頼してください。")})
		return rep
	}
	sent := func(steps []oncall.SentStep, status bool) string {
		var b strings.Builder
		for _, st := range steps {
			name := st.Step
			if status {
				name += " (" + st.Status + ")"
			}
			fmt.Fprintf(&b, "%s: %s\n", name, oncall.Command(st.Shell, st.Script, st.Params))
		}
		return strings.TrimRight(b.String(), "\n")
	}
	if len(l.InFlight) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"*In flight when it stopped* (it may or may not have run):", "*停止時に実行中だった手順* (実行されたかどうかは不明):"),
			Code: sent(l.InFlight, false)})
	}
	if len(l.Changed) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("*Finished before it stopped:*", "*停止前に完了した手順:*"),
			Code: sent(l.Changed, true)})
	}
	switch {
	case l.Problem != "":
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("Its cleanup cannot be given: ", "クリーンアップを用意できません: ") + l.Problem})
	case len(l.Cleanup) == 0:
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("Its runbook has no cleanup step left to run.", "ランブックに実行するクリーンアップ手順は残っていません。")})
	default:
		var b strings.Builder
		for _, st := range l.Cleanup {
			fmt.Fprintf(&b, "%s (%s): %s\n", st.ID, st.Title.In(r.lang), oncall.Command(string(st.Shell), st.Script, st.Params))
		}
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"*It may have left changes on the server; its runbook's cleanup never ran.* The cleanup, exactly:",
			"*サーバーに変更が残っている可能性があります。ランブックのクリーンアップは実行されていません。* クリーンアップの内容:"),
			Code: strings.TrimRight(b.String(), "\n")})
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"*Request cleanup* plans it and asks for approval, like any fix (someone other than the requester approves). On the command line: `wsbbot cleanup "+run.ID+" --yes`.",
			"*クリーンアップを依頼* で計画を作り、ほかの修正と同じく承認を求めます (依頼者以外が承認します)。コマンドラインでは `wsbbot cleanup "+run.ID+" --yes` です。")})
		rep.Buttons = []Button{{Label: r.t.pick("Request cleanup", "クリーンアップを依頼"), ActionID: ActionCleanup, Value: run.ID, Style: StylePrimary}}
	}
	return rep
}

// requestCleanup handles a click on Request cleanup: the dry run of the
// interrupted run's cleanup, shown as a plan and made an approval request.
func (c *Core) requestCleanup(ctx context.Context, r req, runID string) error {
	c.submit(ctx, r, "cleanup "+runID, func(ctx context.Context, _ *task) {
		plan, err := c.svc.PlanCleanup(ctx, runID)
		if err != nil {
			_ = c.fail(ctx, r, err)
			return
		}
		rep := c.planReply(r, plan)
		rep.Title = r.t.pick("Cleanup of interrupted run "+runID, "中断された実行 "+runID+" のクリーンアップ")
		c.requestApproval(ctx, r, plan, runID, &rep)
		if _, err := c.sendRef(ctx, r, rep, "cleanup-"+runID); err != nil {
			c.lg.Error("cleanup plan reply failed", "run", runID, "err", err)
		}
	})
	return nil
}
