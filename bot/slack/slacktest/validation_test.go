package slacktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
)

func section(n int) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, strings.Repeat("x", n), false, false), nil, nil)
}

func button(text, actionID, value string) slack.Block {
	return slack.NewActionBlock("", slack.NewButtonBlockElement(actionID, value, slack.NewTextBlockObject(slack.PlainTextType, text, false, false)))
}

func TestPostMessageValidation(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	many := make([]slack.Block, 51)
	for i := range many {
		many[i] = section(1)
	}
	withID := section(1).(*slack.SectionBlock)
	withID.BlockID = strings.Repeat("b", 256)
	tests := []struct {
		name    string
		channel string
		opts    []slack.MsgOption
		want    string // error, "" for ok
	}{
		{"plain text", "C111", []slack.MsgOption{slack.MsgOptionText("hi", false)}, ""},
		{"blocks without text", "C111", []slack.MsgOption{slack.MsgOptionBlocks(section(10))}, ""},
		{"neither text nor blocks", "C111", nil, "no_text"},
		{"unknown channel", "C999", []slack.MsgOption{slack.MsgOptionText("hi", false)}, "channel_not_found"},
		{"private channel without the bot", "C222", []slack.MsgOption{slack.MsgOptionText("hi", false)}, "not_in_channel"},
		{"channel by name", "#backup-alerts", []slack.MsgOption{slack.MsgOptionText("hi", false)}, ""},
		{"50 blocks", "C111", []slack.MsgOption{slack.MsgOptionBlocks(many[:50]...)}, ""},
		{"51 blocks", "C111", []slack.MsgOption{slack.MsgOptionBlocks(many...)}, "invalid_blocks"},
		{"section of 3000", "C111", []slack.MsgOption{slack.MsgOptionBlocks(section(3000))}, ""},
		{"section of 3001", "C111", []slack.MsgOption{slack.MsgOptionBlocks(section(3001))}, "invalid_blocks"},
		{"button text of 76", "C111", []slack.MsgOption{slack.MsgOptionBlocks(button(strings.Repeat("r", 76), "a", "v"))}, "invalid_blocks"},
		{"button value of 2001", "C111", []slack.MsgOption{slack.MsgOptionBlocks(button("Retry", "a", strings.Repeat("v", 2001)))}, "invalid_blocks"},
		{"action_id of 256", "C111", []slack.MsgOption{slack.MsgOptionBlocks(button("Retry", strings.Repeat("a", 256), "v"))}, "invalid_blocks"},
		{"block_id of 256", "C111", []slack.MsgOption{slack.MsgOptionBlocks(withID)}, "invalid_blocks"},
		{"header of 151", "C111", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, strings.Repeat("h", 151), false, false)))}, "invalid_blocks"},
		{"mrkdwn header", "C111", []slack.MsgOption{slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject(slack.MarkdownType, "h", false, false)))}, "invalid_blocks"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := api.PostMessageContext(context.Background(), tc.channel, tc.opts...)
			got := ""
			var se slack.SlackErrorResponse
			if errors.As(err, &se) {
				got = se.Err
			} else if err != nil {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if got != tc.want {
				t.Errorf("error %q, want %q", got, tc.want)
			}
		})
	}
}

