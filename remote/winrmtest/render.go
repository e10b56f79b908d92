package winrmtest

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
)

// Response templates. They are the recorded Windows responses in
// testdata/winrm-fixtures (01..07, 10, 11) with the variable parts cut out;
// each kind of response keeps the namespace declarations Windows sends for
// it.
const (
	envOpenShell = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSoap + `" xmlns:a="` + nsAddr +
		`" xmlns:x="` + nsTransfer + `" xmlns:w="` + nsWsman + `" xmlns:rsp="` + nsShell +
		`" xmlns:p="` + nsMSWsman + `">` // 01, 02, 06
	envOpenReceive = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSoap + `" xmlns:a="` + nsAddr +
		`" xmlns:w="` + nsWsman + `" xmlns:rsp="` + nsShell + `" xmlns:p="` + nsMSWsman + `">` // 03, 05
	envOpenDelete = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSoap + `" xmlns:a="` + nsAddr +
		`" xmlns:w="` + nsWsman + `" xmlns:p="` + nsMSWsman + `">` // 07
	envOpenFault = `<s:Envelope xml:lang="en-US" xmlns:s="` + nsSoap + `" xmlns:a="` + nsAddr +
		`" xmlns:x="` + nsTransfer + `" xmlns:e="` + nsEventing + `" xmlns:n="` + nsEnum +
		`" xmlns:w="` + nsWsman + `" xmlns:p="` + nsMSWsman + `">` // 04, 10, 11

	hdrAction    = `<s:Header><a:Action>`
	hdrMessageID = `</a:Action><a:MessageID>uuid:`
	hdrTo        = `</a:MessageID><a:To>` + uriAnonymous + `</a:To><a:RelatesTo>`
	hdrEnd       = `</a:RelatesTo></s:Header><s:Body>`
	envClose     = `</s:Body></s:Envelope>`

	respActionCreate  = nsTransfer + "/CreateResponse"
	respActionDelete  = nsTransfer + "/DeleteResponse"
	respActionCommand = nsShell + "/CommandResponse"
	respActionReceive = nsShell + "/ReceiveResponse"
	respActionSend    = nsShell + "/SendResponse"
	respActionSignal  = nsShell + "/SignalResponse"

	streamOpen1   = `<rsp:Stream Name="`
	streamOpen2   = `" CommandId="`
	streamOpen3   = `">`
	streamClose   = `</rsp:Stream>`
	streamEndAttr = `" End="true"></rsp:Stream>`
	stateOpen     = `<rsp:CommandState CommandId="`
	stateAttr     = `" State="`
	stateRunning  = `"></rsp:CommandState>`
	stateDoneOpen = `"><rsp:ExitCode>`
	stateDoneEnd  = `</rsp:ExitCode></rsp:CommandState>`
	receiveOpen   = `<rsp:ReceiveResponse>`
	receiveClose  = `</rsp:ReceiveResponse>`

	guidLen = 36
	// headerOverhead is the size of the header without the variable parts
	// (action and RelatesTo).
	headerOverhead = len(hdrAction) + len(hdrMessageID) + guidLen + len(hdrTo) + len(hdrEnd) + len(envClose)
)

// xbuf is a reusable byte buffer used to read requests and render responses.
type xbuf struct{ b []byte }

func (x *xbuf) str(s string) { x.b = append(x.b, s...) }

// esc appends s escaped for XML text and attribute values.
func (x *xbuf) esc(s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var r string
		switch s[i] {
		case '&':
			r = "&amp;"
		case '<':
			r = "&lt;"
		case '>':
			r = "&gt;"
		case '"':
			r = "&quot;"
		case '\'':
			r = "&apos;"
		default:
			continue
		}
		x.b = append(x.b, s[last:i]...)
		x.b = append(x.b, r...)
		last = i + 1
	}
	x.b = append(x.b, s[last:]...)
}

