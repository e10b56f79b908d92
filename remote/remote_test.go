package remote

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
	"github.com/wsbbot/wsbbot/runbooks"
)

// hang blocks a command until the server cancels it, then reports that
// on done.
func hang(done chan<- struct{}) func(ctx context.Context, _ psCall, _, _ io.Writer) int {
	return func(ctx context.Context, _ psCall, _, _ io.Writer) int {
		<-ctx.Done()
		if done != nil {
			close(done)
		}
		return 1
	}
}

func TestExecBasic(t *testing.T) {
	for _, https := range []bool{false, true} {
		t.Run(fmt.Sprintf("https=%v", https), func(t *testing.T) {
			srv := startFake(t, winrmtest.Options{TLS: https, Handler: psHandler(func(_ context.Context, c psCall, stdout, _ io.Writer) int {
				_, _ = fmt.Fprintf(stdout, "drive=%v\r\n", c.Params["Drive"])
				return 3
			})})
			c := newClient(t, Options{})
			res, err := c.Exec(context.Background(), targetOf(srv, "srv01", https),
				Command{Script: "Get-Volume $P.Drive", Params: map[string]any{"Drive": "D:"}, Name: "volume"})
			if err != nil {
				t.Fatal(err)
			}
			// The step is Command, Send, Receive: its terminate signal is
			// deferred to a next step, and the Delete makes it unnecessary.
			want := Result{Stdout: "drive=D:\n", ExitCode: 3, StdoutBytes: 10, Encoding: "utf-8", RoundTrips: 3}
			if diff := cmp.Diff(want, res, cmpResult); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			wantSeq := []string{"Create", "Command", "Send", "Receive", "Delete"}
			if diff := cmp.Diff(wantSeq, actions(srv.Requests())); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// cmpResult ignores the duration.
var cmpResult = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Duration" }, cmp.Ignore())

func TestCmdShell(t *testing.T) {
	srv := startFake(t, winrmtest.Options{})
	c := newClient(t, Options{})
	tg := targetOf(srv, "srv01", false)
	res, err := c.Exec(context.Background(), tg, Command{Shell: runbooks.ShellCmd, Script: "echo hello world"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "hello world\n" || res.ExitCode != 0 || res.RoundTrips != 2 {
		t.Errorf("got %+v, want hello world, exit 0, 2 round trips (Command, Receive)", res)
	}
	if diff := cmp.Diff([]string{"Create", "Command", "Receive", "Delete"}, actions(srv.Requests())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	res, err = c.Exec(context.Background(), tg, Command{Shell: runbooks.ShellCmd, Script: "exit /b 4"})
	if err != nil || res.ExitCode != 4 {
		t.Errorf("exit /b 4: %+v, %v", res, err)
	}
	res, err = c.Exec(context.Background(), tg, Command{Shell: runbooks.ShellCmd, Script: "nosuchtool"})
	if err != nil || res.ExitCode != 9009 || !strings.Contains(res.Stderr, "is not recognized") {
		t.Errorf("unknown command: %+v, %v", res, err)
	}
	_, err = c.Exec(context.Background(), tg, Command{Shell: runbooks.ShellCmd, Script: "echo x", Params: map[string]any{"a": 1}})
	if err == nil || kindOf(t, err) != KindInvalid {
		t.Errorf("params with cmd: %v", err)
	}
}

func TestOneShellPerSession(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	c := newClient(t, Options{})
	s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
	if err != nil {
		t.Fatal(err)
	}
	steps := []Command{
		{Script: "Get-Service $P.Name", Params: map[string]any{"Name": "wbengine"}, Name: "one"},
		{Shell: runbooks.ShellCmd, Script: "echo two", Name: "two"},
		{Script: "Get-WBSummary", Name: "three"},
	}
	var perStep []int
	for _, st := range steps {
		res, err := s.Run(context.Background(), st)
		if err != nil {
			t.Fatalf("%s: %v", st.Name, err)
		}
		perStep = append(perStep, res.RoundTrips)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	// Each step after the first starts with the terminate signal deferred
	// from the previous one; the last one's is never sent (Delete). The
	// step with parameters sends its script on stdin; the one without
	// carries it on the command line.
	want := []string{
		"Create",
		"Command", "Send", "Receive",
		"Signal", "Command", "Receive",
		"Signal", "Command", "Receive",
		"Delete",
	}
	if diff := cmp.Diff(want, actions(srv.Requests())); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{3, 3, 3}, perStep); diff != "" {
		t.Errorf("round trips per step (-want +got):\n%s", diff)
	}
	if s.RoundTrips() != srv.Count("") {
		t.Errorf("session counted %d round trips, server saw %d", s.RoundTrips(), srv.Count(""))
	}
	shells := map[string]bool{}
	for _, r := range srv.Requests() {
		shells[r.ShellID] = true
	}
	if len(shells) != 1 {
		t.Errorf("requests addressed %d shells, want 1", len(shells))
	}
	if _, err := s.Run(context.Background(), steps[0]); err == nil || kindOf(t, err) != KindInvalid {
		t.Errorf("Run after Close: %v", err)
	}
}

// TestSignalDeferred checks that a finished command's terminate signal
// is sent before the session's next Command, addressed to the finished
// command, and never before the shell's Delete.
func TestSignalDeferred(t *testing.T) {
	ps := func(name string) Command { return Command{Script: "Get-WBJob " + name, Name: name} }
	psParams := func(name string) Command {
		return Command{Script: "Get-WBJob $P.Name", Params: map[string]any{"Name": name}, Name: name}
	}
	cmdStep := func(name string) Command {
		return Command{Shell: runbooks.ShellCmd, Script: "echo " + name, Name: name}
	}
	invalid := Command{Shell: runbooks.ShellCmd, Script: "echo x", Params: map[string]any{"a": 1}, Name: "invalid"}
	tests := []struct {
		name  string
		steps []Command
		want  []string // the fake's request log
		trips []int    // Result.RoundTrips per step
	}{
		{"two PowerShell steps", []Command{ps("one"), ps("two")},
			[]string{"Create", "Command", "Receive", "Signal", "Command", "Receive", "Delete"},
			[]int{2, 3}},
		{"two PowerShell steps with parameters", []Command{psParams("one"), psParams("two")},
			[]string{"Create", "Command", "Send", "Receive", "Signal", "Command", "Send", "Receive", "Delete"},
			[]int{3, 4}},
		{"two cmd steps", []Command{cmdStep("one"), cmdStep("two")},
			[]string{"Create", "Command", "Receive", "Signal", "Command", "Receive", "Delete"},
			[]int{2, 3}},
		// A step refused before anything is sent does not take the
		// signal owed by the first step: the next Command does.
		{"a step that sends nothing keeps the signal owed", []Command{psParams("one"), invalid, cmdStep("two")},
			[]string{"Create", "Command", "Send", "Receive", "Signal", "Command", "Receive", "Delete"},
			[]int{3, 0, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
			c := newClient(t, Options{})
			s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
			if err != nil {
				t.Fatal(err)
			}
			var trips []int
			for _, st := range tc.steps {
				res, err := s.Run(context.Background(), st)
				if st.Name == "invalid" {
					if err == nil || kindOf(t, err) != KindInvalid {
						t.Errorf("invalid step: %v", err)
					}
				} else if err != nil || res.ExitCode != 0 {
					t.Fatalf("%s: %+v, %v", st.Name, res, err)
				}
				trips = append(trips, res.RoundTrips)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if diff := cmp.Diff(tc.want, actions(reqs)); diff != "" {
				t.Fatalf("requests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.trips, trips); diff != "" {
				t.Errorf("round trips per step (-want +got):\n%s", diff)
			}
			var commands []string
			var sig winrmtest.Request
			for _, r := range reqs {
				switch r.Action {
				case winrmtest.ActionCommand:
					commands = append(commands, r.CommandID)
				case winrmtest.ActionSignal:
					sig = r
				}
				if r.Status != 200 {
					t.Errorf("%s answered %d (fault %d)", r.Action, r.Status, r.FaultCode)
				}
			}
			if len(commands) != 2 || commands[0] == "" || commands[0] == commands[1] {
				t.Fatalf("command ids %q, want two distinct", commands)
			}
			if sig.CommandID != commands[0] || sig.Signal != "terminate" {
				t.Errorf("Signal %q for command %q, want terminate for the first command %q",
					sig.Signal, sig.CommandID, commands[0])
			}
		})
	}
}

func TestHugeScriptAndParameters(t *testing.T) {
	var got psCall
	var mu sync.Mutex
	srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, c psCall, stdout, _ io.Writer) int {
		mu.Lock()
		got = c
		mu.Unlock()
		sum := sha256.Sum256([]byte(c.Script))
		_, _ = io.WriteString(stdout, hex.EncodeToString(sum[:]))
		return 0
	})})
	c := newClient(t, Options{})
	script := strings.Repeat("# a runbook comment line that pads the script to one hundred kilobytes\n", 1450) + "Get-WBJob -Previous 1"
	if len(script) < 100_000 {
		t.Fatalf("script is only %d bytes", len(script))
	}
	params := map[string]any{
		"Path":    `'; Remove-Item C:\ -Recurse; '`,
		"Command": `"; Stop-Computer -Force; "`,
		"Sub":     "$(Restart-Service WinRM) `n & | > < %TEMP%",
		"Count":   7,
		"List":    []any{"a", "b;c"},
	}
	res, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: script, Params: params})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(script))
	if res.Stdout != hex.EncodeToString(sum[:]) {
		t.Errorf("the handler saw a different script")
	}
	wantParams := map[string]any{"Path": params["Path"], "Command": params["Command"], "Sub": params["Sub"],
		"Count": float64(7), "List": []any{"a", "b;c"}}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(wantParams, got.Params); diff != "" {
		t.Errorf("parameters (-want +got):\n%s", diff)
	}
	for _, r := range srv.Requests() {
		if r.Action == winrmtest.ActionCommand && r.Status != 200 {
			t.Errorf("Command answered %d (fault %d)", r.Status, r.FaultCode)
		}
	}
	// 100 KB of script is ~136 KB of base64: two Sends within MaxEnvelopeSize.
	if n := srv.Count(winrmtest.ActionSend); n != 2 {
		t.Errorf("%d Send requests, want 2", n)
	}
}

func TestCP932Output(t *testing.T) {
	// "エラー: バックアップに失敗しました\r\n" in CP932, written raw into a
	// 65001 shell, as a Japanese program writing ANSI output does.
	cp932 := []byte("\x83G\x83\x89\x81[: \x83o\x83b\x83N\x83A\x83b\x83v\x82\xc9\x8e\xb8\x94s\x82\xb5\x82\xdc\x82\xb5\x82\xbd\r\n")
	srv := startFake(t, winrmtest.Options{Handler: winrmtest.HandlerFunc(func(_ context.Context, cmd winrmtest.Command, _ io.Reader, stdout, _ io.Writer) int {
		if cmd.Codepage != 65001 {
			_, _ = fmt.Fprintf(stdout, "code page %d", cmd.Codepage)
			return 2
		}
		_, _ = winrmtest.WriteRaw(stdout, cp932)
		return 0
	})})
	c := newClient(t, Options{})
	res, err := c.Exec(context.Background(), targetOf(srv, "srv-jp", false), Command{Shell: runbooks.ShellCmd, Script: "wbadmin get versions"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stdout != "エラー: バックアップに失敗しました\n" || res.Encoding != "cp932" || res.ExitCode != 0 {
		t.Errorf("got %q (%s, exit %d)", res.Stdout, res.Encoding, res.ExitCode)
	}
}

func TestCLIXMLStderr(t *testing.T) {
	var env struct {
		Streams []struct {
			Name string `xml:"Name,attr"`
			Data string `xml:",chardata"`
		} `xml:"Body>ReceiveResponse>Stream"`
	}
	if err := xml.Unmarshal(readFixture(t, "13_receive_ps_clixml_stderr_exitcode1_pywinrm.xml"), &env); err != nil {
		t.Fatal(err)
	}
	var clixml []byte
	for _, s := range env.Streams {
		b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Data))
		clixml = append(clixml, b...)
	}
	srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, _ psCall, stdout, stderr io.Writer) int {
		_, _ = io.WriteString(stdout, "partial\r\n")
		_, _ = stderr.Write(clixml)
		return 1
	})})
	c := newClient(t, Options{})
	res, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: `Write-Error "Error"`})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Stderr, "Write-Error \"Error\" : Error\n    + CategoryInfo") || strings.Contains(res.Stderr, "<") ||
		strings.Contains(res.Stderr, "_x000D_") || res.ExitCode != 1 || res.Stdout != "partial\n" {
		t.Errorf("got stdout %q stderr %q exit %d", res.Stdout, res.Stderr, res.ExitCode)
	}
	if res.StderrBytes != int64(len(clixml)) {
		t.Errorf("StderrBytes = %d, want the raw %d", res.StderrBytes, len(clixml))
	}
}

