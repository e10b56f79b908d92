package winrmtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/masterzen/winrm"
	"golang.org/x/text/encoding/japanese"
)

// TestRunWithContext runs commands with masterzen's RunWithContext and
// checks stdout, stderr, the exit code and the round trips.
func TestRunWithContext(t *testing.T) {
	script := Script{
		"whoami":              {Stdout: "lab\\administrator\r\n"},
		"wbadmin get status":  {Stdout: "wbadmin 1.0\r\n", Stderr: "ERROR - No backup is running.\r\n", ExitCode: 2},
		"cmd /c exit 3":       {ExitCode: 3},
		"cmd /c echo out>&2":  {Stderr: "out \r\n", ExitCode: 1},
		"exit code negative":  {ExitCode: -1073741510},
		"exit code too large": {ExitCode: 1 << 31},
	}
	s := startServer(t, Options{User: "administrator", Password: "P@ssw0rd", Handler: script})
	client := newClient(t, s, "administrator", "P@ssw0rd", nil)
	tests := []struct {
		cmd                  string
		wantOut, wantErr     string
		wantCode             int
		wantRunErrorContains string
	}{
		{cmd: "whoami", wantOut: "lab\\administrator\r\n"},
		{cmd: "wbadmin get status", wantOut: "wbadmin 1.0\r\n", wantErr: "ERROR - No backup is running.\r\n", wantCode: 2},
		{cmd: "cmd /c exit 3", wantCode: 3},
		{cmd: "cmd /c echo out>&2", wantErr: "out \r\n", wantCode: 1},
		{cmd: "exit code negative", wantCode: -1073741510},
		{cmd: "exit code too large", wantCode: -1 << 31},
		{cmd: "nosuchcommand /x", wantErr: "'nosuchcommand' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", wantCode: 9009},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			s.ResetLog()
			var out, errb bytes.Buffer
			code, err := client.RunWithContext(testCtx(t, 30*time.Second), tt.cmd, &out, &errb)
			if err != nil {
				t.Fatalf("RunWithContext: %v", err)
			}
			if out.String() != tt.wantOut || errb.String() != tt.wantErr || code != tt.wantCode {
				t.Errorf("got stdout %q stderr %q code %d; want %q %q %d", out.String(), errb.String(), code, tt.wantOut, tt.wantErr, tt.wantCode)
			}
			// Create, Command, n Receives, Signal terminate, Delete. n is 1
			// unless the machine is so loaded that the handler takes more
			// than the settle time between its writes and its return.
			recv := s.Count(ActionReceive)
			for action, want := range map[string]int{ActionCreate: 1, ActionCommand: 1, ActionSignal: 1, ActionDelete: 1, "": 4 + recv} {
				if got := s.Count(action); got != want {
					t.Errorf("Count(%q) = %d, want %d", action, got, want)
				}
			}
			if recv < 1 {
				t.Errorf("no Receive")
			}
			for _, r := range s.Requests() {
				if r.Status != http.StatusOK || r.User != "administrator" || r.MessageID == "" || r.ShellID == "" {
					t.Errorf("log entry %+v", r)
				}
			}
		})
	}
}

// TestOutputChunks checks that separate writes become separate rsp:Stream
// chunks, and that masterzen joins them.
func TestOutputChunks(t *testing.T) {
	h := HandlerFunc(func(_ context.Context, _ Command, _ io.Reader, stdout, stderr io.Writer) int {
		for _, p := range []string{"alpha ", "beta ", "gamma\r\n"} {
			io.WriteString(stdout, p)
		}
		io.WriteString(stderr, "warn\r\n")
		stdout.Write(bytes.Repeat([]byte{'x'}, 3*chunkMax+5)) // one write, four chunks
		return 0
	})
	s := startServer(t, Options{Handler: h})
	c := newRawClient(t, s, "", "")
	shellID := c.mustCreate(65001)
	cmdID := c.mustCommand(shellID, "chunky")
	waitExited(t, s, shellID, cmdID) // then everything comes in one response
	r := c.receive(shellID, cmdID)
	var names []string
	var sizes []int
	for _, st := range r.tree.find(nsShell, "Stream") {
		if st.attr("End") == "true" {
			names = append(names, st.attr("Name")+"(end)")
			continue
		}
		o, e := (&node{children: []*node{st}}).streams()
		names = append(names, st.attr("Name"))
		sizes = append(sizes, len(o)+len(e))
	}
	wantNames := []string{"stdout", "stdout", "stdout", "stderr", "stdout", "stdout", "stdout", "stdout", "stdout(end)", "stderr(end)"}
	wantSizes := []int{6, 5, 7, 6, chunkMax, chunkMax, chunkMax, 5}
	if fmt.Sprint(names) != fmt.Sprint(wantNames) || fmt.Sprint(sizes) != fmt.Sprint(wantSizes) {
		t.Errorf("streams %v sizes %v; want %v %v", names, sizes, wantNames, wantSizes)
	}

	client := newClient(t, s, "", "", nil)
	var out, errb bytes.Buffer
	if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "chunky", &out, &errb); err != nil {
		t.Fatal(err)
	}
	want := "alpha beta gamma\r\n" + strings.Repeat("x", 3*chunkMax+5)
	if out.String() != want || errb.String() != "warn\r\n" {
		t.Errorf("masterzen got stdout %d bytes, stderr %q", out.Len(), errb.String())
	}
}

