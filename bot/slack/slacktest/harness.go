package slacktest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// hook is what a response_url (or a slash command ack) answers for.
type hook struct {
	channel  string
	user     string
	msgTS    string // the message whose button was used; "" for commands
	threadTS string
}

var mention = regexp.MustCompile(`<@([UW][A-Z0-9]+)(\|[^>]*)?>`)

// richText renders a user's text as the rich_text block Slack attaches to
// typed messages: mentions become user elements.
func richText(text, blockID string) []any {
	var els []any
	last := 0
	for _, m := range mention.FindAllStringSubmatchIndex(text, -1) {
		if m[0] > last {
			els = append(els, map[string]any{"type": "text", "text": text[last:m[0]]})
		}
		els = append(els, map[string]any{"type": "user", "user_id": text[m[2]:m[3]]})
		last = m[1]
	}
	if last < len(text) {
		els = append(els, map[string]any{"type": "text", "text": text[last:]})
	}
	return []any{map[string]any{
		"type": "rich_text", "block_id": blockID,
		"elements": []any{map[string]any{"type": "rich_text_section", "elements": els}},
	}}
}

// UserSays posts a user's message to a channel and emits a message event
// (channel_type "im" in an IM), plus an app_mention with the same channel
// and ts when the text mentions the bot outside an IM. Each event has a
// fresh event_id. It returns the message's ts. An unknown channel is a
// bug in the test and panics.
func (s *Server) UserSays(channel, user, text string) string {
	return s.say(channel, "", user, text)
}

// UserReplies posts a user's reply in a thread, like UserSays.
func (s *Server) UserReplies(channel, threadTS, user, text string) string {
	return s.say(channel, threadTS, user, text)
}

func (s *Server) say(channel, threadTS, user, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil {
		panic(fmt.Sprintf("slacktest: a user speaks in unknown channel %q", channel))
	}
	m := &Message{Channel: c.ID, TS: s.nextTSLocked(), User: user, Text: text}
	if threadTS != "" {
		m.ThreadTS = s.threadParentLocked(c.ID, threadTS)
	}
	s.storeLocked(m)
	n := s.nextSeqLocked()
	ev := map[string]any{
		"client_msg_id": fmt.Sprintf("%08x-67df-42d7-a343-%012x", n, n),
		"type":          "message",
		"text":          text,
		"user":          user,
		"ts":            m.TS,
		"team":          s.opts.TeamID,
		"blocks":        richText(text, s.newBlockIDLocked()),
		"channel":       c.ID,
		"event_ts":      m.TS,
		"channel_type":  channelType(c),
	}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
		if p := s.findLocked(c.ID, m.ThreadTS); p != nil {
			ev["parent_user_id"] = p.User
		}
	}
	s.emitEventLocked(ev, "message")
	mentioned := strings.Contains(text, "<@"+s.opts.BotUserID+">") || strings.Contains(text, "<@"+s.opts.BotUserID+"|")
	if mentioned && !c.IsIM {
		am := map[string]any{}
		for k, v := range ev {
			am[k] = v
		}
		delete(am, "channel_type")
		delete(am, "parent_user_id")
		am["type"] = "app_mention"
		s.emitEventLocked(am, "app_mention")
	}
	s.changedLocked()
	return m.TS
}

func (s *Server) userNameLocked(id string) string {
	if u := s.users[id]; u != nil {
		return u.Name
	}
	return id
}

func (s *Server) newHookLocked(kind string, h hook) string {
	n := s.nextSeqLocked()
	path := fmt.Sprintf("/%s/%s/%d/fake%06d", kind, s.opts.TeamID, n, n*31)
	s.hooks[path] = h
	return s.http.URL + path
}

func (s *Server) triggerIDLocked() string {
	n := s.nextSeqLocked()
	return fmt.Sprintf("%d.%d.%x", 1000+n, 2000+n, n*2654435761)
}

