package winrmtest

import "time"

// Request is one entry of the server's request log.
type Request struct {
	Time     time.Time     // when the request arrived
	Duration time.Duration // until the response was written (or dropped)
	// Action is ActionCreate ... ActionDelete; the action URI for other
	// actions; "" when the body could not be parsed.
	Action    string
	MessageID string
	// ShellID and CommandID are the ids the request addressed, or the ids
	// a Create or Command created.
	ShellID   string
	CommandID string
	// State is "Running" or "Done" for a Receive that returned output.
	State string
	// Command is, for a Command request, the command text as the client
	// sent it, decoded from the XML: rsp:Command and every rsp:Arguments
	// joined by single spaces (what a Handler sees as Command.Line). Args
	// are the rsp:Arguments elements alone, in order.
	Command string
	Args    []string
	// Stdin is, for a Send request, the bytes of its stdin streams decoded
	// from base64, in order (what a Handler reads); nil for other requests
	// and for data that is not valid base64. Command and Stdin let a test
	// see exactly which text reached a command line and which only stdin.
	Stdin []byte
	// Signal is the short signal code of a Signal request ("terminate",
	// "ctrl_c", ...).
	Signal string
	// Status is the HTTP status sent, 0 when no response was sent (dropped
	// connection, client gone, server closed).
	Status int
	// FaultCode and FaultSubcode describe a SOAP fault response, e.g.
	// 2150858793 and "w:TimedOut".
	FaultCode    uint32
	FaultSubcode string
	// Injected is the injected fault applied to this request, 0 if none.
	// Latency alone is not recorded here but in Latency.
	Injected FaultKind
	// Latency is the injected delay the request waited before it was
	// processed (the sum of the matching FaultLatency faults).
	Latency time.Duration
	// LongPoll is, for a Receive, how long the server would wait for
	// output before answering w:TimedOut: the request's OperationTimeout
	// after OperationTimeoutScale and MaxOperationTimeout.
	LongPoll time.Duration
	// User is the Basic auth user name as sent.
	User string
	// ResponseBytes is the size of the response body that was rendered.
	ResponseBytes int
}

// record appends r to the log and counts it.
func (s *Server) record(r Request) {
	s.logMu.Lock()
	s.counts[r.Action]++
	s.total++
	if s.opts.MaxLogEntries >= 0 {
		if s.opts.MaxLogEntries > 0 && len(s.reqs) >= s.opts.MaxLogEntries {
			s.reqs[0] = Request{}
			s.reqs = s.reqs[1:] // append reallocates and drops the old prefix
		}
		s.reqs = append(s.reqs, r)
	}
	s.logMu.Unlock()
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	out := make([]Request, len(s.reqs))
	copy(out, s.reqs)
	return out
}

// ResetLog clears the request log and the counters.
func (s *Server) ResetLog() {
	s.logMu.Lock()
	s.reqs = nil
	clear(s.counts)
	s.total = 0
	s.logMu.Unlock()
}

// Count returns how many requests with the given action (ActionCreate,
// ...) arrived since New or the last ResetLog, whatever their outcome.
// Count("") returns the number of all requests.
func (s *Server) Count(action string) int {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	if action == "" {
		return s.total
	}
	if a, ok := canonicalAction(action); ok {
		action = a
	}
	return s.counts[action]
}
