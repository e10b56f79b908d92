package remote

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"

	"github.com/masterzen/winrm"
	"github.com/masterzen/winrm/soap"
)

// A request is one WS-Man message a session sends: its operation (for
// errors and logs), its body as sent, and, for Kerberos (whose masterzen
// transport takes masterzen's message, not bytes), the function that
// builds masterzen's own message for it.
type request struct {
	op    string
	body  string
	build func() *soap.SoapMessage
}

// requestFields are the values that differ between two messages of one
// kind: masterzen writes each of them into the envelope as given (no
// escaping; a command line goes in a CDATA section).
type requestFields struct {
	url, shellID, commandID string
	command                 string // Command: the command line
	input                   []byte // Send: the stdin bytes (sent base64-encoded)
}

// requestKind is one of the messages masterzen builds for a session.
type requestKind uint8

const (
	reqCreate requestKind = iota
	reqCommand
	reqSend    // stdin, more to come
	reqSendEnd // stdin, End="true"
	reqReceive
	reqSignal // terminate
	reqDelete
)

func (k requestKind) op() string {
	return [...]string{opCreate, opCommand, opSend, opSend, opReceive, opSignal, opDelete}[k]
}

// masterzenRequest builds kind's message with masterzen's own builder.
func masterzenRequest(k requestKind, f requestFields, p *winrm.Parameters) *soap.SoapMessage {
	switch k {
	case reqCreate:
		return winrm.NewOpenShellRequest(f.url, p)
	case reqCommand:
		return winrm.NewExecuteCommandRequest(f.url, f.shellID, f.command, nil, p)
	case reqSend, reqSendEnd:
		return winrm.NewSendInputRequest(f.url, f.shellID, f.commandID, f.input, k == reqSendEnd, p)
	case reqReceive:
		return winrm.NewGetOutputRequest(f.url, f.shellID, f.commandID, "stdout stderr", p)
	case reqSignal:
		return winrm.NewSignalRequest(f.url, f.shellID, f.commandID, p)
	default:
		return winrm.NewDeleteShellRequest(f.url, f.shellID, p)
	}
}

// newRequest returns kind's message with fields f. Its body is what
// masterzen's builder writes for the same values, byte for byte, but
// filled into a template of that builder's output: masterzen builds every
// message as a DOM of some forty elements and prints it with fmt, about a
// tenth of an audit's CPU, for envelopes that differ only in a handful of
// values. Only the MessageID differs from the builder's, being a fresh
// random UUID of its own (TestRequestsAreMasterzens).
func newRequest(k requestKind, f requestFields, p *winrm.Parameters) request {
	r := request{op: k.op(), build: func() *soap.SoapMessage { return masterzenRequest(k, f, p) }}
	r.body = templateFor(k, f, p).fill(f.values(newMessageID()), f.input)
	return r
}

// A requestTemplate is a message of one kind as masterzen prints it, cut
// at the values that vary: literal parts, and between each two the slot
// that goes there.
type requestTemplate struct {
	parts []string
	slots []field
	size  int // the literal parts' total length
}

// slot names the value a template slot takes.
type field uint8

const (
	slotURL field = iota
	slotMessageID
	slotShellID
	slotCommandID
	slotCommand
	slotInput
	nSlots
)

// Stand-in values that cannot occur in masterzen's own text, one per
// slot, for building a template.
var sentinels = [nSlots]string{"\x00url\x00", "\x00mid\x00", "\x00shell\x00", "\x00cmdid\x00", "\x00line\x00", "\x00input\x00"}

// templateKey is what a template depends on besides its kind: the
// parameters masterzen writes into every header, and which values are
// empty (masterzen writes an element without content as <x/>).
type templateKey struct {
	kind            requestKind
	envelopeSize    int
	timeout, locale string
	empty           [nSlots]bool
}

var templates sync.Map // templateKey -> *requestTemplate