// escLen is the length of s once escaped by esc.
func escLen(s string) int {
	n := len(s)
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			n += 4
		case '<', '>':
			n += 3
		case '"', '\'':
			n += 5
		}
	}
	return n
}

// header appends the envelope start and the s:Header with a fresh
// MessageID and RelatesTo echoing the request's MessageID.
func (x *xbuf) header(envOpen, action, relatesTo string) {
	x.str(envOpen)
	x.str(hdrAction)
	x.str(action)
	x.str(hdrMessageID)
	x.b = appendGUID(x.b)
	x.str(hdrTo)
	x.esc(relatesTo)
	x.str(hdrEnd)
}

// appendGUID appends a random upper-case GUID (version 4 layout), the form
// Windows uses for ShellId, CommandId and MessageID.
func appendGUID(b []byte) []byte {
	const hexdigits = "0123456789ABCDEF"
	hi, lo := rand.Uint64(), rand.Uint64()
	hi = hi&^(0xf<<12) | 4<<12   // version 4
	lo = lo&^(0x3<<62) | 0x2<<62 // RFC 4122 variant
	var raw [16]byte
	for i := range 8 {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexdigits[c>>4], hexdigits[c&0xf])
	}
	return b
}

func newGUID() string {
	var a [guidLen]byte
	return string(appendGUID(a[:0]))
}

// createBody is the data rendered in a CreateResponse (fixture 01).
type createBody struct {
	address  string
	shellID  string
	owner    string
	clientIP string
	idle     string
}

func (x *xbuf) createResponse(relatesTo string, c createBody) {
	x.header(envOpenShell, respActionCreate, relatesTo)
	x.str(`<x:ResourceCreated><a:Address>`)
	x.esc(c.address)
	x.str(`</a:Address><a:ReferenceParameters><w:ResourceURI>` + uriCmdShell +
		`</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">`)
	x.str(c.shellID)
	x.str(`</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>` +
		`<rsp:Shell xmlns:rsp="` + nsShell + `"><rsp:ShellId>`)
	x.str(c.shellID)
	x.str(`</rsp:ShellId><rsp:ResourceUri>` + uriCmdShell + `</rsp:ResourceUri><rsp:Owner>`)
	x.esc(c.owner)
	x.str(`</rsp:Owner><rsp:ClientIP>`)
	x.esc(c.clientIP)
	x.str(`</rsp:ClientIP><rsp:IdleTimeOut>`)
	x.str(c.idle)
	x.str(`</rsp:IdleTimeOut><rsp:InputStreams>stdin</rsp:InputStreams>` +
		`<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>` +
		`<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>` +
		`<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>`)
	x.str(envClose)
}

// commandResponse renders fixture 02.
func (x *xbuf) commandResponse(relatesTo, commandID string) {
	x.header(envOpenShell, respActionCommand, relatesTo)
	x.str(`<rsp:CommandResponse><rsp:CommandId>`)
	x.str(commandID)
	x.str(`</rsp:CommandId></rsp:CommandResponse>`)
	x.str(envClose)
}

// signalResponse renders fixture 06.
func (x *xbuf) signalResponse(relatesTo string) {
	x.header(envOpenShell, respActionSignal, relatesTo)
	x.str(`<rsp:SignalResponse/>`)
	x.str(envClose)
}

// sendResponse renders the Send acknowledgement (no recording; the same
// shape as the SignalResponse).
func (x *xbuf) sendResponse(relatesTo string) {
	x.header(envOpenShell, respActionSend, relatesTo)
	x.str(`<rsp:SendResponse/>`)
	x.str(envClose)
}

// deleteResponse renders fixture 07 (empty body).
func (x *xbuf) deleteResponse(relatesTo string) {
	x.header(envOpenDelete, respActionDelete, relatesTo)
	x.str(envClose)
}

const (
	streamStdout uint8 = iota
	streamStderr
)

func streamName(s uint8) string {
	if s == streamStderr {
		return "stderr"
	}
	return "stdout"
}

