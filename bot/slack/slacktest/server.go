package slacktest

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Options configures a Server. The zero value is usable: every field has a
// default, listed beside it.
type Options struct {
	BotToken   string // "xoxb-fake-bot": the bot token Web API calls must carry
	AppToken   string // "xapp-fake-app": the app-level token apps.connections.open needs
	TeamID     string // "T0FAKE"
	TeamDomain string // "fake"
	AppID      string // "A0FAKE"
	BotUserID  string // "U0BOT": the bot's user, what <@U0BOT> mentions
	BotID      string // "B0BOT": the bot_id on the bot's own messages
	BotName    string // "wsbbot"

	Channels   []Channel   // seeded channels (AddChannel adds more)
	Users      []User      // seeded users; the bot user is added by itself
	UserGroups []UserGroup // seeded user groups

	// FreePlan makes every usergroups.* method answer
	// plan_upgrade_required, as Slack does on the free plan.
	FreePlan bool

	// TextLimit, when above zero, refuses text longer than that many
	// characters with msg_too_long, as Slack has been seen doing for text
	// far below its documented limit. At zero the documented behaviour
	// holds: text over 40,000 characters is truncated and the reply warns
	// message_truncated.
	TextLimit int

	// EchoBotMessages sends the bot's own posts back as message events
	// carrying bot_id, as Slack does, to test loop prevention.
	EchoBotMessages bool

	// ChannelRate, when above zero, limits chat.postMessage per channel
	// with a token bucket of ChannelBurst tokens (default 1) refilled at
	// ChannelRate per second; an empty bucket answers 429 with Retry-After
	// like Slack. Slack documents about one message per second per channel.
	ChannelRate  float64
	ChannelBurst int

	PingInterval time.Duration // 5s: WebSocket PING frames on every Socket Mode connection
	AckTimeout   time.Duration // 3s: an envelope not acked by then counts as timed out
	MaxRetries   int           // 3: redeliveries of an unacked events_api envelope
	RetryReason  string        // "timeout": retry_reason on a redelivery

	// DisconnectGrace is how long a connection stays open after a
	// disconnect message before the fake closes it (default 1s); slack-go
	// reconnects as soon as it reads the message.
	DisconnectGrace time.Duration

	// Now is the clock for ts values, event_time and the rate limiter
	// (default time.Now). Timers (pings, ack timeouts) use real time.
	Now func() time.Time

	Logger *slog.Logger // default: discard
}

func (o *Options) setDefaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.BotToken, "xoxb-fake-bot")
	def(&o.AppToken, "xapp-fake-app")
	def(&o.TeamID, "T0FAKE")
	def(&o.TeamDomain, "fake")
	def(&o.AppID, "A0FAKE")
	def(&o.BotUserID, "U0BOT")
	def(&o.BotID, "B0BOT")
	def(&o.BotName, "wsbbot")
	def(&o.RetryReason, "timeout")
	if o.PingInterval <= 0 {
		o.PingInterval = 5 * time.Second
	}
	if o.AckTimeout <= 0 {
		o.AckTimeout = 3 * time.Second
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 3
	}
	if o.ChannelBurst <= 0 {
		o.ChannelBurst = 1
	}
	if o.DisconnectGrace <= 0 {
		o.DisconnectGrace = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Server is the fake Slack. Create it with New or Start; it is safe for
// concurrent use.
type Server struct {
	opts Options
	http *httptest.Server
	lg   *slog.Logger
	up   websocket.Upgrader

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change
	closed  bool

	lastMicros int64 // the ts generator
	seq        int   // ids: events, envelopes, files, tickets, triggers

	channels   map[string]*Channel
	users      map[string]*User
	groups     map[string]*UserGroup
	messages   map[string][]*Message // per channel, in ts order
	ephemerals []Ephemeral
	reactions  map[string][]Reaction // key channel+"/"+ts
	files      map[string]*File
	fileOrder  []string

	calls      []Call
	unexpected []string
	faults     map[string][]Fault
	latency    map[string]time.Duration
	buckets    map[string]*bucket

	tickets    map[string]bool // ticket -> used
	opens      int
	conns      []*conn
	pending    map[string]*pending // envelope id -> awaiting ack
	queue      []*pending          // waiting for a connection
	deliveries []Delivery
	acks       []Ack
	connSeq    int
	cut        *armedCut              // CutNext, until an envelope takes it
	envTypes   map[string]string      // envelope id -> type, for acks
	events     map[string]eventRecord // event id -> payload, for Redeliver
	eventOrder []string               // event ids as emitted
	hooks      map[string]hook        // response_url path -> what it answers for
	selections map[string]map[string]map[string]any
	suggested  map[string][]any // channel/msgTS/actionID -> options answered to block_suggestion
	wg         sync.WaitGroup
	stop       chan struct{}
}

// New starts a fake Slack on 127.0.0.1. Close it when done.
func New(opts Options) *Server {
	opts.setDefaults()
	s := &Server{
		opts:       opts,
		lg:         opts.Logger,
		changed:    make(chan struct{}),
		channels:   map[string]*Channel{},
		users:      map[string]*User{},
		groups:     map[string]*UserGroup{},
		messages:   map[string][]*Message{},
		reactions:  map[string][]Reaction{},
		files:      map[string]*File{},
		faults:     map[string][]Fault{},
		latency:    map[string]time.Duration{},
		buckets:    map[string]*bucket{},
		tickets:    map[string]bool{},
		pending:    map[string]*pending{},
		envTypes:   map[string]string{},
		events:     map[string]eventRecord{},
		selections: map[string]map[string]map[string]any{},
		suggested:  map[string][]any{},
		hooks:      map[string]hook{},
		stop:       make(chan struct{}),
	}
	s.up = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	s.users[opts.BotUserID] = &User{ID: opts.BotUserID, Name: opts.BotName, RealName: opts.BotName, IsBot: true, BotID: opts.BotID, Locale: "en-US", TZ: "UTC"}
	for _, u := range opts.Users {
		s.AddUser(u)
	}
	for _, c := range opts.Channels {
		s.AddChannel(c)
	}
	for _, g := range opts.UserGroups {
		s.AddUserGroup(g)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.serveAPI)
	mux.HandleFunc("/upload/", s.serveUpload)
	mux.HandleFunc("/link/", s.serveLink)
	mux.HandleFunc("/actions/", s.serveHook)
	mux.HandleFunc("/commands/", s.serveHook)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.noteUnexpected(r.Method + " " + r.URL.Path)
		http.NotFound(w, r)
	})
	s.http = httptest.NewServer(mux)
	return s
}

