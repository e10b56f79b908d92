// Package netdelay is a TCP proxy on loopback that delays traffic as a
// distant network would: every byte reaches the other side a fixed one-way
// latency after it was sent, in both directions, and a new connection pays
// the TCP handshake's round trip before its first byte can travel.
//
// It sits on the network path (the client dials the proxy, the proxy dials
// the real server), so connection set-up, request and response all pay the
// delay, unlike a sleep inside a fake server's handler. Bytes are
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
	"sync"
	"sync/atomic"
	"time"
)

// Proxy forwards connections from its own loopback address to one upstream
// address, delaying each direction by OneWay.
type Proxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	accepted int
	closed   bool
	wg       sync.WaitGroup

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
	// delivers it, and Done when the proxy finished writing it; Done-Due
	// is how late the proxy was.
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
	p := &Proxy{ln: ln, upstream: upstream, oneWay: oneWay, conns: map[net.Conn]struct{}{}}
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

// Close stops accepting, cuts every open connection and waits for the
// proxy's goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
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
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			_ = c.Close()
			return
		}
		now := time.Now()
		p.mu.Lock()
		p.accepted++
		n := p.accepted
		p.mu.Unlock()
		p.trace(Event{Conn: n, Accept: true, At: now})
		p.wg.Add(1)
		go p.serve(c, n, now)
	}
}

// serve connects one client to the upstream. The client's connect()
// returned at once on loopback; on the modelled link it would have returned
// one round trip later, so nothing the client sends may travel before
// accepted+2*oneWay.
func (p *Proxy) serve(client net.Conn, n int, accepted time.Time) {
	defer p.wg.Done()
	defer p.untrack(client)
	up, err := net.Dial("tcp", p.upstream)
	if err != nil {
		return
	}
	if !p.track(up) {
		_ = up.Close()
		return
	}
	defer p.untrack(up)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(up, client, n, true, accepted.Add(2*p.oneWay)) }()
	go func() { defer wg.Done(); p.pipe(client, up, n, false, time.Time{}) }()
	wg.Wait()
}

// chunk is what one Read returned, and when it may be written.
type chunk struct {
	data    []byte
	at, due time.Time
	eof     bool
}

// pipe copies src to dst, each chunk written oneWay after it was read (and
// not before notBefore+oneWay). A reader and a writer run apart, so chunks
// in flight overlap. The end of src is delivered, delayed too, as a
// half-close of dst.
//
// Up to inFlight reads may be in flight at once (more, and the reader
// waits: only a bulk transfer of over inFlight*readSize bytes per one-way
// delay would notice). The queue and the read buffer are allocated per
// connection and direction, and a lab of 1,000 hosts opens thousands of
// connections on the same cores as the client it measures: at 1024 x 56
// bytes plus 32 KiB they cost more CPU (allocation and zeroing) than the
// traffic itself.
func (p *Proxy) pipe(dst, src net.Conn, conn int, upstream bool, notBefore time.Time) {
	const inFlight, readSize = 64, 16 << 10
	q := make(chan chunk, inFlight)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range q {
			if d := time.Until(c.due); d > 0 {
				time.Sleep(d)
			}
			if c.eof {
				closeWrite(dst)
				p.trace(Event{Conn: conn, Upstream: upstream, EOF: true, At: c.at, Due: c.due, Done: time.Now()})
				return
			}
			_, err := dst.Write(c.data)
			p.trace(Event{Conn: conn, Upstream: upstream, Bytes: len(c.data), At: c.at, Due: c.due, Done: time.Now()})
			if err != nil {
				// The other side is gone: stop reading too.
				_ = src.Close()
				for range q {
				}
				return
			}
		}
	}()
	buf := make([]byte, readSize)
	for {
		n, err := src.Read(buf)
		at := time.Now()
		due := at.Add(p.oneWay)
		if at.Before(notBefore) {
			due = notBefore.Add(p.oneWay)
		}
		if n > 0 {
			q <- chunk{data: append([]byte(nil), buf[:n]...), at: at, due: due}
		}
		if err != nil {
			if err == io.EOF {
				q <- chunk{eof: true, at: at, due: due}
			} else {
				_ = dst.Close()
			}
			break
		}
	}
	close(q)
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
		return
	}
	_ = c.Close()
}
