package winrmtest

import (
	"bufio"
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

// Options configures a Server. The zero value is a plain-HTTP server that
// accepts any Basic credentials, has no quotas and runs EchoHandler.
type Options struct {
	// User and Password are the Basic credentials the server accepts. With
	// an empty User any credentials (or none) are accepted.
	User, Password string
	// TLS makes the server speak HTTPS with a certificate for 127.0.0.1,
	// ::1, localhost and TLSHosts, signed by a CA generated in-process
	// (see CACertPEM).
	TLS      bool
	TLSHosts []string
	// TLSCertificate, with TLS, is served instead of a generated
	// certificate (TLSHosts is then ignored), so that many servers can
	// share one certificate from one CA (see NewCA). The last certificate
	// of its chain is taken as the CA that CACertPEM returns;
	// CA.ServerCertificate puts the CA there. It must not be modified
	// after New.
	TLSCertificate *tls.Certificate
	// MaxShellsPerUser and MaxConcurrentOperationsPerUser are the WinRM
	// quotas; 0 means unlimited. Operations are open shells plus commands
	// that have not been terminated or deleted.
	MaxShellsPerUser               int
	MaxConcurrentOperationsPerUser int
	// MaxOperationTimeout caps the OperationTimeout a Receive waits before
	// the w:TimedOut fault; 0 means no cap. OperationTimeoutScale, if
	// positive, multiplies the requested OperationTimeout first.
	MaxOperationTimeout   time.Duration
	OperationTimeoutScale float64
	// IdleTimeout deletes a shell that has seen no request for that long;
	// 0 means 2 hours, the Windows default (reported as PT7200.000S).
	IdleTimeout time.Duration
	// Handler runs the commands; nil means EchoHandler.
	Handler Handler
	// Logger receives debug records per request and warnings for handler
	// panics; nil discards them.
	Logger *slog.Logger
	// DefaultCodepage is the shell code page when Create has no
	// WINRS_CODEPAGE option; 0 means 437 (an en-US server's OEM code page).
	DefaultCodepage int
	// Machine is the Machine attribute of faults; empty means the host the
	// client addressed.
	Machine string
	// MaxLogEntries bounds the request log to the newest entries; 0 keeps
	// every entry and a negative value keeps none (counters still count).
	MaxLogEntries int
}

const (
	contentTypeSOAP      = "application/soap+xml;charset=UTF-8"
	serverHeader         = "Microsoft-HTTPAPI/2.0"
	defaultIdleTimeout   = 2 * time.Hour
	defaultOpTimeout     = 60 * time.Second
	defaultEnvelopeSize  = 153600
	minEnvelopeSize      = 8192
	maxRequestSize       = 500 * 1024 // MaxEnvelopeSizekb=500
	maxCmdLine           = 8191       // cmd.exe
	maxCmdLineSkipCmd    = 32767      // CreateProcess, with WINRS_SKIP_CMD_SHELL
	closeGrace           = 5 * time.Second
	garbageBody          = "\x00\x01garbage: this is not a SOAP envelope \xff\xfe"
	signalTerminate      = "terminate"
	signalCtrlC          = "ctrl_c"
	signalCtrlBreak      = "ctrl_break"
	optionCodepage       = "WINRS_CODEPAGE"
	optionSkipCmdShell   = "WINRS_SKIP_CMD_SHELL"
	defaultServerCodpage = CodepageCP437
)

var errTooLarge = errors.New("winrmtest: request too large")

// Server is a fake WinRM listener. Create it with New, then Start, Serve
// or mount Handler. All methods are safe for concurrent use.
type Server struct {
	opts      Options
	handler   Handler
	log       *slog.Logger
	idle      time.Duration
	defaultCP int

	done      chan struct{}
	baseCtx   context.Context
	cancelAll context.CancelFunc
	bufPool   sync.Pool

	caPEM   []byte
	tlsCert *tls.Certificate
	initErr error

	mu         sync.Mutex
	closed     bool
	shells     map[string]*shell
	userShells map[string]int
	userOps    map[string]int
	srv        *http.Server
	addr       net.Addr
	httpWG     sync.WaitGroup
	cmdWG      sync.WaitGroup
	serveWG    sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error

	fmu    sync.Mutex
	faults []*faultState

	logMu  sync.Mutex
	reqs   []Request
	counts map[string]int
	total  int
}

// New returns a server that is not listening yet. Errors (certificate
// generation, an unknown DefaultCodepage) are reported by Start and Serve.
func New(opts Options) *Server {
	s := &Server{
		opts:       opts,
		handler:    opts.Handler,
		log:        opts.Logger,
		idle:       opts.IdleTimeout,
		defaultCP:  opts.DefaultCodepage,
		done:       make(chan struct{}),
		shells:     make(map[string]*shell),
		userShells: make(map[string]int),
		userOps:    make(map[string]int),
		counts:     make(map[string]int),
	}
	s.bufPool.New = func() any { return &xbuf{b: make([]byte, 0, 4096)} }
	s.baseCtx, s.cancelAll = context.WithCancel(context.Background())
	if s.handler == nil {
		s.handler = EchoHandler{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.idle <= 0 {
		s.idle = defaultIdleTimeout
	}
	if s.defaultCP == 0 {
		s.defaultCP = defaultServerCodpage
	}
	if _, _, ok := codepageEncoding(s.defaultCP); !ok {
		s.initErr = fmt.Errorf("winrmtest: new: unknown default code page %d", s.defaultCP)
	}
	if opts.TLS && s.initErr == nil {
		s.initErr = s.initTLS()
	}
	return s
}

// Start listens on addr (for example "127.0.0.1:0") and serves in the
// background until Close.
func (s *Server) Start(addr string) error {
	if s.initErr != nil {
		return s.initErr
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("winrmtest: listen %s: %w", addr, err)
	}
	return s.StartListener(ln)
}

// StartListener serves on l in the background until Close, as Start does
// on a listener of its own: l may be one whose connections are not
// plain TCP, such as the delaying proxies of a lab
// (netdelay.ListenLocal). On error, l is closed.
func (s *Server) StartListener(ln net.Listener) error {
	if s.initErr != nil {
		_ = ln.Close()
		return s.initErr
	}
	srv, l, err := s.prepare(ln)
	if err != nil {
		_ = ln.Close()
		return err
	}
	go func() {
		defer s.serveWG.Done()
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("winrmtest serve failed", "err", err)
		}
	}()
	return nil
}

// Serve serves on l until Close, and then returns nil.
func (s *Server) Serve(l net.Listener) error {
	if s.initErr != nil {
		return s.initErr
	}
	srv, tl, err := s.prepare(l)
	if err != nil {
		return err
	}
	defer s.serveWG.Done()
	if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("winrmtest: serve: %w", err)
	}
	return nil
}

// prepare registers the http.Server for l; the caller must call
// s.serveWG.Done when Serve returns.
func (s *Server) prepare(l net.Listener) (*http.Server, net.Listener, error) {
	if s.opts.TLS {
		l = tls.NewListener(l, &tls.Config{
			Certificates: []tls.Certificate{*s.tlsCert},
			NextProtos:   []string{"http/1.1"},
			MinVersion:   tls.VersionTLS12,
		})
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, fmt.Errorf("winrmtest: serve: %w", http.ErrServerClosed)
	}
	if s.srv != nil {
		return nil, nil, errors.New("winrmtest: serve: already serving")
	}
	s.srv, s.addr = srv, l.Addr()
	s.serveWG.Add(1)
	return srv, l, nil
}

// URL is the endpoint, e.g. "http://127.0.0.1:5985/wsman"; "" before
// Start or Serve.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.addr == nil {
		return ""
	}
	scheme := "http"
	if s.opts.TLS {
		scheme = "https"
	}
	return scheme + "://" + s.addr.String() + "/wsman"
}

