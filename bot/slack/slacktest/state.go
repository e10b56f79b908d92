package slacktest

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Channel is a conversation: a public or private channel, or an IM.
type Channel struct {
	ID        string
	Name      string
	IsPrivate bool
	IsIM      bool     // a direct message between the bot and User
	User      string   // the other party of an IM
	Members   []string // nil: everyone is a member; else the bot must be listed to post
}

// User is a workspace member.
type User struct {
	ID       string
	Name     string
	RealName string
	Locale   string // e.g. "ja-JP", "en-US"; served by users.info with include_locale
	TZ       string
	IsBot    bool
	BotID    string
	Deleted  bool
}

// UserGroup is a user group (Slack's "subteam"), e.g. the on-call approvers.
type UserGroup struct {
	ID     string
	Handle string
	Name   string
	Users  []string
}

// Message is a stored channel message or thread reply.
type Message struct {
	Channel  string
	TS       string
	ThreadTS string // the parent's ts for a reply, "" for a top-level message
	User     string
	BotID    string // set on the bot's own messages
	Text     string
	Blocks   json.RawMessage // as stored, with the block_ids Slack fills in
	Files    []string        // ids of files shared with this message
	Edited   bool
}

// Ephemeral is a message only one user sees.
type Ephemeral struct {
	Channel  string
	User     string
	TS       string
	ThreadTS string
	Text     string
	Blocks   json.RawMessage
	Source   string // "chat.postEphemeral", "response_url" or "ack"
}

// Reaction is one emoji on a message and who added it.
type Reaction struct {
	Name  string
	Users []string
}

// File is an uploaded file.
type File struct {
	ID             string
	Name           string
	Title          string
	Length         int    // the length announced to files.getUploadURLExternal
	Content        []byte // what was POSTed to the upload URL
	Uploaded       bool
	Completed      bool
	Channel        string // where files.completeUploadExternal shared it
	ThreadTS       string
	ShareTS        string // ts of the message that shares it
	InitialComment string
	User           string
}

// Call is one Web API call as the fake decoded it.
type Call struct {
	Method string
	Args   map[string]string // form, query or top-level JSON fields; JSON values other than strings as JSON text; token removed
	JSON   bool              // the body was application/json
	Status int               // HTTP status answered
	Error  string            // the "error" answered, "" when ok
	At     time.Time         // when the request arrived (Options.Now)
}

// Ack is one Socket Mode acknowledgement read from the bot.
type Ack struct {
	EnvelopeID string
	Type       string          // the acked envelope's type, "" when unknown
	Payload    json.RawMessage // the optional response payload
	Late       bool            // the envelope had already timed out, or was never sent
}

// Delivery is one envelope written to a Socket Mode connection.
type Delivery struct {
	EnvelopeID   string
	Type         string // events_api, interactive, slash_commands
	EventID      string // events_api only
	EventType    string // message, app_mention, block_actions, the command...
	RetryAttempt int
	RetryReason  string
	Conn         int // the connection's number, from 1
	TimedOut     bool
	Cut          Cut // the connection broke with this envelope (CutNext)
}

// WaitFor blocks until pred returns true or ctx ends. pred is evaluated
// after every state change (a call, a delivery, an ack, a connection), so
// it can use the readers; it must not block.
func (s *Server) WaitFor(ctx context.Context, pred func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if pred() {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

func copyMsg(m *Message) Message {
	c := *m
	c.Blocks = slices.Clone(m.Blocks)
	c.Files = slices.Clone(m.Files)
	return c
}

// Messages returns a channel's top-level messages, oldest first, as
// conversations.history would (thread replies are in Thread).
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channel] {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			out = append(out, copyMsg(m))
		}
	}
	return out
}

// Thread returns a thread's parent (when it exists) and its replies,
// oldest first, as conversations.replies would.
func (s *Server) Thread(channel, ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages[channel] {
		if m.TS == ts || m.ThreadTS == ts {
			out = append(out, copyMsg(m))
		}
	}
	return out
}

// Message returns one stored message, top-level or reply.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.findLocked(channel, ts); m != nil {
		return copyMsg(m), true
	}
	return Message{}, false
}

// Ephemerals returns the ephemeral messages shown to a user, oldest first.
func (s *Server) Ephemerals(user string) []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if e.User == user {
			e.Blocks = slices.Clone(e.Blocks)
			out = append(out, e)
		}
	}
	return out
}

// Reactions returns the reactions on a message, in the order first added.
func (s *Server) Reactions(channel, ts string) []Reaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Reaction
	for _, r := range s.reactions[channel+"/"+ts] {
		out = append(out, Reaction{Name: r.Name, Users: slices.Clone(r.Users)})
	}
	return out
}

// Files returns every file, in the order upload URLs were handed out.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]File, 0, len(s.fileOrder))
	for _, id := range s.fileOrder {
		f := *s.files[id]
		f.Content = slices.Clone(f.Content)
		out = append(out, f)
	}
	return out
}

// Acks returns the Socket Mode acks read so far.
func (s *Server) Acks() []Ack {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.acks)
	for i := range out {
		out[i].Payload = slices.Clone(out[i].Payload)
	}
	return out
}

// Deliveries returns the envelopes written to Socket Mode connections.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.deliveries)
}

// Calls returns every Web API call (and response_url post, as method
// "response_url"), in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Args = cloneMap(c.Args)
		out[i] = c
	}
	return out
}

// CallsTo returns the calls of one method.
func (s *Server) CallsTo(method string) []Call {
	var out []Call
	for _, c := range s.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// Connections counts successful apps.connections.open calls: one per
// Socket Mode (re)connection.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// LiveConnections counts the Socket Mode connections open now.
func (s *Server) LiveConnections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.conns {
		if !c.leaving {
			n++
		}
	}
	return n
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// findLocked returns a stored message by channel and ts; s.mu must be held.
func (s *Server) findLocked(channel, ts string) *Message {
	for _, m := range s.messages[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}
