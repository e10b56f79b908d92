package remote

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// connRT is the http.RoundTripper of a lane: one connection, one request
// at a time, driven by the caller's goroutine. It does what the lane's
// http.Transport (MaxConnsPerHost 1) used to do without that Transport's
// machinery (a read and a write goroutine per connection, channel
// hand-offs and wake-ups for every request), which was a sizeable share
// of an audit's client CPU:
//
//   - the connection is dialled with the lane's DialContext, and over
//     https the TLS handshake is done here (the lane's tls.Config, its
//     ServerName defaulting to the URL's host, at most headerTimeout,
//     HTTP/1.1 only: no ALPN);
//   - the request is written with Request.Write into the connection's
//     bufio.Writer and the answer read with http.ReadResponse from its
//     bufio.Reader (1xx answers skipped, headers capped at 10 MiB), at most
//     headerTimeout from the request written to the headers read;
//   - the answer's Body, read to EOF, leaves the connection idle for the
//     lane's next request (keep-alive), unless the request or the answer
//     says "Connection: close", the answer is HTTP/1.0 without keep-alive
//     or its body ran to the end of the stream; closed before EOF, it
//     closes the connection (the rest of the answer is never read);
//   - the request's context interrupts a blocked dial, handshake, write or
//     read at once (context.AfterFunc puts a past deadline on the
//     connection; no goroutine per request) and the error is the
//     context's cause, as net/http's;
//   - an idle connection is closed after idleTimeout; one the server has
//     closed or written to while idle is dropped before use (a
//     non-blocking peek where the connection exposes its socket: net/http
//     learns it from its read goroutine; where it does not, as on Windows
//     or an in-process connection, one idle longer than blindIdle is not
//     reused), and a request whose reused connection fails while it is
//     being written is sent once more on a new connection, its body
//     rewound with GetBody (the server cannot have acted on a request it
//     did not get whole). One dropped after the whole request went, before
//     a byte of the answer, is an error, never sent twice: the server may
//     have acted on it, and net/http does not send a POST again either;
//   - no proxy, no compression, no redirects (the http.Client above
//     returns them), no HTTP/2.
//
// Errors read as net/http's do where classifyTransport looks at them
// ("net/http: timeout awaiting response headers", TLS errors unwrapped so
// that the http.Client reports an http listener behind https as such).
//
// A lane sends one request at a time; should a second arrive while the
// connection is busy, it gets a connection of its own, and the idle slot
// keeps whichever is released first.
type connRT struct {
	dial          func(ctx context.Context, network, addr string) (net.Conn, error)
	tlsConf       *tls.Config // never modified
	headerTimeout time.Duration
	idleTimeout   time.Duration
	// blindIdle is how long a connection that cannot be peeked at (see
	// usable) may have been idle and still be reused: whether the server
	// closed it meanwhile cannot be told, and a request lost on it is not
	// sent twice. 0 means blindIdleTimeout.
	blindIdle time.Duration

	mu   sync.Mutex
	idle *laneConn // the connection kept alive between requests, if any
}

const (
	// maxHeaderBytes caps an answer's headers, 1xx answers included
	// (net/http's default MaxResponseHeaderBytes).
	maxHeaderBytes = 10 << 20
	// idleConnTimeout closes a connection left idle this long.
	idleConnTimeout = 90 * time.Second
	// blindIdleTimeout is connRT.blindIdle's default: a session's
	// requests follow one another within milliseconds; a server (or
	// Windows' HTTP.sys, after 120 s by default) seldom closes an idle
	// connection within seconds.
	blindIdleTimeout = 2 * time.Second
)

var (
	// errHeaderTimeout is net/http's text for ResponseHeaderTimeout.
	errHeaderTimeout = &timeoutError{"net/http: timeout awaiting response headers"}
	// errTLSHandshakeTimeout is net/http's text for TLSHandshakeTimeout.
	errTLSHandshakeTimeout = &timeoutError{"net/http: TLS handshake timeout"}
	errReadAfterClose      = errors.New("http: read on closed response body")
	// aLongTimeAgo is a deadline in the past: it interrupts blocked I/O.
	aLongTimeAgo = time.Unix(1, 0)
)

// timeoutError is a net.Error whose Timeout is true, as net/http's.
type timeoutError struct{ msg string }

func (e *timeoutError) Error() string   { return e.msg }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }
func (e *timeoutError) Is(err error) bool {
	return err == context.DeadlineExceeded
}

