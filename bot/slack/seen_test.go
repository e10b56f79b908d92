package slack

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// memoryRecord is a RecordFunc over a map that counts its writes and can
// hold one write until released.
type memoryRecord struct {
	mu     sync.Mutex
	keys   map[string]bool
	writes [][]string
	hold   chan struct{} // when set, the next write waits for it
	held   chan struct{} // closed when a held write has begun
}

func (r *memoryRecord) record(_ context.Context, keys []string) ([]bool, error) {
	r.mu.Lock()
	hold, held := r.hold, r.held
	r.hold = nil
	r.mu.Unlock()
	if hold != nil {
		close(held)
		<-hold
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, keys)
	fresh := make([]bool, len(keys))
	for i, k := range keys {
		fresh[i] = !r.keys[k]
		r.keys[k] = true
	}
	return fresh, nil
}

func TestGroupSeenAnswersOnceAKey(t *testing.T) {
	r := &memoryRecord{keys: map[string]bool{}}
	g := NewGroupSeen(r.record)
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := map[string]int{}
	for i := range 200 {
		wg.Go(func() {
			// Two callers for each event: the message and app_mention of
			// one post share the msg: key.
			event, msg := fmt.Sprintf("event:E%d", i), fmt.Sprintf("msg:C1/%d", i/2)
			ok, err := g.First(context.Background(), event, msg)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				firsts[msg]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(firsts) != 100 {
		t.Errorf("%d posts answered, want 100", len(firsts))
	}
	for k, n := range firsts {
		if n != 1 {
			t.Errorf("%s answered %d times", k, n)
		}
	}
	if ok, _ := g.First(context.Background(), "event:E7"); ok {
		t.Error("a key written before is new again")
	}
}

// Callers arriving while a write is under way share the next write.
func TestGroupSeenCommitsWaitingCallersTogether(t *testing.T) {
	r := &memoryRecord{keys: map[string]bool{}, hold: make(chan struct{}), held: make(chan struct{})}
	hold := r.hold
	g := NewGroupSeen(r.record)
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = g.First(context.Background(), "first") })
	<-r.held
	const waiting = 10
	for i := range waiting {
		wg.Go(func() { _, _ = g.First(context.Background(), fmt.Sprint("k", i)) })
	}
	for {
		g.mu.Lock()
		n := len(g.queue)
		g.mu.Unlock()
		if n == waiting {
			break
		}
		runtime.Gosched()
	}
	close(hold)
	wg.Wait()
	if len(r.writes) != 2 || len(r.writes[1]) != waiting {
		t.Errorf("writes %v, want the first alone and then the %d waiting keys in one", r.writes, waiting)
	}
}

func TestGroupSeenReportsTheRecordsError(t *testing.T) {
	broken := errors.New("disk full")
	g := NewGroupSeen(func(context.Context, []string) ([]bool, error) { return nil, broken })
	if _, err := g.First(context.Background(), "a"); !errors.Is(err, broken) {
		t.Errorf("err = %v, want the record's", err)
	}
	short := NewGroupSeen(func(context.Context, []string) ([]bool, error) { return []bool{true}, nil })
	if _, err := short.First(context.Background(), "a", "b"); err == nil {
		t.Error("a record that answers for one key of two is not an error")
	}
}
