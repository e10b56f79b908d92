package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wsbbot/wsbbot/internal/secret"
)

func TestEncodePowerShellRoundTrip(t *testing.T) {
	big := strings.Repeat("# padding line for a long runbook script\n", 2600) + "Get-WBSummary"
	// The longest script without parameters that still fits the command
	// line, and one character more.
	fits := strings.Repeat("x", longestInline())
	tests := []struct {
		name   string
		script string
		params map[string]any
		want   map[string]any
		inline bool // the script is on the command line, stdin nil
	}{
		{"no params", "Get-Date", nil, map[string]any{}, true},
		{"empty params", "Get-Date", map[string]any{}, map[string]any{}, true},
		{"the collection script", checklistsLikeScript, nil, map[string]any{}, true},
		{"longest inline script", fits, nil, map[string]any{}, true},
		{"one character too long for the command line", fits + "y", nil, map[string]any{}, false},
		{"100 KB script without params", big, nil, map[string]any{}, false},
		{"injection attempt stays data", "Remove-Item $P.Path", map[string]any{
			"Path":  `'; Remove-Item C:\ -Recurse; '`,
			"Quote": `"double" 'single' $env:X ` + "`backtick` & | ; \r\n",
			"N":     3,
		}, map[string]any{
			"Path":  `'; Remove-Item C:\ -Recurse; '`,
			"Quote": `"double" 'single' $env:X ` + "`backtick` & | ; \r\n",
			"N":     float64(3),
		}, false},
		{"unicode", "Write-Output 'こんにちは'", map[string]any{"Drive": "Ｄ:", "Emoji": "💾"},
			map[string]any{"Drive": "Ｄ:", "Emoji": "💾"}, false},
		{"100 KB script", big, map[string]any{"Service": "wbengine"}, map[string]any{"Service": "wbengine"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			line, stdin, err := EncodePowerShell(tc.script, tc.params)
			if err != nil {
				t.Fatal(err)
			}
			if n := utf16Len(line); n > maxCmdLine {
				t.Errorf("command line has %d characters, over cmd.exe's %d", n, maxCmdLine)
			}
			if tc.inline {
				if stdin != nil {
					t.Errorf("stdin = %d bytes, want the script on the command line", len(stdin))
				}
			} else if line != bootstrapLine || stdin == nil {
				t.Errorf("command line %.100q with %d bytes of stdin, want the constant bootstrap and the script on stdin", line, len(stdin))
			}
			// stdin is never read for an inline script: a reader that
			// fails proves it.
			var in io.Reader = bytes.NewReader(stdin)
			if tc.inline {
				in = iotest.ErrReader(errors.New("stdin read"))
			}
			got, err := decodePS(line, in)
			if err != nil {
				t.Fatal(err)
			}
			if got.Script != tc.script {
				t.Errorf("script changed: got %d bytes, want %d", len(got.Script), len(tc.script))
			}
			if diff := cmp.Diff(tc.want, got.Params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
			for _, v := range tc.params {
				if s, ok := v.(string); ok && strings.Contains(line, s) {
					t.Errorf("parameter %q appears in the command line", s)
				}
			}
		})
	}
}

// checklistsLikeScript is about as long as checklists.CollectScript (which
// remote cannot import), the script every audit sends.
var checklistsLikeScript = strings.Repeat("$tg = @($pol.BackupTargets | Where-Object { $_ } | Select-Object Label, Path)\n", 13)

// longestInline finds the longest ASCII script without parameters that
// EncodePowerShell still puts on the command line.
func longestInline() int {
	n := sort.Search(maxCmdLine, func(n int) bool {
		_, stdin, _ := EncodePowerShell(strings.Repeat("x", n), nil)
		return stdin != nil
	})
	return n - 1
}

func TestEncodePowerShellBadParams(t *testing.T) {
	_, _, err := EncodePowerShell("x", map[string]any{"f": func() {}})
	if err == nil {
		t.Fatal("want an error for a parameter JSON cannot encode")
	}
}

func TestEncodePowerShellWireFormat(t *testing.T) {
	// Pin the exact bytes of ps-transport.md for a known input.
	line, stdin, err := EncodePowerShell("Get-Date", map[string]any{"A": "b"})
	if err != nil {
		t.Fatal(err)
	}
	wantFull := "$P = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('" +
		base64.StdEncoding.EncodeToString([]byte(`{"A":"b"}`)) + "')) | ConvertFrom-Json\nGet-Date"
	if got, want := string(stdin), base64.StdEncoding.EncodeToString([]byte(wantFull))+"\r\n"; got != want {
		t.Errorf("stdin = %q, want %q", got, want)
	}
	if !strings.HasPrefix(line, "powershell.exe -NoLogo -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand ") {
		t.Errorf("command line = %q", line)
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseEnvelopeFixtures(t *testing.T) {
	tests := []struct {
		file string
		want *Fault
		kind Kind
	}{
		{"04_receive_operation_timeout_fault.http500.xml", &Fault{Code: 2150858793, Subcode: "TimedOut",
			Reason:  "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
			Message: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.",
			Machine: "192.168.56.11"}, KindTimeout},
		{"10_fault_invalid_selectors_unknown_commandid.http500.xml", nil, KindFault},
		{"11_fault_command_too_long_masterzen.http500.xml", &Fault{Code: 2147942606, Subcode: "InternalError",
			Reason: "The filename or extension is too long.", Message: "The filename or extension is too long.",
			Machine: "52.12.219.136"}, KindCommandTooLong},
		{"12_operation_timeout_fault_masterzen.xml", nil, KindTimeout},
		{"05_receive_done_exitcode0.xml", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := parseEnvelope(readFixture(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if tc.kind == "" {
				if f != nil {
					t.Fatalf("fault %v in a normal response", f)
				}
				return
			}
			if f == nil {
				t.Fatal("no fault found")
			}
			if tc.want != nil {
				if diff := cmp.Diff(tc.want, f); diff != "" {
					t.Errorf("fault (-want +got):\n%s", diff)
				}
			}
			if got := classifyFault(f); got != tc.kind {
				t.Errorf("kind = %s, want %s", got, tc.kind)
			}
		})
	}
}

func TestParseEnvelopeRejects(t *testing.T) {
	for _, in := range []string{"", "not xml", "<html><body>IIS</body></html>",
		`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>`,
		`<Envelope><Body/></Envelope>`} {
		if _, err := parseEnvelope([]byte(in)); err == nil {
			t.Errorf("parseEnvelope(%q) accepted it", in)
		}
	}
}

func TestClassifyFault(t *testing.T) {
	tests := []struct {
		f    Fault
		want Kind
	}{
		{Fault{Code: 2150858793, Reason: "OperationTimeout で指定された時間内に操作を完了できませんでした。"}, KindTimeout},
		{Fault{Code: 2150859173, Reason: "The maximum number of concurrent shells for this user has been exceeded."}, KindQuota},
		{Fault{Code: 2150859174}, KindQuota},
		{Fault{Code: 1, Reason: "Change the MaxShellsPerUser setting"}, KindQuota},
		{Fault{Code: 2147942606}, KindCommandTooLong},
		{Fault{Code: 170}, KindBusy},
		{Fault{Code: 0x800700AA}, KindBusy},
		{Fault{Code: 5, Reason: "Access is denied."}, KindUnauthorized},
		{Fault{Code: 2150858770, Reason: "Unencrypted traffic is currently disabled in the service configuration."}, KindUnencrypted},
		{Fault{Code: 2150858843}, KindFault},
		{Fault{Code: 1359, Reason: "An internal error occurred."}, KindFault},
	}
	for _, tc := range tests {
		if got := classifyFault(&tc.f); got != tc.want {
			t.Errorf("classifyFault(%v) = %s, want %s", &tc.f, got, tc.want)
		}
	}
}

func TestParseFaultCode(t *testing.T) {
	for in, want := range map[string]uint32{"2150858793": 2150858793, "-2144108503": 2150858793, "0x80338029": 2150858793, "170": 170, "x": 0} {
		if got := parseFaultCode(in); got != want {
			t.Errorf("parseFaultCode(%q) = %d, want %d", in, got, want)
		}
	}
}

// timeoutErr is a net.Error that reports a timeout.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassifyTransport(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "http://h:5985/wsman", Err: err} }
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"refused", urlErr(opErr(syscall.ECONNREFUSED)), KindConnectionRefused},
		{"dns", urlErr(&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "srv01", IsNotFound: true}}), KindDNS},
		{"unknown CA", urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), KindTLSUnknownCA},
		{"name mismatch", urlErr(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "srv01"}), KindTLSNameMismatch},
		{"tls alert", urlErr(errors.New("remote error: tls: handshake failure")), KindTLS},
		{"header timeout", urlErr(errors.New("net/http: timeout awaiting response headers")), KindHeaderTimeout},
		{"eof", urlErr(io.EOF), KindConnectionDropped},
		{"unexpected eof", io.ErrUnexpectedEOF, KindConnectionDropped},
		{"reset", urlErr(&net.OpError{Op: "read", Err: &os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET}}), KindConnectionDropped},
		{"unreachable", urlErr(opErr(syscall.EHOSTUNREACH)), KindNetwork},
		{"dial timeout", urlErr(&net.OpError{Op: "dial", Err: timeoutErr{}}), KindNetwork},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, cause := classifyTransport(tc.err)
			if k != tc.want {
				t.Errorf("kind = %s, want %s (err %v)", k, tc.want, tc.err)
			}
			var ue *url.Error
			if errors.As(cause, &ue) {
				t.Errorf("cause still holds a *url.Error: masterzen would retry it forever")
			}
			e := &Error{Kind: k, Target: "srv01", Op: opReceive, Err: cause}
			masterzenSafe(t, e)
			if e.Explain() == "" {
				t.Error("no explanation")
			}
		})
	}
}

