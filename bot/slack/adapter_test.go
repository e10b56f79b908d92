package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

// hang bounds every wait; no assertion depends on it.
const hang = 30 * time.Second

// logBuffer is a slog handler's output, safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func newLog() (*slog.Logger, *logBuffer) {
	l := &logBuffer{}
	return slog.New(slog.NewTextHandler(l, nil)), l
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fakeWorkspace is a fake Slack with one English user and two channels.
func fakeWorkspace(t *testing.T) *slacktest.Server {
	return slacktest.Start(t, slacktest.Options{
		Users:    []slacktest.User{{ID: "U0EN", Name: "alice", Locale: "en-US"}},
		Channels: []slacktest.Channel{{ID: "C01", Name: "ops-01"}, {ID: "C02", Name: "ops-02"}},
	})
}

func newTestPoster(fake *slacktest.Server, reg prometheus.Registerer, lg *slog.Logger) *Poster {
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()), slackgo.OptionAppLevelToken(fake.AppToken()), slackgo.OptionHTTPClient(HTTPClient()))
	return NewPoster(PosterOptions{API: api, Metrics: NewMetrics(reg), Logger: lg, PostEvery: -1})
}

// metric finds the series of reg named name with labels (nil when absent).
func metric(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m
		}
	}
	return nil
}

// counter reads a counter of reg by name and labels (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	return metric(t, reg, name, labels).GetCounter().GetValue()
}

// TestAdapterRunsAndStops: the adapter on the real core answers a
// mention, reconnects after a dropped socket, answers again, and on
// cancel stops with nil; with the core and the fake closed, nothing is
// left running (TestMain's leak check).
func TestAdapterRunsAndStops(t *testing.T) {
	fake := fakeWorkspace(t)
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		t.Fatal(err)
	}
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()), slackgo.OptionAppLevelToken(fake.AppToken()))
	poster := NewPoster(PosterOptions{API: api})
	core := bot.New(bot.Options{Service: svc, Poster: poster})
	defer core.Close(context.Background())
	a, err := New(Options{API: api, Poster: poster, Handler: core})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, 5*time.Second) }()
	wait, stop := context.WithTimeout(context.Background(), hang)
	defer stop()
	answered := func(channel, ts string) {
		t.Helper()
		err := fake.WaitFor(wait, func() bool {
			for _, m := range fake.Thread(channel, ts) {
				if m.BotID != "" && strings.Contains(m.Text, "0x80780119") {
					return true
				}
			}
			return false
		})
		if err != nil {
			t.Fatalf("no answer in %s/%s: %v", channel, ts, err)
		}
	}
	answered("C01", fake.UserSays("C01", "U0EN", "<@U0BOT> 0x80780119"))
	fake.Drop()
	answered("C02", fake.UserSays("C02", "U0EN", "<@U0BOT> 0x80780119"))
	if n := fake.Connections(); n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	if a.Connected() {
		t.Error("still connected after Run returned")
	}
}

