package remote

import (
	"context"
	"net"
	"strconv"
	"sync"
	"time"
)

// warmTTL is how long a connection opened by Warm waits for a session
// before it is closed: a caller warms the targets it is about to open,
// within milliseconds, and Windows' HTTP.sys waits 120 s for a request on
// a new connection.
var warmTTL = 5 * time.Second // a variable for the tests

// warmConn is a TCP connection Warm is opening or has opened.
type warmConn struct {
	done  chan struct{} // closed when the dial has ended
	raw   net.Conn      // nil when it failed
	at    time.Time     // when it was opened
	timer *time.Timer   // closes an unclaimed connection after warmTTL
}

// warmPool holds the connections of Warm, by target URL.
type warmPool struct {
	mu    sync.Mutex
	conns map[string]*warmConn
}

// Warm opens, in the background, the TCP connection the next session on
// t will send its first request on, and returns at once. Nothing is sent
// on it (no TLS handshake, no HTTP byte) until a session takes it: a
// caller with local work to do before it opens its sessions (the CLI
// reading its record before an audit) has the round trip of the
// handshake done meanwhile. A connection no session takes within 5 s is
// closed. At most Options.Concurrency connections wait at once; a target
// already warm, an invalid one and Kerberos targets (masterzen dials
// those itself) are left alone. A failed dial is forgotten: the session
// dials again, and reports the failure itself.
func (c *Client) Warm(t Target) {
	t, _, hdrTimeout, err := c.normalize(t)
	if err != nil || t.Auth == AuthKerberos {
		return
	}
	key := t.url()
	c.warm.mu.Lock()
	if c.warm.conns == nil {
		c.warm.conns = map[string]*warmConn{}
	}
	if _, ok := c.warm.conns[key]; ok || len(c.warm.conns) >= c.o.Concurrency {
		c.warm.mu.Unlock()
		return
	}
	wc := &warmConn{done: make(chan struct{})}
	c.warm.conns[key] = wc
	c.warm.mu.Unlock()
	dial := c.o.dialer()
	addr := net.JoinHostPort(t.Address, strconv.Itoa(t.Port))
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), hdrTimeout)
		raw, err := dial(ctx, "tcp", addr)
		cancel()
		c.warm.mu.Lock()
		defer c.warm.mu.Unlock()
		if err != nil {
			if c.warm.conns[key] == wc {
				delete(c.warm.conns, key)
			}
			close(wc.done)
			return
		}
		wc.raw, wc.at = raw, time.Now()
		wc.timer = time.AfterFunc(warmTTL, func() {
			c.warm.mu.Lock()
			unclaimed := c.warm.conns[key] == wc
			if unclaimed {
				delete(c.warm.conns, key)
			}
			c.warm.mu.Unlock()
			if unclaimed {
				_ = raw.Close()
			}
		})
		close(wc.done)
	}()
}

// takeWarm returns the connection Warm opened for url and when, waiting
// (until ctx ends) for a dial still under way, or nil.
func (c *Client) takeWarm(ctx context.Context, url string) (net.Conn, time.Time) {
	c.warm.mu.Lock()
	wc := c.warm.conns[url]
	c.warm.mu.Unlock()
	if wc == nil {
		return nil, time.Time{}
	}
	select {
	case <-wc.done:
	case <-ctx.Done():
		return nil, time.Time{}
	}
	c.warm.mu.Lock()
	defer c.warm.mu.Unlock()
	if c.warm.conns[url] != wc || wc.raw == nil || !wc.timer.Stop() {
		return nil, time.Time{} // failed, taken, or closed by its timer
	}
	delete(c.warm.conns, url)
	return wc.raw, wc.at
}
