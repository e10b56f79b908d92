package winrmtest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// XML namespaces of WS-Management and WinRS, as Windows uses them.
const (
	nsSoap     = "http://www.w3.org/2003/05/soap-envelope"
	nsAddr     = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
	nsTransfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
	nsEventing = "http://schemas.xmlsoap.org/ws/2004/08/eventing"
	nsEnum     = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
	nsWsman    = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
	nsMSWsman  = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
	nsShell    = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
	nsFault    = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// Action URIs, resource URIs and state URIs.
const (
	uriCmdShell      = nsShell + "/cmd"
	actionURICreate  = nsTransfer + "/Create"
	actionURIDelete  = nsTransfer + "/Delete"
	actionURICommand = nsShell + "/Command"
	actionURIReceive = nsShell + "/Receive"
	actionURISend    = nsShell + "/Send"
	actionURISignal  = nsShell + "/Signal"
	actionURIFault   = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
	signalURIPrefix  = nsShell + "/signal/"
	stateURIRunning  = nsShell + "/CommandState/Running"
	stateURIDone     = nsShell + "/CommandState/Done"
	uriAnonymous     = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
)

// Action names used by the request log, Count and Fault.Action.
const (
	ActionCreate  = "Create"
	ActionCommand = "Command"
	ActionReceive = "Receive"
	ActionSend    = "Send"
	ActionSignal  = "Signal"
	ActionDelete  = "Delete"
)

// shortAction maps a request action URI to its short name, "" if unknown.
func shortAction(uri string) string {
	switch uri {
	case actionURICreate:
		return ActionCreate
	case actionURICommand:
		return ActionCommand
	case actionURIReceive:
		return ActionReceive
	case actionURISend:
		return ActionSend
	case actionURISignal:
		return ActionSignal
	case actionURIDelete:
		return ActionDelete
	}
	return ""
}

// canonicalAction normalises a user-supplied action name ("receive",
// "Receive" or the full URI) to its short name. ok is false when unknown.
func canonicalAction(name string) (string, bool) {
	if name == "" {
		return "", true
	}
	if a := shortAction(name); a != "" {
		return a, true
	}
	for _, a := range [...]string{ActionCreate, ActionCommand, ActionReceive, ActionSend, ActionSignal, ActionDelete} {
		if strings.EqualFold(a, name) {
			return a, true
		}
	}
	return "", false
}

// option is one wsman:Option of the request's OptionSet.
type option struct {
	Name, Value string
}

// inputStream is one rsp:Stream of a Send request.
type inputStream struct {
	Name      string
	CommandID string
	End       bool
	Data      string // base64 as sent
}

// message is a parsed WS-Management request.
type message struct {
	ActionURI        string
	Action           string // short name, "" if not a WinRS action
	MessageID        string
	To               string
	ResourceURI      string
	MaxEnvelopeSize  string // raw header text, "" if absent
	OperationTimeout string // raw xs:duration, "" if absent
	Locale           string
	ShellID          string // Selector Name="ShellId"
	Options          []option

	// Create
	HasShell    bool
	IdleTimeOut string

	// Command
	Command   string
	Arguments []string

	// Receive, Signal (and the first Send stream)
	CommandID      string
	DesiredStreams string

	// Signal
	SignalCode string

	// Send
	Streams []inputStream
}

// option returns the value of the named wsman:Option (case-insensitive).
func (m *message) option(name string) (string, bool) {
	for _, o := range m.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return "", false
}

// commandLine is the line cmd.exe sees: the command and its arguments
// joined by single spaces.
func (m *message) commandLine() string {
	if len(m.Arguments) == 0 {
		return m.Command
	}
	n := len(m.Command)
	for _, a := range m.Arguments {
		n += 1 + len(a)
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(m.Command)
	for _, a := range m.Arguments {
		b.WriteByte(' ')
		b.WriteString(a)
	}
	return b.String()
}

// xmlNamespace is the namespace of the reserved "xml" prefix.
const xmlNamespace = "http://www.w3.org/XML/1998/namespace"

var (
	errNoEnvelope  = errors.New("no soap:Envelope root element")
	errUnbound     = errors.New("unbound namespace prefix")
	errMismatch    = errors.New("element end does not match its start")
	errUnterminate = errors.New("unexpected end of document")
)

// nsBinding is one xmlns declaration in scope.
type nsBinding struct{ prefix, uri string }

// xmlFrame is an open element.
type xmlFrame struct {
	raw   xml.Name // as written, to match the end tag
	name  xml.Name // namespace-resolved
	nbind int      // len(bindings) before this element's declarations
}

// parseMessage parses a SOAP request with encoding/xml. Elements are
// matched by namespace URI and local name, never by prefix, so "env:"/"s:",
// "a:"/"wsa:" and "w:"/"wsman:" clients all parse the same. It streams raw
// tokens and resolves prefixes itself: Unmarshal and Token cost several
// times the allocations.
//
// Most requests are read by fastTokens; what it does not read is read
// again by encoding/xml's decoder, which decides.
func parseMessage(data []byte) (*message, error) {
	m, err := parseTokens(&fastTokens{data: data})
	if errors.Is(err, errNotFast) {
		return parseTokens(xml.NewDecoder(bytes.NewReader(data)))
	}
	return m, err
}

func parseTokens(d rawTokenizer) (*message, error) {
	m := &message{}
	var (
		bindings []nsBinding
		stack    []xmlFrame
		text     []byte
		rootDone bool
		inBody   bool   // a shell body element was seen
		selector string // Name of the open wsman:Selector
	)
	resolve := func(prefix string) (string, bool) {
		if prefix == "xml" {
			return xmlNamespace, true
		}
		for i := len(bindings) - 1; i >= 0; i-- {
			if bindings[i].prefix == prefix {
				return bindings[i].uri, true
			}
		}
		return "", prefix == ""
	}
	attr := func(t xml.StartElement, local string) string {
		for _, a := range t.Attr {
			if a.Name.Space == "" && a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}
	for !rootDone {
		tok, err := d.RawToken()
		if err == io.EOF {
			if len(stack) > 0 {
				return nil, fmt.Errorf("parse soap envelope: %w", errUnterminate)
			}
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse soap envelope: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			f := xmlFrame{raw: t.Name, nbind: len(bindings)}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					bindings = append(bindings, nsBinding{a.Name.Local, a.Value})
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					bindings = append(bindings, nsBinding{"", a.Value})
				}
			}
			space, ok := resolve(t.Name.Space)
			if !ok {
				return nil, fmt.Errorf("parse soap envelope: %w %q", errUnbound, t.Name.Space)
			}
			f.name = xml.Name{Space: space, Local: t.Name.Local}
			depth := len(stack) // of the new element: 0 is the root
			var parent xml.Name
			if depth > 0 {
				parent = stack[depth-1].name
			}
			stack = append(stack, f)
			text = text[:0]
			n := f.name
			switch {
			case depth == 0:
				if n.Space != nsSoap || n.Local != "Envelope" {
					return nil, fmt.Errorf("parse soap envelope: %w, got {%s}%s", errNoEnvelope, n.Space, n.Local)
				}
			case depth == 2 && parent.Space == nsSoap && parent.Local == "Header":
				if n.Space == nsWsman && n.Local == "Locale" {
					for _, a := range t.Attr {
						if a.Name.Space == "xml" && a.Name.Local == "lang" {
							m.Locale = a.Value
						}
					}
				}
			case depth == 2 && parent.Space == nsSoap && parent.Local == "Body" && n.Space == nsShell:
				switch n.Local {
				case "Shell":
					m.HasShell = true
				case "Signal":
					m.CommandID = strings.TrimSpace(attr(t, "CommandId"))
				}
				inBody = true
			case depth == 3 && inBody && parent.Space == nsShell && n.Space == nsShell:
				switch {
				case parent.Local == "Receive" && n.Local == "DesiredStream":
					m.CommandID = strings.TrimSpace(attr(t, "CommandId"))
				case parent.Local == "Send" && n.Local == "Stream":
					end, _ := strconv.ParseBool(strings.TrimSpace(attr(t, "End")))
					m.Streams = append(m.Streams, inputStream{
						Name:      strings.TrimSpace(attr(t, "Name")),
						CommandID: strings.TrimSpace(attr(t, "CommandId")),
						End:       end,
					})
					if len(m.Streams) == 1 {
						m.CommandID = m.Streams[0].CommandID
					}
				}
			case depth == 3 && parent.Space == nsWsman && n.Space == nsWsman:
				switch {
				case parent.Local == "SelectorSet" && n.Local == "Selector":
					selector = attr(t, "Name") // the value is the text, taken at the end tag
				case parent.Local == "OptionSet" && n.Local == "Option":
					m.Options = append(m.Options, option{Name: attr(t, "Name")})
				}
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return nil, fmt.Errorf("parse soap envelope: %w", errMismatch)
			}
			f := stack[len(stack)-1]
			if f.raw != t.Name {
				return nil, fmt.Errorf("parse soap envelope: %w: <%s:%s> closed by </%s:%s>", errMismatch,
					f.raw.Space, f.raw.Local, t.Name.Space, t.Name.Local)
			}
			stack = stack[:len(stack)-1]
			bindings = bindings[:f.nbind]
			depth := len(stack)
			if depth == 0 {
				rootDone = true
				break
			}
			parent := stack[depth-1].name
			n := f.name
			switch {
			case depth == 2 && parent.Space == nsSoap && parent.Local == "Header":
				v := strings.TrimSpace(string(text))
				switch {
				case n.Space == nsAddr && n.Local == "Action":
					m.ActionURI = v
				case n.Space == nsAddr && n.Local == "MessageID":
					m.MessageID = v
				case n.Space == nsAddr && n.Local == "To":
					m.To = v
				case n.Space == nsWsman && n.Local == "ResourceURI":
					m.ResourceURI = v
				case n.Space == nsWsman && n.Local == "MaxEnvelopeSize":
					m.MaxEnvelopeSize = v
				case n.Space == nsWsman && n.Local == "OperationTimeout":
					m.OperationTimeout = v
				}
			case depth == 3 && parent.Space == nsWsman && n.Space == nsWsman && parent.Local == "SelectorSet" && n.Local == "Selector":
				if strings.EqualFold(selector, "ShellId") {
					m.ShellID = strings.TrimSpace(string(text))
				}
			case depth == 3 && parent.Space == nsWsman && n.Space == nsWsman && parent.Local == "OptionSet" && n.Local == "Option":
				m.Options[len(m.Options)-1].Value = strings.TrimSpace(string(text))
			case depth == 3 && inBody && parent.Space == nsShell && n.Space == nsShell:
				switch {
				case parent.Local == "Shell" && n.Local == "IdleTimeOut":
					m.IdleTimeOut = strings.TrimSpace(string(text))
				case parent.Local == "CommandLine" && n.Local == "Command":
					m.Command = string(text)
				case parent.Local == "CommandLine" && n.Local == "Arguments":
					m.Arguments = append(m.Arguments, string(text))
				case parent.Local == "Receive" && n.Local == "DesiredStream":
					m.DesiredStreams = strings.TrimSpace(string(text))
				case parent.Local == "Send" && n.Local == "Stream":
					m.Streams[len(m.Streams)-1].Data = strings.TrimSpace(string(text))
				case parent.Local == "Signal" && n.Local == "Code":
					m.SignalCode = strings.TrimSpace(string(text))
				}
			}
			text = text[:0]
		case xml.CharData:
			if len(stack) > 0 {
				text = append(text, t...)
			}
		}
	}
	if !rootDone {
		return nil, fmt.Errorf("parse soap envelope: %w", errNoEnvelope)
	}
	m.Action = shortAction(m.ActionURI)
	return m, nil
}

var errDuration = errors.New("invalid xs:duration")

// parseDuration parses an xs:duration such as PT60S, PT60.000S, PT2M,
// P3DT2H or P0DT0H0M0S. Years count 365 days and months 30 days.
func parseDuration(s string) (time.Duration, error) {
	orig := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg = true
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 2 {
		return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
	}
	s = s[1:]
	var total float64 // seconds
	inTime := false
	seen := false
	lastUnit := -1
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime || len(s) == 1 {
				return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
		}
		num := s[:i]
		v, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
		}
		unit := s[i]
		s = s[i+1:]
		var mult float64
		var rank int
		switch {
		case !inTime && unit == 'Y':
			mult, rank = 365*86400, 0
		case !inTime && unit == 'M':
			mult, rank = 30*86400, 1
		case !inTime && unit == 'W':
			mult, rank = 7*86400, 2
		case !inTime && unit == 'D':
			mult, rank = 86400, 3
		case inTime && unit == 'H':
			mult, rank = 3600, 4
		case inTime && unit == 'M':
			mult, rank = 60, 5
		case inTime && unit == 'S':
			mult, rank = 1, 6
		default:
			return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
		}
		// Units must appear in order, once; only seconds may be fractional.
		if rank <= lastUnit || (unit != 'S' && strings.Contains(num, ".")) {
			return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
		}
		lastUnit = rank
		seen = true
		total += v * mult
	}
	if !seen || total*float64(time.Second) > math.MaxInt64 {
		return 0, fmt.Errorf("parse duration %q: %w", orig, errDuration)
	}
	d := time.Duration(total * float64(time.Second))
	if neg {
		d = -d
	}
	return d, nil
}

// formatDuration renders d as Windows does in rsp:IdleTimeOut (PT7200.000S).
func formatDuration(d time.Duration) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}
