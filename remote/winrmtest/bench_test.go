package winrmtest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/masterzen/winrm"
)

// BenchmarkRunWithContext100x10 is the lab's load shape against one
// server: 100 goroutines, each with its own masterzen client, run 10
// commands each with RunWithContext. One op is all 1,000 commands;
// allocations include masterzen's.
func BenchmarkRunWithContext100x10(b *testing.B) {
	const workers, perWorker = 100, 10
	s := startServer(b, Options{MaxLogEntries: -1})
	clients := make([]*winrm.Client, workers)
	for i := range clients {
		clients[i] = newClient(b, s, "", "", nil)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Go(func() {
				for range perWorker {
					var out bytes.Buffer
					code, err := c.RunWithContext(ctx, "echo hello", &out, io.Discard)
					if err != nil || code != 0 || out.String() != "hello\r\n" {
						b.Errorf("run: %q %d %v", out.String(), code, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	cmds := float64(b.N * workers * perWorker)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/cmds, "ns/command")
	b.ReportMetric(float64(s.Count(""))/cmds, "requests/command")
}

// benchWriter is a reusable http.ResponseWriter.
type benchWriter struct {
	h      http.Header
	status int
	body   []byte
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(status int)      { w.status = status }
func (w *benchWriter) Write(p []byte) (int, error) { w.body = append(w.body, p...); return len(p), nil }

// benchRequest is a reusable request whose body has fixed-width id slots.
type benchRequest struct {
	req  *http.Request
	body []byte
	rd   bytes.Reader
}

const placeholderShell = "SSSSSSSS-SSSS-SSSS-SSSS-SSSSSSSSSSSS"
const placeholderCmd = "CCCCCCCC-CCCC-CCCC-CCCC-CCCCCCCCCCCC"

func newBenchRequest(body string) *benchRequest {
	r := &benchRequest{req: httptest.NewRequest(http.MethodPost, "http://127.0.0.1:5985/wsman", nil), body: []byte(body)}
	r.req.Header.Set("Content-Type", contentTypeSOAP)
	return r
}

// fill copies the ids over their placeholders.
func (r *benchRequest) fill(tmpl, shellID, cmdID string) {
	copy(r.body, tmpl)
	if i := strings.Index(tmpl, placeholderShell); i >= 0 {
		copy(r.body[i:], shellID)
	}
	if i := strings.Index(tmpl, placeholderCmd); i >= 0 {
		copy(r.body[i:], cmdID)
	}
}

func (r *benchRequest) serve(s *Server, w *benchWriter) {
	clear(w.h)
	w.body = w.body[:0]
	r.rd.Reset(r.body)
	r.req.Body = io.NopCloser(&r.rd)
	r.req.ContentLength = int64(len(r.body))
	s.ServeHTTP(w, r.req)
}

// idAfter extracts the 36-character id following marker.
func idAfter(body []byte, marker string) string {
	i := bytes.Index(body, []byte(marker))
	if i < 0 || i+len(marker)+guidLen > len(body) {
		return ""
	}
	return string(body[i+len(marker) : i+len(marker)+guidLen])
}

// BenchmarkServerCycle measures the server alone, in-process without
// sockets: one op is the 5 requests of a masterzen RunWithContext
// (Create, Command, Receive, Signal, Delete) with EchoHandler.
func BenchmarkServerCycle(b *testing.B) {
	s := New(Options{MaxLogEntries: -1})
	b.Cleanup(func() { s.Close() })
	c := &rawClient{s: s}
	env := func(action, shellID, body string) string {
		return strings.Replace(c.envelope(action, "uuid:11111111-2222-4333-8444-555555555555", shellID, "", body),
			"<wsa:To></wsa:To>", "<wsa:To>http://127.0.0.1:5985/wsman</wsa:To>", 1)
	}
	tmplCreate := env(actionURICreate, "", `<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>`)
	tmplCommand := env(actionURICommand, placeholderShell, `<rsp:CommandLine><rsp:Command><![CDATA[echo hello]]></rsp:Command></rsp:CommandLine>`)
	tmplReceive := env(actionURIReceive, placeholderShell, `<rsp:Receive><rsp:DesiredStream CommandId="`+placeholderCmd+`">stdout stderr</rsp:DesiredStream></rsp:Receive>`)
	tmplSignal := env(actionURISignal, placeholderShell, `<rsp:Signal CommandId="`+placeholderCmd+`"><rsp:Code>`+signalURIPrefix+`terminate</rsp:Code></rsp:Signal>`)
	tmplDelete := env(actionURIDelete, placeholderShell, ``)
	create, command := newBenchRequest(tmplCreate), newBenchRequest(tmplCommand)
	receive, signal, del := newBenchRequest(tmplReceive), newBenchRequest(tmplSignal), newBenchRequest(tmplDelete)
	w := &benchWriter{h: make(http.Header)}
	check := func(what string) {
		if w.status != http.StatusOK {
			b.Fatalf("%s: %d %s", what, w.status, w.body)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		create.serve(s, w)
		check("create")
		shellID := idAfter(w.body, `<w:Selector Name="ShellId">`)
		command.fill(tmplCommand, shellID, "")
		command.serve(s, w)
		check("command")
		cmdID := idAfter(w.body, `<rsp:CommandId>`)
		receive.fill(tmplReceive, shellID, cmdID)
		receive.serve(s, w)
		check("receive")
		if !bytes.Contains(w.body, []byte(stateURIDone)) {
			b.Fatalf("receive not done: %s", w.body)
		}
		signal.fill(tmplSignal, shellID, cmdID)
		signal.serve(s, w)
		check("signal")
		del.fill(tmplDelete, shellID, "")
		del.serve(s, w)
		check("delete")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(5*b.N), "ns/request")
}

// BenchmarkLab1000 is the lab's shape: 1,000 servers in one process, 100
// workers, one masterzen client per server; one op runs one command on
// every server.
func BenchmarkLab1000(b *testing.B) {
	const hosts, workers = 1000, 100
	servers := make([]*Server, hosts)
	clients := make([]*winrm.Client, hosts)
	for i := range servers {
		servers[i] = startServer(b, Options{MaxLogEntries: -1, Handler: Script{"hostname": {Stdout: "HOST\r\n"}}})
		clients[i] = newClient(b, servers[i], "", "", nil)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		work := make(chan *winrm.Client, hosts)
		for _, c := range clients {
			work <- c
		}
		close(work)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for c := range work {
					out, _, code, err := c.RunCmdWithContext(ctx, "hostname")
					if err != nil || code != 0 || out != "HOST\r\n" {
						b.Errorf("run: %q %d %v", out, code, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*hosts), "ns/command")
}
