//go:build linux

package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/netdelay"
	"github.com/wsbbot/wsbbot/lab"
)

// auditTimeline is where the wall time of one audit over a lab with
// delaying proxies went, seen from the proxies (netdelay.Proxy.Trace): when
// each host's connection opened, when each request left the client and
// reached the server, when each answer left the server and reached the
// client. On every connection the identity
//
//	life = 2*oneWay*(1+exchanges) + client + server + late
//
// holds exactly, where life runs from the accept to the last answer
// delivered, client is the time wsbbot took between receiving an answer
// (or the modelled end of the handshake) and sending its next request,
// server the time the lab's server took between receiving a request and
// writing the end of its answer, and late how far the proxies delivered
// behind their schedule. The wall time is then
//
//	wall = startup + offset(last host) + life(last host) + tail
//
// wsbbot's own log splits the fixed parts further (to the millisecond its
// log lines carry): started is from the process's start to its "audit
// started" line (exec, initialisation, configuration, the record opened),
// finished from the last answer delivered to its "audit finished" line
// (the fan-out's end, the findings recorded); both are zero when the
// lines are missing.
type auditTimeline struct {
	oneWay   time.Duration
	startup  time.Duration // process start to the first connection the proxies accepted
	spread   time.Duration // first to last connection accepted
	tail     time.Duration // the last answer delivered to the process's exit
	started  time.Duration // process start to "audit started"
	finished time.Duration // the last answer delivered to "audit finished"
	hosts    []hostTimeline
	last     int // index in hosts of the host whose last answer came last
}

// hostTimeline is one host's connection.
type hostTimeline struct {
	name      string
	offset    time.Duration // its accept after the first accept of the run
	life      time.Duration
	exchanges []exchangeTime
}

// exchangeTime is one request and its answer on a connection.
type exchangeTime struct{ client, server, late time.Duration }

func (h hostTimeline) sum() (e exchangeTime) {
	for _, x := range h.exchanges {
		e.client += x.client
		e.server += x.server
		e.late += x.late
	}
	return e
}

// traceProxies starts tracing every proxy of l (clearing earlier events).
func traceProxies(l *lab.Lab, on bool) {
	for _, h := range l.Hosts() {
		h.Proxy.Trace(on)
	}
}

