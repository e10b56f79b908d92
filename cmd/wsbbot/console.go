package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/internal/hresult"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/runbooks"
)

// newConsoleCommand is the terminal stand-in for the chat. Pasted text with
// an error code gets the answer the bot gives in a thread; commands
// (diagnose, run, audit, history, guide ...) go through the same wiring as
// the CLI. With no inventory configured it starts the simulated lab
// in-process, so the whole flow can be tried without Slack or Windows.
func newConsoleCommand(g *globals, e env) *cobra.Command {
	var (
		langFlag string
		noLab    bool
	)
	cmd := &cobra.Command{
		Use:   "console [--no-lab]",
		Short: "Chat with wsbbot in the terminal (against the simulated lab when no inventory is configured)",
		Long: `console reads lines from stdin and answers each like the chat bot does. Paste
an error code or a whole log line to get its meaning, cause, first action and
runbooks, or type a command:
  servers                          the servers of the inventory
  diagnose SERVER                  every read-only diagnostic runbook on SERVER
  run RUNBOOK on SERVER [k=v ...]  show the plan (dry run), then apply it if you answer "yes"
  audit [SERVER]                   the five-rule checklist
  history [SERVER]  ·  restore-test done SERVER  ·  runbooks  ·  guide TOPIC  ·  help  ·  quit

With no inventory (no --config or no targets in it) the simulated lab starts
in-process, one host per scenario, and the console uses it (--no-lab: don't).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			lang, err := resolveLang(langFlag, e)
			if err != nil {
				return err
			}
			set, err := loadRunbooks(g, e)
			if err != nil {
				return err
			}
			cfg, err := g.loadConfig(e)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			c := &console{e: e, lang: lang, set: set, configFile: g.configFile}
			for _, t := range cfg.Targets {
				c.servers = append(c.servers, t.Name)
			}
			if len(cfg.Targets) == 0 && !noLab {
				stop, err := c.startLab(ctx)
				if err != nil {
					return &exitError{code: exitInternal, err: err}
				}
				defer stop()
			}
			return c.loop(ctx)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", "reply language: en or ja (default: LANG starting with ja, else en)")
	cmd.Flags().BoolVar(&noLab, "no-lab", false, "do not start the simulated lab when no inventory is configured")
	return cmd
}

// console holds one console session.
type console struct {
	e          env
	lang       runbooks.Lang
	set        *runbooks.Set
	configFile string   // passed to every command
	vars       []string // extra environment (the lab's password)
	servers    []string
}

// startLab runs the simulated hosts and points the session at their
// inventory, with a record in the same temporary folder.
func (c *console) startLab(ctx context.Context) (func(), error) {
	dir, err := os.MkdirTemp("", "wsbbot-console-")
	if err != nil {
		return nil, err
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	inv := filepath.Join(dir, "inventory.yaml")
	l, err := lab.Start(ctx, lab.Options{Inventory: inv, Password: hex.EncodeToString(pw)})
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	data, err := os.ReadFile(inv)
	if err == nil {
		data = append(data, []byte("store:\n  path: "+filepath.Join(dir, "wsbbot.db")+"\nlog:\n  level: warn\n")...)
		err = os.WriteFile(inv, data, 0o600)
	}
	if err != nil {
		l.Close()
		os.RemoveAll(dir)
		return nil, err
	}
	c.configFile = inv
	c.vars = []string{lab.PasswordEnv + "=" + l.Password()}
	for _, h := range l.Hosts() {
		c.servers = append(c.servers, h.Name)
	}
	fmt.Fprintf(c.e.stdout, pickLang(c.lang,
		"Simulated lab: %d Windows servers over WinRM on loopback: %s\n",
		"シミュレーション ラボ: ループバック上の WinRM で %d 台の Windows サーバー: %s\n"), len(c.servers), strings.Join(c.servers, ", "))
	return func() { l.Close(); os.RemoveAll(dir) }, nil
}

func (c *console) loop(ctx context.Context) error {
	fmt.Fprintln(c.e.stdout, pickLang(c.lang,
		"wsbbot console: paste an error code (e.g. 0x80780119) or a log line, or type a command. \"help\", \"quit\".",
		"wsbbot コンソール: エラー コード (例: 0x80780119) やログ行を貼り付けるか、コマンドを入力してください。\"help\"、\"quit\"。"))
	sc := bufio.NewScanner(c.e.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		fmt.Fprint(c.e.stdout, "> ")
		if !sc.Scan() || ctx.Err() != nil {
			fmt.Fprintln(c.e.stdout)
			return sc.Err()
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if done := c.handle(ctx, sc, line); done {
			return nil
		}
	}
}

// handle answers one line; it reports whether the session ends.
func (c *console) handle(ctx context.Context, sc *bufio.Scanner, line string) bool {
	f := strings.Fields(line)
	switch verb := strings.ToLower(f[0]); {
	case verb == "quit" || verb == "exit" || verb == "bye":
		return true
	case verb == "help" || verb == "?":
		fmt.Fprintln(c.e.stdout, strings.TrimSpace(consoleHelp))
	case verb == "servers":
		if len(c.servers) == 0 {
			fmt.Fprintln(c.e.stdout, pickLang(c.lang, "No servers: give --config with an inventory (targets).", "サーバーがありません: インベントリ (targets) を含む --config を指定してください。"))
		}
		for _, s := range c.servers {
			fmt.Fprintln(c.e.stdout, s)
		}
	case verb == "diagnose" && len(f) == 2:
		for _, rb := range c.set.Runbooks() {
			if rb.Category == runbooks.CategoryDiagnose {
				c.cli(ctx, "run", rb.ID, "--target", f[1])
			}
		}
	case verb == "run" && len(f) >= 4 && strings.EqualFold(f[2], "on"):
		args := []string{"run", f[1], "--target", f[3]}
		for _, kv := range f[4:] {
			args = append(args, "--param", kv)
		}
		if code := c.cli(ctx, append(args, "--dry-run")...); code != 0 {
			return false
		}
		fmt.Fprint(c.e.stdout, pickLang(c.lang, "Apply this plan? (yes/no) ", "この計画を実行しますか? (yes/no) "))
		if sc.Scan() && strings.EqualFold(strings.TrimSpace(sc.Text()), "yes") {
			c.cli(ctx, append(args, "--yes")...)
		} else {
			fmt.Fprintln(c.e.stdout, pickLang(c.lang, "Not applied.", "実行しませんでした。"))
		}
	case verb == "audit" && len(f) <= 2:
		if len(f) == 2 {
			c.cli(ctx, "audit", "--target", f[1])
		} else {
			c.cli(ctx, "audit")
		}
	case verb == "history" && len(f) <= 2:
		if len(f) == 2 {
			c.cli(ctx, "history", "--target", f[1])
		} else {
			c.cli(ctx, "history")
		}
	case verb == "restore-test" || verb == "runbooks" || verb == "guide":
		c.cli(ctx, f...)
	default:
		codes := hresult.Extract(line)
		if len(codes) == 0 {
			fmt.Fprintln(c.e.stdout, pickLang(c.lang, "No error code or command found in that text (\"help\" lists the commands).", "エラー コードもコマンドも見つかりませんでした (\"help\" でコマンド一覧)。"))
			return false
		}
		for i, code := range codes {
			if i > 0 {
				fmt.Fprintln(c.e.stdout)
			}
			writeExplanation(c.e.stdout, c.set.Catalogue.Explain(code, c.lang))
		}
	}
	return false
}

// cli runs one wsbbot command with the session's configuration and
// language, as if typed on the command line, and returns its exit code.
func (c *console) cli(ctx context.Context, args ...string) int {
	if c.configFile != "" {
		args = append(args, "--config", c.configFile)
	}
	switch args[0] {
	case "run", "audit", "guide", "runbooks":
		args = append(args, "--lang", string(c.lang))
	}
	e := c.e
	e.stdin = strings.NewReader("")
	e.vars = append(append([]string{}, c.e.vars...), c.vars...)
	return run(ctx, args, e)
}

const consoleHelp = `
Paste any text containing a WSB/VSS error code (0x800423F4, 800423f4, 2155348249, -2139619047,
０ｘ８０７８０１１９ ...) to get its meaning, cause, first action and runbooks. Commands:
  servers                          the servers of the inventory
  diagnose SERVER                  every read-only diagnostic runbook on SERVER
  run RUNBOOK on SERVER [k=v ...]  show the plan (dry run), then apply it if you answer "yes"
  audit [SERVER]                   the five-rule checklist
  history [SERVER]                 recorded runs
  restore-test done SERVER [--date YYYY-MM-DD]
  runbooks                         the runbooks and guides
  guide TOPIC                      bmr, dism-driver, ad-restore, shadow-storage, 3-2-1
  quit`
