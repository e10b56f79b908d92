package remote

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	ntlmssp "github.com/Azure/go-ntlmssp"
	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

const (
	// maxResponse caps a response body. Windows keeps responses below
	// MaxEnvelopeSize (153600 bytes here); anything far larger is not
	// WinRM.
	maxResponse = 4 << 20
	// envelopeSize is the MaxEnvelopeSize remote announces (masterzen's
	// default, what Windows 2008 R2 and later accept).
	envelopeSize = 153600
	// cleanupTimeout bounds the Delete at Close and the terminate Signal
	// after an abandoned step, even when the host is dead.
	cleanupTimeout = 5 * time.Second
	// certAuthHeader is the Authorization value WS-Man expects with TLS
	// client-certificate authentication (as masterzen's ClientAuthRequest).
	certAuthHeader = "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
)

// Op names used in errors and logs, one per WS-Man request kind.
const (
	opCreate  = "create-shell"
	opCommand = "command"
	opSend    = "send"
	opReceive = "receive"
	opSignal  = "signal"
	opDelete  = "delete-shell"
	opOther   = "request"
)

// opOf names the operation of a SOAP request from its wsa:Action.
func opOf(body string) string {
	const (
		transfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer/"
		shell    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/"
	)
	switch {
	case strings.Contains(body, shell+"Receive<"):
		return opReceive
	case strings.Contains(body, shell+"Send<"):
		return opSend
	case strings.Contains(body, shell+"Command<"):
		return opCommand
	case strings.Contains(body, shell+"Signal<"):
		return opSignal
	case strings.Contains(body, transfer+"Create<"):
		return opCreate
	case strings.Contains(body, transfer+"Delete<"):
		return opDelete
	default:
		return opOther
	}
}

// stepStats counts the HTTP exchanges of one step.
type stepStats struct{ roundTrips atomic.Int64 }

// statsKey is the context key under which a request carries its stepStats.
type statsKey struct{}

// countingRT counts every HTTP exchange, below the NTLM negotiator so that
// each handshake leg counts.
type countingRT struct {
	base  http.RoundTripper
	total *atomic.Int64
}

func (c countingRT) RoundTrip(req *http.Request) (*http.Response, error) {
	c.total.Add(1)
	if st, ok := req.Context().Value(statsKey{}).(*stepStats); ok {
		st.roundTrips.Add(1)
	}
	return c.base.RoundTrip(req)
}

// errSchemeRefused is returned, below the NTLM negotiator, instead of
// sending a request that carries the password with Basic authentication.
var errSchemeRefused = errors.New("refused to send the credentials with Basic authentication")

// offerKey is the context key of a request's *authOffer.
type offerKey struct{}

// authOffer records the schemes a server's last 401 offered to one request.
type authOffer struct {
	mu      sync.Mutex
	schemes string
}

// basicGuard sits below go-ntlmssp's Negotiator. The negotiator retries
// with "Authorization: Basic user:password" when a server's 401 offers
// neither NTLM nor Negotiate; with auth ntlm that would send the password
// in clear over http (and to whoever answers, over https). The guard
// refuses any request carrying Basic credentials, and notes what each 401
// offered so the error can say so.
type basicGuard struct{ base http.RoundTripper }

func (g basicGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if s, _, _ := strings.Cut(strings.TrimSpace(req.Header.Get("Authorization")), " "); strings.EqualFold(s, "Basic") {
		if req.Body != nil {
			_ = req.Body.Close()
		}
		return nil, errSchemeRefused
	}
	resp, err := g.base.RoundTrip(req)
	if err == nil && resp.StatusCode == http.StatusUnauthorized {
		if o, ok := req.Context().Value(offerKey{}).(*authOffer); ok {
			o.mu.Lock()
			o.schemes = schemes(resp.Header)
			o.mu.Unlock()
		}
	}
	return resp, err
}

// maxIdleLanes is how many idle connections a session keeps (a step needs
// two at most: the Receive long-poll and a Send beside it).
const maxIdleLanes = 4

