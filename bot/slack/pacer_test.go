package slack

import (
	"context"
	"errors"
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

// TestPacerSpacesPostsPerChannel: posts to one channel are a second
// apart, another channel does not wait, a Retry-After pushes the next
// slot, and a cancelled wait gives its slot back.
func TestPacerSpacesPostsPerChannel(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(time.Second, clk)
	ctx := context.Background()
	for range 3 {
		if err := p.wait(ctx, "C1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.wait(ctx, "C2"); err != nil {
		t.Fatal(err)
	}
	p.delay("C2", 5*time.Second)
	if err := p.wait(ctx, "C2"); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, time.Second, time.Second, 0, 5 * time.Second}
	if len(clk.sleeps) != len(want) {
		t.Fatalf("sleeps %v, want %v", clk.sleeps, want)
	}
	for i := range want {
		if clk.sleeps[i] != want[i] {
			t.Errorf("sleep %d = %v, want %v (all: %v)", i, clk.sleeps[i], want[i], clk.sleeps)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.wait(cctx, "C1"); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context = %v", err)
	}
	if got := p.next["C1"]; !got.Equal(clk.Now()) {
		t.Errorf("a cancelled wait kept its slot: next %v, want now %v", got, clk.Now())
	}
}
