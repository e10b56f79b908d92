package slack

import (
	"container/list"
	"context"
	"sync"
)

// recent is a bounded set of keys: adding beyond its capacity forgets the
// oldest. It is safe for concurrent use.
type recent struct {
	mu    sync.Mutex
	cap   int
	order *list.List
	keys  map[string]*list.Element
}

func newRecent(capacity int) *recent {
	return &recent{cap: max(capacity, 1), order: list.New(), keys: map[string]*list.Element{}}
}

// add reports whether key is new, and remembers it.
func (r *recent) add(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[key]; ok {
		return false
	}
	r.keys[key] = r.order.PushBack(key)
	if r.order.Len() > r.cap {
		old := r.order.Front()
		r.order.Remove(old)
		delete(r.keys, old.Value.(string))
	}
	return true
}

// MemorySeen is a Seen in memory, remembering the latest ids up to its
// capacity (Slack retries for about five minutes).
type MemorySeen struct{ r *recent }

// NewMemorySeen returns a MemorySeen of the given capacity.
func NewMemorySeen(capacity int) *MemorySeen { return &MemorySeen{r: newRecent(capacity)} }

// First implements Seen.
func (s *MemorySeen) First(_ context.Context, id string) (bool, error) { return s.r.add(id), nil }
