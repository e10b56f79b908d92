package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/lab"
)

// TestSecretsNeverLeak runs the CLI with every kind of secret in use: the
// WinRM password from a variable (password_env, the lab's) and from a file
// (password_file, wrong on purpose so its error is shown), and both Slack
// tokens, at log level debug. No secret, nor the Basic header made from
// one, appears in stdout, stderr (logs and errors), the record file or
// the exported timelines.
func TestSecretsNeverLeak(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Hosts: 2})
	const filePassword = "FILE-SECRET-pw-4711"
	pwFile := filepath.Join(t.TempDir(), "badpw.txt")
	if err := os.WriteFile(pwFile, []byte(filePassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(inv)
	if err != nil {
		t.Fatal(err)
	}
	h := l.Hosts()[0]
	badpw := "targets:\n  - {name: badpw, address: 127.0.0.1, port: " + strconv.Itoa(h.Port) +
		", scheme: http, auth: basic, user: wsbadmin, password_file: " + pwFile + "}\n"
	cfgText := strings.Replace(string(data), "targets:\n", badpw, 1)
	db := filepath.Join(t.TempDir(), "wsbbot.db")
	cfg := filepath.Join(t.TempDir(), "wsbbot.yaml")
	if err := os.WriteFile(cfg, []byte(cfgText+"store:\n  path: "+db+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars = append(vars, "WSBBOT_LOG_LEVEL=debug", "WSBBOT_SLACK_BOT_TOKEN=xoxb-1-SECRET-BOT-TOKEN",
		"WSBBOT_SLACK_APP_TOKEN=xapp-1-SECRET-APP-TOKEN")
	secrets := []string{"lab-Passw0rd", filePassword, "SECRET-BOT-TOKEN", "SECRET-APP-TOKEN",
		base64.StdEncoding.EncodeToString([]byte("wsbadmin:lab-Passw0rd")),
		base64.StdEncoding.EncodeToString([]byte("wsbadmin:" + filePassword))}

	var seen []string
	call := func(args ...string) (int, string) {
		code, out, stderr := wsbbot(t, vars, "", append(args, "--config", cfg)...)
		seen = append(seen, "wsbbot "+strings.Join(args, " ")+"\n"+out+stderr)
		return code, out
	}
	if code, _ := call("run", "vss-writer-restart", "--target", "writer-failed", "--yes"); code != 0 {
		t.Errorf("run with the lab password: exit %d", code)
	}
	if code, _ := call("run", "diag-vss-writers", "--target", "badpw"); code != exitFailed {
		t.Errorf("run with the wrong password from a file: exit %d, want %d", code, exitFailed)
	}
	if code, _ := call("exec", "--target", "badpw", "--", "hostname"); code == 0 {
		t.Error("exec with the wrong password succeeded")
	}
	call("audit", "--all")
	call("config", "check")
	code, out := call("history", "--json")
	if code != 0 {
		t.Fatalf("history: exit %d", code)
	}
	ids := runIDs(out)
	if len(ids) < 2 {
		t.Errorf("history holds runs %q, want the two runs above", ids)
	}
	for _, id := range ids {
		call("history", "export", "--run", id)
		call("history", "export", "--run", id, "--format", "json")
	}
	record, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	seen = append(seen, "the record "+db+"\n"+string(record))
	if !strings.Contains(strings.Join(seen, "\n"), "unauthorized") && !strings.Contains(strings.Join(seen, "\n"), "401") {
		t.Error("the wrong password's failure is not shown anywhere: the test does not exercise errors")
	}
	for _, s := range seen {
		name, _, _ := strings.Cut(s, "\n")
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				t.Errorf("%s: shows the secret %q", name, secret)
			}
		}
	}
}

// runIDs picks the "id" values out of `history --json`.
func runIDs(out string) []string {
	var ids []string
	for _, part := range strings.Split(out, `"id":`)[1:] {
		if v, err := strconv.QuotedPrefix(strings.TrimSpace(part)); err == nil {
			if id, err := strconv.Unquote(v); err == nil {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
