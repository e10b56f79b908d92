package slack

import (
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	slackgo "github.com/slack-go/slack"

	"github.com/wsbbot/wsbbot/bot"
)

// Slack's Block Kit and message limits (SLACK.md §4; Block Kit reference).
const (
	maxBlocks        = 50
	maxSectionText   = 3000
	maxFields        = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxActionID      = 255
	maxBlockID       = 255
	maxActionsElems  = 25
	maxOptions       = 100
	maxOptionText    = 75
	maxOptionValue   = 150
	maxPlaceholder   = 150
	maxContextText   = 3000
	maxFallbackText  = 3000
	loadBlockPrefix  = "wsb.load:"
	actionIDSeparate = "#"
)

// specialToken is what mrkdwn must keep as written: mentions of users,
// channels and groups, and special mentions. Slack's ids are [A-Z0-9];
// "_" is kept too, for the ids test workspaces use (U_ALICE).
var specialToken = regexp.MustCompile(`<(?:[@#][A-Z0-9_]+(?:\|[^<>]*)?|![a-z]+(?:\^[A-Z0-9]+)?(?:\|[^<>]*)?)>`)

// escape makes text safe as Slack mrkdwn: &, < and > become entities,
// except in the mention tokens the core writes (<@U123>).
func escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range specialToken.FindAllStringIndex(s, -1) {
		b.WriteString(escapePlain(s[last:m[0]]))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(escapePlain(s[last:]))
	return b.String()
}

var entities = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapePlain(s string) string { return entities.Replace(s) }

// clip cuts s to at most n characters, marking a cut with "…"; it never
// splits an entity (&amp;) in two.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(r), '&'); i >= 0 && !strings.Contains(string(r)[i:], ";") {
		r = []rune(string(r)[:i])
	}
	return string(r) + "…"
}

// clipMiddle keeps the head and tail lines of s within n characters,
// saying how many lines are left out.
func clipMiddle(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	lines := strings.Split(s, "\n")
	budget := n - 40
	var head, tail []string
	used, i, j := 0, 0, len(lines)-1
	for i <= j {
		l := clip(lines[i], budget/2)
		if used+utf8.RuneCountInString(l)+1 > budget/2 {
			break
		}
		head = append(head, l)
		used += utf8.RuneCountInString(l) + 1
		i++
	}
	for j >= i {
		l := clip(lines[j], budget/2)
		if used+utf8.RuneCountInString(l)+1 > budget {
			break
		}
		tail = append([]string{l}, tail...)
		used += utf8.RuneCountInString(l) + 1
		j--
	}
	out := append(head, "… "+strconv.Itoa(j-i+1)+" lines …")
	return clip(strings.Join(append(out, tail...), "\n"), n)
}

func mrkdwn(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.MarkdownType, s, false, false)
}

func plain(s string) *slackgo.TextBlockObject {
	return slackgo.NewTextBlockObject(slackgo.PlainTextType, s, false, false)
}

// codeBlock is code as a mrkdwn preformatted block of at most n
// characters.
func codeBlock(code string, n int) string {
	return "```\n" + clipMiddle(escape(code), n-8) + "\n```"
}

// Blocks renders r as Block Kit: a header for the title; a section per
// section (text, fields, then code in a preformatted block); one actions
// block of buttons and menus; a context line. Every text is escaped for
// mrkdwn and cut to Slack's limits, so Slack never answers invalid_blocks.
func Blocks(r bot.Reply) slackgo.Blocks {
	var bl []slackgo.Block
	if t := strings.TrimSpace(r.Title); t != "" {
		bl = append(bl, slackgo.NewHeaderBlock(plain(clip(t, maxHeaderText))))
	}
	for _, s := range r.Sections {
		bl = append(bl, sectionBlocks(s)...)
	}
	var ctx slackgo.Block
	if c := strings.TrimSpace(r.Context); c != "" {
		ctx = slackgo.NewContextBlock("", mrkdwn(clip(escape(c), maxContextText)))
	}
	actions := actionBlocks(r)
	room := maxBlocks - len(actions)
	if ctx != nil {
		room--
	}
	if len(bl) > room {
		bl = append(bl[:room-1], slackgo.NewSectionBlock(mrkdwn("…"), nil, nil))
	}
	bl = append(bl, actions...)
	if ctx != nil {
		bl = append(bl, ctx)
	}
	return slackgo.Blocks{BlockSet: bl}
}