// TestLargeOutput sends 5 MiB (masterzen issue #99) in one write and in
// many small writes, with the default and a small MaxEnvelopeSize.
func TestLargeOutput(t *testing.T) {
	const size = 5 << 20
	data := make([]byte, size)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = "abcdefghijklmnopqrstuvwxyz0123456789\r\n"[rng.IntN(38)]
	}
	want := sha256.Sum256(data)
	tests := []struct {
		name     string
		write    int // bytes per write, 0 = all at once
		envelope int
		minRecv  int
	}{
		{"one write", 0, 153600, size / 153600},
		{"4 KiB writes", 4096, 153600, size / 153600},
		{"envelope 64 KiB", 1000, 65536, size / 65536},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := HandlerFunc(func(_ context.Context, _ Command, _ io.Reader, stdout, _ io.Writer) int {
				if tt.write == 0 {
					stdout.Write(data)
					return 0
				}
				for p := data; len(p) > 0; {
					n := min(tt.write, len(p))
					if _, err := stdout.Write(p[:n]); err != nil {
						return 1
					}
					p = p[n:]
				}
				return 0
			})
			s := startServer(t, Options{Handler: h})
			client := newClient(t, s, "", "", func(_ *winrm.Endpoint, p *winrm.Parameters) { p.EnvelopeSize = tt.envelope })
			var out bytes.Buffer
			code, err := client.RunWithContext(testCtx(t, 60*time.Second), "type big.log", &out, io.Discard)
			if err != nil || code != 0 {
				t.Fatalf("RunWithContext: %d, %v", code, err)
			}
			if out.Len() != size || sha256.Sum256(out.Bytes()) != want {
				t.Fatalf("output corrupted: %d bytes", out.Len())
			}
			recv := 0
			for _, r := range s.Requests() {
				if r.Action != ActionReceive {
					continue
				}
				recv++
				if r.ResponseBytes > tt.envelope {
					t.Errorf("Receive response of %d bytes exceeds MaxEnvelopeSize %d", r.ResponseBytes, tt.envelope)
				}
				if r.Status != http.StatusOK {
					t.Errorf("Receive status %d", r.Status)
				}
			}
			if recv < tt.minRecv {
				t.Errorf("%d Receives, want at least %d", recv, tt.minRecv)
			}
			t.Logf("%d Receives for %d bytes", recv, size)
		})
	}
}

// TestStreaming checks that output written over time reaches the client
// while the command is still running.
func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	h := HandlerFunc(func(ctx context.Context, _ Command, _ io.Reader, stdout, _ io.Writer) int {
		io.WriteString(stdout, "step 1\r\n")
		select {
		case <-release:
		case <-ctx.Done():
			return 1
		}
		io.WriteString(stdout, "step 2\r\n")
		return 0
	})
	s := startServer(t, Options{Handler: h})
	client := newClient(t, s, "", "", nil)
	shell, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	cmd, err := shell.ExecuteWithContext(testCtx(t, 30*time.Second), "wbadmin start backup")
	if err != nil {
		t.Fatal(err)
	}
	go io.Copy(io.Discard, cmd.Stderr)
	first := make([]byte, len("step 1\r\n"))
	if _, err := io.ReadFull(cmd.Stdout, first); err != nil || string(first) != "step 1\r\n" {
		t.Fatalf("first output %q, %v", first, err)
	}
	close(release)
	rest, err := io.ReadAll(cmd.Stdout)
	if err != nil || string(rest) != "step 2\r\n" {
		t.Fatalf("rest %q, %v", rest, err)
	}
	cmd.Wait()
	if cmd.ExitCode() != 0 {
		t.Errorf("exit code %d", cmd.ExitCode())
	}
	cmd.Close()
	var states []string
	for _, r := range s.Requests() {
		if r.Action == ActionReceive {
			states = append(states, r.State)
		}
	}
	if len(states) < 2 || states[0] != "Running" || states[len(states)-1] != "Done" {
		t.Errorf("Receive states %v, want Running ... Done", states)
	}
}

// TestShellReuse runs several commands in one shell.
func TestShellReuse(t *testing.T) {
	s := startServer(t, Options{})
	client := newClient(t, s, "", "", nil)
	shell, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	const n = 4
	for i := range n {
		cmd, err := shell.ExecuteWithContext(testCtx(t, 30*time.Second), fmt.Sprintf("echo run %d", i))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		var wg sync.WaitGroup
		wg.Go(func() { io.Copy(&out, cmd.Stdout) })
		wg.Go(func() { io.Copy(io.Discard, cmd.Stderr) })
		cmd.Wait()
		wg.Wait()
		if err := cmd.Close(); err != nil {
			t.Errorf("command close: %v", err)
		}
		if want := fmt.Sprintf("run %d\r\n", i); out.String() != want {
			t.Errorf("command %d: %q, want %q", i, out.String(), want)
		}
	}
	if err := shell.Close(); err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{ActionCreate: 1, ActionCommand: n, ActionSignal: n, ActionDelete: 1} {
		if got := s.Count(action); got != want {
			t.Errorf("Count(%s) = %d, want %d", action, got, want)
		}
	}
	if got := s.Count(ActionReceive); got < n {
		t.Errorf("Count(Receive) = %d, want >= %d", got, n)
	}
}

// TestStdin feeds stdin with RunWithContextWithInput (Send requests).
func TestStdin(t *testing.T) {
	h := HandlerFunc(func(_ context.Context, cmd Command, stdin io.Reader, stdout, _ io.Writer) int {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return 1
		}
		stdout.Write(bytes.ToUpper(b))
		return 0
	})
	s := startServer(t, Options{Handler: h})
	client := newClient(t, s, "", "", nil)
	chunk := winrm.DefaultParameters.EnvelopeSize - 1000
	tests := []struct {
		name      string
		input     string
		wantSends int
	}{
		{"one line", "wbadmin start backup -quiet\r\n", 2},
		{"400 KB", strings.Repeat("y", 400_000), 400_000/chunk + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.ResetLog()
			out, _, code, err := client.RunWithContextWithString(testCtx(t, 30*time.Second), "more", tt.input)
			if err != nil || code != 0 {
				t.Fatalf("run: %d %v", code, err)
			}
			if out != strings.ToUpper(tt.input) {
				t.Errorf("stdout %d bytes, want %d", len(out), len(tt.input))
			}
			if got := s.Count(ActionSend); got != tt.wantSends {
				t.Errorf("%d Sends, want %d", got, tt.wantSends)
			}
		})
	}
}