// wire is a session's HTTP machinery, shared by all its steps so that
// connections (and NTLM's connection-bound authentication) are reused.
type wire struct {
	url      string
	auth     Auth
	user     string
	password string
	newLane  func() *lane          // nil with Kerberos
	krb      *winrm.ClientKerberos // only with Kerberos
	total    atomic.Int64

	mu     sync.Mutex
	idle   []*lane // most recently used last
	closed bool
}

// lane is one HTTP connection to the target with the round-trippers above
// it. A request holds a lane of its own from its first byte to the last
// byte of its answer, NTLM handshake legs included.
//
// NTLM authenticates a connection, not a request: HTTP.sys keeps the
// server challenge of a NEGOTIATE with the TCP connection it came on and
// accepts the AUTHENTICATE only there. go-ntlmssp's Negotiator sends the
// three legs (anonymous, NEGOTIATE, AUTHENTICATE) as three RoundTrips; on
// one shared http.Transport each leg takes whichever pooled connection is
// free at that instant, so when a step's Send and its Receive long-poll
// overlap, one request's AUTHENTICATE could leave on the connection the
// other had just released, and the server answered 401. A lane's
// round-tripper (connRT) has a single connection and serves one request
// at a time, so every leg of a handshake shares its connection.
type lane struct {
	tr     *connRT
	client *http.Client
}

// take returns an idle lane, the most recently used first (its connection
// is the likeliest to be open and authenticated), or a new one.
func (w *wire) take() *lane {
	w.mu.Lock()
	if n := len(w.idle); n > 0 {
		l := w.idle[n-1]
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		return l
	}
	w.mu.Unlock()
	return w.newLane()
}

// give returns a lane whose request has ended (its answer read and closed).
func (w *wire) give(l *lane) {
	w.mu.Lock()
	if !w.closed && len(w.idle) < maxIdleLanes {
		w.idle = append(w.idle, l)
		l = nil
	}
	w.mu.Unlock()
	if l != nil {
		l.tr.CloseIdleConnections()
	}
}

// newWire builds the HTTP client for target t.
func newWire(t Target, o Options, headerTimeout time.Duration, ep *winrm.Endpoint) (*wire, error) {
	w := &wire{url: t.url(), auth: t.authOrDefault(), user: t.User, password: t.Password.Reveal()}
	if w.auth == AuthKerberos {
		cfg := t.KerberosConfigPath
		if cfg == "" {
			cfg = "/etc/krb5.conf"
		}
		w.krb = winrm.NewClientKerberos(&winrm.Settings{
			WinRMUsername: t.User,
			WinRMPassword: t.Password.Reveal(),
			WinRMHost:     ep.Host,
			WinRMPort:     ep.Port,
			WinRMProto:    t.scheme(),
			WinRMInsecure: t.InsecureSkipVerify,
			KrbRealm:      t.KerberosRealm,
			KrbConfig:     cfg,
		})
		if err := w.krb.Transport(ep); err != nil {
			return nil, fmt.Errorf("kerberos transport: %w", err)
		}
		return w, nil
	}
	tlsConf := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		ServerName:         t.TLSServerName,
		InsecureSkipVerify: t.InsecureSkipVerify, //nolint:gosec // opt-in per target, logged loudly at every Open
	}
	if len(t.CACertPEM) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(t.CACertPEM) {
			return nil, errors.New("CA certificate: no PEM certificate found")
		}
		tlsConf.RootCAs = pool
	}
	if w.auth == AuthCertificate {
		cert, err := tls.X509KeyPair(t.ClientCertPEM, []byte(t.ClientKeyPEM.Reveal()))
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{cert}
		tlsConf.Renegotiation = tls.RenegotiateOnceAsClient
	}
	dial := o.dialer()
	w.newLane = func() *lane {
		tr := &connRT{
			// No proxy (WinRM targets are internal; NTLM does not survive
			// most proxies), no compression, HTTP/1.1 only (WinRM's NTLM
			// is connection-bound), one connection: see connRT and lane.
			dial:          dial,
			tlsConf:       tlsConf,
			headerTimeout: headerTimeout, // TLS handshake and response headers
			idleTimeout:   idleConnTimeout,
		}
		var rt http.RoundTripper = countingRT{base: tr, total: &w.total}
		if w.auth == AuthNTLM {
			// The negotiator falls back to Basic with the password when the
			// server offers no NTLM/Negotiate; the guard below it refuses that.
			rt = ntlmssp.Negotiator{RoundTripper: basicGuard{base: rt}}
		}
		return &lane{tr: tr, client: &http.Client{
			Transport: rt,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}}
	}
	return w, nil
}

