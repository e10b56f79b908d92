package netdelay

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/nettest"
)

// echo is an upstream that writes back what it reads until EOF, then
// closes.
func echo(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

func proxy(t *testing.T, upstream string, d time.Duration) *Proxy {
	t.Helper()
	p, err := Listen("127.0.0.1:0", upstream, d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// TestRoundTripsPayTheDelay checks the lower bounds that make the proxy a
// model of a link: the first exchange on a new connection costs the
// handshake's round trip plus its own (3 one-way delays, counted from the
// dial), each later exchange one round trip. Only lower bounds are
// asserted: a loaded machine may add time, never remove it.
func TestRoundTripsPayTheDelay(t *testing.T) {
	const d = 30 * time.Millisecond
	p := proxy(t, echo(t), d)
	start := time.Now()
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 4)
	for i := range 3 {
		sent := time.Now()
		if _, err := c.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			t.Fatal(err)
		}
		if string(buf) != "ping" {
			t.Fatalf("echo %q", buf)
		}
		if i == 0 {
			if got := time.Since(start); got < 4*d {
				t.Errorf("first exchange %v after the dial, want >= %v (handshake + round trip)", got, 4*d)
			}
		} else if got := time.Since(sent); got < 2*d {
			t.Errorf("exchange %d took %v, want >= %v", i, got, 2*d)
		}
	}
}

// TestStreamsArriveWholeAndInOrder sends 8 MiB in many writes with a
// half-close and checks that every byte comes back, in order, and that the
// end of the stream is delivered.
func TestStreamsArriveWholeAndInOrder(t *testing.T) {
	p := proxy(t, echo(t), time.Millisecond)
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := make([]byte, 8<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	go func() {
		for off := 0; off < len(data); off += 7919 {
			if _, err := c.Write(data[off:min(off+7919, len(data))]); err != nil {
				return
			}
		}
		_ = c.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes back, want the %d sent, in order", len(got), len(data))
	}
}

// TestCloseCutsOpenConnections checks that Close ends a connection that
// is still open and returns.
func TestCloseCutsOpenConnections(t *testing.T) {
	p, err := Listen("127.0.0.1:0", echo(t), time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(c); err != nil && !isReset(err) {
		t.Fatalf("after Close: %v", err)
	}
}

// isReset: a connection cut by Close may end with a reset rather than EOF.
func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

// TestRefusesOtherThanLoopback keeps the proxy off real networks.
func TestRefusesOtherThanLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "192.0.2.1:0", "example.com:80", "nonsense"} {
		if p, err := Listen(addr, "127.0.0.1:1", time.Millisecond); err == nil {
			p.Close()
			t.Errorf("Listen(%q) accepted", addr)
		}
	}
	if _, err := Listen("127.0.0.1:0", "127.0.0.1:1", -time.Second); err == nil {
		t.Error("negative delay accepted")
	}
}

// localPipe is a client connection to a ListenLocal proxy and the
// delayed connection its server accepted.
func localPipe(t testing.TB, p *Proxy) (client, server net.Conn) {
	t.Helper()
	client, err := net.Dial("tcp", p.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server, err = p.Listener().Accept()
	if err != nil {
		client.Close()
		t.Fatal(err)
	}
	return client, server
}

func localProxy(t testing.TB, d time.Duration) *Proxy {
	t.Helper()
	p, err := ListenLocal("127.0.0.1:0", d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	})
	return p
}

// TestLocalConnIsANetConn runs the net.Conn conformance suite on a
// client and the connection a local server accepted, both ways round,
// without delay (the suite times its deadlines).
func TestLocalConnIsANetConn(t *testing.T) {
	p := localProxy(t, 0)
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		client, server := localPipe(t, p)
		return server, client, func() { server.Close(); client.Close() }, nil
	})
}

// TestLocalRoundTripsPayTheDelay is TestRoundTripsPayTheDelay with the
// server in this process: the handshake and every exchange pay the delay,
// and the trace shows each chunk delivered no earlier than due.
func TestLocalRoundTripsPayTheDelay(t *testing.T) {
	const d = 30 * time.Millisecond
	p := localProxy(t, d)
	p.Trace(true)
	start := time.Now()
	client, server := localPipe(t, p)
	defer client.Close()
	go func() {
		defer server.Close()
		_, _ = io.Copy(server, server)
	}()
	buf := make([]byte, 4)
	for i := range 3 {
		sent := time.Now()
		if _, err := client.Write([]byte("ping")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(client, buf); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if got := time.Since(start); got < 4*d {
				t.Errorf("first exchange %v after the dial, want >= %v (handshake + round trip)", got, 4*d)
			}
		} else if got := time.Since(sent); got < 2*d {
			t.Errorf("exchange %d took %v, want >= %v", i, got, 2*d)
		}
	}
	// The last answer's event may be recorded just after the client read
	// it.
	evs := p.Events()
	if len(evs) < 6 || !evs[0].Accept {
		t.Fatalf("events %+v: want an accept and 3 chunks each way", evs)
	}
	for _, e := range evs[1:] {
		if e.Done.Before(e.Due) || e.Due.Sub(e.At) < d {
			t.Errorf("event %+v delivered before it was due", e)
		}
	}
}

// TestLocalStreamsArriveWholeAndInOrder is TestStreamsArriveWholeAndInOrder
// with the server in this process: 8 MiB each way, half-closes delivered.
func TestLocalStreamsArriveWholeAndInOrder(t *testing.T) {
	p := localProxy(t, time.Millisecond)
	client, server := localPipe(t, p)
	defer client.Close()
	go func() {
		defer server.Close()
		_, _ = io.Copy(server, server)
		_ = server.(interface{ CloseWrite() error }).CloseWrite()
	}()
	data := make([]byte, 8<<20)
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	go func() {
		for off := 0; off < len(data); off += 7919 {
			if _, err := client.Write(data[off:min(off+7919, len(data))]); err != nil {
				return
			}
		}
		_ = client.(*net.TCPConn).CloseWrite()
	}()
	got, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("got %d bytes back, want the %d sent, in order", len(got), len(data))
	}
}

// TestLocalCloseCutsOpenConnections: closing the proxy ends the client's
// connection and fails the server's reads.
func TestLocalCloseCutsOpenConnections(t *testing.T) {
	p, err := ListenLocal("127.0.0.1:0", time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	client, server := localPipe(t, p)
	defer client.Close()
	readErr := make(chan error, 1)
	go func() {
		_, err := server.Read(make([]byte, 1))
		readErr <- err
	}()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-readErr; err == nil {
		t.Error("the server's read succeeded after Close")
	}
	if _, err := io.ReadAll(client); err != nil && !isReset(err) {
		t.Fatalf("after Close: %v", err)
	}
	if _, err := p.Listener().Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want net.ErrClosed", err)
	}
}