// TestBasicAuth checks credentials and the Windows 401.
func TestBasicAuth(t *testing.T) {
	s := startServer(t, Options{User: "administrator", Password: "right"})
	tests := []struct {
		user, pass string
		wantErr    string
	}{
		{"administrator", "right", ""},
		{"administrator", "wrong", "http response error: 401 - invalid content type"},
		{"guest", "right", "http response error: 401 - invalid content type"},
		{"", "", "http response error: 401 - invalid content type"},
	}
	for _, tt := range tests {
		t.Run(tt.user+"/"+tt.pass, func(t *testing.T) {
			client := newClient(t, s, tt.user, tt.pass, nil)
			var out bytes.Buffer
			_, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo ok", &out, io.Discard)
			if tt.wantErr == "" {
				if err != nil || out.String() != "ok\r\n" {
					t.Errorf("got %q, %v", out.String(), err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("error %v, want %q", err, tt.wantErr)
			}
		})
	}

	// The 401 itself, on the wire, compared with
	// fixtures/http_401_unauthorized.txt (all lines but the Date).
	status, lines, body := rawExchange(t, s.URL(), "POST /wsman HTTP/1.1\r\nHost: "+s.Host()+"\r\n"+
		"Authorization: Basic YWRtaW5pc3RyYXRvcjp3cm9uZw==\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"+
		"Content-Length: 5\r\n\r\n<x/>\n")
	var want []string
	for _, line := range strings.Split(string(readFixture(t, "http_401_unauthorized.txt")), "\n") {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "HTTP/") && !strings.HasPrefix(line, "Date:") {
			want = append(want, line)
		}
	}
	var got []string
	for _, l := range lines {
		if !strings.HasPrefix(l, "Date:") {
			got = append(got, l)
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	if !strings.HasPrefix(status, "HTTP/1.1 401") || len(body) != 0 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("401 on the wire:\n%s\n%s\nbody %q\nwant headers %q", status, strings.Join(lines, "\n"), body, want)
	}
	var auth []string
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, "Www-Authenticate: "); ok {
			auth = append(auth, v)
		} else if v, ok := strings.CutPrefix(l, "WWW-Authenticate: "); ok {
			auth = append(auth, v)
		}
	}
	if fmt.Sprint(auth) != `[Negotiate Kerberos Basic realm="WSMAN" CredSSP]` {
		t.Errorf("WWW-Authenticate order %q", auth)
	}
	rc := newRawClient(t, s, "administrator", "wrong")
	if r := rc.create(0); r.status != http.StatusUnauthorized || r.header.Get("Content-Type") != "" || len(r.body) != 0 {
		t.Errorf("raw 401: %d %q %q", r.status, r.header.Get("Content-Type"), r.body)
	}
	// Three failing masterzen clients (one Create each) and the raw Create.
	if n := countWhere(s.Requests(), func(r Request) bool { return r.Status == 401 && r.Action == ActionCreate }); n != 4 {
		t.Errorf("%d 401s in the log, want 4", n)
	}
}

// TestHTTPS checks TLS with the generated CA, and that another CA fails.
func TestHTTPS(t *testing.T) {
	s := startServer(t, Options{TLS: true, User: "u", Password: "p"})
	if !strings.HasPrefix(s.URL(), "https://127.0.0.1:") {
		t.Fatalf("URL %q", s.URL())
	}
	other := New(Options{TLS: true})
	defer other.Close()
	tests := []struct {
		name    string
		edit    func(*winrm.Endpoint, *winrm.Parameters)
		wantErr string
	}{
		{"own CA", nil, ""},
		{"own CA via localhost name", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.TLSServerName = "localhost" }, ""},
		{"unknown CA", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.CACert = other.CACertPEM() }, "certificate signed by unknown authority"},
		{"system roots", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.CACert = nil }, "certificate signed by unknown authority"},
		{"wrong name", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.TLSServerName = "dc01.lab.example" }, "certificate is valid for"},
		{"plain http to https", func(ep *winrm.Endpoint, _ *winrm.Parameters) { ep.HTTPS = false }, "http response error: 400"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := newClient(t, s, "u", "p", tt.edit)
			var out bytes.Buffer
			_, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo secure", &out, io.Discard)
			if tt.wantErr == "" {
				if err != nil || out.String() != "secure\r\n" {
					t.Errorf("got %q, %v", out.String(), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// TestCodepages checks how text output is encoded per WINRS_CODEPAGE.
func TestCodepages(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]bool{}
	h := HandlerFunc(func(_ context.Context, cmd Command, _ io.Reader, stdout, stderr io.Writer) int {
		mu.Lock()
		seen[cmd.Codepage] = true
		mu.Unlock()
		switch cmd.Line {
		case "raw":
			sjis, _ := japanese.ShiftJIS.NewEncoder().Bytes([]byte("バックアップ失敗\r\n"))
			WriteRaw(stdout, sjis)
			return 0
		case "split":
			// A character split across two writes.
			b := []byte("é日")
			stdout.Write(b[:1])
			stdout.Write(b[1:4])
			stdout.Write(b[4:])
			return 0
		}
		io.WriteString(stdout, "こんにちは café\n")
		io.WriteString(stderr, "エラー\n")
		return 0
	})
	s := startServer(t, Options{Handler: h})
	sjis := func(s string) string {
		b, err := japanese.ShiftJIS.NewEncoder().String(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		name       string
		codepage   int
		cmd        string
		wantStdout string
		wantStderr string
	}{
		{"65001", 65001, "hello", "こんにちは café\n", "エラー\n"},
		{"932", 932, "hello", sjis("こんにちは") + " caf?\n", sjis("エラー\n")},
		{"437", 437, "hello", "????? caf\x82\n", "???\n"},
		{"default is 437", 0, "hello", "????? caf\x82\n", "???\n"},
		{"raw CP932 under 65001", 65001, "raw", sjis("バックアップ失敗\r\n"), ""},
		{"raw CP932 under 437", 437, "raw", sjis("バックアップ失敗\r\n"), ""},
		{"split character 932", 932, "split", "?" + sjis("日"), ""},
		{"split character 65001", 65001, "split", "é日", ""},
	}
	c := newRawClient(t, s, "", "")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shellID := c.mustCreate(tt.codepage)
			defer c.delete(shellID)
			cmdID := c.mustCommand(shellID, tt.cmd)
			out, errb, code := c.receiveAll(shellID, cmdID)
			if string(out) != tt.wantStdout || string(errb) != tt.wantStderr || code != "0" {
				t.Errorf("got stdout % x stderr % x code %s\nwant % x / % x", out, errb, code, tt.wantStdout, tt.wantStderr)
			}
		})
	}
	for _, cp := range []int{65001, 932, 437} {
		if !seen[cp] {
			t.Errorf("handler never saw Codepage %d", cp)
		}
	}

	// masterzen always asks for 65001; a program writing CP932 itself
	// reaches it as raw bytes, to be decoded by the caller's fallback.
	client := newClient(t, s, "", "", nil)
	var out bytes.Buffer
	if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "raw", &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got, _ := japanese.ShiftJIS.NewDecoder().String(out.String()); got != "バックアップ失敗\r\n" {
		t.Errorf("raw bytes % x decode to %q", out.Bytes(), got)
	}
	out.Reset()
	if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "hello", &out, io.Discard); err != nil || out.String() != "こんにちは café\n" {
		t.Errorf("masterzen 65001: %q, %v", out.String(), err)
	}
}

