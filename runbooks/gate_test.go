package runbooks

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestApprovedPlanGate(t *testing.T) {
	rb := mustRunbook(t, engineRunbook)
	params, _ := rb.Bind(nil, nil)
	vols := volumesJSON("SqlServerWriter")
	f := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": vols}}
	e := NewEngine(f, nil, nil, nil)
	plan, err := e.DryRun(t.Context(), rb, "fs01", params)
	if err != nil {
		t.Fatal(err)
	}

	// The server is as the plan saw it: every change was approved.
	e = NewEngine(f, ApprovedPlanGate(plan), nil, nil)
	res, err := e.Run(t.Context(), rb, "fs01", params, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != RunSucceeded {
		t.Fatalf("approved run: %s %+v", res.Status, res.Steps)
	}

	// Another writer failed since the dry run: that restart was never
	// approved.
	f2 := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": volumesJSON("SqlServerWriter", "System Writer")}}
	res, err = NewEngine(f2, ApprovedPlanGate(plan), nil, nil).Run(t.Context(), rb, "fs01", params, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != RunRefused {
		t.Errorf("a change outside the approved plan ran: %s", res.Status)
	}
	for _, c := range f2.sent {
		if c.Name == "restart#1" {
			t.Errorf("unapproved restart sent: %+v", c)
		}
	}

	// The approval is for fs01 only.
	f3 := &fakeExec{handlers: map[string]func(context.Context, Command) (Output, error){"volumes": vols}}
	res, _ = NewEngine(f3, ApprovedPlanGate(plan), nil, nil).Run(t.Context(), rb, "fs02", params, nil)
	if res.Status != RunRefused {
		t.Errorf("approval of fs01 ran on fs02: %s", res.Status)
	}
}

func TestFanOut(t *testing.T) {
	diag := mustRunbook(t, `kind: runbook
id: diag-demo
version: 1
category: diagnose
title: {en: "T", ja: "表題"}
description: {en: "D", ja: "説明"}
steps:
  - {id: look, mode: read-only, shell: cmd, script: "vssadmin list writers", expect: [{that: "exit_code == 0", message: {en: "ok", ja: "可"}}]}
`)
	var running, peak atomic.Int32
	var mu sync.Mutex
	exits := map[string]int{}
	f := &fanExec{run: func(ctx context.Context, target string) (Output, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		defer mu.Unlock()
		return Output{ExitCode: exits[target]}, nil
	}}
	var targets []string
	for i := range 20 {
		tg := fmt.Sprintf("srv%02d", i)
		targets = append(targets, tg)
		if i%5 == 0 {
			exits[tg] = 1
		}
	}
	params, _ := diag.Bind(nil, nil)
	ch, err := NewEngine(f, nil, nil, nil).FanOut(t.Context(), diag, targets, params, 4)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]RunStatus{}
	for tr := range ch {
		if tr.Err != nil {
			t.Fatalf("%s: %v", tr.Target, tr.Err)
		}
		got[tr.Target] = tr.Result.Status
	}
	if len(got) != 20 {
		t.Fatalf("%d results, want 20", len(got))
	}
	for tg, st := range got {
		want := RunSucceeded
		if exits[tg] != 0 {
			want = RunFailed
		}
		if st != want {
			t.Errorf("%s: %s, want %s", tg, st, want)
		}
	}
	if p := peak.Load(); p > 4 || p < 2 {
		t.Errorf("peak concurrency %d, want 2..4", p)
	}
	fix := mustRunbook(t, engineRunbook)
	fp, _ := fix.Bind(nil, nil)
	if _, err := NewEngine(f, nil, nil, nil).FanOut(t.Context(), fix, targets, fp, 4); err == nil {
		t.Errorf("a changing runbook fanned out")
	}
}

// fanExec runs every command through one function of the target.
type fanExec struct {
	run func(ctx context.Context, target string) (Output, error)
}

func (f *fanExec) Open(ctx context.Context, target string) (Session, error) {
	return fanSession{f: f, target: target}, nil
}

type fanSession struct {
	f      *fanExec
	target string
}

func (s fanSession) Run(ctx context.Context, c Command) (Output, error) {
	return s.f.run(ctx, s.target)
}
func (s fanSession) Close() error { return nil }