// post sends a raw request and returns the decoded reply.
func post(t *testing.T, s *slacktest.Server, method string, header http.Header, body string) map[string]any {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRawRequests(t *testing.T) {
	s := slacktest.New(baseOptions())
	defer s.Close()
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	jsonBot := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + s.BotToken()}}
	long := strings.Repeat("é", 40001)
	tests := []struct {
		name, method string
		header       http.Header
		body         string
		want         map[string]any // the fields to compare
	}{
		{"no token", "chat.postMessage", form, "channel=C111&text=hi", map[string]any{"ok": false, "error": "not_authed"}},
		{"wrong token", "chat.postMessage", form, "token=xoxb-nope&channel=C111&text=hi", map[string]any{"ok": false, "error": "invalid_auth"}},
		{"app token for a bot method", "chat.postMessage", form, "token=" + s.AppToken() + "&channel=C111&text=hi", map[string]any{"ok": false, "error": "not_allowed_token_type"}},
		{"bot token for connections", "apps.connections.open", form, "token=" + s.BotToken(), map[string]any{"ok": false, "error": "not_allowed_token_type"}},
		{"unknown method", "chat.nope", form, "token=" + s.BotToken(), map[string]any{"ok": false, "error": "unknown_method"}},
		{"JSON body", "chat.postMessage", jsonBot, `{"channel":"C111","text":"hi","blocks":[{"type":"divider"}]}`, map[string]any{"ok": true}},
		{"JSON without header token", "chat.postMessage", http.Header{"Content-Type": {"application/json"}}, `{"token":"` + s.BotToken() + `","channel":"C111","text":"hi"}`, map[string]any{"ok": false, "error": "not_authed"}},
		{"JSON to a form-only method", "users.info", jsonBot, `{"user":"U111"}`, map[string]any{"ok": false, "error": "user_not_found"}},
		{"malformed blocks", "chat.postMessage", form, "token=" + s.BotToken() + "&channel=C111&text=hi&blocks=" + url.QueryEscape(`[{"type":`), map[string]any{"ok": false, "error": "invalid_blocks_format"}},
		{"block without type", "chat.postMessage", form, "token=" + s.BotToken() + "&channel=C111&text=hi&blocks=" + url.QueryEscape(`[{"text":"x"}]`), map[string]any{"ok": false, "error": "invalid_blocks"}},
		{"text over 40,000 is truncated", "chat.postMessage", form, "token=" + s.BotToken() + "&channel=C111&text=" + url.QueryEscape(long), map[string]any{"ok": true, "warning": "message_truncated"}},
		{"ephemeral to a non-member", "chat.postEphemeral", form, "token=" + s.BotToken() + "&channel=C222&user=U222&text=hi", map[string]any{"ok": false, "error": "user_not_in_channel"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := post(t, s, tc.method, tc.header, tc.body)
			got := map[string]any{}
			for k := range tc.want {
				got[k] = out[k]
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("reply (-want +got):\n%s\nfull: %v", diff, out)
			}
		})
	}
	if u := s.Unexpected(); !cmp.Equal(u, []string{"chat.nope"}) {
		t.Errorf("unexpected %q, want the unknown method", u)
	}
	if msgs := s.Messages("C111"); len(msgs) != 2 || len([]rune(msgs[1].Text)) != 40000 {
		t.Errorf("stored %d messages; want the JSON one and the truncated one", len(msgs))
	}
	calls := s.CallsTo("chat.postMessage")
	if c := calls[len(calls)-1]; c.Args["channel"] != "C111" || c.Args["token"] != "" || c.Error != "" {
		t.Errorf("recorded call %+v: want decoded args without the token", c.Method)
	}
}

func TestReactionsAndDelete(t *testing.T) {
	s := slacktest.Start(t, baseOptions())
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	ctx := context.Background()
	ts := s.UserSays("C111", "U111", "status")
	ref := slack.NewRefToMessage("C111", ts)
	if err := api.AddReactionContext(ctx, "eyes", ref); err != nil {
		t.Fatal(err)
	}
	if err := api.AddReactionContext(ctx, "eyes", ref); err == nil || err.Error() != "already_reacted" {
		t.Errorf("second eyes: %v", err)
	}
	if err := api.AddReactionContext(ctx, "white_check_mark", ref); err != nil {
		t.Fatal(err)
	}
	if err := api.RemoveReactionContext(ctx, "eyes", ref); err != nil {
		t.Fatal(err)
	}
	want := []slacktest.Reaction{{Name: "white_check_mark", Users: []string{"U0BOT"}}}
	if diff := cmp.Diff(want, s.Reactions("C111", ts)); diff != "" {
		t.Errorf("reactions (-want +got):\n%s", diff)
	}
	if err := api.AddReactionContext(ctx, "eyes", slack.NewRefToMessage("C111", "1.000001")); err == nil || err.Error() != "message_not_found" {
		t.Errorf("reaction on a missing message: %v", err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C111", ts); err == nil || err.Error() != "cant_delete_message" {
		t.Errorf("delete a user's message: %v", err)
	}
	_, mine, err := api.PostMessageContext(ctx, "C111", slack.MsgOptionText("bye", false))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.DeleteMessageContext(ctx, "C111", mine); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Message("C111", mine); ok {
		t.Error("deleted message still stored")
	}
	if _, err := api.PostEphemeralContext(ctx, "C111", "U222", slack.MsgOptionText("only you", false)); err != nil {
		t.Fatal(err)
	}
	if e := s.Ephemerals("U222"); len(e) != 1 || e[0].Text != "only you" {
		t.Errorf("ephemerals %+v", e)
	}
}

func TestTextLimitOption(t *testing.T) {
	opts := baseOptions()
	opts.TextLimit = 4000
	s := slacktest.Start(t, opts)
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()))
	_, _, err := api.PostMessageContext(context.Background(), "C111", slack.MsgOptionText(strings.Repeat("x", 4001), false))
	if err == nil || err.Error() != "msg_too_long" {
		t.Errorf("text over TextLimit: %v, want msg_too_long", err)
	}
}
