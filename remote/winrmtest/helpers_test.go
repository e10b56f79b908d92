package winrmtest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/masterzen/winrm"
)

const fixtureDir = "../../testdata/winrm-fixtures"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

// startServer starts a server on 127.0.0.1 and closes it at cleanup.
func startServer(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// newClient returns a masterzen client for s. params may be nil.
func newClient(t testing.TB, s *Server, user, pass string, edit func(*winrm.Endpoint, *winrm.Parameters)) *winrm.Client {
	t.Helper()
	ep := &winrm.Endpoint{
		Host:    s.Host(),
		Port:    s.Port(),
		HTTPS:   s.opts.TLS,
		CACert:  s.CACertPEM(),
		Timeout: 30 * time.Second,
	}
	p := *winrm.DefaultParameters
	if edit != nil {
		edit(ep, &p)
	}
	c, err := winrm.NewClientWithParameters(ep, user, pass, &p)
	if err != nil {
		t.Fatalf("new client: %v", err)
	}
	return c
}

// rawClient posts hand-written SOAP to s, with pypsrp's prefixes (s, wsa,
// wsman, rsp), unlike masterzen's (env, a, w, rsp).
type rawClient struct {
	t          testing.TB
	s          *Server
	user, pass string
	hc         *http.Client
	n          int
}

func newRawClient(t testing.TB, s *Server, user, pass string) *rawClient {
	tr := &http.Transport{}
	if s.opts.TLS {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CACertPEM())
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &rawClient{t: t, s: s, user: user, pass: pass, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

type rawResponse struct {
	status int
	header http.Header
	body   []byte
	tree   *node
}

// post sends body and parses the response (tree is nil for non-XML).
func (c *rawClient) post(body string) rawResponse {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.s.URL(), strings.NewReader(body))
	if err != nil {
		c.t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	if c.user != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read response: %v", err)
	}
	r := rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
	if len(b) > 0 {
		r.tree, _ = parseTree(b)
	}
	return r
}

func (c *rawClient) messageID() string {
	c.n++
	return fmt.Sprintf("uuid:0000AAAA-0000-4000-8000-%012d", c.n)
}

// envelope builds a request the way pypsrp does.
func (c *rawClient) envelope(action, msgID, shellID, options, body string) string {
	var b strings.Builder
	b.WriteString(`<s:Envelope xmlns:rsp="` + nsShell + `" xmlns:s="` + nsSoap + `" xmlns:wsa="` + nsAddr +
		`" xmlns:wsman="` + nsWsman + `" xmlns:wsmv="` + nsMSWsman + `"><s:Header>`)
	b.WriteString(`<wsa:Action s:mustUnderstand="true">` + action + `</wsa:Action>`)
	b.WriteString(`<wsman:Locale s:mustUnderstand="false" xml:lang="en-US" />`)
	b.WriteString(`<wsman:MaxEnvelopeSize s:mustUnderstand="true">153600</wsman:MaxEnvelopeSize>`)
	b.WriteString(`<wsa:MessageID>` + msgID + `</wsa:MessageID>`)
	b.WriteString(`<wsman:OperationTimeout>PT20S</wsman:OperationTimeout>`)
	b.WriteString(`<wsa:ReplyTo><wsa:Address s:mustUnderstand="true">` + uriAnonymous + `</wsa:Address></wsa:ReplyTo>`)
	b.WriteString(`<wsman:ResourceURI s:mustUnderstand="true">` + uriCmdShell + `</wsman:ResourceURI>`)
	b.WriteString(`<wsa:To>` + c.s.URL() + `</wsa:To>`)
	b.WriteString(options)
	if shellID != "" {
		b.WriteString(`<wsman:SelectorSet><wsman:Selector Name="ShellId">` + shellID + `</wsman:Selector></wsman:SelectorSet>`)
	}
	b.WriteString(`</s:Header><s:Body>` + body + `</s:Body></s:Envelope>`)
	return b.String()
}

// create opens a shell; codepage 0 sends no WINRS_CODEPAGE option.
func (c *rawClient) create(codepage int) rawResponse {
	c.t.Helper()
	opts := ""
	if codepage != 0 {
		opts = fmt.Sprintf(`<wsman:OptionSet s:mustUnderstand="true"><wsman:Option Name="WINRS_CODEPAGE">%d</wsman:Option></wsman:OptionSet>`, codepage)
	}
	return c.post(c.envelope(actionURICreate, c.messageID(), "", opts,
		`<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`))
}

func (c *rawClient) mustCreate(codepage int) string {
	c.t.Helper()
	r := c.create(codepage)
	if r.status != http.StatusOK {
		c.t.Fatalf("create: status %d: %s", r.status, r.body)
	}
	return r.tree.find(nsWsman, "Selector")[0].text
}

func (c *rawClient) command(shellID, cmd string, args ...string) rawResponse {
	c.t.Helper()
	var body strings.Builder
	body.WriteString(`<rsp:CommandLine><rsp:Command>`)
	xml.EscapeText(&body, []byte(cmd))
	body.WriteString(`</rsp:Command>`)
	for _, a := range args {
		body.WriteString(`<rsp:Arguments>`)
		xml.EscapeText(&body, []byte(a))
		body.WriteString(`</rsp:Arguments>`)
	}
	body.WriteString(`</rsp:CommandLine>`)
	return c.post(c.envelope(actionURICommand, c.messageID(), shellID,
		`<wsman:OptionSet s:mustUnderstand="true"><wsman:Option Name="WINRS_CONSOLEMODE_STDIN">TRUE</wsman:Option><wsman:Option Name="WINRS_SKIP_CMD_SHELL">FALSE</wsman:Option></wsman:OptionSet>`,
		body.String()))
}

func (c *rawClient) mustCommand(shellID, cmd string, args ...string) string {
	c.t.Helper()
	r := c.command(shellID, cmd, args...)
	if r.status != http.StatusOK {
		c.t.Fatalf("command: status %d: %s", r.status, r.body)
	}
	return r.tree.find(nsShell, "CommandId")[0].text
}

func (c *rawClient) receive(shellID, commandID string) rawResponse {
	c.t.Helper()
	return c.post(c.envelope(actionURIReceive, c.messageID(), shellID,
		`<wsman:OptionSet s:mustUnderstand="true"><wsman:Option Name="WSMAN_CMDSHELL_OPTION_KEEPALIVE">True</wsman:Option></wsman:OptionSet>`,
		`<rsp:Receive><rsp:DesiredStream CommandId="`+commandID+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`))
}

func (c *rawClient) signal(shellID, commandID, code string) rawResponse {
	c.t.Helper()
	return c.post(c.envelope(actionURISignal, c.messageID(), shellID, "",
		`<rsp:Signal CommandId="`+commandID+`"><rsp:Code>`+signalURIPrefix+code+`</rsp:Code></rsp:Signal>`))
}

func (c *rawClient) send(shellID, commandID string, data []byte, end bool) rawResponse {
	c.t.Helper()
	endAttr := ""
	if end {
		endAttr = ` End="true"`
	}
	return c.post(c.envelope(actionURISend, c.messageID(), shellID, "",
		`<rsp:Send><rsp:Stream Name="stdin" CommandId="`+commandID+`"`+endAttr+`>`+base64.StdEncoding.EncodeToString(data)+`</rsp:Stream></rsp:Send>`))
}

func (c *rawClient) delete(shellID string) rawResponse {
	c.t.Helper()
	return c.post(c.envelope(actionURIDelete, c.messageID(), shellID, "", ""))
}

// receiveAll receives until Done and returns the decoded streams.
func (c *rawClient) receiveAll(shellID, commandID string) (stdout, stderr []byte, exitCode string) {
	c.t.Helper()
	for range 1000 {
		r := c.receive(shellID, commandID)
		if r.status == http.StatusInternalServerError && bytes.Contains(r.body, []byte("w:TimedOut")) {
			continue
		}
		if r.status != http.StatusOK {
			c.t.Fatalf("receive: status %d: %s", r.status, r.body)
		}
		o, e := r.tree.streams()
		stdout = append(stdout, o...)
		stderr = append(stderr, e...)
		if st := r.tree.find(nsShell, "CommandState"); len(st) == 1 && st[0].attr("State") == stateURIDone {
			return stdout, stderr, r.tree.find(nsShell, "ExitCode")[0].text
		}
	}
	c.t.Fatal("receive: command never finished")
	return nil, nil, ""
}

// node is a minimal namespace-resolved XML tree.
type node struct {
	name     xml.Name
	attrs    []xml.Attr
	text     string
	children []*node
}

func parseTree(data []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var root *node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse tree: %w", err)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.attrs = append(n.attrs, a)
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			} else {
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			if len(n.children) > 0 {
				n.text = strings.TrimSpace(n.text)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text += string(tk)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("parse tree: no root element")
	}
	return root, nil
}

func (n *node) attr(local string) string {
	for _, a := range n.attrs {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}

// find returns every descendant (or n itself) named {space}local.
func (n *node) find(space, local string) []*node {
	var out []*node
	var walk func(*node)
	walk = func(x *node) {
		if x.name.Space == space && x.name.Local == local {
			out = append(out, x)
		}
		for _, c := range x.children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// streams decodes the rsp:Stream elements of a ReceiveResponse.
func (n *node) streams() (stdout, stderr []byte) {
	for _, s := range n.find(nsShell, "Stream") {
		b, _ := base64.StdEncoding.DecodeString(strings.TrimSpace(s.text))
		if s.attr("Name") == "stderr" {
			stderr = append(stderr, b...)
		} else {
			stdout = append(stdout, b...)
		}
	}
	return stdout, stderr
}

// shape flattens a response into one line per element: the namespace
// resolved path, the attributes that carry meaning (values for Name,
// State, End, Code, provider, path and xml:lang; presence for ids and
// Machine) and the text of elements whose text is not an id or a message.
// Windows' optional p:ActivityId header is left out.
func (n *node) shape() []string {
	valueAttrs := map[string]bool{"Name": true, "State": true, "End": true, "Code": true, "provider": true, "path": true, "lang": true}
	presenceAttrs := map[string]bool{"CommandId": true, "Machine": true}
	textOf := map[xml.Name]bool{
		{Space: nsAddr, Local: "Action"}:         true,
		{Space: nsAddr, Local: "To"}:             true,
		{Space: nsSoap, Local: "Value"}:          true,
		{Space: nsWsman, Local: "ResourceURI"}:   true,
		{Space: nsWsman, Local: "FaultDetail"}:   true,
		{Space: nsShell, Local: "ResourceUri"}:   true,
		{Space: nsShell, Local: "InputStreams"}:  true,
		{Space: nsShell, Local: "OutputStreams"}: true,
	}
	var out []string
	var walk func(x *node, path string)
	walk = func(x *node, path string) {
		if x.name.Space == nsMSWsman && x.name.Local == "ActivityId" {
			return
		}
		path += "/{" + x.name.Space + "}" + x.name.Local
		var attrs []string
		for _, a := range x.attrs {
			switch {
			case valueAttrs[a.Name.Local]:
				attrs = append(attrs, a.Name.Local+"="+a.Value)
			case presenceAttrs[a.Name.Local]:
				attrs = append(attrs, a.Name.Local+"=*")
			default:
				attrs = append(attrs, a.Name.Local+"=?")
			}
		}
		sort.Strings(attrs)
		line := path + " [" + strings.Join(attrs, " ") + "]"
		if textOf[x.name] {
			line += " " + strings.TrimSpace(x.text)
		}
		out = append(out, line)
		for _, c := range x.children {
			walk(c, path)
		}
	}
	walk(n, "")
	return out
}

// leakedGoroutines returns the stacks of goroutines still running server
// code.
func leakedGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "winrmtest.(*Server)") || strings.Contains(g, "winrmtest.(*command)") ||
			strings.Contains(g, "winrmtest.(*stdinPipe)") {
			out = append(out, g)
		}
	}
	return out
}

// waitFor polls cond for up to d.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// waitExited waits until the handler of the command has returned.
func waitExited(t testing.TB, s *Server, shellID, cmdID string) {
	t.Helper()
	if !waitFor(10*time.Second, func() bool {
		s.mu.Lock()
		var c *command
		if sh := s.shells[shellID]; sh != nil {
			c = sh.commands[cmdID]
		}
		s.mu.Unlock()
		if c == nil {
			return false
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.exited
	}) {
		t.Fatalf("command %s did not exit", cmdID)
	}
}

// countWhere counts log entries matching f.
func countWhere(reqs []Request, f func(Request) bool) int {
	n := 0
	for _, r := range reqs {
		if f(r) {
			n++
		}
	}
	return n
}

// testCtx returns a context that ends with the test or after d.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
