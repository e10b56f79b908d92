// Package fanout owns wsbbot's one bounded fan-out: doing the same thing
// for many items (servers, mostly) at most a given number at a time, and
// delivering each item's result the moment it is known, so that one dead
// server never holds up the others' answers. The checklist auditor runs
// over it; remote's benchmarks and tests drive the WinRM client through
// it. It knows nothing of servers or sessions and imports only the
// standard library.
package fanout

import (
	"context"
	"sync"
)

// Run calls do for every item, at most limit at a time (limit < 1 means
// 1), starting them in the order of items, and sends each result on the
// returned channel as soon as do returns. The channel is closed after the
// last result; it is buffered for every item, so a caller that stops
// reading leaks no goroutine.
//
// Every item has exactly one result: an item still waiting for a slot when
// ctx ends is not passed to do; cancelled(item, ctx.Err()) gives its
// result instead; once ctx has ended no further item starts. do receives
// ctx and should honour it.
func Run[T, R any](ctx context.Context, items []T, limit int, do func(context.Context, T) R, cancelled func(T, error) R) <-chan R {
	if limit < 1 {
		limit = 1
	}
	out := make(chan R, len(items))
	sem := make(chan struct{}, limit)
	go func() {
		defer close(out)
		var wg sync.WaitGroup
		for _, it := range items {
			if err := ctx.Err(); err != nil {
				out <- cancelled(it, err)
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				out <- cancelled(it, ctx.Err())
				continue
			}
			wg.Go(func() {
				defer func() { <-sem }()
				out <- do(ctx, it)
			})
		}
		wg.Wait()
	}()
	return out
}