// botMessageLocked finds a message the bot posted, top-level or reply.
func (s *Server) botMessageLocked(channel, ts string) (*Channel, *Message, error) {
	c := s.channels[channel]
	if c == nil {
		return nil, nil, fmt.Errorf("slacktest: unknown channel %q", channel)
	}
	m := s.findLocked(channel, ts)
	if m == nil {
		return nil, nil, fmt.Errorf("slacktest: no message %s in %s", ts, channel)
	}
	if m.BotID != s.opts.BotID {
		return nil, nil, fmt.Errorf("slacktest: message %s in %s is not the bot's", ts, channel)
	}
	return c, m, nil
}

// Click presses the button labelled label (its visible text) in a bot
// message, top-level or thread reply, and emits block_actions. The button
// must carry an action_id and a value. It returns the envelope id.
func (s *Server) Click(channel, msgTS, user, label string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.botMessageLocked(channel, msgTS)
	if err != nil {
		return "", err
	}
	found := findControls(m.Blocks, func(e map[string]any) bool {
		return e["type"] == "button" && textOf(e["text"]) == label
	})
	switch {
	case len(found) == 0:
		return "", fmt.Errorf("slacktest: no button labelled %q in message %s", label, msgTS)
	case len(found) > 1:
		return "", fmt.Errorf("slacktest: %d buttons labelled %q in message %s", len(found), label, msgTS)
	}
	el := found[0].elem
	actionID, _ := el["action_id"].(string)
	value, _ := el["value"].(string)
	if actionID == "" || value == "" {
		return "", fmt.Errorf("slacktest: button %q in message %s lacks action_id or value", label, msgTS)
	}
	action := map[string]any{
		"type": "button", "action_id": actionID, "block_id": found[0].blockID,
		"text": el["text"], "value": value, "action_ts": s.nextTSLocked(),
	}
	if st, ok := el["style"]; ok {
		action["style"] = st
	}
	return s.interactLocked(c, m, user, action), nil
}

// Select picks the option with optionValue in the static_select (or
// external_select) with actionID in a bot message, and emits
// block_actions; later Clicks on the message carry the choice in
// state.values. An external_select offers what the app answered to the
// latest Suggest on it. It returns the envelope id.
func (s *Server) Select(channel, msgTS, user, actionID, optionValue string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.botMessageLocked(channel, msgTS)
	if err != nil {
		return "", err
	}
	found := findControls(m.Blocks, func(e map[string]any) bool {
		return (e["type"] == "static_select" || e["type"] == "external_select") && e["action_id"] == actionID
	})
	if len(found) != 1 {
		return "", fmt.Errorf("slacktest: %d static or external selects with action_id %q in message %s", len(found), actionID, msgTS)
	}
	el := found[0].elem
	var opt map[string]any
	opts, _ := el["options"].([]any)
	groups, _ := el["option_groups"].([]any)
	if el["type"] == "external_select" {
		opts = s.suggested[channel+"/"+msgTS+"/"+actionID]
	}
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		more, _ := gm["options"].([]any)
		opts = append(opts, more...)
	}
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok && om["value"] == optionValue {
			opt = om
		}
	}
	if opt == nil {
		return "", fmt.Errorf("slacktest: %s %q has no option %q", el["type"], actionID, optionValue)
	}
	key := channel + "/" + msgTS
	if s.selections[key] == nil {
		s.selections[key] = map[string]map[string]any{}
	}
	bid := found[0].blockID
	if s.selections[key][bid] == nil {
		s.selections[key][bid] = map[string]any{}
	}
	s.selections[key][bid][actionID] = map[string]any{"type": el["type"], "selected_option": opt}
	action := map[string]any{
		"type": el["type"], "action_id": actionID, "block_id": bid,
		"selected_option": opt, "action_ts": s.nextTSLocked(),
	}
	if p, ok := el["placeholder"]; ok {
		action["placeholder"] = p
	}
	return s.interactLocked(c, m, user, action), nil
}