// TestOperationTimeout checks the w:TimedOut fault of a silent command and
// masterzen's retry.
func TestOperationTimeout(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		timeout string
		wait    time.Duration
	}{
		{"MaxOperationTimeout caps PT60S", Options{MaxOperationTimeout: 100 * time.Millisecond}, "PT60S", 100 * time.Millisecond},
		{"scale PT60.000S", Options{OperationTimeoutScale: 0.002}, "PT60.000S", 120 * time.Millisecond},
		{"short request timeout", Options{}, "PT0.15S", 150 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s *Server
			ready := make(chan struct{})
			isTimedOut := func(r Request) bool { return r.Action == ActionReceive && r.FaultCode == CodeTimedOut }
			tt.opts.Handler = HandlerFunc(func(ctx context.Context, _ Command, _ io.Reader, stdout, _ io.Writer) int {
				<-ready
				// Stay silent until two Receives have timed out.
				for countWhere(s.Requests(), isTimedOut) < 2 {
					select {
					case <-time.After(10 * time.Millisecond):
					case <-ctx.Done():
						return 1
					}
				}
				io.WriteString(stdout, "finally\r\n")
				return 0
			})
			s = startServer(t, tt.opts)
			close(ready)
			client := newClient(t, s, "", "", func(_ *winrm.Endpoint, p *winrm.Parameters) { p.Timeout = tt.timeout })
			var out bytes.Buffer
			code, err := client.RunWithContext(testCtx(t, 30*time.Second), "wbadmin get versions", &out, io.Discard)
			if err != nil || code != 0 || out.String() != "finally\r\n" {
				t.Fatalf("got %q %d %v", out.String(), code, err)
			}
			var timedOut, ok int
			for _, r := range s.Requests() {
				if r.Action != ActionReceive {
					continue
				}
				switch {
				case r.Status == 500 && r.FaultCode == CodeTimedOut && r.FaultSubcode == "w:TimedOut":
					timedOut++
					if r.LongPoll != tt.wait {
						t.Errorf("long-poll of %v, want %v", r.LongPoll, tt.wait)
					}
				case r.Status == 200:
					ok++
				}
			}
			if timedOut < 2 || ok < 1 {
				t.Errorf("%d TimedOut faults and %d successful Receives; want >= 2 and >= 1", timedOut, ok)
			}
		})
	}
}

// TestShellAndCommandFaults covers unknown ids, command-line length and
// quotas as masterzen sees them.
func TestShellAndCommandFaults(t *testing.T) {
	s := startServer(t, Options{MaxShellsPerUser: 2, MaxConcurrentOperationsPerUser: 4,
		Handler: HandlerFunc(func(ctx context.Context, _ Command, _ io.Reader, _, _ io.Writer) int { <-ctx.Done(); return 0 })})
	client := newClient(t, s, "ops", "x", nil)
	ctx := testCtx(t, 30*time.Second)

	// masterzen 3fad6e1 does not turn an HTTP 500 into an error: a fault
	// answering Command surfaces as "unsupported action" with the fault
	// in ExecuteCommandError.Body.
	_, err := client.NewShell("5F1B2A9C-0000-4000-8000-000000000000").ExecuteWithContext(ctx, "echo hi")
	checkFaultBody(t, "unknown shell", err, "w:InvalidSelectors", `Code="2150858843"`, "ShellId 5F1B2A9C-0000-4000-8000-000000000000")

	sh1, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n       int
		wantErr bool
	}{{8191, false}, {8192, true}, {9000, true}} {
		cmd := "echo " + strings.Repeat("A", tc.n-5)
		c, err := sh1.ExecuteWithContext(ctx, cmd)
		if tc.wantErr {
			checkFaultBody(t, fmt.Sprint(tc.n, " characters"), err, `Code="2147942606"`, "The filename or extension is too long.")
			continue
		}
		if err != nil {
			t.Errorf("%d characters: %v", tc.n, err)
			continue
		}
		c.Close()
	}
	code, err := client.RunWithContext(ctx, strings.Repeat("B", 9000), io.Discard, io.Discard)
	if code != 1 {
		t.Errorf("RunWithContext of 9000 characters: exit code %d, want 1", code)
	}
	checkFaultBody(t, "RunWithContext of 9000 characters", err, "2147942606")

	sh2, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	// The third shell is refused, but masterzen reports no error: it reads
	// the ShellId selector of the fault, finds none and uses "".
	sh3, err := client.CreateShell()
	if err != nil {
		t.Errorf("third shell: masterzen now reports %v; the quota fault used to be silent", err)
	} else {
		_, err := sh3.ExecuteWithContext(ctx, "echo hi")
		checkFaultBody(t, "command in the refused shell", err, `Code="2150858843"`, "ShellId  failed")
	}
	last := lastWhere(s.Requests(), func(r Request) bool { return r.Action == ActionCreate })
	if last.Status != 500 || last.FaultCode != CodeMaxShells || last.FaultSubcode != "w:QuotaLimit" {
		t.Errorf("third Create logged as %+v", last)
	}
	raw := newRawClient(t, s, "ops", "x")
	if r := raw.create(0); r.status != 500 || !strings.Contains(string(r.body), "maximum number of 2 concurrent shells") {
		t.Errorf("raw third Create: %d %s", r.status, r.body)
	}
	// Another user has a quota of their own.
	if sh, err := newClient(t, s, "other", "x", nil).CreateShell(); err != nil {
		t.Errorf("other user: %v", err)
	} else {
		sh.Close()
	}

	// Operations: 2 shells + 2 running commands = 4, the next fails.
	c1, err := sh2.ExecuteWithContext(ctx, "sleep")
	if err != nil {
		t.Fatal(err)
	}
	c2, err := sh2.ExecuteWithContext(ctx, "sleep")
	if err != nil {
		t.Fatal(err)
	}
	_, err = sh2.ExecuteWithContext(ctx, "sleep")
	checkFaultBody(t, "fifth operation", err, "w:QuotaLimit", `Code="2150859174"`, "maximum number of 4 concurrent operations")
	c1.Close()
	c2.Close()
	if err := sh1.Close(); err != nil {
		t.Fatal(err)
	}
	if sh3, err := client.CreateShell(); err != nil {
		t.Errorf("shell after closing one: %v", err)
	} else {
		sh3.Close()
	}
	sh2.Close()
}