// laneConn is one connection of a connRT. Its owner is the request using
// it, or the connRT's idle slot (under connRT.mu).
type laneConn struct {
	rt    *connRT
	https bool
	host  string          // the URL's host[:port] it was dialled for
	raw   net.Conn        // the dialled connection: deadlines are set on it
	conn  net.Conn        // raw, or the TLS client over it
	tlsc  *tls.Conn       // nil over http
	sys   syscall.RawConn // raw's socket for peerGone; nil if it cannot peek
	br    *bufio.Reader   // reads c (so that reads are counted)

	handshaken bool
	reused     bool  // it served a request before
	nwrite     int64 // bytes written, for "nothing written"
	readLimit  int64 // bytes left before the header cap

	idleSince time.Time   // under rt.mu
	idleTimer *time.Timer // under rt.mu

	mu          sync.Mutex
	interrupted bool // the request's context ended: a past deadline is set
	closed      bool
}

func (c *laneConn) Read(p []byte) (int, error) {
	if c.readLimit <= 0 {
		return 0, fmt.Errorf("net/http: read limit of %d bytes exhausted", maxHeaderBytes)
	}
	if int64(len(p)) > c.readLimit {
		p = p[:c.readLimit]
	}
	n, err := c.conn.Read(p)
	c.readLimit -= int64(n)
	return n, err
}

func (c *laneConn) Write(p []byte) (int, error) {
	n, err := c.conn.Write(p)
	c.nwrite += int64(n)
	return n, err
}

// interrupt aborts the connection's blocked I/O; the request's context
// ended. The connection is never reused afterwards.
func (c *laneConn) interrupt() {
	c.mu.Lock()
	c.interrupted = true
	_ = c.raw.SetDeadline(aLongTimeAgo)
	c.mu.Unlock()
}

func (c *laneConn) wasInterrupted() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.interrupted
}

// deadline sets the read (readOnly) or read and write deadline unless the
// connection was interrupted, whose past deadline must stay.
func (c *laneConn) deadline(t time.Time, readOnly bool) {
	c.mu.Lock()
	if !c.interrupted {
		if readOnly {
			_ = c.raw.SetReadDeadline(t)
		} else {
			_ = c.raw.SetDeadline(t)
		}
	}
	c.mu.Unlock()
}

func (c *laneConn) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	_ = c.conn.Close()
}

// usable says whether an idle connection can carry a request: nothing
// arrived on it while idle (an unsolicited answer, a TLS alert, the end
// of the stream).
func (c *laneConn) usable() bool {
	return c.br.Buffered() == 0 && !peerGone(c.sys)
}

// release ends a request on c: c goes to the idle slot if keep and the
// request's context never interrupted it, else it is closed. stop is the
// context.AfterFunc's (nil without one).
func (c *laneConn) release(stop func() bool, keep bool) {
	if stop != nil && !stop() {
		keep = false // interrupted, or being
	}
	if keep {
		c.rt.putIdle(c)
	} else {
		c.close()
	}
}

// putIdle keeps c for the next request, or closes it if another
// connection already waits.
func (rt *connRT) putIdle(c *laneConn) {
	c.reused = true
	rt.mu.Lock()
	kept := rt.idle == nil
	if kept {
		rt.idle = c
		c.idleSince = time.Now()
		if c.idleTimer == nil {
			c.idleTimer = time.AfterFunc(rt.idleTimeout, func() { rt.expire(c) })
		} else {
			c.idleTimer.Reset(rt.idleTimeout)
		}
	}
	rt.mu.Unlock()
	if !kept {
		c.close()
	}
}

// expire closes c if it is still idle and has been for idleTimeout (the
// timer may fire late, for an earlier idle period).
func (rt *connRT) expire(c *laneConn) {
	rt.mu.Lock()
	if rt.idle != c || time.Since(c.idleSince) < rt.idleTimeout {
		rt.mu.Unlock()
		return
	}
	rt.idle = nil
	rt.mu.Unlock()
	c.close()
}

// take returns the idle connection if it can serve a request to host,
// closing it if not.
func (rt *connRT) take(https bool, host string) *laneConn {
	rt.mu.Lock()
	c := rt.idle
	rt.idle = nil
	var idleFor time.Duration
	if c != nil {
		c.idleTimer.Stop()
		idleFor = time.Since(c.idleSince)
	}
	rt.mu.Unlock()
	if c == nil {
		return nil
	}
	blind := rt.blindIdle
	if blind == 0 {
		blind = blindIdleTimeout
	}
	if c.https == https && c.host == host && idleFor < rt.idleTimeout && c.usable() && (c.sys != nil || idleFor < blind) {
		return c
	}
	c.close()
	return nil
}

