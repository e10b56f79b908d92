package lab

import (
	"context"
	"io"

	"github.com/wsbbot/wsbbot/remote/winrmtest"
)

// Handler returns the host as a winrmtest.Handler: every WinRS command runs
// through Host.Run.
func (h *Host) Handler() winrmtest.Handler { return hostHandler{h: h} }

type hostHandler struct{ h *Host }

// Run implements winrmtest.Handler.
func (hh hostHandler) Run(ctx context.Context, cmd winrmtest.Command, stdin io.Reader, stdout, stderr io.Writer) int {
	return hh.h.Run(ctx, cmd.Line, cmd.User, stdin, stdout, stderr)
}
