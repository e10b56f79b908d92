package runbooks_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/wsbbot/wsbbot/config"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/remote"
	"github.com/wsbbot/wsbbot/remote/winrmtest"
	"github.com/wsbbot/wsbbot/runbooks"
)

// TestOpenWithinFirstStepTimeout: opening the session (create-shell) is
// part of the first step, so a server that trickles its Create response
// ends the run at the first step's timeout (1s here), not at the remote
// client's step deadline (an hour here). Before, the error named the
// client's deadline, reached after the whole hour.
func TestOpenWithinFirstStepTimeout(t *testing.T) {
	srv := labServer(t, "trickle")
	srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultTrickle, Action: winrmtest.ActionCreate, Delay: 50 * time.Millisecond})
	eng, rb := remoteEngine(t, remote.Options{StepTimeout: time.Hour, RunTimeout: 2 * time.Hour}, func(string) (string, int) {
		return srv.Host(), srv.Port()
	}, "slow-open", "1s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounds a failure only
	defer cancel()
	res, err := eng.Run(ctx, rb, "trickle", bind(t, rb), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Err() != nil {
		t.Fatalf("the run outlived the test's minute: %+v", res)
	}
	t.Logf("run error: %s", res.Error)
	if res.Status != runbooks.RunFailed || !strings.Contains(res.Error, "timed out after 1s, the first step's timeout") ||
		!strings.Contains(res.Error, "create-shell") {
		t.Errorf("run = %s %q, want failed: timed out after 1s, the first step's timeout, in create-shell", res.Status, res.Error)
	}
	if _, err := eng.DryRun(ctx, rb, "trickle", bind(t, rb)); err == nil ||
		!strings.Contains(err.Error(), "timed out after 1s, the first step's timeout") {
		t.Errorf("dry run = %v, want timed out after 1s, the first step's timeout", err)
	}
}

// TestRemoteErrorsNameTheServerOnce: remote's errors name their target;
// the engine's messages, which name it too, do not repeat it ("open
// session on dead: create-shell: ...", not "on dead: dead: create-shell").
func TestRemoteErrorsNameTheServerOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close() // nothing listens there now: connection refused

	srv := labServer(t, "dropper")
	srv.Inject(winrmtest.Fault{Kind: winrmtest.FaultDropMidBody, Action: winrmtest.ActionReceive})
	eng, rb := remoteEngine(t, remote.Options{}, func(name string) (string, int) {
		if name == "dropper" {
			return srv.Host(), srv.Port()
		}
		return "127.0.0.1", port
	}, "one", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // bounds a failure only
	defer cancel()

	res, err := eng.Run(ctx, rb, "dead", bind(t, rb), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != runbooks.RunFailed || strings.Count(res.Error, "dead") != 1 || !strings.Contains(res.Error, "open session on dead: create-shell: ") {
		t.Errorf("run on dead = %s %q, want failed, naming dead once", res.Status, res.Error)
	}
	if _, err := eng.DryRun(ctx, rb, "dead", bind(t, rb)); err == nil || strings.Count(err.Error(), "dead") != 1 {
		t.Errorf("dry run on dead = %v, want an error naming dead once", err)
	}

	res, err = eng.Run(ctx, rb, "dropper", bind(t, rb), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Steps) != 1 || res.Steps[0].Status != runbooks.StepError || strings.Count(res.Steps[0].Error, "dropper") != 1 {
		t.Errorf("run on dropper = %+v, want one step error naming dropper once", res.Steps)
	}
	var re *remote.Error
	if err := runbooks.WithoutTarget("dead", &remote.Error{Kind: remote.KindConnectionRefused, Target: "dead", Op: "create-shell"}); !errors.As(err, &re) ||
		strings.Contains(err.Error(), "dead") {
		t.Errorf("WithoutTarget = %v, want the *remote.Error without its target", err)
	}
	// The configuration's errors say "target NAME: ".
	cfgErr := fmt.Errorf("target dead: password_env X is not set: %w", config.ErrNoPassword)
	if err := runbooks.WithoutTarget("dead", cfgErr); !errors.Is(err, config.ErrNoPassword) || err.Error() != "password_env X is not set: no password" {
		t.Errorf("WithoutTarget = %q, want the configuration's error without its target", err)
	}
	if err := runbooks.WithoutTarget("dead", errors.New("target deadbeef: x")); err.Error() != "target deadbeef: x" {
		t.Errorf("WithoutTarget of another target's error = %q", err)
	}
}

// labServer starts a fake WinRM server whose handler is a healthy lab
// host named name, with the lab's credentials.
func labServer(t *testing.T, name string) *winrmtest.Server {
	t.Helper()
	h, err := lab.NewHost(name, lab.ScenarioHealthy)
	if err != nil {
		t.Fatal(err)
	}
	srv := winrmtest.New(winrmtest.Options{User: "wsbadmin", Password: "lab-Passw0rd", Handler: h.Handler()})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// remoteEngine is an engine over the real remote client, whose targets are
// at the address addr gives for their name, with Basic auth and the lab's
// credentials; and the one-step read-only runbook id running Get-Date, its
// step timeout set when timeout is not "".
func remoteEngine(t *testing.T, opts remote.Options, addr func(name string) (string, int), id, timeout string) (*runbooks.Engine, *runbooks.Runbook) {
	t.Helper()
	client, err := remote.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	exec := &remote.Executor{Client: client, Resolve: func(name string) (remote.Target, error) {
		host, port := addr(name)
		return remote.Target{Name: name, Address: host, Port: port, Auth: remote.AuthBasic,
			User: "wsbadmin", Password: remote.Password("lab-Passw0rd")}, nil
	}}
	step := "  - id: first\n    mode: read-only\n    shell: powershell\n"
	if timeout != "" {
		step += "    timeout: " + timeout + "\n"
	}
	rbYAML := "kind: runbook\nid: " + id + "\nversion: 1\ntitle: {en: T, ja: T}\ndescription: {en: D, ja: D}\n" +
		"category: diagnose\nsteps:\n" + step + "    script: Get-Date\n"
	set, ps := runbooks.Load(runbooks.Source{Name: "t", FS: fstest.MapFS{id + ".yaml": {Data: []byte(rbYAML)}}})
	if len(ps.Errors()) > 0 {
		t.Fatal(ps.Errors())
	}
	rb, _ := set.Runbook(id)
	return runbooks.NewEngine(exec, nil, nil, nil), rb
}