// Host is the listening IP address ("127.0.0.1"); "" before Start or Serve.
func (s *Server) Host() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.addr.(*net.TCPAddr); ok {
		return a.IP.String()
	}
	if s.addr != nil {
		h, _, _ := net.SplitHostPort(s.addr.String())
		return h
	}
	return ""
}

// Port is the listening port; 0 before Start or Serve.
func (s *Server) Port() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.addr.(*net.TCPAddr); ok {
		return a.Port
	}
	if s.addr != nil {
		_, p, _ := net.SplitHostPort(s.addr.String())
		n, _ := strconv.Atoi(p)
		return n
	}
	return 0
}

// CACertPEM is the PEM of the CA that signed the HTTPS certificate, for
// winrm.Endpoint.CACert or an x509.CertPool; nil without TLS.
func (s *Server) CACertPEM() []byte {
	return slices.Clone(s.caPEM)
}

// Handler returns the server as an http.Handler serving POST /wsman, for
// use with httptest or another http.Server. Close still cancels commands
// and long-polls.
func (s *Server) Handler() http.Handler { return s }

// Close stops listening, closes connections, cancels every command and
// waits for in-flight requests and handlers. Long-polls return at once. It
// reports an error if handlers ignore their context for more than 5s.
func (s *Server) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.shutdown() })
	return s.closeErr
}

