package bot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wsbbot/wsbbot/internal/suggest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// maxLookups bounds the codes answered for one message.
const maxLookups = 5

// lookup answers the codes in text, one reply each, and remembers the
// first code (and a server named in the text) for the thread.
// Text with no code and no verb is looked up too (cmd is then
// VerbUnknown): the catalogue knows message texts, names and events; when
// it finds nothing, the reply is the unknown-command one with cmd's
// suggestion.
func (c *Core) lookup(ctx context.Context, r req, cmd Command) error {
	text := cmd.Text
	xs := c.svc.Explain(text, r.lang)
	if len(xs) == 0 {
		return c.unknown(ctx, r, cmd)
	}
	server := c.serverIn(text)
	c.rememberThread(r, threadContext{Code: xs[0].Code, Server: server})
	var errs []error
	for i, x := range xs {
		if i == maxLookups {
			errs = append(errs, c.say(ctx, r, r.t.pick(
				fmt.Sprintf("%d more codes are in the text: paste them one at a time.", len(xs)-maxLookups),
				fmt.Sprintf("テキストにはほかに %d 個のコードがあります。1 つずつ貼り付けてください。", len(xs)-maxLookups))))
			break
		}
		errs = append(errs, c.send(ctx, r, c.explanation(r, x, server)))
	}
	return joinErrs(errs)
}

// serverIn returns the first inventory name that is a word of text.
func (c *Core) serverIn(text string) string {
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '(' || r == ')' || r == '"' || r == '\'' || r == '`' || r == ':'
	}) {
		w = strings.TrimRight(w, ".!?")
		if s, ok := c.svc.Server(w); ok {
			return s.Name
		}
	}
	return ""
}

// explanation is the lookup reply of one code: name, meaning, cause,
// first action, and the Diagnose / Fix / Guide buttons.
func (c *Core) explanation(r req, x runbooks.Explanation, server string) Reply {
	rep := r.reply(x.Heading())
	head := "*" + x.Title + "*"
	if x.FamilyName != "" {
		head += "  (" + x.FamilyName + ")"
	}
	sec := Section{Text: head}
	add := func(label, value string) {
		if value != "" {
			sec.Fields = append(sec.Fields, Field{Label: label, Value: value})
		}
	}
	add(r.t.pick("Meaning", "意味"), x.Message)
	add(r.t.pick("Cause", "原因"), x.Cause)
	add(r.t.pick("First action", "最初の対処"), x.FirstAction)
	rep.Sections = append(rep.Sections, sec)
	notes := x.Remarks()
	if how := x.HowFound(); how != "" {
		notes = append([]string{how}, notes...)
	}
	if len(notes) > 0 {
		rep.Context = strings.Join(notes, " · ")
	}
	if x.Outcome == runbooks.OutcomeSuccess {
		return rep
	}
	args := x.Code
	if server != "" {
		args = server + " " + x.Code
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("Server: `"+server+"`", "サーバー: `"+server+"`")})
	} else if c.svc.HasServers() {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"No server named: Diagnose and Fix will ask which one.",
			"サーバーが指定されていません。診断と修復ではサーバーを選んでいただきます。")})
	}
	if len(x.Runbooks.Diagnose) > 0 {
		rep.Buttons = append(rep.Buttons, Button{Label: r.t.pick("Diagnose", "診断"), ActionID: ActionDiagnose, Value: args, Style: StylePrimary})
	}
	if len(x.Runbooks.Fix) > 0 && x.Known {
		rep.Buttons = append(rep.Buttons, Button{Label: r.t.pick("Fix", "修復"), ActionID: ActionFix, Value: args})
	}
	if topic := guideTopic(x.Runbooks); topic != "" {
		rep.Buttons = append(rep.Buttons, Button{Label: r.t.pick("Guide", "ガイド"), ActionID: ActionGuide, Value: topic})
	}
	return rep
}

