package remote

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// XML namespaces of the parts of a response remote reads.
const (
	nsSOAP       = "http://www.w3.org/2003/05/soap-envelope"
	nsWSManFault = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
)

// Fault is a WS-Management fault (s:Fault with f:WSManFault detail).
type Fault struct {
	// Code is f:WSManFault's Code attribute (0 when absent).
	Code uint32
	// Subcode is the local name of s:Subcode/s:Value, e.g. "TimedOut",
	// "InvalidSelectors", "InternalError".
	Subcode string
	// Reason is s:Reason/s:Text, in the server's language.
	Reason string
	// Message is the text of f:Message, including a ProviderFault.
	Message string
	// Machine is f:WSManFault's Machine attribute.
	Machine string
}

// Error formats the fault with its code in decimal and hex.
func (f *Fault) Error() string {
	var b strings.Builder
	b.WriteString("WS-Man fault")
	if f.Code != 0 {
		fmt.Fprintf(&b, " %d (0x%08X)", f.Code, f.Code)
	}
	if f.Subcode != "" {
		b.WriteString(" ")
		b.WriteString(f.Subcode)
	}
	text := f.Reason
	if text == "" {
		text = f.Message
	}
	if text != "" {
		b.WriteString(": ")
		b.WriteString(text)
	}
	return b.String()
}

// nsShell is the WinRS shell namespace (rsp:).
const nsShell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"

// envelope is what remote reads from a response in its one parsing pass.
type envelope struct {
	fault     *Fault
	commandID string // rsp:CommandId of a CommandResponse
}

// parseEnvelope checks that data is a well-formed SOAP envelope and returns
// the fault it carries, if any.
func parseEnvelope(data []byte) (*Fault, error) {
	env, err := parseEnvelopeInfo(data)
	return env.fault, err
}

// parseEnvelopeInfo is parseEnvelope returning the CommandId as well.
func parseEnvelopeInfo(data []byte) (envelope, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var (
		stack      []xml.Name
		f          *Fault
		root       bool
		reasonDone bool
		reason     strings.Builder
		message    strings.Builder
		value      strings.Builder
		cmdID      strings.Builder
	)
	in := func(local string) bool {
		for _, n := range stack {
			if n.Local == local {
				return true
			}
		}
		return false
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return envelope{}, fmt.Errorf("parse XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				if root {
					return envelope{}, errors.New("parse XML: more than one root element")
				}
				root = true
				if t.Name.Space != nsSOAP || t.Name.Local != "Envelope" {
					return envelope{}, fmt.Errorf("root element is %s, not a SOAP 1.2 Envelope", t.Name.Local)
				}
			}
			stack = append(stack, t.Name)
			switch {
			case t.Name.Space == nsSOAP && t.Name.Local == "Fault" && f == nil:
				f = &Fault{}
			case f != nil && t.Name.Space == nsWSManFault && t.Name.Local == "WSManFault":
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "Code":
						f.Code = parseFaultCode(a.Value)
					case "Machine":
						f.Machine = a.Value
					}
				}
			case f != nil && t.Name.Local == "Value":
				value.Reset()
			}
		case xml.EndElement:
			if len(stack) == 0 {
				return envelope{}, errors.New("parse XML: unbalanced end element")
			}
			if f != nil && t.Name.Local == "Value" && in("Subcode") {
				v := strings.TrimSpace(value.String())
				if i := strings.LastIndexByte(v, ':'); i >= 0 {
					v = v[i+1:]
				}
				f.Subcode = v
			}
			if f != nil && t.Name.Local == "Text" && in("Reason") && reason.Len() > 0 {
				reasonDone = true // keep the first language only
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t)) > 0 {
					return envelope{}, errors.New("parse XML: text outside the root element")
				}
				continue
			}
			if top := stack[len(stack)-1]; top.Local == "CommandId" && top.Space == nsShell {
				cmdID.Write(t)
			}
			if f == nil {
				continue
			}
			switch {
			case in("Reason") && stack[len(stack)-1].Local == "Text" && !reasonDone:
				reason.Write(t)
			case in("WSManFault") && in("Message"):
				message.Write(t)
			case stack[len(stack)-1].Local == "Value":
				value.Write(t)
			}
		}
	}
	if !root {
		return envelope{}, errors.New("empty document")
	}
	if f != nil {
		f.Reason = strings.TrimSpace(reason.String())
		f.Message = strings.TrimSpace(message.String())
	}
	return envelope{fault: f, commandID: strings.TrimSpace(cmdID.String())}, nil
}

// parseFaultCode reads a WSManFault Code: unsigned decimal, signed decimal
// (two's complement) or 0x hex.
func parseFaultCode(s string) uint32 {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseUint(s, 0, 32); err == nil {
		return uint32(v)
	}
	if v, err := strconv.ParseInt(s, 10, 32); err == nil {
		return uint32(int32(v))
	}
	return 0
}