func (s *Server) shutdown() error {
	s.mu.Lock()
	s.closed = true
	var cmds []*command
	for _, sh := range s.shells {
		cmds = append(cmds, s.deleteShellLocked(sh)...)
	}
	srv := s.srv
	s.mu.Unlock()

	var err error
	if srv != nil {
		if e := srv.Close(); e != nil {
			err = fmt.Errorf("winrmtest: close: %w", e)
		}
	}
	close(s.done)
	s.cancelAll()
	for _, c := range cmds {
		c.remove()
	}
	s.httpWG.Wait()
	s.serveWG.Wait()

	finished := make(chan struct{})
	go func() {
		s.cmdWG.Wait()
		close(finished)
	}()
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-finished:
	case <-t.C:
		err = errors.Join(err, fmt.Errorf("winrmtest: close: command handlers still running after %v", closeGrace))
	}
	return err
}

// call is the state of one request.
type call struct {
	ctx      context.Context
	msg      *message
	user     string
	machine  string
	host     string
	https    bool
	clientIP string
	maxEnv   int
	timeout  time.Duration
	rec      *Request
	buf      *xbuf
}

// outcome is the result of an operation; the body is in call.buf.
type outcome struct {
	fault *wsFault
	abort bool // send nothing: the client is gone or the server closing
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.enter() {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	defer s.httpWG.Done()

	rec := Request{Time: time.Now()}
	user, pass, hasAuth := r.BasicAuth()
	rec.User = user
	if r.URL.Path != "/wsman" {
		w.Header().Set("Server", serverHeader)
		w.WriteHeader(http.StatusNotFound)
		rec.Status = http.StatusNotFound
		s.finish(r.Context(), &rec)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Server", serverHeader)
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		rec.Status = http.StatusMethodNotAllowed
		s.finish(r.Context(), &rec)
		return
	}

	buf := s.bufPool.Get().(*xbuf)
	defer s.putBuf(buf)
	var readErr error
	if r.ContentLength > 0 && r.ContentLength <= maxRequestSize {
		buf.b = slices.Grow(buf.b[:0], int(r.ContentLength)+1)
	}
	buf.b, readErr = readBody(buf.b[:0], r.Body, maxRequestSize)
	var msg *message
	var parseErr error
	if readErr == nil {
		msg, parseErr = parseMessage(buf.b)
	}
	if msg != nil {
		rec.Action = msg.Action
		if rec.Action == "" {
			rec.Action = msg.ActionURI
		}
		rec.MessageID = msg.MessageID
		rec.ShellID = msg.ShellID
		rec.CommandID = msg.CommandID
		if s.opts.MaxLogEntries >= 0 {
			logPayload(&rec, msg)
		}
	}
	buf.b = buf.b[:0]

	if !s.authorized(user, pass, hasAuth) {
		writeUnauthorized(w)
		rec.Status = http.StatusUnauthorized
		s.finish(r.Context(), &rec)
		return
	}

	latency, inj := s.takeFaults(rec.Action)
	rec.Latency = latency
	if latency > 0 && !s.sleep(r.Context(), latency) {
		s.finish(r.Context(), &rec)
		dropConnection(w)
		return
	}

	c := &call{
		ctx:      r.Context(),
		msg:      msg,
		user:     user,
		host:     r.Host,
		https:    r.TLS != nil,
		clientIP: r.RemoteAddr,
		rec:      &rec,
		buf:      buf,
		machine:  s.opts.Machine,
	}
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.clientIP = h
	}
	if c.machine == "" {
		c.machine = r.Host
		if h, _, err := net.SplitHostPort(r.Host); err == nil {
			c.machine = h
		}
	}

	var out outcome
	handled := false
	if inj != nil {
		rec.Injected = inj.Kind
		switch inj.Kind {
		case FaultUnauthorized:
			writeUnauthorized(w)
			rec.Status = http.StatusUnauthorized
			s.finish(r.Context(), &rec)
			return
		case FaultDropConnection:
			s.finish(r.Context(), &rec)
			dropConnection(w)
			return
		case FaultGarbage:
			buf.str(garbageBody)
			writeSOAP(w, http.StatusOK, buf.b)
			rec.Status, rec.ResponseBytes = http.StatusOK, len(buf.b)
			s.finish(r.Context(), &rec)
			return
		case FaultInternalError:
			out, handled = outcome{fault: faultInternal(inj.Code, inj.Message)}, true
		case FaultQuota:
			limit := s.opts.MaxShellsPerUser
			if limit <= 0 {
				limit = 30
			}
			out, handled = outcome{fault: faultMaxShells(limit)}, true
		case FaultBusy:
			out, handled = outcome{fault: faultBusy()}, true
		case FaultOperationTimeout:
			out, handled = outcome{fault: faultTimedOut()}, true
		}
	}
	if !handled {
		out = s.dispatch(c, readErr, parseErr)
	}
	if out.abort {
		// The client is gone or the server is closing: send nothing (not
		// the empty 200 net/http would write for us).
		s.finish(r.Context(), &rec)
		dropConnection(w)
		return
	}
	status := http.StatusOK
	if out.fault != nil {
		status = http.StatusInternalServerError
		relatesTo := ""
		if msg != nil {
			relatesTo = msg.MessageID
		}
		buf.b = buf.b[:0]
		buf.fault(relatesTo, c.machine, out.fault)
		rec.FaultCode, rec.FaultSubcode = out.fault.code, out.fault.subcode
	}
	rec.ResponseBytes = len(buf.b)
	body := buf.b

	if inj != nil {
		switch inj.Kind {
		case FaultSlowHeaders:
			if !s.sleep(r.Context(), inj.Delay) {
				s.finish(r.Context(), &rec)
				dropConnection(w)
				return
			}
		case FaultTruncated:
			body = body[:len(body)/2]
			rec.ResponseBytes = len(body)
		case FaultDropMidBody:
			rec.Status = status
			s.finish(r.Context(), &rec)
			writeMidBody(w, status, body)
			return
		case FaultTrickle:
			rec.Status = status
			s.trickle(r.Context(), w, status, body, inj.Delay)
			s.finish(r.Context(), &rec)
			return
		}
	}
	writeSOAP(w, status, body)
	rec.Status = status
	s.finish(r.Context(), &rec)
}