// streamOverhead is the size of one rsp:Stream element without its data.
func streamOverhead(stream uint8, commandID string) int {
	return len(streamOpen1) + len(streamName(stream)) + len(streamOpen2) + len(commandID) + len(streamOpen3) + len(streamClose)
}

// receiveOverhead is the size of a ReceiveResponse with no data streams but
// the final End streams and CommandState/Done with the longest exit code.
func receiveOverhead(relatesTo, commandID string) int {
	n := len(envOpenReceive) + headerOverhead + len(respActionReceive) + escLen(relatesTo)
	n += len(receiveOpen) + len(receiveClose)
	for _, s := range [...]uint8{streamStdout, streamStderr} {
		n += len(streamOpen1) + len(streamName(s)) + len(streamOpen2) + len(commandID) + len(streamEndAttr)
	}
	n += len(stateOpen) + len(commandID) + len(stateAttr) + len(stateURIDone) + len(stateDoneOpen) + 11 + len(stateDoneEnd)
	return n
}

// receiveResponse renders fixtures 03 (Running) and 05 (Done).
func (x *xbuf) receiveResponse(relatesTo, commandID string, segs []segment, done bool, exitCode int) {
	x.header(envOpenReceive, respActionReceive, relatesTo)
	x.str(receiveOpen)
	for _, s := range segs {
		x.str(streamOpen1)
		x.str(streamName(s.stream))
		x.str(streamOpen2)
		x.str(commandID)
		x.str(streamOpen3)
		x.b = base64.StdEncoding.AppendEncode(x.b, s.b)
		x.str(streamClose)
	}
	if done {
		for _, s := range [...]uint8{streamStdout, streamStderr} {
			x.str(streamOpen1)
			x.str(streamName(s))
			x.str(streamOpen2)
			x.str(commandID)
			x.str(streamEndAttr)
		}
	}
	x.str(stateOpen)
	x.str(commandID)
	if done {
		x.str(stateAttr + stateURIDone + stateDoneOpen)
		x.b = strconv.AppendInt(x.b, int64(int32(exitCode)), 10)
		x.str(stateDoneEnd)
	} else {
		x.str(stateAttr + stateURIRunning + stateRunning)
	}
	x.str(receiveClose)
	x.str(envClose)
}

// wsFault describes a WS-Management SOAP fault (fixtures 04, 10, 11).
type wsFault struct {
	sender     bool   // s:Sender, else s:Receiver
	subcode    string // e.g. "w:TimedOut"
	reasonLang string // xml:lang of s:Reason/s:Text
	reason     string
	detail     string // optional w:FaultDetail URI
	code       uint32 // f:WSManFault Code
	message    string // f:Message text
	provider   bool   // wrap the message in the winrscmd.dll f:ProviderFault
}

// fault renders a SOAP fault.
func (x *xbuf) fault(relatesTo, machine string, f *wsFault) {
	x.header(envOpenFault, actionURIFault, relatesTo)
	x.str(`<s:Fault><s:Code><s:Value>`)
	if f.sender {
		x.str("s:Sender")
	} else {
		x.str("s:Receiver")
	}
	x.str(`</s:Value><s:Subcode><s:Value>`)
	x.str(f.subcode)
	x.str(`</s:Value></s:Subcode></s:Code><s:Reason><s:Text xml:lang="`)
	x.str(f.reasonLang)
	x.str(`">`)
	x.esc(f.reason)
	x.str(`</s:Text></s:Reason><s:Detail>`)
	if f.detail != "" {
		x.str(`<w:FaultDetail>`)
		x.str(f.detail)
		x.str(`</w:FaultDetail>`)
	}
	x.str(`<f:WSManFault xmlns:f="` + nsFault + `" Code="`)
	x.b = strconv.AppendUint(x.b, uint64(f.code), 10)
	x.str(`" Machine="`)
	x.esc(machine)
	x.str(`"><f:Message>`)
	if f.provider {
		x.str(`<f:ProviderFault provider="Shell cmd plugin" path="%systemroot%\system32\winrscmd.dll">`)
		x.esc(f.message)
		x.str(`</f:ProviderFault>`)
	} else {
		x.esc(f.message)
	}
	x.str(`</f:Message></f:WSManFault></s:Detail></s:Fault>`)
	x.str(envClose)
}