// TestPosterRefusedReplies: when Slack refuses a reply for its content,
// the user still gets it as text (the whole of it, in a file, when the
// text does not fit or is refused too), for a post, an edit and an
// ephemeral; each refusal is logged and counted.
func TestPosterRefusedReplies(t *testing.T) {
	fake := fakeWorkspace(t)
	lg, logs := newLog()
	reg := prometheus.NewRegistry()
	p := newTestPoster(fake, reg, lg)
	ctx := context.Background()
	reply := bot.Reply{Channel: "C01", Title: "0x80780119", Sections: []bot.Section{{Text: "Cause: the target is gone.", Fields: []bot.Field{{Label: "Server", Value: "fs01"}}}},
		Buttons: []bot.Button{{Label: "Diagnose", ActionID: "diagnose", Value: "fs01"}}}
	text := func(ts string) slacktest.Message {
		t.Helper()
		msg, ok := fake.Message("C01", ts)
		if !ok {
			t.Fatalf("no message %s", ts)
		}
		return msg
	}

	fake.InjectFault("chat.postMessage", slacktest.Fault{Error: "invalid_blocks"})
	ts, err := p.Post(ctx, reply)
	if err != nil {
		t.Fatalf("Post after invalid_blocks: %v", err)
	}
	if msg := text(ts); len(msg.Blocks) != 0 || !strings.Contains(msg.Text, "Cause: the target is gone.") || !strings.Contains(msg.Text, "Server: fs01") {
		t.Errorf("after invalid_blocks the message is %q with blocks %s, want the reply as text", msg.Text, msg.Blocks)
	}

	fake.InjectFault("chat.update", slacktest.Fault{Error: "msg_blocks_too_long"})
	edited := reply
	edited.Sections = []bot.Section{{Text: "Cause: edited."}}
	if err := p.Update(ctx, ts, edited); err != nil {
		t.Fatalf("Update after msg_blocks_too_long: %v", err)
	}
	if msg := text(ts); len(msg.Blocks) != 0 || !strings.Contains(msg.Text, "Cause: edited.") {
		t.Errorf("after msg_blocks_too_long the edit left %q with blocks %s, want the edit as text", msg.Text, msg.Blocks)
	}

	fake.InjectFault("chat.postEphemeral", slacktest.Fault{Error: "invalid_blocks"})
	if err := p.Ephemeral(ctx, "U0EN", reply); err != nil {
		t.Fatalf("Ephemeral after invalid_blocks: %v", err)
	}
	if es := fake.Ephemerals("U0EN"); len(es) != 1 || len(es[0].Blocks) != 0 || !strings.Contains(es[0].Text, "Cause: the target is gone.") {
		t.Errorf("ephemerals %+v, want the reply as text", es)
	}

	// A long reply whose text is refused too: its head, and all of it in a
	// file in the thread.
	long := reply
	long.Sections = []bot.Section{{Text: "Cause: " + strings.Repeat("very long ", 200)}, {Code: strings.Repeat("line\n", 500) + "the end"}}
	fake.InjectFault("chat.postMessage", slacktest.Fault{Error: "invalid_blocks"}, slacktest.Fault{Error: "msg_too_long"})
	ts, err = p.Post(ctx, long)
	if err != nil {
		t.Fatalf("Post after invalid_blocks and msg_too_long: %v", err)
	}
	if n := len([]rune(text(ts).Text)); n > shortText {
		t.Errorf("the head after msg_too_long has %d characters, want at most %d", n, shortText)
	}
	var file *slacktest.File
	for _, f := range fake.Files() {
		if f.ThreadTS == ts {
			file = &f
		}
	}
	if file == nil || !strings.HasSuffix(string(file.Content), "the end") || !strings.Contains(string(file.Content), "Cause: very long") {
		t.Errorf("no file in the thread with the whole reply: %+v", file)
	}

	for method, want := range map[string]float64{"chat.postMessage": 3, "chat.update": 1, "chat.postEphemeral": 1} {
		if got := counter(t, reg, "wsbbot_slack_api_errors_total", map[string]string{"method": method}); got != want {
			t.Errorf("wsbbot_slack_api_errors_total{method=%q} = %v, want %v", method, got, want)
		}
	}
	for _, l := range []struct {
		method, code string
		n            float64
	}{{"chat.postMessage", "invalid_blocks", 2}, {"chat.postMessage", "msg_too_long", 1}, {"chat.update", "msg_blocks_too_long", 1},
		{"chat.postEphemeral", "invalid_blocks", 1}} {
		if got := counter(t, reg, "wsbbot_reply_fallbacks_total", map[string]string{"method": l.method, "error": l.code}); got != l.n {
			t.Errorf("wsbbot_reply_fallbacks_total{%s,%s} = %v, want %v", l.method, l.code, got, l.n)
		}
		if !strings.Contains(logs.String(), "method="+l.method+" error="+l.code) {
			t.Errorf("the log does not name the refusal %s of %s:\n%s", l.code, l.method, logs.String())
		}
	}

	// Another error is no refusal: it is returned, not papered over.
	fake.InjectFault("chat.postMessage", slacktest.Fault{Error: "channel_not_found"})
	if _, err := p.Post(ctx, reply); err == nil || !strings.Contains(err.Error(), "channel_not_found") {
		t.Errorf("Post answered channel_not_found = %v, want that error", err)
	}
}