// logPayload copies into rec what a Command or Send request carried: the
// command text and arguments, or the decoded stdin.
func logPayload(rec *Request, msg *message) {
	switch msg.Action {
	case ActionCommand:
		rec.Command = msg.commandLine()
		rec.Args = slices.Clone(msg.Arguments)
	case ActionSend:
		for _, st := range msg.Streams {
			b, err := base64.StdEncoding.DecodeString(st.Data)
			if err != nil {
				continue
			}
			rec.Stdin = append(rec.Stdin, b...)
		}
	}
}

func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.httpWG.Add(1)
	return true
}

func (s *Server) putBuf(b *xbuf) {
	if cap(b.b) > 1<<20 {
		return // let the GC have unusually large buffers
	}
	b.b = b.b[:0]
	s.bufPool.Put(b)
}

// finish completes and records the log entry.
func (s *Server) finish(ctx context.Context, rec *Request) {
	rec.Duration = time.Since(rec.Time)
	s.record(*rec)
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "wsman request",
			slog.String("action", rec.Action), slog.String("shell", rec.ShellID),
			slog.String("command", rec.CommandID), slog.Int("status", rec.Status),
			slog.Uint64("fault", uint64(rec.FaultCode)), slog.String("injected", rec.Injected.String()),
			slog.Duration("duration", rec.Duration))
	}
}