// TestInjectedFaults checks what masterzen reports for each injected fault.
func TestInjectedFaults(t *testing.T) {
	// logged checks that the faulted request was logged with code.
	logged := func(action string, code uint32) func(*testing.T, *Server) {
		return func(t *testing.T, s *Server) {
			if n := countWhere(s.Requests(), func(r Request) bool { return r.Action == action && r.Status == 500 && r.FaultCode == code }); n == 0 {
				t.Errorf("no %s answered with fault %d", action, code)
			}
		}
	}
	tests := []struct {
		name     string
		fault    Fault
		timeout  time.Duration // Endpoint.Timeout, the response-header timeout
		wantErr  []string      // substrings of the error; nil means success
		wantBody []string      // substrings of ExecuteCommandError.Body
		wantCode int
		check    func(t *testing.T, s *Server)
	}{
		{name: "latency", fault: Fault{Kind: FaultLatency, Delay: 60 * time.Millisecond},
			check: func(t *testing.T, s *Server) {
				reqs := s.Requests()
				if n := countWhere(reqs, func(r Request) bool { return r.Latency == 60*time.Millisecond }); n != 5 || len(reqs) != 5 {
					t.Errorf("%d of %d requests delayed by 60ms, want 5 of 5", n, len(reqs))
				}
			}},
		{name: "401 on Command", fault: Fault{Kind: FaultUnauthorized, Action: "command"},
			wantErr: []string{"http response error: 401 - invalid content type"}, wantCode: 1},
		// A fault answering Create leaves masterzen with ShellId "", so the
		// error it reports is the InvalidSelectors fault of the Command.
		{name: "500 on Create", fault: Fault{Kind: FaultInternalError, Action: ActionCreate},
			wantErr: []string{"unsupported action"}, wantBody: []string{`Code="2150858843"`}, wantCode: 1,
			check: logged(ActionCreate, CodeInternalError)},
		{name: "500 on Command", fault: Fault{Kind: FaultInternalError, Action: ActionCommand, Code: 5, Message: "Access is denied. "},
			wantErr: []string{"unsupported action"}, wantBody: []string{"w:InternalError", `Code="5"`, "Access is denied."}, wantCode: 1},
		// masterzen parses a fault answering Receive as "not done yet" and
		// polls again.
		{name: "500 on Receive once", fault: Fault{Kind: FaultInternalError, Action: ActionReceive, Count: 1},
			check: logged(ActionReceive, CodeInternalError)},
		{name: "500 on Delete", fault: Fault{Kind: FaultInternalError, Action: ActionDelete},
			check: logged(ActionDelete, CodeInternalError)},
		{name: "quota on Create", fault: Fault{Kind: FaultQuota, Action: ActionCreate},
			wantErr: []string{"unsupported action"}, wantBody: []string{`Code="2150858843"`}, wantCode: 1,
			check: logged(ActionCreate, CodeMaxShells)},
		{name: "quota on Command", fault: Fault{Kind: FaultQuota, Action: ActionCommand},
			wantErr: []string{"unsupported action"}, wantBody: []string{"w:QuotaLimit", `Code="2150859173"`}, wantCode: 1},
		{name: "busy on Command", fault: Fault{Kind: FaultBusy, Action: ActionCommand},
			wantErr: []string{"unsupported action"}, wantBody: []string{`Code="170"`, "The requested resource is in use."}, wantCode: 1},
		{name: "operation timeout twice", fault: Fault{Kind: FaultOperationTimeout, Action: ActionReceive, Count: 2},
			check: func(t *testing.T, s *Server) {
				if n := countWhere(s.Requests(), func(r Request) bool { return r.Injected == FaultOperationTimeout && r.FaultCode == CodeTimedOut }); n != 2 {
					t.Errorf("%d injected timeouts, want 2", n)
				}
				if got := s.Count(ActionReceive); got < 3 {
					t.Errorf("%d Receives, want >= 3", got)
				}
			}},
		{name: "drop on Create", fault: Fault{Kind: FaultDropConnection, Action: ActionCreate},
			wantErr: []string{"unknown error", "EOF"}, wantCode: 1},
		{name: "drop on Receive", fault: Fault{Kind: FaultDropConnection, Action: ActionReceive, Count: 1},
			wantErr: []string{"EOF"}, wantCode: 16001},
		{name: "drop mid-body on Receive", fault: Fault{Kind: FaultDropMidBody, Action: ActionReceive, Count: 1},
			wantErr: []string{"error while reading request body", "unexpected EOF"}, wantCode: 16001},
		{name: "garbage on Command", fault: Fault{Kind: FaultGarbage, Action: ActionCommand},
			wantErr: []string{"parsing xml response"}, wantCode: 1},
		{name: "truncated Command response", fault: Fault{Kind: FaultTruncated, Action: ActionCommand},
			wantErr: []string{"parsing xml response", "unexpected EOF"}, wantCode: 1},
		{name: "slow headers", fault: Fault{Kind: FaultSlowHeaders, Action: ActionCreate, Delay: 5 * time.Second}, timeout: 150 * time.Millisecond,
			wantErr: []string{"timeout awaiting response headers"}, wantCode: 1},
		// A trickled body is slow but whole: masterzen, which takes no
		// deadline for a body, waits for it and goes on.
		{name: "trickle on Create", fault: Fault{Kind: FaultTrickle, Action: ActionCreate, Delay: 100 * time.Microsecond},
			check: func(t *testing.T, s *Server) {
				if n := countWhere(s.Requests(), func(r Request) bool {
					return r.Action == ActionCreate && r.Status == 200 && r.Injected == FaultTrickle && r.Duration > 0
				}); n != 1 {
					t.Errorf("%d trickled Creates logged, want 1", n)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startServer(t, Options{})
			s.Inject(tt.fault)
			client := newClient(t, s, "", "", func(ep *winrm.Endpoint, _ *winrm.Parameters) {
				if tt.timeout > 0 {
					ep.Timeout = tt.timeout
				}
			})
			var out bytes.Buffer
			code, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo fault", &out, io.Discard)
			if tt.wantErr == nil {
				if err != nil || code != 0 || out.String() != "fault\r\n" {
					t.Errorf("got %q %d %v", out.String(), code, err)
				}
			} else {
				if err == nil {
					t.Fatalf("no error; code %d out %q", code, out.String())
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if code != tt.wantCode {
					t.Errorf("exit code %d, want %d", code, tt.wantCode)
				}
				if tt.wantBody != nil {
					checkFaultBody(t, tt.name, err, tt.wantBody...)
				}
			}
			if tt.fault.Kind != FaultLatency {
				// A request the client gave up on is logged when the server
				// notices.
				if !waitFor(5*time.Second, func() bool {
					return countWhere(s.Requests(), func(r Request) bool { return r.Injected == tt.fault.Kind }) > 0
				}) {
					t.Errorf("no request logged with Injected=%v", tt.fault.Kind)
				}
			}
			if tt.check != nil {
				tt.check(t, s)
			}
		})
	}
}

// TestInjectBusyOnSend shows that masterzen does not notice ERROR_BUSY on
// Send (it ignores fault bodies), so the data is silently lost, while the
// server logged the fault.
func TestInjectBusyOnSend(t *testing.T) {
	s := startServer(t, Options{Handler: HandlerFunc(func(_ context.Context, _ Command, stdin io.Reader, stdout, _ io.Writer) int {
		b, _ := io.ReadAll(stdin)
		stdout.Write(b)
		return 0
	})})
	client := newClient(t, s, "", "", nil)
	shell, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	defer shell.Close()
	cmd, err := shell.ExecuteWithContext(testCtx(t, 30*time.Second), "more")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	var wg sync.WaitGroup
	wg.Go(func() { io.Copy(&out, cmd.Stdout) })
	wg.Go(func() { io.Copy(io.Discard, cmd.Stderr) })
	s.Inject(Fault{Kind: FaultBusy, Action: ActionSend, Count: 1})
	if n, err := cmd.Stdin.Write([]byte("lost\r\n")); n != 6 || err != nil {
		t.Errorf("Write = %d, %v; masterzen used to ignore the fault", n, err)
	}
	if _, err := cmd.Stdin.Write([]byte("kept\r\n")); err != nil {
		t.Errorf("second Write: %v", err)
	}
	cmd.Stdin.Close()
	cmd.Wait()
	wg.Wait()
	cmd.Close()
	if out.String() != "kept\r\n" {
		t.Errorf("stdout %q, want only the second write", out.String())
	}
	if n := countWhere(s.Requests(), func(r Request) bool { return r.Action == ActionSend && r.FaultCode == CodeBusy && r.Status == 500 }); n != 1 {
		t.Errorf("%d busy Sends logged, want 1", n)
	}
}

// TestFaultCountsAndClear checks Count, per-action matching and ClearFaults.
func TestFaultCountsAndClear(t *testing.T) {
	s := startServer(t, Options{})
	client := newClient(t, s, "", "", nil)
	s.Inject(Fault{Kind: FaultInternalError, Action: ActionCommand, Count: 2})
	for i, wantErr := range []bool{true, true, false} {
		_, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo x", io.Discard, io.Discard)
		if (err != nil) != wantErr {
			t.Errorf("run %d: %v", i, err)
		}
	}
	s.Inject(Fault{Kind: FaultBusy})
	for range 2 {
		if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo x", io.Discard, io.Discard); err == nil {
			t.Error("busy always: no error")
		}
	}
	if n := countWhere(s.Requests(), func(r Request) bool { return r.Injected == FaultInternalError }); n != 2 {
		t.Errorf("%d requests with the counted fault, want 2", n)
	}
	s.ClearFaults()
	if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo x", io.Discard, io.Discard); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Inject with an unknown action did not panic")
		}
	}()
	s.Inject(Fault{Kind: FaultBusy, Action: "Enumerate"})
}

