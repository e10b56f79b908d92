package slack

import (
	"container/list"
	"context"
	"errors"
	"sync"
)

// errShortRecord: a RecordFunc answered for fewer keys than it was given.
var errShortRecord = errors.New("seen: the record did not answer for every key")

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
func (s *MemorySeen) First(_ context.Context, keys ...string) (bool, error) {
	fresh := true
	for _, k := range keys {
		fresh = s.r.add(k) && fresh
	}
	return fresh, nil
}

// RecordFunc writes keys to a record that outlives the process, all in
// one write (one transaction), and reports for each whether it was new. A
// key given twice in one call is new the first time only.
type RecordFunc func(ctx context.Context, keys []string) (fresh []bool, err error)

// GroupSeen is a Seen over a record that commits together the keys of
// callers who arrive while a write is under way (group commit): every
// First returns only once its keys are written, as the dedupe across a
// restart needs, but concurrent events share one transaction instead of
// queueing for one each. A caller alone writes at once; no caller waits
// for a batch to fill.
type GroupSeen struct {
	record RecordFunc

	mu    sync.Mutex
	busy  bool        // a write is under way (or being handed over)
	queue []*seenCall // callers waiting for the next write
}

// seenCall is one First waiting in a GroupSeen.
type seenCall struct {
	keys  []string
	fresh bool
	err   error
	done  chan struct{} // closed when the call's keys are written
	lead  chan struct{} // closed when the call is to write the next batch
}

// NewGroupSeen returns a GroupSeen writing through record.
func NewGroupSeen(record RecordFunc) *GroupSeen { return &GroupSeen{record: record} }

// First implements Seen. The caller that finds no write under way writes
// the queue as one batch; the others wait. When its batch is written, a
// writer hands the next batch to the first caller still waiting, so each
// caller writes at most one batch. The write is not cut short by ctx: it
// is the record's to finish (bounded by its busy timeout), and the callers
// of the batch wait for it.
func (g *GroupSeen) First(ctx context.Context, keys ...string) (bool, error) {
	c := &seenCall{keys: keys, done: make(chan struct{}), lead: make(chan struct{})}
	g.mu.Lock()
	g.queue = append(g.queue, c)
	if g.busy {
		g.mu.Unlock()
		select {
		case <-c.done:
			return c.fresh, c.err
		case <-c.lead:
		}
		g.mu.Lock()
	}
	g.busy = true
	batch := g.queue
	g.queue = nil
	g.mu.Unlock()

	g.write(context.WithoutCancel(ctx), batch)

	g.mu.Lock()
	if len(g.queue) > 0 {
		close(g.queue[0].lead)
	} else {
		g.busy = false
	}
	g.mu.Unlock()
	return c.fresh, c.err
}

// write records the keys of a batch in one call and answers each caller.
func (g *GroupSeen) write(ctx context.Context, batch []*seenCall) {
	var all []string
	for _, c := range batch {
		all = append(all, c.keys...)
	}
	fresh, err := g.record(ctx, all)
	if err == nil && len(fresh) != len(all) {
		err = errShortRecord
	}
	i := 0
	for _, c := range batch {
		c.fresh, c.err = err == nil, err
		for range c.keys {
			if err == nil && !fresh[i] {
				c.fresh = false
			}
			i++
		}
		close(c.done)
	}
}
