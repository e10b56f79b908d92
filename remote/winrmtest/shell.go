package winrmtest

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"sync"
	"time"

	"golang.org/x/text/encoding"
)

const (
	// chunkMax is the largest rsp:Stream element the fake sends (raw
	// bytes); longer writes are split into several elements, as Windows
	// splits a stream into several chunks.
	chunkMax = 8192
	// maxBuffered is how much output a command may queue before its writes
	// block until a Receive drains it (a full pipe on Windows).
	maxBuffered = 1 << 20
	// maxStdin is how much unread stdin a command may queue before Send
	// answers ERROR_BUSY.
	maxStdin = 1 << 20
	// receiveSettle is how long a Receive that has output for a running
	// command waits for more output or the command's end before answering.
	// A command that prints and exits at once is then reported in one
	// ReceiveResponse with CommandState Done, as Windows usually does.
	receiveSettle = 10 * time.Millisecond
)

var (
	errTerminated  = errors.New("winrmtest: command terminated")
	errExited      = errors.New("winrmtest: write after the command exited")
	errStdinClosed = errors.New("winrmtest: stdin already closed")
	errStdinFull   = errors.New("winrmtest: stdin buffer full")
)

// shell is a WinRS shell. Its fields other than the immutable ones are
// guarded by Server.mu.
type shell struct {
	id       string
	user     string
	codepage int
	enc      encoding.Encoding // nil for 65001
	idle     time.Duration

	commands  map[string]*command
	lastUse   time.Time
	inflight  int
	deleted   bool
	idleTimer *time.Timer
}

// segment is a piece of output queued for Receive.
type segment struct {
	stream uint8
	b      []byte
}

// command is a running (or finished) WinRS command.
type command struct {
	id     string
	shell  *shell
	ctx    context.Context
	cancel context.CancelFunc
	stdin  *stdinPipe

	mu        sync.Mutex
	segs      []segment
	head      int
	buffered  int
	exited    bool
	exitCode  int
	removed   bool // terminated, or its shell deleted
	delivered bool // the Done state has been sent
	wake      chan struct{}
}

// waitLocked returns a channel closed at the next state change.
func (c *command) waitLocked() <-chan struct{} {
	if c.wake == nil {
		c.wake = make(chan struct{})
	}
	return c.wake
}

func (c *command) broadcastLocked() {
	if c.wake != nil {
		close(c.wake)
		c.wake = nil
	}
}

// pendingLocked reports whether output is queued.
func (c *command) pendingLocked() bool { return c.head < len(c.segs) }

// appendOut queues b (owned by the command from now on).
func (c *command) appendOut(stream uint8, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.buffered >= maxBuffered && !c.removed && !c.exited && c.ctx.Err() == nil {
		ch := c.waitLocked()
		c.mu.Unlock()
		select {
		case <-ch:
		case <-c.ctx.Done():
		}
		c.mu.Lock()
	}
	switch {
	case c.removed:
		return errTerminated
	case c.exited:
		return errExited
	case len(b) == 0:
		return nil
	}
	c.segs = append(c.segs, segment{stream: stream, b: b})
	c.buffered += len(b)
	c.broadcastLocked()
	return nil
}

// finish records the exit code.
func (c *command) finish(code int) {
	c.mu.Lock()
	c.exited = true
	c.exitCode = code
	c.broadcastLocked()
	c.mu.Unlock()
}

// remove marks the command terminated and cancels its handler.
func (c *command) remove() {
	c.cancel()
	c.mu.Lock()
	c.removed = true
	c.segs, c.head, c.buffered = nil, 0, 0
	c.broadcastLocked()
	c.mu.Unlock()
	c.stdin.abort()
}

// takeLocked dequeues as much output as fits in budget bytes of rendered
// rsp:Stream elements (base64 grows data by 4/3).
func (c *command) takeLocked(budget int) []segment {
	var out []segment
	for c.head < len(c.segs) {
		sg := &c.segs[c.head]
		avail := budget - streamOverhead(sg.stream, c.id)
		n := min(len(sg.b), chunkMax, avail/4*3)
		if n <= 0 {
			break
		}
		out = append(out, segment{stream: sg.stream, b: sg.b[:n]})
		budget -= streamOverhead(sg.stream, c.id) + base64.StdEncoding.EncodedLen(n)
		c.buffered -= n
		if n == len(sg.b) {
			*sg = segment{}
			c.head++
		} else {
			sg.b = sg.b[n:]
		}
	}
	switch {
	case c.head == len(c.segs):
		c.segs, c.head = c.segs[:0], 0
	case c.head > 64 && c.head > len(c.segs)/2:
		n := copy(c.segs, c.segs[c.head:])
		clear(c.segs[n:])
		c.segs, c.head = c.segs[:n], 0
	}
	if len(out) > 0 {
		c.broadcastLocked() // wake writers blocked on a full buffer
	}
	return out
}

// streamWriter is the stdout or stderr writer of a command.
type streamWriter struct {
	c      *command
	stream uint8
	mu     sync.Mutex
	enc    *cpEncoder // nil: UTF-8, bytes pass through
}

// Write encodes p (UTF-8 text) in the shell's code page and queues it.
func (w *streamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b []byte
	if w.enc == nil {
		b = append([]byte(nil), p...)
	} else {
		b = w.enc.encode(make([]byte, 0, len(p)), p)
	}
	if err := w.c.appendOut(w.stream, b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// WriteRaw queues p unchanged.
func (w *streamWriter) WriteRaw(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var b []byte
	if w.enc != nil {
		b = w.enc.flush(nil)
	}
	b = append(b, p...)
	if err := w.c.appendOut(w.stream, b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// close emits a held-back incomplete character.
func (w *streamWriter) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.enc != nil {
		if b := w.enc.flush(nil); len(b) > 0 {
			_ = w.c.appendOut(w.stream, b)
		}
	}
}

// stdinPipe buffers the data of Send requests for the handler.
type stdinPipe struct {
	ctx     context.Context
	mu      sync.Mutex
	buf     []byte
	eof     bool
	aborted bool
	wake    chan struct{}
}

// Read blocks until data, End or cancellation.
func (p *stdinPipe) Read(b []byte) (int, error) {
	for {
		p.mu.Lock()
		if len(p.buf) > 0 {
			n := copy(b, p.buf)
			p.buf = p.buf[n:]
			if len(p.buf) == 0 {
				p.buf = nil
			}
			p.mu.Unlock()
			return n, nil
		}
		if p.eof {
			p.mu.Unlock()
			return 0, io.EOF
		}
		if p.aborted || p.ctx.Err() != nil {
			p.mu.Unlock()
			return 0, errTerminated
		}
		if p.wake == nil {
			p.wake = make(chan struct{})
		}
		ch := p.wake
		p.mu.Unlock()
		select {
		case <-ch:
		case <-p.ctx.Done():
		}
	}
}

// write queues data from a Send request; end closes stdin.
func (p *stdinPipe) write(data []byte, end bool) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.eof {
		if len(data) == 0 {
			return nil
		}
		return errStdinClosed
	}
	if len(p.buf)+len(data) > maxStdin {
		return errStdinFull
	}
	p.buf = append(p.buf, data...)
	p.eof = end
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	return nil
}

func (p *stdinPipe) abort() {
	p.mu.Lock()
	p.aborted = true
	p.buf = nil
	if p.wake != nil {
		close(p.wake)
		p.wake = nil
	}
	p.mu.Unlock()
}
