package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/runbooks"
)

// exitNotRun is exec's exit status when the command could not run at all.
const exitNotRun = 255

// execOutput is `wsbbot exec --json`.
type execOutput struct {
	Target      string `json:"target"`
	Stdout      string `json:"stdout"`
	Stderr      string `json:"stderr"`
	ExitCode    *int   `json:"exit_code"` // null only when the command did not run
	ErrorKind   string `json:"error_kind"`
	Error       string `json:"error"`
	Explanation string `json:"explanation"`
	StdoutBytes int64  `json:"stdout_bytes"`
	StderrBytes int64  `json:"stderr_bytes"`
	Truncated   bool   `json:"truncated"`
	DurationMS  int64  `json:"duration_ms"`
	RoundTrips  int    `json:"round_trips"`
}

func newExecCommand(m *Main) *cobra.Command {
	e := m.Env
	var (
		target, ps               string
		host, scheme, auth, user string
		port                     int
		asJSON                   bool
	)
	cmd := &cobra.Command{
		Use:   "exec (--target NAME | --host H [--port N] [--scheme http|https] [--auth basic|ntlm] --user U) [--json] (--ps SCRIPT | -- COMMAND...)",
		Short: "Run one command on a Windows server over WinRM",
		Long: `exec runs one cmd.exe command line, or one PowerShell script (--ps, sent on
stdin so its length is not limited by cmd.exe), on a target from the
configuration's inventory, or on an ad-hoc target given with --host whose
password comes from the WSBBOT_PASSWORD environment variable.

Exit status: the remote command's exit code (254 when it is outside 0-254),
or 255 when it could not run; the error is classified and explained.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if (ps == "") == (len(args) == 0) {
				return usageErrorf("give either --ps SCRIPT or -- COMMAND...")
			}
			if (target == "") == (host == "") {
				return usageErrorf("give either --target NAME or --host HOST")
			}
			cfg, err := m.config()
			if err != nil {
				return err
			}
			var t config.Target
			if target != "" {
				var ok bool
				if t, ok = cfg.Target(target); !ok {
					return usageErrorf("no target %q in the inventory", target)
				}
			} else {
				t = config.Target{Name: host, Address: host, ConfiguredPort: port, Scheme: scheme, Auth: auth, User: user, PasswordEnv: "WSBBOT_PASSWORD"}
				probe := config.Default()
				probe.Targets = []config.Target{t}
				if err := probe.Validate(); err != nil {
					return usageErrorf("ad-hoc target: %v", err)
				}
				t = probe.Targets[0]
			}
			rt, err := remoteTarget(t, cfg.Remote, e.vars)
			if err != nil {
				return usageErrorf("%v", err)
			}
			client, err := newRemote(cfg, m.logger())
			if err != nil {
				return usageErrorf("%v", err)
			}
			c := remote.Command{Shell: runbooks.ShellCmd, Script: strings.Join(args, " "), Name: "exec"}
			if ps != "" {
				c = remote.Command{Shell: runbooks.ShellPowerShell, Script: ps, Name: "exec"}
			}
			res, runErr := client.Exec(cmd.Context(), rt, c)
			out := execOutput{
				Target: rt.Name, Stdout: res.Stdout, Stderr: res.Stderr,
				StdoutBytes: res.StdoutBytes, StderrBytes: res.StderrBytes, Truncated: res.Truncated,
				DurationMS: res.Duration.Milliseconds(), RoundTrips: res.RoundTrips,
			}
			code := exitNotRun
			if runErr != nil {
				out.Error = runErr.Error()
				out.ErrorKind = "internal"
				var re *remote.Error
				if errors.As(runErr, &re) {
					out.ErrorKind = string(re.Kind)
					out.Explanation = re.Explain()
				}
			} else {
				out.ExitCode = &res.ExitCode
				code = res.ExitCode
				if code < 0 || code > 254 {
					code = 254
				}
			}
			if asJSON {
				if err := writeJSON(e.stdout, out); err != nil {
					return err
				}
			} else {
				fmt.Fprint(e.stdout, out.Stdout)
				fmt.Fprint(e.stderr, out.Stderr)
				if runErr != nil {
					fmt.Fprintf(e.stderr, "wsbbot: %s: %s [%s]\n", rt.Name, out.Error, out.ErrorKind)
					if out.Explanation != "" {
						fmt.Fprintf(e.stderr, "wsbbot: what to do: %s\n", out.Explanation)
					}
				} else if res.ExitCode != 0 {
					fmt.Fprintf(e.stderr, "wsbbot: %s: exit code %d\n", rt.Name, res.ExitCode)
				}
			}
			if code != 0 {
				return silentExit(code)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "target `NAME` from the inventory (--config)")
	f.StringVar(&ps, "ps", "", "PowerShell `SCRIPT` to run (instead of -- COMMAND...)")
	f.StringVar(&host, "host", "", "ad-hoc target address (password from WSBBOT_PASSWORD)")
	f.IntVar(&port, "port", 0, "ad-hoc target port (default 5986 for https, 5985 for http)")
	f.StringVar(&scheme, "scheme", config.SchemeHTTPS, "ad-hoc target scheme: http or https")
	f.StringVar(&auth, "auth", config.AuthNTLM, "ad-hoc target auth: basic or ntlm")
	f.StringVar(&user, "user", "", "ad-hoc target user")
	f.BoolVar(&asJSON, "json", false, "print stdout, stderr, exit_code, error_kind and error as JSON")
	return cmd
}
