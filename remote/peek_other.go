//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package remote

import "syscall"

// peekSupported: peerGone cannot look at a socket here; a request whose
// reused connection fails before the first byte of the answer is sent
// again instead (see connRT).
const peekSupported = false

func peerGone(syscall.RawConn) bool { return false }
