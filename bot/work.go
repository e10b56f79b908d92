package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// target resolves the server and code of diagnose or fix: those named,
// else the thread's. ok is false when the user has been answered already
// (unknown server, or a picker posted).
func (c *Core) target(ctx context.Context, r req, cmd Command, action string) (server, code string, ok bool) {
	tc := c.threadContext(r)
	server, code = cmd.Server, cmd.Code
	if code == "" {
		code = tc.Code
	}
	if server == "" {
		server = tc.Server
	}
	if server == "" {
		c.picker(ctx, r, action, code)
		return "", "", false
	}
	s, found := c.server(ctx, r, server)
	if !found {
		return "", "", false
	}
	if cmd.Server != "" && code != "" {
		// The thread now is about this server too.
		c.rememberThread(r, threadContext{Code: code, Server: s})
	}
	return s, code, true
}

// picker asks which server: a menu of the inventory (up to the menu's
// limit), or, beyond it, for the name.
func (c *Core) picker(ctx context.Context, r req, action, code string) {
	inv := c.svc.Servers()
	verb := "diagnose"
	if action == ActionFix {
		verb = "fix"
	}
	if len(inv) == 0 {
		_ = c.say(ctx, r, r.t.pick("No servers are configured here: give wsbbot an inventory (targets).",
			"サーバーが設定されていません。インベントリ (targets) を指定してください。"))
		return
	}
	rep := r.reply("")
	m := Menu{Placeholder: r.t.pick("Choose a server", "サーバーを選択"), ActionID: action}
	if len(inv) > MaxMenuOptions {
		// Too many for a static menu: one that loads the names as the
		// user types, and the command to type where menus cannot load.
		rep.Sections = []Section{{Text: r.t.pick(
			fmt.Sprintf("Which server? There are %d: type part of its name in the menu, or name it, as `%s SERVER %s`.", len(inv), verb, code),
			fmt.Sprintf("どのサーバーですか? %d 台あるので、メニューに名前の一部を入力するか、`%s SERVER %s` の形で名前を指定してください。", len(inv), verb, code))}}
		m.Placeholder = r.t.pick("Type a server name", "サーバー名を入力")
		m.Load = strings.TrimSpace(loadServers + " " + code)
		rep.Menus = []Menu{m}
		_ = c.send(ctx, r, rep)
		return
	}
	rep.Sections = []Section{{Text: r.t.pick("Which server?", "どのサーバーですか?")}}
	for _, s := range inv {
		m.Options = append(m.Options, Option{Label: s.Name, Value: strings.TrimSpace(s.Name + " " + code)})
	}
	rep.Menus = []Menu{m}
	_ = c.send(ctx, r, rep)
}

// loadServers starts the Load of a server picker: "servers [CODE]".
const loadServers = "servers"

// MenuOptions answers a menu's Load with the options whose label holds
// query (case-insensitively), at most MaxMenuOptions, in inventory order;
// none for a Load the core did not write.
func (c *Core) MenuOptions(load, query string) []Option {
	f := strings.Fields(load)
	if len(f) == 0 || f[0] != loadServers || len(f) > 2 {
		return nil
	}
	code := ""
	if len(f) == 2 {
		code = f[1]
	}
	q := strings.ToLower(Normalize(query))
	var out []Option
	for _, s := range c.svc.Servers() {
		if !strings.Contains(strings.ToLower(s.Name), q) {
			continue
		}
		out = append(out, Option{Label: truncate(s.Name, MaxLabelChars), Value: strings.TrimSpace(s.Name + " " + code)})
		if len(out) == MaxMenuOptions {
			break
		}
	}
	return out
}

func (c *Core) diagnose(ctx context.Context, r req, cmd Command) error {
	server, code, ok := c.target(ctx, r, cmd, ActionDiagnose)
	if !ok {
		return nil
	}
	what := strings.TrimSpace("diagnose " + server + " " + code)
	c.react(ctx, r, "eyes")
	c.submit(ctx, r, what, func(ctx context.Context, t *task) {
		title := r.t.pick("Diagnosing "+server, server+" を診断中")
		if code != "" {
			title += " (" + code + ")"
		}
		p := c.startProgress(ctx, r, title+" · "+t.ID)
		d, err := c.svc.Diagnose(ctx, oncall.DiagnoseRequest{Server: server, Code: code, Actor: r.user}, p)
		n := 0
		if d != nil {
			n = len(d.Results)
		}
		p.done(r.t.pick(fmt.Sprintf("Done: %d checks ran.", n), fmt.Sprintf("完了: %d 件の診断を実行しました。", n)))
		if d != nil {
			_, _ = c.sendRef(ctx, r, c.verdict(r, d), "diagnosis-"+server)
		}
		if err != nil {
			_ = c.fail(ctx, r, err)
		}
	})
	return nil
}

