package netdelay

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Link is a packet-level delay line on a TUN device, for kernels without
// tc netem: every IP packet the kernel routes into the device is read,
// held OneWay (plus up to Jitter, without reordering), dropped with
// probability Loss, and written back into the kernel, which delivers it.
// Unlike Proxy, both ends are the kernel's own TCP: handshakes,
// retransmissions, delayed ACKs and congestion control all see the delay
// and the loss, as on a real network.
//
// Routing the namespace's traffic through the device is the caller's
// (see cmd/wsbbot's extra tests); a Link only moves packets.
type Link struct {
	f     *os.File
	name  string
	spec  LinkSpec
	queue chan delayed
	wg    sync.WaitGroup

	mu                sync.Mutex
	packets, dropped  int
	lastDue           time.Time
	closeOnce         sync.Once
	readErr, writeErr error
}

// LinkSpec is what a Link does to each packet.
type LinkSpec struct {
	OneWay time.Duration // held this long before it is delivered
	Jitter time.Duration // plus up to this much more, uniformly, never overtaking an earlier packet
	Loss   float64       // dropped with this probability (0..1)
}

func (s LinkSpec) String() string {
	out := fmt.Sprintf("delay %v", s.OneWay)
	if s.Jitter > 0 {
		out += fmt.Sprintf(" jitter %v", s.Jitter)
	}
	if s.Loss > 0 {
		out += fmt.Sprintf(" loss %g%%", s.Loss*100)
	}
	return out
}

type delayed struct {
	due time.Time
	pkt []byte
}

// linkQueue bounds the packets in flight on a Link; more are dropped, as
// a router's full queue would.
const linkQueue = 1 << 16

// OpenLink creates the TUN device name (IFF_TUN, no packet information;
// it needs CAP_NET_ADMIN) and starts moving packets through it as spec
// says. The device exists until Close.
func OpenLink(name string, spec LinkSpec) (*Link, error) {
	if spec.OneWay < 0 || spec.Jitter < 0 || spec.Loss < 0 || spec.Loss >= 1 {
		return nil, fmt.Errorf("netdelay: link %s: bad spec %+v", name, spec)
	}
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("netdelay: open /dev/net/tun: %w", err)
	}
	var req struct {
		name  [syscall.IFNAMSIZ]byte
		flags uint16
		_     [22]byte
	}
	copy(req.name[:], name)
	req.flags = syscall.IFF_TUN | syscall.IFF_NO_PI
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TUNSETIFF, uintptr(unsafe.Pointer(&req))); errno != 0 {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("netdelay: create TUN device %s: %w", name, errno)
	}
	l := &Link{f: os.NewFile(uintptr(fd), "/dev/net/tun"), name: name, spec: spec, queue: make(chan delayed, linkQueue)}
	l.wg.Add(2)
	go l.read()
	go l.write()
	return l, nil
}

// Name is the TUN device's name.
func (l *Link) Name() string { return l.name }

// Counts returns the packets the link carried and those it dropped (Loss
// or a full queue).
func (l *Link) Counts() (packets, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.packets, l.dropped
}

func (l *Link) read() {
	defer l.wg.Done()
	defer close(l.queue)
	buf := make([]byte, 1<<16)
	for {
		n, err := l.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				l.mu.Lock()
				l.readErr = err
				l.mu.Unlock()
			}
			return
		}
		now := time.Now()
		l.mu.Lock()
		l.packets++
		drop := l.spec.Loss > 0 && rand.Float64() < l.spec.Loss
		due := now.Add(l.spec.OneWay)
		if l.spec.Jitter > 0 {
			due = due.Add(rand.N(l.spec.Jitter))
		}
		if due.Before(l.lastDue) {
			due = l.lastDue
		}
		if !drop {
			l.lastDue = due
		}
		l.mu.Unlock()
		if drop {
			l.count(true)
			continue
		}
		select {
		case l.queue <- delayed{due: due, pkt: append([]byte(nil), buf[:n]...)}:
		default:
			l.count(true)
		}
	}
}

func (l *Link) count(dropped bool) {
	if dropped {
		l.mu.Lock()
		l.dropped++
		l.mu.Unlock()
	}
}

func (l *Link) write() {
	defer l.wg.Done()
	for d := range l.queue {
		if wait := time.Until(d.due); wait > 0 {
			time.Sleep(wait)
		}
		if _, err := l.f.Write(d.pkt); err != nil && !errors.Is(err, os.ErrClosed) {
			l.mu.Lock()
			if l.writeErr == nil {
				l.writeErr = err
			}
			l.mu.Unlock()
		}
	}
}

// Close removes the device (its routes go with it), stops the link's
// goroutines and returns the first read and write errors.
func (l *Link) Close() error {
	var err error
	l.closeOnce.Do(func() {
		err = l.f.Close()
		l.wg.Wait()
		l.mu.Lock()
		err = errors.Join(err, l.readErr, l.writeErr)
		l.mu.Unlock()
	})
	return err
}