// sleep waits d; false if the client went away or the server closed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

func (s *Server) authorized(user, pass string, hasAuth bool) bool {
	if s.opts.User == "" {
		return true
	}
	if !hasAuth {
		return false
	}
	u := subtle.ConstantTimeCompare([]byte(user), []byte(s.opts.User))
	p := subtle.ConstantTimeCompare([]byte(pass), []byte(s.opts.Password))
	return u&p == 1
}

// readBody reads r into dst up to limit bytes.
func readBody(dst []byte, r io.Reader, limit int) ([]byte, error) {
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, 4096)
		}
		n, err := r.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if len(dst) > limit {
			return dst, errTooLarge
		}
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, fmt.Errorf("read request body: %w", err)
		}
	}
}

// writeSOAP writes a SOAP response; every response, faults included,
// carries the SOAP Content-Type.
func writeSOAP(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentTypeSOAP)
	h.Set("Server", serverHeader)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeUnauthorized writes the 401 of a Windows listener
// (fixtures/http_401_unauthorized.txt): no body, no Content-Type, the four
// WWW-Authenticate schemes and Connection: close.
func writeUnauthorized(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Server", serverHeader)
	// Spelled as Windows does; a non-canonical key is written verbatim.
	h["WWW-Authenticate"] = []string{"Negotiate", "Kerberos", `Basic realm="WSMAN"`, "CredSSP"}
	h.Set("Connection", "close")
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// dropConnection closes the connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// trickle writes the headers at once, then body one byte per delay, until
// the body is out, the client is gone or the server closes.
func (s *Server) trickle(ctx context.Context, w http.ResponseWriter, status int, body []byte, delay time.Duration) {
	if delay <= 0 {
		delay = 100 * time.Millisecond
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeSOAP)
	h.Set("Server", serverHeader)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	f, _ := w.(http.Flusher)
	for i := range body {
		if f != nil {
			f.Flush()
		}
		if !s.sleep(ctx, delay) {
			return
		}
		if _, err := w.Write(body[i : i+1]); err != nil {
			return
		}
	}
}

// writeMidBody sends the status line, the headers with the full
// Content-Length and half of the body, then closes the connection.
func writeMidBody(w http.ResponseWriter, status int, body []byte) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		h := w.Header()
		h.Set("Content-Type", contentTypeSOAP)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		_, _ = w.Write(body[:len(body)/2])
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		panic(http.ErrAbortHandler)
	}
	conn, rw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	writeRawHead(rw.Writer, status, len(body))
	_, _ = rw.Write(body[:len(body)/2])
	_ = rw.Flush()
}

func writeRawHead(w *bufio.Writer, status, length int) {
	_, _ = fmt.Fprintf(w, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nServer: %s\r\nContent-Length: %d\r\n\r\n",
		status, http.StatusText(status), contentTypeSOAP, serverHeader, length)
}

// dispatch validates the request and runs its operation.
func (s *Server) dispatch(c *call, readErr, parseErr error) outcome {
	switch {
	case errors.Is(readErr, errTooLarge):
		return outcome{fault: faultEnvelopeLimit()}
	case readErr != nil:
		return outcome{abort: true}
	case parseErr != nil:
		return outcome{fault: faultSchema()}
	}
	m := c.msg
	if m.MessageID == "" {
		return outcome{fault: faultMessageInformation()}
	}
	c.maxEnv = defaultEnvelopeSize
	if m.MaxEnvelopeSize != "" {
		n, err := strconv.Atoi(m.MaxEnvelopeSize)
		if err != nil {
			return outcome{fault: faultSchema()}
		}
		if n < minEnvelopeSize {
			return outcome{fault: faultMinEnvelope()}
		}
		c.maxEnv = min(n, maxRequestSize)
	}
	c.timeout = defaultOpTimeout
	if m.OperationTimeout != "" {
		d, err := parseDuration(m.OperationTimeout)
		if err != nil || d <= 0 {
			return outcome{fault: faultTimeoutHeader()}
		}
		c.timeout = d
	}
	if m.Action == "" {
		return outcome{fault: faultAction()}
	}
	if !strings.EqualFold(m.ResourceURI, uriCmdShell) {
		return outcome{fault: faultResourceURI()}
	}
	switch m.Action {
	case ActionCreate:
		return s.create(c)
	case ActionCommand:
		return s.command(c)
	case ActionReceive:
		return s.receive(c)
	case ActionSend:
		return s.send(c)
	case ActionSignal:
		return s.signal(c)
	default: // ActionDelete
		return s.delete(c)
	}
}

