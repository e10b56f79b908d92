package winrmtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/masterzen/winrm"
)

// TestParseRequestFixtures parses the recorded pypsrp requests.
func TestParseRequestFixtures(t *testing.T) {
	tests := []struct {
		file string
		want message
	}{
		{
			file: "req_01_create_shell_request.xml",
			want: message{
				ActionURI: actionURICreate, Action: ActionCreate,
				MessageID: "uuid:CC7A3077-2D6E-45A9-8117-A3ECA1BEAD7C", To: "http://192.168.56.11:5985/wsman",
				ResourceURI: uriCmdShell, MaxEnvelopeSize: "153600", OperationTimeout: "PT10S", Locale: "en-US",
				HasShell: true,
			},
		},
		{
			file: "req_03_receive_request.xml",
			want: message{
				ActionURI: actionURIReceive, Action: ActionReceive,
				MessageID: "uuid:AC9A2078-650B-4F5A-8023-6A37A2F06331", To: "http://192.168.56.11:5985/wsman",
				ResourceURI: uriCmdShell, MaxEnvelopeSize: "153600", OperationTimeout: "PT10S", Locale: "en-US",
				ShellID:   "849551A1-CEC2-4ABD-8B62-652AD1053E9B",
				Options:   []option{{Name: "WSMAN_CMDSHELL_OPTION_KEEPALIVE", Value: "True"}},
				CommandID: "D644AE56-61E5-4C1A-A135-E599B76B3035", DesiredStreams: "stdout stderr",
			},
		},
		{
			file: "req_06_signal_ctrl_c_request.xml",
			want: message{
				ActionURI: actionURISignal, Action: ActionSignal,
				MessageID: "uuid:5A4DAF7E-8805-44E3-9A3E-DE880CF1A2F9", To: "http://192.168.56.11:5985/wsman",
				ResourceURI: uriCmdShell, MaxEnvelopeSize: "153600", OperationTimeout: "PT10S", Locale: "en-US",
				ShellID:    "849551A1-CEC2-4ABD-8B62-652AD1053E9B",
				CommandID:  "D644AE56-61E5-4C1A-A135-E599B76B3035",
				SignalCode: signalURIPrefix + "ctrl_c",
			},
		},
		{
			file: "req_09_create_shell_codepage65001_request.xml",
			want: message{
				ActionURI: actionURICreate, Action: ActionCreate,
				MessageID: "uuid:E24E8464-747B-4A9F-8553-230587918751", To: "http://192.168.56.15:5985/wsman",
				ResourceURI: uriCmdShell, MaxEnvelopeSize: "153600", OperationTimeout: "PT20S", Locale: "en-US",
				Options:  []option{{Name: "WINRS_CODEPAGE", Value: "65001"}},
				HasShell: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got, err := parseMessage(readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("parseMessage: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got, cmp.AllowUnexported(message{}, option{})); diff != "" {
				t.Errorf("parseMessage mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestParseMasterzenRequests parses the requests masterzen builds (env/a/w
// prefixes, CDATA command text, repeated rsp:Arguments, base64 stdin).
func TestParseMasterzenRequests(t *testing.T) {
	const url = "http://127.0.0.1:5985/wsman"
	const shellID = "11111111-2222-4333-8444-555555555555"
	const cmdID = "AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE"
	params := winrm.NewParameters("PT60.000S", "ja-JP", 153600)
	tests := []struct {
		name  string
		req   string
		check func(t *testing.T, m *message)
	}{
		{"create", winrm.NewOpenShellRequest(url, params).String(), func(t *testing.T, m *message) {
			if m.Action != ActionCreate || !m.HasShell || m.Locale != "ja-JP" {
				t.Errorf("got action %q shell %v locale %q", m.Action, m.HasShell, m.Locale)
			}
			if v, _ := m.option("WINRS_CODEPAGE"); v != "65001" {
				t.Errorf("WINRS_CODEPAGE = %q, want 65001", v)
			}
			if v, _ := m.option("winrs_noprofile"); v != "FALSE" {
				t.Errorf("WINRS_NOPROFILE = %q, want FALSE", v)
			}
			if d, err := parseDuration(m.OperationTimeout); err != nil || d != 60*time.Second {
				t.Errorf("OperationTimeout %q = %v, %v", m.OperationTimeout, d, err)
			}
		}},
		{"command with CDATA and arguments", winrm.NewExecuteCommandRequest(url, shellID,
			`echo a&b <c> "d"`, []string{"x & y", "<z>", "plain"}, params).String(), func(t *testing.T, m *message) {
			if m.Action != ActionCommand || m.ShellID != shellID {
				t.Errorf("got action %q shell %q", m.Action, m.ShellID)
			}
			if m.Command != `echo a&b <c> "d"` {
				t.Errorf("Command = %q", m.Command)
			}
			if diff := cmp.Diff([]string{"x & y", "<z>", "plain"}, m.Arguments); diff != "" {
				t.Errorf("Arguments (-want +got):\n%s", diff)
			}
			if got, want := m.commandLine(), `echo a&b <c> "d" x & y <z> plain`; got != want {
				t.Errorf("commandLine = %q, want %q", got, want)
			}
			if v, _ := m.option("WINRS_CONSOLEMODE_STDIN"); v != "TRUE" {
				t.Errorf("WINRS_CONSOLEMODE_STDIN = %q", v)
			}
		}},
		{"receive", winrm.NewGetOutputRequest(url, shellID, cmdID, "stdout stderr", params).String(), func(t *testing.T, m *message) {
			if m.Action != ActionReceive || m.CommandID != cmdID || m.DesiredStreams != "stdout stderr" {
				t.Errorf("got %q %q %q", m.Action, m.CommandID, m.DesiredStreams)
			}
		}},
		{"send with end", winrm.NewSendInputRequest(url, shellID, cmdID, []byte("héllo\n"), true, params).String(), func(t *testing.T, m *message) {
			want := []inputStream{{Name: "stdin", CommandID: cmdID, End: true, Data: "aMOpbGxvCg=="}}
			if diff := cmp.Diff(want, m.Streams, cmp.AllowUnexported(inputStream{})); diff != "" {
				t.Errorf("Streams (-want +got):\n%s", diff)
			}
		}},
		{"signal", winrm.NewSignalRequest(url, shellID, cmdID, params).String(), func(t *testing.T, m *message) {
			if m.Action != ActionSignal || m.CommandID != cmdID || m.SignalCode != signalURIPrefix+"terminate" {
				t.Errorf("got %q %q %q", m.Action, m.CommandID, m.SignalCode)
			}
		}},
		{"delete", winrm.NewDeleteShellRequest(url, shellID, params).String(), func(t *testing.T, m *message) {
			if m.Action != ActionDelete || m.ShellID != shellID || m.MessageID == "" {
				t.Errorf("got %q %q %q", m.Action, m.ShellID, m.MessageID)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := parseMessage([]byte(tt.req))
			if err != nil {
				t.Fatalf("parseMessage: %v\n%s", err, tt.req)
			}
			tt.check(t, m)
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"not xml", "hello"},
		{"wrong root", `<Envelope xmlns="urn:other"><Header/></Envelope>`},
		{"soap 1.1 namespace", `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>`},
		{"truncated", `<s:Envelope xmlns:s="` + nsSoap + `"><s:Header>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, err := parseMessage([]byte(tt.body)); err == nil {
				t.Errorf("parseMessage(%q) = %+v, want error", tt.body, m)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"PT60S", 60 * time.Second, false},
		{"PT20S", 20 * time.Second, false},
		{"PT60.000S", 60 * time.Second, false},
		{"PT7200.000S", 2 * time.Hour, false},
		{"PT0.5S", 500 * time.Millisecond, false},
		{"PT2M", 2 * time.Minute, false},
		{"P3DT2H", 74 * time.Hour, false},
		{"P0DT0H0M0S", 0, false},
		{"P1DT1H1M1.5S", 25*time.Hour + time.Minute + 1500*time.Millisecond, false},
		{"-PT1S", -time.Second, false},
		{"", 0, true},
		{"P", 0, true},
		{"PT", 0, true},
		{"60", 0, true},
		{"PT60", 0, true},
		{"PTS", 0, true},
		{"PT1H2H", 0, true},
		{"PT1S2M", 0, true},
		{"P1H", 0, true},
		{"PT1.5M", 0, true},
		{"PT1..5S", 0, true},
		{"P99999999999999999999Y", 0, true},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got := formatDuration(2 * time.Hour); got != "PT7200.000S" {
		t.Errorf("formatDuration(2h) = %q, want PT7200.000S", got)
	}
}

// fixtureShape returns the shape of a recorded response.
func fixtureShape(t *testing.T, name string) []string {
	t.Helper()
	n, err := parseTree(readFixture(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return n.shape()
}

func checkShape(t *testing.T, fixture string, r rawResponse, wantStatus int) {
	t.Helper()
	if r.status != wantStatus {
		t.Fatalf("%s: status %d, want %d: %s", fixture, r.status, wantStatus, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != contentTypeSOAP {
		t.Errorf("%s: Content-Type %q, want %q", fixture, ct, contentTypeSOAP)
	}
	if r.tree == nil {
		t.Fatalf("%s: response is not XML: %q", fixture, r.body)
	}
	if diff := cmp.Diff(fixtureShape(t, fixture), r.tree.shape()); diff != "" {
		t.Errorf("response differs in structure from %s (-windows +fake):\n%s", fixture, diff)
	}
}

// TestShapeDiscriminates shows that the structural comparison used by
// TestFixtureConformance tells the recorded responses apart.
func TestShapeDiscriminates(t *testing.T) {
	files := []string{
		"01_create_shell_response.xml", "02_command_response.xml", "03_receive_running_partial_stdout.xml",
		"04_receive_operation_timeout_fault.http500.xml", "05_receive_done_exitcode0.xml", "06_signal_response.xml",
		"07_delete_response.xml", "08_receive_stdout_stderr_exitcode1.xml",
		"10_fault_invalid_selectors_unknown_commandid.http500.xml", "11_fault_command_too_long_masterzen.http500.xml",
	}
	for i, a := range files {
		for _, b := range files[i+1:] {
			if cmp.Equal(fixtureShape(t, a), fixtureShape(t, b)) {
				t.Errorf("%s and %s have the same shape", a, b)
			}
		}
	}
	// 04 and 12 are the same fault from two machines.
	if diff := cmp.Diff(fixtureShape(t, "04_receive_operation_timeout_fault.http500.xml"), fixtureShape(t, "12_operation_timeout_fault_masterzen.xml")); diff != "" {
		t.Errorf("04 and 12 differ:\n%s", diff)
	}
}

// replay substitutes the recorded ids in a request fixture.
func replay(t *testing.T, name string, subst ...string) string {
	t.Helper()
	return strings.NewReplacer(subst...).Replace(string(readFixture(t, name)))
}

func relatesTo(r rawResponse) string {
	if n := r.tree.find(nsAddr, "RelatesTo"); len(n) == 1 {
		return n[0].text
	}
	return ""
}

// TestFixtureConformance drives the server through the recorded sessions
// and compares every response structurally with what Windows sent:
// namespace + local name of every element, the attributes that matter,
// and the fixed texts (actions, fault codes and subcodes, resource URIs).
func TestFixtureConformance(t *testing.T) {
	release := make(chan struct{})
	wrote := make(chan struct{})
	handler := HandlerFunc(func(ctx context.Context, cmd Command, stdin io.Reader, stdout, stderr io.Writer) int {
		switch cmd.Line {
		case "pypsrp timeout":
			// test_winrs_operation_timeout: "hi", "\n"; later "hi", " again\n".
			io.WriteString(stdout, "hi")
			io.WriteString(stdout, "\n")
			close(wrote)
			select {
			case <-release:
			case <-ctx.Done():
				return 1
			}
			io.WriteString(stdout, "hi")
			io.WriteString(stdout, " again\n")
			return 0
		case "cmd.exe /c echo out && echo err>&2 && exit 1":
			io.WriteString(stdout, "out \r\n")
			io.WriteString(stderr, "err \r\n")
			return 1
		case "powershell.exe Write-Host こんにちは":
			io.WriteString(stdout, "こんにちは")
			io.WriteString(stdout, "\n")
			return 0
		case "silent":
			<-ctx.Done()
			return 1
		}
		return 0
	})
	s := startServer(t, Options{User: "vagrant", Password: "vagrant", Handler: handler, MaxOperationTimeout: 100 * time.Millisecond})
	c := newRawClient(t, s, "vagrant", "vagrant")

	// 01: replay pypsrp's Create.
	r := c.post(string(readFixture(t, "req_01_create_shell_request.xml")))
	checkShape(t, "01_create_shell_response.xml", r, http.StatusOK)
	if got, want := relatesTo(r), "uuid:CC7A3077-2D6E-45A9-8117-A3ECA1BEAD7C"; got != want {
		t.Errorf("01: RelatesTo %q, want %q", got, want)
	}
	shellID := r.tree.find(nsWsman, "Selector")[0].text
	if ids := r.tree.find(nsShell, "ShellId"); len(ids) != 1 || ids[0].text != shellID {
		t.Errorf("01: rsp:ShellId %v differs from the selector %q", ids, shellID)
	}
	if owner := r.tree.find(nsShell, "Owner"); len(owner) != 1 || owner[0].text != "vagrant" {
		t.Errorf("01: rsp:Owner = %v, want vagrant", owner)
	}

	// 02: Command.
	r = c.command(shellID, "pypsrp", "timeout")
	checkShape(t, "02_command_response.xml", r, http.StatusOK)
	cmdID := r.tree.find(nsShell, "CommandId")[0].text
	ids := []string{"849551A1-CEC2-4ABD-8B62-652AD1053E9B", shellID, "D644AE56-61E5-4C1A-A135-E599B76B3035", cmdID}

	// 03: replay pypsrp's Receive: two stdout chunks, Running, RelatesTo
	// the recorded MessageID.
	<-wrote
	r = c.post(replay(t, "req_03_receive_request.xml", ids...))
	checkShape(t, "03_receive_running_partial_stdout.xml", r, http.StatusOK)
	if got, want := relatesTo(r), "uuid:AC9A2078-650B-4F5A-8023-6A37A2F06331"; got != want {
		t.Errorf("03: RelatesTo %q, want %q", got, want)
	}
	if got := r.tree.find(nsShell, "Stream"); len(got) != 2 || got[0].text != "aGk=" || got[1].text != "Cg==" {
		t.Errorf("03: streams %v, want aGk= and Cg==", got)
	}

	// 04: nothing more arrives within the (capped) OperationTimeout.
	r = c.post(replay(t, "req_03_receive_request.xml", append(ids, "uuid:AC9A2078", "uuid:04040404")...))
	checkShape(t, "04_receive_operation_timeout_fault.http500.xml", r, http.StatusInternalServerError)
	if got := relatesTo(r); !strings.HasPrefix(got, "uuid:04040404") {
		t.Errorf("04: RelatesTo %q does not echo the request", got)
	}

	// 05: the rest of the output and Done.
	close(release)
	waitExited(t, s, shellID, cmdID)
	r = c.post(replay(t, "req_03_receive_request.xml", append(ids, "uuid:AC9A2078", "uuid:05050505")...))
	checkShape(t, "05_receive_done_exitcode0.xml", r, http.StatusOK)
	if got := r.tree.find(nsShell, "Stream"); len(got) != 4 || got[0].text != "aGk=" || got[1].text != "IGFnYWluCg==" {
		t.Errorf("05: streams %v", got)
	}

	// 06: replay pypsrp's Signal ctrl_c.
	r = c.post(replay(t, "req_06_signal_ctrl_c_request.xml", ids...))
	checkShape(t, "06_signal_response.xml", r, http.StatusOK)
	if got, want := relatesTo(r), "uuid:5A4DAF7E-8805-44E3-9A3E-DE880CF1A2F9"; got != want {
		t.Errorf("06: RelatesTo %q, want %q", got, want)
	}

	// 08: stdout and stderr, exit code 1.
	id8 := c.mustCommand(shellID, "cmd.exe /c echo out && echo err>&2 && exit 1")
	waitExited(t, s, shellID, id8)
	r = c.receive(shellID, id8)
	checkShape(t, "08_receive_stdout_stderr_exitcode1.xml", r, http.StatusOK)
	if got := r.tree.find(nsShell, "Stream"); len(got) != 4 || got[0].text != "b3V0IA0K" || got[1].text != "ZXJyIA0K" {
		t.Errorf("08: streams %v", got)
	}

	// 10: Receive for a CommandId that does not exist.
	r = c.receive(shellID, "6B9B1BF3-0B2A-4D26-9D1C-2C2A6E1D0000")
	checkShape(t, "10_fault_invalid_selectors_unknown_commandid.http500.xml", r, http.StatusInternalServerError)

	// 11: a command line longer than cmd.exe accepts.
	r = c.command(shellID, "powershell.exe -EncodedCommand "+strings.Repeat("A", 9000))
	checkShape(t, "11_fault_command_too_long_masterzen.http500.xml", r, http.StatusInternalServerError)

	// 07: Delete.
	r = c.delete(shellID)
	checkShape(t, "07_delete_response.xml", r, http.StatusOK)

	// 09: replay the 65001 Create, then Write-Host こんにちは.
	r = c.post(string(readFixture(t, "req_09_create_shell_codepage65001_request.xml")))
	checkShape(t, "01_create_shell_response.xml", r, http.StatusOK)
	shell9 := r.tree.find(nsWsman, "Selector")[0].text
	id9 := c.mustCommand(shell9, "powershell.exe", "Write-Host", "こんにちは")
	waitExited(t, s, shell9, id9)
	r = c.receive(shell9, id9)
	checkShape(t, "09_receive_utf8_japanese_codepage65001.xml", r, http.StatusOK)
	if got := r.tree.find(nsShell, "Stream"); len(got) != 4 || got[0].text != "44GT44KT44Gr44Gh44Gv" || got[1].text != "Cg==" {
		t.Errorf("09: streams %v", got)
	}
	c.delete(shell9)
}

// TestRelatesToOnEveryResponse checks a:RelatesTo on success, fault and
// injected-fault responses, including an id that needs escaping.
func TestRelatesToOnEveryResponse(t *testing.T) {
	s := startServer(t, Options{MaxOperationTimeout: 50 * time.Millisecond,
		Handler: HandlerFunc(func(ctx context.Context, _ Command, _ io.Reader, _, _ io.Writer) int { <-ctx.Done(); return 0 })})
	c := newRawClient(t, s, "u", "p")
	shellID := c.mustCreate(65001)
	cmdID := c.mustCommand(shellID, "x")
	const id = `uuid:odd<&>"'id`
	const escaped = `uuid:odd&lt;&amp;&gt;&quot;&apos;id`
	tests := []struct {
		name   string
		body   string
		status int
	}{
		{"receive timeout", c.envelope(actionURIReceive, escaped, shellID, "", `<rsp:Receive><rsp:DesiredStream CommandId="`+cmdID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`), 500},
		{"send", c.envelope(actionURISend, escaped, shellID, "", `<rsp:Send><rsp:Stream Name="stdin" CommandId="`+cmdID+`">aGk=</rsp:Stream></rsp:Send>`), 200},
		{"unknown shell", c.envelope(actionURIDelete, escaped, "NOPE", "", ""), 500},
		{"unknown action", c.envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate", escaped, "", "", ""), 500},
		{"signal", c.envelope(actionURISignal, escaped, shellID, "", `<rsp:Signal CommandId="`+cmdID+`"><rsp:Code>`+signalURIPrefix+`terminate</rsp:Code></rsp:Signal>`), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post(tt.body)
			if r.status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.status, tt.status, r.body)
			}
			if got := relatesTo(r); got != id {
				t.Errorf("RelatesTo %q, want %q", got, id)
			}
		})
	}
	s.Inject(Fault{Kind: FaultBusy, Count: 1})
	r := c.post(tests[1].body)
	if r.status != 500 || relatesTo(r) != id || !strings.Contains(string(r.body), `Code="170"`) {
		t.Errorf("injected busy: status %d RelatesTo %q body %s", r.status, relatesTo(r), r.body)
	}
}

// TestRequestFaults checks the faults for malformed or unsupported
// requests.
func TestRequestFaults(t *testing.T) {
	s := startServer(t, Options{})
	c := newRawClient(t, s, "", "")
	shellID := c.mustCreate(0)
	tests := []struct {
		name    string
		body    string
		subcode string
		code    string
	}{
		{"not xml", "garbage", "w:SchemaValidationError", "2150858817"},
		{"no message id", c.envelope(actionURICreate, "", "", "", "<rsp:Shell/>"), "a:MessageInformationHeaderRequired", "2150858769"},
		{"unknown action", c.envelope(nsTransfer+"/Get", "uuid:1", "", "", ""), "a:ActionNotSupported", "2150858753"},
		{"powershell resource", strings.Replace(c.envelope(actionURICreate, "uuid:1", "", "", "<rsp:Shell/>"), uriCmdShell, "http://schemas.microsoft.com/powershell/Microsoft.PowerShell", 1), "w:DestinationUnreachable", "2150858752"},
		{"tiny envelope", strings.Replace(c.envelope(actionURICreate, "uuid:1", "", "", "<rsp:Shell/>"), ">153600<", ">1024<", 1), "w:EncodingLimit", "2150858878"},
		{"bad timeout", strings.Replace(c.envelope(actionURICreate, "uuid:1", "", "", "<rsp:Shell/>"), "PT20S", "soon", 1), "w:InvalidHeader", "2150858881"},
		{"bad codepage", c.envelope(actionURICreate, "uuid:1", "", `<wsman:OptionSet><wsman:Option Name="WINRS_CODEPAGE">12345</wsman:Option></wsman:OptionSet>`, "<rsp:Shell/>"), "w:InternalError", "87"},
		{"bad signal", c.envelope(actionURISignal, "uuid:1", shellID, "", `<rsp:Signal CommandId="X"><rsp:Code>`+signalURIPrefix+`bogus</rsp:Code></rsp:Signal>`), "w:InternalError", "87"},
		{"stdout as input", c.envelope(actionURISend, "uuid:1", shellID, "", `<rsp:Send><rsp:Stream Name="stdout" CommandId="X">aGk=</rsp:Stream></rsp:Send>`), "w:InvalidParameter", "2150859147"},
		{"request too large", c.envelope(actionURICreate, "uuid:1", "", "", "<rsp:Shell>"+strings.Repeat(" ", maxRequestSize)+"</rsp:Shell>"), "w:EncodingLimit", "2150858825"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := c.post(tt.body)
			if r.status != http.StatusInternalServerError || r.tree == nil {
				t.Fatalf("status %d, want 500 with a fault: %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != contentTypeSOAP {
				t.Errorf("Content-Type %q", ct)
			}
			vals := r.tree.find(nsSoap, "Value")
			if len(vals) != 2 || vals[1].text != tt.subcode {
				t.Errorf("subcode %v, want %s", vals, tt.subcode)
			}
			wf := r.tree.find(nsFault, "WSManFault")
			if len(wf) != 1 || wf[0].attr("Code") != tt.code {
				t.Errorf("WSManFault %v, want Code %s", wf, tt.code)
			}
		})
	}
}