// CloseIdleConnections closes the idle connection, if any. A request in
// flight keeps its connection.
func (rt *connRT) CloseIdleConnections() {
	rt.mu.Lock()
	c := rt.idle
	rt.idle = nil
	if c != nil {
		c.idleTimer.Stop()
	}
	rt.mu.Unlock()
	if c != nil {
		c.close()
	}
}

// writeBufferSize is the buffer a request is written through: room for a
// whole request (headers, envelope and an inline script: the audit's
// Command is about 7 KB), so that it leaves in one write and one segment,
// not two or three.
const writeBufferSize = 16 << 10

// writers holds the write buffers. A request takes one for its write and
// gives it back once flushed: a connection spends most of its life
// waiting for an answer, so an audit of 100 servers at once writes
// through a few buffers, where a buffer per connection was 100 of them,
// 1.6 MB allocated (and, in a short-lived process, faulted in) of the
// 12.6 MB the audit allocates.
var writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, writeBufferSize) }}

// dialConn opens a connection to the URL's host (TLS is set up, not yet
// handshaken, over https).
func (rt *connRT) dialConn(ctx context.Context, https bool, host, hostname, addr string) (*laneConn, error) {
	raw, err := rt.dial(ctx, "tcp", addr)
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return nil, err
	}
	return rt.wrapConn(raw, https, host, hostname), nil
}

// adopt makes raw, a TCP connection to the URL's host opened at since
// (Client.Warm), rt's idle connection: the next request takes it as it
// would a kept-alive one, after the same checks (nothing arrived on it,
// idle for less than the idle and blind limits) and with the same retry
// on a new connection when it turns out closed before the request was
// written whole.
func (rt *connRT) adopt(raw net.Conn, since time.Time, https bool, host, hostname string) {
	c := rt.wrapConn(raw, https, host, hostname)
	rt.putIdle(c)
	rt.mu.Lock()
	if rt.idle == c {
		c.idleSince = since
	}
	rt.mu.Unlock()
}

// wrapConn makes raw a laneConn (TLS set up over https, not yet
// handshaken).
func (rt *connRT) wrapConn(raw net.Conn, https bool, host, hostname string) *laneConn {
	c := &laneConn{rt: rt, https: https, host: host, raw: raw, conn: raw}
	if https {
		cfg := rt.tlsConf
		if cfg == nil {
			cfg = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName = hostname
		}
		c.tlsc = tls.Client(raw, cfg)
		c.conn = c.tlsc
	}
	if sc, ok := raw.(syscall.Conn); ok && peekSupported {
		if rc, err := sc.SyscallConn(); err == nil {
			c.sys = rc
		}
	}
	c.br = bufio.NewReader(c)
	return c
}

// RoundTrip implements http.RoundTripper.
func (rt *connRT) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	u := req.URL
	var https bool
	switch {
	case u == nil:
		closeReqBody(req)
		return nil, errors.New("http: nil Request.URL")
	case u.Scheme == "https":
		https = true
	case u.Scheme != "http":
		closeReqBody(req)
		return nil, fmt.Errorf("unsupported protocol scheme %q", u.Scheme)
	}
	if u.Host == "" {
		closeReqBody(req)
		return nil, errors.New("http: no Host in request URL")
	}
	for retried := false; ; retried = true {
		if ctx.Err() != nil {
			closeReqBody(req)
			return nil, context.Cause(ctx)
		}
		c := rt.take(https, u.Host)
		if c == nil {
			hostname := u.Hostname()
			port := u.Port()
			if port == "" {
				port = "80"
				if https {
					port = "443"
				}
			}
			var err error
			if c, err = rt.dialConn(ctx, https, u.Host, hostname, net.JoinHostPort(hostname, port)); err != nil {
				closeReqBody(req)
				return nil, err
			}
		}
		resp, err, retry := c.roundTrip(ctx, req)
		if err == nil {
			return resp, nil
		}
		if retried || !retry || !c.reused {
			return nil, err
		}
		r, ok := rewind(req)
		if !ok {
			return nil, err
		}
		req = r
	}
}