func (s *Server) create(c *call) outcome {
	m := c.msg
	if !m.HasShell {
		return outcome{fault: faultSchema()}
	}
	cp := s.defaultCP
	if v, ok := m.option(optionCodepage); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return outcome{fault: faultInvalidParameter()}
		}
		cp = n
	}
	enc, isUTF8, ok := codepageEncoding(cp)
	if !ok {
		return outcome{fault: faultInvalidParameter()}
	}
	if isUTF8 {
		enc = nil
	}
	idle := s.idle
	if m.IdleTimeOut != "" {
		if d, err := parseDuration(m.IdleTimeOut); err == nil && d > 0 && d < idle {
			idle = d
		}
	}
	sh := &shell{
		id:       newGUID(),
		user:     c.user,
		codepage: cp,
		enc:      enc,
		idle:     idle,
		commands: make(map[string]*command),
		lastUse:  time.Now(),
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return outcome{abort: true}
	}
	if limit := s.opts.MaxShellsPerUser; limit > 0 && s.userShells[c.user] >= limit {
		s.mu.Unlock()
		return outcome{fault: faultMaxShells(limit)}
	}
	if limit := s.opts.MaxConcurrentOperationsPerUser; limit > 0 && s.userOps[c.user] >= limit {
		s.mu.Unlock()
		return outcome{fault: faultMaxOperations(limit)}
	}
	s.shells[sh.id] = sh
	s.userShells[c.user]++
	s.userOps[c.user]++
	sh.idleTimer = time.AfterFunc(idle, func() { s.expireShell(sh) })
	s.mu.Unlock()

	c.rec.ShellID = sh.id
	scheme := "http"
	if c.https {
		scheme = "https"
	}
	c.buf.createResponse(m.MessageID, createBody{
		address:  scheme + "://" + c.host + "/wsman",
		shellID:  sh.id,
		owner:    c.user,
		clientIP: c.clientIP,
		idle:     formatDuration(idle),
	})
	return outcome{}
}

// utf16Len is the length of s in UTF-16 code units, the unit of cmd.exe's
// 8191-character limit.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if utf16.RuneLen(r) == 2 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func (s *Server) command(c *call) outcome {
	m := c.msg
	line := m.commandLine()
	limit := maxCmdLine
	if v, ok := m.option(optionSkipCmdShell); ok && strings.EqualFold(v, "TRUE") {
		limit = maxCmdLineSkipCmd
	}
	if len(line) > limit && utf16Len(line) > limit {
		return outcome{fault: faultCommandTooLong()}
	}
	s.mu.Lock()
	sh := s.shells[m.ShellID]
	if sh == nil || sh.user != c.user {
		s.mu.Unlock()
		return outcome{fault: faultUnknownShell(m.ShellID)}
	}
	if limit := s.opts.MaxConcurrentOperationsPerUser; limit > 0 && s.userOps[c.user] >= limit {
		s.mu.Unlock()
		return outcome{fault: faultMaxOperations(limit)}
	}
	ctx, cancel := context.WithCancel(s.baseCtx)
	cmd := &command{
		id:     newGUID(),
		shell:  sh,
		ctx:    ctx,
		cancel: cancel,
		stdin:  &stdinPipe{ctx: ctx},
	}
	sh.commands[cmd.id] = cmd
	sh.lastUse = time.Now()
	s.userOps[c.user]++
	s.cmdWG.Add(1)
	s.mu.Unlock()

	info := Command{
		ShellID:   sh.id,
		CommandID: cmd.id,
		Line:      line,
		Args:      m.Arguments,
		Codepage:  sh.codepage,
		User:      c.user,
	}
	go s.run(cmd, info, sh.enc)

	c.rec.CommandID = cmd.id
	c.buf.commandResponse(m.MessageID, cmd.id)
	return outcome{}
}