// masterzenSafe checks what masterzen's slurpAllOutput does with an error:
// only the OperationTimeout fault may make it retry, nothing may turn the
// exit code into 16001.
func masterzenSafe(t *testing.T, err error) {
	t.Helper()
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		t.Errorf("%v is a timing-out *url.Error: masterzen retries forever", err)
	}
	var re *Error
	opTimeout := errors.As(err, &re) && re.isOperationTimeout()
	if strings.Contains(err.Error(), "OperationTimeout") != opTimeout {
		t.Errorf("%q: OperationTimeout substring present = %v, want %v", err.Error(), !opTimeout, opTimeout)
	}
	if strings.Contains(err.Error(), "EOF") {
		t.Errorf("%q contains EOF: masterzen would report exit code 16001", err.Error())
	}
}

func TestErrorTextMasterzenSafe(t *testing.T) {
	opT := &Error{Kind: KindTimeout, Target: "srv", Op: opReceive, Err: &Fault{Code: FaultOperationTimeout,
		Reason: "OperationTimeout で指定された時間内に操作を完了できませんでした。"}}
	masterzenSafe(t, opT)
	other := &Error{Kind: KindBadResponse, Target: "srv", Op: opReceive,
		Err: fmt.Errorf("HTTP 502: body mentions OperationTimeout and %w", io.ErrUnexpectedEOF)}
	masterzenSafe(t, other)
	if !errors.Is(other, io.ErrUnexpectedEOF) {
		t.Error("sanitising the text must keep the cause for errors.Is")
	}
}

