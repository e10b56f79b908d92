package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/console"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/render"
	"github.com/wsbbot/wsbbot/runbooks"
)

// newConsoleCommand is the terminal chat (bot/console on the bot core)
// over the configured inventory. With no inventory it starts the simulated
// lab in-process, as `wsbbot demo` does.
func newConsoleCommand(m *Main) *cobra.Command {
	var (
		langFlag string
		noLab    bool
	)
	cmd := &cobra.Command{
		Use:   "console [--no-lab]",
		Short: "Chat with wsbbot in the terminal, over the configured servers",
		Long: `console is the chat in the terminal: the same conversation core and grammar as
Slack, over the configured inventory. Paste an error code or a whole log line
for its meaning, cause and first action, with Diagnose / Fix / Guide as
numbered choices (type the number or the label), or type a command ("help").
A plan shown by "fix" or "run RUNBOOK on SERVER" is applied exactly as shown
when you answer "yes" (recorded with its hash and you as the one who
confirmed). "/as NAME" switches the user; "quit" or the end of the input ends.

With no inventory (no --config or no targets in it) the simulated lab starts
in-process, as in "wsbbot demo" (--no-lab: don't; the console then only
explains codes and shows runbooks and guides).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := m.config()
			if err != nil {
				return err
			}
			return m.chat(cmd.Context(), langFlag, len(cfg.Targets) == 0 && !noLab)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	cmd.Flags().BoolVar(&noLab, "no-lab", false, "do not start the simulated lab when no inventory is configured")
	return cmd
}

// newDemoCommand is `make run`: the simulated lab, the bot core with the
// real engine, record and runbooks in a temporary folder, and the console
// adapter; no Slack, no Windows.
func newDemoCommand(m *Main) *cobra.Command {
	var langFlag string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try wsbbot: the chat in the terminal against simulated Windows servers (no Slack, no Windows)",
		Long: `demo starts simulated Windows Server Backup servers (the lab: WinRM on loopback,
one server per scenario), and the chat in the terminal on them, with the real
runbook engine and a record in a temporary folder. Try:

  0x800423f4 on writer-failed     look the code up (the server named in the text is used)
  diagnose                        the code's read-only checks on that server
  fix                             the fix's plan (dry run) as an approval request
  /as bob                         be another user: the requester never approves
  yes                             approve (or "no": deny); the approval that completes
                                  the quorum runs exactly the plan shown, once

When stdin is not a terminal it reads a script and exits 0 at its end:
  printf '0x800423f4 on writer-failed\ndiagnose writer-failed\n' | wsbbot demo`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := m.config(); err != nil {
				return err
			}
			return m.chat(cmd.Context(), langFlag, true)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	return cmd
}

// chat runs the console adapter on the bot core until the input ends;
// withLab replaces the inventory with the simulated lab.
func (m *Main) chat(ctx context.Context, langFlag string, withLab bool) error {
	e := m.Env
	// The terminal user's language is wsbbot's one choice (--lang, else
	// the locale, else the configured language); the core reads it as the
	// user's locale, as it reads a Slack user's.
	lang, err := m.lang(langFlag)
	if err != nil {
		return err
	}
	cfg, err := m.config()
	if err != nil {
		return err
	}
	if _, err := m.runbooks(); err != nil {
		return err
	}
	defLang, err := runbooks.ChooseLang("", func(string) (string, bool) { return "", false }, cfg.Language)
	if err != nil {
		return usageErrorf("%v", err)
	}
	locale := string(lang)
	if withLab {
		if err := m.startConsoleLab(ctx, cfg); err != nil {
			return &exitError{code: exitInternal, err: err}
		}
		cfg, _ = m.config()
		names := make([]string, len(cfg.Targets))
		for i, t := range cfg.Targets {
			names[i] = t.Name
		}
		fmt.Fprintf(e.stdout, lang.Pick(
			"Simulated lab: %d Windows servers over WinRM on loopback: %s\n",
			"シミュレーション ラボ: ループバック上の WinRM で %d 台の Windows サーバー: %s\n"), len(names), strings.Join(names, ", "))
	}
	// Without servers there is nothing to act on and no record to open:
	// the chat only explains.
	var svc *oncall.Service
	if len(cfg.Targets) == 0 {
		svc, err = m.knowledge()
	} else {
		svc, err = m.service()
	}
	if err != nil {
		return err
	}
	con := console.New(console.Options{In: e.stdin, Out: e.stdout, User: consoleUser(), Locale: locale, Lang: defLang,
		Interactive: isTerminal(e.stdin)})
	core := bot.New(bot.Options{Service: svc, Poster: con, Lang: defLang, Access: consoleAccess(cfg), ExportTimeline: timelineMarkdown, Logger: m.logger()})
	runErr := con.Run(ctx, core)
	// Work still running when the input ends is finished (a run is never
	// dropped half-way); a signal cancels it.
	if err := core.Close(ctx); err != nil && runErr == nil && ctx.Err() == nil {
		runErr = err
	}
	if runErr != nil {
		return &exitError{code: exitInternal, err: runErr}
	}
	return nil
}

// isTerminal reports whether r is a terminal (a character device).
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startConsoleLab runs the simulated hosts and makes them the inventory:
// the configuration becomes base with the lab's hosts as targets (built
// from config's own types) and a record in a temporary folder. The lab's
// password goes into the environment the executor reads.
func (m *Main) startConsoleLab(ctx context.Context, base config.Config) error {
	dir, err := os.MkdirTemp("", "wsbbot-console-")
	if err != nil {
		return fmt.Errorf("start lab: %w", err)
	}
	pw := make([]byte, 12)
	_, _ = rand.Read(pw)
	l, err := lab.Start(ctx, lab.Options{Password: hex.EncodeToString(pw)})
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	m.cleanups = append(m.cleanups, func() { l.Close(); os.RemoveAll(dir) })
	_, levelSet := m.Env.lookup("WSBBOT_LOG_LEVEL")
	cfg, err := labConfig(base, l, filepath.Join(dir, "wsbbot.db"), !levelSet)
	if err != nil {
		return err
	}
	m.useConfig(cfg)
	m.Env.vars = append(append([]string{}, m.Env.vars...), lab.PasswordEnv+"="+l.Password())
	return nil
}

// labConfig is base with the lab's hosts as its targets (HTTP, Basic, the
// password named by lab.PasswordEnv, the scenario as tag, the lab's
// declarations) and its record at storePath; quiet sets the log level to
// warn so that the console is not interleaved with the engine's info log.
func labConfig(base config.Config, l *lab.Lab, storePath string, quiet bool) (config.Config, error) {
	cfg := base
	cfg.Targets = make([]config.Target, 0, len(l.Hosts()))
	for _, h := range l.Hosts() {
		d := lab.DeclaredFor(h.Scenario)
		t := config.Target{Name: h.Name, Address: h.Address, ConfiguredPort: h.Port, Scheme: config.SchemeHTTP,
			Auth: config.AuthBasic, User: l.User(), PasswordEnv: lab.PasswordEnv, Tags: []string{h.Scenario},
			Declared: config.Declared{Copies: d.Copies, Media: d.Media, Offsite: &d.Offsite}}
		if h.Host.Language() == lab.LangJapanese {
			t.Language = lab.LangJapanese
		}
		cfg.Targets = append(cfg.Targets, t)
	}
	cfg.Store.Path = storePath
	if quiet {
		cfg.Log.Level = "warn"
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("lab inventory: %w", err)
	}
	return cfg, nil
}

// consoleUser names the person at the terminal (the console adds
// "console:" for the record).
func consoleUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "operator"
}

// consoleAccess is who approves a change in the console: the configured
// approvers, quorum and time-to-live (slack.*), or, when no approvers are
// configured, anyone but the requester (`/as NAME`), since whoever sits at
// the console may run the CLI anyway. Never the requester alone. A
// configured approver is the console user of that name (`/as U_BOB`).
func consoleAccess(cfg config.Config) *bot.Access {
	a := &bot.Access{AnyoneApproves: len(cfg.Slack.Approvers) == 0,
		Default: bot.ApprovalRule{Quorum: cfg.Slack.Quorum, TTL: time.Duration(cfg.Slack.ApprovalTTL)}}
	for _, id := range cfg.Slack.Approvers {
		a.Default.Approvers = append(a.Default.Approvers, "console:"+id)
	}
	return a
}

// chatAccess is who may do what in Slack, from the configuration: roles,
// channels, slack.approvers/quorum/approval_ttl and the approval rules
// (a rule's zero quorum or time-to-live is slack's). members resolves user
// groups (nil: group ids match only themselves).
func chatAccess(cfg config.Config, members bot.MembersFunc, lg *slog.Logger) *bot.Access {
	s := cfg.Slack
	a := &bot.Access{Viewers: s.Roles.Viewer, Operators: s.Roles.Operator, Approvers: s.Roles.Approver, Admins: s.Roles.Admin,
		Channels: s.Channels, Members: members, Logger: lg,
		Default: bot.ApprovalRule{Approvers: s.Approvers, Quorum: s.Quorum, TTL: time.Duration(s.ApprovalTTL)}}
	for _, r := range s.ApprovalRules {
		rule := bot.ApprovalRule{Runbook: r.Runbook, Group: r.Group, Approvers: r.Approvers, Quorum: r.Quorum, TTL: time.Duration(r.ApprovalTTL)}
		if rule.Quorum == 0 {
			rule.Quorum = s.Quorum
		}
		if rule.TTL == 0 {
			rule.TTL = time.Duration(s.ApprovalTTL)
		}
		a.Rules = append(a.Rules, rule)
	}
	return a
}

// timelineMarkdown is a run's timeline as `wsbbot history export` prints it.
func timelineMarkdown(tl *oncall.Timeline) string {
	var b strings.Builder
	render.Timeline(&b, tl)
	return b.String()
}