func TestOutputCap(t *testing.T) {
	const total = 3 << 20
	srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, _ psCall, stdout, stderr io.Writer) int {
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for n := 0; n < total; n += len(chunk) {
			_, _ = stdout.Write(chunk)
		}
		_, _ = io.WriteString(stderr, "small")
		return 7
	})})
	c := newClient(t, Options{OutputCap: 1000})
	res, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: "dir C:\\ -Recurse"})
	if err != nil {
		t.Fatal(err)
	}
	wantOut := strings.Repeat("0123456789abcdef", 63)[:1000] + "\n[output truncated: 3145728 bytes produced, first 1000 kept]"
	if res.Stdout != wantOut {
		t.Errorf("stdout = %.60q...%q", res.Stdout, res.Stdout[max(0, len(res.Stdout)-80):])
	}
	if res.StdoutBytes != total || res.StderrBytes != 5 || !res.Truncated || res.ExitCode != 7 || res.Stderr != "small" {
		t.Errorf("got bytes %d/%d truncated %v exit %d stderr %q", res.StdoutBytes, res.StderrBytes, res.Truncated, res.ExitCode, res.Stderr)
	}
}

func TestAuth(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	tlsSrv := startFake(t, winrmtest.Options{TLS: true, Handler: psHandler(echoScript)})
	var logs syncBuffer
	c := newClient(t, Options{Logger: debugLogger(&logs)})
	wrong := targetOf(srv, "srv01", false)
	wrong.Password = "wrong-password"
	ntlm := targetOf(srv, "srv01", false)
	ntlm.Auth = AuthNTLM
	ntlmWrong := ntlm
	ntlmWrong.Password = "wrong-password"
	noCA := targetOf(tlsSrv, "tls", true)
	noCA.CACertPEM = nil
	badName := targetOf(tlsSrv, "tls", true)
	badName.TLSServerName = "backup01.example.com"
	insecure := noCA
	insecure.InsecureSkipVerify = true
	httpsToHTTP := targetOf(srv, "srv01", true)

	tests := []struct {
		name    string
		t       Target
		want    Kind // "" = success
		explain string
		trips   int // round trips of the step: Command, Receive (the script is on the command line)
	}{
		{"basic http", targetOf(srv, "srv01", false), "", "", 2},
		{"basic https with the fake's CA", targetOf(tlsSrv, "tls", true), "", "", 2},
		{"basic wrong password", wrong, KindUnauthorized, `@{Basic="true"}`, 0},
		// The fake accepts Basic only but, like Windows, advertises
		// Negotiate too. go-ntlmssp sends the message anonymously, gets the
		// 401, sees Negotiate, sends its NTLM NEGOTIATE message, gets a
		// 401 without a challenge and gives up: NTLM against a Basic-only
		// server is "unauthorized", and the password never goes out as
		// Basic (checked below).
		{"ntlm against a basic-only server", ntlm, KindUnauthorized, `DOMAIN\user`, 0},
		{"ntlm wrong password", ntlmWrong, KindUnauthorized, `DOMAIN\user`, 0},
		{"https unknown CA", noCA, KindTLSUnknownCA, "CA", 0},
		{"https name mismatch", badName, KindTLSNameMismatch, "tls_server_name", 0},
		{"https insecure skip verify", insecure, "", "", 2},
		{"https to an http listener", httpsToHTTP, KindTLS, "5986", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.ResetLog()
			res, err := c.Exec(context.Background(), tc.t, Command{Script: "whoami"})
			if tc.t.Auth == AuthNTLM {
				reqs := srv.Requests()
				if len(reqs) != 2 {
					t.Errorf("NTLM took %d HTTP exchanges, want 2 (anonymous, NEGOTIATE)", len(reqs))
				}
				for _, r := range reqs {
					if r.User != "" || r.Status != 401 {
						t.Errorf("NTLM request sent Basic credentials for %q (status %d)", r.User, r.Status)
					}
				}
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if res.Stdout != "whoami" || res.RoundTrips != tc.trips {
					t.Errorf("got %q in %d round trips, want whoami in %d", res.Stdout, res.RoundTrips, tc.trips)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			var re *Error
			if !errors.As(err, &re) || re.Kind != tc.want || re.Op != opCreate {
				t.Fatalf("got %v (%+v), want kind %s at %s", err, re, tc.want, opCreate)
			}
			if !strings.Contains(re.Explain(), tc.explain) {
				t.Errorf("explanation lacks %q: %s", tc.explain, re.Explain())
			}
			if res.ExitCode != -1 {
				t.Errorf("exit code %d on failure, want -1", res.ExitCode)
			}
		})
	}
	if !strings.Contains(logs.String(), "TLS certificate verification is DISABLED") {
		t.Error("InsecureSkipVerify was not logged loudly")
	}
	if strings.Contains(logs.String(), testPassword) || strings.Contains(logs.String(), "wrong-password") {
		t.Error("a password appears in the logs")
	}
}

// TestFaultClasses drives every failure class through the real masterzen
// client against the fake's fault injection.
func TestFaultClasses(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refusedPort := dead.Addr().(*net.TCPAddr).Port
	_ = dead.Close()

	tests := []struct {
		name   string
		fault  *winrmtest.Fault
		opts   Options
		target func(Target) Target
		cmd    Command
		want   Kind
		op     string
		detail string
	}{
		{name: "quota on Create", fault: &winrmtest.Fault{Kind: winrmtest.FaultQuota, Action: winrmtest.ActionCreate},
			want: KindQuota, op: opCreate, detail: "2150859173"},
		{name: "busy on Send", fault: &winrmtest.Fault{Kind: winrmtest.FaultBusy, Action: winrmtest.ActionSend},
			cmd:  Command{Script: "Get-WBSummary $P.X", Params: map[string]any{"X": 1}}, // stdin: a Send
			want: KindBusy, op: opSend, detail: "170"},
		{name: "command too long (server)", fault: &winrmtest.Fault{Kind: winrmtest.FaultInternalError, Action: winrmtest.ActionCommand,
			Code: 2147942606, Message: "The filename or extension is too long. "}, want: KindCommandTooLong, op: opCommand, detail: "2147942606"},
		{name: "command too long (caught before sending)", cmd: Command{Shell: runbooks.ShellCmd, Script: "echo " + strings.Repeat("x", 8200)},
			want: KindCommandTooLong, op: "encode", detail: "8205 characters"},
		{name: "unencrypted", fault: &winrmtest.Fault{Kind: winrmtest.FaultInternalError, Action: winrmtest.ActionCreate,
			Code: 2150858770, Message: "The WinRM service refuses unencrypted traffic: AllowUnencrypted is false."}, want: KindUnencrypted, op: opCreate},
		{name: "other fault", fault: &winrmtest.Fault{Kind: winrmtest.FaultInternalError, Action: winrmtest.ActionReceive},
			want: KindFault, op: opReceive, detail: "1359"},
		{name: "401 mid-run", fault: &winrmtest.Fault{Kind: winrmtest.FaultUnauthorized, Action: winrmtest.ActionCommand},
			want: KindUnauthorized, op: opCommand, detail: "HTTP 401"},
		{name: "dropped before the response", fault: &winrmtest.Fault{Kind: winrmtest.FaultDropConnection, Action: winrmtest.ActionCreate},
			want: KindConnectionDropped, op: opCreate},
		{name: "dropped mid-body", fault: &winrmtest.Fault{Kind: winrmtest.FaultDropMidBody, Action: winrmtest.ActionReceive},
			want: KindConnectionDropped, op: opReceive},
		{name: "garbage", fault: &winrmtest.Fault{Kind: winrmtest.FaultGarbage, Action: winrmtest.ActionReceive},
			want: KindBadResponse, op: opReceive},
		{name: "truncated XML", fault: &winrmtest.Fault{Kind: winrmtest.FaultTruncated, Action: winrmtest.ActionCommand},
			want: KindBadResponse, op: opCommand},
		{name: "slow headers", fault: &winrmtest.Fault{Kind: winrmtest.FaultSlowHeaders, Action: winrmtest.ActionCreate, Delay: 5 * time.Second},
			opts: Options{OperationTimeout: 200 * time.Millisecond, HeaderTimeout: 400 * time.Millisecond},
			want: KindHeaderTimeout, op: opCreate, detail: "400ms"},
		{name: "connection refused", target: func(t Target) Target { t.Port = refusedPort; return t },
			want: KindConnectionRefused, op: opCreate, detail: "refused"},
		{name: "dns", opts: Options{DialContext: func(_ context.Context, _, addr string) (net.Conn, error) {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "srv01.lab.invalid", IsNotFound: true}}
		}}, want: KindDNS, op: opCreate, detail: "no such host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv.ClearFaults()
			srv.ResetLog()
			if tc.fault != nil {
				srv.Inject(*tc.fault)
			}
			c := newClient(t, tc.opts)
			tg := targetOf(srv, "srv01", false)
			if tc.target != nil {
				tg = tc.target(tg)
			}
			cmd := tc.cmd
			if cmd.Script == "" {
				cmd = Command{Script: "Get-WBSummary"}
			}
			_, err := c.Exec(context.Background(), tg, cmd)
			if err == nil {
				t.Fatal("no error")
			}
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("%v (%T) is not a *remote.Error", err, err)
			}
			if re.Kind != tc.want || re.Op != tc.op {
				t.Errorf("got kind %s op %s (%v), want %s at %s", re.Kind, re.Op, err, tc.want, tc.op)
			}
			if !strings.Contains(err.Error(), tc.detail) || !strings.HasPrefix(err.Error(), "srv01: ") {
				t.Errorf("error %q lacks %q", err, tc.detail)
			}
			if re.Explain() == "" {
				t.Error("no explanation")
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Error("password in the error")
			}
			masterzenSafe(t, err)
			if tc.want == KindCommandTooLong && tc.fault == nil && srv.Count(winrmtest.ActionCommand) != 0 {
				t.Error("an over-long command was sent anyway")
			}
		})
	}
}