// guideTopic is the runbook the Guide button shows: the code's guide, else
// its fix runbook, else its first diagnostic.
func guideTopic(refs runbooks.RunbookRefs) string {
	for _, ids := range [][]string{refs.Guide, refs.Fix, refs.Diagnose} {
		if len(ids) > 0 {
			return ids[0]
		}
	}
	return ""
}

func (c *Core) unknown(ctx context.Context, r req, cmd Command) error {
	msg := r.t.pick("No error code or command found in that.", "エラー コードもコマンドも見つかりませんでした。")
	if cmd.Suggest != "" {
		msg += " " + r.t.pick("Did you mean `"+cmd.Suggest+"`?", "もしかして `"+cmd.Suggest+"` ですか?")
	}
	msg += " " + r.t.pick("`help` lists the commands.", "`help` でコマンドの一覧を表示できます。")
	return c.say(ctx, r, msg)
}

func (c *Core) help(r req) Reply {
	rep := r.reply(r.t.pick("wsbbot: what I understand", "wsbbot: 使えるコマンド"))
	rep.Sections = []Section{{
		Text: r.t.pick(
			"Paste an error code or a whole log line (0x800423F4, 800423f4, 2155348249, ０ｘ８０７８０１１９) for its meaning, cause and first action. Commands:",
			"エラー コードやログ行 (0x800423F4、800423f4、2155348249、０ｘ８０７８０１１９) を貼り付けると、意味・原因・最初の対処を答えます。コマンド:"),
		Code: r.t.pick(strings.Join([]string{
			"diagnose [SERVER] [CODE]            read-only checks for the code  (診断)",
			"fix [SERVER] [CODE]                 the fix's plan (dry run)  (修復)",
			"run RUNBOOK on SERVER [key=value]   a runbook: its plan, or its checks  (実行)",
			"audit [SERVER|GROUP]                the five-rule checklist  (監査)",
			"restore-test done SERVER [DATE]     record a restore test  (復元テスト)",
			"history [SERVER] · status RUN · cancel TASK  (履歴 · 状態 · キャンセル)",
			"runbooks · guide TOPIC · servers · help  (ランブック · ガイド · サーバー · ヘルプ)",
		}, "\n"), strings.Join([]string{
			"診断 [サーバー] [コード]               コードに応じた読み取り専用の診断  (diagnose)",
			"修復 [サーバー] [コード]               修復の計画 (ドライラン)  (fix)",
			"実行 ランブック で サーバー [キー=値]   ランブックの計画または診断  (run)",
			"監査 [サーバー|グループ]               5 つのルールのチェックリスト  (audit)",
			"復元テスト 完了 サーバー [日付]         復元テストを記録  (restore-test done)",
			"履歴 [サーバー] · 状態 実行ID · キャンセル タスクID  (history · status · cancel)",
			"ランブック · ガイド トピック · サーバー · ヘルプ  (runbooks · guide · servers · help)",
		}, "\n")),
	}}
	rep.Context = r.t.pick("In a lookup's thread, `diagnose` and `fix` with no arguments use its code and server.",
		"調べたコードのスレッドでは、引数なしの `diagnose` と `fix` がそのコードとサーバーを使います。")
	return rep
}

func (c *Core) servers(ctx context.Context, r req) error {
	inv := c.svc.Servers()
	if len(inv) == 0 {
		return c.say(ctx, r, r.t.pick("No servers are configured here: give wsbbot an inventory (targets).",
			"サーバーが設定されていません。インベントリ (targets) を指定してください。"))
	}
	var b strings.Builder
	for _, s := range inv {
		b.WriteString(s.Name)
		if len(s.Tags) > 0 {
			b.WriteString("  [" + strings.Join(s.Tags, ", ") + "]")
		}
		b.WriteString("\n")
	}
	rep := r.reply(r.t.pick(fmt.Sprintf("%d servers", len(inv)), fmt.Sprintf("サーバー %d 台", len(inv))))
	rep.Sections = []Section{{Code: strings.TrimRight(b.String(), "\n")}}
	return c.send(ctx, r, rep)
}

