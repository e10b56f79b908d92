package winrmtest

import (
	"fmt"
	"time"
)

// FaultKind is a class of injected failure.
type FaultKind int

// Fault kinds. Unless noted, the request is not processed (no shell is
// created, no output is consumed).
const (
	// FaultLatency delays the request by Delay before it is processed.
	// Latency faults add up and combine with one other fault.
	FaultLatency FaultKind = iota + 1
	// FaultUnauthorized answers with the Windows 401 (see Server).
	FaultUnauthorized
	// FaultInternalError answers HTTP 500 with a w:InternalError
	// WSManFault; Code and Message override the defaults (1359, "An
	// internal error occurred.").
	FaultInternalError
	// FaultQuota answers with the shell quota fault, Code 2150859173.
	FaultQuota
	// FaultBusy answers with ERROR_BUSY, Code 170 (Windows sends it for
	// Send under load; Ansible retries on it).
	FaultBusy
	// FaultOperationTimeout answers with the w:TimedOut fault, Code
	// 2150858793, at once.
	FaultOperationTimeout
	// FaultDropConnection closes the connection without any response.
	FaultDropConnection
	// FaultDropMidBody processes the request, sends the status line, the
	// headers (with the full Content-Length) and half of the body, then
	// closes the connection. The operation has happened on the server.
	FaultDropMidBody
	// FaultGarbage answers HTTP 200 with a SOAP Content-Type and a body
	// that is not XML.
	FaultGarbage
	// FaultTruncated processes the request and answers with the first half
	// of the XML body (a complete HTTP message with truncated XML).
	FaultTruncated
	// FaultSlowHeaders processes the request, then waits Delay before
	// writing the response headers, so that a client's response-header
	// timeout fires. If the client gives up, the response is lost.
	FaultSlowHeaders
	// FaultTrickle processes the request, sends the status line and
	// headers at once, then the body one byte per Delay (a server or
	// middlebox trickling bytes), so that only a deadline on the whole
	// exchange ends it. A client that gives up loses the response.
	FaultTrickle
)

// lastFaultKind is the highest valid FaultKind.
const lastFaultKind = FaultTrickle

func (k FaultKind) String() string {
	switch k {
	case 0:
		return "none"
	case FaultLatency:
		return "latency"
	case FaultUnauthorized:
		return "unauthorized"
	case FaultInternalError:
		return "internal-error"
	case FaultQuota:
		return "quota"
	case FaultBusy:
		return "busy"
	case FaultOperationTimeout:
		return "operation-timeout"
	case FaultDropConnection:
		return "drop-connection"
	case FaultDropMidBody:
		return "drop-mid-body"
	case FaultGarbage:
		return "garbage"
	case FaultTruncated:
		return "truncated"
	case FaultSlowHeaders:
		return "slow-headers"
	case FaultTrickle:
		return "trickle"
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is a failure to inject with Server.Inject.
type Fault struct {
	Kind FaultKind
	// Action limits the fault to one operation: ActionCreate,
	// ActionCommand, ActionReceive, ActionSend, ActionSignal or
	// ActionDelete (case-insensitive). Empty means every request.
	Action string
	// Count is how many matching requests the fault applies to; 0 means
	// every matching request until ClearFaults.
	Count int
	// Delay is the wait of FaultLatency and FaultSlowHeaders, and the pause
	// between two bytes of FaultTrickle (0 means 100ms).
	Delay time.Duration
	// Code and Message override the WSManFault of FaultInternalError.
	Code    uint32
	Message string
}

// faultState is an injected fault with its remaining count.
type faultState struct {
	f         Fault
	remaining int // <0: unlimited
}

// Inject adds a fault. Faults are tried in the order they were injected:
// every matching FaultLatency adds its Delay, and the first matching fault
// of any other kind is applied. Inject panics on an unknown Action or Kind,
// which is a mistake in the calling test.
func (s *Server) Inject(f Fault) {
	a, ok := canonicalAction(f.Action)
	if !ok {
		panic(fmt.Sprintf("winrmtest: Inject: unknown action %q", f.Action))
	}
	if f.Kind <= 0 || f.Kind > lastFaultKind {
		panic(fmt.Sprintf("winrmtest: Inject: unknown fault kind %d", int(f.Kind)))
	}
	f.Action = a
	st := &faultState{f: f, remaining: f.Count}
	if f.Count <= 0 {
		st.remaining = -1
	}
	s.fmu.Lock()
	s.faults = append(s.faults, st)
	s.fmu.Unlock()
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.fmu.Lock()
	s.faults = nil
	s.fmu.Unlock()
}

// takeFaults consumes the faults matching action: the total latency and
// the first fault of another kind (nil if none).
func (s *Server) takeFaults(action string) (latency time.Duration, f *Fault) {
	s.fmu.Lock()
	defer s.fmu.Unlock()
	if len(s.faults) == 0 {
		return 0, nil
	}
	kept := s.faults[:0]
	for _, st := range s.faults {
		match := st.f.Action == "" || st.f.Action == action
		if match && (st.f.Kind == FaultLatency || f == nil) {
			if st.f.Kind == FaultLatency {
				latency += st.f.Delay
			} else {
				ff := st.f
				f = &ff
			}
			if st.remaining > 0 {
				st.remaining--
			}
		}
		if st.remaining != 0 {
			kept = append(kept, st)
		}
	}
	clear(s.faults[len(kept):])
	s.faults = kept
	return latency, f
}
