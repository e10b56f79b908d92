package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/wsbbot/wsbbot/internal/store"
	"github.com/wsbbot/wsbbot/internal/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewMemory(nil) })
}

func TestBolt(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mustOpen(t, filepath.Join(t.TempDir(), "wsbbot.db"), nil) })
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return mustOpenSQLite(t, filepath.Join(t.TempDir(), "wsbbot.db"), nil) })
}

// mustOpenSQLite opens a SQLite store at path and closes it when the test
// ends.
func mustOpenSQLite(t testing.TB, path string, clock func() time.Time) *store.SQLite {
	t.Helper()
	s, err := store.OpenSQLite(path, store.Options{Clock: clock, Timeout: time.Second})
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// mustOpen opens a Bolt store at path and closes it when the test ends.
func mustOpen(t testing.TB, path string, clock func() time.Time) *store.Bolt {
	t.Helper()
	b, err := store.OpenBolt(path, store.Options{Clock: clock, Timeout: time.Second})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// fakeClock returns increasing times one second apart from start.
func fakeClock(start time.Time) func() time.Time {
	n := 0
	return func() time.Time {
		n++
		return start.Add(time.Duration(n) * time.Second)
	}
}

func TestClockStampsEvents(t *testing.T) {
	jst := time.FixedZone("JST", 9*3600)
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, jst)
	impls := map[string]func(t *testing.T) store.Store{
		"memory": func(t *testing.T) store.Store { return store.NewMemory(fakeClock(start)) },
		"bolt": func(t *testing.T) store.Store {
			return mustOpen(t, filepath.Join(t.TempDir(), "db"), fakeClock(start))
		},
		"sqlite": func(t *testing.T) store.Store {
			return mustOpenSQLite(t, filepath.Join(t.TempDir(), "db"), fakeClock(start))
		},
	}
	for name, open := range impls {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			for i := 1; i <= 3; i++ {
				e, err := s.Append(context.Background(), store.Event{Kind: store.KindAuditFinished, Target: "fs01"})
				if err != nil {
					t.Fatal(err)
				}
				want := start.Add(time.Duration(i) * time.Second).UTC()
				if !e.Time.Equal(want) || e.Time.Location() != time.UTC {
					t.Errorf("event %d Time = %v, want %v in UTC", i, e.Time, want)
				}
			}
		})
	}
}