// dialer is Options.DialContext, or the default: TCP with keep-alive
// probes every 30 s (they keep a NAT or firewall entry alive while a
// Receive waits for output).
func (o Options) dialer() func(ctx context.Context, network, addr string) (net.Conn, error) {
	if o.DialContext != nil {
		return o.DialContext
	}
	return (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
}

// adopt hands raw, a connection Client.Warm opened at since to t, to the
// wire's first lane, whose first request takes it as a kept-alive one.
func (w *wire) adopt(raw net.Conn, since time.Time, t Target) {
	l := w.newLane()
	// The host and hostname of w.url (t.url()), as its requests carry them.
	l.tr.adopt(raw, since, t.HTTPS, net.JoinHostPort(t.Address, strconv.Itoa(t.port())), t.Address)
	w.mu.Lock()
	w.idle = append(w.idle, l)
	w.mu.Unlock()
}

// close closes the idle connections; a lane given back later is closed
// then.
func (w *wire) close() {
	w.mu.Lock()
	idle := w.idle
	w.idle, w.closed = nil, true
	w.mu.Unlock()
	for _, l := range idle {
		l.tr.CloseIdleConnections()
	}
}

// post sends one SOAP message with ctx and returns the response body and
// what was read from it, or an *Error that masterzen handles correctly (see
// Error and sanitize).
func (w *wire) post(ctx context.Context, op, body string, e errCtx) ([]byte, envelope, error) {
	if ctx.Err() != nil {
		return nil, envelope{}, e.ctx(ctx, op)
	}
	offer := &authOffer{}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, offerKey{}, offer), http.MethodPost, w.url, strings.NewReader(body))
	if err != nil {
		return nil, envelope{}, e.make(KindInvalid, op, 0, fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Content-Type", "application/soap+xml;charset=UTF-8")
	switch w.auth {
	case AuthBasic, AuthNTLM:
		req.SetBasicAuth(w.user, w.password) // the NTLM negotiator turns it into NTLM
	case AuthCertificate:
		req.Header.Set("Authorization", certAuthHeader)
	}
	l := w.take()
	defer w.give(l) // after the body is read and closed below
	resp, err := l.client.Do(req)
	if errors.Is(err, errSchemeRefused) {
		offer.mu.Lock()
		offered := offer.schemes
		offer.mu.Unlock()
		if offered == "" {
			offered = "no scheme"
		}
		return nil, envelope{}, e.make(KindAuthScheme, op, http.StatusUnauthorized,
			fmt.Errorf("the server offers only %s, not NTLM or Negotiate; %w", offered, errSchemeRefused))
	}
	if err != nil {
		return nil, envelope{}, e.transport(ctx, op, err)
	}
	// Always read (capped) and close: masterzen leaks the body of non-SOAP
	// answers such as a 401.
	data, err := readBody(resp.Body, resp.ContentLength)
	_ = resp.Body.Close()
	if err != nil {
		return nil, envelope{}, e.transport(ctx, op, err)
	}
	if len(data) > maxResponse {
		return nil, envelope{}, e.make(KindBadResponse, op, resp.StatusCode, fmt.Errorf("response larger than %d bytes", maxResponse))
	}
	return interpret(op, resp.StatusCode, resp.Header, data, e)
}

// readBody reads a response body of up to maxResponse+1 bytes (one more
// than allowed, so an oversized body shows). A body of known length is
// read into one buffer of that size, where io.ReadAll would start at 512
// bytes and grow by copying.
func readBody(body io.Reader, length int64) ([]byte, error) {
	size := 512
	if length >= 0 && length <= maxResponse {
		size = int(length) + 1 // room to read the EOF without growing
	}
	buf := make([]byte, 0, size)
	r := io.LimitReader(body, maxResponse+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// interpret turns an HTTP answer into a SOAP body (and what was read from
// it) or a classified error.
func interpret(op string, status int, h http.Header, data []byte, e errCtx) ([]byte, envelope, error) {
	ctype := h.Get("Content-Type")
	soapCT := strings.Contains(strings.ToLower(ctype), "application/soap+xml")
	var (
		env  envelope
		perr error = errors.New("no SOAP content type")
	)
	if soapCT || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		env, perr = parseEnvelopeInfo(data)
	}
	fail := func(k Kind, err error) ([]byte, envelope, error) {
		return nil, envelope{}, e.make(k, op, status, err)
	}
	switch {
	case env.fault != nil:
		return fail(classifyFault(env.fault), env.fault)
	case status == http.StatusUnauthorized:
		if mentionsUnencrypted(data) {
			return fail(KindUnencrypted, fmt.Errorf("HTTP 401: %s", snippet(data)))
		}
		if len(h.Values("Www-Authenticate")) == 0 {
			return fail(KindUnauthorized, errors.New("HTTP 401"))
		}
		return fail(KindUnauthorized, fmt.Errorf("HTTP 401; the server offers %s", schemes(h)))
	case status == http.StatusOK && soapCT && perr == nil:
		return data, env, nil
	case mentionsUnencrypted(data):
		return fail(KindUnencrypted, fmt.Errorf("HTTP %d: %s", status, snippet(data)))
	case status == http.StatusOK && soapCT:
		return fail(KindBadResponse, perr)
	default:
		return fail(KindBadResponse, fmt.Errorf("HTTP %d, content type %q, %d bytes: %s", status, ctype, len(data), snippet(data)))
	}
}

// schemes lists the authentication schemes of WWW-Authenticate headers
// (without their data).
func schemes(h http.Header) string {
	var out []string
	for _, v := range h.Values("Www-Authenticate") {
		s, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

func mentionsUnencrypted(data []byte) bool {
	return bytes.Contains(bytes.ToLower(data), []byte("unencrypted"))
}

// snippet is a short printable excerpt of a body for error messages.
func snippet(data []byte) string {
	const n = 160
	s := strings.ToValidUTF8(string(data[:min(len(data), n)]), "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	if len(data) > n {
		s += "..."
	}
	if strings.TrimSpace(s) == "" {
		return "(empty body)"
	}
	return strings.TrimSpace(s)
}

// errCtx builds *Errors for one session.
type errCtx struct {
	target string
	hint   hint
}

func (e errCtx) make(k Kind, op string, status int, err error) *Error {
	return &Error{Kind: k, Target: e.target, Op: op, Err: err, HTTPStatus: status, hint: e.hint}
}

func (e errCtx) ctx(ctx context.Context, op string) *Error {
	return ctxError(ctx, e.target, op, e.hint)
}

func (e errCtx) transport(ctx context.Context, op string, err error) *Error {
	if ctx.Err() != nil {
		return e.ctx(ctx, op)
	}
	k, cause := classifyTransport(err)
	return e.make(k, op, 0, cause)
}

// stepTransport is the masterzen Transporter of one step: every request
// uses the step's context, so a deadline or cancellation aborts the request
// in flight. A new one is made for each step (masterzen's Transporter.Post
// takes no context), so a goroutine abandoned by an earlier step keeps its
// own, cancelled, context and cannot borrow a later step's.
type stepTransport struct {
	w   *wire
	ctx context.Context
	e   errCtx

	mu        sync.Mutex
	commandID string
}

// Transport implements winrm.Transporter; the wire is built per session.
func (t *stepTransport) Transport(*winrm.Endpoint) error { return nil }

// Post implements winrm.Transporter, for a message masterzen sends itself.
func (t *stepTransport) Post(c *winrm.Client, m *soap.SoapMessage) (string, error) {
	body := m.String()
	data, _, err := t.exchange(c, request{op: opOf(body), body: body, build: func() *soap.SoapMessage { return m }})
	return string(data), err
}

// exchange sends r with the step's context and returns the response body
// and what was read from it in remote's one parsing pass.
func (t *stepTransport) exchange(c *winrm.Client, r request) ([]byte, envelope, error) {
	op := r.op
	var data []byte
	var env envelope
	var err error
	if t.w.krb != nil {
		data, env, err = t.postKerberos(t.ctx, c, r.build(), op)
	} else {
		data, env, err = t.w.post(t.ctx, op, r.body, t.e)
	}
	if err == nil && op == opCommand {
		t.mu.Lock()
		t.commandID = env.commandID
		t.mu.Unlock()
	}
	return data, env, err
}

// postKerberos delegates to masterzen's ClientKerberos, which takes no
// context: the request cannot be aborted, only abandoned by the step.
func (t *stepTransport) postKerberos(ctx context.Context, c *winrm.Client, m *soap.SoapMessage, op string) ([]byte, envelope, error) {
	if ctx.Err() != nil {
		return nil, envelope{}, t.e.ctx(ctx, op)
	}
	t.w.total.Add(1)
	if st, ok := ctx.Value(statsKey{}).(*stepStats); ok {
		st.roundTrips.Add(1)
	}
	resp, err := t.w.krb.Post(c, m)
	if err == nil {
		return interpret(op, http.StatusOK, http.Header{"Content-Type": {"application/soap+xml"}}, []byte(resp), t.e)
	}
	if ctx.Err() != nil {
		return nil, envelope{}, t.e.ctx(ctx, op)
	}
	msg := err.Error()
	// "request returned: 500 - 500 Internal Server Error. Response body:\n<xml>"
	if _, after, ok := strings.Cut(msg, "Response body:\n"); ok && strings.HasPrefix(msg, "request returned: ") {
		var status int
		_, _ = fmt.Sscanf(msg, "request returned: %d", &status)
		return interpret(op, status, http.Header{"Content-Type": {"application/soap+xml"}}, []byte(after), t.e)
	}
	if strings.Contains(msg, "SPNego") || strings.Contains(msg, "kerberos") || strings.Contains(msg, "KDC") {
		return nil, envelope{}, t.e.make(KindUnauthorized, op, 0, errors.New(msg))
	}
	if strings.Contains(msg, "krb5") || strings.Contains(msg, "config") {
		return nil, envelope{}, t.e.make(KindInvalid, op, 0, errors.New(msg))
	}
	return nil, envelope{}, t.e.transport(ctx, op, err)
}

func (t *stepTransport) lastCommandID() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.commandID
}

// maxSendChunk is the most stdin bytes one Send may carry: base64 grows the
// data by a third, and the envelope around it needs room. (masterzen's own
// Stdin writer sends EnvelopeSize-1000 raw bytes, whose base64 exceeds
// MaxEnvelopeSize.)
func maxSendChunk(envelope int) int {
	return (envelope - 4096) / 4 * 3
}

// send writes data to the command's stdin with as few Send requests as the
// envelope size allows, End="true" on the last. masterzen's Stdin pipe
// would need one more request (its WriteClose is unusable: it sets EOF
// before writing and so always fails).
func (t *stepTransport) send(c *winrm.Client, url, shellID string, params *winrm.Parameters, data []byte) error {
	id := t.lastCommandID()
	if id == "" {
		return t.e.make(KindBadResponse, opSend, 0, errors.New("no CommandId in the Command response"))
	}
	chunk := maxSendChunk(params.EnvelopeSize)
	for first := true; first || len(data) > 0; first = false {
		n := min(chunk, len(data))
		kind := reqSend
		if n == len(data) {
			kind = reqSendEnd
		}
		_, _, err := t.exchange(c, newRequest(kind, requestFields{url: url, shellID: shellID, commandID: id, input: data[:n]}, params))
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}