func TestInterpret(t *testing.T) {
	soapH := http.Header{"Content-Type": {"application/soap+xml;charset=UTF-8"}}
	unauthH := http.Header{"Www-Authenticate": {"Negotiate", "Kerberos", `Basic realm="WSMAN"`, "CredSSP"}}
	fault := func(code uint32, reason string) []byte {
		return []byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code>` +
			`<s:Reason><s:Text xml:lang="en-US">` + reason + `</s:Text></s:Reason><s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="` +
			fmt.Sprint(code) + `"><f:Message>` + reason + `</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>`)
	}
	tests := []struct {
		name   string
		status int
		h      http.Header
		body   []byte
		want   Kind
		detail string
	}{
		{"401", 401, unauthH, nil, KindUnauthorized, "Negotiate, Kerberos, Basic, CredSSP"},
		{"401 unencrypted", 401, http.Header{}, []byte("Unencrypted traffic is disabled"), KindUnencrypted, ""},
		{"500 unencrypted fault", 500, soapH, fault(2150858770, "The WinRM service refuses unencrypted traffic."), KindUnencrypted, "2150858770"},
		{"403 html", 403, http.Header{"Content-Type": {"text/html"}}, []byte("<html>Forbidden</html>"), KindBadResponse, "HTTP 403"},
		{"200 garbage", 200, soapH, []byte("\x00\x01garbage"), KindBadResponse, ""},
		{"200 not soap", 200, http.Header{"Content-Type": {"text/plain"}}, []byte("hello"), KindBadResponse, "text/plain"},
		{"500 quota", 500, soapH, fault(2150859173, "quota"), KindQuota, "2150859173"},
		{"500 generic", 500, soapH, fault(1359, "An internal error occurred."), KindFault, "1359"},
		{"fault in a 200", 200, soapH, fault(170, "busy"), KindBusy, "170"},
		{"502 empty", 502, http.Header{}, nil, KindBadResponse, "empty body"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := interpret(opCreate, tc.status, tc.h, tc.body, errCtx{target: "srv"})
			if err == nil {
				t.Fatal("no error")
			}
			if k := kindOf(t, err); k != tc.want {
				t.Errorf("kind = %s, want %s: %v", k, tc.want, err)
			}
			if !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("error %q lacks %q", err, tc.detail)
			}
			masterzenSafe(t, err)
		})
	}
	body, _, err := interpret(opCreate, 200, soapH, readFixture(t, "05_receive_done_exitcode0.xml"), errCtx{})
	if err != nil || !strings.Contains(string(body), "ReceiveResponse") {
		t.Errorf("a normal response: %v", err)
	}
	_, env, err := interpret(opCommand, 200, soapH, readFixture(t, "02_command_response.xml"), errCtx{})
	if err != nil || env.commandID != "D644AE56-61E5-4C1A-A135-E599B76B3035" {
		t.Errorf("CommandResponse: id %q, %v", env.commandID, err)
	}
}

