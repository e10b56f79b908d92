package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/store/storetest"
)

// boltV1Fixture is a bbolt store file as wsbbot wrote it before SQLite
// became the default (schema version 1). TestMigrateBoltV1 opens a copy.
const boltV1Fixture = "testdata/bolt-v1.db"

// TestWriteBoltV1Fixture rewrites testdata/bolt-v1.db when
// WSBBOT_WRITE_FIXTURES=1. It was run once with the bbolt store as the
// default; the file is kept as that version wrote it, so do not rerun it
// unless the fixture must change (and then only with the bbolt backend).
func TestWriteBoltV1Fixture(t *testing.T) {
	if os.Getenv("WSBBOT_WRITE_FIXTURES") != "1" {
		t.Skip("set WSBBOT_WRITE_FIXTURES=1 to rewrite " + boltV1Fixture)
	}
	writeBoltV1(t, boltV1Fixture)
}

// writeBoltV1 writes the fixture's content: a finished run with steps, a
// run left running (as a crash leaves it), a keyed event, an audit
// finding and a restore test, all stamped by a fixed clock.
func writeBoltV1(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	b, err := store.OpenBolt(path, store.Options{Clock: fakeClock(time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	id1, err := b.NewRunID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "vss-restart", Params: map[string]string{"service": "VSS"}, PlanHash: "p1",
		Approvers: []string{"U1"}, Approval: "--yes on the command line"}.Event(id1, "fs01", "cli:alice"))
	storetest.MustAppend(t, b, store.StepStarted{Step: "restart"}.Event(id1, "fs01", "cli:alice"))
	storetest.MustAppend(t, b, store.StepFinished{Step: "restart", Status: "passed", DurationMS: 1200, Output: "<ok> & 完了"}.Event(id1, "fs01", "cli:alice"))
	storetest.MustAppend(t, b, store.RunFinished{Status: store.StatusSucceeded, Summary: "VSS restarted"}.Event(id1, "fs01", "cli:alice"))
	keyed := finding("fs02", "keyed <&> \u2028")
	keyed.Key = "slack:Ev1"
	storetest.MustAppend(t, b, keyed)
	storetest.MustAppend(t, b, store.RestoreTestOn(time.Date(2026, 2, 3, 0, 0, 0, 0, time.UTC)).Event("fs01", "U1"))
	id2, err := b.NewRunID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, b, store.RunStarted{Runbook: "usn-journal-cleanup", PlanHash: "p2"}.Event(id2, "fs02", "U2"))
	storetest.MustAppend(t, b, store.StepStarted{Step: "assign-letter"}.Event(id2, "fs02", "U2"))
	storetest.MustVerify(t, b, 8)
	if abs, err := filepath.Abs(path); err == nil {
		t.Logf("wrote %s", abs)
	}
}
