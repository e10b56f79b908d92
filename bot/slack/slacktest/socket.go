package slacktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxAckFrame is Slack's limit on a frame from the app: a larger ack is
// answered with close code 1009 "Max frame length of 20480".
const maxAckFrame = 20480

// conn is one Socket Mode connection.
type conn struct {
	n       int
	ws      *websocket.Conn
	out     chan outFrame
	done    chan struct{}
	once    sync.Once
	leaving bool // disconnect sent or dropped; guarded by Server.mu
}

func (c *conn) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.ws.Close() // the peer may be gone already
	})
}

// outFrame is a text frame for a connection's writer; cut, when set, is
// how the connection breaks as the frame goes out.
type outFrame struct {
	data []byte
	cut  Cut
}

// Cut is how CutNext breaks a connection as an envelope goes out.
type Cut int

const (
	// CutMidEnvelope writes the frame's header and half its payload, then
	// closes the TCP stream: the app reads a truncated frame.
	CutMidEnvelope Cut = iota + 1
	// CutBeforeAck writes the whole frame, then closes the TCP stream at
	// once, before the app's ack can come back.
	CutBeforeAck
)

func (c Cut) String() string {
	switch c {
	case CutMidEnvelope:
		return "mid-envelope"
	case CutBeforeAck:
		return "before-ack"
	}
	return "none"
}

// armedCut is a CutNext waiting for its envelope.
type armedCut struct {
	how       Cut
	eventType string
}

// pending is an envelope awaiting its ack.
type pending struct {
	id        string
	typ       string
	eventID   string
	eventType string
	payload   json.RawMessage
	accepts   bool
	attempt   int
	reason    string
	resp      *hook  // slash commands: where an ack payload is shown
	suggest   string // block_suggestion: channel/msgTS/actionID the ack's options are for
	timer     *time.Timer
	delivery  int
}

func (p *pending) stopTimer() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

type eventRecord struct {
	payload   json.RawMessage
	eventType string
	post      string // channel/ts of the message the event is about
}

