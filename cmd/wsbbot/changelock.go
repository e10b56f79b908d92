package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/internal/hostlock"
	"github.com/wsbbot/wsbbot/runbooks"
)

// changeLock adapts hostlock to the engine: a server is locked by its
// address and port, so two configurations that name one server differently
// still take one lock.
type changeLock struct {
	l    *hostlock.Locker
	cfg  config.Config
	wait time.Duration
	user string
}

var _ runbooks.ChangeLock = (*changeLock)(nil)

func newChangeLock(cfg config.Config, user string) (*changeLock, error) {
	l, err := hostlock.New(cfg.Remote.LockDir)
	if err != nil {
		return nil, err
	}
	return &changeLock{l: l, cfg: cfg, wait: time.Duration(cfg.Remote.LockWait), user: user}, nil
}

func (c *changeLock) LockChanges(ctx context.Context, target, runID string, rs runbooks.RunStart) (func(), error) {
	key := target
	if t, ok := c.cfg.Target(target); ok {
		key = net.JoinHostPort(strings.ToLower(t.Address), strconv.Itoa(t.Port()))
	}
	lk, err := c.l.Lock(ctx, key, hostlock.Holder{Run: runID, Runbook: rs.Runbook, Target: target, User: c.user, Started: rs.Started}, c.wait)
	var busy *hostlock.BusyError
	if errors.As(err, &busy) {
		busy.Target = target // the inventory name, not the lock's address:port
		return nil, busy
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	return func() { _ = lk.Unlock() }, nil
}
