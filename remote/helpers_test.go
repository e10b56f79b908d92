package remote

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/wsbbot/wsbbot/internal/fanout"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

const (
	testUser     = `LAB\operator`
	testPassword = "S3cr3t-Pa55w0rd!"
)

// startFake starts a winrmtest server on 127.0.0.1 with Basic credentials.
func startFake(t testing.TB, o winrmtest.Options) *winrmtest.Server {
	t.Helper()
	if o.User == "" {
		o.User, o.Password = testUser, testPassword
	}
	s := winrmtest.New(o)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start fake: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// targetOf is a Basic-auth target for the fake.
func targetOf(s *winrmtest.Server, name string, https bool) Target {
	t := Target{Name: name, Address: s.Host(), Port: s.Port(), HTTPS: https, Auth: AuthBasic,
		User: testUser, Password: testPassword}
	if https {
		t.CACertPEM = s.CACertPEM()
	}
	return t
}

func newClient(t testing.TB, o Options) *Client {
	t.Helper()
	c, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// inlineHead and inlineTail are inlineBootstrap's program around the
// base64 literal.
var inlineHead, inlineTail, _ = strings.Cut(inlineBootstrap("\x00"), "\x00")

// psCall is a PowerShell invocation decoded by the fake's handler.
type psCall struct {
	Script string
	Params map[string]any
}

// decodePS decodes a PowerShell step as ps-transport.md describes it: the
// command line must be the constant bootstrap, stdin the base64 of the
// prologue plus the script; or the inline bootstrap carrying that base64
// itself (stdin is not read).
func decodePS(line string, stdin io.Reader) (psCall, error) {
	const prefix = "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "
	enc, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return psCall{}, fmt.Errorf("command line %.80q is not the bootstrap", line)
	}
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw)%2 != 0 {
		return psCall{}, fmt.Errorf("-EncodedCommand is not base64 UTF-16: %v", err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	var in []byte
	switch got := string(utf16.Decode(u)); {
	case got == Bootstrap:
		in, err = io.ReadAll(stdin)
		if err != nil {
			return psCall{}, fmt.Errorf("read stdin: %w", err)
		}
		if !bytes.HasSuffix(in, []byte("\r\n")) {
			return psCall{}, errors.New("stdin does not end with CRLF")
		}
	case strings.HasPrefix(got, inlineHead):
		// The script is on the command line; stdin stays open, as a
		// real powershell.exe -EncodedCommand leaves it.
		lit, ok := strings.CutSuffix(strings.TrimPrefix(got, inlineHead), inlineTail)
		if !ok {
			return psCall{}, fmt.Errorf("encoded command %.80q is not an inline bootstrap", got)
		}
		in = []byte(lit)
	default:
		return psCall{}, fmt.Errorf("encoded command is %q, not Bootstrap", got)
	}
	full, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(in)))
	if err != nil {
		return psCall{}, fmt.Errorf("stdin is not base64: %w", err)
	}
	prologue, script, ok := strings.Cut(string(full), "\n")
	if !ok {
		return psCall{}, errors.New("no prologue line")
	}
	const pre = "$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('"
	const post = "')) | ConvertFrom-Json"
	b64, ok := strings.CutPrefix(prologue, pre)
	if !ok || !strings.HasSuffix(b64, post) {
		return psCall{}, fmt.Errorf("bad prologue %q", prologue)
	}
	js, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(b64, post))
	if err != nil {
		return psCall{}, fmt.Errorf("prologue JSON is not base64: %w", err)
	}
	var params map[string]any
	if err := json.Unmarshal(js, &params); err != nil {
		return psCall{}, fmt.Errorf("prologue JSON: %w", err)
	}
	return psCall{Script: script, Params: params}, nil
}