// TestSignalCancels checks that Signal terminate and ctrl_c cancel the
// handler's context.
func TestSignalCancels(t *testing.T) {
	cancelled := make(chan string, 4)
	h := HandlerFunc(func(ctx context.Context, cmd Command, _ io.Reader, stdout, _ io.Writer) int {
		io.WriteString(stdout, "started\r\n")
		<-ctx.Done()
		cancelled <- cmd.Line
		return -1073741510 // STATUS_CONTROL_C_EXIT
	})
	s := startServer(t, Options{Handler: h})
	client := newClient(t, s, "", "", nil)

	t.Run("terminate via Command.Close", func(t *testing.T) {
		shell, err := client.CreateShell()
		if err != nil {
			t.Fatal(err)
		}
		defer shell.Close()
		cmd, err := shell.ExecuteWithContext(testCtx(t, 30*time.Second), "wbadmin start backup")
		if err != nil {
			t.Fatal(err)
		}
		go io.Copy(io.Discard, cmd.Stderr)
		go io.Copy(io.Discard, cmd.Stdout)
		if err := cmd.Close(); err != nil {
			t.Fatal(err)
		}
		select {
		case line := <-cancelled:
			if line != "wbadmin start backup" {
				t.Errorf("cancelled %q", line)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("handler context not cancelled by Signal terminate")
		}
		cmd.Wait()
	})

	t.Run("context cancel in RunWithContext", func(t *testing.T) {
		s2 := startServer(t, Options{Handler: h, MaxOperationTimeout: 100 * time.Millisecond})
		c2 := newClient(t, s2, "", "", nil)
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c2.RunWithContext(ctx, "long", io.Discard, io.Discard)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err %v, want context.DeadlineExceeded", err)
		}
		select {
		case <-cancelled:
		case <-time.After(5 * time.Second):
			t.Fatal("handler context not cancelled")
		}
		if n := countWhere(s2.Requests(), func(r Request) bool { return r.Action == ActionSignal && r.Signal == "terminate" }); n < 1 {
			t.Errorf("no Signal terminate logged")
		}
	})

	t.Run("ctrl_c keeps the command for its exit code", func(t *testing.T) {
		c := newRawClient(t, s, "", "")
		shellID := c.mustCreate(65001)
		defer c.delete(shellID)
		cmdID := c.mustCommand(shellID, "ping -t dc01")
		if r := c.signal(shellID, cmdID, "ctrl_c"); r.status != 200 {
			t.Fatalf("signal: %d %s", r.status, r.body)
		}
		<-cancelled
		out, _, code := c.receiveAll(shellID, cmdID)
		if string(out) != "started\r\n" || code != "-1073741510" {
			t.Errorf("after ctrl_c: %q code %s", out, code)
		}
		if r := c.receive(shellID, cmdID); r.status != 500 || !strings.Contains(string(r.body), "2150858843") {
			t.Errorf("Receive after Done: %d", r.status)
		}
		if r := c.signal(shellID, cmdID, "terminate"); r.status != 200 {
			t.Errorf("terminate after Done: %d %s", r.status, r.body)
		}
		if r := c.signal(shellID, cmdID, "terminate"); r.status != 500 || !strings.Contains(string(r.body), "2150858843") {
			t.Errorf("second terminate: %d", r.status)
		}
	})
}