// interactLocked emits a message block_actions payload and returns the
// envelope id.
func (s *Server) interactLocked(c *Channel, m *Message, user string, action map[string]any) string {
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": c.ID, "is_ephemeral": false}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	channel := map[string]any{"id": c.ID}
	if c.IsIM {
		channel["name"] = "directmessage"
	} else {
		channel["name"] = c.Name
	}
	state := s.selections[c.ID+"/"+m.TS]
	if state == nil {
		state = map[string]map[string]any{}
	}
	name := s.userNameLocked(user)
	payload, _ := json.Marshal(map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": user, "username": name, "name": name, "team_id": s.opts.TeamID},
		"api_app_id":            s.opts.AppID,
		"token":                 "verification-token",
		"container":             container,
		"trigger_id":            s.triggerIDLocked(),
		"team":                  map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               channel,
		"message":               s.messageJSON(m),
		"state":                 map[string]any{"values": state},
		"response_url":          s.newHookLocked("actions", hook{channel: c.ID, user: user, msgTS: m.TS, threadTS: m.ThreadTS}),
		"actions":               []any{action},
	})
	p := &pending{id: s.newEnvelopeIDLocked(), typ: "interactive", eventType: "block_actions", payload: payload}
	s.deliverLocked(p)
	return p.id
}

// Slash runs a slash command ("/wsb") with text as user in a channel and
// emits a slash_commands envelope. An ack payload with text or blocks is
// shown like Slack does: to the user alone, or in the channel with
// "response_type":"in_channel". It returns the envelope id.
func (s *Server) Slash(command, text, user, channel string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channels[channel]
	if c == nil {
		return "", fmt.Errorf("slacktest: unknown channel %q", channel)
	}
	name := c.Name
	if c.IsIM {
		name = "directmessage"
	}
	h := hook{channel: c.ID, user: user}
	payload, _ := json.Marshal(map[string]any{
		"token": "verification-token", "team_id": s.opts.TeamID, "team_domain": s.opts.TeamDomain,
		"channel_id": c.ID, "channel_name": name, "user_id": user, "user_name": s.userNameLocked(user),
		"command": command, "text": text, "api_app_id": s.opts.AppID, "is_enterprise_install": "false",
		"response_url": s.newHookLocked("commands", h), "trigger_id": s.triggerIDLocked(),
	})
	p := &pending{id: s.newEnvelopeIDLocked(), typ: "slash_commands", eventType: command, payload: payload, accepts: true, resp: &h}
	s.deliverLocked(p)
	return p.id, nil
}

// flattenJSON reads a JSON object's top-level fields the way readArgs
// does.
func flattenJSON(body []byte) (map[string]string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, fmt.Errorf("decode json object: %w", err)
	}
	args := make(map[string]string, len(obj))
	for k, v := range obj {
		var str string
		if json.Unmarshal(v, &str) == nil {
			args[k] = str
		} else {
			args[k] = string(v)
		}
	}
	return args, nil
}

