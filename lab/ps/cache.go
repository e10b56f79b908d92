package ps

import (
	"container/list"
	"sync"
)

// Cache keeps parsed scripts by their text, so that a script sent to many
// hosts (an audit of a thousand servers sends the same one to each) is
// parsed once. It holds at most its capacity, dropping the least recently
// used; a syntax error is kept like a script. Safe for concurrent use.
type Cache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List // front: most recently used *cacheEntry
	items map[string]*list.Element
}

type cacheEntry struct {
	text string
	sc   *Script
	err  error
}

// NewCache returns a cache of at most n scripts (at least 1).
func NewCache(n int) *Cache {
	return &Cache{max: max(1, n), ll: list.New(), items: map[string]*list.Element{}}
}

// Parse returns the parsed script for text, parsing it on first use.
func (c *Cache) Parse(text string) (*Script, error) {
	c.mu.Lock()
	if el, ok := c.items[text]; ok {
		c.ll.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.mu.Unlock()
		return e.sc, e.err
	}
	c.mu.Unlock()
	// Parse outside the lock: two first uses of one text may both parse,
	// and the second stores the same result.
	sc, err := Parse(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[text]; ok {
		c.ll.MoveToFront(el)
		return sc, err
	}
	c.items[text] = c.ll.PushFront(&cacheEntry{text: text, sc: sc, err: err})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).text)
	}
	return sc, err
}

// Len is the number of scripts held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items)
}