// TestRawStdin drives Send by hand: data, End, and a full buffer.
func TestRawStdin(t *testing.T) {
	gate := make(chan struct{})
	s := startServer(t, Options{Handler: HandlerFunc(func(ctx context.Context, _ Command, stdin io.Reader, stdout, _ io.Writer) int {
		select {
		case <-gate:
		case <-ctx.Done():
			return 1
		}
		n, _ := io.Copy(io.Discard, stdin)
		fmt.Fprintf(stdout, "%d", n)
		return 0
	})})
	c := newRawClient(t, s, "", "")
	shellID := c.mustCreate(437)
	cmdID := c.mustCommand(shellID, "sort")
	block := bytes.Repeat([]byte("z"), 300_000)
	sent := 0
	for i := range 4 {
		r := c.send(shellID, cmdID, block, false)
		if i < 3 && r.status != 200 {
			t.Fatalf("send %d: %d %s", i, r.status, r.body)
		}
		if i == 3 {
			if r.status != 500 || !strings.Contains(string(r.body), `Code="170"`) {
				t.Fatalf("send over 1 MiB: %d %s", r.status, r.body)
			}
			continue
		}
		sent += len(block)
	}
	close(gate)
	if r := c.send(shellID, cmdID, []byte("tail"), true); r.status != 200 {
		t.Fatalf("end: %d", r.status)
	}
	out, _, code := c.receiveAll(shellID, cmdID)
	if string(out) != fmt.Sprint(sent+4) || code != "0" {
		t.Errorf("handler read %s bytes (code %s), want %d", out, code, sent+4)
	}
}

// TestIdleTimeout checks that an idle shell is deleted and its commands
// cancelled.
func TestIdleTimeout(t *testing.T) {
	cancelled := make(chan struct{})
	s := startServer(t, Options{IdleTimeout: 150 * time.Millisecond, Handler: HandlerFunc(func(ctx context.Context, _ Command, _ io.Reader, _, _ io.Writer) int {
		<-ctx.Done()
		close(cancelled)
		return 0
	})})
	c := newRawClient(t, s, "", "")
	r := c.create(65001)
	if got := r.tree.find(nsShell, "IdleTimeOut"); len(got) != 1 || got[0].text != "PT0.150S" {
		t.Errorf("IdleTimeOut %v", got)
	}
	shellID := r.tree.find(nsWsman, "Selector")[0].text
	c.mustCommand(shellID, "hang")
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("idle shell's command not cancelled")
	}
	if r := c.command(shellID, "echo late"); r.status != 500 || !strings.Contains(string(r.body), "2150858843") {
		t.Errorf("command on expired shell: %d %s", r.status, r.body)
	}
	// A shell in use does not expire.
	s2 := startServer(t, Options{IdleTimeout: time.Second})
	client := newClient(t, s2, "", "", nil)
	shell, err := client.CreateShell()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for time.Since(start) < 2*time.Second {
		time.Sleep(100 * time.Millisecond)
		cmd, err := shell.ExecuteWithContext(testCtx(t, 30*time.Second), "echo alive")
		if err != nil {
			t.Fatalf("shell expired while in use: %v", err)
		}
		go io.Copy(io.Discard, cmd.Stderr)
		io.Copy(io.Discard, cmd.Stdout)
		cmd.Wait()
		cmd.Close()
	}
	shell.Close()
}

// TestMasterzenSpinsOnReceiveFault documents a masterzen hazard the fake
// exposes: when the shell disappears under a running command (idle
// timeout, service restart, another session deleting it), every Receive
// gets the InvalidSelectors fault, which masterzen parses as "not done"
// and polls again at once, until the caller's context ends.
func TestMasterzenSpinsOnReceiveFault(t *testing.T) {
	// The command outlives its shell's deletion (as a process may on a real
	// server), so the deletion cannot finish it: a Receive in flight when
	// the shell goes never reports it done with exit 0.
	release := make(chan struct{})
	s := startServer(t, Options{Handler: HandlerFunc(func(context.Context, Command, io.Reader, io.Writer, io.Writer) int {
		<-release
		return 0
	})})
	t.Cleanup(func() { close(release) }) // before the server's Close, which waits for handlers
	client := newClient(t, s, "u", "p", nil)
	raw := newRawClient(t, s, "u", "p")
	// No deadline races the steps below (under load the Command alone may
	// take longer than any short one): the caller cancels once the spin is
	// seen, and the wait for it is what fails when masterzen stops spinning.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := client.RunWithContext(ctx, "wbadmin start backup", io.Discard, io.Discard)
		errc <- err
	}()
	if !waitFor(30*time.Second, func() bool { return s.Count(ActionCommand) == 1 }) {
		t.Fatal("no Command")
	}
	if r := raw.delete(lastWhere(s.Requests(), func(r Request) bool { return r.Action == ActionCreate }).ShellID); r.status != 200 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	faulted := func() int {
		return countWhere(s.Requests(), func(r Request) bool { return r.Action == ActionReceive && r.FaultCode == CodeInvalidSelectors })
	}
	spins := waitFor(30*time.Second, func() bool { return faulted() >= 5 })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled (masterzen ends only with the caller's context)", err)
	}
	if !spins {
		t.Errorf("%d faulted Receives in 30s; masterzen no longer spins?", faulted())
	}
	t.Logf("%d Receives answered InvalidSelectors before the caller cancelled", faulted())
}

// TestHandlerPanic checks that a panic becomes exit code 1 and stderr.
func TestHandlerPanic(t *testing.T) {
	s := startServer(t, Options{Handler: HandlerFunc(func(_ context.Context, _ Command, _ io.Reader, stdout, _ io.Writer) int {
		io.WriteString(stdout, "before\r\n")
		panic("disk on fire")
	})})
	client := newClient(t, s, "", "", nil)
	out, errOut, code, err := client.RunCmdWithContext(testCtx(t, 30*time.Second), "explode")
	if err != nil || code != 1 || out != "before\r\n" || errOut != "panic: disk on fire\r\n" {
		t.Errorf("got %q %q %d %v", out, errOut, code, err)
	}
	// The server still works.
	if out, _, _, err := client.RunCmdWithContext(testCtx(t, 30*time.Second), "explode"); err != nil || out != "before\r\n" {
		t.Errorf("second run: %q %v", out, err)
	}
}