func TestQuotaForReal(t *testing.T) {
	srv := startFake(t, winrmtest.Options{MaxShellsPerUser: 1})
	c := newClient(t, Options{})
	s1, err := c.Open(context.Background(), targetOf(srv, "srv01-a", false))
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	_, err = c.Open(context.Background(), targetOf(srv, "srv01-b", false)) // same host, another name: not serialised
	if err == nil || kindOf(t, err) != KindQuota {
		t.Fatalf("second shell: %v, want quota", err)
	}
	if !strings.Contains(err.(*Error).Explain(), "MaxShellsPerUser") {
		t.Error("explanation lacks MaxShellsPerUser")
	}
}

func TestOperationTimeoutRetry(t *testing.T) {
	t.Run("silent command outlives the operation timeout", func(t *testing.T) {
		srv := startFake(t, winrmtest.Options{MaxOperationTimeout: 100 * time.Millisecond,
			Handler: psHandler(func(ctx context.Context, _ psCall, stdout, _ io.Writer) int {
				select {
				case <-time.After(700 * time.Millisecond):
				case <-ctx.Done():
					return 1
				}
				_, _ = io.WriteString(stdout, "backup finished\r\n")
				return 0
			})})
		c := newClient(t, Options{OperationTimeout: time.Second, HeaderTimeout: 5 * time.Second})
		res, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: "Start-Sleep 1"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != "backup finished\n" {
			t.Errorf("stdout %q", res.Stdout)
		}
		timedOut := 0
		for _, r := range srv.Requests() {
			if r.Action == winrmtest.ActionReceive && r.FaultCode == FaultOperationTimeout {
				timedOut++
			}
		}
		if timedOut < 2 {
			t.Errorf("%d TimedOut faults, want the command to outlive several", timedOut)
		}
	})
	t.Run("reason text in Japanese", func(t *testing.T) {
		srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
		srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultInternalError, Action: winrmtest.ActionReceive, Count: 3,
			Code: FaultOperationTimeout, Message: "指定された時間内に操作を完了できませんでした。"})
		c := newClient(t, Options{})
		res, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: "Get-Date"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != "Get-Date" || srv.Count(winrmtest.ActionReceive) != 4 {
			t.Errorf("stdout %q after %d Receives, want 4", res.Stdout, srv.Count(winrmtest.ActionReceive))
		}
	})
}