// react marks the user's message (not a click) as being worked on.
func (c *Core) react(ctx context.Context, r req, name string) {
	if r.msgTS == "" {
		return
	}
	if err := c.out.React(ctx, r.channel, r.msgTS, name); err != nil {
		c.lg.Warn("reaction failed", "err", err)
	}
}

// verdict is a diagnosis's answer: what each check found, with the
// evidence parsed from the output, and the next step.
func (c *Core) verdict(r req, d *oncall.Diagnosis) Reply {
	failed := 0
	for _, res := range d.Results {
		if res.Status != runbooks.RunSucceeded {
			failed++
		}
	}
	var x *runbooks.Explanation
	if d.Code != "" {
		if xs := c.svc.Explain(d.Code, r.lang); len(xs) > 0 {
			x = &xs[0]
		}
	}
	title := d.Conclusion(x, r.lang)
	var next []Section
	if n := d.NextStep(x, r.lang); n != "" {
		next = []Section{{Text: r.t.pick("*Next step:* ", "*次の手順:* ") + n}}
	}
	rep := r.reply(title)
	rep.Sections = append(rep.Sections, next...)
	for _, res := range d.Results {
		rep.Sections = append(rep.Sections, c.resultSection(r, res))
	}
	if len(d.Missing) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("Not run (not a loaded diagnostic runbook): ", "実行しなかったもの (読み込まれた診断ランブックではありません): ") +
			"`" + strings.Join(d.Missing, "`, `") + "`"})
	}
	if x == nil {
		return rep
	}
	args := d.Server + " " + d.Code
	if fix := x.Runbooks.Fix; len(fix) > 0 && x.Known && failed > 0 {
		rep.Buttons = append(rep.Buttons, Button{Label: r.t.pick("Fix", "修復"), ActionID: ActionFix, Value: args, Style: StylePrimary})
	} else if failed > 0 && x.FirstAction != "" {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick(
			"*First action:* "+x.FirstAction, "*最初の対処:* "+x.FirstAction)})
	}
	if topic := guideTopic(x.Runbooks); topic != "" {
		rep.Buttons = append(rep.Buttons, Button{Label: r.t.pick("Guide", "ガイド"), ActionID: ActionGuide, Value: topic})
	}
	return rep
}

