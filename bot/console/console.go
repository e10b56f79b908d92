package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/render"
	"github.com/wsbbot/wsbbot/runbooks"
)

// Options configure a Console.
type Options struct {
	Service *oncall.Service
	In      io.Reader
	Out     io.Writer
	// Progress receives each step of a run as it goes (nil: none).
	Progress io.Writer
	Lang     runbooks.Lang
	// User names the person at the terminal in the record: who asked and
	// who confirmed ("console:alice").
	User   string
	Logger *slog.Logger
}

// Console is one terminal chat session.
type Console struct {
	svc      *oncall.Service
	in       *bufio.Scanner
	out      io.Writer
	progress runbooks.Observer
	lang     runbooks.Lang
	user     string
	lg       *slog.Logger

	// lastCode is the code of the last lookup that found one (its first
	// code), which `diagnose SERVER` uses when no code is named.
	lastCode string
}

// New returns a console over o.Service.
func New(o Options) *Console {
	sc := bufio.NewScanner(o.In)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	c := &Console{svc: o.Service, in: sc, out: o.Out, lang: o.Lang, user: o.User, lg: o.Logger}
	if c.lang == "" {
		c.lang = runbooks.LangEN
	}
	if c.lg == nil {
		c.lg = slog.New(slog.DiscardHandler)
	}
	if o.Progress != nil {
		c.progress = render.Progress{W: o.Progress, Lang: c.lang}
	}
	return c
}

func (c *Console) say(en, ja string) {
	if c.lang == runbooks.LangJA {
		fmt.Fprintln(c.out, ja)
	} else {
		fmt.Fprintln(c.out, en)
	}
}

// Run reads and answers lines until the input ends, "quit", or ctx is done.
func (c *Console) Run(ctx context.Context) error {
	c.say("wsbbot console: paste an error code (e.g. 0x80780119) or a log line, or type a command. \"help\", \"quit\".",
		"wsbbot コンソール: エラー コード (例: 0x80780119) やログ行を貼り付けるか、コマンドを入力してください。\"help\"、\"quit\"。")
	for {
		fmt.Fprint(c.out, "> ")
		if !c.in.Scan() || ctx.Err() != nil {
			fmt.Fprintln(c.out)
			return c.in.Err()
		}
		line := strings.TrimSpace(c.in.Text())
		if line == "" {
			continue
		}
		if done := c.handle(ctx, parse(line)); done {
			return nil
		}
	}
}

// handle answers one command; it reports whether the session ends.
func (c *Console) handle(ctx context.Context, cmd command) bool {
	switch cmd.verb {
	case verbQuit:
		return true
	case verbHelp:
		fmt.Fprintln(c.out, strings.TrimSpace(help))
	case verbBad:
		c.say("Usage: "+cmd.usage, "使い方: "+cmd.usage)
	case verbServers:
		servers := c.svc.Servers()
		if len(servers) == 0 {
			c.say("No servers: give --config with an inventory (targets).", "サーバーがありません: インベントリ (targets) を含む --config を指定してください。")
		}
		for _, s := range servers {
			fmt.Fprintln(c.out, s.Name)
		}
	case verbDiagnose:
		c.diagnose(ctx, cmd)
	case verbRun:
		c.run(ctx, cmd)
	case verbAudit:
		rep, err := c.svc.Audit(ctx, oncall.AuditRequest{Server: cmd.server, Actor: c.user})
		if err != nil {
			c.fail(err)
			return false
		}
		render.Matrix(c.out, rep, c.lang)
	case verbHistory:
		runs, err := c.svc.History(ctx, cmd.server, 20)
		if err != nil {
			c.fail(err)
			return false
		}
		_ = render.History(c.out, runs)
	case verbRestoreTest:
		var day time.Time
		if cmd.date != "" {
			var err error
			if day, err = time.ParseInLocation(time.DateOnly, cmd.date, time.Local); err != nil {
				c.say("The date must be YYYY-MM-DD.", "日付は YYYY-MM-DD の形式で指定してください。")
				return false
			}
		}
		rt, err := c.svc.RestoreTestDone(ctx, cmd.server, day, c.user)
		if err != nil {
			c.fail(err)
			return false
		}
		d := rt.Date.Format(time.DateOnly)
		c.say("Recorded: restore test on "+rt.Server+" on "+d+".", "記録しました: "+rt.Server+" の復元テスト ("+d+")。")
	case verbRunbooks:
		_ = render.Runbooks(c.out, c.svc.Runbooks(), c.lang)
	case verbGuide:
		rb, err := c.svc.Guide(cmd.target)
		if err != nil {
			c.fail(err)
			return false
		}
		render.Guide(c.out, rb, c.lang)
	default:
		xs := c.svc.Explain(cmd.text, c.lang)
		if len(xs) == 0 {
			c.say("No error code or command found in that text (\"help\" lists the commands).",
				"エラー コードもコマンドも見つかりませんでした (\"help\" でコマンド一覧)。")
			return false
		}
		c.lastCode = xs[0].Code
		render.Explanations(c.out, xs, c.lang)
	}
	return false
}