func templateFor(k requestKind, f requestFields, p *winrm.Parameters) *requestTemplate {
	key := templateKey{kind: k, envelopeSize: p.EnvelopeSize, timeout: p.Timeout, locale: p.Locale}
	for s, v := range f.values("uuid") {
		key.empty[s] = v == "" && (field(s) != slotInput || len(f.input) == 0)
	}
	if t, ok := templates.Load(key); ok {
		return t.(*requestTemplate)
	}
	t, err := makeTemplate(k, key.empty, p)
	if err != nil {
		panic(err) // masterzen's builder changed: TestRequestsAreMasterzens says how
	}
	actual, _ := templates.LoadOrStore(key, t)
	return actual.(*requestTemplate)
}

// makeTemplate prints kind's message with a stand-in for every value and
// cuts it at them. The Send stand-in is the input's base64: masterzen
// encodes the input itself.
func makeTemplate(k requestKind, empty [nSlots]bool, p *winrm.Parameters) (*requestTemplate, error) {
	stand := func(s field) string {
		if empty[s] {
			return ""
		}
		return sentinels[s]
	}
	f := requestFields{url: stand(slotURL), shellID: stand(slotShellID), commandID: stand(slotCommandID), command: stand(slotCommand)}
	if !empty[slotInput] {
		f.input = []byte("input stand-in")
	}
	text := masterzenRequest(k, f, p).String()
	if f.input != nil {
		text = strings.Replace(text, base64.StdEncoding.EncodeToString(f.input), sentinels[slotInput], 1)
	}
	// The MessageID is masterzen's random "uuid:..."; the template's slot
	// replaces it whole.
	const idOpen, idLen = "MessageID>", len("uuid:") + 36
	i := strings.Index(text, idOpen)
	if i < 0 || strings.Count(text, idOpen) != 2 || len(text) < i+len(idOpen)+idLen ||
		!strings.HasPrefix(text[i+len(idOpen):], "uuid:") {
		return nil, fmt.Errorf("remote: masterzen's %s message has no MessageID where expected:\n%s", k.op(), text)
	}
	i += len(idOpen)
	text = text[:i] + sentinels[slotMessageID] + text[i+idLen:]
	t := &requestTemplate{}
	for {
		at, which := -1, field(0)
		for s, v := range sentinels {
			if j := strings.Index(text, v); j >= 0 && (at < 0 || j < at) {
				at, which = j, field(s)
			}
		}
		if at < 0 {
			t.parts = append(t.parts, text)
			t.size += len(text)
			return t, nil
		}
		t.parts = append(t.parts, text[:at])
		t.size += at
		t.slots = append(t.slots, which)
		text = text[at+len(sentinels[which]):]
	}
}

// values are f's values by slot, with MessageID id (the input apart: it
// is written base64-encoded).
func (f requestFields) values(id string) [nSlots]string {
	return [nSlots]string{slotURL: f.url, slotMessageID: id, slotShellID: f.shellID, slotCommandID: f.commandID, slotCommand: f.command}
}

// fill writes the message with values vals and input.
func (t *requestTemplate) fill(vals [nSlots]string, input []byte) string {
	n := t.size
	for _, s := range t.slots {
		if s == slotInput {
			n += base64.StdEncoding.EncodedLen(len(input))
		} else {
			n += len(vals[s])
		}
	}
	// One allocation, the string's own (a []byte turned into a string
	// would be copied: a second 7 KB for the audit's Command).
	var b strings.Builder
	b.Grow(n)
	for i, s := range t.slots {
		b.WriteString(t.parts[i])
		if s == slotInput {
			enc := base64.NewEncoder(base64.StdEncoding, &b)
			_, _ = enc.Write(input)
			_ = enc.Close()
		} else {
			b.WriteString(vals[s])
		}
	}
	b.WriteString(t.parts[len(t.parts)-1])
	return b.String()
}

// newMessageID returns a random (version 4) UUID as masterzen writes a
// MessageID: "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
func newMessageID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // never fails (crypto/rand)
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [len("uuid:") + 36]byte
	copy(b[:], "uuid:")
	hex.Encode(b[5:13], u[0:4])
	b[13] = '-'
	hex.Encode(b[14:18], u[4:6])
	b[18] = '-'
	hex.Encode(b[19:23], u[6:8])
	b[23] = '-'
	hex.Encode(b[24:28], u[8:10])
	b[28] = '-'
	hex.Encode(b[29:], u[10:])
	return string(b[:])
}