// run executes the handler for cmd.
func (s *Server) run(cmd *command, info Command, enc encoding.Encoding) {
	defer s.cmdWG.Done()
	stdout := &streamWriter{c: cmd, stream: streamStdout}
	stderr := &streamWriter{c: cmd, stream: streamStderr}
	if enc != nil {
		stdout.enc, stderr.enc = newCPEncoder(enc), newCPEncoder(enc)
	}
	code := s.runHandler(cmd.ctx, info, cmd.stdin, stdout, stderr)
	stdout.close()
	stderr.close()
	cmd.finish(code)
	cmd.cancel()
}

func (s *Server) runHandler(ctx context.Context, info Command, stdin io.Reader, stdout, stderr *streamWriter) (code int) {
	defer func() {
		if r := recover(); r != nil {
			msg := fmt.Sprint(r)
			s.log.Warn("winrmtest handler panic", "command", info.Line, "panic", msg)
			if !utf8.ValidString(msg) {
				msg = strings.ToValidUTF8(msg, "?")
			}
			_, _ = io.WriteString(stderr, "panic: "+msg+"\r\n")
			code = 1
		}
	}()
	return s.handler.Run(ctx, info, stdin, stdout, stderr)
}

// lookup finds the shell and command a request addresses and marks the
// shell used.
func (s *Server) lookup(c *call, commandID string) (*shell, *command, *wsFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sh := s.shells[c.msg.ShellID]
	if sh == nil || sh.user != c.user {
		return nil, nil, faultUnknownShell(c.msg.ShellID)
	}
	sh.lastUse = time.Now()
	cmd := sh.commands[commandID]
	if cmd == nil {
		return sh, nil, faultUnknownCommand()
	}
	return sh, cmd, nil
}

// busy marks a long-poll in flight on sh (delta +1/-1).
func (s *Server) busy(sh *shell, delta int) {
	s.mu.Lock()
	sh.inflight += delta
	sh.lastUse = time.Now()
	s.mu.Unlock()
}

// receiveTimeout is the effective OperationTimeout of a Receive.
func (s *Server) receiveTimeout(d time.Duration) time.Duration {
	if s.opts.OperationTimeoutScale > 0 {
		d = time.Duration(float64(d) * s.opts.OperationTimeoutScale)
	}
	if s.opts.MaxOperationTimeout > 0 && d > s.opts.MaxOperationTimeout {
		d = s.opts.MaxOperationTimeout
	}
	return d
}

func (s *Server) receive(c *call) outcome {
	m := c.msg
	sh, cmd, f := s.lookup(c, m.CommandID)
	if f != nil {
		return outcome{fault: f}
	}
	s.busy(sh, 1)
	defer s.busy(sh, -1)

	budget := c.maxEnv - receiveOverhead(m.MessageID, cmd.id)
	if budget < 1024 {
		// A MessageID so long that no output would fit.
		return outcome{fault: faultMinEnvelope()}
	}
	c.rec.LongPoll = s.receiveTimeout(c.timeout)
	timer := time.NewTimer(c.rec.LongPoll)
	defer timer.Stop()
	var settle *time.Timer
	var settleC <-chan time.Time
	settled := false
	defer func() {
		if settle != nil {
			settle.Stop()
		}
	}()
	for {
		cmd.mu.Lock()
		if cmd.removed || cmd.delivered {
			cmd.mu.Unlock()
			return outcome{fault: faultUnknownCommand()}
		}
		pending := cmd.pendingLocked()
		if cmd.exited || (pending && (settled || cmd.buffered >= budget)) {
			segs := cmd.takeLocked(budget)
			done := cmd.exited && !cmd.pendingLocked()
			if done {
				cmd.delivered = true
			}
			exitCode := cmd.exitCode
			cmd.mu.Unlock()
			c.rec.State = "Running"
			if done {
				c.rec.State = "Done"
			}
			c.buf.receiveResponse(m.MessageID, cmd.id, segs, done, exitCode)
			return outcome{}
		}
		if pending && settle == nil {
			settle = time.NewTimer(receiveSettle)
			settleC = settle.C
		}
		wake := cmd.waitLocked()
		cmd.mu.Unlock()
		select {
		case <-wake:
		case <-settleC:
			settled = true
		case <-timer.C:
			return outcome{fault: faultTimedOut()}
		case <-c.ctx.Done():
			return outcome{abort: true}
		case <-s.done:
			return outcome{abort: true}
		}
	}
}

