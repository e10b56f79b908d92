package slacktest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxText is where Slack truncates a message's text (changelog
// "Truncating really long messages", 2018).
const maxText = 40000

type request struct {
	method string
	args   map[string]string
	json   bool
}

type reply struct {
	status int
	header map[string]string
	body   map[string]any
}

func okReply(fields map[string]any) reply {
	body := map[string]any{"ok": true}
	for k, v := range fields {
		body[k] = v
	}
	return reply{status: http.StatusOK, body: body}
}

func fail(code string) reply {
	return reply{status: http.StatusOK, body: map[string]any{"ok": false, "error": code}}
}

type tokenKind int

const (
	botToken tokenKind = iota
	appToken
	anyToken
)

type method struct {
	handle func(*Server, *request) reply
	json   bool // Slack lists application/json among the method's content types
	token  tokenKind
}

var methods = map[string]method{
	"apps.connections.open":        {handle: (*Server).appsConnectionsOpen, json: true, token: appToken},
	"auth.test":                    {handle: (*Server).authTest, json: true, token: anyToken},
	"chat.postMessage":             {handle: (*Server).chatPostMessage, json: true},
	"chat.update":                  {handle: (*Server).chatUpdate, json: true},
	"chat.postEphemeral":           {handle: (*Server).chatPostEphemeral, json: true},
	"chat.delete":                  {handle: (*Server).chatDelete, json: true},
	"reactions.add":                {handle: (*Server).reactionsAdd, json: true},
	"reactions.remove":             {handle: (*Server).reactionsRemove, json: true},
	"users.info":                   {handle: (*Server).usersInfo},
	"usergroups.users.list":        {handle: (*Server).usergroupsUsersList},
	"conversations.info":           {handle: (*Server).conversationsInfo},
	"files.getUploadURLExternal":   {handle: (*Server).filesGetUploadURLExternal},
	"files.completeUploadExternal": {handle: (*Server).filesCompleteUploadExternal, json: true},
	"files.info":                   {handle: (*Server).filesInfo},
}

// readArgs decodes a request's arguments: the query string, then a form
// (urlencoded or multipart) or the top-level fields of a JSON object
// when the method accepts JSON. JSON values other than strings are kept
// as their JSON text, so "blocks" reads the same either way.
func readArgs(r *http.Request, acceptsJSON bool) (args map[string]string, isJSON bool, err error) {
	args = map[string]string{}
	for k, v := range r.URL.Query() {
		args[k] = v[0]
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return nil, true, fmt.Errorf("read body: %w", err)
		}
		if !acceptsJSON || len(bytes.TrimSpace(body)) == 0 {
			return args, true, nil // Slack ignores a JSON body it does not accept
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(body, &obj); err != nil {
			return nil, true, errInvalidJSON
		}
		for k, v := range obj {
			var s string
			if json.Unmarshal(v, &s) == nil {
				args[k] = s
			} else {
				args[k] = string(v)
			}
		}
		return args, true, nil
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, false, fmt.Errorf("parse multipart form: %w", err)
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, false, fmt.Errorf("parse form: %w", err)
		}
	}
	for k, v := range r.PostForm {
		args[k] = v[0]
	}
	return args, false, nil
}

type argError string

func (e argError) Error() string { return string(e) }