// resultSection is one run's outcome: its status, the expectations that
// failed, the parsed evidence and any error.
func (c *Core) resultSection(r req, res *runbooks.Result) Section {
	title := res.Runbook
	if rb, err := c.svc.Guide(res.Runbook); err == nil {
		title = rb.Title.In(r.lang)
	}
	sym := "✓"
	if res.Status != runbooks.RunSucceeded {
		sym = "✗"
	}
	head := fmt.Sprintf("%s *%s* — %s (`%s`, %s %s)", sym, title, res.Status.In(r.lang), res.Runbook, r.t.pick("run", "実行"), res.RunID)
	if res.Verified {
		head += " " + r.t.pick("· verified", "· 検証済み")
	}
	lines := []string{head}
	var fields []Field
	// What the verification found, by report key: shown beside what the
	// steps found before the change (before → after).
	verified, shown := map[string]string{}, map[string]bool{}
	for _, s := range res.Steps {
		if s.Phase == runbooks.PhaseVerify {
			for k, v := range s.Report {
				verified[k] = evidenceValue(v)
			}
		}
	}
	for _, s := range res.Steps {
		for _, v := range s.Expectations {
			if v.OK {
				continue
			}
			lines = append(lines, "   ✗ "+v.Sentence(r.lang))
		}
		if s.Status == runbooks.StepError || s.Status == runbooks.StepRefused {
			lines = append(lines, "   "+s.Status.Mark()+" "+stepTitle(s.Title.In(r.lang), s.ID, s.Iteration))
		}
		if s.Phase == runbooks.PhaseVerify {
			continue // shown as the "after" of what the steps before found
		}
		for _, k := range slices.Sorted(maps.Keys(s.Report)) {
			if hiddenEvidence(k) {
				continue
			}
			v := evidenceValue(s.Report[k])
			if after, ok := verified[k]; ok && !shown[k] {
				shown[k] = true
				fields = append(fields, Field{Label: r.t.evidenceLabel(k), Value: orNone(r, v) + " → " + orNone(r, after)})
				continue
			}
			if v != "" && !shown[k] {
				fields = append(fields, Field{Label: r.t.evidenceLabel(k), Value: v})
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(verified)) {
		if !shown[k] && !hiddenEvidence(k) && verified[k] != "" {
			fields = append(fields, Field{Label: r.t.evidenceLabel(k), Value: verified[k]})
		}
	}
	sec := Section{Text: strings.Join(lines, "\n"), Fields: fields}
	var errText []string
	if res.Error != "" {
		errText = append(errText, res.Error)
	}
	if res.Hint != "" {
		errText = append(errText, res.Hint)
	}
	if len(errText) > 0 {
		sec.Code = strings.Join(errText, "\n")
	}
	return sec
}

// orNone is v, or a word for nothing.
func orNone(r req, v string) string {
	if v == "" {
		return r.t.pick("none", "なし")
	}
	return v
}

// evidenceValue shows a report value: lists joined, nothing for empty.
func evidenceValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			if s := evidenceValue(e); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, "; ")
	case []string:
		return strings.Join(x, "; ")
	case string:
		return x
	}
	return fmt.Sprint(v)
}

func (c *Core) fix(ctx context.Context, r req, cmd Command) error {
	tc := c.threadContext(r)
	code := cmd.Code
	if code == "" {
		code = tc.Code
	}
	if code == "" {
		return c.say(ctx, r, r.t.pick("Fix what? Paste the error code first, or use `fix SERVER CODE`.",
			"何を修復しますか? 先にエラー コードを貼り付けるか、`fix SERVER CODE` の形で指定してください。"))
	}
	xs := c.svc.Explain(code, r.lang)
	if len(xs) == 0 {
		return c.say(ctx, r, r.t.pick("`"+code+"` is not an error code.", "`"+code+"` はエラー コードではありません。"))
	}
	x := xs[0]
	if len(x.Runbooks.Fix) == 0 || !x.Known {
		rep := r.reply("")
		rep.Sections = []Section{{Text: r.t.pick(x.Code+" has no fix runbook: diagnose it, then follow its first action.",
			x.Code+" には修復ランブックがありません。診断してから最初の対処に従ってください。")}}
		if len(x.Runbooks.Diagnose) > 0 {
			rep.Buttons = []Button{{Label: r.t.pick("Diagnose", "診断"), ActionID: ActionDiagnose, Value: strings.TrimSpace(cmd.Server + " " + x.Code)}}
		}
		return c.send(ctx, r, rep)
	}
	server, _, ok := c.target(ctx, r, Command{Server: cmd.Server, Code: x.Code}, ActionFix)
	if !ok {
		return nil
	}
	return c.plan(ctx, r, oncall.RunRequest{Runbook: x.Runbooks.Fix[0], Server: server, Actor: r.user})
}