// TestPosterRateLimitStorm: a call answered 429 many times in a row is
// retried after each Retry-After until it goes through; beyond RetryFor
// it fails, saying so.
func TestPosterRateLimitStorm(t *testing.T) {
	fake := fakeWorkspace(t)
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := NewPoster(PosterOptions{API: api, Clock: clk, RetryFor: 30 * time.Second})
	limited := slacktest.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second}
	for range 12 {
		fake.InjectFault("chat.postMessage", limited)
	}
	ts, err := p.Post(context.Background(), bot.Reply{Channel: "C01", Sections: []bot.Section{{Text: "after the storm"}}})
	if err != nil {
		t.Fatalf("Post through 12 429s: %v", err)
	}
	if msg, ok := fake.Message("C01", ts); !ok || msg.Text != "after the storm" || len(fake.Messages("C01")) != 1 {
		t.Errorf("the reply is %+v (%v), want it once", msg, ok)
	}
	var slept time.Duration
	for _, d := range clk.sleeps {
		slept += d
	}
	if slept < 24*time.Second {
		t.Errorf("slept %v in all, want every Retry-After (12 x 2s) waited out", slept)
	}
	for range 16 {
		fake.InjectFault("chat.postMessage", limited)
	}
	_, err = p.Post(context.Background(), bot.Reply{Channel: "C01", Sections: []bot.Section{{Text: "lost"}}})
	var rl *slackgo.RateLimitedError
	if !errors.As(err, &rl) || !strings.Contains(err.Error(), "still rate limited after waiting 30s") {
		t.Errorf("Post through 16 429s with RetryFor 30s = %v, want a rate-limit error after 30s", err)
	}
}

// TestPosterPacesAChannelByNameAndIdAsOne: the incident channel named in
// the configuration ("#ops-01", as the watch posts to it) and by id (as
// replies in it are posted) is one channel to Slack, paced as one: posts
// alternating between the two forms draw no 429, and once Slack has
// answered with the id, edits and reactions use the id.
func TestPosterPacesAChannelByNameAndIdAsOne(t *testing.T) {
	fake := slacktest.Start(t, slacktest.Options{
		Channels:    []slacktest.Channel{{ID: "C01", Name: "ops-01"}},
		ChannelRate: 1,
	})
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	p := NewPoster(PosterOptions{API: api})
	ctx := context.Background()
	for i, ch := range []string{"#ops-01", "C01", "#ops-01"} {
		ts, err := p.Post(ctx, bot.Reply{Channel: ch, Sections: []bot.Section{{Text: fmt.Sprint("post ", i)}}})
		if err != nil {
			t.Fatalf("post %d to %s: %v", i, ch, err)
		}
		if err := p.React(ctx, ch, ts, "white_check_mark"); err != nil {
			t.Errorf("reaction on post %d in %s: %v", i, ch, err)
		}
	}
	for _, call := range fake.CallsTo("chat.postMessage") {
		if call.Status == http.StatusTooManyRequests {
			t.Errorf("chat.postMessage to %s answered 429: the name and the id were paced as two channels", call.Args["channel"])
		}
	}
	for _, call := range fake.CallsTo("reactions.add") {
		if call.Args["channel"] != "C01" {
			t.Errorf("reactions.add named the channel %q, want its id C01", call.Args["channel"])
		}
	}
	if n := len(fake.Messages("C01")); n != 3 {
		t.Errorf("%d messages in C01, want 3", n)
	}
}

// histogram reads the sample count and sum of a histogram of reg by name
// and labels (0, 0 when absent).
func histogram(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) (uint64, float64) {
	t.Helper()
	h := metric(t, reg, name, labels).GetHistogram()
	return h.GetSampleCount(), h.GetSampleSum()
}