// roundTrip sends req on c and reads the answer's headers. On error, c is
// closed, req's body closed, and retry says whether the failure allows
// sending req again on a new connection (if c had served a request
// before: see connRT).
func (c *laneConn) roundTrip(ctx context.Context, req *http.Request) (_ *http.Response, _ error, retry bool) {
	rt := c.rt
	var stop func() bool
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, c.interrupt)
	}
	wrote := false
	fail := func(err error, retry bool) (*http.Response, error, bool) {
		if stop != nil {
			stop()
		}
		c.close()
		if !wrote {
			closeReqBody(req)
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx), false
		}
		return nil, err, retry
	}
	timedOut := func(err error) bool {
		return errors.Is(err, os.ErrDeadlineExceeded) && !c.wasInterrupted()
	}

	if c.tlsc != nil && !c.handshaken {
		if rt.headerTimeout > 0 {
			c.deadline(time.Now().Add(rt.headerTimeout), false)
		}
		if err := c.tlsc.Handshake(); err != nil {
			if timedOut(err) {
				err = errTLSHandshakeTimeout
			}
			return fail(err, false) // unwrapped: see connRT
		}
		c.handshaken = true
		c.deadline(time.Time{}, false)
	}

	written := c.nwrite
	wrote = true // Request.Write closes the body, whatever happens
	bw := writers.Get().(*bufio.Writer)
	bw.Reset(c)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writers.Put(bw)
	if err != nil {
		// The server cannot have acted on a request it did not get
		// whole: send it again if c had been idle (closed meanwhile).
		if c.nwrite == written {
			return fail(err, true)
		}
		return fail(fmt.Errorf("net/http: HTTP/1.x transport connection broken: %w", err), true)
	}

	if rt.headerTimeout > 0 {
		c.deadline(time.Now().Add(rt.headerTimeout), true)
	}
	c.readLimit = maxHeaderBytes
	if _, err := c.br.Peek(1); err != nil {
		if timedOut(err) {
			return fail(errHeaderTimeout, false)
		}
		// Nothing of the answer came, after the whole request went: the
		// server may have acted on it (run a Command) before it dropped
		// the connection, so it is not sent again, as net/http does not
		// send a POST again; a connection the server had closed while
		// idle was dropped before use (usable, blindIdle). The error is
		// the read's own, as net/http returns it.
		return fail(err, false)
	}
	var resp *http.Response
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			if timedOut(err) {
				err = errHeaderTimeout
			}
			return fail(err, false)
		}
		if code := resp.StatusCode; code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
			break
		}
		// 1xx informational: the answer follows (the header cap spans them).
	}
	c.readLimit = math.MaxInt64
	if rt.headerTimeout > 0 {
		c.deadline(time.Time{}, true)
	}

	keep := !resp.Close && !req.Close && !hasCloseToken(req.Header) &&
		resp.StatusCode != http.StatusSwitchingProtocols
	if resp.Body == http.NoBody {
		c.release(stop, keep)
		return resp, nil, false
	}
	resp.Body = &laneBody{c: c, body: resp.Body, ctx: ctx, stop: stop, keep: keep}
	return resp, nil, false
}

// hasCloseToken says whether h's Connection header says close.
func hasCloseToken(h http.Header) bool {
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "close") {
				return true
			}
		}
	}
	return false
}

// rewind returns req ready to be sent again: with a new body from
// GetBody, or as it is without a body; ok is false if its body cannot be
// rewound.
func rewind(req *http.Request) (_ *http.Request, ok bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	r := *req // as net/http's rewindBody: the caller's request is not modified
	r.Body = body
	return &r, true
}

func closeReqBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// laneBody is the Body of an answer on a laneConn: see connRT.
type laneBody struct {
	c    *laneConn
	body io.ReadCloser // http.ReadResponse's
	ctx  context.Context
	stop func() bool
	keep bool

	mu    sync.Mutex
	state int // bodyOpen, bodyEOF, bodyClosed
}

const (
	bodyOpen = iota
	bodyEOF
	bodyClosed
)

func (b *laneBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	st := b.state
	b.mu.Unlock()
	switch st {
	case bodyEOF:
		return 0, io.EOF
	case bodyClosed:
		return 0, errReadAfterClose
	}
	n, err := b.body.Read(p)
	switch {
	case err == nil:
		return n, nil
	case err == io.EOF:
		b.end(bodyEOF)
		return n, io.EOF
	}
	if b.ctx.Err() != nil {
		err = context.Cause(b.ctx)
	}
	b.end(bodyClosed)
	return n, err
}

// Close closes the connection unless the body was read to EOF (the rest
// of the answer would have to be read first; a Read in progress fails).
func (b *laneBody) Close() error {
	b.end(bodyClosed)
	b.mu.Lock()
	b.state = bodyClosed
	b.mu.Unlock()
	return nil
}

// end moves an open body to state, releasing its connection: kept alive
// at EOF if it may be.
func (b *laneBody) end(state int) {
	b.mu.Lock()
	if b.state != bodyOpen {
		b.mu.Unlock()
		return
	}
	b.state = state
	b.mu.Unlock()
	b.c.release(b.stop, b.keep && state == bodyEOF)
}
