package remote

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
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

// XML namespaces and values of the parts of a response remote reads.
const (
	nsShell   = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell" // rsp:
	nsWSMan   = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"          // w:
	stateDone = nsShell + "/CommandState/Done"
)

// envelope is what remote reads from a response in its one parsing pass
// (masterzen's own parsers, an XML tree and XPath per query, are not used:
// they would parse every response a second time). It reads what masterzen
// reads, the same way:
//   - shellID: //w:Selector[@Name='ShellId'] of a CreateResponse, else
//     rsp:ShellId (Windows sends both);
//   - commandID: rsp:CommandId of a CommandResponse;
//   - stdout, stderr: every rsp:Stream[@Name='stdout'|'stderr'] of a
//     ReceiveResponse, base64-decoded and concatenated in document order
//     (an undecodable stream contributes what decodes before the fault, as
//     masterzen's DecodeString use does); the End attribute is not needed;
//   - done: some element has State=".../CommandState/Done"; then exitCode
//     is rsp:ExitCode (0 when absent, as masterzen reads it).
type envelope struct {
	fault          *Fault
	shellID        string
	commandID      string
	stdout, stderr []byte
	done           bool
	exitCode       int
}

// parseEnvelope checks that data is a well-formed SOAP envelope and returns
// the fault it carries, if any.
func parseEnvelope(data []byte) (*Fault, error) {
	env, err := parseEnvelopeInfo(data)
	return env.fault, err
}

// parseEnvelopeInfo checks that data is a well-formed SOAP envelope and
// reads it (see envelope).
func parseEnvelopeInfo(data []byte) (envelope, error) {
	return readEnvelope(newXMLScanner(data))
}

// readEnvelope reads a SOAP envelope from its tokens.
func readEnvelope(d tokenizer) (envelope, error) {
	var (
		tok        token
		env        envelope
		stackBuf   [16]xml.Name
		stack      = stackBuf[:0]
		f          *Fault
		root       bool
		reasonDone bool
		reason     strings.Builder
		message    strings.Builder
		value      strings.Builder
		cmdID      strings.Builder
		selShell   strings.Builder // w:Selector Name="ShellId"
		rspShell   strings.Builder // rsp:ShellId
		exitCode   strings.Builder
		stream     []byte  // base64 text of the rsp:Stream being read
		streamTo   *[]byte // where it goes: &env.stdout, &env.stderr or nil
		inSelShell bool
		sawShellID bool
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
		err := d.next(&tok)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return envelope{}, fmt.Errorf("parse XML: %w", err)
		}
		t := &tok
		switch t.kind {
		case tokStart:
			if len(stack) == 0 {
				if root {
					return envelope{}, errors.New("parse XML: more than one root element")
				}
				root = true
				if t.name.Space != nsSOAP || t.name.Local != "Envelope" {
					return envelope{}, fmt.Errorf("root element is %s, not a SOAP 1.2 Envelope", t.name.Local)
				}
			}
			stack = append(stack, t.name)
			for _, a := range t.attrs {
				if a.Name.Local == "State" && a.Value == stateDone {
					env.done = true
				}
			}
			switch {
			case t.name.Space == nsSOAP && t.name.Local == "Fault" && f == nil:
				f = &Fault{}
			case f != nil && t.name.Space == nsWSManFault && t.name.Local == "WSManFault":
				for _, a := range t.attrs {
					switch a.Name.Local {
					case "Code":
						f.Code = parseFaultCode(a.Value)
					case "Machine":
						f.Machine = a.Value
					}
				}
			case f != nil && t.name.Local == "Value":
				value.Reset()
			case t.name.Space == nsShell && t.name.Local == "Stream":
				streamTo, stream = nil, stream[:0]
				for _, a := range t.attrs {
					if a.Name.Local == "Name" && a.Name.Space == "" {
						switch a.Value {
						case "stdout":
							streamTo = &env.stdout
						case "stderr":
							streamTo = &env.stderr
						}
					}
				}
			case t.name.Space == nsWSMan && t.name.Local == "Selector" && !sawShellID:
				for _, a := range t.attrs {
					if a.Name.Local == "Name" && a.Name.Space == "" && a.Value == "ShellId" {
						inSelShell = true
					}
				}
			}
		case tokEnd:
			if len(stack) == 0 {
				return envelope{}, errors.New("parse XML: unbalanced end element")
			}
			if f != nil && t.name.Local == "Value" && in("Subcode") {
				v := strings.TrimSpace(value.String())
				if i := strings.LastIndexByte(v, ':'); i >= 0 {
					v = v[i+1:]
				}
				f.Subcode = v
			}
			if f != nil && t.name.Local == "Text" && in("Reason") && reason.Len() > 0 {
				reasonDone = true // keep the first language only
			}
			switch {
			case streamTo != nil && t.name.Space == nsShell && t.name.Local == "Stream":
				*streamTo = appendBase64(*streamTo, stream)
				streamTo = nil
			case inSelShell && t.name.Local == "Selector":
				inSelShell, sawShellID = false, true
			}
			stack = stack[:len(stack)-1]
		case tokText:
			if len(stack) == 0 {
				if len(bytes.TrimSpace(t.text)) > 0 {
					return envelope{}, errors.New("parse XML: text outside the root element")
				}
				continue
			}
			top := stack[len(stack)-1]
			switch {
			case streamTo != nil:
				stream = append(stream, t.text...)
			case inSelShell:
				selShell.Write(t.text)
			case top.Space == nsShell:
				switch top.Local {
				case "CommandId":
					cmdID.Write(t.text)
				case "ShellId":
					rspShell.Write(t.text)
				case "ExitCode":
					exitCode.Write(t.text)
				}
			}
			if f == nil {
				continue
			}
			switch {
			case in("Reason") && top.Local == "Text" && !reasonDone:
				reason.Write(t.text)
			case in("WSManFault") && in("Message"):
				message.Write(t.text)
			case top.Local == "Value":
				value.Write(t.text)
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
	env.fault = f
	env.commandID = strings.TrimSpace(cmdID.String())
	env.shellID = strings.TrimSpace(selShell.String())
	if !sawShellID {
		env.shellID = strings.TrimSpace(rspShell.String())
	}
	if env.done {
		env.exitCode, _ = strconv.Atoi(strings.TrimSpace(exitCode.String()))
	}
	return env, nil
}

// appendBase64 appends the decoding of the base64 text b to dst; on
// corrupt input, what decodes before the fault (as masterzen does).
func appendBase64(dst, b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return dst
	}
	n := len(dst)
	dst = slices.Grow(dst, base64.StdEncoding.DecodedLen(len(b)))
	m, _ := base64.StdEncoding.Decode(dst[n:n+base64.StdEncoding.DecodedLen(len(b))], b)
	return dst[:n+m]
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
