package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// laneServer is a loopback TCP server whose every connection is handled
// by a script: the tests below drive connRT against real sockets.
type laneServer struct {
	ln       net.Listener
	accepted atomic.Int32
	requests atomic.Int32 // counted by serveHTTP
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
	closed   chan struct{} // gets one value per connection whose client closed it
	done     chan struct{} // closed at cleanup
}

// startLaneServer serves each connection with handle(n, c), n counting
// the connections from 1. Cleanup closes the listener and every
// connection and waits for the handlers.
func startLaneServer(t *testing.T, handle func(s *laneServer, n int, c net.Conn)) *laneServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &laneServer{ln: ln, closed: make(chan struct{}, 100), done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(s.accepted.Add(1))
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				handle(s, n, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		close(s.done)
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *laneServer) url() string { return "http://" + s.ln.Addr().String() + "/wsman" }

// answer is what serveHTTP writes for one request; raw, when set, is
// written instead of the rest.
type answer struct {
	status  string // "200 OK" unless set
	proto   string // "HTTP/1.1" unless set
	headers string // extra header lines, each ending in \r\n
	body    string
	raw     string
	written bool // the handler wrote the answer itself
	hang    bool // read the request, then answer nothing until the connection closes
}

// serveHTTP answers the requests of one connection with next(request
// number on this connection, request, its body) until the client closes
// it, and reports the client's close on s.closed.
func (s *laneServer) serveHTTP(c net.Conn, next func(i int, r *http.Request, body string) answer) {
	br := bufio.NewReader(c)
	for i := 1; ; i++ {
		r, err := http.ReadRequest(br)
		if err != nil {
			if errors.Is(err, io.EOF) {
				s.closed <- struct{}{}
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		s.requests.Add(1)
		a := next(i, r, string(body))
		if a.hang {
			_, _ = io.Copy(io.Discard, c)
			return
		}
		if a.written {
			continue
		}
		if a.raw != "" {
			if _, err := io.WriteString(c, a.raw); err != nil {
				return
			}
			continue
		}
		status, proto := a.status, a.proto
		if status == "" {
			status = "200 OK"
		}
		if proto == "" {
			proto = "HTTP/1.1"
		}
		if _, err := fmt.Fprintf(c, "%s %s\r\n%sContent-Length: %d\r\n\r\n%s", proto, status, a.headers, len(a.body), a.body); err != nil {
			return
		}
	}
}

// echo answers every request with its own body.
func echo(s *laneServer, _ int, c net.Conn) {
	s.serveHTTP(c, func(_ int, _ *http.Request, body string) answer { return answer{body: body} })
}

func newTestRT(headerTimeout time.Duration) *connRT {
	return &connRT{dial: (&net.Dialer{}).DialContext, headerTimeout: headerTimeout, idleTimeout: idleConnTimeout}
}

// post sends body to url through rt and returns the answer's body read to
// EOF and closed.
func post(ctx context.Context, rt http.RoundTripper, url, body string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		return "", err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return "", err
	}
	data, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return string(data), err
}

// waitClosed waits until the server has seen n client closes.
func waitClosed(t *testing.T, s *laneServer, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-s.closed:
		case <-time.After(5 * time.Second):
			t.Fatalf("the client closed %d connections, want %d", i, n)
		}
	}
}

