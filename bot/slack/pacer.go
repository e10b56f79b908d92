package slack

import (
	"context"
	"sync"
	"time"
)

// Clock is the time as the pacer and the retries see it; tests inject
// theirs.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx's error when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// realClock is the wall clock.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer spaces the messages posted to one channel at least every apart
// (Slack allows about one message per second per channel). Each call
// reserves the next free slot of its channel, so concurrent posters queue
// in order without holding a lock while they wait.
type pacer struct {
	every time.Duration
	clock Clock

	mu   sync.Mutex
	next map[string]time.Time // channel -> the earliest time of its next post
}

func newPacer(every time.Duration, clock Clock) *pacer {
	return &pacer{every: every, clock: clock, next: map[string]time.Time{}}
}

// wait returns when a message may be posted to channel, or ctx's error
// (the slot is then given back only if no one took a later one).
func (p *pacer) wait(ctx context.Context, channel string) error {
	if p.every <= 0 {
		return ctx.Err()
	}
	p.mu.Lock()
	now := p.clock.Now()
	at := p.next[channel]
	if at.Before(now) {
		at = now
	}
	p.next[channel] = at.Add(p.every)
	if len(p.next) > 10000 {
		p.forgetLocked(now)
	}
	p.mu.Unlock()
	if err := p.clock.Sleep(ctx, at.Sub(now)); err != nil {
		p.mu.Lock()
		if p.next[channel].Equal(at.Add(p.every)) {
			p.next[channel] = at
		}
		p.mu.Unlock()
		return err
	}
	return nil
}

// delay pushes a channel's next slot to at least now+d (a 429's
// Retry-After).
func (p *pacer) delay(channel string, d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if at := p.clock.Now().Add(d); p.next[channel].Before(at) {
		p.next[channel] = at
	}
}

// forgetLocked drops the channels whose slot has passed.
func (p *pacer) forgetLocked(now time.Time) {
	for ch, at := range p.next {
		if at.Before(now) {
			delete(p.next, ch)
		}
	}
}