// serveHook answers response_url posts from interactions and commands.
func (s *Server) serveHook(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h, ok := s.hooks[r.URL.Path]
	s.mu.Unlock()
	if !ok || r.Method != http.MethodPost {
		s.noteUnexpected(r.Method + " " + r.URL.Path)
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	var args map[string]string
	if err == nil {
		args, err = flattenJSON(body)
	}
	s.mu.Lock()
	code := "invalid_payload"
	if err == nil {
		code = s.respondLocked(h, args, "response_url")
	}
	s.calls = append(s.calls, Call{Method: "response_url", Args: args, JSON: true, Status: http.StatusOK, Error: code})
	s.changedLocked()
	s.mu.Unlock()
	if code != "" {
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// respondLocked applies a response (response_url post or slash ack
// payload): delete or replace the original message, post in the channel,
// or show an ephemeral; it returns an error code or "".
func (s *Server) respondLocked(h hook, args map[string]string, source string) string {
	if truthy(args["delete_original"]) && h.msgTS != "" {
		if m := s.findLocked(h.channel, h.msgTS); m != nil {
			s.messages[h.channel] = deleteMsg(s.messages[h.channel], m)
		}
		s.changedLocked()
		return ""
	}
	text, blocks, _, errRep := s.contentLocked(args, true)
	if errRep != nil {
		code, _ := errRep.body["error"].(string)
		return code
	}
	switch {
	case truthy(args["replace_original"]) && h.msgTS != "":
		m := s.findLocked(h.channel, h.msgTS)
		if m == nil {
			return "message_not_found"
		}
		m.Text, m.Blocks, m.Edited = text, blocks, true
	case args["response_type"] == "in_channel":
		m := &Message{Channel: h.channel, TS: s.nextTSLocked(), User: s.opts.BotUserID, BotID: s.opts.BotID, Text: text, Blocks: blocks}
		if t := args["thread_ts"]; t != "" {
			m.ThreadTS = s.threadParentLocked(h.channel, t)
		}
		s.storeLocked(m)
		if c := s.channels[h.channel]; c != nil && s.opts.EchoBotMessages {
			s.emitMessageLocked(c, m, nil)
		}
	default:
		s.ephemerals = append(s.ephemerals, Ephemeral{
			Channel: h.channel, User: h.user, TS: s.nextTSLocked(), ThreadTS: h.threadTS,
			Text: text, Blocks: blocks, Source: source,
		})
	}
	s.changedLocked()
	return ""
}

func deleteMsg(list []*Message, m *Message) []*Message {
	out := list[:0:0]
	for _, x := range list {
		if x != m {
			out = append(out, x)
		}
	}
	return out
}

// Suggest types query into the external_select with actionID in a bot
// message, as a user does, and emits block_suggestion (an interactive
// envelope that accepts a response payload). The app answers with the
// options in its ack; SuggestedOptions reads them. It returns the
// envelope id.
func (s *Server) Suggest(channel, msgTS, user, actionID, query string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, m, err := s.botMessageLocked(channel, msgTS)
	if err != nil {
		return "", err
	}
	found := findControls(m.Blocks, func(e map[string]any) bool {
		return e["type"] == "external_select" && e["action_id"] == actionID
	})
	if len(found) != 1 {
		return "", fmt.Errorf("slacktest: %d external_selects with action_id %q in message %s", len(found), actionID, msgTS)
	}
	name := s.userNameLocked(user)
	container := map[string]any{"type": "message", "message_ts": m.TS, "channel_id": c.ID, "is_ephemeral": false}
	if m.ThreadTS != "" {
		container["thread_ts"] = m.ThreadTS
	}
	payload, _ := json.Marshal(map[string]any{
		"type":       "block_suggestion",
		"user":       map[string]any{"id": user, "username": name, "name": name, "team_id": s.opts.TeamID},
		"container":  container,
		"api_app_id": s.opts.AppID,
		"token":      "verification-token",
		"action_id":  actionID,
		"block_id":   found[0].blockID,
		"value":      query,
		"team":       map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamDomain},
		"channel":    map[string]any{"id": c.ID, "name": c.Name},
		"message":    s.messageJSON(m),
	})
	p := &pending{id: s.newEnvelopeIDLocked(), typ: "interactive", eventType: "block_suggestion", payload: payload, accepts: true,
		suggest: channel + "/" + msgTS + "/" + actionID}
	s.deliverLocked(p)
	return p.id, nil
}

// SuggestedOptions returns the values of the options the app answered to
// the latest Suggest on an external_select, and whether it answered.
func (s *Server) SuggestedOptions(channel, msgTS, actionID string) ([]string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	opts, ok := s.suggested[channel+"/"+msgTS+"/"+actionID]
	var out []string
	for _, o := range opts {
		if om, ok := o.(map[string]any); ok {
			v, _ := om["value"].(string)
			out = append(out, v)
		}
	}
	return out, ok
}