func TestConnRTKeepAlive(t *testing.T) {
	s := startLaneServer(t, echo)
	rt := newTestRT(5 * time.Second)
	defer rt.CloseIdleConnections()
	for i := range 5 {
		want := fmt.Sprintf("request %d %s", i, strings.Repeat("x", i*3000))
		got, err := post(context.Background(), rt, s.url(), want)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if got != want {
			t.Fatalf("request %d: got %d bytes, want %d", i, len(got), len(want))
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections for 5 requests, want 1 (keep-alive)", n)
	}
	rt.CloseIdleConnections()
	waitClosed(t, s, 1)
}

func TestConnRTChunkedAndEmptyAnswersKeepTheConnection(t *testing.T) {
	s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
		s.serveHTTP(c, func(i int, _ *http.Request, _ string) answer {
			switch i {
			case 1:
				return answer{raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"}
			case 2:
				return answer{status: "204 No Content", raw: "HTTP/1.1 204 No Content\r\n\r\n"}
			case 3: // an informational answer first
				return answer{raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}
			}
			return answer{body: "last"}
		})
	})
	rt := newTestRT(5 * time.Second)
	defer rt.CloseIdleConnections()
	for i, want := range []string{"hello", "", "ok", "last"} {
		got, err := post(context.Background(), rt, s.url(), "x")
		if err != nil || got != want {
			t.Fatalf("request %d: %q, %v; want %q", i+1, got, err, want)
		}
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
}

func TestConnRTBodyNotReadToTheEndClosesTheConnection(t *testing.T) {
	big := strings.Repeat("y", 1<<20)
	s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
		s.serveHTTP(c, func(int, *http.Request, string) answer { return answer{body: big} })
	})
	rt := newTestRT(5 * time.Second)
	defer rt.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodPost, s.url(), strings.NewReader("x"))
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if _, err := resp.Body.Read(make([]byte, 1)); err == nil {
		t.Error("a read after Close succeeded")
	}
	// The server sees the connection closed (its write of the rest fails
	// or its next read ends) and the next request has a new connection.
	got, err := post(context.Background(), rt, s.url(), "x")
	if err != nil || got != big {
		t.Fatalf("second request: %d bytes, %v", len(got), err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
}

func TestConnRTConnectionClose(t *testing.T) {
	tests := []struct {
		name     string
		a        answer
		reqClose bool
		header   string // the request's Connection header
	}{
		{name: "answer says close", a: answer{headers: "Connection: close\r\n", body: "ok"}},
		{name: "HTTP/1.0 answer", a: answer{proto: "HTTP/1.0", body: "ok"}},
		{name: "HTTP/1.0 keep-alive answer kept", a: answer{proto: "HTTP/1.0", headers: "Connection: keep-alive\r\n", body: "ok"}},
		{name: "answer without length", a: answer{raw: "HTTP/1.1 200 OK\r\n\r\nok"}},
		{name: "request.Close", a: answer{body: "ok"}, reqClose: true},
		{name: "request header", a: answer{body: "ok"}, header: "close"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kept := strings.Contains(tc.name, "kept")
			s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
				s.serveHTTP(c, func(_ int, r *http.Request, _ string) answer {
					if (tc.reqClose || tc.header != "") && !r.Close {
						t.Error("the request did not say Connection: close")
					}
					if tc.a.raw != "" {
						// An answer delimited by the end of the stream.
						_, _ = io.WriteString(c, tc.a.raw)
						_ = c.Close()
						return answer{hang: true}
					}
					return tc.a
				})
			})
			rt := newTestRT(5 * time.Second)
			defer rt.CloseIdleConnections()
			for i := range 2 {
				req, _ := http.NewRequest(http.MethodPost, s.url(), strings.NewReader("x"))
				req.Close = tc.reqClose
				if tc.header != "" {
					req.Header.Set("Connection", tc.header)
				}
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				data, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil || string(data) != "ok" {
					t.Fatalf("request %d: %q, %v", i, data, err)
				}
			}
			want := int32(2)
			if kept {
				want = 1
			}
			if n := s.accepted.Load(); n != want {
				t.Errorf("%d connections for 2 requests, want %d", n, want)
			}
		})
	}
}

func TestConnRTHeaderTimeout(t *testing.T) {
	s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
		s.serveHTTP(c, func(int, *http.Request, string) answer { return answer{hang: true} })
	})
	rt := newTestRT(200 * time.Millisecond)
	defer rt.CloseIdleConnections()
	start := time.Now()
	_, err := post(context.Background(), rt, s.url(), "x")
	if el := time.Since(start); el < 200*time.Millisecond || el > 3*time.Second {
		t.Errorf("gave up after %v, want about 200ms", el)
	}
	var ne net.Error
	if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") || !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("got %v, want net/http's header timeout", err)
	}
	if k, _ := classifyTransport(err); k != KindHeaderTimeout {
		t.Errorf("classified %s", k)
	}
	if s.requests.Load() != 1 || s.accepted.Load() != 1 {
		t.Errorf("%d requests on %d connections, want 1 on 1: a timeout is not retried", s.requests.Load(), s.accepted.Load())
	}
}