// runCommand answers `run RUNBOOK on SERVER`: a guide is shown, a
// diagnostic runs (read-only), anything else is planned.
func (c *Core) runCommand(ctx context.Context, r req, cmd Command) error {
	rb, err := c.svc.Guide(cmd.Runbook)
	if err != nil || rb.ID != cmd.Runbook && rb.ID != "guide-"+cmd.Runbook {
		var ids []string
		for _, x := range c.svc.Runbooks() {
			ids = append(ids, x.ID)
		}
		msg := r.t.pick("No runbook `"+cmd.Runbook+"`.", "ランブック `"+cmd.Runbook+"` はありません。")
		if s, ok := closestName(cmd.Runbook, ids); ok {
			msg += " " + r.t.pick("Did you mean `"+s+"`?", "もしかして `"+s+"` ですか?")
		} else {
			msg += " " + r.t.pick("`runbooks` lists them.", "`runbooks` で一覧を表示できます。")
		}
		return c.say(ctx, r, msg)
	}
	server, ok := c.server(ctx, r, cmd.Server)
	if !ok {
		return nil
	}
	req := oncall.RunRequest{Runbook: rb.ID, Server: server, Params: cmd.Params, Actor: r.user}
	switch rb.Category {
	case runbooks.CategoryGuide:
		return c.guide(ctx, r, rb.ID)
	case runbooks.CategoryDiagnose:
		c.react(ctx, r, "eyes")
		c.submit(ctx, r, "run "+rb.ID+" on "+server, func(ctx context.Context, t *task) {
			p := c.startProgress(ctx, r, r.t.pick("Running "+rb.ID+" on "+server, server+" で "+rb.ID+" を実行中")+" · "+t.ID)
			res, err := c.svc.Run(ctx, req, p)
			p.done(r.t.pick("Done.", "完了しました。"))
			if err != nil {
				_ = c.fail(ctx, r, err)
				return
			}
			c.postResult(ctx, r, res)
		})
		return nil
	}
	return c.plan(ctx, r, req)
}

func closestName(name string, names []string) (string, bool) {
	inv := make(oncall.Inventory, len(names))
	for i, n := range names {
		inv[i] = oncall.Server{Name: n}
	}
	return closestServer(name, inv)
}

// plan makes the dry run and shows it. A plan with changes becomes an
// approval request (Approve / Deny buttons) under the configured policy;
// with no approvers configured the reply says how an operator applies it.
func (c *Core) plan(ctx context.Context, r req, rr oncall.RunRequest) error {
	c.react(ctx, r, "eyes")
	c.submit(ctx, r, "run "+rr.Runbook+" on "+rr.Server, func(ctx context.Context, t *task) {
		plan, err := c.svc.Plan(ctx, rr)
		if err != nil {
			_ = c.fail(ctx, r, err)
			return
		}
		rep := c.planReply(r, plan)
		if !plan.Refused && hasChange(plan) {
			c.requestApproval(ctx, r, plan, "", &rep)
		}
		if _, err := c.sendRef(ctx, r, rep, "plan-"+plan.Runbook+"-"+plan.Target); err != nil {
			c.lg.Error("plan reply failed", "runbook", plan.Runbook, "target", plan.Target, "err", err)
		}
	})
	return nil
}

func hasChange(p *runbooks.Plan) bool {
	return slices.ContainsFunc(p.Steps, func(s runbooks.RenderedStep) bool { return s.Mode == runbooks.ModeChange && !s.Skipped })
}