func (s *Server) send(c *call) outcome {
	m := c.msg
	for _, st := range m.Streams {
		if !strings.EqualFold(st.Name, "stdin") {
			return outcome{fault: faultInputStream()}
		}
		_, cmd, f := s.lookup(c, st.CommandID)
		if f != nil {
			return outcome{fault: f}
		}
		data, err := base64.StdEncoding.DecodeString(st.Data)
		if err != nil {
			return outcome{fault: faultSchema()}
		}
		if err := cmd.stdin.write(data, st.End); errors.Is(err, errStdinFull) {
			return outcome{fault: faultBusy()}
		}
	}
	c.buf.sendResponse(m.MessageID)
	return outcome{}
}

func (s *Server) signal(c *call) outcome {
	m := c.msg
	code := m.SignalCode
	if len(code) > len(signalURIPrefix) && strings.EqualFold(code[:len(signalURIPrefix)], signalURIPrefix) {
		code = code[len(signalURIPrefix):]
	}
	code = strings.ToLower(code)
	c.rec.Signal = code
	if code != signalTerminate && code != signalCtrlC && code != signalCtrlBreak {
		return outcome{fault: faultInvalidParameter()}
	}
	sh, cmd, f := s.lookup(c, m.CommandID)
	if f != nil {
		return outcome{fault: f}
	}
	if code == signalTerminate {
		s.mu.Lock()
		if sh.commands[cmd.id] == cmd {
			delete(sh.commands, cmd.id)
			s.decOps(sh.user, 1)
		}
		s.mu.Unlock()
		cmd.remove()
	} else {
		cmd.cancel()
	}
	c.buf.signalResponse(m.MessageID)
	return outcome{}
}

func (s *Server) delete(c *call) outcome {
	m := c.msg
	s.mu.Lock()
	sh := s.shells[m.ShellID]
	if sh == nil || sh.user != c.user {
		s.mu.Unlock()
		return outcome{fault: faultUnknownShell(m.ShellID)}
	}
	cmds := s.deleteShellLocked(sh)
	s.mu.Unlock()
	for _, cmd := range cmds {
		cmd.remove()
	}
	c.buf.deleteResponse(m.MessageID)
	return outcome{}
}

// deleteShellLocked removes sh and returns its commands, which the caller
// must remove() after releasing s.mu.
func (s *Server) deleteShellLocked(sh *shell) []*command {
	if sh.deleted {
		return nil
	}
	sh.deleted = true
	delete(s.shells, sh.id)
	if sh.idleTimer != nil {
		sh.idleTimer.Stop()
	}
	if n := s.userShells[sh.user] - 1; n > 0 {
		s.userShells[sh.user] = n
	} else {
		delete(s.userShells, sh.user)
	}
	s.decOps(sh.user, 1+len(sh.commands))
	cmds := make([]*command, 0, len(sh.commands))
	for _, cmd := range sh.commands {
		cmds = append(cmds, cmd)
	}
	sh.commands = nil
	return cmds
}

func (s *Server) decOps(user string, n int) {
	if v := s.userOps[user] - n; v > 0 {
		s.userOps[user] = v
	} else {
		delete(s.userOps, user)
	}
}

// expireShell deletes sh when it has been idle for its IdleTimeout.
func (s *Server) expireShell(sh *shell) {
	s.mu.Lock()
	if sh.deleted || s.closed {
		s.mu.Unlock()
		return
	}
	if sh.inflight > 0 {
		sh.idleTimer.Reset(sh.idle)
		s.mu.Unlock()
		return
	}
	if rem := sh.idle - time.Since(sh.lastUse); rem > 0 {
		sh.idleTimer.Reset(rem)
		s.mu.Unlock()
		return
	}
	cmds := s.deleteShellLocked(sh)
	s.mu.Unlock()
	for _, cmd := range cmds {
		cmd.remove()
	}
	s.log.Debug("winrmtest shell idle timeout", "shell", sh.id, "user", sh.user)
}