// The header timeout bounds the wait for the headers only: a body that
// trickles for longer is read to its end.
func TestConnRTHeaderTimeoutSparesASlowBody(t *testing.T) {
	s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
		s.serveHTTP(c, func(int, *http.Request, string) answer {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n")
			for _, b := range "trickl" {
				time.Sleep(60 * time.Millisecond)
				_, _ = io.WriteString(c, string(b))
			}
			return answer{written: true}
		})
	})
	rt := newTestRT(150 * time.Millisecond)
	defer rt.CloseIdleConnections()
	got, err := post(context.Background(), rt, s.url(), "x")
	if err != nil || got != "trickl" {
		t.Fatalf("%q, %v", got, err)
	}
}

func TestConnRTContextInterrupts(t *testing.T) {
	stalls := map[string]func(s *laneServer, c net.Conn){
		// Headers never come.
		"headers": func(s *laneServer, c net.Conn) {
			s.serveHTTP(c, func(int, *http.Request, string) answer { return answer{hang: true} })
		},
		// The body stops half-way.
		"body": func(s *laneServer, c net.Conn) {
			s.serveHTTP(c, func(int, *http.Request, string) answer {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf")
				return answer{hang: true}
			})
		},
		// The server never reads the request.
		"write": func(s *laneServer, c net.Conn) {
			<-s.done
		},
		// A TLS client waits for a ServerHello that never comes.
		"handshake": func(s *laneServer, c net.Conn) {
			_, _ = io.Copy(io.Discard, c)
		},
	}
	for name, stall := range stalls {
		t.Run(name, func(t *testing.T) {
			s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) { stall(s, c) })
			rt := newTestRT(time.Minute)
			rt.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: true} //nolint:gosec // never gets that far
			defer rt.CloseIdleConnections()
			url := s.url()
			body := "x"
			switch name {
			case "handshake":
				url = strings.Replace(url, "http:", "https:", 1)
			case "write":
				body = strings.Repeat("w", 64<<20) // more than the socket buffers hold
			}
			ctx, cancel := context.WithCancelCause(context.Background())
			cause := errors.New("the operator gave up")
			time.AfterFunc(300*time.Millisecond, func() { cancel(cause) })
			start := time.Now()
			_, err := post(ctx, rt, url, body)
			if el := time.Since(start); el > 3*time.Second {
				t.Errorf("returned %v after the cancellation", el-300*time.Millisecond)
			}
			if !errors.Is(err, cause) {
				t.Errorf("got %v, want the context's cause", err)
			}
			// The interrupted connection is not kept.
			if kept(rt) {
				t.Error("an interrupted connection was kept")
			}
		})
	}
}

// kept reports whether rt holds an idle connection.
func kept(rt *connRT) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.idle != nil
}

func TestConnRTContextDoneBeforehand(t *testing.T) {
	s := startLaneServer(t, echo)
	rt := newTestRT(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := post(ctx, rt, s.url(), "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v", err)
	}
	if n := s.accepted.Load(); n != 0 {
		t.Errorf("%d connections made for a cancelled request", n)
	}
	// A context that ends after the answer: the connection is still fine.
	ctx, cancel = context.WithCancel(context.Background())
	if got, err := post(ctx, rt, s.url(), "x"); err != nil || got != "x" {
		t.Fatal(got, err)
	}
	cancel()
	if got, err := post(context.Background(), rt, s.url(), "y"); err != nil || got != "y" {
		t.Fatal(got, err)
	}
	if n := s.accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	rt.CloseIdleConnections()
}

// closeAfterFirst answers the first request of each connection and then
// closes it, as a server does with an idle connection.
func closeAfterFirst(s *laneServer, _ int, c net.Conn) {
	s.serveHTTP(c, func(_ int, _ *http.Request, body string) answer {
		_, _ = fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
		_ = c.Close()
		return answer{hang: true}
	})
}

