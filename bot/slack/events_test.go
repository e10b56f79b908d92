package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	slackgo "github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

const testSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// httpBot is the adapter in HTTP mode on the real core and the real
// poster, against the fake Slack's Web API; its events endpoint is url.
type httpBot struct {
	fake *slacktest.Server
	url  string
}

func startHTTPBot(t *testing.T) *httpBot {
	t.Helper()
	fake := slacktest.Start(t, slacktest.Options{
		Channels: []slacktest.Channel{{ID: "C111", Name: "backup-alerts"}},
		Users:    []slacktest.User{{ID: "U222", Name: "bob", Locale: "en-US"}},
	})
	set, err := runbooks.LoadBundled()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := oncall.New(oncall.Deps{Runbooks: set, Inventory: oncall.Inventory{{Name: "fs01"}, {Name: "fs02"}, {Name: "sql01"}}})
	if err != nil {
		t.Fatal(err)
	}
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	poster := NewPoster(PosterOptions{API: api, PostEvery: -1})
	core := bot.New(bot.Options{Service: svc, Poster: poster})
	// One worker: events are handled in the order they were taken, so a
	// later event's answer proves an earlier one was handled (or not).
	a, err := New(Options{API: api, Poster: poster, Handler: core, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.RunHTTP(ctx, 10*time.Second) }()
	for !a.Connected() { // auth.test answered: the adapter knows who it is
		select {
		case err := <-done:
			cancel()
			t.Fatalf("RunHTTP stopped: %v", err)
		case <-time.After(time.Millisecond):
		}
	}
	srv := httptest.NewServer(a.HTTPHandler(testSigningSecret))
	t.Cleanup(func() {
		srv.Close()
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		_ = core.Close(context.Background())
	})
	return &httpBot{fake: fake, url: srv.URL + EventsPath}
}

// signed is a request as Slack sends it, signed with secret at ts.
func signed(t *testing.T, target, contentType, body, secret string, ts time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + stamp + ":" + body))
	r.Header.Set("Content-Type", contentType)
	r.Header.Set("X-Slack-Request-Timestamp", stamp)
	r.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return r
}

