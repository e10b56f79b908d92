package oncall_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/lab"
	"github.com/wsbbot/wsbbot/oncall"
	"github.com/wsbbot/wsbbot/runbooks"
)

func TestWatchScriptIsReadOnly(t *testing.T) {
	if err := runbooks.CheckReadOnly(runbooks.ShellPowerShell, oncall.WatchScript); err != nil {
		t.Fatal(err)
	}
}

// The watch over a server whose backup fails and later succeeds: the
// failure is reported once, its recovery once, and nothing twice across a
// restart on the reopened record or a second watcher on the same record.
func TestWatchFailureThenRecoveryOnce(t *testing.T) {
	ctx := context.Background()
	e := startLabWith(t, lab.Options{Scenario: lab.ScenarioBackupRecovers, Hosts: 1})
	path := filepath.Join(t.TempDir(), "wsbbot.db")
	open := func() (*oncall.Service, store.File) {
		st, err := store.Open(path, store.Options{Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d := e.deps
		d.Store = st
		svc, err := oncall.New(d)
		if err != nil {
			t.Fatal(err)
		}
		return svc, st
	}
	watch := func(svc *oncall.Service) []oncall.WatchAlert {
		t.Helper()
		rep, err := svc.WatchBackups(ctx, "watch")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Looked != 1 || len(rep.Errors) != 0 {
			t.Fatalf("looked %d, errors %v", rep.Looked, rep.Errors)
		}
		return rep.Alerts
	}
	host := e.hosts[lab.ScenarioBackupRecovers]
	svc, st := open()
	if got := watch(svc); len(got) != 0 {
		t.Fatalf("first look at a healthy server: %+v", got)
	}
	if hr, det, err := host.RunBackup(); err != nil || hr == 0 {
		t.Fatalf("the scenario's next backup should fail: %#x %#x %v", hr, det, err)
	}
	got := watch(svc)
	if len(got) != 1 || got[0].Kind != oncall.WatchFailure || got[0].Code != "0x800423F3" || got[0].HR != 0x807800A1 || got[0].Server != lab.ScenarioBackupRecovers {
		t.Fatalf("after the failed backup: %+v", got)
	}
	failure := got[0]
	if failure.Time.IsZero() || failure.Message == "" {
		t.Fatalf("failure without time or message: %+v", failure)
	}
	if err := svc.NoteWatchPosted(ctx, failure, map[string]string{"channel": "C_INCIDENT", "ts": "100.1"}); err != nil {
		t.Fatal(err)
	}
	if got := watch(svc); len(got) != 0 {
		t.Fatalf("the same failure again: %+v", got)
	}
	// Restart: the reopened record remembers the failure.
	st.Close()
	svc, st = open()
	if got := watch(svc); len(got) != 0 {
		t.Fatalf("the same failure after a restart: %+v", got)
	}
	if hr, _, err := host.RunBackup(); err != nil || hr != 0 {
		t.Fatalf("the backup after should succeed: %#x %v", hr, err)
	}
	got = watch(svc)
	if len(got) != 1 || got[0].Kind != oncall.WatchRecovery || got[0].ID != failure.ID || got[0].Where["ts"] != "100.1" || !got[0].FailedAt.Equal(failure.Time.UTC()) {
		t.Fatalf("after the successful backup: %+v", got)
	}
	st.Close()
	svc, st = open()
	defer st.Close()
	if got := watch(svc); len(got) != 0 {
		t.Fatalf("the recovery again after a restart: %+v", got)
	}
	evs, err := st.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindWatchAlert}})
	if err != nil || len(evs) != 3 {
		t.Fatalf("watch.alert events = %d (%v), want failed, posted, recovered", len(evs), err)
	}
}

// A server whose last backup had already failed when the watch first
// looked is reported at once; two watchers on one record report it once.
func TestWatchFirstLookAndTwoWatchers(t *testing.T) {
	ctx := context.Background()
	e := startLabWith(t, lab.Options{Scenario: lab.ScenarioWriterFailed, Hosts: 2})
	other, err := oncall.New(e.deps)
	if err != nil {
		t.Fatal(err)
	}
	type res struct {
		rep *oncall.WatchReport
		err error
	}
	ch := make(chan res, 2)
	for _, svc := range []*oncall.Service{e.svc, other} {
		go func() {
			rep, err := svc.WatchBackups(ctx, "watch")
			ch <- res{rep, err}
		}()
	}
	alerts := 0
	for range 2 {
		r := <-ch
		if r.err != nil {
			t.Fatal(r.err)
		}
		for _, a := range r.rep.Alerts {
			if a.Kind != oncall.WatchFailure || a.Code != "0x800423F4" {
				t.Errorf("alert %+v", a)
			}
			alerts++
		}
	}
	if alerts != 2 {
		t.Fatalf("%d alerts for 2 failed servers and 2 watchers, want 2", alerts)
	}
}

// Each look reads the server's newest looks only, not one per backup
// since the server was first watched: a watch of a fleet every 15 minutes
// would read them all again and again, for years.
func TestWatchReadsTheNewestLooksOnly(t *testing.T) {
	ctx := context.Background()
	svc, st, hosts := countedService(t, lab.Options{Scenario: lab.ScenarioHealthy, Hosts: 1}, false)
	host := hosts[lab.ScenarioHealthy]
	for i := range 12 {
		if hr, _, err := host.RunBackup(); err != nil || hr != 0 {
			t.Fatalf("backup %d: %#x %v", i, hr, err)
		}
		rep, err := svc.WatchBackups(ctx, "watch")
		if err != nil || rep.Looked != 1 || len(rep.Errors) != 0 || len(rep.Alerts) != 0 {
			t.Fatalf("look %d: %+v, %v", i, rep, err)
		}
		if got := st.took(store.KindWatchLook); got > 4 {
			t.Fatalf("look %d read %d looks back, want the newest 4 at most", i, got)
		}
	}
	looks, err := st.Store.Events(ctx, store.Filter{Kinds: []store.Kind{store.KindWatchLook}})
	if err != nil || len(looks) != 12 {
		t.Fatalf("%d looks recorded (%v), want one per backup", len(looks), err)
	}
}
