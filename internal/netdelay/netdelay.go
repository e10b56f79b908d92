// Package netdelay is a TCP proxy on loopback that delays traffic as a
// distant network would: every byte reaches the other side a fixed one-way
// latency after it was sent, in both directions, and a new connection pays
// the TCP handshake's round trip before its first byte can travel.
//
// It sits on the network path (the client dials the proxy, the proxy dials
// the real server, or hands the connection to a server in the same
// process: ListenLocal), so connection set-up, request and response all
// pay the delay, unlike a sleep inside a fake server's handler. Bytes are
// pipelined: a stream of writes is delayed, not serialised behind one
// another's delays, just as packets in flight on a long link are.
//
// Link (Linux, root) delays at the packet level instead: IP packets routed
// through a TUN device, so both ends are the kernel's own TCP. `make
// test-extra` uses it to check that Proxy measures what such a network does.
package netdelay

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Proxy accepts connections on its own loopback address and delays each
// direction by its one-way delay: towards an upstream address it dials
// (Listen), or towards a server in this process that takes the delayed
// connections from Listener (ListenLocal).
type Proxy struct {
	ln       net.Listener
	upstream string // "" with ListenLocal
	oneWay   time.Duration
	incoming chan *conn    // ListenLocal: accepted connections for Accept
	done     chan struct{} // closed by Close

	mu        sync.Mutex
	conns     map[net.Conn]struct{}
	accepted  int
	closed    bool
	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error

	tracing atomic.Bool
	events  []Event // under mu, while tracing
}

// Event is one thing the proxy did, recorded while tracing (Trace): a
// connection accepted, or a chunk of bytes (what one read returned)
// delivered to the other side.
type Event struct {
	Conn int // the connection, numbered from 1 in accept order
	// Upstream is true for a chunk the client sent towards the server,
	// false for one the server sent back (and for Accept).
	Upstream bool
	Accept   bool // the connection was accepted (At); no bytes
	EOF      bool // the end of the stream (a half-close) was delivered
	Bytes    int
	// At is when the proxy accepted the connection or read the chunk: on
	// loopback, when its sender wrote it. Due is when the modelled link
	// delivers it, and Done when the proxy delivered it (wrote it, or
	// handed it to the local server's read); Done-Due is how late the
	// proxy was.
	At, Due, Done time.Time
}

// Trace starts (on) or stops recording Events, and clears those recorded.
// Tracing is off by default: it costs an append per chunk.
func (p *Proxy) Trace(on bool) {
	p.mu.Lock()
	p.events = nil
	p.tracing.Store(on)
	p.mu.Unlock()
}

// Events returns what the proxy recorded since Trace, in the order it
// happened (an Accept before its connection's chunks; chunks in each
// direction in order).
func (p *Proxy) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

func (p *Proxy) trace(e Event) {
	if !p.tracing.Load() {
		return
	}
	p.mu.Lock()
	if p.tracing.Load() {
		p.events = append(p.events, e)
	}
	p.mu.Unlock()
}

// Listen starts a proxy on addr (a loopback "host:port"; port 0 picks a
// free one) forwarding to upstream with the given one-way delay. A round
// trip through it costs 2*oneWay; a new connection's first request costs
// 3*oneWay (SYN, SYN-ACK, then the data).
func Listen(addr, upstream string, oneWay time.Duration) (*Proxy, error) {
	return listen(addr, upstream, oneWay)
}

// ListenLocal starts a proxy on addr, as Listen does, whose upstream is a
// server in this process: it serves Listener, whose connections carry
// what the client sends a one-way delay after it was sent and deliver
// what the server writes a one-way delay later. It is Listen without the
// second loopback connection (its handshake, its reads and writes and
// their goroutines), which a lab of many servers would otherwise pay on
// the same cores as the client it measures.
func ListenLocal(addr string, oneWay time.Duration) (*Proxy, error) {
	return listen(addr, "", oneWay)
}

