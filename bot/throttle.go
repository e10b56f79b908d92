package bot

import (
	"context"
	"sync"
	"time"
)

// Throttle edits one posted reply at most once per interval: an update
// that comes sooner is dropped (each update carries the whole state, so the
// next one sent, or Final, shows it). Final always sends. It is safe for concurrent
// use.
type Throttle struct {
	poster Poster
	ref    string
	every  time.Duration
	now    func() time.Time

	mu   sync.Mutex
	last time.Time
	sent int
}

// NewThrottle returns a throttle for the reply ref, posted at now().
func NewThrottle(p Poster, ref string, every time.Duration, now func() time.Time) *Throttle {
	return &Throttle{poster: p, ref: ref, every: every, now: now, last: now()}
}

// Update sends r now when the last edit (or the post) is at least Every
// old, else holds it. It returns the edit's error.
func (t *Throttle) Update(ctx context.Context, r Reply) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now := t.now(); now.Sub(t.last) >= t.every {
		t.last = now
		t.sent++
		return t.poster.Update(ctx, t.ref, r)
	}
	return nil
}

// Final sends r, whatever the time.
func (t *Throttle) Final(ctx context.Context, r Reply) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = t.now()
	t.sent++
	return t.poster.Update(ctx, t.ref, r)
}

// Sent is how many edits were sent.
func (t *Throttle) Sent() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sent
}
