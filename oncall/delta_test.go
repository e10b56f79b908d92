package oncall_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
)

// Each audit says what changed since the previous audit of the same scope:
// the first has nothing to compare with, then "still failing for N
// audits", a recovery, a new failure, and a different scope starts over.
func TestAuditDelta(t *testing.T) {
	ctx := context.Background()
	e := startLabWith(t, lab.Options{Scenario: lab.ScenarioNoRestoreTest, Hosts: 2})
	var mu sync.Mutex
	now := fixedNow
	d := e.deps
	d.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	a, b := lab.ScenarioNoRestoreTest, lab.ScenarioNoRestoreTest+"-2"
	audit := func(req oncall.AuditRequest) *oncall.AuditDelta {
		t.Helper()
		rep, err := svc.Audit(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Delta == nil {
			t.Fatal("no delta")
		}
		return rep.Delta
	}
	all := oncall.AuditRequest{Actor: "scheduler"}
	if dl := audit(all); !dl.First() || dl.Unchanged() {
		t.Fatalf("first audit: %+v", dl)
	}
	dl := audit(all)
	if dl.First() || !dl.Unchanged() || len(dl.StillFailing) != 2 || dl.StillFailing[0].Audits != 2 || dl.StillFailing[0].Rule != checklists.RuleRestoreTest {
		t.Fatalf("second audit: %+v", dl)
	}
	if _, err := svc.RestoreTestDone(ctx, a, fixedNow, "U_ALICE"); err != nil {
		t.Fatal(err)
	}
	dl = audit(all)
	if len(dl.Recovered) != 1 || dl.Recovered[0].Target != a || len(dl.StillFailing) != 1 || dl.StillFailing[0].Target != b ||
		dl.StillFailing[0].Audits != 3 || len(dl.NewFailures) != 0 || dl.Unchanged() {
		t.Fatalf("after a's restore test: %+v", dl)
	}
	mu.Lock()
	now = fixedNow.AddDate(1, 0, 0) // a's restore test is now too old
	mu.Unlock()
	dl = audit(all)
	if len(dl.NewFailures) != 1 || dl.NewFailures[0].Target != a || dl.NewFailures[0].Rule != checklists.RuleRestoreTest ||
		len(dl.StillFailing) != 1 || dl.StillFailing[0].Audits != 4 {
		t.Fatalf("a year later: %+v", dl)
	}
	if dl := audit(oncall.AuditRequest{Server: b}); !dl.First() {
		t.Fatalf("another scope compares with %s", dl.Previous)
	}
	// A schedule of servers [b] is the same scope as `audit b`.
	if dl := audit(oncall.AuditRequest{Servers: []string{b}}); dl.First() || !dl.Unchanged() || dl.StillFailing[0].Audits != 2 {
		t.Fatalf("schedule of [b] after `audit b`: %+v", dl)
	}
}