// timelineOf reads the events the proxies of l recorded during r (one
// connection per host expected; a host with several is read from the
// first it accepted) and tells where r's wall time went.
func timelineOf(l *lab.Lab, r auditRun, oneWay time.Duration) (auditTimeline, error) {
	tl := auditTimeline{oneWay: oneWay}
	var first, lastAccept, lastDone time.Time
	type accepted struct {
		at time.Time
		h  hostTimeline
	}
	var all []accepted
	for _, h := range l.Hosts() {
		ht, at, done, err := hostTimelineOf(h.Name, h.Proxy.Events(), oneWay)
		if err != nil {
			return tl, err
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(lastAccept) {
			lastAccept = at
		}
		if done.After(lastDone) {
			lastDone = done
			tl.last = len(all)
		}
		all = append(all, accepted{at, ht})
	}
	for _, a := range all {
		a.h.offset = a.at.Sub(first)
		tl.hosts = append(tl.hosts, a.h)
	}
	tl.startup = first.Sub(r.start)
	tl.spread = lastAccept.Sub(first)
	tl.tail = r.start.Add(r.wall).Sub(lastDone)
	if at, ok := logTime(r.stderr, "audit started"); ok {
		tl.started = at.Sub(r.start)
	}
	if at, ok := logTime(r.stderr, "audit finished"); ok {
		tl.finished = at.Sub(lastDone)
	}
	return tl, nil
}

// logTime is the time of the first record with message msg in wsbbot's
// log (slog's text format: time=RFC 3339 ... msg="...").
func logTime(log, msg string) (time.Time, bool) {
	for line := range strings.Lines(log) {
		if !strings.Contains(line, ` msg="`+msg+`"`) {
			continue
		}
		v, ok := strings.CutPrefix(line, "time=")
		if !ok {
			return time.Time{}, false
		}
		v, _, _ = strings.Cut(v, " ")
		t, err := time.Parse(time.RFC3339Nano, v)
		return t, err == nil
	}
	return time.Time{}, false
}

// hostTimelineOf splits one proxy's events into exchanges: the chunks the
// client sent until the server answered, then the server's until the
// client sent again.
func hostTimelineOf(name string, evs []netdelay.Event, oneWay time.Duration) (hostTimeline, time.Time, time.Time, error) {
	h := hostTimeline{name: name}
	var accept, prevDone time.Time
	conn := 0
	var cur *exchangeTime
	var reqLastAt, reqLastDone, respLastAt, respLastDone time.Time
	var reqLate, respLate time.Duration
	flush := func() {
		if cur == nil || respLastDone.IsZero() {
			return
		}
		cur.server = respLastAt.Sub(reqLastDone)
		cur.late = reqLate + respLate
		h.exchanges = append(h.exchanges, *cur)
		prevDone = respLastDone
	}
	for _, e := range evs {
		switch {
		case e.Accept && conn == 0:
			conn, accept, prevDone = e.Conn, e.At, e.At.Add(2*oneWay)
		case e.Conn != conn:
			// A second connection (a retry) is not this model's.
			continue
		case e.EOF:
		case e.Upstream && (cur == nil || !respLastDone.IsZero()):
			flush()
			cur = &exchangeTime{}
			respLastAt, respLastDone, respLate = time.Time{}, time.Time{}, 0
			fallthrough
		case e.Upstream:
			reqLastAt, reqLastDone, reqLate = e.At, e.Done, e.Done.Sub(e.Due)
			cur.client = max(0, reqLastAt.Sub(prevDone))
		case cur != nil:
			respLastAt, respLastDone, respLate = e.At, e.Done, e.Done.Sub(e.Due)
		}
	}
	flush()
	if accept.IsZero() || len(h.exchanges) == 0 {
		return h, accept, accept, fmt.Errorf("host %s: the proxy saw no exchange", name)
	}
	h.life = prevDone.Sub(accept)
	return h, accept, prevDone, nil
}

// report describes the timeline in a few lines: the fixed parts, then per
// exchange the hosts' median and maximum of each kind of excess time.
func (tl auditTimeline) report() string {
	var b strings.Builder
	lh := tl.hosts[tl.last]
	ls := lh.sum()
	fmt.Fprintf(&b, "start-up %.1f ms (process start to first connection; %.0f ms to wsbbot's \"audit started\")\n", ms(tl.startup), ms(tl.started))
	fmt.Fprintf(&b, "connections opened over %.1f ms; tail %.1f ms (last answer to exit; %.0f ms to wsbbot's \"audit finished\")\n",
		ms(tl.spread), ms(tl.tail), ms(tl.finished))
	fmt.Fprintf(&b, "last host %s: opened at +%.1f ms, life %.1f ms = %d x %.0f ms on the wire + wsbbot %.1f + lab server %.1f + proxies late %.1f\n",
		lh.name, ms(lh.offset), ms(lh.life), 1+len(lh.exchanges), ms(2*tl.oneWay), ms(ls.client), ms(ls.server), ms(ls.late))
	n := 0
	for _, h := range tl.hosts {
		n = max(n, len(h.exchanges))
	}
	fmt.Fprintf(&b, "%-9s %-19s %-19s %-19s (ms, median / max over hosts)\n", "exchange", "wsbbot", "lab server", "proxies late")
	for k := range n {
		var c, s, l []time.Duration
		for _, h := range tl.hosts {
			if k < len(h.exchanges) {
				x := h.exchanges[k]
				c, s, l = append(c, x.client), append(s, x.server), append(l, x.late)
			}
		}
		fmt.Fprintf(&b, "%-9d %-19s %-19s %-19s\n", k+1, medMax(c), medMax(s), medMax(l))
	}
	var offs, lives []time.Duration
	for _, h := range tl.hosts {
		offs, lives = append(offs, h.offset), append(lives, h.life)
	}
	fmt.Fprintf(&b, "connection opened after the first: %s; connection life: %s", medMax(offs), medMax(lives))
	return b.String()
}

// means returns the hosts' mean total client, server and late times.
func (tl auditTimeline) means() (e exchangeTime) {
	for _, h := range tl.hosts {
		s := h.sum()
		e.client += s.client
		e.server += s.server
		e.late += s.late
	}
	n := time.Duration(len(tl.hosts))
	return exchangeTime{e.client / n, e.server / n, e.late / n}
}

func medMax(d []time.Duration) string {
	if len(d) == 0 {
		return "-"
	}
	slices.Sort(d)
	return fmt.Sprintf("%.1f / %.1f", ms(d[len(d)/2]), ms(d[len(d)-1]))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// TestHostTimelineAddsUp builds one connection's events by hand (a
// handshake, two exchanges, the second request in two chunks, the client,
// the server and the proxy each late by known amounts) and checks that
// the timeline finds each share and that they add up to the connection's
// life.
func TestHostTimelineAddsUp(t *testing.T) {
	const ow = 10 * time.Millisecond
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms float64) time.Time { return t0.Add(time.Duration(ms * float64(time.Millisecond))) }
	chunk := func(up bool, sent, due, done float64) netdelay.Event {
		return netdelay.Event{Conn: 7, Upstream: up, Bytes: 100, At: at(sent), Due: at(due), Done: at(done)}
	}
	evs := []netdelay.Event{
		{Conn: 7, Accept: true, At: at(0)},
		// Exchange 1: sent 25 ms after the accept (5 past the handshake's
		// end), delivered 1 ms late; answered 2 ms later; the answer 3 ms late.
		chunk(true, 25, 35, 36),
		chunk(false, 38, 48, 51),
		{Conn: 8, Accept: true, At: at(40)}, // another connection: ignored
		// Exchange 2: sent 4 ms after the answer, in two chunks; answered
		// after 1 ms, on time.
		chunk(true, 55, 65, 65),
		chunk(true, 55.5, 65.5, 65.5),
		chunk(false, 66.5, 76.5, 76.5),
		{Conn: 7, EOF: true, At: at(80), Due: at(90), Done: at(90)},
	}
	h, accept, done, err := hostTimelineOf("h", evs, ow)
	if err != nil {
		t.Fatal(err)
	}
	want := []exchangeTime{
		{client: 5 * time.Millisecond, server: 2 * time.Millisecond, late: 4 * time.Millisecond},
		{client: 4500 * time.Microsecond, server: 1 * time.Millisecond, late: 0},
	}
	if !slices.Equal(h.exchanges, want) {
		t.Errorf("exchanges %+v, want %+v", h.exchanges, want)
	}
	s := h.sum()
	if !accept.Equal(at(0)) || !done.Equal(at(76.5)) || h.life != done.Sub(accept) {
		t.Errorf("accept %v, done %v, life %v", accept, done, h.life)
	}
	if got := 2*ow*time.Duration(1+len(h.exchanges)) + s.client + s.server + s.late; got != h.life {
		t.Errorf("round trips + shares = %v, life %v: they must add up", got, h.life)
	}
}