func TestDeadlines(t *testing.T) {
	host, port := blackHole(t)
	deadTarget := Target{Name: "dead", Address: host, Port: port, Auth: AuthBasic, User: testUser, Password: testPassword}

	t.Run("open on a host that never answers: caller deadline", func(t *testing.T) {
		c := newClient(t, Options{})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c.Open(ctx, deadTarget)
		if kindOf(t, err) != KindTimeout || !strings.Contains(err.Error(), "caller's deadline") {
			t.Errorf("got %v", err)
		}
		if len(c.slots) != 0 || len(c.sem) != 0 {
			t.Error("slots not released")
		}
	})
	t.Run("open on a host that never answers: step deadline", func(t *testing.T) {
		c := newClient(t, Options{}) // default 5m: the target's own StepTimeout wins
		tg := deadTarget
		tg.StepTimeout = 300 * time.Millisecond
		_, err := c.Open(context.Background(), tg)
		if kindOf(t, err) != KindTimeout || !strings.Contains(err.Error(), "step deadline of 300ms") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("open canceled", func(t *testing.T) {
		c := newClient(t, Options{})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		_, err := c.Open(ctx, deadTarget)
		if kindOf(t, err) != KindCanceled {
			t.Errorf("got %v", err)
		}
	})
	t.Run("hung command: step deadline, then terminate", func(t *testing.T) {
		handlerDone := make(chan struct{})
		srv := startFake(t, winrmtest.Options{Handler: psHandler(hang(handlerDone))})
		c := newClient(t, Options{})
		s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Run(context.Background(), Command{Script: "wbadmin start backup", Timeout: 300 * time.Millisecond})
		if kindOf(t, err) != KindTimeout || res.ExitCode != -1 {
			t.Fatalf("got %v, exit %d", err, res.ExitCode)
		}
		// Run returned while the command still ran; the background
		// terminate signal then ends it, before any Close.
		select {
		case <-handlerDone:
		case <-time.After(5 * time.Second):
			t.Fatal("the hung command was never terminated")
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if srv.Count(winrmtest.ActionDelete) != 1 {
			t.Error("no Delete")
		}
	})
	t.Run("long latency, caller cancels", func(t *testing.T) {
		srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
		c := newClient(t, Options{})
		s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Action: winrmtest.ActionReceive, Delay: time.Hour})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		noHang(t, "Run", func() { _, err = s.Run(ctx, Command{Script: "Get-Date"}) })
		if kindOf(t, err) != KindCanceled {
			t.Errorf("got %v", err)
		}
		srv.ClearFaults()
		res, err := s.Run(context.Background(), Command{Script: "still usable"})
		if err != nil || res.Stdout != "still usable" {
			t.Errorf("next step: %q, %v", res.Stdout, err)
		}
	})
	t.Run("run deadline", func(t *testing.T) {
		srv := startFake(t, winrmtest.Options{Handler: psHandler(hang(nil))})
		c := newClient(t, Options{RunTimeout: 400 * time.Millisecond})
		s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		_, err = s.Run(context.Background(), Command{Script: "x", Timeout: time.Minute})
		if kindOf(t, err) != KindTimeout || !strings.Contains(err.Error(), "run deadline") {
			t.Errorf("got %v", err)
		}
	})
	t.Run("host dies mid-session: Run and Close stay bounded", func(t *testing.T) {
		srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
		c := newClient(t, Options{})
		s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
		if err != nil {
			t.Fatal(err)
		}
		srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultLatency, Delay: time.Hour})
		_, err = s.Run(context.Background(), Command{Script: "x", Timeout: 200 * time.Millisecond})
		if kindOf(t, err) != KindTimeout {
			t.Errorf("Run: %v", err)
		}
		noHang(t, "Close", func() { err = s.Close() })
		if err == nil || kindOf(t, err) != KindTimeout {
			t.Errorf("Close: %v", err)
		}
		if len(c.slots) != 0 || len(c.sem) != 0 {
			t.Error("slots not released")
		}
	})
	t.Run("close cancels a running step", func(t *testing.T) {
		started := make(chan struct{})
		srv := startFake(t, winrmtest.Options{Handler: psHandler(func(ctx context.Context, _ psCall, _, _ io.Writer) int {
			close(started)
			<-ctx.Done()
			return 1
		})})
		c := newClient(t, Options{})
		s, err := c.Open(context.Background(), targetOf(srv, "srv01", false))
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() {
			_, err := s.Run(context.Background(), Command{Script: "x"})
			errc <- err
		}()
		<-started // the step is running (its Receive long-polls)
		noHang(t, "Close", func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := <-errc; kindOf(t, err) != KindCanceled || !strings.Contains(err.Error(), "session was closed") {
				t.Errorf("Run: %v", err)
			}
		})
	})
}