// planReply shows a dry run: what the read-only steps found, every step
// exactly as it would be sent, the warnings, and the plan's hash.
func (c *Core) planReply(r req, p *runbooks.Plan) Reply {
	rep := r.reply(r.t.pick("Plan: "+p.Runbook+" on "+p.Target, "計画: "+p.Target+" での "+p.Runbook))
	params := make([]string, 0, len(p.Params))
	for _, k := range slices.Sorted(maps.Keys(p.Params)) {
		params = append(params, fmt.Sprintf("%s=%v", k, p.Params[k]))
	}
	head := Section{Text: "*" + p.Title.In(r.lang) + "*", Fields: []Field{
		{r.t.pick("Runbook", "ランブック"), fmt.Sprintf("%s v%d", p.Runbook, p.Version)},
		{r.t.pick("Server", "サーバー"), p.Target},
	}}
	if len(params) > 0 {
		head.Fields = append(head.Fields, Field{r.t.pick("Parameters", "パラメーター"), strings.Join(params, " ")})
	}
	rep.Sections = []Section{head}
	if p.Refused {
		rep.Sections = append(rep.Sections, Section{Text: r.t.pick("⊘ *Refused:* a precondition failed, so a run now would change nothing.",
			"⊘ *拒否:* 前提条件を満たしていないため、いま実行しても何も変更されません。")})
	}
	var warnings []string
	for _, f := range p.Findings {
		sec := Section{Text: f.Status.Mark() + " " + stepTitle(f.Title.In(r.lang), f.ID, f.Iteration)}
		for _, v := range f.Expectations {
			if !v.OK {
				sec.Text += "\n   ✗ " + v.Message.In(r.lang)
			}
		}
		for _, k := range slices.Sorted(maps.Keys(f.Report)) {
			v := evidenceValue(f.Report[k])
			if v == "" || hiddenEvidence(k) {
				continue
			}
			sec.Fields = append(sec.Fields, Field{r.t.evidenceLabel(k), v})
			if k == "disruptive" {
				warnings = append(warnings, r.t.pick(
					"⚠ Restarting "+v+" interrupts what the server is for: schedule it.",
					"⚠ "+v+" を再起動するとサーバーの業務が中断します。計画的に実施してください。"))
			}
		}
		rep.Sections = append(rep.Sections, sec)
	}
	var steps strings.Builder
	for _, s := range p.Steps {
		state := ""
		switch {
		case s.Skipped:
			state = r.t.pick(" (skipped: condition false)", " (スキップ: 条件が偽)")
		case s.Conditional:
			state = r.t.pick(" (decided during the run)", " (実行時に判断)")
		}
		fmt.Fprintf(&steps, "[%s] %s %s — %s%s\n  %s> %s\n", s.Phase, s.Mode, stepTitle(s.ID, "", s.Iteration), s.Title.In(r.lang), state,
			s.Shell, strings.ReplaceAll(strings.TrimRight(s.Script, "\n"), "\n", "\n    "))
		if s.Params != "" && s.Params != "{}" {
			fmt.Fprintf(&steps, "  $P = %s\n", s.Params)
		}
		if d := s.Description.In(r.lang); d != "" && s.Mode == runbooks.ModeChange && !s.Skipped {
			warnings = append(warnings, "⚠ "+strings.TrimSpace(d))
		}
	}
	rep.Sections = append(rep.Sections, Section{Text: r.t.pick("*Steps, exactly as they will be sent:*", "*送信されるとおりのステップ:*"),
		Code: strings.TrimRight(steps.String(), "\n")})
	if len(warnings) > 0 {
		rep.Sections = append(rep.Sections, Section{Text: strings.Join(warnings, "\n")})
	}
	rep.Context = r.t.pick("plan hash ", "計画ハッシュ ") + p.Hash()
	return rep
}

// postResult posts a run's outcome.
func (c *Core) postResult(ctx context.Context, r req, res *runbooks.Result) {
	title := fmt.Sprintf("%s: %s — %s", res.RunID, res.Runbook+" / "+res.Target, res.Status.In(r.lang))
	if res.Verified {
		title += r.t.pick(", verified", "、検証済み")
	}
	rep := r.reply(title)
	rep.Sections = []Section{c.resultSection(r, res)}
	var steps []string
	for _, s := range res.Steps {
		steps = append(steps, fmt.Sprintf("%s [%s] %s (%s %d)", s.Status.Mark(), s.Phase, stepTitle(s.Title.In(r.lang), s.ID, s.Iteration), r.t.pick("exit code", "終了コード"), s.ExitCode))
	}
	rep.Sections = append(rep.Sections, Section{Text: strings.Join(steps, "\n")})
	_, _ = c.sendRef(ctx, r, rep, "run-"+res.RunID)
}

// audit checks servers against the five-rule checklist: one server, the
// servers of a group, or all.
func (c *Core) audit(ctx context.Context, r req, topic string) error {
	ar := oncall.AuditRequest{Actor: r.user}
	if topic != "" {
		if s, ok := c.svc.Servers().Server(topic); ok {
			ar.Server = s.Name
		} else if len(c.svc.Servers().Tagged(topic)) > 0 {
			ar.Group = topic
		} else {
			_, _ = c.server(ctx, r, topic)
			return nil
		}
	}
	c.react(ctx, r, "eyes")
	c.submit(ctx, r, strings.TrimSpace("audit "+topic), func(ctx context.Context, t *task) {
		p := c.startProgress(ctx, r, r.t.pick("Auditing", "監査中")+" · "+t.ID)
		rep, err := c.svc.Audit(ctx, ar)
		p.done(r.t.pick("Done.", "完了しました。"))
		if err != nil {
			_ = c.fail(ctx, r, err)
			return
		}
		_, _ = c.sendRef(ctx, r, c.auditReply(r, rep, ""), "audit-"+rep.ID)
	})
	return nil
}
