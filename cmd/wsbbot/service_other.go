//go:build !windows

package main

import (
	"context"
	"io"
)

// runAsService reports handled=false: only Windows has a service manager
// that wsbbot answers itself (on Linux systemd runs `wsbbot serve` as is;
// see deploy/wsbbot.service).
func runAsService(func(ctx context.Context, stdout, stderr io.Writer) int) (code int, handled bool) {
	return 0, false
}