func TestOneRunPerTarget(t *testing.T) {
	var running, maxRunning atomic.Int32
	srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, _ psCall, _, _ io.Writer) int {
		n := running.Add(1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
		running.Add(-1)
		return 0
	})})
	c := newClient(t, Options{})
	tg := targetOf(srv, "srv01", false)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Exec(context.Background(), tg, Command{Script: "x"}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if maxRunning.Load() != 1 {
		t.Errorf("%d runs of one target at once, want 1", maxRunning.Load())
	}
	var seq []string
	for _, r := range srv.Requests() {
		if r.Action == winrmtest.ActionCreate || r.Action == winrmtest.ActionDelete {
			seq = append(seq, r.Action)
		}
	}
	if diff := cmp.Diff([]string{"Create", "Delete", "Create", "Delete", "Create", "Delete"}, seq); diff != "" {
		t.Errorf("shell lifetimes overlap (-want +got):\n%s", diff)
	}

	t.Run("waiting Open honours its context", func(t *testing.T) {
		s, err := c.Open(context.Background(), tg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := c.Open(ctx, tg); kindOf(t, err) != KindTimeout {
			t.Errorf("second Open: %v", err)
		}
		opened := make(chan *Session)
		go func() {
			s2, err := c.Open(context.Background(), tg)
			if err != nil {
				t.Error(err)
			}
			opened <- s2
		}()
		_ = s.Close()
		s2 := <-opened
		if s2 != nil {
			_ = s2.Close()
		}
	})

	t.Run("different names run in parallel", func(t *testing.T) {
		both := make(chan struct{})
		var arrived atomic.Int32
		srv2 := startFake(t, winrmtest.Options{Handler: psHandler(func(ctx context.Context, _ psCall, stdout, _ io.Writer) int {
			if arrived.Add(1) == 2 {
				close(both)
			}
			select {
			case <-both:
				_, _ = io.WriteString(stdout, "together")
			case <-ctx.Done():
			}
			return 0
		})})
		var wg sync.WaitGroup
		for _, name := range []string{"a", "b"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := c.Exec(context.Background(), targetOf(srv2, name, false), Command{Script: "x", Timeout: 5 * time.Second})
				if err != nil || res.Stdout != "together" {
					t.Errorf("%s: %q %v", name, res.Stdout, err)
				}
			}()
		}
		wg.Wait()
	})
}

