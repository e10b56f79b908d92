package slacktest

import (
	"math"
	"time"
)

// Fault is one injected misbehaviour of a Web API method, consumed by the
// next call of that method.
type Fault struct {
	// Delay is added before answering (alone, it only slows the call).
	Delay time.Duration
	// Status, when set, is the HTTP status: 429 answers
	// {"ok":false,"error":"ratelimited"} with Retry-After, 5xx an
	// error page, as Slack does.
	Status int
	// RetryAfter is the Retry-After of a 429, sent in whole seconds
	// (rounded up, at least 1).
	RetryAfter time.Duration
	// Error, with Status unset, answers HTTP 200 {"ok":false,"error":Error}.
	Error string
	// Channel, when set, keeps the fault for a call whose channel
	// argument resolves to this channel (id or name): calls to other
	// channels pass it by, so that a test's fault is not taken by
	// something else the bot posts meanwhile (an alert, a notice).
	Channel string
}

// InjectFault queues faults for a method ("chat.postMessage"); each is
// used by one call, in order.
func (s *Server) InjectFault(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], faults...)
}

// SetLatency adds a delay to every call of a method until set back to 0.
func (s *Server) SetLatency(method string, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d <= 0 {
		delete(s.latency, method)
		return
	}
	s.latency[method] = d
}

// takeFault takes the first fault queued for method that applies to a
// call with channel argument channel ("" for calls without one).
func (s *Server) takeFault(method, channel string) (Fault, time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lat := s.latency[method]
	q := s.faults[method]
	for i, f := range q {
		if f.Channel != "" {
			want, got := s.channelLocked(f.Channel), s.channelLocked(channel)
			if want == nil || got != want {
				continue
			}
		}
		s.faults[method] = append(q[:i:i], q[i+1:]...)
		return f, lat, true
	}
	return Fault{}, lat, false
}

func retryAfterSeconds(d time.Duration) int {
	sec := int(math.Ceil(d.Seconds()))
	return max(sec, 1)
}

// bucket is a token bucket for one channel's chat.postMessage.
type bucket struct {
	tokens float64
	last   time.Time
}

// takeTokenLocked spends a token of the channel's bucket, or returns how
// long until one is available; s.mu must be held.
func (s *Server) takeTokenLocked(channel string) (time.Duration, bool) {
	if s.opts.ChannelRate <= 0 {
		return 0, true
	}
	now := s.opts.Now()
	burst := float64(s.opts.ChannelBurst)
	b := s.buckets[channel]
	if b == nil {
		b = &bucket{tokens: burst, last: now}
		s.buckets[channel] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*s.opts.ChannelRate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	wait := time.Duration((1 - b.tokens) / s.opts.ChannelRate * float64(time.Second))
	return wait, false
}