const errInvalidJSON = argError("invalid_json")

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/api/")
	m, known := methods[name]
	args, isJSON, err := readArgs(r, m.json)
	call := Call{Method: name, JSON: isJSON, Args: args, At: s.opts.Now()}
	var rep reply
	switch {
	case !known:
		s.noteUnexpected(name)
		rep = fail("unknown_method")
	case err == errInvalidJSON:
		rep = fail("invalid_json")
	case err != nil:
		rep = fail("invalid_form_data")
	default:
		token := args["token"]
		if isJSON {
			token = "" // Slack reads a JSON call's token from the Authorization header only
		}
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
			token = strings.TrimPrefix(h, "Bearer ")
		}
		delete(args, "token")
		rep = s.authorise(token, m.token)
		if rep.body == nil {
			rep = s.dispatch(name, m, &request{method: name, args: args, json: isJSON})
		}
	}
	if rep.status == 0 {
		rep.status = http.StatusOK
	}
	call.Status = rep.status
	if rep.body != nil {
		if e, ok := rep.body["error"].(string); ok {
			call.Error = e
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.changedLocked()
	s.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if rep.body == nil {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(rep.status)
		fmt.Fprintf(w, "<html><body>%d %s</body></html>\n", rep.status, http.StatusText(rep.status))
		return
	}
	writeJSON(w, rep.status, rep.body)
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(body) // the client went away: nothing left to tell it
}

// authorise answers an error reply, or a reply with a nil body when the
// token may call the method.
func (s *Server) authorise(token string, kind tokenKind) reply {
	switch {
	case token == "":
		return fail("not_authed")
	case token == s.opts.BotToken && kind == appToken, token == s.opts.AppToken && kind == botToken:
		return fail("not_allowed_token_type")
	case token != s.opts.BotToken && token != s.opts.AppToken:
		return fail("invalid_auth")
	}
	return reply{}
}

func (s *Server) dispatch(name string, m method, req *request) reply {
	f, lat, has := s.takeFault(name, req.args["channel"])
	if d := lat + f.Delay; d > 0 {
		select {
		case <-time.After(d):
		case <-s.stop:
		}
	}
	if has {
		switch {
		case f.Status == http.StatusTooManyRequests:
			return rateLimited(f.RetryAfter)
		case f.Status != 0:
			return reply{status: f.Status}
		case f.Error != "":
			return fail(f.Error)
		}
	}
	return m.handle(s, req)
}

func rateLimited(after time.Duration) reply {
	rep := fail("ratelimited")
	rep.status = http.StatusTooManyRequests
	rep.header = map[string]string{"Retry-After": strconv.Itoa(retryAfterSeconds(after))}
	return rep
}

func (s *Server) appsConnectionsOpen(*request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := strconv.Itoa(s.nextSeqLocked())
	s.tickets[ticket] = false
	s.opens++
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + s.opts.AppID
	return okReply(map[string]any{"url": u})
}

func (s *Server) authTest(*request) reply {
	return okReply(map[string]any{
		"url":                   "https://" + s.opts.TeamDomain + ".slack.com/",
		"team":                  s.opts.TeamDomain,
		"user":                  s.opts.BotName,
		"team_id":               s.opts.TeamID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.opts.BotID,
		"is_enterprise_install": false,
	})
}

// channelLocked resolves a channel argument: an id, a name with or
// without '#', or a user id naming the bot's IM with that user.
func (s *Server) channelLocked(arg string) *Channel {
	if c, ok := s.channels[arg]; ok {
		return c
	}
	name := strings.TrimPrefix(arg, "#")
	for _, c := range s.channels {
		if (!c.IsIM && c.Name == name) || (c.IsIM && c.User == arg) {
			return c
		}
	}
	return nil
}

// botIsMemberLocked reports whether the bot is in c: an IM with the bot
// always holds it.
func (s *Server) botIsMemberLocked(c *Channel) bool {
	return c.IsIM || isMember(c, s.opts.BotUserID)
}

func isMember(c *Channel, user string) bool {
	if c.IsIM {
		return user == c.User
	}
	return c.Members == nil || slices.Contains(c.Members, user)
}

// content validates text and blocks as chat.* methods do. It returns the
// text (truncated like Slack), the blocks to store, a warning, or an error
// reply.
func (s *Server) contentLocked(args map[string]string, needOne bool) (text string, blocks json.RawMessage, warning string, errRep *reply) {
	text = args["text"]
	rawBlocks, hasBlocks := args["blocks"]
	if hasBlocks && strings.TrimSpace(rawBlocks) != "" {
		bl, code, problems := parseBlocks(rawBlocks, s.newBlockIDLocked)
		if code != "" {
			r := fail(code)
			if len(problems) > 0 {
				msgs := make([]string, len(problems))
				for i, p := range problems {
					msgs[i] = "[ERROR] " + p
				}
				r.body["errors"] = problems
				r.body["response_metadata"] = map[string]any{"messages": msgs}
			}
			return "", nil, "", &r
		}
		if len(bl) > 0 {
			blocks = encodeBlocks(bl)
		}
	}
	if needOne && text == "" && blocks == nil && args["attachments"] == "" {
		r := fail("no_text")
		return "", nil, "", &r
	}
	if s.opts.TextLimit > 0 && utf8.RuneCountInString(text) > s.opts.TextLimit {
		r := fail("msg_too_long")
		return "", nil, "", &r
	}
	if utf8.RuneCountInString(text) > maxText {
		text = string([]rune(text)[:maxText])
		warning = "message_truncated"
	}
	return text, blocks, warning, nil
}

func (s *Server) newBlockIDLocked() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	n := s.nextSeqLocked()
	var b []byte
	for ; n > 0; n /= len(alphabet) {
		b = append(b, alphabet[n%len(alphabet)])
	}
	return "b" + string(b)
}