func listen(addr, upstream string, oneWay time.Duration) (*Proxy, error) {
	if oneWay < 0 {
		return nil, fmt.Errorf("netdelay: negative delay %v", oneWay)
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("netdelay: listen %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("netdelay: listen %q: loopback addresses only", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("netdelay: %w", err)
	}
	p := &Proxy{ln: ln, upstream: upstream, oneWay: oneWay, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	if upstream == "" {
		p.incoming = make(chan *conn)
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's listening address.
func (p *Proxy) Addr() *net.TCPAddr { return p.ln.Addr().(*net.TCPAddr) }

// Accepted is the number of connections accepted so far: each paid one
// TCP handshake.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Listener is what a local server (ListenLocal) serves: Accept returns
// the delayed connections, Close closes the proxy. With Listen, its
// Accept fails.
func (p *Proxy) Listener() net.Listener { return listener{p} }

type listener struct{ p *Proxy }

func (l listener) Accept() (net.Conn, error) {
	if l.p.incoming == nil {
		return nil, fmt.Errorf("netdelay: accept: the proxy forwards to %s", l.p.upstream)
	}
	select {
	case c := <-l.p.incoming:
		return c, nil
	case <-l.p.done:
		return nil, net.ErrClosed
	}
}

func (l listener) Close() error   { return l.p.Close() }
func (l listener) Addr() net.Addr { return l.p.Addr() }

// Close stops accepting, cuts every open connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		for c := range p.conns {
			_ = c.Close()
		}
		p.mu.Unlock()
		close(p.done)
		err := p.ln.Close()
		p.wg.Wait()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		p.closeErr = err
	})
	return p.closeErr
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		tc, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(tc) {
			_ = tc.Close()
			return
		}
		now := time.Now()
		p.mu.Lock()
		p.accepted++
		n := p.accepted
		p.mu.Unlock()
		p.trace(Event{Conn: n, Accept: true, At: now})
		// The client's connect() returned at once on loopback; on the
		// modelled link it would have returned one round trip later, so
		// nothing the client sends may travel before now+2*oneWay.
		c := newConn(p, n, tc.(*net.TCPConn), now.Add(2*p.oneWay))
		p.wg.Add(2)
		go c.readLoop()
		go c.writeLoop()
		if p.incoming == nil {
			p.wg.Add(1)
			go p.forward(c)
			continue
		}
		select {
		case p.incoming <- c:
		case <-p.done:
			_ = c.Close()
			return
		}
	}
}

// forward connects a delayed connection to the upstream (Listen).
func (p *Proxy) forward(c *conn) {
	defer p.wg.Done()
	defer c.Close()
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		_ = up.Close()
		return
	}
	defer p.untrack(up)
	tcpUp := up.(*net.TCPConn)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if copyChunks(up, c) == nil {
			_ = tcpUp.CloseWrite()
		} else {
			_ = up.Close()
		}
	}()
	if copyChunks(c, up) == nil {
		_ = c.CloseWrite()
	} else {
		_ = c.Close()
	}
	wg.Wait()
}