// TestCloseWithLongPoll checks that Close returns promptly with a Receive
// in flight, cancels the handler and leaves no goroutines behind.
func TestCloseWithLongPoll(t *testing.T) {
	started := make(chan struct{})
	cancelled := make(chan struct{})
	s := New(Options{Handler: HandlerFunc(func(ctx context.Context, _ Command, stdin io.Reader, _, _ io.Writer) int {
		close(started)
		io.Copy(io.Discard, stdin) // blocks until cancelled
		if ctx.Err() != nil {
			close(cancelled)
		}
		return 0
	})})
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	// The Receive may long-poll for an hour: a Close that waited for it
	// would hang, which the deadline below catches.
	client := newClient(t, s, "", "", func(ep *winrm.Endpoint, p *winrm.Parameters) {
		p.Timeout = "PT3600S"
		ep.Timeout = 2 * time.Hour
	})
	done := make(chan error, 1)
	go func() {
		_, err := client.RunWithContext(context.Background(), "wbadmin start backup", io.Discard, io.Discard)
		done <- err
	}()
	<-started
	if !waitFor(5*time.Second, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, sh := range s.shells {
			if sh.inflight > 0 {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no Receive in flight")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close hung behind the hour-long Receive")
	}
	select {
	case <-cancelled:
	default:
		t.Error("handler context not cancelled by Close")
	}
	select {
	case err := <-done:
		if err == nil {
			t.Error("RunWithContext succeeded against a closed server")
		}
	case <-time.After(10 * time.Second):
		t.Error("client still blocked after Close")
	}
	if g := leakedGoroutines(); len(g) > 0 {
		t.Errorf("goroutines left after Close:\n%s", strings.Join(g, "\n\n"))
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Start("127.0.0.1:0"); err == nil {
		t.Error("Start after Close succeeded")
	}
}

// TestHTTPHandler mounts the server on httptest.
func TestHTTPHandler(t *testing.T) {
	s := New(Options{Handler: Script{"hostname": {Stdout: "DC01\r\n"}}})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	defer s.Close()
	addr := ts.Listener.Addr().String()
	host, port, _ := strings.Cut(addr, ":")
	var p int
	fmt.Sscan(port, &p)
	client, err := winrm.NewClient(winrm.NewEndpoint(host, p, false, false, nil, nil, nil, 0), "u", "p")
	if err != nil {
		t.Fatal(err)
	}
	out, _, code, err := client.RunCmdWithContext(testCtx(t, 30*time.Second), "hostname")
	if err != nil || code != 0 || out != "DC01\r\n" {
		t.Errorf("got %q %d %v", out, code, err)
	}
	for _, tc := range []struct {
		method, path string
		want         int
	}{{"GET", "/wsman", 405}, {"POST", "/other", 404}} {
		req, _ := http.NewRequest(tc.method, ts.URL+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.want)
		}
	}
}

// TestRequestLog checks the log API.
func TestRequestLog(t *testing.T) {
	s := startServer(t, Options{User: "svc_backup", Password: "pw", MaxLogEntries: 2})
	client := newClient(t, s, "svc_backup", "pw", nil)
	if _, err := client.RunWithContext(testCtx(t, 30*time.Second), "echo 1", io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 || s.Count("") != 4+s.Count(ActionReceive) {
		t.Fatalf("%d entries (want the newest 2), Count = %d", len(reqs), s.Count(""))
	}
	wantActions := []string{ActionSignal, ActionDelete}
	for i, r := range reqs {
		if r.Action != wantActions[i] || r.User != "svc_backup" || r.Status != 200 || r.Time.IsZero() || r.ResponseBytes == 0 {
			t.Errorf("entry %d: %+v", i, r)
		}
		if i > 0 && r.Time.Before(reqs[i-1].Time) {
			t.Errorf("entries out of order")
		}
	}
	if reqs[0].CommandID == "" || reqs[0].Signal != "terminate" || reqs[0].ShellID == "" || reqs[0].ShellID != reqs[1].ShellID {
		t.Errorf("ids not recorded: %+v", reqs)
	}
	if n := s.Count(ActionReceive); n < 1 || s.Count("receive") != n || s.Count(nsShell+"/Receive") != n {
		t.Errorf("Count by lower-case name or URI: %d %d %d", n, s.Count("receive"), s.Count(nsShell+"/Receive"))
	}
	s.ResetLog()
	if len(s.Requests()) != 0 || s.Count("") != 0 || s.Count(ActionCreate) != 0 {
		t.Error("ResetLog left entries")
	}
}

// checkFaultBody checks an error from masterzen's ExecuteWithContext for a
// SOAP fault answering Command: masterzen returns the fault body as if it
// were a success, then fails on its action.
func checkFaultBody(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	var ece *winrm.ExecuteCommandError
	if !errors.As(err, &ece) {
		t.Errorf("%s: error %v, want a *winrm.ExecuteCommandError", what, err)
		return
	}
	if !strings.Contains(err.Error(), "unsupported action: "+actionURIFault) {
		t.Errorf("%s: error %q", what, err)
	}
	for _, w := range want {
		if !strings.Contains(ece.Body, w) {
			t.Errorf("%s: fault body does not contain %q:\n%s", what, w, ece.Body)
		}
	}
}

// lastWhere returns the last log entry matching f.
func lastWhere(reqs []Request, f func(Request) bool) Request {
	for i := len(reqs) - 1; i >= 0; i-- {
		if f(reqs[i]) {
			return reqs[i]
		}
	}
	return Request{}
}

// rawExchange sends a raw HTTP request over TCP and returns the status
// line, the header lines as sent and the body (read until the server
// closes the connection).
func rawExchange(t *testing.T, url, req string) (status string, headers []string, body []byte) {
	t.Helper()
	addr := strings.TrimPrefix(strings.TrimSuffix(url, "/wsman"), "http://")
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, all)
	}
	head, rest, _ := bytes.Cut(all, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	return lines[0], lines[1:], rest
}