// A connection the server closed while idle is not used: the peek sees it
// and the request goes on a new connection, sent once.
func TestConnRTServerClosedIdle(t *testing.T) {
	if !peekSupported {
		t.Skip("no peek on this platform")
	}
	s := startLaneServer(t, closeAfterFirst)
	rt := newTestRT(5 * time.Second)
	defer rt.CloseIdleConnections()
	for i := range 3 {
		want := fmt.Sprint("request ", i)
		got, err := post(context.Background(), rt, s.url(), want)
		if err != nil || got != want {
			t.Fatalf("request %d: %q, %v", i, got, err)
		}
		time.Sleep(50 * time.Millisecond) // the close reaches the client
	}
	if a, r := s.accepted.Load(), s.requests.Load(); a != 3 || r != 3 {
		t.Errorf("%d connections, %d requests; want 3 and 3", a, r)
	}
}

func TestPeerGone(t *testing.T) {
	if !peekSupported {
		t.Skip("no peek on this platform")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		name string
		do   func(server net.Conn)
		gone bool
	}{
		{"quiet", func(net.Conn) {}, false},
		{"unsolicited bytes", func(s net.Conn) { _, _ = s.Write([]byte("HTTP/1.1 408 Request Timeout\r\n\r\n")) }, true},
		{"closed", func(s net.Conn) { _ = s.Close() }, true},
		{"reset", func(s net.Conn) { _ = s.(*net.TCPConn).SetLinger(0); _ = s.Close() }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer client.Close()
			server, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer server.Close()
			rc, err := client.(*net.TCPConn).SyscallConn()
			if err != nil {
				t.Fatal(err)
			}
			tc.do(server)
			time.Sleep(50 * time.Millisecond)
			if got := peerGone(rc); got != tc.gone {
				t.Errorf("peerGone = %v, want %v", got, tc.gone)
			}
			if got := peerGone(rc); got != tc.gone {
				t.Errorf("peerGone (again: nothing consumed) = %v, want %v", got, tc.gone)
			}
		})
	}
	if peerGone(nil) {
		t.Error("peerGone(nil) is true")
	}
}

// hiddenConn hides the socket (as a DialContext returning some other
// net.Conn would): connRT cannot peek at an idle connection.
type hiddenConn struct{ net.Conn }

