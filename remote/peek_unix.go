//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package remote

import "syscall"

// peekSupported: peerGone can look at a socket here.
const peekSupported = true

// peerGone says whether the peer of an idle connection has closed it,
// reset it or sent something (an idle HTTP connection must stay silent),
// without blocking and without consuming anything. rc nil: unknown
// (false).
func peerGone(rc syscall.RawConn) bool {
	if rc == nil {
		return false
	}
	gone := false
	err := rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case err == syscall.EAGAIN || err == syscall.EWOULDBLOCK || err == syscall.EINTR:
			// Nothing to read: open and quiet.
		default:
			gone = true // an error, EOF (n 0) or unsolicited bytes
		}
		return true // never wait
	})
	return gone || err != nil
}
