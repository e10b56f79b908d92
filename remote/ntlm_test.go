package remote

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/bits"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// md4 is RFC 1320, needed to verify NTLMv2 responses (not in the
// standard library).
func md4(msg []byte) []byte {
	a0, b0, c0, d0 := uint32(0x67452301), uint32(0xefcdab89), uint32(0x98badcfe), uint32(0x10325476)
	n := uint64(len(msg)) * 8
	msg = append(bytes.Clone(msg), 0x80)
	for len(msg)%64 != 56 {
		msg = append(msg, 0)
	}
	msg = binary.LittleEndian.AppendUint64(msg, n)
	rot := bits.RotateLeft32
	for i := 0; i < len(msg); i += 64 {
		var x [16]uint32
		for j := range x {
			x[j] = binary.LittleEndian.Uint32(msg[i+4*j:])
		}
		a, b, c, d := a0, b0, c0, d0
		f := func(x, y, z uint32) uint32 { return x&y | ^x&z }
		g := func(x, y, z uint32) uint32 { return x&y | x&z | y&z }
		h := func(x, y, z uint32) uint32 { return x ^ y ^ z }
		for _, k := range [4]int{0, 4, 8, 12} {
			a = rot(a+f(b, c, d)+x[k], 3)
			d = rot(d+f(a, b, c)+x[k+1], 7)
			c = rot(c+f(d, a, b)+x[k+2], 11)
			b = rot(b+f(c, d, a)+x[k+3], 19)
		}
		for _, k := range [4]int{0, 1, 2, 3} {
			a = rot(a+g(b, c, d)+x[k]+0x5a827999, 3)
			d = rot(d+g(a, b, c)+x[k+4]+0x5a827999, 5)
			c = rot(c+g(d, a, b)+x[k+8]+0x5a827999, 9)
			b = rot(b+g(c, d, a)+x[k+12]+0x5a827999, 13)
		}
		for _, k := range [4]int{0, 2, 1, 3} {
			a = rot(a+h(b, c, d)+x[k]+0x6ed9eba1, 3)
			d = rot(d+h(a, b, c)+x[k+8]+0x6ed9eba1, 9)
			c = rot(c+h(d, a, b)+x[k+4]+0x6ed9eba1, 11)
			b = rot(b+h(c, d, a)+x[k+12]+0x6ed9eba1, 15)
		}
		a0, b0, c0, d0 = a0+a, b0+b, c0+c, d0+d
	}
	out := make([]byte, 0, 16)
	for _, v := range [4]uint32{a0, b0, c0, d0} {
		out = binary.LittleEndian.AppendUint32(out, v)
	}
	return out
}

