package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/bot/console"
	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
)

// newConsoleCommand is the terminal stand-in for the chat (bot/console),
// built once over the oncall service. With no inventory configured it
// starts the simulated lab in-process, so the whole flow can be tried
// without Slack or Windows.
func newConsoleCommand(m *Main) *cobra.Command {
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
  diagnose SERVER [CODE]           the read-only runbooks the catalogue names for CODE
                                   (default: the code looked up last; with none, every
                                   diagnostic runbook)
  run RUNBOOK on SERVER [k=v ...]  show the plan (dry run), then apply exactly that plan
                                   if you answer "yes" (recorded with its hash and you)
  audit [SERVER]                   the five-rule checklist
  history [SERVER]  ·  restore-test done SERVER  ·  runbooks  ·  guide TOPIC  ·  help  ·  quit

With no inventory (no --config or no targets in it) the simulated lab starts
in-process, one host per scenario, and the console uses it (--no-lab: don't;
the console then only explains codes and shows runbooks and guides).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			e := m.Env
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
			ctx := cmd.Context()
			if len(cfg.Targets) == 0 && !noLab {
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
			// Without servers there is nothing to act on and no record
			// to open: the console only explains.
			var svc *oncall.Service
			if len(cfg.Targets) == 0 {
				svc, err = m.knowledge()
			} else {
				svc, err = m.service()
			}
			if err != nil {
				return err
			}
			return console.New(console.Options{Service: svc, In: e.stdin, Out: e.stdout, Progress: e.stderr,
				Lang: lang, User: consoleUser(), Logger: m.logger()}).Run(ctx)
		},
	}
	cmd.Flags().StringVar(&langFlag, "lang", "", langUsage)
	cmd.Flags().BoolVar(&noLab, "no-lab", false, "do not start the simulated lab when no inventory is configured")
	return cmd
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

// consoleUser names the person at the terminal, for the record.
func consoleUser() string {
	if u, err := user.Current(); err == nil {
		return "console:" + u.Username
	}
	return "console"
}
