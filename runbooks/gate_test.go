package runbooks

import (
	"context"
	"testing"
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
