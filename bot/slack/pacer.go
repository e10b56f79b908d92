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

// pacer spaces the messages posted to one channel at least every apart,
// counted from the end of one call to the start of the next: Slack counts
// a message when it arrives (about one a second per channel). The posts
// of one channel take turns, in order: one holds the channel from its
// wait until it is done, so a post that waits out a 429 keeps the others
// behind it, and no lock of the pacer is held while anyone waits.
type pacer struct {
	every time.Duration
	clock Clock

	mu    sync.Mutex
	chans map[string]*paced
}

// paced is one channel's turn and the earliest time of its next post.
type paced struct {
	turn  chan struct{} // holds the right to post when no one has it
	next  time.Time     // guarded by the turn
	users int           // waiting or posting; guarded by pacer.mu
}

// maxPaced is how many idle channels the pacer remembers before it
// forgets those whose next slot has passed.
const maxPaced = 10000

func newPacer(every time.Duration, clock Clock) *pacer {
	return &pacer{every: every, clock: clock, chans: map[string]*paced{}}
}

// wait returns when a message may be posted to channel, with done, which
// the caller must call once its call is over, with the least time until
// the channel's next post (every, or a 429's Retry-After); or ctx's error.
func (p *pacer) wait(ctx context.Context, channel string) (done func(after time.Duration), err error) {
	if p.every <= 0 {
		return func(time.Duration) {}, ctx.Err()
	}
	p.mu.Lock()
	c := p.chans[channel]
	if c == nil {
		if len(p.chans) >= maxPaced {
			p.forgetLocked()
		}
		c = &paced{turn: make(chan struct{}, 1)}
		c.turn <- struct{}{}
		p.chans[channel] = c
	}
	c.users++
	p.mu.Unlock()
	leave := func() {
		p.mu.Lock()
		c.users--
		p.mu.Unlock()
	}
	select {
	case <-c.turn:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	if err := p.clock.Sleep(ctx, max(0, c.next.Sub(p.clock.Now()))); err != nil {
		c.turn <- struct{}{}
		leave()
		return nil, err
	}
	return func(after time.Duration) {
		if at := p.clock.Now().Add(after); at.After(c.next) {
			c.next = at
		}
		c.turn <- struct{}{}
		leave()
	}, nil
}

// alias makes id share the pace of the channel called name, when the
// pacer knows name and not yet id: the first posts to a channel by name
// and the next ones by its id then keep one pace. (Should both already
// have a pace, they keep their own, and Slack's 429 is waited out.)
func (p *pacer) alias(name, id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.chans[name]; c != nil && p.chans[id] == nil {
		p.chans[id] = c
	}
}

// forgetLocked drops the channels no one uses whose next slot has passed.
func (p *pacer) forgetLocked() {
	now := p.clock.Now()
	for ch, c := range p.chans {
		if c.users == 0 && !c.next.After(now) {
			delete(p.chans, ch)
		}
	}
}