// Fault codes. The first three are in the recordings; the rest are the
// documented Windows error numbers for the situation.
const (
	CodeTimedOut         uint32 = 2150858793 // ERROR_WSMAN_OPERATION_TIMEDOUT (fixture 04)
	CodeInvalidSelectors uint32 = 2150858843 // unknown ShellId/CommandId (fixture 10)
	CodeCommandTooLong   uint32 = 2147942606 // 0x800700CE, ERROR_FILENAME_EXCED_RANGE (fixture 11)
	CodeMaxShells        uint32 = 2150859173 // ERROR_WSMAN_QUOTA_MAX_SHELLS
	CodeMaxOperations    uint32 = 2150859174 // ERROR_WSMAN_QUOTA_MAX_OPERATIONS
	CodeBusy             uint32 = 170        // ERROR_BUSY
	CodeInternalError    uint32 = 1359       // ERROR_INTERNAL_ERROR
	CodeInvalidParameter uint32 = 87         // ERROR_INVALID_PARAMETER
	codeSchemaValidation uint32 = 2150858817 // ERROR_WSMAN_SCHEMA_VALIDATION_ERROR
	codeInvalidAction    uint32 = 2150858753 // ERROR_WSMAN_INVALID_ACTIONURI
	codeResourceNotFound uint32 = 2150858752 // ERROR_WSMAN_RESOURCE_NOT_FOUND
	codeMinEnvelopeSize  uint32 = 2150858878 // ERROR_WSMAN_MIN_ENVELOPE_SIZE
	codeEnvelopeLimit    uint32 = 2150858825 // ERROR_WSMAN_SERVER_ENVELOPE_LIMIT
	codeInvalidTimeout   uint32 = 2150858881 // ERROR_WSMAN_INVALID_TIMEOUT_HEADER
	codeMessageInfo      uint32 = 2150858769 // ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED
	codeInvalidStream    uint32 = 2150859147 // ERROR_WSMAN_SHELL_INVALID_INPUT_STREAM
)

const reasonTimedOut = "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  "

func faultTimedOut() *wsFault {
	return &wsFault{subcode: "w:TimedOut", reasonLang: "en-US", reason: reasonTimedOut,
		code: CodeTimedOut, message: reasonTimedOut}
}

const reasonInvalidSelectors = "The WS-Management service cannot process the request because the request contained invalid selectors for the resource. "

func faultUnknownCommand() *wsFault {
	return &wsFault{sender: true, subcode: "w:InvalidSelectors", reasonLang: "en-US", reason: reasonInvalidSelectors,
		detail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
		code:   CodeInvalidSelectors,
		message: "The Windows Remote Shell received a request to perform an operation on a command identifier that does not exist. " +
			"Either the command has completed execution or the client specified an invalid command identifier. "}
}

func faultUnknownShell(shellID string) *wsFault {
	return &wsFault{sender: true, subcode: "w:InvalidSelectors", reasonLang: "en-US", reason: reasonInvalidSelectors,
		detail: "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
		code:   CodeInvalidSelectors,
		message: "The request for the Windows Remote Shell with ShellId " + shellID + " failed because the shell was not found on the server. " +
			"Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. " +
			"Provide the correct ShellId or create a new shell and retry the operation. "}
}

const reasonTooLong = "The filename or extension is too long. "

func faultCommandTooLong() *wsFault {
	return &wsFault{subcode: "w:InternalError", reason: reasonTooLong, code: CodeCommandTooLong,
		message: reasonTooLong, provider: true}
}

