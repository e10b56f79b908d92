package slack

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fakeClock advances only when slept on, and records the sleeps.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

// post takes a channel's turn, lets d pass (the call) and releases it
// with rest.
func post(t *testing.T, p *pacer, clk *fakeClock, channel string, d, rest time.Duration) {
	t.Helper()
	release, err := p.acquire(context.Background(), channel)
	if err != nil {
		t.Fatal(err)
	}
	_ = clk.Sleep(context.Background(), d)
	release(rest)
}

// TestPacerSpacesPostsPerChannel: posts to one channel are a second
// apart from the end of the one before, another channel does not wait, a
// Retry-After pushes the next slot, and a cancelled wait holds nothing.
func TestPacerSpacesPostsPerChannel(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(time.Second, clk)
	const call = 10 * time.Millisecond
	for range 3 {
		post(t, p, clk, "C1", call, 0)
	}
	post(t, p, clk, "C2", call, 5*time.Second)
	post(t, p, clk, "C2", call, 0)
	// Each entry: the pacer's wait (0: none), then the call's own time.
	want := []time.Duration{0, call, time.Second, call, time.Second, call, 0, call, 5 * time.Second, call}
	if len(clk.sleeps) != len(want) {
		t.Fatalf("sleeps %v, want %v", clk.sleeps, want)
	}
	for i := range want {
		if max(clk.sleeps[i], 0) != want[i] {
			t.Errorf("sleep %d = %v, want %v (all: %v)", i, clk.sleeps[i], want[i], clk.sleeps)
		}
	}
	cctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.acquire(cctx, "C1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("acquire on a cancelled context = %v", err)
	}
	// The turn was given back: the next call waits only its interval.
	post(t, p, clk, "C1", call, 0)
	if got := clk.sleeps[len(clk.sleeps)-2]; got > time.Second {
		t.Errorf("after a cancelled acquire the next call waited %v", got)
	}
}

// TestPacerWaitsForTheCallBefore: a second call to a channel waits for
// the first to end and then a full interval, however long the first took
// (Slack counts a message when it arrives, which may be late in the call).
func TestPacerWaitsForTheCallBefore(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(time.Second, clk)
	release, err := p.acquire(context.Background(), "C1")
	if err != nil {
		t.Fatal(err)
	}
	second := make(chan time.Time)
	go func() {
		r, err := p.acquire(context.Background(), "C1")
		if err != nil {
			t.Error(err)
		}
		second <- clk.Now()
		r(0)
	}()
	for { // until the second call waits for the turn
		p.mu.Lock()
		n := p.lanes["C1"].users
		p.mu.Unlock()
		if n == 2 {
			break
		}
		runtime.Gosched()
	}
	_ = clk.Sleep(context.Background(), 3*time.Second) // a slow first call
	ended := clk.Now()
	release(0)
	if got := <-second; got.Sub(ended) != time.Second {
		t.Errorf("the second call started %v after the first ended, want 1s", got.Sub(ended))
	}
}
