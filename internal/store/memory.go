package store

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// Memory is a Store held in memory: for tests and for the console demo.
// It behaves like Bolt in every way the shared suite checks, but forgets
// everything when the process ends.
type Memory struct {
	clock func() time.Time

	mu      sync.Mutex
	closed  bool
	events  []Event
	keys    map[string]uint64
	runs    map[string]RunSummary
	restore map[string]time.Time
	seen    map[string]time.Time // chat dedupe keys -> first seen
	runSeq  uint64
}

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store whose events are stamped by
// clock (time.Now when nil).
func NewMemory(clock func() time.Time) *Memory {
	if clock == nil {
		clock = time.Now
	}
	return &Memory{
		clock:   clock,
		keys:    map[string]uint64{},
		runs:    map[string]RunSummary{},
		restore: map[string]time.Time{},
		seen:    map[string]time.Time{},
	}
}

// Interrupted returns the runs marked interrupted when the store was
// opened: always none for a new in-memory store.
func (m *Memory) Interrupted() []string { return nil }

// lock takes the mutex unless the context is done or the store closed.
func (m *Memory) lock(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return ErrClosed
	}
	return nil
}

// Append implements Store.
func (m *Memory) Append(ctx context.Context, e Event) (Event, error) {
	e, err := prepare(e)
	if err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return Event{}, fmt.Errorf("append: %w", err)
	}
	defer m.mu.Unlock()
	out, err := appendEvent(memState{m}, m.clock, e)
	if err != nil {
		return Event{}, fmt.Errorf("append %s: %w", e.Kind, err)
	}
	return out, nil
}

// AppendMany implements Store. A batch that fails part-way is undone.
func (m *Memory) AppendMany(ctx context.Context, events []Event) ([]Event, error) {
	events, err := prepareAll(events)
	if err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("append: %w", err)
	}
	defer m.mu.Unlock()
	n, keys, runs, restore := len(m.events), maps.Clone(m.keys), maps.Clone(m.runs), maps.Clone(m.restore)
	out, err := appendAll(memState{m}, m.clock, events)
	if err != nil {
		m.events, m.keys, m.runs, m.restore = m.events[:n], keys, runs, restore
		return nil, fmt.Errorf("append %d events: %w", len(events), err)
	}
	return out, nil
}

// Events implements Store.
func (m *Memory) Events(ctx context.Context, f Filter) ([]Event, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	defer m.mu.Unlock()
	var out []Event
	start := min(f.AfterSeq, uint64(len(m.events)))
	if f.Last > 0 {
		for i := len(m.events) - 1; i >= int(start) && len(out) < f.Last; i-- {
			if f.match(m.events[i]) {
				out = append(out, m.events[i].clone())
			}
		}
		slices.Reverse(out)
		return out, nil
	}
	for _, e := range m.events[start:] {
		if f.match(e) {
			out = append(out, e.clone())
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	return out, nil
}

// clone returns e with its own copy of Data, so a caller cannot change
// what the store holds.
func (e Event) clone() Event {
	e.Data = bytes.Clone(e.Data)
	return e
}

// Runs implements Store.
func (m *Memory) Runs(ctx context.Context, f RunFilter) ([]RunSummary, error) {
	if err := f.validate(); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer m.mu.Unlock()
	var out []RunSummary
	for _, r := range m.runs {
		if f.match(r) {
			out = append(out, r)
		}
	}
	return newestFirst(out, f.Limit), nil
}

// newestFirst sorts runs by descending StartSeq and applies limit.
func newestFirst(runs []RunSummary, limit int) []RunSummary {
	slices.SortFunc(runs, func(a, b RunSummary) int { return cmp.Compare(b.StartSeq, a.StartSeq) })
	if limit > 0 && len(runs) > limit {
		runs = runs[:limit]
	}
	return runs
}

// NewRunID implements Store.
func (m *Memory) NewRunID(ctx context.Context) (string, error) {
	if err := m.lock(ctx); err != nil {
		return "", fmt.Errorf("new run id: %w", err)
	}
	defer m.mu.Unlock()
	for {
		m.runSeq++
		id := formatRunID(m.runSeq)
		if _, used := m.runs[id]; !used {
			return id, nil
		}
	}
}

// LastRestoreTest implements Store.
func (m *Memory) LastRestoreTest(ctx context.Context, target string) (time.Time, bool, error) {
	return lastRestoreTest(ctx, m, target)
}

// LastRestoreTests implements Store.
func (m *Memory) LastRestoreTests(ctx context.Context, targets []string) (map[string]time.Time, error) {
	if err := m.lock(ctx); err != nil {
		return nil, fmt.Errorf("last restore test: %w", err)
	}
	defer m.mu.Unlock()
	return lastRestoreTests(memState{m: m}, targets)
}

// Verify implements Store.
func (m *Memory) Verify(ctx context.Context) (VerifyReport, error) {
	if err := m.lock(ctx); err != nil {
		return VerifyReport{}, fmt.Errorf("verify: %w", err)
	}
	defer m.mu.Unlock()
	v := newVerifier()
	for i, e := range m.events {
		if !v.check(uint64(i)+1, e, nil) {
			break
		}
	}
	var headSeq uint64
	var headHash string
	if n := len(m.events); n > 0 {
		headSeq, headHash = m.events[n-1].Seq, m.events[n-1].Hash
	}
	return v.finish(headSeq, headHash), nil
}

// Close implements Store. Closing twice is not an error.
func (m *Memory) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	return nil
}

// memState is the state of a Memory, used with m.mu held.
type memState struct{ m *Memory }

func (s memState) head() (uint64, string, error) {
	if n := len(s.m.events); n > 0 {
		return s.m.events[n-1].Seq, s.m.events[n-1].Hash, nil
	}
	return 0, "", nil
}

func (s memState) seqForKey(key string) (uint64, bool, error) {
	seq, ok := s.m.keys[key]
	return seq, ok, nil
}

func (s memState) event(seq uint64) (Event, error) {
	if seq == 0 || seq > uint64(len(s.m.events)) {
		return Event{}, fmt.Errorf("event %d not found", seq)
	}
	return s.m.events[seq-1].clone(), nil
}

func (s memState) run(id string) (RunSummary, bool, error) {
	r, ok := s.m.runs[id]
	return r, ok, nil
}

func (s memState) running() ([]RunSummary, error) {
	var open []RunSummary
	for _, r := range s.m.runs {
		if r.Status == StatusRunning {
			open = append(open, r)
		}
	}
	slices.SortFunc(open, func(a, b RunSummary) int { return cmp.Compare(a.ID, b.ID) })
	return open, nil
}

func (s memState) restoreTest(target string) (time.Time, bool, error) {
	d, ok := s.m.restore[target]
	return d, ok, nil
}

func (s memState) putEvent(e Event) error {
	s.m.events = append(s.m.events, e.clone())
	return nil
}

func (s memState) putKey(key string, seq uint64) error {
	s.m.keys[key] = seq
	return nil
}

func (s memState) putRun(r RunSummary) error {
	s.m.runs[r.ID] = r
	return nil
}

func (s memState) putRestoreTest(target string, day time.Time) error {
	s.m.restore[target] = day
	return nil
}
