package remote

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// countingDialer dials with net.Dialer, sending the first first dials to
// first instead of the address asked for, and counts the dials.
type countingDialer struct {
	n     atomic.Int32
	first string // "" = none
	done  chan struct{}
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.n.Add(1) == 1 && d.first != "" {
		addr = d.first
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	select {
	case d.done <- struct{}{}:
	default:
	}
	return conn, err
}

func (d *countingDialer) waitFirst(t *testing.T) {
	t.Helper()
	select {
	case <-d.done:
	case <-time.After(10 * time.Second):
		t.Fatal("Warm did not dial")
	}
}

// TestWarm: Warm opens the target's connection in the background and
// sends nothing on it; the session then sends every request on it (one
// dial in all). Warming a target already warm does nothing.
func TestWarm(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	d := &countingDialer{done: make(chan struct{}, 1)}
	c := newClient(t, Options{DialContext: d.dial})
	tg := targetOf(srv, "srv01", false)
	c.Warm(tg)
	c.Warm(tg)
	d.waitFirst(t)
	time.Sleep(20 * time.Millisecond) // what Warm would send, it would have sent
	if n := srv.Count(""); n != 0 {
		t.Fatalf("the server saw %d requests after Warm, want none", n)
	}
	res, err := c.Exec(context.Background(), tg, Command{Script: "Get-Date"})
	if err != nil || res.Stdout != "Get-Date" {
		t.Fatalf("Exec after Warm: %+v, %v", res, err)
	}
	if n := d.n.Load(); n != 1 {
		t.Errorf("%d dials, want the one Warm made", n)
	}
	if n := srv.Count(""); n != 4 {
		t.Errorf("%d requests, want 4 (Create, Command, Receive, Delete)", n)
	}
}

// TestWarmConnectionClosedBeforeUse: a warm connection the server closed
// before the session came is not used: the session dials again and
// succeeds.
func TestWarmConnectionClosedBeforeUse(t *testing.T) {
	closer, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer closer.Close()
	go func() {
		for {
			conn, err := closer.Accept()
			if err != nil {
				return
			}
			_ = conn.Close()
		}
	}()
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	d := &countingDialer{first: closer.Addr().String(), done: make(chan struct{}, 1)}
	c := newClient(t, Options{DialContext: d.dial})
	tg := targetOf(srv, "srv01", false)
	c.Warm(tg)
	d.waitFirst(t)
	time.Sleep(50 * time.Millisecond) // the FIN arrives
	res, err := c.Exec(context.Background(), tg, Command{Script: "Get-Date"})
	if err != nil || res.Stdout != "Get-Date" {
		t.Fatalf("Exec after a warm connection was closed: %+v, %v", res, err)
	}
	if n := d.n.Load(); n != 2 {
		t.Errorf("%d dials, want 2 (the closed one, then the session's)", n)
	}
}

// TestWarmUnclaimedIsClosed: a warm connection no session takes within
// warmTTL is closed, and a later session dials its own.
func TestWarmUnclaimedIsClosed(t *testing.T) {
	defer func(ttl time.Duration) { warmTTL = ttl }(warmTTL)
	warmTTL = 50 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if conn, err := ln.Accept(); err == nil {
			accepted <- conn
		}
	}()
	d := &countingDialer{first: ln.Addr().String(), done: make(chan struct{}, 1)}
	c := newClient(t, Options{DialContext: d.dial})
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	tg := targetOf(srv, "srv01", false)
	c.Warm(tg)
	var conn net.Conn
	select {
	case conn = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("Warm did not connect")
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); n != 0 || !errors.Is(err, io.EOF) {
		t.Fatalf("read on the unclaimed connection: %d bytes, %v; want EOF (closed after warmTTL)", n, err)
	}
	if _, err := c.Exec(context.Background(), tg, Command{Script: "Get-Date"}); err != nil {
		t.Fatal(err)
	}
	if n := d.n.Load(); n != 2 {
		t.Errorf("%d dials, want 2", n)
	}
}

// TestWarmFailedDial: a target Warm cannot reach is reported by the
// session as it would be without Warm.
func TestWarmFailedDial(t *testing.T) {
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := dead.Addr().(*net.TCPAddr).Port
	_ = dead.Close()
	d := &countingDialer{done: make(chan struct{}, 1)}
	c := newClient(t, Options{DialContext: d.dial})
	tg := Target{Name: "gone", Address: "127.0.0.1", Port: port, Auth: AuthBasic, User: testUser, Password: testPassword}
	c.Warm(tg)
	d.waitFirst(t)
	_, err = c.Exec(context.Background(), tg, Command{Script: "Get-Date"})
	if kindOf(t, err) != KindConnectionRefused {
		t.Errorf("Exec after a failed Warm: %v, want %s", err, KindConnectionRefused)
	}
}