// copyChunks copies src to dst until EOF (nil) or an error, in chunks of
// at most chunkSize.
func copyChunks(dst io.Writer, src io.Reader) error {
	buf := getBuf()
	defer putBuf(buf)
	for {
		n, err := src.Read(*buf)
		if n > 0 {
			if _, werr := dst.Write((*buf)[:n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// chunkSize is the most one read or one queued write carries; inFlight
// chunks may be queued in each direction of a connection (more, and the
// sender waits, as a full socket buffer makes it: only a bulk transfer of
// over inFlight*chunkSize bytes per one-way delay would notice).
const chunkSize, inFlight = 16 << 10, 64

var bufPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

func getBuf() *[]byte  { return bufPool.Get().(*[]byte) }
func putBuf(b *[]byte) { bufPool.Put(b) }

// chunk is what one read returned, and when it is delivered.
type chunk struct {
	buf     *[]byte // nil for the end of the stream
	n       int
	at, due time.Time
	err     error // with buf nil: io.EOF, or the error that ended the stream
}

// conn is one accepted connection, as its server sees it: Read returns
// what the client sent a one-way delay after it was sent (a readLoop
// reads the client as it arrives, so sends are stamped when they were
// made), and Write queues bytes that a writeLoop delivers to the client a
// one-way delay after they were written. It is a net.Conn with deadlines
// and half-close (CloseWrite), as a *net.TCPConn is.
type conn struct {
	p         *Proxy
	id        int
	tcp       *net.TCPConn
	notBefore time.Time // the modelled handshake's end

	in  chan chunk // readLoop -> Read
	out chan chunk // Write -> writeLoop

	rmu    sync.Mutex // serialises Read; guards cur, off, rerr, timer
	cur    *chunk
	curBuf chunk
	off    int
	rerr   error
	timer  *time.Timer

	wmu     sync.Mutex // serialises Write; guards wclosed, eofAt
	wclosed bool
	eofAt   time.Time

	rdl, wdl deadline

	closed    chan struct{} // the server closed the connection
	closeOnce sync.Once
	broken    chan struct{} // the client connection failed
	breakOnce sync.Once
	brokenErr error
	ends      atomic.Int32 // loops ended; the second closes tcp
}

func newConn(p *Proxy, id int, tcp *net.TCPConn, notBefore time.Time) *conn {
	return &conn{
		p: p, id: id, tcp: tcp, notBefore: notBefore,
		in: make(chan chunk, inFlight), out: make(chan chunk, inFlight),
		rdl: newDeadline(), wdl: newDeadline(),
		closed: make(chan struct{}), broken: make(chan struct{}),
	}
}

// readLoop reads the client as its bytes arrive and queues them for Read.
func (c *conn) readLoop() {
	defer c.end()
	for {
		buf := getBuf()
		n, err := c.tcp.Read(*buf)
		at := time.Now()
		due := at.Add(c.p.oneWay)
		if at.Before(c.notBefore) {
			due = c.notBefore.Add(c.p.oneWay)
		}
		if n > 0 {
			if !c.queueIn(chunk{buf: buf, n: n, at: at, due: due}) {
				putBuf(buf)
				// Bytes for a closed socket: the peer's kernel resets.
				_ = c.tcp.Close()
				return
			}
		} else {
			putBuf(buf)
		}
		if err != nil {
			if err != io.EOF {
				// A failed connection is noticed at once, not a delay later.
				due = at
				c.fail(err)
			}
			c.queueIn(chunk{at: at, due: due, err: err})
			return
		}
	}
}

func (c *conn) queueIn(ch chunk) bool {
	select {
	case <-c.closed:
		return false
	default:
	}
	select {
	case c.in <- ch:
		return true
	case <-c.closed:
		return false
	case <-c.p.done:
		return false
	}
}

// writeLoop delivers what the server wrote, each chunk at its due time,
// then the end of the stream when the server closed its side.
func (c *conn) writeLoop() {
	defer c.end()
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var ch chunk
		var ok bool
		select {
		case ch, ok = <-c.out:
		case <-c.p.done:
			return
		}
		if !ok {
			break
		}
		if !c.p.sleepUntil(&timer, ch.due) {
			return
		}
		_, err := c.tcp.Write((*ch.buf)[:ch.n])
		c.p.trace(Event{Conn: c.id, Bytes: ch.n, At: ch.at, Due: ch.due, Done: time.Now()})
		putBuf(ch.buf)
		if err != nil {
			c.fail(err)
			for ch := range c.out {
				putBuf(ch.buf)
			}
			return
		}
	}
	c.wmu.Lock()
	at := c.eofAt
	c.wmu.Unlock()
	due := at.Add(c.p.oneWay)
	if !c.p.sleepUntil(&timer, due) {
		return
	}
	_ = c.tcp.CloseWrite()
	c.p.trace(Event{Conn: c.id, EOF: true, At: at, Due: due, Done: time.Now()})
}

// end is called by each loop as it ends; the second closes the client's
// connection.
func (c *conn) end() {
	defer c.p.wg.Done()
	if c.ends.Add(1) == 2 {
		c.p.untrack(c.tcp)
	}
}

// fail marks the client's connection failed: the server's reads and writes
// fail too.
func (c *conn) fail(err error) {
	c.breakOnce.Do(func() {
		c.brokenErr = err
		close(c.broken)
		_ = c.tcp.Close()
	})
}

// sleepUntil waits until t on *timer (made on first use, then reset);
// false if the proxy closed meanwhile.
func (p *Proxy) sleepUntil(timer **time.Timer, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	if *timer == nil {
		*timer = time.NewTimer(d)
	} else {
		(*timer).Reset(d)
	}
	select {
	case <-(*timer).C:
		return true
	case <-p.done:
		return false
	}
}

// Read implements net.Conn.
func (c *conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rerr != nil {
		return 0, c.rerr
	}
	if err := c.gone(); err != nil {
		return 0, err
	}
	if c.cur == nil {
		select {
		case c.curBuf = <-c.in:
			c.cur, c.off = &c.curBuf, 0
		case <-c.rdl.wait():
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			return 0, net.ErrClosed
		case <-c.broken:
			return 0, c.brokenErr
		case <-c.p.done:
			return 0, net.ErrClosed
		}
	}
	if d := time.Until(c.cur.due); d > 0 {
		if c.timer == nil {
			c.timer = time.NewTimer(d)
		} else {
			c.timer.Reset(d)
		}
		select {
		case <-c.timer.C:
		case <-c.rdl.wait():
			c.timer.Stop()
			return 0, os.ErrDeadlineExceeded
		case <-c.closed:
			c.timer.Stop()
			return 0, net.ErrClosed
		case <-c.broken:
			c.timer.Stop()
			return 0, c.brokenErr
		case <-c.p.done:
			c.timer.Stop()
			return 0, net.ErrClosed
		}
	}
	ch := c.cur
	if ch.buf == nil {
		c.rerr = ch.err
		if ch.err == io.EOF {
			c.p.trace(Event{Conn: c.id, Upstream: true, EOF: true, At: ch.at, Due: ch.due, Done: time.Now()})
		}
		return 0, c.rerr
	}
	if c.off == 0 {
		c.p.trace(Event{Conn: c.id, Upstream: true, Bytes: ch.n, At: ch.at, Due: ch.due, Done: time.Now()})
	}
	n := copy(b, (*ch.buf)[c.off:ch.n])
	c.off += n
	if c.off == ch.n {
		putBuf(ch.buf)
		c.cur = nil
	}
	return n, nil
}

// gone is the error of a connection closed by the server or the proxy, or
// failed on the client's side; nil while it is open.
func (c *conn) gone() error {
	select {
	case <-c.closed:
		return net.ErrClosed
	case <-c.p.done:
		return net.ErrClosed
	case <-c.broken:
		return c.brokenErr
	default:
		return nil
	}
}

// Write implements net.Conn: it queues b for delivery a one-way delay
// from now, waiting only while inFlight chunks are queued.
func (c *conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wclosed {
		return 0, &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}
	}
	if err := c.gone(); err != nil {
		return 0, err
	}
	n := 0
	for len(b) > 0 {
		select {
		case <-c.wdl.wait():
			return n, os.ErrDeadlineExceeded
		default:
		}
		buf := getBuf()
		k := copy(*buf, b)
		at := time.Now()
		select {
		case c.out <- chunk{buf: buf, n: k, at: at, due: at.Add(c.p.oneWay)}:
		case <-c.wdl.wait():
			putBuf(buf)
			return n, os.ErrDeadlineExceeded
		case <-c.closed:
			putBuf(buf)
			return n, net.ErrClosed
		case <-c.broken:
			putBuf(buf)
			return n, c.brokenErr
		case <-c.p.done:
			putBuf(buf)
			return n, net.ErrClosed
		}
		n += k
		b = b[k:]
	}
	return n, nil
}

// CloseWrite ends the stream towards the client (delivered after what
// was written, a one-way delay later); reading goes on.
func (c *conn) CloseWrite() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if !c.wclosed {
		c.wclosed, c.eofAt = true, time.Now()
		close(c.out)
	}
	return nil
}

// Close implements net.Conn: the server is done with the connection.
// What it wrote is still delivered, then the end of the stream; bytes the
// client sends afterwards reset the connection.
func (c *conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed) // unblocks a waiting Write, which holds wmu
	})
	_ = c.CloseWrite()
	if !first {
		return net.ErrClosed
	}
	return nil
}

// LocalAddr implements net.Conn: the proxy's address, which the client
// dialled.
func (c *conn) LocalAddr() net.Addr { return c.tcp.LocalAddr() }

// RemoteAddr implements net.Conn: the client's address.
func (c *conn) RemoteAddr() net.Addr { return c.tcp.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *conn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

// SetReadDeadline implements net.Conn.
func (c *conn) SetReadDeadline(t time.Time) error { c.rdl.set(t); return nil }

// SetWriteDeadline implements net.Conn.
func (c *conn) SetWriteDeadline(t time.Time) error { c.wdl.set(t); return nil }

// deadline is a settable point in time whose channel closes when it
// passes (net.Pipe's pipeDeadline).
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{}
}

func newDeadline() deadline { return deadline{cancel: make(chan struct{})} }

func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait for it to close cancel
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