// TestDeadTargetDoesNotHoldUpOthers runs 20 targets, one of which never
// answers, through the client's 5 slots: the 19 live ones all finish while
// the dead one is still opening (it ends only when the caller gives up),
// each with its 5 exchanges, and every slot is released afterwards.
func TestDeadTargetDoesNotHoldUpOthers(t *testing.T) {
	host, port := blackHole(t)
	var targets []Target
	for i := range 19 {
		srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, c psCall, stdout, _ io.Writer) int {
			_, _ = fmt.Fprintf(stdout, "%v", c.Params["N"])
			return 0
		})})
		targets = append(targets, targetOf(srv, fmt.Sprintf("live%02d", i), false))
	}
	dead := Target{Name: "dead", Address: host, Port: port, Auth: AuthBasic, User: testUser, Password: testPassword}
	targets = append(targets[:7], append([]Target{dead}, targets[7:]...)...) // somewhere in the middle
	c := newClient(t, Options{Concurrency: 5, StepTimeout: time.Hour})
	ctx, giveUp := context.WithCancel(context.Background())
	defer giveUp()
	var order []string
	got := map[string]hostResult{}
	for r := range fanOut(ctx, c, targets, len(targets), func(ctx context.Context, s *Session) error {
		res, err := s.Run(ctx, Command{Script: "$P.N", Params: map[string]any{"N": s.Name()}})
		if err != nil {
			return err
		}
		if res.Stdout != s.Name() {
			return fmt.Errorf("%s answered %q", s.Name(), res.Stdout)
		}
		return nil
	}) {
		order = append(order, r.Target)
		got[r.Target] = r
		if len(order) == 19 {
			giveUp() // every live target is done: only the dead one is left
		}
	}
	if len(order) != 20 || order[19] != "dead" {
		t.Fatalf("arrival order %v: want 20 results, the dead target's last", order)
	}
	for name, r := range got {
		if name == "dead" {
			if kindOf(t, r.Err) != KindCanceled || r.Index != 7 {
				t.Errorf("dead: %+v", r)
			}
			continue
		}
		// Create, Command, Send, Receive, Delete (no terminate signal).
		if r.Err != nil || r.CloseErr != nil || r.RoundTrips != 5 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if len(c.slots) != 0 || len(c.sem) != 0 {
		t.Error("slots not released")
	}
}