// TestHandlingByOutcome: wsbbot_handling_seconds tells the events that
// got a reply from those dropped as duplicates or ignored, and the debug
// line of the one reply carries the very duration the histogram holds.
// One mention brings an app_mention (replied) and its message twin
// (duplicate); a redelivery of the app_mention is a duplicate; the bot's
// own post, echoed back, is ignored.
func TestHandlingByOutcome(t *testing.T) {
	fake := slacktest.Start(t, slacktest.Options{EchoBotMessages: true,
		Users:    []slacktest.User{{ID: "U0EN", Name: "alice", Locale: "en-US"}},
		Channels: []slacktest.Channel{{ID: "C01", Name: "ops-01"}}})
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set})
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	logs := &logBuffer{}
	lg := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()), slackgo.OptionAppLevelToken(fake.AppToken()))
	metrics := NewMetrics(reg)
	poster := NewPoster(PosterOptions{API: api, PostEvery: -1})
	core := bot.New(bot.Options{Service: svc, Poster: poster})
	defer core.Close(context.Background())
	a, err := New(Options{API: api, Poster: poster, Handler: core, Metrics: metrics, Logger: lg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, 5*time.Second) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel = %v", err)
		}
	}()

	ts := fake.UserSays("C01", "U0EN", "<@U0BOT> 0x80780119")
	var mention string
	for _, id := range fake.PostEvents("C01", ts) {
		mention = id // the app_mention follows the message event
	}
	wait, stop := context.WithTimeout(context.Background(), hang)
	defer stop()
	if err := fake.WaitFor(wait, func() bool { return len(fake.Thread("C01", ts)) > 1 }); err != nil {
		t.Fatalf("no reply: %v", err)
	}
	if _, err := fake.Redeliver(mention); err != nil {
		t.Fatal(err)
	}
	want := map[outcome]uint64{replied: 1, duplicate: 2, ignored: 1}
	count := func(o outcome) uint64 {
		n, _ := histogram(t, reg, "wsbbot_handling_seconds", map[string]string{"outcome": string(o)})
		return n
	}
	for {
		if count(replied) >= want[replied] && count(duplicate) >= want[duplicate] && count(ignored) >= want[ignored] {
			break
		}
		select {
		case <-wait.Done():
			t.Fatalf("handled: replied %d, duplicate %d, ignored %d; want %v", count(replied), count(duplicate), count(ignored), want)
		case <-time.After(10 * time.Millisecond):
		}
	}
	for _, o := range []outcome{replied, duplicate, ignored, failed} {
		if got := count(o); got != want[o] {
			t.Errorf("wsbbot_handling_seconds{outcome=%q} counts %d events, want %d", o, got, want[o])
		}
	}

	_, sum := histogram(t, reg, "wsbbot_handling_seconds", map[string]string{"outcome": string(replied)})
	var lines []string
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="`+handledLog+`"`) {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "event=app_mention") {
		t.Fatalf("debug lines of replies: %q, want one, of the app_mention", lines)
	}
	_, field, _ := strings.Cut(lines[0], "handling=")
	d, err := time.ParseDuration(strings.Fields(field)[0])
	if err != nil {
		t.Fatalf("the reply's debug line: %v", err)
	}
	if d <= 0 || d.Seconds() != sum {
		t.Errorf("the reply's debug line says %s, the histogram holds %gs", d, sum)
	}
}

// TestHTTPClientDropsPostedMessage: HTTPClient takes the posted message
// out of chat.postMessage's and chat.update's answers, and nothing else:
// slack-go still reads the channel, ts, text and warnings, and an error,
// another method's answer or a body that is not JSON come as they were.
func TestHTTPClientDropsPostedMessage(t *testing.T) {
	const posted = `{"ok":true,"channel":"C01","ts":"1.000200","text":"hi","warning":"missing_charset",` +
		`"response_metadata":{"warnings":["missing_charset"]},"message":{"type":"message","text":"hi","blocks":[{"type":"divider"}]}}`
	answers := map[string]string{
		"/api/chat.postMessage":     posted,
		"/api/chat.update":          posted,
		"/api/users.info":           posted,
		"/api/chat.postMessage?bad": `{"ok":true,"message":`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if r.URL.RawQuery != "" {
			key += "?" + r.URL.RawQuery
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, answers[key])
	}))
	defer srv.Close()
	c := HTTPClient()
	defer c.CloseIdleConnections()
	for path, want := range map[string]string{
		"/api/chat.postMessage":     `{"channel":"C01","ok":true,"response_metadata":{"warnings":["missing_charset"]},"text":"hi","ts":"1.000200","warning":"missing_charset"}`,
		"/api/chat.update":          `{"channel":"C01","ok":true,"response_metadata":{"warnings":["missing_charset"]},"text":"hi","ts":"1.000200","warning":"missing_charset"}`,
		"/api/users.info":           posted,
		"/api/chat.postMessage?bad": `{"ok":true,"message":`,
	} {
		resp, err := c.Post(srv.URL+path, "application/x-www-form-urlencoded", strings.NewReader("channel=C01"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(body) != want || resp.ContentLength != int64(len(want)) {
			t.Errorf("%s: answer %s (length %d), want %s", path, body, resp.ContentLength, want)
		}
	}
	// slack-go reads what it returns from the trimmed answer.
	api := slackgo.New("xoxb-test", slackgo.OptionAPIURL(srv.URL+"/api/"), slackgo.OptionHTTPClient(c))
	ch, ts, err := api.PostMessage("C01", slackgo.MsgOptionText("hi", false))
	if err != nil || ch != "C01" || ts != "1.000200" {
		t.Errorf("PostMessage = %q, %q, %v; want C01, 1.000200", ch, ts, err)
	}
	if _, _, text, err := api.UpdateMessage("C01", "1.000200", slackgo.MsgOptionText("hi", false)); err != nil || text != "hi" {
		t.Errorf("UpdateMessage text = %q, %v; want hi", text, err)
	}
}
