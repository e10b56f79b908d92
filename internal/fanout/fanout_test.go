package fanout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// result is what the tests' do and cancelled functions return.
type result struct {
	item      int
	started   bool // do ran for the item
	cancelled error
}

func ints(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// collect reads every result.
func collect(t *testing.T, ch <-chan result) []result {
	t.Helper()
	return collectUntil(t, ch, func([]result) {})
}

func cancelledResult(i int, err error) result { return result{item: i, cancelled: err} }

func TestEveryItemOnce(t *testing.T) {
	for _, n := range []int{0, 1, 7, 50} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			got := collect(t, Run(t.Context(), ints(n), 4, func(_ context.Context, i int) result {
				return result{item: i, started: true}
			}, cancelledResult))
			slices.SortFunc(got, func(a, b result) int { return a.item - b.item })
			var want []result
			for i := range n {
				want = append(want, result{item: i, started: true})
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(result{})); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

// TestBound blocks every item until ctx ends: exactly limit items start,
// and the others, still waiting for a slot when ctx ends, get the
// cancelled result without ever starting.
func TestBound(t *testing.T) {
	for _, tt := range []struct{ limit, want int }{{0, 1}, {1, 1}, {3, 3}, {10, 10}, {20, 10}} {
		t.Run(fmt.Sprintf("limit=%d", tt.limit), func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			const n = 10
			started := make(chan int, n)
			ch := Run(ctx, ints(n), tt.limit, func(ctx context.Context, i int) result {
				started <- i
				<-ctx.Done()
				return result{item: i, started: true}
			}, cancelledResult)
			for range tt.want {
				select {
				case <-started:
				case <-time.After(10 * time.Second):
					t.Fatal("hung waiting for the first items to start")
				}
			}
			cancel()
			got := collect(t, ch)
			var ran, skipped int
			for _, r := range got {
				switch {
				case r.started:
					ran++
				case errors.Is(r.cancelled, context.Canceled):
					skipped++
				default:
					t.Errorf("item %d: neither run nor cancelled: %+v", r.item, r)
				}
			}
			if len(got) != n || ran != tt.want || skipped != n-tt.want {
				t.Errorf("%d results: %d ran, %d cancelled; want %d: %d, %d", len(got), ran, skipped, n, tt.want, n-tt.want)
			}
		})
	}
}

// TestSlowItemDoesNotHoldUpOthers keeps the first item running until every
// other item's result has been read: results are delivered as they come.
func TestSlowItemDoesNotHoldUpOthers(t *testing.T) {
	release := make(chan struct{})
	ch := Run(t.Context(), ints(8), 3, func(_ context.Context, i int) result {
		if i == 0 {
			<-release
		}
		return result{item: i, started: true}
	}, cancelledResult)
	var order []int
	var once sync.Once
	for _, r := range collectUntil(t, ch, func(got []result) {
		if len(got) == 7 {
			once.Do(func() { close(release) })
		}
	}) {
		order = append(order, r.item)
	}
	if len(order) != 8 || order[7] != 0 {
		t.Errorf("arrival order %v: the slow item must come last", order)
	}
}

// collectUntil reads every result, calling after with those read so far
// after each one, and fails when the channel is not closed in time (the
// deadline only bounds a hang).
func collectUntil(t *testing.T, ch <-chan result, after func([]result)) []result {
	t.Helper()
	var out []result
	deadline := time.After(10 * time.Second)
	for {
		select {
		case r, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, r)
			after(out)
		case <-deadline:
			t.Fatalf("hung after %d results: a slow item held up the others", len(out))
		}
	}
}

func TestCancelledBeforeStart(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	got := collect(t, Run(ctx, ints(5), 2, func(_ context.Context, i int) result {
		return result{item: i, started: true}
	}, cancelledResult))
	if len(got) != 5 {
		t.Fatalf("%d results, want 5", len(got))
	}
	for _, r := range got {
		if r.started || !errors.Is(r.cancelled, context.Canceled) {
			t.Errorf("item %d started after ctx ended: %+v", r.item, r)
		}
	}
}
