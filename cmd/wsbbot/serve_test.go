package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
)

// hang bounds every wait of the end-to-end tests; no assertion depends on
// it.
const hang = 90 * time.Second

// Users of the fake workspace: one English, one Japanese.
var chatUsers = map[string]slacktest.User{
	"en": {ID: "U0EN", Name: "alice", RealName: "Alice", Locale: "en-US", TZ: "Europe/London"},
	"ja": {ID: "U0JA", Name: "hanako", RealName: "Hanako", Locale: "ja-JP", TZ: "Asia/Tokyo"},
}

// served is a `wsbbot serve` running in-process against a fake Slack and
// the simulated lab.
type served struct {
	t      *testing.T
	slack  *slacktest.Server
	lab    *lab.Lab
	listen string
	args   []string
	vars   []string
	store  string
	stop   context.CancelFunc
	done   chan int
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts the lab, a fake Slack with channels C0INC (the
// incident channel), C01..C19, and an IM per user, and `wsbbot serve` on
// them; before runs its record is written, for a history to show.
func startServe(t *testing.T, before func(st store.File)) *served {
	t.Helper()
	return startServeWith(t, nil, before)
}

// startServeWith is startServe with more environment (configuration keys
// as WSBBOT_* variables).
func startServeWith(t *testing.T, extra []string, before func(st store.File)) *served {
	t.Helper()
	return startServeSetup(t, serveSetup{vars: extra, before: before})
}

// serveSetup is what startServeSetup changes in the standard set-up.
type serveSetup struct {
	vars   []string                            // more environment (WSBBOT_* keys)
	fake   func(*slacktest.Options)            // changes the fake Slack's options (tokens, timeouts)
	config func(inv string, l *lab.Lab) string // the configuration file serve reads, given the lab and its inventory
	before func(st store.File)                 // writes the record before serve starts
}

// startServeSetup is startServe as setup says.
func startServeSetup(t *testing.T, setup serveSetup) *served {
	t.Helper()
	inv, vars, l := startLab(t, lab.Options{})
	if setup.config != nil {
		inv = setup.config(inv, l)
	}
	opts := slacktest.Options{Channels: []slacktest.Channel{{ID: "C0INC", Name: "wsb-oncall"}}}
	for i := 1; i < 20; i++ {
		opts.Channels = append(opts.Channels, slacktest.Channel{ID: fmt.Sprintf("C%02d", i), Name: fmt.Sprintf("ops-%02d", i)})
	}
	for _, u := range chatUsers {
		opts.Users = append(opts.Users, u)
		opts.Channels = append(opts.Channels, slacktest.Channel{ID: "D" + u.ID, IsIM: true, User: u.ID})
	}
	// Slack's own pace: one message per second per channel, a 429 beyond.
	opts.ChannelRate = 1
	if setup.fake != nil {
		setup.fake(&opts)
	}
	fake := slacktest.Start(t, opts)
	s := &served{t: t, slack: fake, lab: l, listen: freeAddr(t), store: filepath.Join(t.TempDir(), "wsbbot.db")}
	if setup.before != nil {
		st, err := store.Open(s.store, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		setup.before(st)
		if err := st.Close(); err != nil {
			t.Fatal(err)
		}
	}
	s.args = []string{"serve", "--config", inv}
	s.vars = append(vars,
		"WSBBOT_SLACK_BOT_TOKEN="+fake.BotToken(), "WSBBOT_SLACK_APP_TOKEN="+fake.AppToken(),
		"WSBBOT_SLACK_API_URL="+fake.APIURL(), "WSBBOT_SLACK_INCIDENT_CHANNEL=#wsb-oncall",
		"WSBBOT_STORE_PATH="+s.store, "WSBBOT_HTTP_LISTEN="+s.listen, "WSBBOT_REMOTE_LOCK_DIR="+t.TempDir())
	s.vars = append(s.vars, setup.vars...)
	s.start()
	t.Cleanup(func() {
		if code := s.shutdown(); code != 0 {
			t.Errorf("serve exited %d, want 0 after SIGTERM:\n%s", code, s.stderr.String())
		}
	})
	return s
}

// start runs serve and waits for /healthz to say it is connected.
func (s *served) start() {
	s.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s.stop, s.done, s.stderr = cancel, make(chan int, 1), &syncBuffer{}
	go func() {
		s.done <- run(ctx, s.args, env{stdin: strings.NewReader(""), stdout: io.Discard, stderr: s.stderr, vars: s.vars})
	}()
	deadline := time.Now().Add(hang)
	for {
		if code, _ := s.get("/healthz"); code == http.StatusOK {
			return
		}
		select {
		case code := <-s.done:
			s.t.Fatalf("serve exited %d before it was healthy:\n%s", code, s.stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("serve not healthy after %s:\n%s", hang, s.stderr.String())
		}
	}
}

// startChild runs serve as a process of its own (this test binary run as
// wsbbot, see TestMain), so that a test can kill it as a crash would, and
// waits for /healthz; kill ends it with SIGKILL.
func (s *served) startChild() (kill func()) {
	s.t.Helper()
	child := exec.Command(os.Args[0], s.args...)
	child.Env = append(os.Environ(), append(slices.Clone(s.vars), asWsbbot+"=1", "XDG_STATE_HOME="+s.t.TempDir())...)
	out := &syncBuffer{}
	child.Stdout, child.Stderr = out, out
	if err := child.Start(); err != nil {
		s.t.Fatal(err)
	}
	var once sync.Once
	kill = func() {
		once.Do(func() {
			_ = child.Process.Signal(syscall.SIGKILL)
			_ = child.Wait()
		})
	}
	s.t.Cleanup(kill)
	s.stderr = out
	deadline := time.Now().Add(hang)
	for {
		if code, _ := s.get("/healthz"); code == http.StatusOK {
			return kill
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("serve (process %d) not healthy after %s:\n%s", child.Process.Pid, hang, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// shutdown stops serve as SIGTERM does (main's signal context) and
// returns its exit code.
func (s *served) shutdown() int {
	if s.stop == nil {
		return 0
	}
	s.stop()
	s.stop = nil
	select {
	case code := <-s.done:
		return code
	case <-time.After(hang):
		s.t.Errorf("serve did not stop after %s", hang)
		return -1
	}
}

func (s *served) get(path string) (int, string) {
	resp, err := http.Get("http://" + s.listen + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// shown is what a message shows: its fallback text and its blocks.
func shown(ms ...slacktest.Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.Text + "\n" + string(m.Blocks) + "\n")
	}
	return b.String()
}

// botReplies are the bot's messages in a thread.
func (s *served) botReplies(channel, thread string) []slacktest.Message {
	var out []slacktest.Message
	for _, m := range s.slack.Thread(channel, thread) {
		if m.BotID != "" {
			out = append(out, m)
		}
	}
	return out
}

// waitThread waits until the bot's replies in a thread satisfy pred and
// returns them.
func (s *served) waitThread(what, channel, thread string, pred func([]slacktest.Message) bool) []slacktest.Message {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	var got []slacktest.Message
	err := s.slack.WaitFor(ctx, func() bool {
		got = s.botReplies(channel, thread)
		return pred(got)
	})
	if err != nil {
		s.t.Fatalf("waiting for %s in %s/%s: %v; the thread has:\n%s\nlog:\n%s", what, channel, thread, err, shown(got...), s.stderr.String())
	}
	return got
}

func containsAll(words ...string) func([]slacktest.Message) bool {
	return func(ms []slacktest.Message) bool {
		all := shown(ms...)
		for _, w := range words {
			if !strings.Contains(all, w) {
				return false
			}
		}
		return true
	}
}

// lang picks the English or the Japanese word.
func lang(l, en, ja string) string {
	if l == "ja" {
		return ja
	}
	return en
}

// TestServeContract drives the real `wsbbot serve`, through the real
// slack-go client, against the fake Slack and the simulated lab: every
// numbered point of the chat's contract, in English and in Japanese.
func TestServeContract(t *testing.T) {
	s := startServe(t, func(st store.File) {
		ctx := context.Background()
		for i := range 40 {
			id := fmt.Sprintf("seed-%02d", i+1)
			must := func(_ store.Event, err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			must(st.Append(ctx, store.RunStarted{Runbook: "diag-vss-writers", PlanHash: strconv.Itoa(i)}.Event(id, "writer-failed", "U0EN")))
			must(st.Append(ctx, store.RunFinished{Status: store.StatusSucceeded, Summary: "ok"}.Event(id, "writer-failed", "U0EN")))
		}
	})
	ch := 0
	channel := func() string { ch++; return fmt.Sprintf("C%02d", ch) }
	for _, l := range []string{"en", "ja"} {
		u := chatUsers[l].ID
		bot := "<@" + s.slack.BotUserID() + ">"

		// 1, 2: a mention is answered in its thread, with the cause, in
		// the user's language.
		c := channel()
		ts := s.slack.UserSays(c, u, bot+" 0x80780119")
		s.waitThread("the lookup", c, ts, containsAll("0x80780119", lang(l, "Cause", "原因"), lang(l, "Diagnose", "診断")))

		// 3: a lookup naming a server, then Diagnose: the verdict names
		// the failed writer and its service in the same thread.
		c = channel()
		ts = s.slack.UserSays(c, u, bot+" 0x800423F4 on writer-failed")
		rs := s.waitThread("the lookup", c, ts, containsAll("0x800423F4", lang(l, "Diagnose", "診断")))
		if _, err := s.slack.Click(c, rs[0].TS, u, lang(l, "Diagnose", "診断")); err != nil {
			t.Fatal(err)
		}
		s.waitThread("the diagnosis", c, ts, containsAll("writer-failed: SqlServerWriter [8] Failed", "SQLWriter", "vss-writer-restart"))

		// 4: the message + app_mention pair of one post was answered once
		// (above); the same event delivered again is not answered again.
		c = channel()
		ts = s.slack.UserSays(c, u, bot+" 0x80780166")
		s.waitThread("the lookup", c, ts, containsAll("0x80780166"))
		var mention string
		for _, d := range s.slack.Deliveries() {
			if d.EventType == "app_mention" {
				mention = d.EventID
			}
		}
		env, err := s.slack.Redeliver(mention)
		if err != nil {
			t.Fatal(err)
		}
		s.waitAck(env)
		// A later question in the thread is answered after anything the
		// redelivery could have posted.
		s.slack.UserReplies(c, ts, u, bot+" help")
		rs = s.waitThread("help", c, ts, containsAll("restore-test done"))
		if n := strings.Count(shown(rs...), "0x80780166"); len(rs) != 2 || n == 0 {
			t.Errorf("%s: %d replies after a redelivered mention, want the lookup and help once each:\n%s", l, len(rs), shown(rs...))
		}

		// 5: chat.postMessage answered 429 with Retry-After: 1: the reply
		// still arrives.
		c = channel()
		s.slack.InjectFault("chat.postMessage", slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
		ts = s.slack.UserSays(c, u, bot+" 0x80780119")
		s.waitThread("the lookup after a 429", c, ts, containsAll("0x80780119"))

		// 6: after a disconnect envelope, and after an abrupt close, the
		// bot reconnects and answers the next mention.
		for _, cut := range []func(){func() { s.slack.Disconnect("refresh_requested") }, s.slack.Drop} {
			opened := s.slack.Connections()
			cut()
			s.waitFor("a new connection", func() bool { return s.slack.Connections() > opened && s.slack.LiveConnections() > 0 })
			c = channel()
			ts = s.slack.UserSays(c, u, bot+" 0x80780119")
			s.waitThread("the lookup after a reconnection", c, ts, containsAll("0x80780119"))
		}

		// 7: an answer longer than a message holds: a file in the thread
		// and a short message.
		c = channel()
		ts = s.slack.UserSays(c, u, bot+" history")
		rs = s.waitThread("the history", c, ts, func(ms []slacktest.Message) bool {
			return len(ms) >= 2 && len(ms[len(ms)-1].Files) > 0
		})
		for _, m := range rs {
			if n := len([]rune(m.Text)); n > 3000 {
				t.Errorf("%s: a message of %d characters", l, n)
			}
		}
		var file *slacktest.File
		for _, f := range s.slack.Files() {
			if f.ThreadTS == ts && f.Channel == c {
				file = &f
			}
		}
		if file == nil || strings.Count(string(file.Content), "seed-") != 40 {
			t.Errorf("%s: the history's file does not hold the 40 recorded runs", l)
		}

		// 8: /wsb CODE is answered.
		c = channel()
		if _, err := s.slack.Slash("/wsb", "0x80780166", u, c); err != nil {
			t.Fatal(err)
		}
		s.waitFor("the answer to /wsb", func() bool {
			return strings.Contains(shown(s.slack.Messages(c)...), "0x80780166")
		})
		if l == "ja" && !strings.Contains(shown(s.slack.Messages(c)...), "原因") {
			t.Errorf("ja: /wsb answered in English:\n%s", shown(s.slack.Messages(c)...))
		}

		// A direct message, and a plain message holding a code in the
		// incident channel, are answered; plain chatter there is not.
		ts = s.slack.UserSays("D"+u, u, "0x80780119")
		s.waitThread("the answer to a DM", "D"+u, ts, containsAll("0x80780119"))
		quiet := s.slack.UserSays("C0INC", u, "good morning")
		ts = s.slack.UserSays("C0INC", u, "backup failed with 0x80780119 tonight")
		s.waitThread("the answer in the incident channel", "C0INC", ts, containsAll("0x80780119"))
		if rs := s.botReplies("C0INC", quiet); len(rs) != 0 {
			t.Errorf("%s: plain chatter in the incident channel answered:\n%s", l, shown(rs...))
		}
	}

	// 9: /healthz 200 when connected; /metrics has wsbbot_ series.
	if code, body := s.get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d %q", code, body)
	}
	code, body := s.get("/metrics")
	for _, series := range []string{`wsbbot_events_total{type="app_mention"}`, `wsbbot_replies_total{method="chat.postMessage"}`,
		`wsbbot_handling_seconds_count{outcome="replied"}`, `wsbbot_handling_seconds_count{outcome="duplicate"}`, `wsbbot_slack_api_errors_total{method="chat.postMessage"}`, "wsbbot_reconnects_total 4",
		`wsbbot_runs{status="succeeded"}`} {
		if code != http.StatusOK || !strings.Contains(body, series) {
			t.Errorf("/metrics (%d) lacks %s", code, series)
		}
	}
	// No reply ever broke Slack's limits or pace.
	for _, call := range s.slack.Calls() {
		if call.Error != "" && call.Error != "ratelimited" {
			t.Errorf("%s answered %s", call.Method, call.Error)
		}
	}
	var limited int
	posts := s.slack.CallsTo("chat.postMessage")
	for _, call := range posts {
		if call.Status == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 2 {
		var b strings.Builder
		for _, call := range posts {
			fmt.Fprintf(&b, "  %s %s %d %s thread=%s\n", call.At.Format("15:04:05.000"), call.Args["channel"], call.Status, call.Error, call.Args["thread_ts"])
		}
		t.Errorf("%d chat.postMessage calls answered 429, want only the 2 injected (the bot keeps Slack's pace):\n%s", limited, b.String())
	}
}

func (s *served) waitFor(what string, pred func() bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hang)
	defer cancel()
	if err := s.slack.WaitFor(ctx, pred); err != nil {
		s.t.Fatalf("waiting for %s: %v\nlog:\n%s", what, err, s.stderr.String())
	}
}

func (s *served) waitAck(envelope string) {
	s.t.Helper()
	s.waitFor("the ack of "+envelope, func() bool {
		for _, a := range s.slack.Acks() {
			if a.EnvelopeID == envelope {
				return true
			}
		}
		return false
	})
}

// TestServeRefusesBadTokens: serve does not start, exit 2, naming the
// key, when a token is missing or of the wrong kind.
func TestServeRefusesBadTokens(t *testing.T) {
	dir := t.TempDir()
	base := []string{"WSBBOT_STORE_PATH=" + filepath.Join(dir, "wsbbot.db"), "WSBBOT_HTTP_LISTEN=" + freeAddr(t)}
	for _, tt := range []struct {
		name string
		vars []string
		key  string
	}{
		{"no tokens", nil, "slack.bot_token"},
		{"bot token missing", []string{"WSBBOT_SLACK_APP_TOKEN=xapp-1"}, "slack.bot_token"},
		{"bot token of the wrong kind", []string{"WSBBOT_SLACK_BOT_TOKEN=xoxp-1", "WSBBOT_SLACK_APP_TOKEN=xapp-1"}, "slack.bot_token"},
		{"app token missing", []string{"WSBBOT_SLACK_BOT_TOKEN=xoxb-1"}, "slack.app_token"},
		{"app token of the wrong kind", []string{"WSBBOT_SLACK_BOT_TOKEN=xoxb-1", "WSBBOT_SLACK_APP_TOKEN=xoxb-2"}, "slack.app_token"},
		{"unknown mode", []string{"WSBBOT_SLACK_MODE=webhook", "WSBBOT_SLACK_BOT_TOKEN=xoxb-1", "WSBBOT_SLACK_APP_TOKEN=xapp-1"}, "slack.mode"},
		{"http mode without the signing secret", []string{"WSBBOT_SLACK_MODE=http", "WSBBOT_SLACK_BOT_TOKEN=xoxb-1"}, "slack.signing_secret"},
		{"http mode without the bot token", []string{"WSBBOT_SLACK_MODE=http", "WSBBOT_SLACK_SIGNING_SECRET=s3cr3t-value"}, "slack.bot_token"},
	} {
		code, _, stderr := wsbbot(t, append(append([]string{}, base...), tt.vars...), "", "serve")
		if code != exitUsage || !strings.Contains(stderr, tt.key) {
			t.Errorf("%s: exit %d, stderr %q; want 2 naming %s", tt.name, code, stderr, tt.key)
		}
		for _, v := range tt.vars {
			name, tok, _ := strings.Cut(v, "=")
			if (strings.HasSuffix(name, "_TOKEN") || strings.HasSuffix(name, "_SECRET")) && strings.Contains(stderr, tok) {
				t.Errorf("%s: stderr shows the token %q", tt.name, tok)
			}
		}
	}
}

// TestServeDedupesAcrossRestart: an event Slack delivers again after
// serve restarted (inside its retry window) is not answered again: the
// ids handled are kept in the record. After a SIGTERM, and after a
// SIGKILL right after the reply (the keys are written before the reply,
// without a sync of their own: a crash of the process keeps them).
func TestServeDedupesAcrossRestart(t *testing.T) {
	for _, kill := range []bool{false, true} {
		name := "SIGTERM"
		if kill {
			name = "SIGKILL"
		}
		t.Run(name, func(t *testing.T) {
			s := startServe(t, nil)
			var stop func()
			if kill {
				if code := s.shutdown(); code != 0 { // the in-process serve gives way to a process that can be killed
					t.Fatalf("serve exited %d:\n%s", code, s.stderr.String())
				}
				stop = s.startChild()
			}
			u, bot := chatUsers["en"].ID, "<@"+s.slack.BotUserID()+">"
			ts := s.slack.UserSays("C01", u, bot+" 0x80780119")
			s.waitThread("the lookup", "C01", ts, containsAll("0x80780119"))
			var mention string
			for _, d := range s.slack.Deliveries() {
				if d.EventType == "app_mention" {
					mention = d.EventID
				}
			}
			if kill {
				stop()
			} else if code := s.shutdown(); code != 0 {
				t.Fatalf("serve exited %d after SIGTERM:\n%s", code, s.stderr.String())
			}
			s.start()
			env, err := s.slack.Redeliver(mention)
			if err != nil {
				t.Fatal(err)
			}
			s.waitAck(env)
			s.slack.UserReplies("C01", ts, u, bot+" help")
			rs := s.waitThread("help", "C01", ts, containsAll("restore-test done"))
			if len(rs) != 2 {
				t.Errorf("%d replies after a redelivery across a restart, want the lookup and help:\n%s", len(rs), shown(rs...))
			}
		})
	}
}

// BenchmarkServeIdleRSS builds wsbbot, starts `serve` with 1,000 servers
// configured against the fake Slack, waits until it is connected and
// idle, and reports its resident memory (VmRSS, Linux).
func BenchmarkServeIdleRSS(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "wsbbot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	conf := benchInventory(b, dir, 1000)
	fake := slacktest.Start(b, slacktest.Options{})
	listen := freeAddrB(b)
	var rss float64
	for range b.N {
		cmd := exec.Command(bin, "serve", "--config", conf)
		cmd.Env = append(os.Environ(), "WSBBOT_BENCH_PW=x", "WSBBOT_SLACK_BOT_TOKEN="+fake.BotToken(), "WSBBOT_SLACK_APP_TOKEN="+fake.AppToken(),
			"WSBBOT_SLACK_API_URL="+fake.APIURL(), "WSBBOT_STORE_PATH="+filepath.Join(dir, "wsbbot.db"), "WSBBOT_HTTP_LISTEN="+listen,
			"WSBBOT_REMOTE_LOCK_DIR="+dir, "WSBBOT_LOG_LEVEL=warn")
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cmd.Process.Kill() }) // after a failed wait; harmless once it exited
		waitHealthy(b, listen)
		time.Sleep(2 * time.Second) // idle
		status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
		if err != nil {
			b.Fatal(err)
		}
		for _, l := range strings.Split(string(status), "\n") {
			if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseFloat(f[1], 64)
				rss = kb / 1024
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			b.Errorf("serve after SIGTERM: %v", err)
		}
	}
	b.ReportMetric(rss, "idle-RSS-MB")
}

// benchInventory writes dir/wsbbot.yaml with n targets srv0000... on
// loopback ports no server listens on (the benchmarks never reach them;
// their password is WSBBOT_BENCH_PW) and returns its path.
func benchInventory(b *testing.B, dir string, n int) string {
	b.Helper()
	var cfg strings.Builder
	cfg.WriteString("targets:\n")
	for i := range n {
		fmt.Fprintf(&cfg, "  - {name: srv%04d, address: 127.0.0.1, port: %d, scheme: http, auth: basic, user: u, password_env: WSBBOT_BENCH_PW, tags: [bench]}\n", i, 20000+i)
	}
	conf := filepath.Join(dir, "wsbbot.yaml")
	if err := os.WriteFile(conf, []byte(cfg.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return conf
}

func freeAddrB(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