// Start is New for a test: the server closes when the test ends, and the
// test fails if the bot called a method the fake does not know or used a
// path it does not serve.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := New(opts)
	tb.Cleanup(func() {
		s.Close()
		if u := s.Unexpected(); len(u) > 0 {
			tb.Errorf("slacktest: unexpected requests: %q", u)
		}
	})
	return s
}

// URL is the server's base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.http.URL }

// APIURL is the Web API base with its trailing slash, for
// slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.http.URL + "/api/" }

// BotToken and AppToken are the tokens the fake accepts.
func (s *Server) BotToken() string { return s.opts.BotToken }

// AppToken is the app-level token apps.connections.open accepts.
func (s *Server) AppToken() string { return s.opts.AppToken }

// BotUserID is the bot's user id, the one <@...> mentions address.
func (s *Server) BotUserID() string { return s.opts.BotUserID }

// BotID is the bot_id carried by the bot's own messages.
func (s *Server) BotID() string { return s.opts.BotID }

// Close stops the server, closes every Socket Mode connection and waits
// for the fake's goroutines.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	for _, p := range s.pending {
		p.stopTimer()
	}
	conns := append([]*conn(nil), s.conns...)
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.http.CloseClientConnections()
	s.http.Close()
	s.wg.Wait()
}

// Unexpected lists the requests the fake did not know: unknown Web API
// methods and unserved paths, as "chat.unknown" or "GET /path".
func (s *Server) Unexpected() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.unexpected...)
}

func (s *Server) noteUnexpected(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unexpected = append(s.unexpected, what)
	s.lg.Warn("slacktest: unexpected request", "what", what)
	s.changedLocked()
}

// changedLocked wakes WaitFor callers; s.mu must be held.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// nextTSLocked returns a fresh, strictly increasing Slack timestamp,
// "seconds.micros" from the clock; s.mu must be held.
func (s *Server) nextTSLocked() string {
	us := s.opts.Now().UnixMicro()
	if us <= s.lastMicros {
		us = s.lastMicros + 1
	}
	s.lastMicros = us
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func (s *Server) nextSeqLocked() int {
	s.seq++
	return s.seq
}

// AddChannel adds or replaces a channel.
func (s *Server) AddChannel(c Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.Name == "" && !c.IsIM {
		c.Name = strings.ToLower(c.ID)
	}
	c.Members = append([]string(nil), c.Members...)
	s.channels[c.ID] = &c
	s.changedLocked()
}

// AddUser adds or replaces a user.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.Name == "" {
		u.Name = strings.ToLower(u.ID)
	}
	s.users[u.ID] = &u
	s.changedLocked()
}

// AddUserGroup adds or replaces a user group.
func (s *Server) AddUserGroup(g UserGroup) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g.Users = append([]string(nil), g.Users...)
	s.groups[g.ID] = &g
	s.changedLocked()
}

// SetFreePlan switches plan_upgrade_required for usergroups.* on or off.
func (s *Server) SetFreePlan(free bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.FreePlan = free
}