// Without the peek, whether the server closed an idle connection cannot
// be told: one idle longer than blindIdle is not reused, and a request
// written whole on a reused one that the server had closed fails, and is
// not sent again (the server may have acted on it).
func TestConnRTBlindConnection(t *testing.T) {
	s := startLaneServer(t, closeAfterFirst)
	rt := newTestRT(5 * time.Second)
	var dials atomic.Int32
	rt.dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return hiddenConn{c}, nil
	}
	defer rt.CloseIdleConnections()
	rt.blindIdle = 10 * time.Millisecond
	for i := range 3 {
		want := fmt.Sprint("request ", i, strings.Repeat("z", 10000))
		got, err := post(context.Background(), rt, s.url(), want)
		if err != nil || got != want {
			t.Fatalf("request %d: %d bytes, %v", i, len(got), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if a, r, d := s.accepted.Load(), s.requests.Load(), dials.Load(); a != 3 || r != 3 || d != 3 {
		t.Errorf("%d connections, %d requests, %d dials; want 3 of each", a, r, d)
	}

	rt.CloseIdleConnections()
	rt.blindIdle = time.Minute
	if got, err := post(context.Background(), rt, s.url(), "first"); err != nil || got != "first" {
		t.Fatal(got, err)
	}
	time.Sleep(50 * time.Millisecond) // the server closes the connection meanwhile
	before := s.requests.Load()
	_, err := post(context.Background(), rt, s.url(), "second")
	if err == nil {
		t.Fatal("a request on a connection the server had closed succeeded")
	}
	if k, _ := classifyTransport(err); k != KindConnectionDropped {
		t.Errorf("%v classified %s", err, k)
	}
	if r := s.requests.Load() - before; r != 0 {
		t.Errorf("the server saw the request %d times after it closed the connection", r)
	}
}

// A fresh connection dropped before the answer is not retried (the server
// may not like the request), nor a reused one dropped after the request
// was written: the server may have acted on it.
func TestConnRTDropAfterRequestNotRetried(t *testing.T) {
	s := startLaneServer(t, func(s *laneServer, n int, c net.Conn) {
		s.serveHTTP(c, func(i int, _ *http.Request, body string) answer {
			if i == 2 || n == 2 {
				_ = c.Close()
				return answer{hang: true}
			}
			return answer{body: body}
		})
	})
	rt := newTestRT(5 * time.Second)
	defer rt.CloseIdleConnections()
	if got, err := post(context.Background(), rt, s.url(), "a"); err != nil || got != "a" {
		t.Fatal(got, err)
	}
	_, err := post(context.Background(), rt, s.url(), "b") // reused connection, dropped
	if err == nil {
		t.Fatal("no error")
	}
	if k, _ := classifyTransport(err); k != KindConnectionDropped {
		t.Errorf("%v classified %s", err, k)
	}
	if r := s.requests.Load(); r != 2 {
		t.Errorf("the server saw %d requests, want 2", r)
	}
	// Fresh connection (the second), dropped: not retried.
	before := s.requests.Load()
	if _, err := post(context.Background(), rt, s.url(), "c"); err == nil {
		t.Fatal("no error")
	}
	if r := s.requests.Load() - before; r != 1 {
		t.Errorf("the server saw %d requests, want 1", r)
	}
}

func TestConnRTIdleTimeout(t *testing.T) {
	s := startLaneServer(t, echo)
	rt := newTestRT(5 * time.Second)
	rt.idleTimeout = 100 * time.Millisecond
	if got, err := post(context.Background(), rt, s.url(), "x"); err != nil || got != "x" {
		t.Fatal(got, err)
	}
	waitClosed(t, s, 1) // by the idle timer
	if got, err := post(context.Background(), rt, s.url(), "y"); err != nil || got != "y" {
		t.Fatal(got, err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	rt.CloseIdleConnections()
	waitClosed(t, s, 1)
}

// Over TLS: the handshake uses the configured tls.Config (the server name
// defaulting to the URL's host), the connection is kept alive, and HTTP/2
// is not offered.
func TestConnRTTLS(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 1 {
			t.Errorf("protocol %s", r.Proto)
		}
		_, _ = io.Copy(w, r.Body)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the wrong-name handshake below
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	rt := newTestRT(5 * time.Second)
	rt.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool}
	defer rt.CloseIdleConnections()
	// httptest's certificate is for 127.0.0.1 and example.com.
	for i := range 3 {
		got, err := post(context.Background(), rt, srv.URL, fmt.Sprint(i))
		if err != nil || got != fmt.Sprint(i) {
			t.Fatalf("request %d: %q, %v", i, got, err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections, want 1", n)
	}
	// A wrong server name fails verification.
	rt2 := newTestRT(5 * time.Second)
	rt2.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: pool, ServerName: "wrong.example"}
	_, err := post(context.Background(), rt2, srv.URL, "x")
	if k, _ := classifyTransport(err); err == nil || k != KindTLSNameMismatch {
		t.Errorf("got %v (%s), want a name mismatch", err, k)
	}
}

func TestConnRTTLSHandshakeTimeout(t *testing.T) {
	s := startLaneServer(t, func(_ *laneServer, _ int, c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	rt := newTestRT(200 * time.Millisecond)
	rt.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	start := time.Now()
	_, err := post(context.Background(), rt, strings.Replace(s.url(), "http:", "https:", 1), "x")
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("gave up after %v", el)
	}
	if err == nil || err.Error() != "net/http: TLS handshake timeout" {
		t.Errorf("got %v", err)
	}
}

// Through the http.Client as a lane uses it: an http listener behind
// https reads as net/http says it, and a redirect is returned, not
// followed.
func TestConnRTUnderClient(t *testing.T) {
	s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
		br := bufio.NewReader(c)
		if b, _ := br.Peek(1); len(b) == 1 && b[0] == 0x16 { // a TLS ClientHello
			_, _ = io.WriteString(c, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
			return
		}
		s.serveHTTP(bufConn{c, br}, func(int, *http.Request, string) answer {
			return answer{status: "302 Found", headers: "Location: http://elsewhere.invalid/\r\n"}
		})
	})
	rt := newTestRT(5 * time.Second)
	rt.tlsConf = &tls.Config{MinVersion: tls.VersionTLS12}
	defer rt.CloseIdleConnections()
	cl := &http.Client{Transport: rt, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := cl.Post(s.url(), "text/plain", strings.NewReader("x"))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status %d", resp.StatusCode)
	}
	_, err = cl.Post(strings.Replace(s.url(), "http:", "https:", 1), "text/plain", strings.NewReader("x"))
	if k, _ := classifyTransport(err); err == nil || k != KindTLS || !strings.Contains(err.Error(), "HTTP response to HTTPS client") {
		t.Errorf("got %v (%s)", err, k)
	}
}

// bufConn reads a connection through the bufio.Reader that peeked at it.
type bufConn struct {
	net.Conn
	r io.Reader
}

func (c bufConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// Garbage and oversized headers fail cleanly and close the connection.
func TestConnRTBadAnswers(t *testing.T) {
	for name, raw := range map[string]string{
		"garbage":    "SSH-2.0-OpenSSH_9.6\r\n",
		"huge":       "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes+10) + "\r\n\r\n",
		"truncated":  "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
		"bad length": "HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n",
	} {
		t.Run(name, func(t *testing.T) {
			s := startLaneServer(t, func(s *laneServer, _ int, c net.Conn) {
				s.serveHTTP(c, func(int, *http.Request, string) answer {
					_, _ = io.WriteString(c, raw)
					_ = c.Close()
					return answer{hang: true}
				})
			})
			rt := newTestRT(5 * time.Second)
			defer rt.CloseIdleConnections()
			if _, err := post(context.Background(), rt, s.url(), "x"); err == nil {
				t.Fatal("no error")
			}
			if kept(rt) {
				t.Error("the connection was kept")
			}
		})
	}
}

// FuzzConnRTAnswer feeds arbitrary bytes as the server's answers: a round
// trip never panics or hangs, a connection is kept only after an answer
// read to its end, and the next request on it gets its own answer.
func FuzzConnRTAnswer(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nnext",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nbody to the end",
		"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
		"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 0\r\n\r\n",
		"garbage",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, answers []byte) {
		var mu sync.Mutex
		var pipes []net.Conn
		rt := &connRT{headerTimeout: 2 * time.Second, idleTimeout: idleConnTimeout}
		rt.dial = func(context.Context, string, string) (net.Conn, error) {
			client, server := net.Pipe()
			mu.Lock()
			pipes = append(pipes, server)
			mu.Unlock()
			go func() {
				defer server.Close()
				br := bufio.NewReader(server)
				// Each connection reads one request, then writes all the
				// answers (a second request is read as it goes).
				if _, err := http.ReadRequest(br); err != nil {
					return
				}
				go func() { _, _ = io.Copy(io.Discard, br) }()
				_, _ = server.Write(answers)
			}()
			return client, nil
		}
		defer func() {
			rt.CloseIdleConnections()
			mu.Lock()
			for _, p := range pipes {
				_ = p.Close()
			}
			mu.Unlock()
		}()
		for range 2 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://fuzz.invalid/wsman", strings.NewReader("x"))
			resp, err := rt.RoundTrip(req)
			if err == nil {
				_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
				_ = resp.Body.Close()
			}
			hung := ctx.Err() != nil
			cancel()
			if hung {
				t.Fatal("a round trip hung")
			}
		}
		if kept(rt) && !bytes.Contains(answers, []byte("HTTP/")) {
			t.Error("a connection was kept without any answer")
		}
	})
}