func faultMaxShells(limit int) *wsFault {
	return &wsFault{sender: true, subcode: "w:QuotaLimit",
		reason: "The WS-Management service cannot process the request. The maximum number of concurrent shells for this user has been exceeded. " +
			"Close existing shells or raise the quota for this user. ",
		code: CodeMaxShells,
		message: "The WS-Management service cannot process the request. This user is allowed a maximum number of " + strconv.Itoa(limit) +
			" concurrent shells, which has been exceeded. Close existing shells or raise the quota for this user. "}
}

func faultMaxOperations(limit int) *wsFault {
	return &wsFault{sender: true, subcode: "w:QuotaLimit",
		reason: "The WS-Management service cannot process the request. The maximum number of concurrent operations for this user has been exceeded. " +
			"Close existing operations for this user, or raise the quota for this user. ",
		code: CodeMaxOperations,
		message: "The WS-Management service cannot process the request. This user is allowed a maximum number of " + strconv.Itoa(limit) +
			" concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. "}
}

const reasonBusy = "The requested resource is in use. "

func faultBusy() *wsFault {
	return &wsFault{subcode: "w:InternalError", reason: reasonBusy, code: CodeBusy, message: reasonBusy, provider: true}
}

const reasonInternal = "An internal error occurred. "

func faultInternal(code uint32, msg string) *wsFault {
	if code == 0 {
		code = CodeInternalError
	}
	if msg == "" {
		msg = reasonInternal
	}
	return &wsFault{subcode: "w:InternalError", reason: msg, code: code, message: msg}
}

const reasonInvalidParameter = "The parameter is incorrect. "

func faultInvalidParameter() *wsFault {
	return &wsFault{subcode: "w:InternalError", reason: reasonInvalidParameter, code: CodeInvalidParameter,
		message: reasonInvalidParameter, provider: true}
}

// senderFault is a client-error (s:Sender) fault whose reason and message
// are the same English text, as Windows sends for malformed requests.
func senderFault(subcode string, code uint32, m string) *wsFault {
	return &wsFault{sender: true, subcode: subcode, reasonLang: "en-US", reason: m, code: code, message: m}
}

func faultSchema() *wsFault {
	const m = "The WS-Management service cannot process the request because the XML is invalid. "
	return senderFault("w:SchemaValidationError", codeSchemaValidation, m)
}

func faultMessageInformation() *wsFault {
	const m = "The WS-Management service cannot process the request because a required header is missing from the message. "
	return senderFault("a:MessageInformationHeaderRequired", codeMessageInfo, m)
}

func faultAction() *wsFault {
	const m = "The WS-Management service cannot process the request because the action URI is not supported for this resource. "
	return senderFault("a:ActionNotSupported", codeInvalidAction, m)
}

func faultResourceURI() *wsFault {
	const m = "The WS-Management service cannot process the request. The resource URI is not valid or the resource cannot be found. "
	return senderFault("w:DestinationUnreachable", codeResourceNotFound, m)
}

func faultMinEnvelope() *wsFault {
	const m = "The WS-Management service cannot process the request because the MaxEnvelopeSize in the request is too small. "
	return senderFault("w:EncodingLimit", codeMinEnvelopeSize, m)
}

func faultEnvelopeLimit() *wsFault {
	const m = "The WS-Management service cannot process the request because the request envelope is larger than the configured maximum. "
	return senderFault("w:EncodingLimit", codeEnvelopeLimit, m)
}

func faultTimeoutHeader() *wsFault {
	const m = "The WS-Management service cannot process the request because the OperationTimeout header is invalid. "
	return senderFault("w:InvalidHeader", codeInvalidTimeout, m)
}

func faultInputStream() *wsFault {
	const m = "The WinRS client cannot process the request because the input stream name is invalid. "
	return senderFault("w:InvalidParameter", codeInvalidStream, m)
}