func TestMD4(t *testing.T) {
	for in, want := range map[string]string{
		"":    "31d6cfe0d16ae931b73c59d7e0c089c0",
		"abc": "a448017aaf21d8525fc10ae87aa6729d",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "e33b4ddc9c38f2199c3e7b164fcc0536",
	} {
		if got := hex.EncodeToString(md4([]byte(in))); got != want {
			t.Errorf("md4(%q) = %s, want %s", in, got, want)
		}
	}
	// The NT hash of "password".
	if got := hex.EncodeToString(md4(utf16le("password"))); got != "8846f7eaee8fb117ad06bdd830b7586c" {
		t.Errorf("NT hash = %s", got)
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// ntlmStub puts connection-based NTLMv2 authentication, verified against
// a password, in front of an http.Handler, the way HTTP.sys does for a
// WinRM listener: an unauthenticated request gets 401 Negotiate; NEGOTIATE
// gets a CHALLENGE; a valid AUTHENTICATE authenticates the connection, and
// later requests on it need no Authorization header.
type ntlmStub struct {
	next         http.Handler
	user, domain string
	password     string

	mu         sync.Mutex
	authed     map[string]bool   // by connection (remote address)
	pending    map[string][]byte // server challenge by connection
	requests   atomic.Int64
	handshakes atomic.Int64
}

func (s *ntlmStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	conn := r.RemoteAddr
	auth := r.Header.Get("Authorization")
	s.mu.Lock()
	authed := s.authed[conn]
	s.mu.Unlock()
	if strings.HasPrefix(auth, "Basic ") {
		s.unauthorized(w, "") // Basic is off, as on Windows by default
		return
	}
	if authed && auth == "" {
		s.next.ServeHTTP(w, r)
		return
	}
	tok, ok := strings.CutPrefix(auth, "Negotiate ")
	if !ok {
		s.unauthorized(w, "")
		return
	}
	msg, err := base64.StdEncoding.DecodeString(tok)
	if err != nil || len(msg) < 12 || string(msg[:8]) != "NTLMSSP\x00" {
		s.unauthorized(w, "")
		return
	}
	switch binary.LittleEndian.Uint32(msg[8:]) {
	case 1:
		challenge := make([]byte, 8)
		_, _ = rand.Read(challenge)
		s.mu.Lock()
		s.pending[conn] = challenge
		s.mu.Unlock()
		s.unauthorized(w, "Negotiate "+base64.StdEncoding.EncodeToString(s.challengeMessage(challenge)))
	case 3:
		s.mu.Lock()
		challenge := s.pending[conn]
		delete(s.pending, conn)
		s.mu.Unlock()
		if err := s.verify(msg, challenge); err != nil {
			s.unauthorized(w, "")
			return
		}
		s.handshakes.Add(1)
		s.mu.Lock()
		s.authed[conn] = true
		s.mu.Unlock()
		s.next.ServeHTTP(w, r)
	default:
		s.unauthorized(w, "")
	}
}

func (s *ntlmStub) unauthorized(w http.ResponseWriter, challenge string) {
	if challenge == "" {
		w.Header()["Www-Authenticate"] = []string{"Negotiate", "Kerberos", "CredSSP"}
	} else {
		w.Header().Set("Www-Authenticate", challenge)
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

// challengeMessage builds an NTLM CHALLENGE (type 2) for NTLMv2.
func (s *ntlmStub) challengeMessage(challenge []byte) []byte {
	const flags = 0x00000001 | 0x00000004 | 0x00000200 | 0x00008000 | 0x00080000 | 0x00800000 // unicode, request target, NTLM, always sign, ESS, target info
	target := utf16le(s.domain)
	info := binary.LittleEndian.AppendUint16(nil, 2) // MsvAvNbDomainName
	info = binary.LittleEndian.AppendUint16(info, uint16(len(target)))
	info = append(info, target...)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL
	const head = 48
	m := []byte("NTLMSSP\x00")
	m = binary.LittleEndian.AppendUint32(m, 2)
	m = appendVarField(m, len(target), head)
	m = binary.LittleEndian.AppendUint32(m, flags)
	m = append(m, challenge...)
	m = append(m, make([]byte, 8)...)
	m = appendVarField(m, len(info), head+len(target))
	m = append(m, target...)
	return append(m, info...)
}

func appendVarField(b []byte, n, off int) []byte {
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	b = binary.LittleEndian.AppendUint16(b, uint16(n))
	return binary.LittleEndian.AppendUint32(b, uint32(off))
}

// verify checks an AUTHENTICATE (type 3) message's NTLMv2 response.
func (s *ntlmStub) verify(msg, challenge []byte) error {
	field := func(at int) ([]byte, error) {
		if len(msg) < at+8 {
			return nil, errors.New("short message")
		}
		n := int(binary.LittleEndian.Uint16(msg[at:]))
		off := int(binary.LittleEndian.Uint32(msg[at+4:]))
		if off+n > len(msg) {
			return nil, errors.New("field out of range")
		}
		return msg[off : off+n], nil
	}
	nt, err := field(20)
	if err != nil || len(nt) < 16 || challenge == nil {
		return errors.New("no NTLMv2 response")
	}
	domain, _ := field(28)
	user, _ := field(36)
	if !bytes.EqualFold(user, utf16le(s.user)) {
		return errors.New("wrong user")
	}
	key := hmacMD5(md4(utf16le(s.password)), utf16le(strings.ToUpper(s.user)), domain)
	if !hmac.Equal(hmacMD5(key, challenge, nt[16:]), nt[:16]) {
		return errors.New("wrong password")
	}
	return nil
}

func startNTLM(t *testing.T) (*ntlmStub, *winrmtest.Server, Target) {
	t.Helper()
	fake := winrmtest.New(winrmtest.Options{Handler: psHandler(echoScript)}) // any Basic or none
	t.Cleanup(func() { _ = fake.Close() })
	stub := &ntlmStub{next: fake.Handler(), user: "operator", domain: "LAB", password: testPassword,
		authed: map[string]bool{}, pending: map[string][]byte{}}
	hs := httptest.NewServer(stub)
	t.Cleanup(hs.Close)
	a := hs.Listener.Addr().(*net.TCPAddr)
	return stub, fake, Target{Name: "ntlm01", Address: a.IP.String(), Port: a.Port, Auth: AuthNTLM, User: testUser, Password: testPassword}
}

func TestNTLM(t *testing.T) {
	stub, fake, tg := startNTLM(t)
	c := newClient(t, Options{})
	s, err := c.Open(context.Background(), tg)
	if err != nil {
		t.Fatal(err)
	}
	open := s.RoundTrips()
	openHandshakes := stub.handshakes.Load()
	var steps []int
	var handshakes []int64 // new authenticated connections per step
	for _, script := range []string{"one", "two", "three"} {
		before := stub.handshakes.Load()
		// With a parameter, the script goes on stdin: a Send.
		res, err := s.Run(context.Background(), Command{Script: script, Params: map[string]any{"Step": script}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Stdout != script {
			t.Errorf("stdout %q", res.Stdout)
		}
		steps = append(steps, res.RoundTrips)
		handshakes = append(handshakes, stub.handshakes.Load()-before)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("NTLM HTTP exchanges: open %d, steps %v (new connections %v), session %d, handshakes %d",
		open, steps, handshakes, s.RoundTrips(), stub.handshakes.Load())
	// Create on a new connection: anonymous 401, NEGOTIATE 401, AUTHENTICATE 200.
	if open != 3 || openHandshakes != 1 {
		t.Errorf("Create took %d HTTP exchanges and %d handshakes, want 3 and 1", open, openHandshakes)
	}
	if int64(s.RoundTrips()) != stub.requests.Load() {
		t.Errorf("session counted %d exchanges, server saw %d", s.RoundTrips(), stub.requests.Load())
	}
	// The SOAP messages behind the handshakes: the first step's terminate
	// signal is deferred to the second step, the last one's is never sent.
	want := []string{
		"Create",
		"Command", "Send", "Receive",
		"Signal", "Command", "Send", "Receive",
		"Signal", "Command", "Send", "Receive",
		"Delete",
	}
	if diff := cmp.Diff(want, actions(fake.Requests())); diff != "" {
		t.Errorf("SOAP messages (-want +got):\n%s", diff)
	}
	// A step sends its messages one at a time, so the whole session uses
	// the connection Create authenticated: one exchange per SOAP message,
	// no further handshake. The first step sends 3 messages, later ones 4
	// (the deferred Signal first).
	for i, n := range steps {
		msgs := 4
		if i == 0 {
			msgs = 3
		}
		if n != msgs || handshakes[i] != 0 {
			t.Errorf("step %d took %d exchanges and %d handshakes, want %d and 0", i, n, handshakes[i], msgs)
		}
	}
	if total := int64(len(want)) + 2; int64(s.RoundTrips()) != total || stub.handshakes.Load() != 1 {
		t.Errorf("session took %d exchanges and %d handshakes, want %d messages plus 2 for the one handshake = %d",
			s.RoundTrips(), stub.handshakes.Load(), len(want), total)
	}

	t.Run("wrong password", func(t *testing.T) {
		bad := tg
		bad.Password = "wrong"
		_, err := c.Exec(context.Background(), bad, Command{Script: "x"})
		var re *Error
		if !errors.As(err, &re) || re.Kind != KindUnauthorized || re.HTTPStatus != 401 {
			t.Fatalf("got %v", err)
		}
		if !strings.Contains(re.Explain(), `DOMAIN\user`) {
			t.Errorf("explanation: %s", re.Explain())
		}
	})
}

// TestNTLMConcurrentHandshakes sends many requests at once through one
// session's wire, each needing connections that are not yet
// authenticated. The stub keeps the server challenge with the connection
// that asked for it, as HTTP.sys does, so an AUTHENTICATE that leaves on
// another connection is refused. Before lanes, the legs of concurrent
// handshakes took whichever pooled connection was free at each instant
// and this failed in nearly every run (TestNTLM, whose Send overlapped
// masterzen's Receive long-poll, in about 1 of 50).
func TestNTLMConcurrentHandshakes(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/soap+xml;charset=UTF-8")
		_, _ = w.Write([]byte(`<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>`))
	})
	stub := &ntlmStub{next: ok, user: "operator", domain: "LAB", password: testPassword,
		authed: map[string]bool{}, pending: map[string][]byte{}}
	var (
		mu    sync.Mutex
		conns = map[string]bool{}
	)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		stub.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	a := hs.Listener.Addr().(*net.TCPAddr)
	tg := Target{Name: "ntlm-conc", Address: a.IP.String(), Port: a.Port, Auth: AuthNTLM, User: testUser, Password: testPassword}
	w, err := newWire(tg, Options{}, time.Minute, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	const workers, each = 8, 5
	errs := make(chan error, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				_, _, err := w.post(context.Background(), opOther, "<x/>", errCtx{target: tg.Name})
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			failed++
			if failed == 1 {
				t.Errorf("request failed: %v", err)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d requests failed", failed, workers*each)
	}
	mu.Lock()
	defer mu.Unlock()
	// Every connection authenticated once, by one complete handshake on it.
	if h := stub.handshakes.Load(); h != int64(len(conns)) {
		t.Errorf("%d handshakes on %d connections, want one per connection", h, len(conns))
	}
	if want := int64(workers*each) + 2*stub.handshakes.Load(); w.total.Load() != want || stub.requests.Load() != want {
		t.Errorf("client counted %d exchanges, server saw %d, want %d requests plus 2 per handshake = %d",
			w.total.Load(), stub.requests.Load(), workers*each, want)
	}
}

// TestNTLMOverHTTPS runs the same NTLM exchange through TLS, verifying the
// server's certificate against its CA, and checks a wrong password there
// too: NTLM over HTTPS is the usual production set-up.
func TestNTLMOverHTTPS(t *testing.T) {
	fake := winrmtest.New(winrmtest.Options{Handler: psHandler(echoScript)})
	t.Cleanup(func() { _ = fake.Close() })
	stub := &ntlmStub{next: fake.Handler(), user: "operator", domain: "LAB", password: testPassword,
		authed: map[string]bool{}, pending: map[string][]byte{}}
	hs := httptest.NewTLSServer(stub)
	t.Cleanup(hs.Close)
	a := hs.Listener.Addr().(*net.TCPAddr)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	tg := Target{Name: "ntlm-tls", Address: a.IP.String(), Port: a.Port, HTTPS: true, CACertPEM: caPEM,
		Auth: AuthNTLM, User: testUser, Password: testPassword}
	c := newClient(t, Options{})
	res, err := c.Exec(context.Background(), tg, Command{Script: "over tls", Params: map[string]any{"Send": true}})
	if err != nil || res.Stdout != "over tls" || res.ExitCode != 0 {
		t.Fatalf("Exec = %+v, %v", res, err)
	}
	if stub.handshakes.Load() == 0 {
		t.Error("no NTLM handshake was completed")
	}
	if want := []string{"Create", "Command", "Send", "Receive", "Delete"}; !cmp.Equal(want, actions(fake.Requests())) {
		t.Errorf("SOAP messages %v, want %v", actions(fake.Requests()), want)
	}
	bad := tg
	bad.Password = "Wr0ng-S3cret-7Q"
	_, err = c.Exec(context.Background(), bad, Command{Script: "x"})
	var re *Error
	if !errors.As(err, &re) || re.Kind != KindUnauthorized || re.HTTPStatus != 401 {
		t.Errorf("wrong password over HTTPS: %v", err)
	}
	if strings.Contains(err.Error(), "Wr0ng-S3cret-7Q") {
		t.Errorf("error text leaks the password: %v", err)
	}
}

// TestNTLMNeverFallsBackToBasic: a server whose 401 offers only Basic (or
// only a scheme wsbbot does not speak) never receives the password. Before
// the guard, go-ntlmssp's negotiator answered such a 401 with
// "Authorization: Basic user:password", in clear over http.
func TestNTLMNeverFallsBackToBasic(t *testing.T) {
	for _, tc := range []struct {
		name, offer string
		https       bool
	}{
		{"basic only over http", `Basic realm="WSMAN"`, false},
		{"basic only over https", `Basic realm="WSMAN"`, true},
		{"kerberos only", "Kerberos", false},
		{"nothing offered", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu    sync.Mutex
				auths []string
			)
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				auths = append(auths, r.Header.Get("Authorization"))
				mu.Unlock()
				if tc.offer != "" {
					w.Header().Set("WWW-Authenticate", tc.offer)
				}
				w.WriteHeader(http.StatusUnauthorized)
			})
			var hs *httptest.Server
			if tc.https {
				hs = httptest.NewTLSServer(h)
			} else {
				hs = httptest.NewServer(h)
			}
			t.Cleanup(hs.Close)
			a := hs.Listener.Addr().(*net.TCPAddr)
			tg := Target{Name: "basic-only", Address: a.IP.String(), Port: a.Port, Auth: AuthNTLM, User: testUser, Password: testPassword}
			if tc.https {
				tg.HTTPS = true
				tg.CACertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
			}
			_, err := newClient(t, Options{}).Exec(context.Background(), tg, Command{Script: "x"})
			var re *Error
			if !errors.As(err, &re) {
				t.Fatalf("Exec error = %v, want an *Error", err)
			}
			mu.Lock()
			defer mu.Unlock()
			secret := base64.StdEncoding.EncodeToString([]byte(testUser + ":" + testPassword))
			for i, a := range auths {
				if strings.HasPrefix(strings.ToLower(a), "basic") || strings.Contains(a, secret) {
					t.Errorf("request %d carried %q: the password left wsbbot with a scheme other than NTLM", i, a)
				}
			}
			if len(auths) == 0 {
				t.Fatal("the server saw no request")
			}
			if tc.offer == "" {
				// No WWW-Authenticate: an ordinary 401, nothing to fall back to.
				if re.Kind != KindUnauthorized && re.Kind != KindAuthScheme {
					t.Errorf("kind %s, want unauthorized or auth-scheme", re.Kind)
				}
				return
			}
			if re.Kind != KindAuthScheme {
				t.Fatalf("kind %s (%v), want %s", re.Kind, err, KindAuthScheme)
			}
			offered, _, _ := strings.Cut(tc.offer, " ")
			if !strings.Contains(err.Error(), "offers only "+offered) {
				t.Errorf("error does not say what the server offered: %v", err)
			}
			if !strings.Contains(re.Explain(), `Negotiate="true"`) {
				t.Errorf("explanation lacks the usual fix: %s", re.Explain())
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}