// envelope is a Socket Mode message in the field order of Slack's
// examples; retry fields appear on events_api envelopes only.
type envelope struct {
	EnvelopeID             string          `json:"envelope_id"`
	Payload                json.RawMessage `json:"payload"`
	Type                   string          `json:"type"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	RetryAttempt           *int            `json:"retry_attempt,omitempty"`
	RetryReason            *string         `json:"retry_reason,omitempty"`
}

func (s *Server) serveLink(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	used, known := s.tickets[ticket]
	ok := !s.closed && known && !used
	if ok {
		s.tickets[ticket] = true
	}
	s.mu.Unlock()
	if !ok {
		s.noteUnexpected("socket mode dial with a bad or used ticket " + ticket)
		http.Error(w, "invalid ticket", http.StatusUnauthorized)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		s.lg.Warn("slacktest: websocket upgrade failed", "err", err)
		return
	}
	ws.SetReadLimit(maxAckFrame)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = ws.Close()
		return
	}
	s.connSeq++
	c := &conn{n: s.connSeq, ws: ws, out: make(chan outFrame, 1024), done: make(chan struct{})}
	s.conns = append(s.conns, c)
	live := 0
	for _, x := range s.conns {
		if !x.leaving {
			live++
		}
	}
	hello, _ := json.Marshal(map[string]any{
		"type":            "hello",
		"num_connections": live,
		"debug_info": map[string]any{
			"host":                        fmt.Sprintf("applink-fake-%d", c.n),
			"build_number":                10,
			"approximate_connection_time": 18060,
		},
		"connection_info": map[string]any{"app_id": s.opts.AppID},
	})
	c.out <- outFrame{data: hello}
	q := s.queue
	s.queue = nil
	for _, p := range q {
		s.deliverLocked(p)
	}
	s.wg.Add(3)
	go s.writeLoop(c)
	go s.readLoop(c)
	go s.pingLoop(c)
	s.changedLocked()
}

func (s *Server) writeLoop(c *conn) {
	defer s.wg.Done()
	for {
		select {
		case f := <-c.out:
			_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if f.cut != 0 {
				s.cutConn(c, f)
				return
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				s.dropConn(c)
				return
			}
		case <-c.done:
			return
		}
	}
}

func (s *Server) pingLoop(c *conn) {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := c.ws.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second)); err != nil {
				s.dropConn(c)
				return
			}
		case <-c.done:
			return
		}
	}
}

func (s *Server) readLoop(c *conn) {
	defer s.wg.Done()
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			s.dropConn(c)
			return
		}
		s.handleAck(data)
	}
}

// cutConn writes f as its cut says and closes the TCP stream without a
// close frame, as a network failure would.
func (s *Server) cutConn(c *conn, f outFrame) {
	switch f.cut {
	case CutMidEnvelope:
		// An unmasked text frame (RFC 6455 5.2) announcing the whole
		// payload, of which only the first half follows.
		hdr := []byte{0x81}
		switch n := len(f.data); {
		case n < 126:
			hdr = append(hdr, byte(n))
		case n < 1<<16:
			hdr = append(hdr, 126, byte(n>>8), byte(n))
		default:
			hdr = append(hdr, 127)
			for i := 7; i >= 0; i-- {
				hdr = append(hdr, byte(uint64(n)>>(8*i)))
			}
		}
		_, _ = c.ws.UnderlyingConn().Write(append(hdr, f.data[:len(f.data)/2]...)) // the stream is being broken anyway
	case CutBeforeAck:
		_ = c.ws.WriteMessage(websocket.TextMessage, f.data)
	}
	_ = c.ws.UnderlyingConn().Close() // abrupt by design
	s.dropConn(c)
}

func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i:i], s.conns[i+1:]...)
			break
		}
	}
	s.changedLocked()
	s.mu.Unlock()
	c.close()
}

func (s *Server) handleAck(data []byte) {
	var a struct {
		EnvelopeID string          `json:"envelope_id"`
		Payload    json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &a); err != nil || a.EnvelopeID == "" {
		s.noteUnexpected("socket mode frame that is not an ack: " + truncate(string(data), 200))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ack := Ack{EnvelopeID: a.EnvelopeID, Payload: a.Payload, Type: s.envTypes[a.EnvelopeID]}
	p, ok := s.pending[a.EnvelopeID]
	if ok {
		p.stopTimer()
		delete(s.pending, a.EnvelopeID)
		if p.suggest != "" {
			// Slack shows the options of the ack; a payload without them
			// (or none) leaves the menu empty.
			var body struct {
				Options []any `json:"options"`
			}
			_ = json.Unmarshal(a.Payload, &body)
			if len(body.Options) > maxOptions {
				s.noteUnexpected("block_suggestion answered with more than 100 options")
			}
			s.suggested[p.suggest] = body.Options
		}
		if p.resp != nil && len(a.Payload) > 0 && string(a.Payload) != "null" {
			if args, err := flattenJSON(a.Payload); err == nil {
				s.respondLocked(*p.resp, args, "ack")
			}
		}
	} else {
		ack.Late = true
	}
	s.acks = append(s.acks, ack)
	s.changedLocked()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// pickConnLocked chooses the connection for the next envelope: the
// newest one not being closed.
func (s *Server) pickConnLocked() *conn {
	for i := len(s.conns) - 1; i >= 0; i-- {
		if !s.conns[i].leaving {
			return s.conns[i]
		}
	}
	return nil
}

func (s *Server) newEnvelopeIDLocked() string {
	n := s.nextSeqLocked()
	return fmt.Sprintf("%08x-5a1c-4fa4-8e57-%012x", n, n*7919)
}

// deliverLocked writes an envelope to a connection and starts its ack
// timer, or queues it until a connection opens; s.mu must be held.
func (s *Server) deliverLocked(p *pending) {
	c := s.pickConnLocked()
	if c == nil {
		s.queue = append(s.queue, p)
		return
	}
	env := envelope{EnvelopeID: p.id, Payload: p.payload, Type: p.typ, AcceptsResponsePayload: p.accepts}
	if p.typ == "events_api" {
		attempt, reason := p.attempt, p.reason
		env.RetryAttempt, env.RetryReason = &attempt, &reason
	}
	raw, _ := json.Marshal(env) // built from marshalled parts
	f := outFrame{data: raw}
	if s.cut != nil && (s.cut.eventType == "" || s.cut.eventType == p.eventType) {
		// The connection breaks with this envelope: later ones wait for
		// the next connection, this one for its ack timeout.
		f.cut = s.cut.how
		s.cut = nil
		c.leaving = true
	}
	select {
	case c.out <- f:
	default:
		s.lg.Warn("slacktest: connection backlog full, envelope dropped", "envelope", p.id)
	}
	s.envTypes[p.id] = p.typ
	s.deliveries = append(s.deliveries, Delivery{
		EnvelopeID: p.id, Type: p.typ, EventID: p.eventID, EventType: p.eventType,
		RetryAttempt: p.attempt, RetryReason: p.reason, Conn: c.n, Cut: f.cut,
	})
	p.delivery = len(s.deliveries) - 1
	s.pending[p.id] = p
	id := p.id
	p.timer = time.AfterFunc(s.opts.AckTimeout, func() { s.ackTimeout(id) })
	s.changedLocked()
}

// ackTimeout marks an unacked envelope timed out; Events API deliveries
// are retried with retry_attempt+1 until MaxRetries. Slack does not retry
// interactive payloads or slash commands: the user sees an error instead.
func (s *Server) ackTimeout(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[id]
	if !ok || s.closed {
		return
	}
	delete(s.pending, id)
	s.deliveries[p.delivery].TimedOut = true
	if p.typ == "events_api" && p.attempt < s.opts.MaxRetries {
		retry := *p
		retry.id = s.newEnvelopeIDLocked()
		retry.attempt++
		retry.reason = s.opts.RetryReason
		retry.timer = nil
		s.deliverLocked(&retry)
	}
	s.changedLocked()
}

// emitEventLocked wraps an inner event in an event_callback and delivers
// it as an events_api envelope; it returns the event_id.
func (s *Server) emitEventLocked(ev map[string]any, eventType string) string {
	eventID := fmt.Sprintf("Ev%010d", s.nextSeqLocked())
	ctxID := fmt.Sprintf("4-%s-%s-%s", eventType, s.opts.TeamID, ev["channel"])
	payload, _ := json.Marshal(map[string]any{
		"token":      "verification-token",
		"team_id":    s.opts.TeamID,
		"api_app_id": s.opts.AppID,
		"event":      ev,
		"type":       "event_callback",
		"event_id":   eventID,
		"event_time": s.opts.Now().Unix(),
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"is_ext_shared_channel": false,
		"event_context":         ctxID,
	})
	post, _ := ev["channel"].(string)
	ts, _ := ev["ts"].(string)
	s.events[eventID] = eventRecord{payload: payload, eventType: eventType, post: post + "/" + ts}
	s.eventOrder = append(s.eventOrder, eventID)
	s.deliverLocked(&pending{id: s.newEnvelopeIDLocked(), typ: "events_api", eventID: eventID, eventType: eventType, payload: payload})
	return eventID
}

func channelType(c *Channel) string {
	switch {
	case c.IsIM:
		return "im"
	case c.IsPrivate:
		return "group"
	}
	return "channel"
}

// emitMessageLocked echoes a bot message as Slack does: a message event
// with bot_id, or a message_changed event when before is the previous
// version.
func (s *Server) emitMessageLocked(c *Channel, m *Message, before map[string]any) {
	ev := s.messageJSON(m)
	ev["channel"] = c.ID
	ev["event_ts"] = m.TS
	ev["channel_type"] = channelType(c)
	if len(m.Files) > 0 {
		ev["subtype"] = "file_share"
	}
	if before != nil {
		ts := s.nextTSLocked()
		ev = map[string]any{
			"type": "message", "subtype": "message_changed", "hidden": true,
			"channel": c.ID, "ts": ts, "event_ts": ts, "channel_type": channelType(c),
			"message": s.messageJSON(m), "previous_message": before,
		}
	}
	s.emitEventLocked(ev, "message")
}

// Disconnect sends {"type":"disconnect","reason":reason,...} on every open
// connection, as Slack does before it refreshes a connection, and closes
// them after DisconnectGrace. New envelopes go to the next connection.
func (s *Server) Disconnect(reason string) {
	msg, _ := json.Marshal(map[string]any{
		"type": "disconnect", "reason": reason,
		"debug_info": map[string]any{"host": "applink-fake"},
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		if c.leaving {
			continue
		}
		c.leaving = true
		select {
		case c.out <- outFrame{data: msg}:
		default:
		}
		time.AfterFunc(s.opts.DisconnectGrace, c.close)
	}
	s.changedLocked()
}

// Drop closes every connection's TCP stream without a close frame, as a
// network failure would.
func (s *Server) Drop() {
	s.mu.Lock()
	var conns []*conn
	for _, c := range s.conns {
		if !c.leaving {
			c.leaving = true
			conns = append(conns, c)
		}
	}
	s.changedLocked()
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.ws.UnderlyingConn().Close() // abrupt by design
		c.close()
	}
}

// ErrNoConnection is returned when a frame must go out now but no Socket
// Mode connection is open.
var ErrNoConnection = errors.New("slacktest: no socket mode connection")

// DeliverRaw writes a frame as-is to the current connection, for
// malformed or hand-made envelopes. Its ack, if any, is recorded (Late,
// since the fake did not track it).
func (s *Server) DeliverRaw(frame []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.pickConnLocked()
	if c == nil {
		return ErrNoConnection
	}
	c.out <- outFrame{data: append([]byte(nil), frame...)}
	return nil
}

// CutNext breaks the connection that carries the next envelope of
// eventType ("" any; "message", "app_mention", "block_actions", a slash
// command): the envelope is cut mid-frame or written whole, as how says,
// then the TCP stream closes without a close frame. The envelope stays
// unacked, so Slack's retry applies to it (an Events API envelope comes
// again with retry_attempt+1 after AckTimeout); later envelopes wait for
// the app's next connection. A later CutNext replaces an earlier one not
// yet used.
func (s *Server) CutNext(how Cut, eventType string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cut = &armedCut{how: how, eventType: eventType}
}

// Redeliver sends an event again in a new envelope with retry_attempt 0,
// as Slack has been seen doing, to test deduplication by event_id. It
// returns the new envelope id.
func (s *Server) Redeliver(eventID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.events[eventID]
	if !ok {
		return "", fmt.Errorf("slacktest: redeliver %s: no such event", eventID)
	}
	p := &pending{id: s.newEnvelopeIDLocked(), typ: "events_api", eventID: eventID, eventType: rec.eventType, payload: rec.payload}
	s.deliverLocked(p)
	return p.id, nil
}

// ResendEnvelope sends an events_api envelope again under the same
// envelope_id with retry_attempt 0, as Slack has been seen doing
// (bolt-js #2487), to test deduplication that does not rest on envelope
// ids or retry counts.
func (s *Server) ResendEnvelope(envelopeID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.deliveries {
		if d.EnvelopeID != envelopeID || d.Type != "events_api" {
			continue
		}
		rec := s.events[d.EventID]
		if old, ok := s.pending[envelopeID]; ok {
			old.stopTimer()
		}
		s.deliverLocked(&pending{id: envelopeID, typ: "events_api", eventID: d.EventID, eventType: rec.eventType, payload: rec.payload})
		return nil
	}
	return fmt.Errorf("slacktest: resend %s: no events_api envelope with that id was delivered", envelopeID)
}

// PostEvents returns the ids of the events emitted for the message with
// ts in channel (its message event, and its app_mention), in order.
func (s *Server) PostEvents(channel, ts string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, id := range s.eventOrder {
		if s.events[id].post == channel+"/"+ts {
			ids = append(ids, id)
		}
	}
	return ids
}