func TestNoPasswordInLogsOrErrors(t *testing.T) {
	var logs syncBuffer
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	c := newClient(t, Options{Logger: debugLogger(&logs), StepTimeout: 300 * time.Millisecond})
	tg := targetOf(srv, "srv01", false)
	var errs []error
	collect := func(_ Result, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	collect(c.Exec(context.Background(), tg, Command{Script: "ok", Params: map[string]any{"x": 1}}))
	wrong := tg
	wrong.Password = "An0ther-S3cret"
	collect(c.Exec(context.Background(), wrong, Command{Script: "x"}))
	ntlmWrong := wrong
	ntlmWrong.Auth = AuthNTLM
	collect(c.Exec(context.Background(), ntlmWrong, Command{Script: "x"}))
	srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultGarbage, Action: winrmtest.ActionReceive, Count: 1})
	collect(c.Exec(context.Background(), tg, Command{Script: "x"}))
	host, port := blackHole(t)
	deadTg := tg
	deadTg.Address, deadTg.Port = host, port
	collect(c.Exec(context.Background(), deadTg, Command{Script: "x"}))
	if len(errs) != 4 {
		t.Fatalf("%d errors, want 4: %v", len(errs), errs)
	}
	all := logs.String()
	for _, e := range errs {
		all += e.Error() + fmt.Sprintf("%+v %#v", e, e) + e.(*Error).Explain()
		b, _ := json.Marshal(e)
		all += string(b)
	}
	for _, pw := range []string{testPassword, "An0ther-S3cret", base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))} {
		if strings.Contains(all, pw) {
			t.Errorf("%q leaked", pw)
		}
	}
	for _, msg := range []string{`"msg":"remote: session opened"`, `"msg":"remote: step finished"`, `"msg":"remote: open failed"`,
		`"round_trips":`, `"target":"srv01"`, `"exit":0`} {
		if !strings.Contains(all, msg) {
			t.Errorf("logs lack %s", msg)
		}
	}
}