func TestEveryKindExplained(t *testing.T) {
	kinds := []Kind{KindConnectionRefused, KindDNS, KindTLSUnknownCA, KindTLSNameMismatch, KindTLS, KindUnauthorized, KindAuthScheme,
		KindUnencrypted, KindQuota, KindCommandTooLong, KindTimeout, KindCanceled, KindHeaderTimeout,
		KindConnectionDropped, KindBadResponse, KindFault, KindBusy, KindNetwork, KindInvalid}
	seen := map[string]Kind{}
	for _, k := range kinds {
		e := &Error{Kind: k, Target: "srv01", Op: "open", HTTPStatus: 401}
		if e.Explain() == "" {
			t.Errorf("%s: no explanation", k)
		}
		if prev, ok := seen[e.Explain()]; ok {
			t.Errorf("%s and %s share an explanation", k, prev)
		}
		seen[e.Explain()] = k
		if strings.Contains(string(k), "-") && strings.Contains(e.Error(), string(k)) {
			t.Errorf("%s: Error() %q should be plain words, not the kind", k, e.Error())
		}
	}
	basic := (&Error{Kind: KindUnauthorized, HTTPStatus: 401, hint: hint{auth: AuthBasic}}).Explain()
	for _, want := range []string{`winrm set winrm/config/service/auth @{Basic="true"}`, "AllowUnencrypted"} {
		if !strings.Contains(basic, want) {
			t.Errorf("Basic 401 explanation lacks %q: %s", want, basic)
		}
	}
	krb := (&Error{Kind: KindUnauthorized, HTTPStatus: 401, hint: hint{auth: AuthKerberos, https: true}}).Explain()
	for _, want := range []string{"HTTP/<host>", "host name", "TrustedHosts"} {
		if !strings.Contains(krb, want) {
			t.Errorf("Kerberos 401 explanation lacks %q: %s", want, krb)
		}
	}
	q := (&Error{Kind: KindQuota}).Explain()
	if !strings.Contains(q, `winrm set winrm/config/winrs @{MaxShellsPerUser=`) {
		t.Errorf("quota explanation: %s", q)
	}
}

func TestCLIXMLFixture(t *testing.T) {
	// Fixture 13 carries PowerShell's CLIXML stderr as two base64 streams.
	var env struct {
		Streams []struct {
			Name string `xml:"Name,attr"`
			Data string `xml:",chardata"`
		} `xml:"Body>ReceiveResponse>Stream"`
	}
	if err := xml.Unmarshal(readFixture(t, "13_receive_ps_clixml_stderr_exitcode1_pywinrm.xml"), &env); err != nil {
		t.Fatal(err)
	}
	var stderr []byte
	for _, s := range env.Streams {
		if s.Name == "stderr" {
			b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s.Data))
			if err != nil {
				t.Fatal(err)
			}
			stderr = append(stderr, b...)
		}
	}
	if !bytes.HasPrefix(stderr, []byte("#< CLIXML\r\n<Objs")) {
		t.Fatalf("fixture stderr starts %q", stderr[:20])
	}
	got, _ := decodeStream(stderr, int64(len(stderr)), true)
	want := `Write-Error "Error" : Error
    + CategoryInfo          : NotSpecified: (:) [Write-Error], WriteErrorExcep 
   tion
    + FullyQualifiedErrorId : Microsoft.PowerShell.Commands.WriteErrorExceptio 
   n`
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CLIXML text (-want +got):\n%s", diff)
	}
}

