package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/lab"
)

// filePassword is the WinRM password of the target badpw, read from a
// file; it is wrong on purpose, so that its failure is shown.
const filePassword = "FILE-SECRET-pw-4711"

// badPasswordConfig writes a configuration: the lab's inventory with one
// more target, badpw (the lab's first host), whose password comes from a
// file; more is appended to it.
func badPasswordConfig(t *testing.T, inv string, l *lab.Lab, more string) string {
	t.Helper()
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
	cfg := filepath.Join(t.TempDir(), "wsbbot.yaml")
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(data), "targets:\n", badpw, 1)+more), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// The Slack tokens of TestSecretsNeverLeak.
const (
	secretBotToken = "xoxb-1-SECRET-BOT-TOKEN"
	secretAppToken = "xapp-1-SECRET-APP-TOKEN"
)

// TestSecretsNeverLeak runs the CLI, then `wsbbot serve` against the fake
// Slack, with every kind of secret in use: the WinRM password from a
// variable (password_env, the lab's) and from a file (password_file,
// wrong on purpose so its error is shown), and both Slack tokens, at log
// level debug. No secret, nor the Basic header made from one, appears in
// stdout, stderr (logs and errors), the record file, the exported
// timelines, or anything the bot sent to Slack (messages, edits,
// ephemerals, slash-command answers, uploaded files).
func TestSecretsNeverLeak(t *testing.T) {
	inv, vars, l := startLab(t, lab.Options{Hosts: 2})
	db := filepath.Join(t.TempDir(), "wsbbot.db")
	cfg := badPasswordConfig(t, inv, l, "store:\n  path: "+db+"\n")
	vars = append(vars, "WSBBOT_LOG_LEVEL=debug", "WSBBOT_SLACK_BOT_TOKEN="+secretBotToken, "WSBBOT_SLACK_APP_TOKEN="+secretAppToken)
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
	seen = append(seen, chatTranscript(t)...)
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

// chatTranscript runs `wsbbot serve` with the secrets of
// TestSecretsNeverLeak on a fake Slack and the lab, uses each of them
// from chat (a diagnosis with the lab's password and one with the wrong
// password from a file, a fix approved and run, an audit of every server
// including badpw, history, /wsb, a refused click answered privately),
// stops it, and returns what could show a secret, each named on its
// first line: everything the bot sent to Slack, the files it uploaded,
// its log and its record.
func chatTranscript(t *testing.T) []string {
	en, ja := chatUsers["en"].ID, chatUsers["ja"].ID
	s := startServeSetup(t, serveSetup{
		vars:   []string{"WSBBOT_LOG_LEVEL=debug", "WSBBOT_SLACK_APPROVERS=" + ja},
		fake:   func(o *slacktest.Options) { o.BotToken, o.AppToken = secretBotToken, secretAppToken },
		config: func(inv string, l *lab.Lab) string { return badPasswordConfig(t, inv, l, "") },
	})
	bot := "<@" + s.slack.BotUserID() + "> "
	ts := s.slack.UserSays("C01", en, bot+"diagnose writer-failed 0x800423F4")
	s.waitThread("the diagnosis with the lab's password", "C01", ts, containsAll("SQLWriter"))
	ts = s.slack.UserSays("C02", en, bot+"diagnose badpw 0x800423F4")
	s.waitThread("the diagnosis with the wrong password", "C02", ts, func(ms []slacktest.Message) bool {
		return strings.Contains(strings.ToLower(shown(ms...)), "401") || strings.Contains(strings.ToLower(shown(ms...)), "unauthori")
	})
	ts = s.slack.UserSays("C03", en, bot+"run vss-writer-restart on writer-failed")
	rs := s.waitThread("the plan", "C03", ts, containsAll("Approve", "restart-service"))
	var plan slacktest.Message
	for _, m := range rs {
		if strings.Contains(string(m.Blocks), `"Approve"`) {
			plan = m
		}
	}
	if got := s.clickRefused("C03", plan, chatUsers["en"], "Approve"); got == "" {
		t.Error("the requester's own Approve: no private refusal")
	}
	if _, err := s.slack.Click("C03", plan.TS, ja, "Approve"); err != nil {
		t.Fatal(err)
	}
	s.waitThread("the approved fix (in the approver's language)", "C03", ts, containsAll("SqlServerWriter [8] Failed → "))
	ts = s.slack.UserSays("C04", en, bot+"audit")
	s.waitThread("the audit", "C04", ts, containsAll("badpw"))
	ts = s.slack.UserSays("C05", en, bot+"history")
	s.waitThread("the history", "C05", ts, containsAll("vss-writer-restart"))
	if _, err := s.slack.Slash("/wsb", "servers", en, "C06"); err != nil {
		t.Fatal(err)
	}
	s.waitFor("the answer to /wsb servers", func() bool { return strings.Contains(shown(s.slack.Messages("C06")...), "badpw") })
	if code := s.shutdown(); code != 0 {
		t.Fatalf("serve exited %d after SIGTERM:\n%s", code, s.stderr.String())
	}

	var out []string
	for _, c := range s.slack.Calls() {
		args, _ := json.Marshal(c.Args)
		out = append(out, "the bot's call "+c.Method+"\n"+string(args))
	}
	for _, u := range chatUsers {
		for _, e := range s.slack.Ephemerals(u.ID) {
			out = append(out, "an ephemeral to "+u.ID+"\n"+e.Text+"\n"+string(e.Blocks))
		}
	}
	for _, f := range s.slack.Files() {
		out = append(out, "the file "+f.Name+"\n"+f.Title+"\n"+f.InitialComment+"\n"+string(f.Content))
	}
	for _, ch := range []string{"C01", "C02", "C03", "C04", "C05", "C06"} {
		out = append(out, "the messages of "+ch+"\n"+shown(s.slack.Messages(ch)...))
	}
	record, err := os.ReadFile(s.store)
	if err != nil {
		t.Fatal(err)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "DEBUG") {
		t.Errorf("serve did not log at debug level: the test does not see everything it logs:\n%s", log)
	}
	files := 0
	for _, f := range s.slack.Files() {
		if f.Completed {
			files++
		}
	}
	if files == 0 || len(s.slack.Ephemerals(en)) == 0 || len(s.slack.CallsTo("chat.update")) == 0 {
		t.Errorf("the chat made %d files, %d ephemerals, %d edits: the test does not see every kind of output", files,
			len(s.slack.Ephemerals(en)), len(s.slack.CallsTo("chat.update")))
	}
	return append(out, "serve's log\n"+log, "serve's record "+s.store+"\n"+string(record))
}
