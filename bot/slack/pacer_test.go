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
// apart from the end of one to the start of the next, another channel
// does not wait, a Retry-After pushes the next slot, a post waits for
// the one holding the channel, and a cancelled wait leaves the channel
// usable.
func TestPacerSpacesPostsPerChannel(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newPacer(time.Second, clk)
	ctx := context.Background()
	post := func(ch string, after time.Duration) {
		t.Helper()
		done, err := p.wait(ctx, ch)
		if err != nil {
			t.Fatal(err)
		}
		done(after)
	}
	for range 3 {
		post("C1", time.Second)
	}
	post("C2", 5*time.Second) // answered 429 with Retry-After: 5
	post("C2", time.Second)
	want := []time.Duration{0, time.Second, time.Second, 0, 5 * time.Second}
	if len(clk.sleeps) != len(want) {
		t.Fatalf("sleeps %v, want %v", clk.sleeps, want)
	}
	for i := range want {
		if clk.sleeps[i] != want[i] {
			t.Errorf("sleep %d = %v, want %v (all: %v)", i, clk.sleeps[i], want[i], clk.sleeps)
		}
	}

	// While one post holds C1, another waits for it, however long.
	done, err := p.wait(ctx, "C1")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() {
		d, err := p.wait(ctx, "C1")
		if err == nil {
			d(time.Second)
		}
		got <- err
	}()
	select {
	case err := <-got:
		t.Fatalf("a second post in C1 went while the first held it (err %v)", err)
	default:
	}
	done(time.Second)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if last := clk.sleeps[len(clk.sleeps)-1]; last != time.Second {
		t.Errorf("the post queued behind another slept %v, want a full second from the other's end", last)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.wait(cctx, "C3"); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait on a cancelled context = %v", err)
	}
	post("C3", time.Second) // the channel's turn was given back
}
