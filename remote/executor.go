package remote

import (
	"context"

	"github.com/wsbbot/wsbbot/runbooks"
)

// Executor adapts a Client to the runbook engine, which names targets by
// their inventory name: Resolve turns a name into a Target (the CLI builds
// it from the configuration, resolving the credential reference).
type Executor struct {
	Client  *Client
	Resolve func(name string) (Target, error)
}

var _ runbooks.Executor = (*Executor)(nil)

// Open opens one session (one shell) on the named target for a whole run.
func (x *Executor) Open(ctx context.Context, name string) (runbooks.Session, error) {
	t, err := x.Resolve(name)
	if err != nil {
		return nil, err
	}
	s, err := x.Client.Open(ctx, t)
	if err != nil {
		return nil, err
	}
	return engineSession{s}, nil
}

// Warm opens the TCP connections of the named targets in the background
// (Client.Warm), for the sessions the caller is about to open; names that
// do not resolve are left alone (Open reports them).
func (x *Executor) Warm(names ...string) {
	for _, name := range names {
		if t, err := x.Resolve(name); err == nil {
			x.Client.Warm(t)
		}
	}
}

// engineSession runs the engine's commands in a remote Session.
type engineSession struct{ s *Session }

func (e engineSession) Run(ctx context.Context, c runbooks.Command) (runbooks.Output, error) {
	res, err := e.s.Run(ctx, Command{Shell: c.Shell, Script: c.Script, Params: c.Params, Timeout: c.Timeout, Name: c.Name, Quiet: c.Quiet})
	return runbooks.Output{
		Stdout:    res.Stdout,
		Stderr:    res.Stderr,
		ExitCode:  res.ExitCode,
		Truncated: res.Truncated,
		Duration:  res.Duration,
	}, err
}

func (e engineSession) Close() error { return e.s.Close() }