func (c *Core) runbooks(ctx context.Context, r req) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, rb := range c.svc.Runbooks() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", rb.ID, rb.Category, rb.Title.In(r.lang))
	}
	tw.Flush()
	rep := r.reply(r.t.pick("Runbooks and guides", "ランブックとガイド"))
	rep.Sections = []Section{{Code: strings.TrimRight(b.String(), "\n")}}
	rep.Context = r.t.pick("`guide ID` shows one; `run ID on SERVER` plans or runs it.", "`guide ID` で内容を、`run ID on SERVER` で計画または実行します。")
	_, err := c.sendRef(ctx, r, rep, "runbooks")
	return err
}

func (c *Core) guide(ctx context.Context, r req, topic string) error {
	rb, err := c.svc.Guide(topic)
	if err != nil {
		return c.fail(ctx, r, err)
	}
	rep := r.reply(rb.ID + " — " + rb.Title.In(r.lang))
	if body := rb.Body.In(r.lang); body != "" {
		rep.Sections = []Section{{Text: strings.TrimRight(body, "\n")}}
	} else {
		var steps strings.Builder
		for _, st := range rb.Steps {
			fmt.Fprintf(&steps, "[%s] %s: %s\n", st.Mode, st.ID, st.Title.In(r.lang))
		}
		rep.Sections = []Section{
			{Text: strings.TrimRight(rb.Description.In(r.lang), "\n")},
			{Text: r.t.pick("*Steps*", "*ステップ*"), Code: strings.TrimRight(steps.String(), "\n")},
		}
	}
	_, err = c.sendRef(ctx, r, rep, "guide-"+rb.ID)
	return err
}

func (c *Core) history(ctx context.Context, r req, server string) error {
	if server != "" {
		s, ok := c.server(ctx, r, server)
		if !ok {
			return nil
		}
		server = s
	}
	runs, err := c.svc.History(ctx, server, 50)
	if err != nil {
		return c.fail(ctx, r, err)
	}
	if len(runs) == 0 {
		return c.say(ctx, r, r.t.pick("No runs are recorded yet.", "記録された実行はまだありません。"))
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTARGET\tRUNBOOK\tSTATUS\tBY")
	for _, x := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", x.ID, x.Started.Local().Format("2006-01-02 15:04:05"), x.Target, x.Runbook, x.Status, x.Actor)
	}
	tw.Flush()
	rep := r.reply(r.t.pick(fmt.Sprintf("History: the %d latest runs", len(runs)), fmt.Sprintf("履歴: 最新 %d 件の実行", len(runs))))
	rep.Sections = []Section{{Code: strings.TrimRight(b.String(), "\n")}}
	rep.Context = r.t.pick("`status RUN` shows one run.", "`status RUN` で 1 件の詳細を表示します。")
	_, err = c.sendRef(ctx, r, rep, "history")
	return err
}

// status reports a task of this core, or a recorded run.
func (c *Core) status(ctx context.Context, r req, id string) error {
	if t, ok := c.tasks.get(id); ok {
		t.cancelMu.Lock()
		state := t.State
		t.cancelMu.Unlock()
		return c.say(ctx, r, fmt.Sprintf("%s: `%s` — %s", t.ID, t.What, c.taskState(r, state)))
	}
	tl, err := c.svc.Timeline(ctx, id)
	if err != nil {
		return c.fail(ctx, r, err)
	}
	x := tl.Run
	rep := r.reply(r.t.pick("Run ", "実行 ") + x.ID)
	sec := Section{Fields: []Field{
		{r.t.pick("Runbook", "ランブック"), x.Runbook},
		{r.t.pick("Server", "サーバー"), x.Target},
		{r.t.pick("Status", "状態"), x.Status},
		{r.t.pick("Requested by", "依頼者"), x.Actor},
		{r.t.pick("Started", "開始"), x.Started.Local().Format(time.DateTime)},
		{r.t.pick("Steps", "ステップ数"), itoa(x.Steps)},
	}}
	if !x.Finished.IsZero() {
		sec.Fields = append(sec.Fields, Field{r.t.pick("Finished", "終了"), x.Finished.Local().Format(time.DateTime)})
	}
	if x.Summary != "" {
		sec.Fields = append(sec.Fields, Field{r.t.pick("Summary", "概要"), x.Summary})
	}
	rep.Sections = []Section{sec}
	return c.send(ctx, r, rep)
}

