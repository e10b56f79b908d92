package slack

import (
	"strings"
	"testing"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
)

// FuzzEscape: escape leaves no '<' or '>' outside the mention tokens it
// keeps, and every '&' starts an entity; without brackets, unescaping
// gives the text back. clip keeps at most n characters, valid UTF-8, and
// never ends in half an entity.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "a<b & c>d", "<@U123> hi", "<@U_ALICE|alice> <#C1|ops> <!here> <!subteam^S1>", "&amp; &lt;",
		"<@U1", "<<@U1>>", "x&", strings.Repeat("é&", 40), "\xff<\xfe>"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		e := escape(s)
		rest := specialToken.ReplaceAllString(e, "")
		if strings.ContainsAny(rest, "<>") {
			t.Errorf("escape(%q) = %q: a bracket outside a mention", s, e)
		}
		for i := strings.IndexByte(rest, '&'); i >= 0; i = strings.IndexByte(rest, '&') {
			if !strings.HasPrefix(rest[i:], "&amp;") && !strings.HasPrefix(rest[i:], "&lt;") && !strings.HasPrefix(rest[i:], "&gt;") {
				t.Fatalf("escape(%q) = %q: a bare '&'", s, e)
			}
			rest = rest[i+1:]
		}
		if !strings.ContainsAny(s, "<>") {
			if back := strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(e); back != s {
				t.Errorf("escape(%q) = %q, which reads back as %q", s, e, back)
			}
		}
		n = 2 + abs(n)%5000
		c := clip(e, n)
		if got := utf8.RuneCountInString(c); got > n {
			t.Errorf("clip(%q, %d) has %d characters", e, n, got)
		}
		if utf8.ValidString(e) && !utf8.ValidString(c) {
			t.Errorf("clip(%q, %d) = %q: not UTF-8", e, n, c)
		}
		if c != e {
			body := strings.TrimSuffix(c, "…")
			if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
				t.Errorf("clip(%q, %d) = %q: an entity cut in half", e, n, c)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// FuzzBlocks: whatever the core writes (any title, text, code, fields,
// controls), the Block Kit that Blocks renders is accepted by the fake
// Slack's validation of chat.postMessage, through slack-go: no reply
// ever fails with invalid_blocks.
func FuzzBlocks(f *testing.F) {
	fake := slacktest.Start(f, slacktest.Options{Channels: []slacktest.Channel{{ID: "C111", Name: "backup-alerts"}}})
	api := slackgo.New(fake.BotToken(), slackgo.OptionAPIURL(fake.APIURL()))
	f.Add("0x80780119", "Cause: <the target> & more", "vssadmin list writers", "Server", "fs01", "Diagnose", "wsb.diagnose", "fs01 0x80780119", 1)
	f.Add("", "", "", "", "", "", "", "", 0)
	f.Add(strings.Repeat("T", 200), strings.Repeat("x<&>y ", 700), strings.Repeat("line\n", 900), strings.Repeat("L", 3000),
		strings.Repeat("v&", 1500), strings.Repeat("B", 100), strings.Repeat("a", 300), strings.Repeat("v", 2001), 30)
	f.Add("\u202e\x00", "`", "```", "*", "_", "<@U1|", "#", "\n", 3)
	f.Fuzz(func(t *testing.T, title, text, code, label, value, button, action, buttonValue string, n int) {
		n = abs(n) % 40
		r := bot.Reply{Channel: "C111", Title: title, Context: text}
		for i := range n {
			s := bot.Section{Text: text, Code: code}
			for range i % 12 {
				s.Fields = append(s.Fields, bot.Field{Label: label, Value: value})
			}
			r.Sections = append(r.Sections, s)
			r.Buttons = append(r.Buttons, bot.Button{Label: button, ActionID: action, Value: buttonValue})
		}
		r.Menus = []bot.Menu{{Placeholder: label, ActionID: action, Options: []bot.Option{{Label: button, Value: value}, {Label: label, Value: buttonValue}}},
			{Placeholder: button, ActionID: action, Load: value}}
		if !utf8.ValidString(title + text + code + label + value + button + action + buttonValue) {
			return // Slack's API is UTF-8: the core's texts and Windows' decoded output are
		}
		if _, _, err := api.PostMessageContext(t.Context(), "C111", messageOptions(r)...); err != nil {
			t.Fatalf("Slack refuses a rendered reply: %v\nblocks: %+v", err, Blocks(r).BlockSet)
		}
	})
}
