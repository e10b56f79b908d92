//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package remote

import "syscall"

// peekSupported: peerGone cannot look at a socket here; a connection idle
// longer than connRT.blindIdle is not reused instead (see connRT).
const peekSupported = false

func peerGone(syscall.RawConn) bool { return false }