// send sends a request and returns its status and body.
func send(t *testing.T, r *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// mentionEvent is an app_mention event_callback as Slack POSTs it.
func mentionEvent(eventID, channel, user, ts, text string) string {
	b, _ := json.Marshal(map[string]any{
		"token": "verification-token", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback",
		"event_id": eventID, "event_time": time.Now().Unix(),
		"event": map[string]any{"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": channel, "event_ts": ts},
	})
	return string(b)
}

func slashForm(text, user, channel, trigger string) string {
	return url.Values{"command": {"/wsb"}, "text": {text}, "user_id": {user}, "user_name": {"bob"}, "channel_id": {channel},
		"team_id": {"T0FAKE"}, "trigger_id": {trigger}, "response_url": {"https://hooks.slack.com/commands/T0FAKE/1/x"}}.Encode()
}

const formType = "application/x-www-form-urlencoded"

// botReplies waits until the thread of ts holds n replies of the bot and
// returns what they say.
func (b *httpBot) waitReplies(t *testing.T, channel, ts string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []string
	err := b.fake.WaitFor(ctx, func() bool {
		got = nil
		for _, m := range b.fake.Thread(channel, ts) {
			if m.BotID != "" {
				got = append(got, m.Text)
			}
		}
		return len(got) >= n
	})
	if err != nil {
		t.Fatalf("waiting for %d replies in %s/%s: %v; got %q", n, channel, ts, err, got)
	}
	return got
}

func TestHTTPURLVerification(t *testing.T) {
	b := startHTTPBot(t)
	code, body := send(t, signed(t, b.url, "application/json",
		`{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
		testSigningSecret, time.Now()))
	if code != http.StatusOK || !strings.Contains(body, `"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"`) {
		t.Errorf("url_verification = %d %s", code, body)
	}
}

// TestHTTPEventsSignedOnceEach: a signed mention is answered in its
// thread; Slack's retry of it (X-Slack-Retry-Num, signed anew) is not
// answered again; requests with a bad signature, a stale timestamp or no
// signature are refused 401 and not handled; a slash command replayed as
// it was is answered once.
func TestHTTPEventsSignedOnceEach(t *testing.T) {
	b := startHTTPBot(t)
	now := time.Now()
	ts := b.fake.UserSays("C111", "U222", "<@U0BOT> 0x80780119")
	mention := mentionEvent("Ev0001", "C111", "U222", ts, "<@U0BOT> 0x80780119")
	if code, body := send(t, signed(t, b.url, "application/json", mention, testSigningSecret, now)); code != http.StatusOK {
		t.Fatalf("signed mention = %d %s", code, body)
	}
	got := b.waitReplies(t, "C111", ts, 1)
	if !strings.Contains(got[0], "0x80780119") {
		t.Errorf("reply %q does not name the code", got[0])
	}

	retry := signed(t, b.url, "application/json", mention, testSigningSecret, now.Add(time.Second))
	retry.Header.Set("X-Slack-Retry-Num", "1")
	retry.Header.Set("X-Slack-Retry-Reason", "http_timeout")
	if code, _ := send(t, retry); code != http.StatusOK {
		t.Errorf("a retry = %d, want 200 (taken, then dropped by its event_id)", code)
	}

	refused := map[string]*http.Request{
		"bad signature":   signed(t, b.url, "application/json", mentionEvent("Ev0002", "C111", "U222", ts, "<@U0BOT> help"), "not-the-secret", now),
		"stale timestamp": signed(t, b.url, "application/json", mentionEvent("Ev0003", "C111", "U222", ts, "<@U0BOT> help"), testSigningSecret, now.Add(-6*time.Minute)),
	}
	unsigned := signed(t, b.url, "application/json", mentionEvent("Ev0004", "C111", "U222", ts, "<@U0BOT> help"), testSigningSecret, now)
	unsigned.Header.Del("X-Slack-Signature")
	refused["no signature"] = unsigned
	tampered := signed(t, b.url, "application/json", mentionEvent("Ev0005", "C111", "U222", ts, "<@U0BOT> help"), testSigningSecret, now)
	changed := mentionEvent("Ev0005", "C111", "U222", ts, "<@U0BOT> hel1")
	tampered.Body, tampered.ContentLength = io.NopCloser(strings.NewReader(changed)), int64(len(changed))
	refused["body changed after signing"] = tampered
	for name, r := range refused {
		if code, _ := send(t, r); code != http.StatusUnauthorized {
			t.Errorf("%s: %d, want 401", name, code)
		}
	}

	// A slash command has no event id: the same signed request twice is a
	// replay, answered once.
	slash := slashForm("0x80780166", "U222", "C111", "13345224609.738474920.8088930838d88f008e0")
	for range 2 {
		if code, body := send(t, signed(t, b.url, formType, slash, testSigningSecret, now)); code != http.StatusOK {
			t.Fatalf("slash command = %d %s", code, body)
		}
	}

	// The sentinel, in the mention's thread, is handled after all of the
	// above (one worker, in order): then the thread holds the lookup and
	// the sentinel's answer only.
	sentinel := mentionEvent("Ev0006", "C111", "U222", b.fake.UserReplies("C111", ts, "U222", "<@U0BOT> guide"), "<@U0BOT> guide")
	if code, _ := send(t, signed(t, b.url, "application/json", sentinel, testSigningSecret, now)); code != http.StatusOK {
		t.Fatal("sentinel refused")
	}
	got = b.waitReplies(t, "C111", ts, 2)
	if len(got) != 2 {
		t.Errorf("the thread holds %d replies, want the lookup and the sentinel's: %q", len(got), got)
	}
	var slashAnswers int
	for _, m := range b.fake.Messages("C111") {
		if m.BotID != "" && strings.Contains(m.Text, "0x80780166") {
			slashAnswers++
		}
	}
	if slashAnswers != 1 {
		t.Errorf("the replayed /wsb was answered %d times, want 1", slashAnswers)
	}
}

// TestHTTPButtonClick: a click on the lookup's Guide button, POSTed as
// Slack's block_actions form, is answered in the thread.
func TestHTTPButtonClick(t *testing.T) {
	b := startHTTPBot(t)
	now := time.Now()
	ts := b.fake.UserSays("C111", "U222", "<@U0BOT> 0x800423F4")
	if code, _ := send(t, signed(t, b.url, "application/json", mentionEvent("Ev0101", "C111", "U222", ts, "<@U0BOT> 0x800423F4"), testSigningSecret, now)); code != http.StatusOK {
		t.Fatal("mention refused")
	}
	b.waitReplies(t, "C111", ts, 1)
	var reply slacktest.Message
	for _, m := range b.fake.Thread("C111", ts) {
		if m.BotID != "" {
			reply = m
		}
	}
	var blocks []struct {
		Type     string           `json:"type"`
		BlockID  string           `json:"block_id"`
		Elements []map[string]any `json:"elements"`
	}
	if err := json.Unmarshal(reply.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	var action map[string]any
	for _, bl := range blocks {
		for _, e := range bl.Elements {
			if text, _ := e["text"].(map[string]any); bl.Type == "actions" && text["text"] == "Guide" {
				action = map[string]any{"type": "button", "action_id": e["action_id"], "block_id": bl.BlockID, "value": e["value"],
					"text": text, "action_ts": "1700000005.000200"}
			}
		}
	}
	if action == nil {
		t.Fatalf("no Guide button in %s", reply.Blocks)
	}
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "user": map[string]any{"id": "U222", "name": "bob"}, "team": map[string]any{"id": "T0FAKE"},
		"trigger_id": "111.222.abc", "channel": map[string]any{"id": "C111"},
		"container": map[string]any{"type": "message", "message_ts": reply.TS, "channel_id": "C111", "thread_ts": ts},
		"message":   map[string]any{"type": "message", "ts": reply.TS, "thread_ts": ts, "bot_id": "B0BOT"},
		"actions":   []any{action},
	})
	if code, body := send(t, signed(t, b.url, formType, url.Values{"payload": {string(payload)}}.Encode(), testSigningSecret, now)); code != http.StatusOK {
		t.Fatalf("block_actions = %d %s", code, body)
	}
	got := b.waitReplies(t, "C111", ts, 2)
	if !strings.Contains(strings.ToLower(got[1]), "vss") {
		t.Errorf("the Guide click answered %q", got[1])
	}
}

// TestHTTPMenuOptionsLoad: a block_suggestion is answered in the HTTP
// response with the servers matching what was typed.
func TestHTTPMenuOptionsLoad(t *testing.T) {
	b := startHTTPBot(t)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_suggestion", "user": map[string]any{"id": "U222"}, "team": map[string]any{"id": "T0FAKE"},
		"action_id": "wsb.server", "block_id": loadBlockPrefix + "servers 0x800423F4", "value": "fs",
		"container": map[string]any{"type": "message", "message_ts": "1700000000.000100", "channel_id": "C111"},
	})
	code, body := send(t, signed(t, b.url, formType, url.Values{"payload": {string(payload)}}.Encode(), testSigningSecret, time.Now()))
	if code != http.StatusOK {
		t.Fatalf("block_suggestion = %d %s", code, body)
	}
	var answer struct {
		Options []struct {
			Text  struct{ Text string } `json:"text"`
			Value string                `json:"value"`
		} `json:"options"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	var labels []string
	for _, o := range answer.Options {
		labels = append(labels, o.Text.Text)
	}
	if fmt.Sprint(labels) != "[fs01 fs02]" {
		t.Errorf("options %v, want [fs01 fs02]", labels)
	}
}

func TestHTTPRefusesOtherMethods(t *testing.T) {
	b := startHTTPBot(t)
	resp, err := http.Get(b.url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d, want 405", resp.StatusCode)
	}
}

// FuzzDecodeRequest: whatever a signed request holds, decoding it returns
// a value or an error, never a panic; a url_verification always carries
// its challenge.
func FuzzDecodeRequest(f *testing.F) {
	f.Add("application/json", []byte(`{"type":"url_verification","challenge":"abc"}`))
	f.Add("application/json", []byte(mentionEvent("Ev1", "C1", "U1", "1.000100", "<@U0BOT> 0x80780119")))
	f.Add("application/json", []byte(`{"type":"event_callback","event":{"type":"no_such_event"}}`))
	f.Add("application/json; charset=utf-8", []byte(`{"type":"app_rate_limited"}`))
	f.Add(formType, []byte(slashForm("0x80780166", "U1", "C1", "1.2.3")))
	f.Add(formType, []byte("payload="+url.QueryEscape(`{"type":"block_actions","actions":[{"action_id":"a","value":"v"}]}`)))
	f.Add(formType, []byte("payload=%7B"))
	f.Add("text/plain", []byte("hello"))
	f.Add("", []byte(""))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		got, err := decodeRequest(contentType, body)
		if err != nil {
			return
		}
		switch v := got.(type) {
		case urlVerification:
			if v.Challenge == "" {
				t.Error("url_verification without its challenge")
			}
		case slackevents.EventsAPIEvent:
			if v.Type != slackevents.CallbackEvent {
				t.Errorf("an Events API request of type %q taken as an event", v.Type)
			}
		case nil, slackgo.SlashCommand, slackgo.InteractionCallback:
		default:
			t.Errorf("decoded into %T", got)
		}
	})
}