// fail tells the user what they may know about err; an internal cause
// goes to the operator's log only.
func (c *Console) fail(err error) {
	if oncall.Code(err) == "" {
		c.lg.Error("console command failed", "user", c.user, "err", err)
	}
	fmt.Fprintln(c.out, oncall.Message(err, c.lang))
}

func (c *Console) diagnose(ctx context.Context, cmd command) {
	code := cmd.code
	if code == "" {
		code = c.lastCode
	}
	if code != "" && cmd.code == "" {
		c.say("Diagnosing "+cmd.server+" for "+code+" (the last code looked up).",
			cmd.server+" を "+code+" (直前に調べたコード) について診断します。")
	}
	d, err := c.svc.Diagnose(ctx, oncall.DiagnoseRequest{Server: cmd.server, Code: code, Actor: c.user}, c.progress)
	if d != nil {
		for _, res := range d.Results {
			render.Result(c.out, res, c.lang)
		}
		if len(d.Missing) > 0 {
			c.say("Not run (not a loaded diagnostic runbook): "+strings.Join(d.Missing, ", "),
				"実行しなかったもの (読み込まれた診断ランブックではありません): "+strings.Join(d.Missing, ", "))
		}
	}
	if err != nil {
		c.fail(err)
	}
}

// run shows the plan and, on "yes", applies exactly that plan.
func (c *Console) run(ctx context.Context, cmd command) {
	plan, err := c.svc.Plan(ctx, oncall.RunRequest{Runbook: cmd.target, Server: cmd.server, Params: cmd.params, Actor: c.user})
	if err != nil {
		c.fail(err)
		return
	}
	render.Plan(c.out, plan, c.lang)
	if plan.Refused {
		return
	}
	fmt.Fprint(c.out, pick(c.lang, "Apply this plan? (yes/no) ", "この計画を実行しますか? (yes/no) "))
	if !c.in.Scan() || !strings.EqualFold(strings.TrimSpace(c.in.Text()), "yes") {
		c.say("Not applied.", "実行しませんでした。")
		return
	}
	approval := oncall.Approval{By: []string{c.user}, PlanHash: plan.Hash(), How: "confirmed in the console"}
	res, err := c.svc.Apply(ctx, plan, approval, c.progress)
	if res != nil {
		render.Result(c.out, res, c.lang)
	}
	if err != nil {
		c.fail(err)
	}
}

func pick(lang runbooks.Lang, en, ja string) string {
	if lang == runbooks.LangJA {
		return ja
	}
	return en
}

const help = `
Paste any text containing a WSB/VSS error code (0x800423F4, 800423f4, 2155348249, -2139619047,
０ｘ８０７８０１１９ ...) to get its meaning, cause, first action and runbooks. Commands:
  servers                          the servers of the inventory
  diagnose SERVER [CODE]           the read-only runbooks the catalogue names for CODE (default: the
                                   code looked up last; with none, every diagnostic runbook)
  run RUNBOOK on SERVER [k=v ...]  show the plan (dry run), then apply exactly it if you answer "yes"
  audit [SERVER]                   the five-rule checklist
  history [SERVER]                 recorded runs
  restore-test done SERVER [YYYY-MM-DD]
  runbooks                         the runbooks and guides
  guide TOPIC                      bmr, dism-driver, ad-restore, shadow-storage, 3-2-1
  quit`