// sectionBlocks renders one section: text and fields in one block when
// the text fits, the code in a block of its own when it does not fit
// beside the text.
func sectionBlocks(s bot.Section) []slackgo.Block {
	text := escape(strings.TrimRight(s.Text, "\n"))
	var fields []*slackgo.TextBlockObject
	for i, f := range s.Fields {
		if i == maxFields {
			break
		}
		label := escape(f.Label)
		value := f.Value
		if value == "" {
			value = "—"
		}
		fields = append(fields, mrkdwn(clip("*"+label+"*\n"+escape(value), maxFieldText)))
	}
	var out []slackgo.Block
	code := strings.TrimRight(s.Code, "\n")
	if code != "" {
		cb := codeBlock(code, maxSectionText)
		switch {
		case text == "":
			text = cb
			code = ""
		case utf8.RuneCountInString(text)+1+utf8.RuneCountInString(cb) <= maxSectionText:
			text += "\n" + cb
			code = ""
		}
	}
	if text != "" || len(fields) > 0 {
		var t *slackgo.TextBlockObject
		if text != "" {
			t = mrkdwn(clip(text, maxSectionText))
		}
		out = append(out, slackgo.NewSectionBlock(t, fields, nil))
	}
	if code != "" {
		out = append(out, slackgo.NewSectionBlock(mrkdwn(codeBlock(code, maxSectionText)), nil, nil))
	}
	return out
}

// actionBlocks renders the buttons and menus, at most 25 to an actions
// block. An action_id used twice in one message gets a "#n" suffix, which
// actionID removes again.
func actionBlocks(r bot.Reply) []slackgo.Block {
	var els []slackgo.BlockElement
	var loads []slackgo.Block
	used := map[string]int{}
	id := func(a string) string {
		used[a]++
		if n := used[a]; n > 1 {
			a = a + actionIDSeparate + strconv.Itoa(n)
		}
		return clip(a, maxActionID)
	}
	for _, b := range r.Buttons {
		if b.Label == "" || b.ActionID == "" || utf8.RuneCountInString(b.Value) > maxButtonValue {
			continue // not a control Slack can carry; the core never writes one
		}
		btn := slackgo.NewButtonBlockElement(id(b.ActionID), b.Value, plain(clip(b.Label, maxButtonText)))
		switch b.Style {
		case bot.StylePrimary:
			btn.Style = slackgo.StylePrimary
		case bot.StyleDanger:
			btn.Style = slackgo.StyleDanger
		}
		els = append(els, btn)
	}
	for _, m := range r.Menus {
		ph := plain(clip(orDefault(m.Placeholder, "…"), maxPlaceholder))
		if m.Load != "" {
			// A menu that loads its options as the user types
			// (block_suggestion); the block id carries what to load.
			sel := slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeExternal, ph, id(m.ActionID))
			one := 1
			sel.MinQueryLength = &one
			loads = append(loads, slackgo.NewActionBlock(clip(loadBlockPrefix+m.Load, maxBlockID), sel))
			continue
		}
		var opts []*slackgo.OptionBlockObject
		for _, o := range m.Options {
			if len(opts) == maxOptions {
				break
			}
			if o.Label == "" || utf8.RuneCountInString(o.Value) > maxOptionValue || o.Value == "" {
				continue
			}
			opts = append(opts, slackgo.NewOptionBlockObject(o.Value, plain(clip(o.Label, maxOptionText)), nil))
		}
		if len(opts) == 0 {
			continue
		}
		els = append(els, slackgo.NewOptionsSelectBlockElement(slackgo.OptTypeStatic, ph, id(m.ActionID), opts...))
	}
	var out []slackgo.Block
	for len(els) > 0 {
		n := min(len(els), maxActionsElems)
		out = append(out, slackgo.NewActionBlock("", els[:n]...))
		els = els[n:]
	}
	return append(out, loads...)
}

// options renders menu options for a block_suggestion answer.
func options(os []bot.Option) []*slackgo.OptionBlockObject {
	out := []*slackgo.OptionBlockObject{}
	for _, o := range os {
		if len(out) == maxOptions {
			break
		}
		if o.Label == "" || o.Value == "" || utf8.RuneCountInString(o.Value) > maxOptionValue {
			continue
		}
		out = append(out, slackgo.NewOptionBlockObject(o.Value, plain(clip(o.Label, maxOptionText)), nil))
	}
	return out
}

// actionID is the core's action id of a control: its id without the
// "#n" suffix Blocks adds to repeats.
func actionID(id string) string {
	base, _, _ := strings.Cut(id, actionIDSeparate)
	return base
}

// Fallback is r's plain-text fallback for notifications: never empty,
// escaped, within Slack's limits.
func Fallback(r bot.Reply) string {
	t := strings.TrimSpace(r.FallbackText())
	if t == "" {
		t = "wsbbot"
	}
	return clip(escape(t), maxFallbackText)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
