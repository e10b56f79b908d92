package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/wsbbot/wsbbot/oncall"
)

// PostWatchAlert posts what the backup watch found. A failure goes to the
// top of channel: the server, when it failed, the result and detailed
// codes and the message, then the catalogue's explanation of the code with
// the Diagnose and Fix buttons exactly as a lookup answers it; the thread
// remembers the code and server (so `diagnose` and `fix` there need no
// arguments) and the record where it was posted. A recovery is a short
// line in the failure's thread (in channel when the failure's post is not
// known).
func (c *Core) PostWatchAlert(ctx context.Context, channel string, a oncall.WatchAlert) error {
	r := c.newReq("wsbbot", "", "", channel, "", "")
	when := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 MST") }
	if a.Kind == oncall.WatchRecovery {
		if a.Where["channel"] != "" {
			r.channel, r.thread = a.Where["channel"], a.Where["ts"]
		}
		return c.say(ctx, r, r.t.pick(
			fmt.Sprintf("✓ Recovered: the backup of `%s` succeeded at %s (it had failed at %s with %s).", a.Server, when(a.Time), when(a.FailedAt), a.Code),
			fmt.Sprintf("✓ 回復: `%s` のバックアップが %s に成功しました (%s に %s で失敗していました)。", a.Server, when(a.Time), when(a.FailedAt), a.Code)))
	}
	rep := r.reply(r.t.pick("Backup failed on "+a.Server, a.Server+" のバックアップが失敗しました"))
	head := Section{Fields: []Field{
		{r.t.pick("Server", "サーバー"), a.Server},
		{r.t.pick("Failed at", "失敗時刻"), when(a.Time)},
		{r.t.pick("Result", "結果"), fmt.Sprintf("0x%08X", a.HR)},
		{r.t.pick("Detailed result", "詳細な結果"), fmt.Sprintf("0x%08X", a.DetailedHR)},
	}}
	if a.Message != "" {
		head.Code = a.Message
	}
	rep.Sections = []Section{head}
	if xs := c.svc.Explain(a.Code, r.lang); len(xs) > 0 {
		x := c.explanation(r, xs[0], a.Server)
		rep.Sections = append(rep.Sections, Section{Text: "*" + x.Title + "*"})
		rep.Sections = append(rep.Sections, x.Sections...)
		rep.Buttons = x.Buttons
		rep.Context = x.Context
	}
	rep.Context = joinNonEmpty(" · ", r.t.pick("backup watch, alert ", "バックアップ監視、アラート ")+a.ID, rep.Context)
	ref, err := c.sendRef(ctx, r, rep, "watch-"+a.ID)
	if err != nil {
		return err
	}
	c.threads.put(threadKey(channel, ref), threadContext{Code: a.Code, Server: a.Server})
	return c.svc.NoteWatchPosted(ctx, a, map[string]string{"channel": channel, "ts": ref})
}

func joinNonEmpty(sep string, parts ...string) string {
	out := ""
	for _, p := range parts {
		if p == "" {
			continue
		}
		if out != "" {
			out += sep
		}
		out += p
	}
	return out
}