func withWarning(r reply, warning string) reply {
	if warning != "" {
		r.body["warning"] = warning
		r.body["response_metadata"] = map[string]any{
			"warnings": []string{warning},
			"messages": []string{"[WARN] Your message was truncated but still posted. The `text` field accepts up to 40,000 characters."},
		}
	}
	return r
}

// messageJSON is a stored message as the Web API and events show it.
func (s *Server) messageJSON(m *Message) map[string]any {
	out := map[string]any{"type": "message", "text": m.Text, "user": m.User, "ts": m.TS, "team": s.opts.TeamID}
	if m.BotID != "" {
		out["bot_id"] = m.BotID
		out["app_id"] = s.opts.AppID
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Edited {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	if len(m.Files) > 0 {
		files := make([]map[string]any, 0, len(m.Files))
		for _, id := range m.Files {
			if f := s.files[id]; f != nil {
				files = append(files, s.fileJSON(f))
			}
		}
		out["files"] = files
	}
	return out
}

// threadParentLocked maps a thread_ts naming a reply to its parent, as
// Slack does.
func (s *Server) threadParentLocked(channel, threadTS string) string {
	if m := s.findLocked(channel, threadTS); m != nil && m.ThreadTS != "" {
		return m.ThreadTS
	}
	return threadTS
}

func (s *Server) storeLocked(m *Message) {
	s.messages[m.Channel] = append(s.messages[m.Channel], m)
}

func (s *Server) chatPostMessage(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := req.args
	ch := s.channelLocked(a["channel"])
	if ch == nil {
		return fail("channel_not_found")
	}
	if !s.botIsMemberLocked(ch) {
		return fail("not_in_channel")
	}
	text, blocks, warning, errRep := s.contentLocked(a, true)
	if errRep != nil {
		return *errRep
	}
	if wait, ok := s.takeTokenLocked(ch.ID); !ok {
		return rateLimited(wait)
	}
	m := &Message{Channel: ch.ID, TS: s.nextTSLocked(), User: s.opts.BotUserID, BotID: s.opts.BotID, Text: text, Blocks: blocks}
	if t := a["thread_ts"]; t != "" {
		m.ThreadTS = s.threadParentLocked(ch.ID, t)
	}
	s.storeLocked(m)
	s.changedLocked()
	if s.opts.EchoBotMessages {
		s.emitMessageLocked(ch, m, nil)
	}
	return withWarning(okReply(map[string]any{"channel": ch.ID, "ts": m.TS, "message": s.messageJSON(m)}), warning)
}

func (s *Server) chatUpdate(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := req.args
	ch := s.channelLocked(a["channel"])
	if ch == nil {
		return fail("channel_not_found")
	}
	m := s.findLocked(ch.ID, a["ts"])
	if m == nil {
		return fail("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return fail("cant_update_message")
	}
	text, blocks, warning, errRep := s.contentLocked(a, true)
	if errRep != nil {
		return *errRep
	}
	before := s.messageJSON(m)
	if _, has := a["text"]; has || blocks == nil {
		m.Text = text
	}
	if _, has := a["blocks"]; has {
		m.Blocks = blocks
	}
	m.Edited = true
	s.changedLocked()
	if s.opts.EchoBotMessages {
		s.emitMessageLocked(ch, m, before)
	}
	return withWarning(okReply(map[string]any{"channel": ch.ID, "ts": m.TS, "text": m.Text, "message": s.messageJSON(m)}), warning)
}

func (s *Server) chatPostEphemeral(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := req.args
	ch := s.channelLocked(a["channel"])
	if ch == nil {
		return fail("channel_not_found")
	}
	user := a["user"]
	if _, known := s.users[user]; !known || !isMember(ch, user) {
		return fail("user_not_in_channel")
	}
	text, blocks, warning, errRep := s.contentLocked(a, true)
	if errRep != nil {
		return *errRep
	}
	e := Ephemeral{Channel: ch.ID, User: user, TS: s.nextTSLocked(), Text: text, Blocks: blocks, Source: "chat.postEphemeral"}
	if t := a["thread_ts"]; t != "" {
		e.ThreadTS = s.threadParentLocked(ch.ID, t)
	}
	s.ephemerals = append(s.ephemerals, e)
	s.changedLocked()
	return withWarning(okReply(map[string]any{"message_ts": e.TS}), warning)
}

func (s *Server) chatDelete(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch := s.channelLocked(req.args["channel"])
	if ch == nil {
		return fail("channel_not_found")
	}
	ts := req.args["ts"]
	m := s.findLocked(ch.ID, ts)
	if m == nil {
		return fail("message_not_found")
	}
	if m.User != s.opts.BotUserID {
		return fail("cant_delete_message")
	}
	s.messages[ch.ID] = slices.DeleteFunc(s.messages[ch.ID], func(x *Message) bool { return x == m })
	delete(s.reactions, ch.ID+"/"+ts)
	s.changedLocked()
	return okReply(map[string]any{"channel": ch.ID, "ts": ts})
}

var emojiName = regexp.MustCompile(`^[a-z0-9_+'\-]+(::skin-tone-[2-6])?$`)

// reactionTargetLocked resolves reactions.* arguments to a stored message.
func (s *Server) reactionTargetLocked(a map[string]string) (string, *reply) {
	if a["channel"] == "" || a["timestamp"] == "" {
		r := fail("no_item_specified")
		return "", &r
	}
	ch := s.channelLocked(a["channel"])
	if ch == nil {
		r := fail("channel_not_found")
		return "", &r
	}
	if s.findLocked(ch.ID, a["timestamp"]) == nil {
		r := fail("message_not_found")
		return "", &r
	}
	name := strings.Trim(a["name"], ":")
	if !emojiName.MatchString(name) {
		r := fail("invalid_name")
		return "", &r
	}
	return ch.ID + "/" + a["timestamp"], nil
}

func (s *Server) reactionsAdd(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, errRep := s.reactionTargetLocked(req.args)
	if errRep != nil {
		return *errRep
	}
	name := strings.Trim(req.args["name"], ":")
	rs := s.reactions[key]
	i := slices.IndexFunc(rs, func(r Reaction) bool { return r.Name == name })
	switch {
	case i < 0:
		rs = append(rs, Reaction{Name: name, Users: []string{s.opts.BotUserID}})
	case slices.Contains(rs[i].Users, s.opts.BotUserID):
		return fail("already_reacted")
	default:
		rs[i].Users = append(rs[i].Users, s.opts.BotUserID)
	}
	s.reactions[key] = rs
	s.changedLocked()
	return okReply(nil)
}

func (s *Server) reactionsRemove(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	key, errRep := s.reactionTargetLocked(req.args)
	if errRep != nil {
		return *errRep
	}
	name := strings.Trim(req.args["name"], ":")
	rs := s.reactions[key]
	i := slices.IndexFunc(rs, func(r Reaction) bool { return r.Name == name })
	if i < 0 || !slices.Contains(rs[i].Users, s.opts.BotUserID) {
		return fail("no_reaction")
	}
	rs[i].Users = slices.DeleteFunc(rs[i].Users, func(u string) bool { return u == s.opts.BotUserID })
	if len(rs[i].Users) == 0 {
		rs = slices.Delete(rs, i, i+1)
	}
	s.reactions[key] = rs
	s.changedLocked()
	return okReply(nil)
}

func truthy(v string) bool { return v == "true" || v == "1" }

func (s *Server) usersInfo(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[req.args["user"]]
	if !ok {
		return fail("user_not_found")
	}
	user := map[string]any{
		"id": u.ID, "team_id": s.opts.TeamID, "name": u.Name, "deleted": u.Deleted,
		"real_name": u.RealName, "tz": u.TZ, "is_bot": u.IsBot, "is_app_user": false,
		"profile": map[string]any{"real_name": u.RealName, "display_name": u.Name, "team": s.opts.TeamID},
	}
	if u.IsBot && u.BotID != "" {
		user["profile"].(map[string]any)["bot_id"] = u.BotID
	}
	if truthy(req.args["include_locale"]) {
		user["locale"] = u.Locale
	}
	return okReply(map[string]any{"user": user})
}

func (s *Server) usergroupsUsersList(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.FreePlan {
		return fail("plan_upgrade_required")
	}
	g, ok := s.groups[req.args["usergroup"]]
	if !ok {
		return fail("no_such_subteam")
	}
	return okReply(map[string]any{"users": slices.Clone(g.Users)})
}

func (s *Server) conversationsInfo(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channels[req.args["channel"]]
	if !ok {
		return fail("channel_not_found")
	}
	info := map[string]any{
		"id": c.ID, "is_channel": !c.IsIM && !c.IsPrivate, "is_group": c.IsPrivate && !c.IsIM,
		"is_im": c.IsIM, "is_private": c.IsPrivate || c.IsIM, "is_archived": false,
		"is_member": s.botIsMemberLocked(c), "created": 1700000000,
	}
	if c.IsIM {
		info["user"] = c.User
	} else {
		info["name"] = c.Name
		info["name_normalized"] = c.Name
	}
	return okReply(map[string]any{"channel": info})
}

func (s *Server) filesGetUploadURLExternal(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := req.args["filename"]
	length, err := strconv.Atoi(req.args["length"])
	if name == "" || err != nil || length <= 0 {
		return fail("invalid_arguments")
	}
	id := fmt.Sprintf("F%08d", s.nextSeqLocked())
	s.files[id] = &File{ID: id, Name: name, Title: name, Length: length, User: s.opts.BotUserID}
	s.fileOrder = append(s.fileOrder, id)
	s.changedLocked()
	return okReply(map[string]any{"upload_url": s.http.URL + "/upload/" + id, "file_id": id})
}

// serveUpload takes the file's bytes, as a multipart field "file" or as
// the raw body, and answers like Slack's upload host: 200 "OK - <length>".
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if r.Method != http.MethodPost {
		s.noteUnexpected(r.Method + " " + r.URL.Path)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var content []byte
	var err error
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		f, _, ferr := r.FormFile("file")
		if ferr != nil {
			http.Error(w, "missing file", http.StatusBadRequest)
			return
		}
		defer f.Close()
		content, err = io.ReadAll(f)
	} else {
		content, err = io.ReadAll(r.Body)
	}
	if err != nil {
		http.Error(w, "read failed", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f, ok := s.files[id]
	if ok {
		f.Content = content
		f.Uploaded = true
		s.changedLocked()
	}
	s.mu.Unlock()
	if !ok {
		s.noteUnexpected("upload to unknown file " + id)
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintf(w, "OK - %d", len(content))
}

func (s *Server) filesCompleteUploadExternal(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := req.args
	var items []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal([]byte(a["files"]), &items); err != nil || len(items) == 0 {
		return fail("invalid_arguments")
	}
	var files []*File
	for _, it := range items {
		f, ok := s.files[it.ID]
		if !ok || !f.Uploaded || f.Completed {
			return fail("file_not_found")
		}
		files = append(files, f)
	}
	chID := a["channel_id"]
	if chID == "" {
		chID, _, _ = strings.Cut(a["channels"], ",")
	}
	var ch *Channel
	if chID != "" {
		if ch = s.channelLocked(chID); ch == nil {
			return fail("channel_not_found")
		}
		if !s.botIsMemberLocked(ch) {
			return fail("not_in_channel")
		}
	}
	out := make([]map[string]any, 0, len(files))
	var share *Message
	if ch != nil {
		share = &Message{Channel: ch.ID, TS: s.nextTSLocked(), User: s.opts.BotUserID, BotID: s.opts.BotID, Text: a["initial_comment"]}
		if t := a["thread_ts"]; t != "" {
			share.ThreadTS = s.threadParentLocked(ch.ID, t)
		}
	}
	for i, f := range files {
		f.Completed = true
		if items[i].Title != "" {
			f.Title = items[i].Title
		}
		if share != nil {
			f.Channel, f.ThreadTS, f.ShareTS, f.InitialComment = ch.ID, share.ThreadTS, share.TS, share.Text
			share.Files = append(share.Files, f.ID)
		}
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
	}
	if share != nil {
		s.storeLocked(share)
		if s.opts.EchoBotMessages {
			s.emitMessageLocked(ch, share, nil)
		}
	}
	s.changedLocked()
	return okReply(map[string]any{"files": out})
}

func (s *Server) fileJSON(f *File) map[string]any {
	out := map[string]any{
		"id": f.ID, "name": f.Name, "title": f.Title, "size": len(f.Content),
		"user": f.User, "mimetype": "text/plain", "filetype": "text",
		"url_private": s.http.URL + "/files-pri/" + f.ID + "/" + url.PathEscape(f.Name),
	}
	if f.ShareTS != "" {
		share := map[string]any{"ts": f.ShareTS}
		if f.ThreadTS != "" {
			share["thread_ts"] = f.ThreadTS
		}
		kind := "public"
		if c := s.channels[f.Channel]; c != nil && (c.IsPrivate || c.IsIM) {
			kind = "private"
		}
		out["channels"] = []string{f.Channel}
		out["shares"] = map[string]any{kind: map[string]any{f.Channel: []any{share}}}
	}
	return out
}

func (s *Server) filesInfo(req *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[req.args["file"]]
	if !ok || !f.Completed {
		return fail("file_not_found")
	}
	return okReply(map[string]any{"file": s.fileJSON(f), "content": string(f.Content)})
}