// psHandler decodes each PowerShell step and calls fn; a cmd step (any
// other command line) goes to EchoHandler.
func psHandler(fn func(ctx context.Context, c psCall, stdout, stderr io.Writer) int) winrmtest.Handler {
	return winrmtest.HandlerFunc(func(ctx context.Context, cmd winrmtest.Command, stdin io.Reader, stdout, stderr io.Writer) int {
		if !strings.HasPrefix(cmd.Line, "powershell.exe") {
			return winrmtest.EchoHandler{}.Run(ctx, cmd, stdin, stdout, stderr)
		}
		c, err := decodePS(cmd.Line, stdin)
		if err != nil {
			_, _ = fmt.Fprintf(stderr, "decode: %v", err)
			return 99
		}
		return fn(ctx, c, stdout, stderr)
	})
}

// echoScript answers a PowerShell step with its script on stdout.
func echoScript(_ context.Context, c psCall, stdout, _ io.Writer) int {
	_, _ = io.WriteString(stdout, c.Script)
	return 0
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func debugLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// blackHole accepts TCP connections and never answers: a dead host whose
// port is open (a hung service, a black-holing firewall).
func blackHole(t testing.TB) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		for _, c := range conns {
			_ = c.Close()
		}
		mu.Unlock()
	})
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

// kindOf returns the Kind of err, failing the test when err is not an
// *Error.
func kindOf(t testing.TB, err error) Kind {
	t.Helper()
	var re *Error
	if !errors.As(err, &re) {
		t.Fatalf("error %v (%T) is not a *remote.Error", err, err)
	}
	return re.Kind
}

// noHang runs fn and fails when it has not returned within a minute. The
// scenarios it guards block for an hour (or for ever) when the behaviour
// under test is broken, and take well under a second when it works, so the
// deadline only catches a hang; what is checked is the kind of error.
func noHang(t testing.TB, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatalf("%s hung", what)
	}
}

// actions lists the actions of a request log. The log is written as the
// responses go out, and a PowerShell step's Send runs concurrently with
// its Receive long-poll, so either may be logged first: within each run of
// consecutive Send and Receive entries the Sends are listed first (the
// Receive that ends a PowerShell command cannot be answered before its
// stdin arrived). Everything else keeps the logged order.
func actions(reqs []winrmtest.Request) []string {
	out := make([]string, 0, len(reqs))
	for i := 0; i < len(reqs); {
		j := i
		for j < len(reqs) && (reqs[j].Action == winrmtest.ActionSend || reqs[j].Action == winrmtest.ActionReceive) {
			j++
		}
		if j == i {
			out = append(out, reqs[i].Action)
			i++
			continue
		}
		for _, want := range []string{winrmtest.ActionSend, winrmtest.ActionReceive} {
			for _, r := range reqs[i:j] {
				if r.Action == want {
					out = append(out, r.Action)
				}
			}
		}
		i = j
	}
	return out
}

// hostResult is one target's outcome of fanOut.
type hostResult struct {
	Target        string
	Index         int
	Err, CloseErr error
	RoundTrips    int
}

// fanOut drives the client the way wsbbot's auditor does: through
// internal/fanout, at most limit targets at a time, one session each (Open,
// fn, Close), each result delivered as soon as its target is done.
func fanOut(ctx context.Context, c *Client, targets []Target, limit int, fn func(ctx context.Context, s *Session) error) <-chan hostResult {
	idx := make([]int, len(targets))
	for i := range idx {
		idx[i] = i
	}
	return fanout.Run(ctx, idx, limit, func(ctx context.Context, i int) hostResult {
		r := hostResult{Target: targets[i].Name, Index: i}
		s, err := c.Open(ctx, targets[i])
		if err != nil {
			r.Err = err
			return r
		}
		r.Err = fn(ctx, s)
		r.CloseErr = s.Close()
		r.RoundTrips = s.RoundTrips()
		return r
	}, func(i int, err error) hostResult {
		return hostResult{Target: targets[i].Name, Index: i, Err: err}
	})
}