// TestSendFailureTerminatesCommand: when stdin cannot be sent (here the
// server answers the Send with ERROR_BUSY), the step fails with that
// error, no Receive is sent, and the command, still waiting for its
// stdin, is sent Signal terminate (in the background, so before or after
// the shell's Delete).
func TestSendFailureTerminatesCommand(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultBusy, Action: winrmtest.ActionSend, Count: 1})
	c := newClient(t, Options{})
	_, err := c.Exec(context.Background(), targetOf(srv, "srv01", false), Command{Script: "x $P.Y", Params: map[string]any{"Y": 1}})
	var re *Error
	if !errors.As(err, &re) || re.Kind != KindBusy || re.Op != opSend {
		t.Fatalf("Exec error = %v, want %s on %s", err, KindBusy, opSend)
	}
	got := actions(srv.Requests())
	if len(got) == 5 {
		slices.Sort(got[3:])
	}
	if want := []string{"Create", "Command", "Send", "Delete", "Signal"}; !cmp.Equal(want, got) {
		t.Errorf("SOAP messages %v, want %v (the last two in any order)", got, want)
	}
}

// TestEncodedLineCache: a script without parameters is encoded once per
// Client and sent whole on its command line; the same script with
// parameters still goes on stdin, with its own parameters, and every
// step's output is its own.
func TestEncodedLineCache(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(func(_ context.Context, c psCall, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "%s %v", c.Script, c.Params["N"])
		return 0
	})})
	c := newClient(t, Options{})
	tg := targetOf(srv, "srv01", false)
	for i, tc := range []struct {
		params map[string]any
		want   string
	}{
		{nil, "Get-WBSummary <nil>"},
		{nil, "Get-WBSummary <nil>"},
		{map[string]any{"N": 7}, "Get-WBSummary 7"},
		{nil, "Get-WBSummary <nil>"},
	} {
		res, err := c.Exec(context.Background(), tg, Command{Script: "Get-WBSummary", Params: tc.params})
		if err != nil || res.Stdout != tc.want {
			t.Fatalf("run %d: %q, %v; want %q", i, res.Stdout, err, tc.want)
		}
	}
	var lines []string
	for _, r := range srv.Requests() {
		if r.Action == winrmtest.ActionCommand {
			lines = append(lines, r.Command)
		}
	}
	if len(lines) != 4 || lines[0] != lines[1] || lines[1] != lines[3] || lines[2] != bootstrapLine {
		t.Errorf("command lines: inline ones should repeat, the one with parameters be the bootstrap: %.60q", lines)
	}
	if n := srv.Count(winrmtest.ActionSend); n != 1 {
		t.Errorf("%d Sends, want 1 (the run with parameters)", n)
	}
	c.encodedMu.Lock()
	defer c.encodedMu.Unlock()
	if line, ok := c.encoded["Get-WBSummary"]; len(c.encoded) != 1 || !ok || line != lines[0] {
		t.Errorf("the client keeps %d encoded lines, want the one of the script without parameters", len(c.encoded))
	}
}

// TestQuietStepLogsSuccessAtDebug: a Quiet step (the audit's collection,
// run on every server at once) logs its success at debug level, not
// info, as other steps do.
func TestQuietStepLogsSuccessAtDebug(t *testing.T) {
	srv := startFake(t, winrmtest.Options{Handler: psHandler(echoScript)})
	var logs syncBuffer
	c := newClient(t, Options{Logger: debugLogger(&logs)})
	tg := targetOf(srv, "srv01", false)
	levelOf := func(step string) []string {
		var levels []string
		for line := range strings.Lines(logs.String()) {
			var rec struct{ Level, Msg, Step string }
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q: %v", line, err)
			}
			if rec.Step == step && strings.HasPrefix(rec.Msg, "remote: step ") {
				levels = append(levels, rec.Level+" "+rec.Msg)
			}
		}
		return levels
	}
	for _, cmd := range []Command{
		{Script: "ok", Name: "quiet", Quiet: true},
		{Script: "ok", Name: "loud"},
	} {
		if _, err := c.Exec(context.Background(), tg, cmd); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := levelOf("quiet"), []string{"DEBUG remote: step finished"}; !cmp.Equal(got, want) {
		t.Errorf("quiet step logged %q, want %q", got, want)
	}
	if got, want := levelOf("loud"), []string{"INFO remote: step finished"}; !cmp.Equal(got, want) {
		t.Errorf("step logged %q, want %q", got, want)
	}
}