func (c *Core) taskState(r req, s string) string {
	switch s {
	case "queued":
		return r.t.pick("waiting", "待機中")
	case "running":
		return r.t.pick("running", "実行中")
	case "done":
		return r.t.pick("done", "完了")
	case "cancelled":
		return r.t.pick("cancelled", "中止")
	}
	return s
}

// cancelTask stops a task of this core: a run in it ends cancelled (its
// cleanup still runs) and is recorded so.
func (c *Core) cancelTask(ctx context.Context, r req, id string) error {
	t, ok := c.tasks.get(id)
	if !ok {
		return c.say(ctx, r, r.t.pick("No task `"+id+"`: tasks in progress are named in their progress message (t1, t2, …).",
			"タスク `"+id+"` はありません。実行中のタスクは進捗メッセージに表示されています (t1、t2 …)。"))
	}
	if !slices.Contains(t.Owners, r.userID) && c.access.role(ctx, r.userID) < RoleAdmin {
		return c.refuse(ctx, r, nil, r.t.pick(
			"Sorry, only who asked for "+t.ID+" (and, for a fix, its approvers) or an admin may cancel it: "+userRefs(t.Owners)+".",
			"申し訳ありませんが、"+t.ID+" を中止できるのは依頼した人 (修復ではその承認者) か管理者だけです: "+userRefs(t.Owners)+"。"))
	}
	t.cancelMu.Lock()
	state := t.State
	switch state {
	case "queued":
		t.State = "cancelled"
	case "running":
		t.State = "cancelled"
		t.cancel()
	}
	t.cancelMu.Unlock()
	if state != "queued" && state != "running" {
		return c.say(ctx, r, fmt.Sprintf("%s: `%s` — %s", t.ID, t.What, c.taskState(r, state)))
	}
	c.lg.Info("task cancelled", "task", t.ID, "by", r.user)
	return c.say(ctx, r, r.t.pick("Cancelled "+t.ID+" (`"+t.What+"`).", t.ID+" (`"+t.What+"`) を中止しました。"))
}

func (c *Core) restoreTest(ctx context.Context, r req, cmd Command) error {
	var day time.Time
	if cmd.Date != "" {
		var err error
		if day, err = time.ParseInLocation(time.DateOnly, cmd.Date, time.Local); err != nil {
			return c.say(ctx, r, r.t.pick("The date must be YYYY-MM-DD.", "日付は YYYY-MM-DD の形式で指定してください。"))
		}
	}
	server, ok := c.server(ctx, r, cmd.Server)
	if !ok {
		return nil
	}
	rt, err := c.svc.RestoreTestDone(ctx, server, day, r.user)
	if err != nil {
		return c.fail(ctx, r, err)
	}
	d := rt.Date.Format(time.DateOnly)
	return c.say(ctx, r, r.t.pick("Recorded: a restore test of `"+rt.Server+"` on "+d+".", "記録しました: `"+rt.Server+"` の復元テスト ("+d+")。"))
}

// closestServer is the inventory name nearest to name, if close.
func closestServer(name string, inv oncall.Inventory) (string, bool) {
	names := make([]string, len(inv))
	for i, s := range inv {
		names[i] = s.Name
	}
	return suggest.Closest(name, names, 3)
}

func joinErrs(errs []error) error { return errors.Join(errs...) }
