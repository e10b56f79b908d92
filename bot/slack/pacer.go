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
// (Slack allows about one message per second per channel). Slack counts a
// message when it arrives, which may be any time before its call returns:
// so the calls of one channel take turns, and each waits a full interval
// from the end of the one before (or longer after a 429's Retry-After).
// Other channels do not wait.
type pacer struct {
	every time.Duration
	clock Clock

	mu    sync.Mutex
	lanes map[string]*lane
}

// lane is one channel's turn and the earliest time of its next call.
type lane struct {
	turn  chan struct{} // holds a token while no call of the channel is under way
	next  time.Time
	users int // callers holding or waiting for the turn
}

func newPacer(every time.Duration, clock Clock) *pacer {
	return &pacer{every: every, clock: clock, lanes: map[string]*lane{}}
}

// acquire returns when a message may be posted to channel: the channel's
// earlier call has ended and its interval passed. The caller must call
// release with how long the channel must then rest (every, or a 429's
// Retry-After when longer). With ctx's error nothing is held.
func (p *pacer) acquire(ctx context.Context, channel string) (release func(rest time.Duration), err error) {
	if p.every <= 0 {
		return func(time.Duration) {}, ctx.Err()
	}
	p.mu.Lock()
	l := p.lanes[channel]
	if l == nil {
		if len(p.lanes) >= 10000 {
			p.forgetLocked()
		}
		l = &lane{turn: make(chan struct{}, 1)}
		l.turn <- struct{}{}
		p.lanes[channel] = l
	}
	l.users++
	p.mu.Unlock()
	leave := func() {
		p.mu.Lock()
		l.users--
		p.mu.Unlock()
	}
	select {
	case <-l.turn:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	p.mu.Lock()
	wait := l.next.Sub(p.clock.Now())
	p.mu.Unlock()
	if err := p.clock.Sleep(ctx, wait); err != nil {
		l.turn <- struct{}{}
		leave()
		return nil, err
	}
	return func(rest time.Duration) {
		p.mu.Lock()
		if at := p.clock.Now().Add(max(rest, p.every)); l.next.Before(at) {
			l.next = at
		}
		l.users--
		p.mu.Unlock()
		l.turn <- struct{}{}
	}, nil
}

// forgetLocked drops the lanes no one uses whose rest has passed.
func (p *pacer) forgetLocked() {
	now := p.clock.Now()
	for ch, l := range p.lanes {
		if l.users == 0 && l.next.Before(now) {
			delete(p.lanes, ch)
		}
	}
}