func TestCLIXMLToText(t *testing.T) {
	const progress = `<Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN>` +
		`<MS><I64 N="SourceId">1</I64><PR N="Record"><AV>Preparing modules for first use.</AV><AI>0</AI><Nil /><PI>-1</PI>` +
		`<PC>-1</PC><T>Completed</T><SR>-1</SR><SD> </SD></PR></MS></Obj>`
	tests := []struct{ name, in, want string }{
		{"plain text untouched", "just an error\r\n", "just an error\r\n"},
		{"error, warning, verbose; progress dropped",
			"#< CLIXML\r\n<Objs Version=\"1.1.0.1\" xmlns=\"http://schemas.microsoft.com/powershell/2004/04\">" + progress +
				`<S S="Error">disk full_x000D__x000A_</S><S S="warning">low space_x000D__x000A_</S><S S="verbose">checked_x000D__x000A_</S></Objs>`,
			"disk full\nWARNING: low space\nVERBOSE: checked"},
		{"escapes", "#< CLIXML\r\n<Objs xmlns=\"http://schemas.microsoft.com/powershell/2004/04\"><S S=\"Error\">a_x0009_b _x005F_x000D_ _xD83D__xDCBE_ ドライブ</S></Objs>",
			"a\tb _x000D_ 💾 ドライブ"},
		{"two documents", "#< CLIXML\r\n<Objs><S S=\"Error\">one_x000A_</S></Objs>#< CLIXML\r\n<Objs><S S=\"Error\">two</S></Objs>", "one\ntwo"},
		{"text after the XML kept", "#< CLIXML\r\n<Objs><S S=\"Error\">one_x000A_</S></Objs>\r\nraw tail", "one\nraw tail"},
		{"cut short keeps what parsed", "#< CLIXML\r\n<Objs><S S=\"Error\">one_x000A_</S><S S=\"Error\">tw", "one\ntw"},
		{"not XML after header", "#< CLIXML\r\nnot xml at all", "#< CLIXML\r\nnot xml at all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CLIXMLToText(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCapBufferAndMarker(t *testing.T) {
	c := &capBuffer{max: 10}
	for _, p := range []string{"hello ", "wide world", "!!!"} {
		if n, err := c.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	kept, total := c.snapshot()
	if string(kept) != "hello wide" || total != 19 {
		t.Fatalf("kept %q total %d", kept, total)
	}
	s, _ := decodeStream(kept, total, false)
	if want := "hello wide\n[output truncated: 19 bytes produced, first 10 kept]"; s != want {
		t.Errorf("got %q, want %q", s, want)
	}
	// A cap in the middle of a UTF-8 character must not flip the decoding
	// to CP932.
	jp := []byte("バックアップ")
	s, enc := decodeStream(jp[:7], int64(len(jp)), false)
	if enc != "utf-8" || !strings.HasPrefix(s, "バッ\n[output truncated: 18 bytes produced, first 6 kept]") {
		t.Errorf("got %q (%s)", s, enc)
	}
}

func TestPasswordRedacted(t *testing.T) {
	const key = "-----BEGIN PRIVATE KEY-----MIIEv"
	tg := Target{Name: "srv01", Address: "10.0.0.5", User: "admin", Password: testPassword, ClientKeyPEM: key}
	js, _ := json.Marshal(tg)
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("t", "target", tg, "pw", tg.Password)
	outs := []string{
		fmt.Sprint(tg), fmt.Sprintf("%v %+v %#v %s %q", tg, tg, tg, tg.Password, tg.Password),
		fmt.Sprintf("%v %+v %#v %s %q %x", tg.Password, tg.Password, tg.Password, tg.Password, tg.Password, tg.Password),
		string(js), logBuf.String(),
	}
	outs = append(outs, fmt.Sprintf("%v %s %x %#v", tg.ClientKeyPEM, tg.ClientKeyPEM, tg.ClientKeyPEM, tg.ClientKeyPEM))
	for _, o := range outs {
		for _, value := range []string{testPassword, key, base64.StdEncoding.EncodeToString([]byte(key))} {
			if strings.Contains(o, value) || strings.Contains(o, fmt.Sprintf("%x", value)) {
				t.Errorf("value leaked: %s", o)
			}
		}
	}
	if !strings.Contains(string(js), secret.Redacted) {
		t.Errorf("JSON %s lacks %s", js, secret.Redacted)
	}
	if tg.Password.Reveal() != testPassword {
		t.Error("Reveal must return the password")
	}
}

func TestOptions(t *testing.T) {
	if _, err := New(Options{OperationTimeout: 30 * time.Second, HeaderTimeout: 30 * time.Second}); err == nil {
		t.Error("HeaderTimeout == OperationTimeout accepted")
	}
	if _, err := New(Options{OperationTimeout: 40 * time.Second}); err == nil {
		t.Error("OperationTimeout above the default HeaderTimeout accepted")
	}
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Concurrency: 100, OperationTimeout: 20 * time.Second, HeaderTimeout: 30 * time.Second,
		StepTimeout: 5 * time.Minute, RunTimeout: 30 * time.Minute, OutputCap: 1 << 20}
	got := c.o
	got.Logger = nil
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b func(context.Context, string, string) (net.Conn, error)) bool { return a == nil && b == nil })); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	for in, want := range map[time.Duration]string{20 * time.Second: "PT20S", 1500 * time.Millisecond: "PT1.500S"} {
		if got := isoDuration(in); got != want {
			t.Errorf("isoDuration(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestOpenRejectsInvalidTargets(t *testing.T) {
	c := newClient(t, Options{})
	tests := []struct {
		name string
		t    Target
		want string
	}{
		{"no address", Target{Name: "x", User: "u"}, "no address"},
		{"bad auth", Target{Address: "h", User: "u", Auth: "digest"}, "want ntlm"},
		{"cert over http", Target{Address: "h", Auth: AuthCertificate}, "needs HTTPS"},
		{"cert without key", Target{Address: "h", HTTPS: true, Auth: AuthCertificate, ClientCertPEM: []byte("x")}, "certificate and key"},
		{"no user", Target{Address: "h"}, "needs a user"},
		{"header below op timeout", Target{Address: "h", User: "u", HeaderTimeout: time.Second}, "must be greater"},
		{"bad CA", Target{Address: "h", User: "u", HTTPS: true, CACertPEM: []byte("junk")}, "no PEM"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.Open(context.Background(), tc.t)
			if err == nil {
				t.Fatal("accepted")
			}
			if k := kindOf(t, err); k != KindInvalid {
				t.Errorf("kind %s", k)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
	if n := len(c.slots); n != 0 {
		t.Errorf("%d target slots left behind", n)
	}
}

func TestOpOf(t *testing.T) {
	for body, want := range map[string]string{
		"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive</a:Action>": opReceive,
		"<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete</a:Action>":           opDelete,
		"<x/>": opOther,
	} {
		if got := opOf(body); got != want {
			t.Errorf("opOf(%q) = %s, want %s", body, got, want)
		}
	}
}

func FuzzCLIXMLToText(f *testing.F) {
	f.Add("#< CLIXML\r\n<Objs><S S=\"Error\">x_x000D__x000A_</S></Objs>")
	f.Add("#< CLIXML\r\n<Objs><Obj S=\"progress\"><S>p</S></Obj><S S=\"warning\">w</S>")
	f.Add("plain")
	f.Add("#< CLIXML\r\n<Objs><S>_xD83D_</S></Objs>")
	f.Fuzz(func(t *testing.T, s string) {
		out := CLIXMLToText(s)
		if !strings.HasPrefix(strings.TrimLeft(s, " \t\r\n\ufeff"), clixmlHeader) && out != s {
			t.Fatalf("non-CLIXML text changed: %q -> %q", s, out)
		}
		if strings.Contains(out, "\r") && strings.HasPrefix(strings.TrimLeft(s, " \t\r\n\ufeff"), clixmlHeader) && out != s {
			t.Fatalf("CR left in converted text %q", out)
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	for _, name := range []string{"04_receive_operation_timeout_fault.http500.xml", "11_fault_command_too_long_masterzen.http500.xml",
		"13_receive_ps_clixml_stderr_exitcode1_pywinrm.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"/>"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fault, err := parseEnvelope(b)
		if err != nil && fault != nil {
			t.Fatal("fault and error together")
		}
		if fault != nil {
			e := &Error{Kind: classifyFault(fault), Op: opReceive, Err: fault}
			var re *Error
			if errors.As(e, &re) && !re.isOperationTimeout() && strings.Contains(e.Error(), "OperationTimeout") {
				t.Fatalf("OperationTimeout leaked into %q", e.Error())
			}
			if strings.Contains(e.Error(), "EOF") {
				t.Fatalf("EOF leaked into %q", e.Error())
			}
		}
	})
}
