package oncall_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/checklists"
	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/store/storetest"
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

// countingStore counts the events of each kind read back.
type countingStore struct {
	store.Store
	mu   sync.Mutex
	read map[store.Kind]int
}

func (c *countingStore) Events(ctx context.Context, f store.Filter) ([]store.Event, error) {
	evs, err := c.Store.Events(ctx, f)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.read == nil {
		c.read = map[store.Kind]int{}
	}
	for _, e := range evs {
		c.read[e.Kind]++
	}
	return evs, err
}

// took returns how many events of kind were read since it was last asked.
func (c *countingStore) took(kind store.Kind) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.read[kind]
	delete(c.read, kind)
	return n
}

// countedService is a service over a lab of o (its hosts by name) and a
// SQLite record (as serve and the CLI use) whose reads are counted; with
// noStates, audit summaries are recorded without their states.
func countedService(t *testing.T, o lab.Options, noStates bool) (*oncall.Service, *countingStore, map[string]*lab.Host) {
	t.Helper()
	e := startLabWith(t, o)
	sq, err := store.OpenSQLite(filepath.Join(t.TempDir(), "wsbbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sq.Close() })
	st := &countingStore{Store: sq}
	d := e.deps
	d.Store = st
	if noStates {
		d.Store = withoutStates{st}
	}
	svc, err := oncall.New(d)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st, e.hosts
}

// withoutStates is a record that drops the states from every audit
// summary appended, as wsbbot recorded them before summaries had them.
type withoutStates struct{ *countingStore }

func (w withoutStates) AppendMany(ctx context.Context, evs []store.Event) ([]store.Event, error) {
	for i, e := range evs {
		if e.Kind != store.KindAuditFinished {
			continue
		}
		var data map[string]any
		if err := json.Unmarshal(e.Data, &data); err != nil {
			return nil, err
		}
		delete(data, "states")
		b, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		evs[i].Data = b
	}
	return w.countingStore.AppendMany(ctx, evs)
}

// An audit reads the newest audits' summaries, and from the previous
// audit of its scope the states its summary holds: not its findings, and
// not the whole history (which grows by a fleet's findings every audit,
// for years). Audits whose summaries have no states (recorded before)
// are read by their findings, that audit's only. Either way the failing
// streaks count every audit.
func TestAuditDeltaReadsThePreviousAuditOnly(t *testing.T) {
	for _, states := range []bool{true, false} {
		t.Run(fmt.Sprintf("states=%v", states), func(t *testing.T) {
			ctx := context.Background()
			svc, st, _ := countedService(t, lab.Options{Scenario: lab.ScenarioNoRestoreTest, Hosts: 2}, !states)
			perAudit := 2 * 5 // two servers, five rules
			if states {
				perAudit = 0
			}
			for i := 1; i <= 12; i++ {
				if i == 4 {
					// An audit of another scope in between changes nothing.
					if _, err := svc.Audit(ctx, oncall.AuditRequest{Server: lab.ScenarioNoRestoreTest}); err != nil {
						t.Fatal(err)
					}
					st.took(store.KindAuditFinding)
					st.took(store.KindAuditFinished)
				}
				rep, err := svc.Audit(ctx, oncall.AuditRequest{Actor: "scheduler"})
				if err != nil {
					t.Fatal(err)
				}
				if got, want := st.took(store.KindAuditFinding), min(i-1, 1)*perAudit; got != want {
					t.Fatalf("audit %d read %d findings back, want %d", i, got, want)
				}
				// The newest 8 summaries hold the previous audit; without
				// states, its own events hold its summary again.
				if got, want := st.took(store.KindAuditFinished), 8+btoi(!states); got > want {
					t.Fatalf("audit %d read %d summaries back, want at most %d", i, got, want)
				}
				if i > 1 && (len(rep.Delta.StillFailing) != 2 || rep.Delta.StillFailing[0].Audits != i) {
					t.Fatalf("audit %d: still failing %+v, want 2 findings failing for %d audits", i, rep.Delta.StillFailing, i)
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Audits recorded by an earlier wsbbot (findings without the audit's id
// as run id, without streaks) are read as they were: the streak counts
// them, and carries on in the audits recorded since.
func TestAuditDeltaAfterLegacyAudits(t *testing.T) {
	ctx := context.Background()
	e := startLabWith(t, lab.Options{Scenario: lab.ScenarioNoRestoreTest, Hosts: 2})
	a, b := lab.ScenarioNoRestoreTest, lab.ScenarioNoRestoreTest+"-2"
	checklist := e.deps.Checklist.ID
	scope := checklist + ":all"
	// Six audits of another scope first: with the three below, more than
	// the newest summaries the audit reads first, so the legacy path
	// reads them all.
	for range 6 {
		id, err := e.st.NewRunID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		ev, err := store.NewEvent(store.KindAuditFinished, "", "", "scheduler", map[string]any{
			"audit_id": id, "checklist": checklist, "scope": checklist + ":servers=other", "finished": fixedNow.Add(-4 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		storetest.MustAppend(t, e.st, ev)
	}
	for i := range 3 {
		id, err := e.st.NewRunID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var evs []store.Event
		for _, target := range []string{a, b} {
			status := checklists.Fail
			if target == a && i == 0 {
				status = checklists.Pass // a's streak starts at the second
			}
			// The payload as wsbbot recorded it then: no failing_for.
			ev, err := store.NewEvent(store.KindAuditFinding, "", target, "scheduler", struct {
				AuditID string `json:"audit_id"`
				checklists.Finding
			}{id, checklists.Finding{Target: target, Rule: checklists.RuleRestoreTest, Status: status}})
			if err != nil {
				t.Fatal(err)
			}
			evs = append(evs, ev)
		}
		ev, err := store.NewEvent(store.KindAuditFinished, "", "", "scheduler", map[string]any{
			"audit_id": id, "checklist": checklist, "scope": scope, "finished": fixedNow.Add(-time.Duration(3-i) * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.AppendMany(ctx, append(evs, ev)); err != nil {
			t.Fatal(err)
		}
	}
	streaks := func() map[string]int {
		t.Helper()
		rep, err := e.svc.Audit(ctx, oncall.AuditRequest{Actor: "scheduler"})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int{}
		for _, s := range rep.Delta.StillFailing {
			if s.Rule == checklists.RuleRestoreTest {
				out[s.Target] = s.Audits
			}
		}
		return out
	}
	if got := streaks(); got[a] != 3 || got[b] != 4 {
		t.Fatalf("after three legacy audits: %v, want %s 3 and %s 4", got, a, b)
	}
	if got := streaks(); got[a] != 4 || got[b] != 5 {
		t.Fatalf("the next audit: %v, want %s 4 and %s 5", got, a, b)
	}
}
