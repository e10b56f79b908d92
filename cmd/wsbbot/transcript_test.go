package main

import (
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wsbbot/wsbbot/bot/slack/slacktest"
)

// writeSlackTranscript keeps, when WSBBOT_TRANSCRIPTS names a folder, what
// the fake Slack shows in a thread of channel (every top-level message and
// its thread when thread is ""): each message as its blocks render, the
// messages only one user saw there, and the files, as name.txt. It is for
// the record (closing notes); no test reads it.
func (s *served) writeSlackTranscript(name, channel, thread string) {
	dir := os.Getenv("WSBBOT_TRANSCRIPTS")
	if dir == "" {
		return
	}
	var msgs []slacktest.Message
	if thread != "" {
		msgs = s.slack.Thread(channel, thread)
	} else {
		for _, top := range s.slack.Messages(channel) {
			msgs = append(msgs, s.slack.Thread(channel, top.TS)...)
		}
	}
	type entry struct{ ts, text string }
	var entries []entry
	threads := map[string]bool{}
	for _, m := range msgs {
		who := "<@" + m.User + ">"
		if m.BotID != "" {
			who = "wsbbot"
		}
		where := "#" + channel
		if m.ThreadTS != "" && m.ThreadTS != m.TS {
			where += ", in the thread"
		} else {
			threads[m.TS] = true
		}
		text := fmt.Sprintf("── %s, %s:\n%s\n", who, where, renderBlocks(m.Text, m.Blocks))
		for _, f := range s.slack.Files() {
			if f.ShareTS == m.TS {
				content := string(f.Content)
				if len(content) > 1500 {
					content = content[:1500] + "\n[...]"
				}
				text += fmt.Sprintf("── file %s (%s):\n%s\n", f.Name, f.Title, content)
			}
		}
		entries = append(entries, entry{m.TS, text})
	}
	for _, e := range s.allEphemerals() {
		if e.Channel == channel && threads[e.ThreadTS] {
			entries = append(entries, entry{e.TS, fmt.Sprintf("── wsbbot, seen only by <@%s>:\n%s\n", e.User, renderBlocks(e.Text, e.Blocks))})
		}
	}
	slices.SortStableFunc(entries, func(a, b entry) int { return strings.Compare(a.ts, b.ts) })
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.text)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".txt"), []byte(b.String()), 0o644); err != nil {
		s.t.Error(err)
	}
}

// allEphemerals are the ephemerals of the four users of the approvals.
func (s *served) allEphemerals() []slacktest.Ephemeral {
	var out []slacktest.Ephemeral
	for _, u := range []slacktest.User{userAlice, userBob, userCarol, userJiro} {
		out = append(out, s.slack.Ephemerals(u.ID)...)
	}
	return out
}

// renderBlocks shows Block Kit blocks as text: headers, sections and
// their fields, context lines, buttons as [Label]; the fallback text when
// there are none.
func renderBlocks(text string, raw json.RawMessage) string {
	type txt struct {
		Text string `json:"text"`
	}
	var blocks []struct {
		Type     string `json:"type"`
		Text     *txt   `json:"text"`
		Fields   []txt  `json:"fields"`
		Elements []struct {
			Type string          `json:"type"`
			Text json.RawMessage `json:"text"`
		} `json:"elements"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &blocks) != nil || len(blocks) == 0 {
		return html.UnescapeString(text)
	}
	var b strings.Builder
	for _, bl := range blocks {
		switch bl.Type {
		case "header":
			b.WriteString("# " + bl.Text.Text + "\n")
		case "section":
			if bl.Text != nil {
				b.WriteString(bl.Text.Text + "\n")
			}
			for _, f := range bl.Fields {
				b.WriteString("  " + strings.ReplaceAll(f.Text, "\n", ": ") + "\n")
			}
		case "context", "actions":
			var parts []string
			for _, e := range bl.Elements {
				var t txt
				if json.Unmarshal(e.Text, &t) != nil {
					_ = json.Unmarshal(e.Text, &t.Text)
				}
				if e.Type == "button" {
					parts = append(parts, "["+t.Text+"]")
				} else {
					parts = append(parts, t.Text)
				}
			}
			b.WriteString(strings.Join(parts, " ") + "\n")
		}
	}
	return html.UnescapeString(strings.TrimRight(b.String(), "\n"))
}
